#include "tls/tls13_capture.h"

#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { HS_KEY_UPDATE = 24 };

struct capture {
	struct priv_tls_keys k;
	bool have_read, have_write;
	bool reading, writing; /* counting records of each direction */
	bool unsure;           /* something we do not hand over happened */
};

static int capture_index = -1;

static void capture_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			 void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (ptr)
		OPENSSL_clear_free(ptr, sizeof(struct capture));
}

static struct capture *capture_of(const SSL *ssl)
{
	return capture_index < 0 ? NULL : SSL_get_ex_data(ssl, capture_index);
}

static int hex_value(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* HEX (up to a space or the end) into OUT. Its length, or 0. */
static size_t from_hex(const char *hex, uint8_t *out, size_t size)
{
	size_t n = 0;

	while (hex[0] && hex[0] != ' ') {
		int hi = hex_value(hex[0]), lo = hi < 0 ? -1 : hex_value(hex[1]);
		if (lo < 0 || n == size)
			return 0;
		out[n++] = (uint8_t)(hi << 4 | lo);
		hex += 2;
	}
	return n;
}

/* "LABEL <client random> <secret>": the secret, if the label is LABEL. */
static size_t secret_of(const char *line, const char *label, uint8_t *out)
{
	size_t ll = strlen(label);
	const char *sp;

	if (strncmp(line, label, ll) != 0 || line[ll] != ' ' || !(sp = strchr(line + ll + 1, ' ')))
		return 0;
	return from_hex(sp + 1, out, PRIV_TLS_SECRET_MAX);
}

/* OpenSSL derives our application secret right after it has written our
 * Finished: every record we write from here on uses it. */
static void keylog(const SSL *ssl, const char *line)
{
	uint8_t secret[PRIV_TLS_SECRET_MAX];
	struct capture *w = capture_of(ssl);
	size_t n;

	if (!w)
		return; /* no record seen: nothing to capture into */
	if ((n = secret_of(line, "SERVER_TRAFFIC_SECRET_0", secret)) > 0) {
		memcpy(w->k.write_secret, secret, n);
		w->have_write = true;
		w->writing = true;
		w->k.write_seq = 0;
	} else if ((n = secret_of(line, "CLIENT_TRAFFIC_SECRET_0", secret)) > 0) {
		memcpy(w->k.read_secret, secret, n);
		w->have_read = true;
	} else {
		return;
	}
	if (w->k.secret_len && w->k.secret_len != n)
		w->unsure = true;
	w->k.secret_len = (uint8_t)n;
	OPENSSL_cleanse(secret, sizeof(secret));
}

/* The first record of a connection makes its state; without memory for
 * it nothing is captured, and the export says no. */
static void on_message(int write_p, int version, int content_type, const void *buf, size_t len,
		       SSL *ssl, void *arg)
{
	struct capture *w = capture_of(ssl);

	(void)version, (void)arg;
	if (!w && capture_index >= 0 && (w = calloc(1, sizeof(*w))) &&
	    SSL_set_ex_data(ssl, capture_index, w) != 1) {
		free(w);
		w = NULL;
	}
	if (!w)
		return;
	if (content_type == SSL3_RT_HEADER) {
		if (write_p && w->writing)
			w->k.write_seq++;
		else if (!write_p && w->reading)
			w->k.read_seq++;
	} else if (content_type == SSL3_RT_HANDSHAKE && len > 0 &&
		   ((const uint8_t *)buf)[0] == HS_KEY_UPDATE) {
		w->unsure = true;
	}
}

int tls13_capture_watch(SSL_CTX *ctx)
{
	if (capture_index < 0)
		capture_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, capture_free);
	if (capture_index < 0)
		return -1;
	SSL_CTX_set_keylog_callback(ctx, keylog);
	SSL_CTX_set_msg_callback(ctx, on_message);
	return 0;
}

void tls13_capture_handshake_done(SSL *ssl)
{
	struct capture *w = capture_of(ssl);

	if (w) {
		w->reading = true;
		w->k.read_seq = 0;
	}
}

int tls13_capture_export(SSL *ssl, struct priv_tls_keys *k)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	const struct capture *w = capture_of(ssl);

	if (!w || w->unsure || !w->have_read || !w->have_write || !w->reading || !c ||
	    SSL_version(ssl) != TLS1_3_VERSION || SSL_has_pending(ssl))
		return -1;
	*k = w->k;
	k->suite = (uint16_t)SSL_CIPHER_get_protocol_id(c);
	return 0;
}

void tls13_capture_forget(SSL *ssl)
{
	struct capture *w = capture_of(ssl);

	if (w) {
		(void)SSL_set_ex_data(ssl, capture_index, NULL);
		OPENSSL_clear_free(w, sizeof(*w));
	}
}
