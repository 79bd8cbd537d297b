#include "tls/tls.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>

#include "tls/tls_proxy.h"

static const unsigned char SID_CTX[] = "ftpsd";

/* The session's ticket key: process-wide because OpenSSL's ticket
 * callback has no per-context argument, and a process serves one session. */
static struct {
	bool set;
	unsigned char name[16];
	unsigned char aes[32];
	unsigned char hmac[32];
} ticket_key;

int tls_session_key_new(void)
{
	if (RAND_bytes(ticket_key.name, sizeof(ticket_key.name)) != 1 ||
	    RAND_bytes(ticket_key.aes, sizeof(ticket_key.aes)) != 1 ||
	    RAND_bytes(ticket_key.hmac, sizeof(ticket_key.hmac)) != 1)
		return -1;
	ticket_key.set = true;
	return 0;
}

int tls_session_key_get(unsigned char out[TLS_SESSION_KEY_LEN])
{
	if (!ticket_key.set)
		return -1;
	memcpy(out, ticket_key.name, 16);
	memcpy(out + 16, ticket_key.aes, 32);
	memcpy(out + 48, ticket_key.hmac, 32);
	return 0;
}

void tls_session_key_set(const unsigned char in[TLS_SESSION_KEY_LEN])
{
	memcpy(ticket_key.name, in, 16);
	memcpy(ticket_key.aes, in + 16, 32);
	memcpy(ticket_key.hmac, in + 48, 32);
	ticket_key.set = true;
}

/* RFC 5077 ticket protection with this session's key; a ticket sealed by
 * another session's key is "not ours" (0), which forces a full handshake.
 * A good one is accepted and renewed (2): every resumption hands out a
 * fresh ticket, sealed with the same key, so a client that offers each
 * ticket once (RFC 8446 C.4: rustls, BoringSSL, NSS, Java) never runs dry
 * and no other session can use it. In TLS 1.3 that ticket is written after
 * the handshake, which is why only close_notify ends an upload
 * (engine/xfer.c, tls_for_bulk). */
static int ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx,
		     EVP_MAC_CTX *hctx, int enc)
{
	OSSL_PARAM params[2];

	(void)ssl;
	if (!ticket_key.set)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (enc) {
		memcpy(name, ticket_key.name, 16);
		if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1 ||
		    EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, ticket_key.aes, iv) != 1)
			return -1;
	} else {
		if (CRYPTO_memcmp(name, ticket_key.name, 16) != 0)
			return 0;
		if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, ticket_key.aes, iv) != 1)
			return -1;
	}
	if (EVP_MAC_CTX_set_params(hctx, params) != 1 ||
	    EVP_MAC_init(hctx, ticket_key.hmac, sizeof(ticket_key.hmac), NULL) != 1)
		return -1;
	return enc ? 1 : 2;
}

static void openssl_reason(char *err, size_t size, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, size, "%s: %s", what, e ? buf : "unknown error");
	ERR_clear_error();
}

static int accept_any_cert(int preverify_ok, X509_STORE_CTX *store)
{
	(void)preverify_ok;
	(void)store;
	return 1;
}

