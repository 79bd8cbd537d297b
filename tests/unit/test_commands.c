/* Unit tests for engine/commands.c (the verb table and line splitting) and
 * engine/ctrl.c (the control connection: line reading, Telnet stripping,
 * replies), driven over a real socketpair. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/commands.h"
#include "engine/ctrl.h"

#define VERB_SIZE 16 /* "at most 15 chars" */

/* ---- command_parse ---------------------------------------------------- */

static void test_parse_table(void **state)
{
	const struct {
		const char *line;
		int rc;
		const char *verb;
		const char *arg;
	} cases[] = {
		{ "retr x", 0, "RETR", "x" },
		{ "RETR x", 0, "RETR", "x" },
		{ "ReTr file.txt", 0, "RETR", "file.txt" },
		{ "xpwd", 0, "XPWD", "" },
		{ "NOOP", 0, "NOOP", "" },
		{ "noop", 0, "NOOP", "" },
		{ "PASV", 0, "PASV", "" },
		{ "USER ", 0, "USER", "" },
		/* The argument is the rest of the line, spaces kept. */
		{ "STOR a b", 0, "STOR", "a b" },
		{ "STOR  a", 0, "STOR", " a" },
		{ "STOR a ", 0, "STOR", "a " },
		{ "CWD /dir with/ spaces ", 0, "CWD", "/dir with/ spaces " },
		/* The argument is not upper-cased. */
		{ "user Alice", 0, "USER", "Alice" },
		/* Unknown verbs still parse; the table decides. */
		{ "frob x", 0, "FROB", "x" },
		/* 15 characters is the most. */
		{ "abcdefghijklmno", 0, "ABCDEFGHIJKLMNO", "" },
		{ "abcdefghijklmno arg", 0, "ABCDEFGHIJKLMNO", "arg" },
		/* Empty or missing verb. */
		{ "", -1, NULL, NULL },
		{ " ", -1, NULL, NULL },
		{ " NOOP", -1, NULL, NULL },
		/* Verb too long. */
		{ "abcdefghijklmnop", -1, NULL, NULL },
		{ "abcdefghijklmnop x", -1, NULL, NULL },
		{ "RETRRETRRETRRETRRETRRETRRETRRETRRETR x", -1, NULL, NULL },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char verb[VERB_SIZE];
		const char *arg = NULL;
		int rc = command_parse(cases[i].line, verb, sizeof(verb), &arg);

		if (rc != cases[i].rc)
			print_error("case %zu: \"%s\"\n", i, cases[i].line);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 0) {
			assert_string_equal(verb, cases[i].verb);
			assert_non_null(arg);
			assert_string_equal(arg, cases[i].arg);
			/* ARG points into LINE (no copy, no truncation). */
			assert_true(arg >= cases[i].line &&
				    arg <= cases[i].line + strlen(cases[i].line));
		}
	}
}

/* VERB_SIZE is honoured whatever it is: no byte written past it. */
static void test_parse_verb_size(void **state)
{
	char verb[32];
	const char *arg;
	(void)state;

	for (unsigned size = 1; size <= 8; size++) {
		memset(verb, 'Z', sizeof(verb));
		int rc = command_parse("RETR x", verb, size, &arg);
		assert_int_equal(rc, size >= 5 ? 0 : -1);
		for (size_t j = size; j < sizeof(verb); j++)
			assert_int_equal(verb[j], 'Z');
		if (rc == 0)
			assert_string_equal(verb, "RETR");
	}
}

/* ---- command_find ----------------------------------------------------- */

static void test_find_unknown(void **state)
{
	const char *unknown[] = { "FROB",  "",      "RET",   "RETRX", "retr", "Retr",
				  "XRETR", "NOOP ", " NOOP", "CWDX",  "SITEX" };
	(void)state;

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		if (command_find(unknown[i]) != NULL)
			print_error("\"%s\" found\n", unknown[i]);
		assert_null(command_find(unknown[i]));
	}
}

