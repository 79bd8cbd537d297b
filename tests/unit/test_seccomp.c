/* Unit test for sandbox/seccomp.c's violation handler: a sandboxed process
 * that makes a forbidden call reports it and dies of SIGSYS, without
 * running the call (or any other) again with whatever its registers hold
 * (issue 10 item 9).
 *
 * How it can tell: a child first installs a filter of its own that traps
 * close(0x5eed) and allows every other close, then the relay's filter
 * (which allows close). close(0x5eed) traps; a handler that re-ran
 * "syscall(nr)" would make a close with a garbage descriptor, which both
 * filters allow, return, and exit with 128 + SIGSYS instead of dying of
 * the signal. */
#include <errno.h>
#include <seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "privsep/codec.h"
#include "privsep/proto.h"
#include "sandbox/seccomp.h"

#define MAGIC_FD 0x5eed

static int trap_magic_close(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = -1;

	if (ctx && seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(close), 1,
				    SCMP_A0(SCMP_CMP_EQ, MAGIC_FD)) == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

static void test_violation_dies_of_sigsys(void **state)
{
	int sv[2], status;
	pid_t pid;
	struct priv_msg m;
	struct priv_log log;
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || trap_magic_close() < 0 ||
		    sandbox_seccomp_apply(ROLE_RELAY, sv[1], false) < 0)
			_exit(2);
		(void)syscall(SYS_close, MAGIC_FD);
		_exit(3); /* the trap must not return */
	}
	close(sv[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status))
		print_error("child exited with status %d\n", WEXITSTATUS(status));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
	/* And it said which call it was, first. */
	assert_int_equal(priv_recv(sv[0], &m), 1);
	assert_int_equal(m.type, PRIV_LOG);
	assert_int_equal(priv_decode_log(&m, &log), 0);
	assert_string_equal(log.line,
			    "violation: sandbox: ftpsd-relay attempted forbidden syscall 3");
	close(sv[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_violation_dies_of_sigsys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