static SSL_CTX *new_server_ctx(char *err, size_t errsize)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx) {
		openssl_reason(err, errsize, "SSL_CTX_new");
		return NULL;
	}
	/* IGNORE_UNEXPECTED_EOF: many clients close without close_notify,
	 * and for a control connection that is just its end. An upload
	 * clears it: only close_notify ends one (engine/xfer.c). */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
					 SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	/* The control session must stay resumable for as long as the control
	 * connection lives; OpenSSL's 2-hour default would refuse every data
	 * connection of an older session. Its tickets are sealed with this
	 * session's key only, so a long life costs nothing (vsftpd: INT_MAX). */
	SSL_CTX_set_timeout(ctx, INT_MAX);
	if (SSL_CTX_set_session_id_context(ctx, SID_CTX, sizeof(SID_CTX) - 1) != 1 ||
	    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb) != 1) {
		openssl_reason(err, errsize, "TLS context");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* The vhost's certificate of one key type, its chain, and a key that
 * asks the key holder for every signature (tls/tls_proxy.c). */
static int use_chain(SSL_CTX *ctx, const struct tls_chain *c, uint32_t vhost, uint32_t key_type,
		     char *err, size_t errsize)
{
	EVP_PKEY *key;
	int ok;

	if (c->n == 0)
		return 0;
	key = tls_proxy_key(c->cert[0], vhost, key_type);
	ok = key && SSL_CTX_use_certificate(ctx, c->cert[0]) == 1;
	for (size_t i = 1; ok && i < c->n; i++)
		ok = SSL_CTX_add1_chain_cert(ctx, c->cert[i]) == 1;
	ok = ok && SSL_CTX_use_PrivateKey(ctx, key) == 1;
	EVP_PKEY_free(key);
	if (!ok) {
		openssl_reason(err, errsize, "certificate");
		return -1;
	}
	return 0;
}

/* Protocol floor and cipher choices, the same for both contexts so a
 * resumed session is always acceptable to the resuming one. */
/* Our defaults when the operator names none: AES-128-GCM first (AES-NI
 * makes it the cheapest strong choice per byte, which is what FTPS spends
 * its CPU on), then the 256-bit and ChaCha20 suites. The server's order
 * wins (SSL_OP_CIPHER_SERVER_PREFERENCE). */
#define DEFAULT_CIPHERSUITES \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define DEFAULT_CIPHERS                                              \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

static int apply_policy(SSL_CTX *ctx, const struct cfg_settings *set, char *err, size_t errsize)
{
	int floor = strcmp(set->ssl_min_protocol, "TLSv1.3") == 0 ? TLS1_3_VERSION : TLS1_2_VERSION;

	if (SSL_CTX_set_min_proto_version(ctx, floor) != 1) {
		openssl_reason(err, errsize, "ssl_min_protocol");
		return -1;
	}
	if (SSL_CTX_set_cipher_list(ctx, set->ssl_ciphers[0] ? set->ssl_ciphers
							     : DEFAULT_CIPHERS) != 1) {
		openssl_reason(err, errsize, "ssl_ciphers");
		return -1;
	}
	if (SSL_CTX_set_ciphersuites(ctx, set->ssl_ciphersuites[0] ? set->ssl_ciphersuites
								   : DEFAULT_CIPHERSUITES) != 1) {
		openssl_reason(err, errsize, "ssl_ciphersuites");
		return -1;
	}
	return 0;
}

/* Client certificates: requested with require_cert, checked against
 * ca_certs_file with validate_cert (otherwise any certificate will do, as
 * in vsftpd). */
static int apply_client_certs(SSL_CTX *ctx, const struct cfg_settings *set, char *err,
			      size_t errsize)
{
	int mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;

	if (!set->require_cert)
		return 0;
	if (set->ca_certs_file[0]) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(set->ca_certs_file);
		if (SSL_CTX_load_verify_locations(ctx, set->ca_certs_file, NULL) != 1 || !names) {
			openssl_reason(err, errsize, set->ca_certs_file);
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			return -1;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
	}
	SSL_CTX_set_verify(ctx, mode, set->validate_cert ? NULL : accept_any_cert);
	return 0;
}

/* OpenSSL picks a TLS 1.3 cipher before it looks at the PSK, and refuses
 * to go on without a certificate. The resume context therefore carries a
 * throwaway self-signed P-256 certificate whose key refuses to sign: a
 * client that does not resume gets no ServerKeyExchange or
 * CertificateVerify, so its handshake fails before any session, session ID
 * or ticket exists that it could resume later. The generating key is freed
 * at once; it was never used for anything but the certificate. */
static X509 *make_placeholder(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_NAME *name;
	int ok = key && cert && (name = X509_get_subject_name(cert)) &&
		 X509_set_version(cert, 2) == 1 &&
		 ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) == 1 &&
		 X509_gmtime_adj(X509_getm_notBefore(cert), 0) &&
		 X509_gmtime_adj(X509_getm_notAfter(cert), 60L * 60 * 24 * 3650) &&
		 X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					    (const unsigned char *)"ftpsd resume-only", -1, -1,
					    0) == 1 &&
		 X509_set_issuer_name(cert, name) == 1 && X509_set_pubkey(cert, key) == 1 &&
		 X509_sign(cert, key, EVP_sha256()) > 0;

	EVP_PKEY_free(key);
	if (!ok) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

static int use_placeholder(SSL_CTX *ctx, char *err, size_t errsize)
{
	static X509 *cert;
	static EVP_PKEY *refusing;

	if (!cert && (cert = make_placeholder()))
		refusing = tls_refusing_key(cert);
	if (!cert || !refusing || SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, refusing) != 1) {
		openssl_reason(err, errsize, "placeholder certificate");
		return -1;
	}
	return 0;
}

