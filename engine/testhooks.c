/* Test build only (make check builds tests/ftpsd-testhooks with
 * -DFTPSD_TEST_HOOKS; the installed ftpsd never contains this): XSBX makes
 * the engine attempt a syscall its sandbox forbids, so the tests can see
 * the violation kill it, logged, without harming other sessions. XPRIV
 * makes it behave like a compromised engine towards its monitor. */
#ifdef FTPSD_TEST_HOOKS
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/commands.h"
#include "privsep/proto.h"

int cmd_xsbx(struct session *s, const char *arg)
{
	char *const argv[] = { (char *)"/bin/true", NULL };

	if (strcasecmp(arg, "socket") == 0)
		(void)socket(AF_INET, SOCK_STREAM, 0);
	else if (strcasecmp(arg, "execve") == 0)
		(void)execve(argv[0], argv, NULL);
	else if (strcasecmp(arg, "ptrace") == 0)
		(void)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	else if (strcasecmp(arg, "open") == 0)
		(void)open("/etc/passwd", O_RDONLY);
	else if (strcasecmp(arg, "write") == 0)
		(void)open("xsbx-probe", O_WRONLY | O_CREAT, 0600);
	else
		return ctrl_reply(&s->ctrl, 501, "XSBX socket|execve|ptrace|open|write");
	return ctrl_reply(&s->ctrl, 200, "XSBX %s survived", arg);
}
#endif

#ifdef FTPSD_TEST_HOOKS
/* XPRIV login N: N wrong-password LOGINs, reading each answer and
 * ignoring it (LOGIN_CLOSE included).
 * XPRIV pasv N: N PASV requests without reading a reply.
 * XPRIV host N: N HOST requests for the default vhost's own name.
 * XPRIV forge N: N LOG lines that try to start a forged line of ours.
 * XPRIV progress N: N transfer progress reports at once (who's on). */
int cmd_xpriv(struct session *s, const char *arg)
{
	static struct priv_login l;
	static struct priv_host h;
	struct priv_msg m;
	char what[16];
	int n = 0;

	if (sscanf(arg, "%15s %d", what, &n) != 2 || n <= 0 || n > 100000)
		return ctrl_reply(&s->ctrl, 501, "XPRIV login|pasv|host|forge|progress N");
	for (int i = 0; i < n; i++) {
		if (strcasecmp(what, "login") == 0) {
			snprintf(l.user, sizeof(l.user), "%s", "nosuchuser");
			snprintf(l.pass, sizeof(l.pass), "guess%d", i);
			priv_encode_login(&m, &l);
		} else if (strcasecmp(what, "pasv") == 0) {
			priv_encode_pasv(&m, PASV_KIND_EPSV);
		} else if (strcasecmp(what, "forge") == 0) {
			struct priv_log v = { .level = 1 };
			snprintf(v.line, sizeof(v.line), "%s",
				 "x\n2026-01-01T00:00:00Z ftpsd[1]: "
				 "login failed: user root client 203.0.113.9 (forged)");
			priv_encode_log(&m, &v);
		} else if (strcasecmp(what, "progress") == 0) {
			struct priv_xfer_progress v = { .direction = XFER_DOWNLOAD,
							.bytes = (uint64_t)i };
			snprintf(v.path, sizeof(v.path), "%s", "/flood");
			priv_encode_xfer_progress(&m, &v);
		} else if (strcasecmp(what, "host") == 0) {
			snprintf(h.name, sizeof(h.name), "%s", "localhost");
			priv_encode_host(&m, &h);
		} else {
			return ctrl_reply(&s->ctrl, 501, "XPRIV login|pasv|host|forge|progress N");
		}
		if (priv_send(s->priv_fd, &m) < 0 ||
		    (strcasecmp(what, "login") == 0 && priv_recv(s->priv_fd, &m) != 1))
			return ctrl_reply(&s->ctrl, 421, "XPRIV: the monitor is gone after %d", i);
	}
	return ctrl_reply(&s->ctrl, 200, "XPRIV %s sent %d", what, n);
}
#endif
