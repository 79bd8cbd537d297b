#include "engine/engine.h"

#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/commands.h"
#include "common/log.h"
#include "common/proctitle.h"
#include "privsep/proto.h"

void engine_log_forward(int level, const char *line, void *ctx)
{
	const struct session *s = ctx;
	struct priv_log v = { .level = (uint32_t)level };
	struct priv_msg m;
	size_t n = strlen(line);

	if (n >= sizeof(v.line))
		n = sizeof(v.line) - 1;
	memcpy(v.line, line, n);
	v.line[n] = '\0';
	priv_encode_log(&m, &v);
	(void)priv_send(s->priv_fd, &m); /* a dead monitor ends us soon anyway */
}

static void log_command(const struct session *s, const char *verb, const char *line)
{
	if (!s->ctrl.log_protocol)
		return;
	if (strcmp(verb, "PASS") == 0)
		log_msg(LOG_LVL_DEBUG, "command: PASS <hidden>");
	else
		log_msg(LOG_LVL_DEBUG, "command: %s", line);
}

/* setproctitle_enable: vsftpd's "ftpsd: 192.0.2.7: alice: RETR file"; a
 * password never shows. */
static void title_command(const struct session *s, const char *verb, const char *line)
{
	const char *shown = strcmp(verb, "PASS") == 0 ? "PASS" : line;

	if (!s->given.cfg->global.setproctitle_enable)
		return;
	if (s->login.logged_in)
		proctitle_set("ftpsd: %s: %s: %s", s->given.peer_ip, s->login.user, shown);
	else
		proctitle_set("ftpsd: %s: %s", s->given.peer_ip, shown);
}

/* Check the argument shape the table asks for, then run the handler. */
static int dispatch(struct session *s, const char *line)
{
	char verb[16];
	const char *arg;
	const struct command *cmd;

	if (command_parse(line, verb, sizeof(verb), &arg) < 0)
		return ctrl_reply(&s->ctrl, 500, "Syntax error, command unrecognized.");
	log_command(s, verb, line);
	title_command(s, verb, line);
	cmd = command_find(verb);
	if (!cmd)
		return ctrl_reply(&s->ctrl, 500, "Unknown command.");
	if (!command_permitted(s->given.set->cmds_allowed, s->given.set->cmds_denied, verb))
		return ctrl_reply(&s->ctrl, 550, "Permission denied.");
	if (cmd->needs_login && !s->login.logged_in)
		return ctrl_reply(&s->ctrl, 530, "Please login with USER and PASS.");
	/* RFC 959: RNTO must follow RNFR at once. */
	if (cmd->handler != cmd_rnto)
		s->eng.rnfr_set = false;
	if (cmd->arg == ARG_NONE)
		arg += strspn(arg, " "); /* "NOOP  " is still NOOP */
	if (cmd->arg == ARG_NONE && arg[0])
		return ctrl_reply(&s->ctrl, 501, "%s takes no argument.", cmd->name);
	if (cmd->arg == ARG_REQUIRED && !arg[0])
		return ctrl_reply(&s->ctrl, 501, "%s needs an argument.", cmd->name);
	return cmd->handler(s, arg);
}

void engine_run(struct session *s)
{
	char line[CTRL_BUF];
	int one = 1;

	signal(SIGPIPE, SIG_IGN);
	/* ftplib and others send ABOR as TCP urgent data; inline, it is just
	 * the next line. Not a socket (inetd pipe) or a socketpair: no harm.
	 * ABOR needs a login, and the pre-auth sandbox has no setsockopt.
	 * Never under TLS records: an urgent byte inline would break them. */
	if (s->login.logged_in && !s->ctrl.tls)
		(void)setsockopt(s->ctrl.fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
	s->ctrl.log_protocol = s->given.cfg->global.log_ftp_protocol;
	while (!s->eng.quit) {
		enum ctrl_read r;
		int rc = 0;

		if (s->given.cfg->global.setproctitle_enable && s->login.logged_in)
			proctitle_set("ftpsd: %s: %s: IDLE", s->given.peer_ip, s->login.user);
		r = ctrl_read_line(&s->ctrl, line, s->given.set->idle_session_timeout);

		if (r == CTRL_TIMEOUT) {
			ctrl_reply(&s->ctrl, 421, "Timeout.");
			break;
		}
		if (r == CTRL_EOF || r == CTRL_ERROR)
			break;
		if (r == CTRL_TOO_LONG)
			rc = ctrl_reply(&s->ctrl, 500, "Command line too long.");
		else if (r == CTRL_NUL)
			rc = ctrl_reply(&s->ctrl, 500, "NUL byte in command line.");
		else
			rc = dispatch(s, line);
		if (rc < 0)
			break;
	}
	ctrl_finish(&s->ctrl);
	_exit(0);
}
