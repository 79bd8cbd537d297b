/* The engine's TLS 1.3 record layer (tls/tls13_record.c) over a socketpair:
 * a "client" end made with the secrets swapped talks to a server end.
 * Interoperability with real clients is the integration suite's job
 * (test_tls_handoff.py); this checks the edges a hostile client reaches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "tls/tls13_record.h"

struct pair {
	int fd[2];
	struct tls13_conn *server, *client;
};

static void keys_for(struct priv_tls_keys *k, uint16_t suite, size_t len, bool client)
{
	memset(k, 0, sizeof(*k));
	k->suite = suite;
	k->secret_len = (uint8_t)len;
	memset(client ? k->write_secret : k->read_secret, 0x11, len);
	memset(client ? k->read_secret : k->write_secret, 0x22, len);
	k->read_seq = client ? 7 : 3;
	k->write_seq = client ? 3 : 7;
}

static void open_pair(struct pair *p, uint16_t suite, size_t len)
{
	struct priv_tls_keys ks, kc;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->fd), 0);
	keys_for(&ks, suite, len, false);
	keys_for(&kc, suite, len, true);
	p->server = tls13_conn_new(p->fd[0], &ks);
	p->client = tls13_conn_new(p->fd[1], &kc);
	assert_non_null(p->server);
	assert_non_null(p->client);
}

static void close_pair(struct pair *p)
{
	tls13_conn_free(p->server);
	tls13_conn_free(p->client);
	close(p->fd[0]);
	close(p->fd[1]);
}

/* Everything READER can give now, up to SIZE. */
static ssize_t read_all(struct tls13_conn *reader, char *out, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got < size && (n = tls13_read(reader, out + got, size - got)) > 0)
		got += (size_t)n;
	return (ssize_t)got;
}

static void round_trip(uint16_t suite, size_t len)
{
	static char big[40000], back[40000];
	struct pair p;

	open_pair(&p, suite, len);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	assert_int_equal(tls13_write_all(p.client, "PWD\r\n", 5), 0);
	assert_int_equal(read_all(p.server, back, sizeof(back)), 5);
	assert_memory_equal(back, "PWD\r\n", 5);
	/* Three records one way (a reply longer than 16 KiB), then the other. */
	assert_int_equal(tls13_write_all(p.server, big, sizeof(big)), 0);
	assert_int_equal(read_all(p.client, back, sizeof(back)), (ssize_t)sizeof(big));
	assert_memory_equal(back, big, sizeof(big));
	assert_int_equal(tls13_read(p.server, back, sizeof(back)), -2);
	close_pair(&p);
}

static void test_round_trip_each_suite(void **state)
{
	(void)state;
	round_trip(0x1301, 32);
	round_trip(0x1302, 48);
	round_trip(0x1303, 32);
}

static void test_suites(void **state)
{
	struct priv_tls_keys k;

	(void)state;
	assert_true(tls13_suite_ok(0x1301, 32));
	assert_false(tls13_suite_ok(0x1301, 48));
	assert_false(tls13_suite_ok(0x1304, 32)); /* CCM: not ours */
	keys_for(&k, 0x1302, 32, false);
	assert_null(tls13_conn_new(0, &k));
}

static void test_tampered_record_ends_the_session(void **state)
{
	uint8_t rec[64];
	char out[64];
	struct pair p;
	ssize_t n;

	(void)state;
	open_pair(&p, 0x1301, 32);
	assert_int_equal(tls13_write_all(p.client, "NOOP\r\n", 6), 0);
	n = read(p.fd[0], rec, sizeof(rec));
	assert_true(n > 20);
	rec[n - 1] ^= 1; /* the tag */
	assert_int_equal(write(p.fd[1], rec, (size_t)n), n);
	assert_int_equal(tls13_read(p.server, out, sizeof(out)), -1);
	assert_int_equal(tls13_read(p.server, out, sizeof(out)), -1); /* stays failed */
	close_pair(&p);
}

static void test_hostile_headers(void **state)
{
	static const uint8_t too_long[5] = { 23, 3, 3, 0x41, 0x01 }; /* 2^14+257 */
	static const uint8_t plaintext_alert[7] = { 21, 3, 3, 0, 2, 2, 40 };
	char out[16];
	struct pair p;

	(void)state;
	open_pair(&p, 0x1301, 32);
	assert_int_equal(write(p.fd[1], too_long, sizeof(too_long)), 5);
	assert_int_equal(tls13_read(p.server, out, sizeof(out)), -1);
	close_pair(&p);

	open_pair(&p, 0x1301, 32);
	assert_int_equal(write(p.fd[1], plaintext_alert, sizeof(plaintext_alert)), 7);
	assert_int_equal(tls13_read(p.server, out, sizeof(out)), -1);
	close_pair(&p);

	/* Half a header, then nothing: come back later, not an error. */
	open_pair(&p, 0x1301, 32);
	assert_int_equal(write(p.fd[1], too_long, 3), 3);
	assert_int_equal(tls13_read(p.server, out, sizeof(out)), -2);
	close_pair(&p);
}

static void test_close_notify_and_eof(void **state)
{
	char out[16];
	struct pair p;

	(void)state;
	open_pair(&p, 0x1303, 32);
	assert_int_equal(tls13_close_notify(p.client), 0);
	assert_int_equal(tls13_read(p.server, out, sizeof(out)), 0);
	close_pair(&p);

	open_pair(&p, 0x1301, 32);
	shutdown(p.fd[1], SHUT_WR);
	assert_int_equal(tls13_read(p.server, out, sizeof(out)), 0);
	close_pair(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_each_suite),
		cmocka_unit_test(test_suites),
		cmocka_unit_test(test_tampered_record_ends_the_session),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_close_notify_and_eof),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