static void test_find_rfc959_verbs(void **state)
{
	/* RFC 959 §4.1, every command. */
	const char *rfc959[] = { "USER", "PASS", "ACCT", "CWD",  "CDUP", "SMNT", "QUIT",
				 "REIN", "PORT", "PASV", "TYPE", "STRU", "MODE", "RETR",
				 "STOR", "STOU", "APPE", "ALLO", "REST", "RNFR", "RNTO",
				 "ABOR", "DELE", "RMD",  "MKD",  "PWD",  "LIST", "NLST",
				 "SITE", "SYST", "STAT", "HELP", "NOOP" };
	/* Extensions the server speaks (RFC 2389, 2428, 3659, 775). */
	const char *ext[] = { "FEAT", "OPTS", "EPSV", "EPRT", "MLSD", "MLST",
			      "SIZE", "MDTM", "XPWD", "XCWD", "XCUP", "AUTH" };
	(void)state;

	for (size_t i = 0; i < sizeof(rfc959) / sizeof(rfc959[0]); i++) {
		const struct command *c = command_find(rfc959[i]);
		if (!c)
			print_error("RFC 959 verb %s missing\n", rfc959[i]);
		assert_non_null(c);
		assert_string_equal(c->name, rfc959[i]);
		assert_non_null(c->handler);
	}
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		const struct command *c = command_find(ext[i]);
		if (!c)
			print_error("verb %s missing\n", ext[i]);
		assert_non_null(c);
		assert_string_equal(c->name, ext[i]);
		assert_non_null(c->handler);
	}
}

/* A few rows whose flags matter for security or for the protocol. */
static void test_find_flags(void **state)
{
	const struct {
		const char *verb;
		bool needs_login;
		enum cmd_arg arg;
	} rows[] = {
		{ "USER", false, ARG_REQUIRED },
		{ "PASS", false, ARG_OPTIONAL }, /* empty password allowed */
		{ "QUIT", false, ARG_NONE },
		{ "FEAT", false, ARG_NONE },
		{ "NOOP", false, ARG_NONE },
		{ "PWD", true, ARG_NONE },
		{ "CWD", true, ARG_REQUIRED },
		{ "CDUP", true, ARG_NONE },
		{ "PASV", true, ARG_NONE },
		{ "EPSV", true, ARG_OPTIONAL },
		{ "LIST", true, ARG_OPTIONAL },
		{ "NLST", true, ARG_OPTIONAL },
		{ "MLSD", true, ARG_OPTIONAL },
		{ "RETR", true, ARG_REQUIRED },
		{ "STOR", true, ARG_REQUIRED },
		{ "TYPE", true, ARG_REQUIRED },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct command *c = command_find(rows[i].verb);
		assert_non_null(c);
		assert_int_equal(c->needs_login, rows[i].needs_login);
		assert_int_equal(c->arg, rows[i].arg);
	}
	/* Anything that touches files needs a login. */
	{
		const char *fs[] = { "RETR", "STOR", "APPE", "STOU", "DELE", "RMD",  "MKD",  "RNFR",
				     "RNTO", "LIST", "NLST", "MLSD", "MLST", "SIZE", "MDTM", "CWD",
				     "CDUP", "PWD",  "SITE", "PORT", "PASV", "EPSV", "EPRT" };
		for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
			const struct command *c = command_find(fs[i]);
			assert_non_null(c);
			if (!c->needs_login)
				print_error("%s allowed before login\n", fs[i]);
			assert_true(c->needs_login);
		}
	}
}

/* parse + find together, as the engine uses them. */
static void test_parse_then_find(void **state)
{
	char verb[VERB_SIZE];
	const char *arg;
	const struct command *c;
	(void)state;

	assert_int_equal(command_parse("retr x", verb, sizeof(verb), &arg), 0);
	c = command_find(verb);
	assert_non_null(c);
	assert_string_equal(c->name, "RETR");
	assert_string_equal(arg, "x");

	assert_int_equal(command_parse("frobnicate", verb, sizeof(verb), &arg), 0);
	assert_null(command_find(verb));
}

/* ---- ctrl_strip_telnet ------------------------------------------------ */

#define IAC "\xff"
#define IP "\xf4"
#define DM "\xf2"
#define WILL "\xfb"
#define WONT "\xfc"
#define DO "\xfd"
#define DONT "\xfe"

