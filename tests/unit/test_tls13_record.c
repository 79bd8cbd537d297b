/* The engine's TLS 1.3 record layer (tls/tls13_record.c) over a socketpair:
 * a "client" end made with the secrets swapped talks to a server end,
 * for the edges a hostile client reaches; and the bulk records of data
 * connections against OpenSSL itself: a handshake made by OpenSSL on both
 * ends, the server's state captured (tls/tls13_capture.c) and taken over,
 * the client OpenSSL to the end. Interoperability with real clients is
 * the integration suite's job (test_tls_handoff.py, test_tls_bulk.py). */
#include <fcntl.h>
#include <signal.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/fdio.h"
#include "tls/tls13_capture.h"
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

/* ---- bulk records against OpenSSL ---- */

#define BATCH 64 /* records per tls13_seal_slots, as the engine */

static const size_t sizes[] = { 0, 1, 16383, 16384, 16385, (1 << 20) + 7 };

/* The byte at OFFSET of the test stream. */
static uint8_t pattern(size_t offset)
{
	return (uint8_t)(offset * 7 + (offset >> 13));
}

static X509 *self_signed(EVP_PKEY *key)
{
	X509 *cert = X509_new();

	assert_non_null(cert);
	assert_int_equal(X509_set_version(cert, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(cert), 1), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(cert), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(cert), 3600));
	assert_int_equal(X509_set_pubkey(cert, key), 1);
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	return cert;
}

struct ossl_pair {
	int fd[2]; /* [0] the server's end, [1] the client's */
	SSL_CTX *sctx, *cctx;
	SSL *server, *client;
};

static void set_blocking(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	assert_true(fl >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, on ? fl & ~O_NONBLOCK : fl | O_NONBLOCK), 0);
}

/* One step of a non-blocking handshake: true once it is done. */
static bool handshake_step(SSL *ssl)
{
	int r = SSL_do_handshake(ssl), e;

	if (r == 1)
		return true;
	e = SSL_get_error(ssl, r);
	assert_true(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE);
	return false;
}

/* A TLS 1.3 handshake with SUITE by OpenSSL on both ends, the server's
 * records captured. */
