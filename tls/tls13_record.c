#include "tls/tls13_record.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/fdio.h"

#define HDR 5
#define TAG 16
#define IV_LEN 12
/* RFC 8446 §5.2: a protected record carries at most 2^14 + 256 bytes. */
#define BODY_MAX (TLS13_PLAIN_MAX + 256)
#define RECORD_MAX (HDR + BODY_MAX)

enum { CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23 };
enum { HS_KEY_UPDATE = 24 };
enum { ALERT_CLOSE_NOTIFY = 0 };

struct suite {
	uint16_t id;
	const char *md;
	const EVP_CIPHER *(*cipher)(void);
	size_t key_len, secret_len;
};

static const struct suite suites[] = {
	{ 0x1301, "SHA256", EVP_aes_128_gcm, 16, 32 },
	{ 0x1302, "SHA384", EVP_aes_256_gcm, 32, 48 },
	{ 0x1303, "SHA256", EVP_chacha20_poly1305, 32, 32 },
};

struct direction {
	EVP_CIPHER_CTX *ctx;
	uint8_t secret[PRIV_TLS_SECRET_MAX];
	uint8_t iv[IV_LEN];
	uint64_t seq;
};

struct tls13_conn {
	int fd;
	const struct suite *suite;
	struct direction rd, wr;
	bool eof, failed;
	size_t in_len;               /* bytes of the record being read */
	size_t plain_off, plain_len; /* application data not yet returned */
	uint8_t in[RECORD_MAX];
	uint8_t plain[BODY_MAX];
	uint8_t out[RECORD_MAX];
};

static const struct suite *find_suite(uint16_t id)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].id == id)
			return &suites[i];
	return NULL;
}

bool tls13_suite_ok(uint16_t id, size_t len)
{
	const struct suite *s = find_suite(id);

	return s && s->secret_len == len;
}

/* HKDF-Expand-Label(SECRET, LABEL, "", OUTLEN), RFC 8446 §7.1. */
static int expand_label(const struct suite *s, const uint8_t *secret, const char *label,
			uint8_t *out, size_t outlen)
{
	uint8_t info[2 + 1 + 6 + 16 + 1];
	size_t ll = strlen(label), n = 0;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, rc = -1;
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx;

	if (ll > 16)
		return -1;
	info[n++] = (uint8_t)(outlen >> 8);
	info[n++] = (uint8_t)outlen;
	info[n++] = (uint8_t)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, ll);
	n += ll;
	info[n++] = 0; /* empty context */
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	if (kctx) {
		OSSL_PARAM p[] = {
			OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
			OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)s->md, 0),
			OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret,
							  s->secret_len),
			OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n),
			OSSL_PARAM_construct_end(),
		};
		rc = EVP_KDF_derive(kctx, out, outlen, p) == 1 ? 0 : -1;
	}
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rc;
}

/* Key and IV from the direction's current secret. */
static int set_keys(const struct suite *s, struct direction *d, int enc)
{
	uint8_t key[32];
	int rc = -1;

	if (expand_label(s, d->secret, "key", key, s->key_len) == 0 &&
	    expand_label(s, d->secret, "iv", d->iv, IV_LEN) == 0 &&
	    EVP_CipherInit_ex(d->ctx, s->cipher(), NULL, key, NULL, enc) == 1)
		rc = 0;
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

/* RFC 8446 §7.2: the next generation of a direction's secret. */
static int update_keys(const struct suite *s, struct direction *d, int enc)
{
	uint8_t next[PRIV_TLS_SECRET_MAX];

	if (expand_label(s, d->secret, "traffic upd", next, s->secret_len) < 0)
		return -1;
	memcpy(d->secret, next, s->secret_len);
	OPENSSL_cleanse(next, sizeof(next));
	d->seq = 0;
	return set_keys(s, d, enc);
}

static int init_direction(const struct suite *s, struct direction *d, const uint8_t *secret,
			  uint64_t seq, int enc)
{
	d->ctx = EVP_CIPHER_CTX_new();
	memcpy(d->secret, secret, s->secret_len);
	d->seq = seq;
	return d->ctx ? set_keys(s, d, enc) : -1;
}

void tls13_warm_up(void)
{
	static const uint8_t zero[PRIV_TLS_SECRET_MAX];

	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		struct direction d = { 0 };
		(void)init_direction(&suites[i], &d, zero, 0, 1);
		EVP_CIPHER_CTX_free(d.ctx);
	}
}

struct tls13_conn *tls13_conn_new(int fd, const struct priv_tls_keys *k)
{
	const struct suite *s = find_suite(k->suite);
	struct tls13_conn *c;

	/* Only the state is zeroed: the buffers' pages stay untouched (an
	 * idle session's memory) until records need them. */
	if (!s || s->secret_len != k->secret_len || !(c = malloc(sizeof(*c))))
		return NULL;
	memset(c, 0, offsetof(struct tls13_conn, in));
	c->fd = fd;
	c->suite = s;
	if (init_direction(s, &c->rd, k->read_secret, k->read_seq, 0) < 0 ||
	    init_direction(s, &c->wr, k->write_secret, k->write_seq, 1) < 0) {
		tls13_conn_free(c);
		return NULL;
	}
	return c;
}