static void assert_strip(const char *in, size_t n, const char *want, size_t wn)
{
	char buf[64];
	size_t got;

	assert_true(n + 1 < sizeof(buf));
	memset(buf, 'Z', sizeof(buf));
	memcpy(buf, in, n);
	buf[n] = '\0';
	got = ctrl_strip_telnet(buf, n);
	assert_int_equal(got, wn);
	assert_memory_equal(buf, want, wn);
	/* Terminated at the new length; nothing past the input touched. */
	assert_int_equal(buf[got], '\0');
	for (size_t j = n + 1; j < sizeof(buf); j++)
		assert_int_equal(buf[j], 'Z');
}

#define STRIP(in, want) assert_strip(in, sizeof(in) - 1, want, sizeof(want) - 1)

static void test_strip_telnet(void **state)
{
	(void)state;
	STRIP("NOOP", "NOOP");
	STRIP("", "");
	/* IAC IP / IAC DM (the ABOR sequence of RFC 959 §4.1.3). */
	STRIP(IAC IP "ABOR", "ABOR");
	STRIP(IAC IP IAC DM "ABOR", "ABOR");
	STRIP("NO" IAC IP "OP", "NOOP");
	STRIP("NO" IAC DM "OP", "NOOP");
	/* Option negotiation: three bytes. */
	STRIP(IAC WILL "\x01"
		       "NOOP",
	      "NOOP");
	STRIP(IAC WONT "\x01"
		       "NOOP",
	      "NOOP");
	STRIP(IAC DO "\x03"
		     "NOOP",
	      "NOOP");
	STRIP(IAC DONT "\x18"
		       "NOOP",
	      "NOOP");
	STRIP("NO" IAC WILL "X"
	      "OP",
	      "NOOP");
	/* The option byte may itself be 0xFF. */
	STRIP(IAC WILL IAC "NOOP", "NOOP");
	/* IAC IAC is a literal 0xFF. */
	STRIP("RETR a" IAC IAC "b", "RETR a\xff"
				    "b");
	STRIP(IAC IAC IAC IAC, "\xff\xff");
	STRIP(IAC IAC IAC IP "x", "\xff"
				  "x");
	/* IAC at the end of the line. */
	STRIP("NOOP" IAC, "NOOP");
	STRIP(IAC, "");
	/* Cut-off negotiation at the end of the line. */
	STRIP("NOOP" IAC WILL, "NOOP");
	STRIP("NOOP" IAC DO, "NOOP");
}

/* ---- ctrl over a socketpair ------------------------------------------- */

struct link {
	int sv[2]; /* [0] the server's ctrl, [1] the test's "client" */
	struct ctrl c;
	char line[CTRL_BUF];
};

static int link_setup(void **state)
{
	struct link *l = calloc(1, sizeof(*l));

	if (!l)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, l->sv) < 0)
		return -1;
	ctrl_init(&l->c, l->sv[0], NULL, 0);
	*state = l;
	return 0;
}

static int link_teardown(void **state)
{
	struct link *l = *state;

	if (l->sv[0] >= 0)
		close(l->sv[0]);
	if (l->sv[1] >= 0)
		close(l->sv[1]);
	free(l);
	return 0;
}

static void send_all(int fd, const void *p, size_t n)
{
	const char *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);
		assert_true(w > 0);
		b += w;
		n -= (size_t)w;
	}
}

#define SEND(l, s) send_all((l)->sv[1], s, sizeof(s) - 1)

static void expect_line(struct link *l, const char *want)
{
	enum ctrl_read r = ctrl_read_line(&l->c, l->line, 5);

	if (r != CTRL_LINE)
		print_error("want line \"%s\", got result %d\n", want, r);
	assert_int_equal(r, CTRL_LINE);
	assert_string_equal(l->line, want);
}

static void test_read_pipelined(void **state)
{
	struct link *l = *state;

	SEND(l, "USER alice\r\nPASS secret\r\nPWD\r\n");
	expect_line(l, "USER alice");
	/* The rest is already buffered. */
	assert_true(ctrl_has_line(&l->c));
	expect_line(l, "PASS secret");
	assert_true(ctrl_has_line(&l->c));
	expect_line(l, "PWD");
	assert_false(ctrl_has_line(&l->c));
}

static void test_read_bare_lf_and_empty(void **state)
{
	struct link *l = *state;

	SEND(l, "NOOP\nSYST\r\n\r\n\nX\r\r\n");
	expect_line(l, "NOOP");
	expect_line(l, "SYST");
	expect_line(l, "");
	expect_line(l, "");
	/* Only one CR is the line ending's. */
	expect_line(l, "X\r");
}