static void ossl_open(struct ossl_pair *p, const char *suite)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert;
	bool sdone = false, cdone = false;

	assert_non_null(key);
	cert = self_signed(key);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->fd), 0);
	p->sctx = SSL_CTX_new(TLS_server_method());
	p->cctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(p->sctx);
	assert_non_null(p->cctx);
	assert_int_equal(SSL_CTX_use_certificate(p->sctx, cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(p->sctx, key), 1);
	assert_int_equal(SSL_CTX_set_min_proto_version(p->sctx, TLS1_3_VERSION), 1);
	assert_int_equal(SSL_CTX_set_ciphersuites(p->sctx, suite), 1);
	assert_int_equal(tls13_capture_watch(p->sctx), 0);
	p->server = SSL_new(p->sctx);
	p->client = SSL_new(p->cctx);
	assert_int_equal(SSL_set_fd(p->server, p->fd[0]), 1);
	assert_int_equal(SSL_set_fd(p->client, p->fd[1]), 1);
	SSL_set_accept_state(p->server);
	SSL_set_connect_state(p->client);
	set_blocking(p->fd[0], false);
	set_blocking(p->fd[1], false);
	while (!sdone || !cdone) {
		cdone = cdone || handshake_step(p->client);
		sdone = sdone || handshake_step(p->server);
	}
	tls13_capture_handshake_done(p->server);
	set_blocking(p->fd[0], true);
	set_blocking(p->fd[1], true);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void ossl_close(struct ossl_pair *p)
{
	SSL_free(p->server);
	SSL_free(p->client);
	SSL_CTX_free(p->sctx);
	SSL_CTX_free(p->cctx);
	close(p->fd[0]);
	if (p->fd[1] >= 0)
		close(p->fd[1]);
}

/* Send LEN bytes of the stream from *OFF as the engine does: content in
 * slots, sealed in place, sent as one piece. */
static void bulk_send(struct tls13_conn *c, int fd, size_t len, size_t *off)
{
	static uint8_t buf[BATCH * TLS13_SLOT];

	while (len > 0) {
		size_t n = len < BATCH * TLS13_PLAIN_MAX ? len : BATCH * TLS13_PLAIN_MAX;
		size_t records = (n + TLS13_PLAIN_MAX - 1) / TLS13_PLAIN_MAX;
		ssize_t sealed;

		for (size_t i = 0; i < n; i++)
			buf[i / TLS13_PLAIN_MAX * TLS13_SLOT + TLS13_SLOT_DATA +
			    i % TLS13_PLAIN_MAX] = pattern(*off + i);
		sealed = tls13_seal_slots(c, buf, n);
		assert_int_equal(sealed, (ssize_t)(n + records * 22));
		if (fd_write_all(fd, buf, (size_t)sealed) < 0)
			return; /* the client gave up: its status says why */
		*off += n;
		len -= n;
	}
}

/* Receive as the engine does until the client's close_notify; every byte
 * must be the stream's from *OFF on. The count, or -1 for a bad record or
 * an end without close_notify. */
static ssize_t bulk_receive(struct tls13_conn *c, int fd, size_t *off)
{
	static uint8_t buf[256 * 1024 + TLS13_RECORD_MAX];
	size_t fill = 0, total = 0;
	bool end = false;

	while (!end) {
		ssize_t n = read(fd, buf + fill, sizeof(buf) - fill);
		size_t used, at = 0;
		int k;

		if (n <= 0)
			return -1;
		fill += (size_t)n;
		do {
			struct iovec iov[8];

			k = tls13_open_records(c, buf + at, fill - at, iov, 8, &used, &end);
			if (k < 0)
				return -1;
			for (int i = 0; i < k; i++)
				for (size_t j = 0; j < iov[i].iov_len; j++)
					if (((uint8_t *)iov[i].iov_base)[j] != pattern((*off)++))
						return -1;
			for (int i = 0; i < k; i++)
				total += iov[i].iov_len;
			at += used;
		} while (k == 8 && !end);
		memmove(buf, buf + at, fill - at);
		fill -= at;
	}
	return (ssize_t)total;
}

/* OpenSSL reads LEN bytes of the stream from *OFF. */
static bool ossl_read_stream(SSL *ssl, size_t len, size_t *off)
{
	static uint8_t buf[65536];

	while (len > 0) {
		size_t got = 0;

		if (SSL_read_ex(ssl, buf, len < sizeof(buf) ? len : sizeof(buf), &got) != 1)
			return false;
		for (size_t i = 0; i < got; i++)
			if (buf[i] != pattern((*off)++))
				return false;
		len -= got;
	}
	return true;
}

static bool ossl_write_stream(SSL *ssl, size_t len, size_t *off)
{
	static uint8_t buf[65536];

	while (len > 0) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf), done = 0;

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(*off + i);
		if (SSL_write_ex(ssl, buf, n, &done) != 1 || done != n)
			return false;
		*off += n;
		len -= n;
	}
	return true;
}

#define AFTER_UPDATE 100003 /* bytes each way under the updated keys */

/* The OpenSSL client: read every size, upload every size, KeyUpdate
 * (asking for ours), more data, close_notify; then read what the server
 * sent under its new key and its close_notify. Exit status 0 if all came
 * as it should. */
static int ossl_client(SSL *ssl)
{
	size_t down = 0, up = 0;
	uint8_t b;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (!ossl_read_stream(ssl, sizes[i], &down))
			return 1;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (!ossl_write_stream(ssl, sizes[i], &up))
			return 2;
	if (SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED) != 1 ||
	    !ossl_write_stream(ssl, AFTER_UPDATE, &up) || SSL_shutdown(ssl) < 0)
		return 3;
	if (!ossl_read_stream(ssl, AFTER_UPDATE, &down))
		return 4;
	if (SSL_read(ssl, &b, 1) > 0 || SSL_get_error(ssl, 0) != SSL_ERROR_ZERO_RETURN)
		return 5;
	return 0;
}

static void bulk_against_openssl(const char *suite)
{
	struct ossl_pair p;
	struct priv_tls_keys k;
	struct tls13_conn *c;
	size_t down = 0, up = 0, total = 0;
	int status;
	pid_t pid;

	ossl_open(&p, suite);
	assert_int_equal(tls13_capture_export(p.server, &k), 0);
	c = tls13_conn_new(p.fd[0], &k);
	assert_non_null(c);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p.fd[0]); /* a client that fails ends the server's writes */
		alarm(60);      /* and one the server failed does not linger */
		_exit(ossl_client(p.client));
	}
	close(p.fd[1]);
	p.fd[1] = -1;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		bulk_send(c, p.fd[0], sizes[i], &down);
		total += sizes[i];
	}
	assert_int_equal(bulk_receive(c, p.fd[0], &up), (ssize_t)(total + AFTER_UPDATE));
	bulk_send(c, p.fd[0], AFTER_UPDATE, &down);
	assert_int_equal(tls13_close_notify(c), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	tls13_conn_free(c);
	ossl_close(&p);
}