void tls13_conn_free(struct tls13_conn *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->rd.ctx);
	EVP_CIPHER_CTX_free(c->wr.ctx);
	OPENSSL_clear_free(c, sizeof(*c));
}

/* The per-record nonce: the IV xor the sequence number (§5.3). */
static void nonce(const struct direction *d, uint8_t out[IV_LEN])
{
	memcpy(out, d->iv, IV_LEN);
	for (int i = 0; i < 8; i++)
		out[IV_LEN - 1 - i] ^= (uint8_t)(d->seq >> (8 * i));
}

/* Protect in place the record at REC whose LEN bytes of content are
 * already at REC + HDR: header, content type, encryption, tag. Its
 * length, or -1. */
static ssize_t seal_at(struct direction *d, uint8_t type, uint8_t *rec, size_t len)
{
	size_t inner = len + 1;
	uint8_t iv[IV_LEN];
	int n, fin;

	if (len > TLS13_PLAIN_MAX || d->seq == UINT64_MAX)
		return -1;
	rec[0] = CT_APPDATA;
	rec[1] = 3;
	rec[2] = 3;
	rec[3] = (uint8_t)((inner + TAG) >> 8);
	rec[4] = (uint8_t)(inner + TAG);
	rec[HDR + len] = type;
	nonce(d, iv);
	if (EVP_CipherInit_ex(d->ctx, NULL, NULL, NULL, iv, 1) != 1 ||
	    EVP_CipherUpdate(d->ctx, NULL, &n, rec, HDR) != 1 ||
	    EVP_CipherUpdate(d->ctx, rec + HDR, &n, rec + HDR, (int)inner) != 1 ||
	    EVP_CipherFinal_ex(d->ctx, rec + HDR + n, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_GET_TAG, TAG, rec + HDR + inner) != 1)
		return -1;
	d->seq++;
	return (ssize_t)(HDR + inner + TAG);
}

static int send_record(struct tls13_conn *c, uint8_t type, const void *data, size_t len)
{
	ssize_t n;

	if (len > TLS13_PLAIN_MAX)
		return -1;
	memcpy(c->out + HDR, data, len);
	n = seal_at(&c->wr, type, c->out, len);
	return n < 0 ? -1 : fd_write_all(c->fd, c->out, (size_t)n);
}