static void test_read_byte_by_byte(void **state)
{
	struct link *l = *state;
	const char *s = "RETR file\r\n";

	for (size_t i = 0; s[i]; i++)
		send_all(l->sv[1], s + i, 1);
	expect_line(l, "RETR file");
}

static void test_read_telnet_in_line(void **state)
{
	struct link *l = *state;

	SEND(l, IAC IP IAC DM "ABOR\r\nRETR a" IAC IAC "b\r\n");
	expect_line(l, "ABOR");
	expect_line(l, "RETR a\xff"
		       "b");
}

/* "DELE a\0b" must not become "DELE a": the line is refused whole. */
static void test_read_nul_in_line(void **state)
{
	struct link *l = *state;

	SEND(l, "DELE a\0b\r\nNOOP\r\n\0\r\nPWD\r\n");
	assert_int_equal(ctrl_read_line(&l->c, l->line, 5), CTRL_NUL);
	expect_line(l, "NOOP");
	assert_int_equal(ctrl_read_line(&l->c, l->line, 5), CTRL_NUL);
	expect_line(l, "PWD");
}

static void test_read_pending(void **state)
{
	struct link *l = *state;
	const char pend[] = "PWD\r\nTYPE I\r\nLI";

	/* Bytes a previous engine read past PASS come first. */
	ctrl_init(&l->c, l->sv[0], pend, sizeof(pend) - 1);
	assert_true(ctrl_has_line(&l->c));
	SEND(l, "ST\r\n");
	expect_line(l, "PWD");
	expect_line(l, "TYPE I");
	expect_line(l, "LIST");
}

/* CTRL_BUF counts the CRLF: CTRL_BUF-2 characters + CRLF is the longest
 * line, as is CTRL_BUF-1 + a bare LF. */
static void test_read_longest_line(void **state)
{
	struct link *l = *state;
	static char buf[CTRL_BUF + 16];
	enum ctrl_read r;

	memset(buf, 'A', CTRL_BUF - 2);
	memcpy(buf + CTRL_BUF - 2, "\r\n", 2);
	send_all(l->sv[1], buf, CTRL_BUF);
	r = ctrl_read_line(&l->c, l->line, 5);
	assert_int_equal(r, CTRL_LINE);
	assert_int_equal(strlen(l->line), CTRL_BUF - 2);

	memset(buf, 'B', CTRL_BUF - 1);
	buf[CTRL_BUF - 1] = '\n';
	send_all(l->sv[1], buf, CTRL_BUF);
	r = ctrl_read_line(&l->c, l->line, 5);
	assert_int_equal(r, CTRL_LINE);
	assert_int_equal(strlen(l->line), CTRL_BUF - 1);
	assert_int_equal(l->line[0], 'B');

	/* Behind a short line in the same write. */
	memcpy(buf, "NOOP\r\n", 6);
	memset(buf + 6, 'C', CTRL_BUF - 2);
	memcpy(buf + 6 + CTRL_BUF - 2, "\r\n", 2);
	send_all(l->sv[1], buf, CTRL_BUF + 6);
	expect_line(l, "NOOP");
	r = ctrl_read_line(&l->c, l->line, 5);
	assert_int_equal(r, CTRL_LINE);
	assert_int_equal(strlen(l->line), CTRL_BUF - 2);
}

