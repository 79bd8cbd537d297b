/* Unit tests for privsep/client.c: a typed request gets the reply its row
 * names, or fails closed (the wrong type, a malformed answer, a peer that
 * hangs up or says nothing in time), never leaking a passed fd. The monitor
 * side is a forked child on a real SOCK_SEQPACKET pair. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "privsep/client.h"

/* A child reads one request, checks its type, and answers with REPLY
 * (which may carry REPLY->fd); with REPLY NULL it hangs up. */
static pid_t fake_monitor(int *link, uint16_t want, const struct priv_msg *reply)
{
	int sv[2];
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static struct priv_msg m;
		close(sv[0]);
		if (priv_recv(sv[1], &m) != 1 || m.type != want)
			_exit(2);
		if (reply && priv_send(sv[1], reply) < 0)
			_exit(3);
		_exit(0);
	}
	close(sv[1]);
	*link = sv[0];
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static void test_pasv_ok(void **state)
{
	static struct priv_msg reply;
	struct priv_pasv_result in = { .status = PASV_OK, .fd = 0 }, out;
	int link, before = open_fds();
	pid_t pid;
	(void)state;

	assert_int_equal(net_addr_parse(&in.advertise, "192.0.2.1", 40000), 0);
	priv_encode_pasv_result(&reply, &in);
	pid = fake_monitor(&link, PRIV_PASV, &reply);
	assert_int_equal(priv_ask_pasv(link, PASV_KIND_PASV, &out), 0);
	assert_int_equal(out.status, PASV_OK);
	assert_true(out.fd >= 0);
	assert_int_equal(net_addr_port(&out.advertise), 40000);
	close(out.fd);
	close(link);
	reap(pid);
	assert_int_equal(open_fds(), before);
}

/* The right fd-carrying answer to another question: refused, fd closed. */
static void test_wrong_reply_type(void **state)
{
	static struct priv_msg reply;
	uint32_t status;
	int link, fd, before = open_fds();
	pid_t pid;
	(void)state;

	priv_encode_auth_tls_result(&reply, 0, 0);
	pid = fake_monitor(&link, PRIV_PORT_CONNECT, &reply);
	{
		struct net_addr a;
		assert_int_equal(net_addr_parse(&a, "192.0.2.1", 2000), 0);
		assert_int_equal(priv_ask_port(link, &a, &status, &fd), -1);
	}
	assert_int_equal(fd, -1);
	close(link);
	reap(pid);
	assert_int_equal(open_fds(), before);
}

/* The right type, but an fd where the row has none: malformed. */
static void test_reply_with_stray_fd(void **state)
{
	static struct priv_msg reply;
	uint32_t result;
	int link, before = open_fds();
	pid_t pid;
	static struct priv_host h;
	(void)state;

	priv_encode_host_result(&reply, HOST_UNKNOWN);
	reply.fd = 0;
	pid = fake_monitor(&link, PRIV_HOST, &reply);
	assert_int_equal(priv_ask_host(link, &h, &result), -1);
	close(link);
	reap(pid);
	assert_int_equal(open_fds(), before);
}

static void test_login_fail_and_hangup(void **state)
{
	static struct priv_msg reply;
	static struct priv_login l;
	uint32_t result = 0;
	int link;
	pid_t pid;
	(void)state;

	snprintf(l.user, sizeof(l.user), "alice");
	snprintf(l.pass, sizeof(l.pass), "secret");
	priv_encode_login_result(&reply, LOGIN_CLOSE);
	pid = fake_monitor(&link, PRIV_LOGIN, &reply);
	assert_int_equal(priv_ask_login(link, &l, &result), 0);
	assert_int_equal(result, LOGIN_CLOSE);
	close(link);
	reap(pid);

	pid = fake_monitor(&link, PRIV_LOGIN, NULL);
	assert_int_equal(priv_ask_login(link, &l, &result), -1);
	close(link);
	reap(pid);
}

/* A key holder that says nothing: the deadline ends the wait. */
static void test_sign_timeout(void **state)
{
	static struct priv_sign req = { .key_type = KEY_ECDSA, .op = SIGN_ECDSA, .len = 1 };
	static struct priv_sign_result res;
	int sv[2];
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(priv_ask_sign(sv[0], &req, &res, 50), -1);
	close(sv[0]);
	close(sv[1]);
}

/* A message no reply belongs to is not a request. */
static void test_no_reply_no_call(void **state)
{
	static struct priv_msg m;
	int sv[2];
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	priv_msg_init(&m, PRIV_XFER);
	assert_int_equal(priv_call(sv[0], &m, 0), -1);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pasv_ok),
		cmocka_unit_test(test_wrong_reply_type),
		cmocka_unit_test(test_reply_with_stray_fd),
		cmocka_unit_test(test_login_fail_and_hangup),
		cmocka_unit_test(test_sign_timeout),
		cmocka_unit_test(test_no_reply_no_call),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
