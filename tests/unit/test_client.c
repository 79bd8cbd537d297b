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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "privsep/client.h"

/* A child reads one request, checks its type, sends NLOGS LOG lines
 * (as a relay may before its answer), then answers with REPLY (which may
 * carry REPLY->fd); with REPLY NULL it hangs up, with REPLY->type 0 it
 * says nothing for 0.3 s. */
/* A child on the other end of *LINK that has read a request of type WANT
 * (or exited 2): 0 in the child, with its end in *PEER; its pid here. */
static pid_t fork_peer(int *link, uint16_t want, int *peer)
{
	static struct priv_msg m;
	int sv[2];
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		if (priv_recv(sv[1], &m) != 1 || m.type != want)
			_exit(2);
		*peer = sv[1];
		return 0;
	}
	close(sv[1]);
	*link = sv[0];
	return pid;
}

static pid_t fake_peer(int *link, uint16_t want, unsigned nlogs, const struct priv_msg *reply)
{
	int peer;
	pid_t pid = fork_peer(link, want, &peer);

	if (pid == 0) {
		static struct priv_msg m;
		struct priv_log v = { .level = LOG_LVL_INFO };
		snprintf(v.line, sizeof(v.line), "flushing");
		for (unsigned i = 0; i < nlogs; i++) {
			priv_encode_log(&m, &v);
			if (priv_send(peer, &m) < 0)
				_exit(3);
		}
		if (reply && reply->type == 0)
			usleep(300000);
		else if (reply && priv_send(peer, reply) < 0)
			_exit(3);
		_exit(0);
	}
	return pid;
}