int tls_vhost_build(struct tls_vhost *t, const struct cfg_settings *set, uint32_t vhost,
		    const struct tls_certs *certs, char *err, size_t errsize)
{
	memset(t, 0, sizeof(*t));
	if (!set->ssl_enable)
		return 0;
	t->full = new_server_ctx(err, errsize);
	t->resume = new_server_ctx(err, errsize);
	if (!t->full || !t->resume || apply_policy(t->full, set, err, errsize) < 0 ||
	    apply_policy(t->resume, set, err, errsize) < 0 ||
	    use_placeholder(t->resume, err, errsize) < 0 ||
	    apply_client_certs(t->full, set, err, errsize) < 0 ||
	    use_chain(t->full, &certs->chain[KEY_RSA], vhost, KEY_RSA, err, errsize) < 0 ||
	    use_chain(t->full, &certs->chain[KEY_ECDSA], vhost, KEY_ECDSA, err, errsize) < 0) {
		tls_vhost_free(t);
		return -1;
	}
	return 0;
}

void tls_vhost_free(struct tls_vhost *t)
{
	SSL_CTX_free(t->full);
	SSL_CTX_free(t->resume);
	t->full = t->resume = NULL;
}

struct tls_vhost *tls_build_all(const struct ftpsd_config *cfg, const struct tls_certs *certs,
				char *err, size_t errsize)
{
	struct tls_vhost *all = calloc(cfg->nvhosts, sizeof(*all));
	char why[256];

	if (!all) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < cfg->nvhosts; i++) {
		if (tls_vhost_build(&all[i], &cfg->vhosts[i].set, (uint32_t)i, &certs[i], why,
				    sizeof(why)) < 0) {
			snprintf(err, errsize, "vhost %s: %s", cfg->vhosts[i].name, why);
			tls_free_all(all, i);
			return NULL;
		}
	}
	return all;
}

void tls_free_all(struct tls_vhost *all, size_t n)
{
	if (!all)
		return;
	for (size_t i = 0; i < n; i++)
		tls_vhost_free(&all[i]);
	free(all);
}

static void set_timeout(int fd, unsigned seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The whole handshake by DEADLINE (ms, CLOCK_MONOTONIC), however slowly
 * the client sends: per-read timeouts alone let a ClientHello trickled a
 * byte at a time hold the relay and its monitor for ever. 0 or -1. */
static int accept_by(SSL *ssl, int fd, long long deadline, char *err, size_t errsize)
{
	int flags = fcntl(fd, F_GETFL), rc = -1;

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		snprintf(err, errsize, "handshake: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		int r = SSL_accept(ssl), e;
		struct pollfd p = { .fd = fd };
		long long left = deadline - now_ms();

		if (r == 1) {
			rc = 0;
			break;
		}
		e = SSL_get_error(ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			openssl_reason(err, errsize, "handshake");
			break;
		}
		p.events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		if (left <= 0 || (poll(&p, 1, (int)left) <= 0 && errno != EINTR)) {
			snprintf(err, errsize, "handshake: not finished within the deadline");
			break;
		}
	}
	(void)fcntl(fd, F_SETFL, flags);
	return rc;
}

SSL *tls_accept(SSL_CTX *ctx, int fd, unsigned timeout_s, char *err, size_t errsize)
{
	SSL *ssl = SSL_new(ctx);

	if (!ssl || SSL_set_fd(ssl, fd) != 1) {
		openssl_reason(err, errsize, "SSL_new");
		SSL_free(ssl);
		return NULL;
	}
	set_timeout(fd, timeout_s);
	if (accept_by(ssl, fd, now_ms() + (long long)timeout_s * 1000, err, errsize) < 0) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

void tls_close(SSL *ssl)
{
	if (!ssl)
		return;
	/* One close_notify; waiting for the peer's is optional (RFC 8446
	 * §6.1) and would stall on clients that never send theirs. */
	(void)SSL_shutdown(ssl);
	SSL_free(ssl);
}

int tls_session_export(SSL *ssl, unsigned char *out, size_t size)
{
	SSL_SESSION *sess = SSL_get1_session(ssl);
	unsigned char *p = out;
	int n;

	if (!sess)
		return 0;
	n = i2d_SSL_SESSION(sess, NULL);
	if (n <= 0 || (size_t)n > size) {
		SSL_SESSION_free(sess);
		return -1;
	}
	n = i2d_SSL_SESSION(sess, &p);
	SSL_SESSION_free(sess);
	return n;
}

int tls_session_import(SSL_CTX *ctx, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	SSL_SESSION *sess = d2i_SSL_SESSION(NULL, &p, (long)len);
	int ok;

	if (!sess)
		return -1;
	ok = SSL_CTX_add_session(ctx, sess);
	SSL_SESSION_free(sess);
	return ok == 1 ? 0 : -1;
}

void tls_describe(SSL *ssl, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s", SSL_get_version(ssl),
		 SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
}
