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
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "privsep/codec.h"
#include "privsep/proto.h"
#include "sandbox/role.h"
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

/* The NAT helper's filters (natmap/natmap.h): what it may do with the
 * gateway socket made before the filter, and what it may never do. */
enum natmap_act {
	ACT_WRITE_UDP,
	ACT_SEND_LINK,
	ACT_SENDTO_UDP,
	ACT_SOCKET_UDP,
	ACT_CONNECT,
	ACT_SOCKET_TCP,
	ACT_SOCKET_UNIX
};

static void natmap_act(enum natmap_act act, int udp)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(9),
				  .sin_addr = { .s_addr = htonl(INADDR_LOOPBACK) } };
	struct priv_msg m;
	int fd;

	switch (act) {
	case ACT_WRITE_UDP:
		if (write(udp, "x", 1) < 0 && errno != ECONNREFUSED)
			_exit(5);
		break;
	case ACT_SEND_LINK:
		priv_encode_log(&m, &(struct priv_log){ .line = "hello" });
		(void)priv_send(ROLE_FD_LINKS, &m);
		break;
	case ACT_SENDTO_UDP:
		(void)sendto(udp, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa));
		break;
	case ACT_SOCKET_UDP: (void)socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); break;
	case ACT_CONNECT: (void)connect(udp, (struct sockaddr *)&sa, sizeof(sa)); break;
	case ACT_SOCKET_TCP:
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
			_exit(4);
		break;
	case ACT_SOCKET_UNIX:
		(void)socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		break;
	}
}

/* ACT under ROLE's filter: true when it was allowed (the child exits 0),
 * false when it died of SIGSYS. */
static bool natmap_allows(enum sandbox_role role, enum natmap_act act)
{
	int sv[2], status;
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons(9),
					  .sin_addr = { .s_addr = htonl(INADDR_LOOPBACK) } };
		int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (udp < 0 || connect(udp, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    dup2(sv[1], ROLE_FD_LINKS) < 0 ||
		    sandbox_seccomp_apply(role, ROLE_FD_LINKS, false) < 0)
			_exit(2);
		natmap_act(act, udp);
		_exit(0);
	}
	close(sv[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(sv[0]);
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fail_msg("child exited with status %d", WEXITSTATUS(status));
	return WIFEXITED(status);
}

static void test_natmap_filters(void **state)
{
	(void)state;
	for (int r = 0; r < 2; r++) {
		enum sandbox_role role = r ? ROLE_NATMAP_TCP : ROLE_NATMAP;
		assert_true(natmap_allows(role, ACT_WRITE_UDP));
		assert_true(natmap_allows(role, ACT_SEND_LINK));
		/* An address of its choosing, on the gateway socket or a new one. */
		assert_false(natmap_allows(role, ACT_SENDTO_UDP));
		assert_false(natmap_allows(role, ACT_SOCKET_UDP));
		assert_false(natmap_allows(role, ACT_SOCKET_UNIX));
	}
	assert_false(natmap_allows(ROLE_NATMAP, ACT_CONNECT));
	assert_false(natmap_allows(ROLE_NATMAP, ACT_SOCKET_TCP));
	/* UPnP-IGD's HTTP: IPv4 TCP sockets and connect, nothing more. */
	assert_true(natmap_allows(ROLE_NATMAP_TCP, ACT_SOCKET_TCP));
	assert_true(natmap_allows(ROLE_NATMAP_TCP, ACT_CONNECT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_violation_dies_of_sigsys),
		cmocka_unit_test(test_natmap_filters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
