/* Test build only (make check builds tests/ftpsd-testhooks with
 * -DFTPSD_TEST_HOOKS; the installed ftpsd never contains this): XSBX makes
 * the engine attempt a syscall its sandbox forbids, so the tests can see
 * the violation kill it, logged, without harming other sessions. */
#ifdef FTPSD_TEST_HOOKS
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/commands.h"

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
