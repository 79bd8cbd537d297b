/* TLS for the control relay and the engine's data connections (RFC 4217).
 *
 * Each vhost has two server contexts, built by the zygote from the
 * certificates the key holder sent (keys/keys.c: only it reads key
 * files) and inherited by fork:
 *   full    certificate + a key that has no secret: each signature is
 *           made by the key holder (tls/tls_proxy.c); the relay's
 *           control handshake, and data connections when
 *           require_ssl_reuse=NO;
 *   resume  a placeholder whose key refuses to sign: it can only resume a
 *           session, so a data connection that does not resume this
 *           session's control TLS session fails its handshake.
 * Both share one session-id context and one per-session ticket key, made
 * fresh by each session's monitor before it forks the relay and engines,
 * so tickets from another session never decrypt. */
#ifndef FTPSD_TLS_H
#define FTPSD_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "privsep/proto.h"

struct tls_vhost {
	SSL_CTX *full;
	SSL_CTX *resume;
};

/* A vhost's certificates per key type: the server's own, then its chain. */
struct tls_chain {
	X509 *cert[PRIV_CHAIN_MAX];
	size_t n;
};

struct tls_certs {
	struct tls_chain chain[KEY_TYPES];
};

/* Build the contexts of vhost number VHOST for SET from CERTS (nothing
 * when ssl_enable=NO). 0, or -1 with a reason in ERR. */
int tls_vhost_build(struct tls_vhost *t, const struct cfg_settings *set, uint32_t vhost,
		    const struct tls_certs *certs, char *err, size_t errsize);
void tls_vhost_free(struct tls_vhost *t);

/* Contexts for every vhost of CFG, as an array parallel to cfg->vhosts,
 * from CERTS (parallel too). NULL with a reason naming the vhost in ERR. */
struct tls_vhost *tls_build_all(const struct ftpsd_config *cfg, const struct tls_certs *certs,
				char *err, size_t errsize);
void tls_free_all(struct tls_vhost *all, size_t n);

/* Draw this session's ticket key. Call once per session, in the monitor,
 * before forking an engine; the relay, forked earlier, gets it with
 * PRIV_RELAY_START. 0 or -1. */
int tls_session_key_new(void);
/* The key as bytes, for a relay forked before it was drawn (it gets it
 * with PRIV_RELAY_START): get is 0, or -1 when none is drawn; set takes
 * what get gave. */
#define TLS_SESSION_KEY_LEN 80
int tls_session_key_get(unsigned char out[TLS_SESSION_KEY_LEN]);
void tls_session_key_set(const unsigned char in[TLS_SESSION_KEY_LEN]);

/* Server handshake on FD, finished within TIMEOUT_S seconds in all (not
 * per read). Returns the connection, or NULL with a reason in ERR. */
SSL *tls_accept(SSL_CTX *ctx, int fd, unsigned timeout_s, char *err, size_t errsize);

/* Send close_notify and free. */
void tls_close(SSL *ssl);

/* The resumable state of SSL's session, DER-encoded, for a process that
 * must resume it by session ID (TLS 1.2 without tickets). Returns the
 * length, 0 if none, or -1 if it does not fit. */
int tls_session_export(SSL *ssl, unsigned char *out, size_t size);
/* Add an exported session to CTX's cache. 0 or -1. */
int tls_session_import(SSL_CTX *ctx, const unsigned char *der, size_t len);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384", for logs. */
void tls_describe(SSL *ssl, char *buf, size_t size);

#endif
