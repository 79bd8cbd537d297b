/* The control connection as a hostile client drives it: bytes through the
 * line reader (engine/ctrl.c: Telnet IAC stripping, over-long lines, NUL
 * bytes; both ctrl_read_line and the transfer loop's ctrl_fill/peek/drop),
 * each line through command_parse and command_find (engine/commands.c),
 * and the argument parsing of the handlers that touch neither the file
 * system nor the monitor: USER SYST FEAT OPTS (UTF8, MLST facts) NOOP TYPE
 * MODE STRU REST ABOR PBSZ PROT SITE (write_enable=NO: CHMOD/UMASK parse
 * up to the permission check) HELP QUIT. The other handlers' argument
 * parsers are pure functions, fuzzed in fuzz_args.c.
 *
 * Input: byte 0 picks the reader and the session state (bit 0: the
 * transfer loop's reader; bit 1: logged in; bit 2: TLS control; bit 3:
 * anonymous rights), the rest is what the client sent. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config.h"
#include "engine/commands.h"
#include "engine/ctrl.h"
#include "engine/session.h"

static struct ftpsd_config cfg;
static int initialised;

static bool safe_handler(int (*h)(struct session *, const char *))
{
	return h == cmd_user || h == cmd_syst || h == cmd_feat || h == cmd_opts || h == cmd_noop ||
	       h == cmd_type || h == cmd_mode || h == cmd_stru || h == cmd_rest || h == cmd_abor ||
	       h == cmd_pbsz || h == cmd_prot || h == cmd_site || h == cmd_help || h == cmd_quit ||
	       h == cmd_pwd || h == cmd_unsupported;
}

/* engine/engine.c's dispatch, with the handlers limited as above. */
static void dispatch(struct session *s, const char *line)
{
	char verb[16];
	const char *arg;
	const struct command *cmd;

	if (command_parse(line, verb, sizeof(verb), &arg) < 0)
		return;
	if (strlen(verb) >= sizeof(verb) || (arg < line || arg > line + strlen(line)))
		__builtin_trap();
	cmd = command_find(verb);
	if (!cmd || (cmd->needs_login && !s->login.logged_in))
		return;
	if (cmd->arg == ARG_NONE)
		arg += strspn(arg, " ");
	if ((cmd->arg == ARG_NONE && arg[0]) || (cmd->arg == ARG_REQUIRED && !arg[0]))
		return;
	if (safe_handler(cmd->handler))
		(void)cmd->handler(s, arg);
}

/* Replies pile up in the peer's 1 MiB buffer; empty it every 64 lines
 * (a reply is at most about 1 KiB), not after each one. */
static void drain(int fd, unsigned *lines)
{
	char buf[65536];

	if (++*lines % 64)
		return;
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct session s;
	char line[CTRL_BUF];
	int sv[2];
	uint8_t mode;
	unsigned lines = 0;

	if (size < 1 || size > 65536)
		return 0;
	if (!initialised) {
		if (config_load_string(&cfg, "fuzz", "write_enable=NO\n", NULL) != 0)
			__builtin_trap();
		initialised = 1;
	}
	mode = data[0];
	data++;
	size--;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	{
		int big = 1 << 20;
		(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
		(void)setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
		(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	}
	if (size && send(sv[1], data, size, MSG_DONTWAIT) != (ssize_t)size)
		goto out;
	shutdown(sv[1], SHUT_WR);

	memset(&s, 0, sizeof(s));
	s.given.cfg = &cfg;
	s.given.vhost = &cfg.vhosts[0];
	s.given.set = &cfg.vhosts[0].set;
	s.priv_fd = -1;
	s.eng.pasv_fd = -1;
	s.login.logged_in = mode & 2;
	s.given.tls_control = mode & 4;
	s.login.anon_privs = s.login.anonymous = mode & 8;
	strcpy(s.eng.cwd, "/");
	ctrl_init(&s.ctrl, sv[0], NULL, 0);

	if (mode & 1) {
		/* The transfer loop's reader: fill, peek, drop. */
		for (int rounds = 0; rounds < 1024; rounds++) {
			int n = ctrl_fill(&s.ctrl);

			while (ctrl_peek_line(&s.ctrl, line)) {
				if (strlen(line) >= CTRL_BUF)
					__builtin_trap();
				dispatch(&s, line);
				ctrl_drop_line(&s.ctrl);
				drain(sv[1], &lines);
			}
			if (n == 0 || n == -1 || (n == -2 && s.ctrl.len == sizeof(s.ctrl.buf)))
				break;
		}
	} else {
		for (;;) {
			enum ctrl_read r = ctrl_read_line(&s.ctrl, line, 5);

			if (r != CTRL_LINE && r != CTRL_TOO_LONG && r != CTRL_NUL)
				break;
			if (r == CTRL_LINE) {
				if (strlen(line) >= CTRL_BUF)
					__builtin_trap();
				dispatch(&s, line);
			}
			drain(sv[1], &lines);
			if (s.eng.quit)
				break;
		}
	}
out:
	close(sv[0]);
	close(sv[1]);
	return 0;
}