int tls13_write_all(struct tls13_conn *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (c->failed)
		return -1;
	while (len > 0) {
		size_t n = len < TLS13_PLAIN_MAX ? len : TLS13_PLAIN_MAX;
		if (send_record(c, CT_APPDATA, p, n) < 0) {
			c->failed = true;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int tls13_close_notify(struct tls13_conn *c)
{
	static const uint8_t alert[2] = { 1, ALERT_CLOSE_NOTIFY };

	return c->failed ? -1 : send_record(c, CT_ALERT, alert, sizeof(alert));
}

/* Decrypt the whole record REC (LEN bytes) into PLAIN, which may be
 * REC + HDR (in place). Its inner content type with the content's length
 * in *OUT_LEN, or -1 (bad record: end the session). */
static int open_at(struct direction *d, const uint8_t *rec, size_t len, uint8_t *plain,
		   size_t *out_len)
{
	size_t body = len - HDR, n;
	uint8_t iv[IV_LEN];
	int out, fin;

	if (rec[0] != CT_APPDATA || body < TAG + 1 || d->seq == UINT64_MAX)
		return -1;
	nonce(d, iv);
	if (EVP_CipherInit_ex(d->ctx, NULL, NULL, NULL, iv, 0) != 1 ||
	    EVP_CipherUpdate(d->ctx, NULL, &out, rec, HDR) != 1 ||
	    EVP_CipherUpdate(d->ctx, plain, &out, rec + HDR, (int)(body - TAG)) != 1 ||
	    EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_TAG, TAG, (void *)(rec + len - TAG)) !=
		    1 ||
	    EVP_CipherFinal_ex(d->ctx, plain + out, &fin) != 1)
		return -1;
	d->seq++;
	/* Padding is zeros after the content type (§5.4). */
	for (n = body - TAG; n > 0 && plain[n - 1] == 0; n--)
		;
	if (n == 0 || n - 1 > TLS13_PLAIN_MAX)
		return -1;
	*out_len = n - 1;
	return plain[n - 1];
}

/* The only handshake message a client may send now: one KeyUpdate (§4.6.3). */
static int key_update(struct tls13_conn *c, const uint8_t *m, size_t len)
{
	const uint8_t reply[5] = { HS_KEY_UPDATE, 0, 0, 1, 0 };

	if (len != 5 || m[0] != HS_KEY_UPDATE || m[1] || m[2] || m[3] != 1 || m[4] > 1)
		return -1;
	if (update_keys(c->suite, &c->rd, 0) < 0)
		return -1;
	/* update_requested: ours goes out with the old key, then we change. */
	if (m[4] == 1 && (send_record(c, CT_HANDSHAKE, reply, sizeof(reply)) < 0 ||
			  update_keys(c->suite, &c->wr, 1) < 0))
		return -1;
	return 0;
}

/* Act on a record that is not application data, its content at M. 0 go
 * on, 1 the client closed, -1 error. */
static int take_control_record(struct tls13_conn *c, int type, const uint8_t *m, size_t len)
{
	switch (type) {
	case CT_ALERT: return len == 2 && m[1] == ALERT_CLOSE_NOTIFY ? 1 : -1;
	case CT_HANDSHAKE: return key_update(c, m, len);
	default: return -1;
	}
}

/* Act on the record in c->in. 0 go on, 1 the client closed, -1 error. */
static int take_record(struct tls13_conn *c)
{
	size_t len = 0;
	int type = open_at(&c->rd, c->in, c->in_len, c->plain, &len);

	c->in_len = 0;
	if (type == CT_APPDATA) {
		c->plain_off = 0;
		c->plain_len = len;
		return 0;
	}
	return take_control_record(c, type, c->plain, len);
}

/* The whole length of the record whose header is at H, or 0 if it is
 * longer than a record may be. */
static size_t record_len(const uint8_t *h)
{
	size_t body = (size_t)h[3] << 8 | h[4];

	return body > BODY_MAX ? 0 : HDR + body;
}

/* Read toward the end of the current record. 1 a whole record is in
 * c->in, 0 EOF, -1 error, -2 not yet. */
static int read_record(struct tls13_conn *c)
{
	for (;;) {
		size_t need = HDR;
		ssize_t n;

		if (c->in_len >= HDR && (need = record_len(c->in)) == 0)
			return -1;
		if (c->in_len == need && need > HDR)
			return 1;
		n = recv(c->fd, c->in + c->in_len, need - c->in_len, MSG_DONTWAIT);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? -2 : -1;
		}
		c->in_len += (size_t)n;
	}
}

ssize_t tls13_read(struct tls13_conn *c, void *out, size_t size)
{
	for (;;) {
		int r;

		if (c->plain_len > 0) {
			size_t n = c->plain_len < size ? c->plain_len : size;
			memcpy(out, c->plain + c->plain_off, n);
			c->plain_off += n;
			c->plain_len -= n;
			return (ssize_t)n;
		}
		if (c->failed)
			return -1;
		if (c->eof)
			return 0;
		r = read_record(c);
		if (r == -2)
			return -2;
		if (r == 1) {
			int t = take_record(c);
			if (t == 0)
				continue;
			r = t == 1 ? 0 : -1;
		}
		if (r == 0)
			c->eof = true;
		else
			c->failed = true;
	}
}

bool tls13_pending(const struct tls13_conn *c)
{
	return c->plain_len > 0;
}

/* ---- bulk records for data connections ---- */

ssize_t tls13_seal_slots(struct tls13_conn *c, uint8_t *buf, size_t len)
{
	size_t out = 0;

	if (c->failed)
		return -1;
	/* Slot i starts at i * TLS13_SLOT and every record but the last is
	 * full, so each protected record ends where the next slot starts. */
	while (len > 0) {
		size_t n = len < TLS13_PLAIN_MAX ? len : TLS13_PLAIN_MAX;
		ssize_t r = seal_at(&c->wr, CT_APPDATA, buf + out, n);

		if (r < 0) {
			c->failed = true;
			return -1;
		}
		out += (size_t)r;
		len -= n;
	}
	return (ssize_t)out;
}

int tls13_open_records(struct tls13_conn *c, uint8_t *buf, size_t len, struct iovec *out,
		       int out_max, size_t *used, bool *end)
{
	int k = 0;

	*used = 0;
	*end = false;
	while (k < out_max && !c->failed && !*end && len - *used >= HDR) {
		uint8_t *rec = buf + *used;
		size_t rlen = record_len(rec), plen = 0;
		int type, r = 0;

		if (rlen == 0 || rlen == HDR) {
			c->failed = true;
			break;
		}
		if (len - *used < rlen)
			break; /* the rest of it has not arrived */
		type = open_at(&c->rd, rec, rlen, rec + HDR, &plen);
		if (type == CT_APPDATA && plen > 0) {
			out[k].iov_base = rec + HDR;
			out[k++].iov_len = plen;
		} else if (type != CT_APPDATA) {
			r = take_control_record(c, type, rec + HDR, plen);
		}
		if (r < 0)
			c->failed = true;
		else
			*used += rlen;
		*end = r == 1;
	}
	/* What was opened before a bad record is the caller's; the next call
	 * says the connection failed. */
	return k == 0 && c->failed ? -1 : k;
}