static pid_t fake_monitor(int *link, uint16_t want, const struct priv_msg *reply)
{
	return fake_peer(link, want, 0, reply);
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

/* The relay's side of RELAY_HANDOFF. */
static pid_t fake_relay(int *link, unsigned nlogs, const struct priv_msg *reply)
{
	return fake_peer(link, PRIV_RELAY_HANDOFF, nlogs, reply);
}

static void count_log(void *arg, struct priv_msg *m)
{
	struct priv_log v;

	assert_int_equal(priv_decode_log(m, &v), 0);
	assert_string_equal(v.line, "flushing");
	++*(unsigned *)arg;
}

static void fill_keys(struct priv_tls_keys *k)
{
	memset(k, 0, sizeof(*k));
	k->suite = 0x1301;
	k->secret_len = 32;
	memset(k->read_secret, 0xaa, 32);
	memset(k->write_secret, 0xbb, 32);
	k->read_seq = 3;
	k->write_seq = 5;
}

/* The keys after the relay's last log lines, each handed to the caller. */
static void test_relay_handoff_keys(void **state)
{
	static struct priv_msg reply;
	struct priv_tls_keys sent, got;
	unsigned logs = 0;
	int link;
	pid_t pid;
	(void)state;

	fill_keys(&sent);
	priv_encode_tls_handoff(&reply, &sent);
	pid = fake_relay(&link, 2, &reply);
	assert_int_equal(priv_ask_relay_handoff(link, 5000, count_log, &logs, &got),
			 PRIV_HANDOFF_KEYS);
	assert_int_equal(logs, 2);
	assert_int_equal(got.suite, 0x1301);
	assert_int_equal(got.secret_len, 32);
	assert_memory_equal(got.read_secret, sent.read_secret, 32);
	assert_memory_equal(got.write_secret, sent.write_secret, 32);
	assert_int_equal(got.read_seq, 3);
	assert_int_equal(got.write_seq, 5);
	close(link);
	reap(pid);
}

static void test_relay_handoff_stays(void **state)
{
	static struct priv_msg reply;
	struct priv_tls_keys got;
	unsigned logs = 0;
	int link;
	pid_t pid;
	(void)state;

	priv_encode_tls_handoff(&reply, NULL);
	pid = fake_relay(&link, 0, &reply);
	assert_int_equal(priv_ask_relay_handoff(link, 5000, count_log, &logs, &got),
			 PRIV_HANDOFF_STAYS);
	assert_int_equal(got.suite, 0);
	close(link);
	reap(pid);
}

/* Another message, or the handoff with an fd it never carries: a hostile
 * relay, told apart from one that is gone; no key and no fd is kept. */
static void test_relay_handoff_bad(void **state)
{
	static struct priv_msg reply;
	struct priv_tls_keys sent, got;
	unsigned logs = 0;
	int link, before = open_fds();
	pid_t pid;
	(void)state;

	priv_encode_tls_ready_ack(&reply);
	pid = fake_relay(&link, 1, &reply);
	assert_int_equal(priv_ask_relay_handoff(link, 5000, count_log, &logs, &got),
			 PRIV_HANDOFF_BAD);
	assert_int_equal(logs, 1);
	close(link);
	reap(pid);

	fill_keys(&sent);
	priv_encode_tls_handoff(&reply, &sent);
	reply.fd = 0;
	pid = fake_relay(&link, 0, &reply);
	assert_int_equal(priv_ask_relay_handoff(link, 5000, count_log, &logs, &got),
			 PRIV_HANDOFF_BAD);
	assert_int_equal(got.suite, 0);
	assert_int_equal(got.read_secret[0], 0);
	close(link);
	reap(pid);
	assert_int_equal(open_fds(), before);
}

/* A relay that hangs up, or says nothing within the timeout: gone. */
static void test_relay_handoff_gone(void **state)
{
	static struct priv_msg silence; /* type 0: the fake waits */
	struct priv_tls_keys got;
	unsigned logs = 0;
	int link;
	pid_t pid;
	(void)state;

	pid = fake_relay(&link, 1, NULL);
	assert_int_equal(priv_ask_relay_handoff(link, 5000, count_log, &logs, &got),
			 PRIV_HANDOFF_GONE);
	assert_int_equal(logs, 1);
	close(link);
	reap(pid);

	pid = fake_relay(&link, 0, &silence);
	assert_int_equal(priv_ask_relay_handoff(link, 50, count_log, &logs, &got),
			 PRIV_HANDOFF_GONE);
	close(link);
	reap(pid);
}

/* A hostile relay that logs instead of answering, every PAUSE_US for
 * ever (until the monitor hangs up). */
static pid_t log_flooder(int *link, unsigned pause_us)
{
	int peer;
	pid_t pid = fork_peer(link, PRIV_RELAY_HANDOFF, &peer);

	if (pid == 0) {
		static struct priv_msg m;
		struct priv_log v = { .level = LOG_LVL_INFO };
		snprintf(v.line, sizeof(v.line), "flushing");
		do {
			priv_encode_log(&m, &v);
			usleep(pause_us);
		} while (priv_send(peer, &m) == 0);
		_exit(0);
	}
	return pid;
}

static long long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000LL + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Log lines without end: past PRIV_HANDOFF_MAX_LOGS a flood is hostile;
 * slow ones cannot stretch the wait past its one deadline. */
static void test_relay_handoff_log_flood(void **state)
{
	struct priv_tls_keys got;
	struct timespec t0;
	unsigned logs = 0;
	int link;
	pid_t pid;
	(void)state;

	pid = log_flooder(&link, 0);
	assert_int_equal(priv_ask_relay_handoff(link, 5000, count_log, &logs, &got),
			 PRIV_HANDOFF_BAD);
	assert_int_equal(logs, PRIV_HANDOFF_MAX_LOGS);
	close(link);
	reap(pid);

	logs = 0;
	pid = log_flooder(&link, 20000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(priv_ask_relay_handoff(link, 300, count_log, &logs, &got),
			 PRIV_HANDOFF_GONE);
	assert_true(elapsed_ms(&t0) < 1000);
	assert_true(logs > 0 && logs < PRIV_HANDOFF_MAX_LOGS);
	close(link);
	reap(pid);
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
		cmocka_unit_test(test_relay_handoff_keys),
		cmocka_unit_test(test_relay_handoff_stays),
		cmocka_unit_test(test_relay_handoff_bad),
		cmocka_unit_test(test_relay_handoff_gone),
		cmocka_unit_test(test_relay_handoff_log_flood),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