static void test_bulk_against_openssl(void **state)
{
	(void)state;
	bulk_against_openssl("TLS_AES_128_GCM_SHA256");
	bulk_against_openssl("TLS_AES_256_GCM_SHA384");
	bulk_against_openssl("TLS_CHACHA20_POLY1305_SHA256");
}

/* Whatever OpenSSL did before the takeover that we would not follow
 * (here a KeyUpdate) means no export. */
static void test_capture_refuses_an_unsure_state(void **state)
{
	struct ossl_pair p;
	struct priv_tls_keys k;
	uint8_t b;

	(void)state;
	ossl_open(&p, "TLS_AES_128_GCM_SHA256");
	assert_int_equal(SSL_key_update(p.client, SSL_KEY_UPDATE_NOT_REQUESTED), 1);
	assert_int_equal(SSL_write(p.client, "x", 1), 1);
	assert_int_equal(SSL_read(p.server, &b, 1), 1);
	assert_int_equal(tls13_capture_export(p.server, &k), -1);
	ossl_close(&p);
}

/* A tampered tag fails the record, and what came before it in the same
 * buffer is still returned first. */
static void test_bulk_tampered_record(void **state)
{
	static uint8_t buf[2 * TLS13_SLOT];
	struct iovec iov[4];
	struct pair p;
	size_t used;
	bool end;
	ssize_t n;

	(void)state;
	open_pair(&p, 0x1301, 32);
	memset(buf, 'a', sizeof(buf));
	n = tls13_seal_slots(p.client, buf, TLS13_PLAIN_MAX + 100);
	assert_int_equal(n, TLS13_SLOT + 100 + 22);
	buf[n - 1] ^= 1; /* the second record's tag */
	/* Half of the first record: nothing yet, nothing taken. */
	assert_int_equal(tls13_open_records(p.server, buf, 1000, iov, 4, &used, &end), 0);
	assert_int_equal(used, 0);
	assert_int_equal(tls13_open_records(p.server, buf, (size_t)n, iov, 4, &used, &end), 1);
	assert_int_equal(iov[0].iov_len, TLS13_PLAIN_MAX);
	assert_int_equal(used, TLS13_SLOT);
	assert_false(end);
	assert_int_equal(
		tls13_open_records(p.server, buf + used, (size_t)n - used, iov, 4, &used, &end),
		-1);
	close_pair(&p);

	/* The first record bad: nothing returned. */
	open_pair(&p, 0x1303, 32);
	n = tls13_seal_slots(p.client, buf, 5);
	buf[n - 1] ^= 0x80;
	assert_int_equal(tls13_open_records(p.server, buf, (size_t)n, iov, 4, &used, &end), -1);
	close_pair(&p);
}

/* close_notify ends the data; nothing after it is looked at. */
static void test_bulk_close_notify(void **state)
{
	static uint8_t buf[TLS13_SLOT + 64];
	struct iovec iov[4];
	struct pair p;
	size_t used;
	bool end;
	ssize_t n, m;

	(void)state;
	open_pair(&p, 0x1302, 48);
	memset(buf, 'z', sizeof(buf));
	n = tls13_seal_slots(p.client, buf, 3);
	assert_int_equal(tls13_close_notify(p.client), 0);
	m = read(p.fd[0], buf + n, sizeof(buf) - (size_t)n);
	assert_int_equal(m, 5 + 2 + 1 + 16);
	memset(buf + n + m, 0xff, 10); /* garbage after the alert */
	assert_int_equal(
		tls13_open_records(p.server, buf, (size_t)(n + m + 10), iov, 4, &used, &end), 1);
	assert_true(end);
	assert_int_equal(used, (size_t)(n + m));
	assert_memory_equal(iov[0].iov_base, "zzz", 3);
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
		cmocka_unit_test(test_bulk_against_openssl),
		cmocka_unit_test(test_capture_refuses_an_unsure_state),
		cmocka_unit_test(test_bulk_tampered_record),
		cmocka_unit_test(test_bulk_close_notify),
	};

	signal(SIGPIPE, SIG_IGN); /* a failed peer is an error return */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