/* An over-long line is answered once and the session stays in sync. */
static void check_too_long(struct link *l, size_t len, size_t chunk, const char *prefix)
{
	size_t plen = strlen(prefix);
	size_t total = plen + len + 2 + 6;
	char *buf = malloc(total);
	enum ctrl_read r;

	assert_non_null(buf);
	memcpy(buf, prefix, plen);
	memset(buf + plen, 'L', len);
	memcpy(buf + plen + len, "\r\nNOOP\r\n", 8);
	/* A writer process: small chunks would fill the socket buffer
	 * (per-write overhead) before the reader runs. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (size_t off = 0; off < total; off += chunk) {
			size_t n = total - off < chunk ? total - off : chunk;
			if (write(l->sv[1], buf + off, n) != (ssize_t)n)
				_exit(1);
		}
		_exit(0);
	}
	if (plen)
		expect_line(l, "PWD");
	r = ctrl_read_line(&l->c, l->line, 5);
	if (r != CTRL_TOO_LONG)
		print_error("len %zu chunk %zu: got %d\n", len, chunk, r);
	assert_int_equal(r, CTRL_TOO_LONG);
	/* Once, then the next line. */
	expect_line(l, "NOOP");
	assert_false(ctrl_has_line(&l->c));
	{
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	free(buf);
}

static void test_read_too_long(void **state)
{
	struct link *l = *state;
	const size_t lens[] = { CTRL_BUF - 1, CTRL_BUF,     CTRL_BUF + 1,
				5000,         2 * CTRL_BUF, 3 * CTRL_BUF + 17 };
	const size_t chunks[] = { 1u << 20, 1000, CTRL_BUF, 7 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		for (size_t j = 0; j < sizeof(chunks) / sizeof(chunks[0]); j++) {
			check_too_long(l, lens[i], chunks[j], "");
			check_too_long(l, lens[i], chunks[j], "PWD\r\n");
		}
}

/* A line cut off exactly at the end of a full buffer, the CR in it and the
 * LF in the next read. */
static void test_read_too_long_split_crlf(void **state)
{
	struct link *l = *state;
	static char buf[CTRL_BUF + 8];

	memset(buf, 'A', CTRL_BUF - 1);
	buf[CTRL_BUF - 1] = '\r';
	send_all(l->sv[1], buf, CTRL_BUF);
	/* Make sure the first read sees exactly CTRL_BUF bytes. */
	usleep(50 * 1000);
	SEND(l, "\nQUIT\r\n");
	assert_int_equal(ctrl_read_line(&l->c, l->line, 5), CTRL_TOO_LONG);
	expect_line(l, "QUIT");
}

static void test_read_eof(void **state)
{
	struct link *l = *state;

	SEND(l, "QUIT\r\nPARTIAL");
	shutdown(l->sv[1], SHUT_WR);
	expect_line(l, "QUIT");
	assert_int_equal(ctrl_read_line(&l->c, l->line, 5), CTRL_EOF);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_read_timeout(void **state)
{
	struct link *l = *state;
	double t0 = now_s(), dt;

	assert_int_equal(ctrl_read_line(&l->c, l->line, 1), CTRL_TIMEOUT);
	dt = now_s() - t0;
	assert_true(dt >= 0.9);
	assert_true(dt < 3.0);

	/* A line that arrives afterwards is still read. */
	SEND(l, "NOOP\r\n");
	expect_line(l, "NOOP");
}

/* "No complete line within the idle timeout" (ctrl.h): a client that
 * trickles one byte at a time, never finishing a line, must still time
 * out. */
static void test_read_timeout_trickle(void **state)
{
	struct link *l = *state;
	double t0, dt;
	enum ctrl_read r;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		/* 8 bytes, one every 0.4 s: 3.2 s with no complete line. */
		for (int i = 0; i < 8; i++) {
			if (write(l->sv[1], "x", 1) != 1)
				_exit(1);
			usleep(400 * 1000);
		}
		sleep(5);
		_exit(0);
	}
	t0 = now_s();
	r = ctrl_read_line(&l->c, l->line, 1);
	dt = now_s() - t0;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(r, CTRL_TIMEOUT);
	if (dt >= 2.0)
		print_error("timed out after %.1f s, not ~1 s\n", dt);
	assert_true(dt < 2.0);
}

/* ---- ctrl_reply ------------------------------------------------------- */

static size_t read_reply(struct link *l, char *buf, size_t size)
{
	size_t got = 0;

	/* Replies are written whole; drain what is there. */
	for (;;) {
		struct pollfd p = { .fd = l->sv[1], .events = POLLIN };
		ssize_t n;
		if (poll(&p, 1, got ? 100 : 2000) <= 0)
			break;
		n = read(l->sv[1], buf + got, size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == size)
			break;
	}
	return got;
}

static void test_reply_format(void **state)
{
	struct link *l = *state;
	char buf[CTRL_BUF * 2];
	size_t n;

	assert_int_equal(ctrl_reply(&l->c, 220, "ftpsd ready."), 0);
	n = read_reply(l, buf, sizeof(buf));
	assert_int_equal(n, strlen("220 ftpsd ready.\r\n"));
	assert_memory_equal(buf, "220 ftpsd ready.\r\n", n);

	assert_int_equal(ctrl_reply(&l->c, 257, "\"%s\" is the current directory", "/home/a b"), 0);
	n = read_reply(l, buf, sizeof(buf));
	buf[n] = '\0';
	assert_string_equal(buf, "257 \"/home/a b\" is the current directory\r\n");

	assert_int_equal(ctrl_reply(&l->c, 200, "%s", ""), 0);
	n = read_reply(l, buf, sizeof(buf));
	buf[n] = '\0';
	assert_string_equal(buf, "200 \r\n");

	/* A percent sign in an argument is not a format. */
	assert_int_equal(ctrl_reply(&l->c, 550, "%s: No such file", "100%s%n"), 0);
	n = read_reply(l, buf, sizeof(buf));
	buf[n] = '\0';
	assert_string_equal(buf, "550 100%s%n: No such file\r\n");
}

/* A reply longer than the buffer is clipped but still one well-formed
 * line: CODE, text, CRLF, no NUL. */
static void test_reply_clipped(void **state)
{
	struct link *l = *state;
	static char text[3 * CTRL_BUF], buf[3 * CTRL_BUF];
	size_t n;

	memset(text, 'T', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(ctrl_reply(&l->c, 500, "%s", text), 0);
	n = read_reply(l, buf, sizeof(buf));
	assert_true(n > 6);
	assert_true(n <= CTRL_BUF + 16);
	assert_memory_equal(buf, "500 ", 4);
	assert_memory_equal(buf + n - 2, "\r\n", 2);
	assert_null(memchr(buf, '\0', n));
	for (size_t i = 4; i < n - 2; i++)
		assert_int_equal(buf[i], 'T');
}

static void test_reply_peer_gone(void **state)
{
	struct link *l = *state;
	struct sigaction sa = { .sa_handler = SIG_IGN }, old;

	close(l->sv[1]);
	l->sv[1] = -1;
	sigaction(SIGPIPE, &sa, &old);
	assert_int_equal(ctrl_reply(&l->c, 421, "bye"), -1);
	sigaction(SIGPIPE, &old, NULL);
}

/* vsftpd's cmds_allowed / cmds_denied lists. */
static void test_command_permitted(void **state)
{
	(void)state;
	assert_true(command_permitted("", "", "RETR"));
	assert_true(command_permitted("user,PASS, retr ,QUIT", "", "RETR"));
	assert_false(command_permitted("USER,PASS,QUIT", "", "RETR"));
	assert_false(command_permitted("USER,PASS,QUITX", "", "QUIT"));
	assert_false(command_permitted("", "DELE,RMD", "RMD"));
	assert_true(command_permitted("", "DELE,RMD", "RM"));
	assert_false(command_permitted("RETR,DELE", "dele", "DELE"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),       cmocka_unit_test(test_command_permitted),
		cmocka_unit_test(test_parse_verb_size),   cmocka_unit_test(test_find_unknown),
		cmocka_unit_test(test_find_rfc959_verbs), cmocka_unit_test(test_find_flags),
		cmocka_unit_test(test_parse_then_find),   cmocka_unit_test(test_strip_telnet),
	};
#define LINK(t) cmocka_unit_test_setup_teardown(t, link_setup, link_teardown)
	const struct CMUnitTest ctrl_tests[] = {
		LINK(test_read_pipelined),
		LINK(test_read_bare_lf_and_empty),
		LINK(test_read_byte_by_byte),
		LINK(test_read_telnet_in_line),
		LINK(test_read_nul_in_line),
		LINK(test_read_pending),
		LINK(test_read_longest_line),
		LINK(test_read_too_long),
		LINK(test_read_too_long_split_crlf),
		LINK(test_read_eof),
		LINK(test_read_timeout),
		LINK(test_read_timeout_trickle),
		LINK(test_reply_format),
		LINK(test_reply_clipped),
		LINK(test_reply_peer_gone),
	};
	int failed;

	failed = cmocka_run_group_tests_name("commands", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("ctrl", ctrl_tests, NULL, NULL);
	return failed;
}
