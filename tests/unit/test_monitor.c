/* Unit tests for monitor/monitor.c's loop and the relay every monitor forks
 * before AUTH TLS (monitor/relay_ctl.c): a waiting relay that sends a byte
 * before PRIV_RELAY_START is a compromised one and ends the session as a
 * violation; a waiting relay that dies (its link's end shows POLLIN too) is
 * only ended, and the session goes on. The relay is a fake (monitor_ops):
 * the test holds the other end of its link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ssl.h>

#include "common/log.h"
#include "config/config.h"
#include "monitor/monitor_state.h"

static const char conf[] = "listen_address=127.0.0.1\nssl_enable=YES\n"
			   "rsa_cert_file=/nonexistent/cert.pem\nlogin_timeout=30\n";

static struct ftpsd_config cfg;
static struct tls_vhost tls[CFG_MAX_VHOSTS];
static struct monitor_env env;
static struct monitor mon;
static int relay_peer = -1, engine_peer = -1, client_peer = -1, log_fd = -1;

static pid_t fake_spawn_relay(struct monitor *m, int *relay_link, int *plain_fd)
{
	int link[2], plain[2];

	(void)m;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, link), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, plain), 0);
	close(plain[1]);
	relay_peer = link[1];
	*relay_link = link[0];
	*plain_fd = plain[0];
	return 0; /* no process to signal or wait for */
}

static const struct monitor_ops fake_ops = { .spawn_relay = fake_spawn_relay };

/* A session before login, as monitor_serve_session leaves it, with the
 * engine's and the client's ends held here, its relay forked (a fake)
 * and waiting. */
static int start_session(void **state)
{
	struct net_addr peer, local;
	int eng[2], cli[2];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	const struct log_sinks sinks = { .file_fd = log_fd = memfd_create("log", 0) };

	(void)state;
	assert_non_null(ctx);
	assert_true(log_fd >= 0);
	log_init(&sinks);
	assert_int_equal(config_load_string(&cfg, "test", conf, NULL), 0);
	tls[0].full = ctx; /* never used for a handshake here */
	env = (struct monitor_env){
		.xferlog_fd = -1, .vsftpd_log_fd = -1, .tls = tls, .key_fd = -1, .report_fd = -1
	};
	memset(&mon, 0, sizeof(mon));
	mon.ops = &fake_ops;
	mon.env = &env;
	mon.key_fd = -1;
	mon.engine = mon.relay = -1;
	mon.relay_fd = mon.master_fd = -1;
	mon.idle_relay = mon.idle_relay_fd = mon.idle_relay_plain = -1;
	mon.state = PRIV_ST_PREAUTH;
	assert_int_equal(net_addr_parse(&peer, "127.0.0.1", 40001), 0);
	assert_int_equal(net_addr_parse(&local, "127.0.0.1", 21), 0);
	session_given_init(&mon.given, &cfg);
	session_given_connect(&mon.given, &cfg.vhosts[0], &tls[0], &peer, &local, NULL);
	session_login_init(&mon.login);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, eng), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cli), 0);
	mon.priv_fd = eng[0];
	engine_peer = eng[1];
	mon.client_fd = mon.ctrl_fd = cli[0];
	client_peer = cli[1];
	assert_int_equal(mon_prefork_relay(&mon), 0);
	assert_true(mon.idle_relay_fd >= 0 && relay_peer >= 0);
	return 0;
}

static int end_session(void **state)
{
	const int fds[] = { mon.priv_fd, mon.client_fd, mon.idle_relay_fd, mon.idle_relay_plain,
			    engine_peer, client_peer,   relay_peer,        log_fd };

	(void)state;
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	relay_peer = engine_peer = client_peer = log_fd = -1;
	SSL_CTX_free(tls[0].full);
	return 0;
}

/* What the monitor logged so far. */
static const char *logged(void)
{
	static char buf[8192];
	ssize_t n = pread(log_fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void serve_until(long long ms)
{
	mon.login_deadline = mon_now_ms() + ms;
	mon_serve(&mon);
}

static void test_a_waiting_relay_that_sends_is_a_violation(void **state)
{
	(void)state;
	assert_int_equal(send(relay_peer, "x", 1, 0), 1);
	serve_until(5000);
	assert_true(mon.done);
	assert_non_null(strstr(logged(), "violation: the relay sent before RELAY_START"));
	assert_null(strstr(logged(), "login_timeout")); /* ended by the byte, not the clock */
}

static void test_a_waiting_relay_that_dies_is_only_ended(void **state)
{
	(void)state;
	close(relay_peer);
	relay_peer = -1;
	serve_until(300);
	assert_int_equal(mon.idle_relay_fd, -1); /* ended... */
	assert_null(strstr(logged(), "violation"));
	/* ...and the session went on until its login deadline. */
	assert_non_null(strstr(logged(), "no login within login_timeout"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_waiting_relay_that_sends_is_a_violation,
						start_session, end_session),
		cmocka_unit_test_setup_teardown(test_a_waiting_relay_that_dies_is_only_ended,
						start_session, end_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
