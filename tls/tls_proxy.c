#define OPENSSL_SUPPRESS_DEPRECATED /* RSA_METHOD, EC_KEY_METHOD: see the header */
#include "tls/tls_proxy.h"

#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <string.h>

#include "privsep/client.h"
#include "privsep/proto.h"

/* Which key a proxy stands for, kept in the key's ex_data as a number. */
#define TAG_REFUSE (1u << 31)
#define TAG(vhost, type) ((uintptr_t)(((vhost) << 8) | (type)))

static int channel = -1;
static char server_name[PRIV_HOST_NAME_MAX];
static int rsa_index = -1, ec_index = -1;

void tls_proxy_set_channel(int fd)
{
	channel = fd;
}

void tls_proxy_set_server_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n >= sizeof(server_name))
		n = 0; /* longer than any vhost's name: matches none */
	memcpy(server_name, name ? name : "", n);
	server_name[n] = '\0';
}

/* How long a handshake waits for its signature: longer than the monitor
 * waits for the key holder (monitor/signing.c), and bounded, because a
 * monitor that is ending its session answers nothing. */
#define SIGN_WAIT_MS 15000

/* One request, one reply, on the channel. The signature's length, or -1. */
static int remote_sign(uintptr_t tag, uint32_t op, const unsigned char *in, size_t len,
		       unsigned char *out, size_t outsize)
{
	static struct priv_sign req;
	static struct priv_sign_result res;
	int n = -1;

	if ((tag & TAG_REFUSE) || channel < 0 || len == 0 || len > sizeof(req.in))
		return -1;
	req.vhost = (uint32_t)(tag >> 8);
	req.key_type = (uint32_t)(tag & 0xff);
	req.op = op;
	memcpy(req.name, server_name, sizeof(req.name));
	req.len = (uint32_t)len;
	memcpy(req.in, in, len);
	if (priv_ask_sign(channel, &req, &res, SIGN_WAIT_MS) == 0 && res.status == 0 &&
	    res.len <= outsize) {
		memcpy(out, res.sig, res.len);
		n = (int)res.len;
	}
	memset(&req, 0, sizeof(req));
	return n;
}

static int rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
			int padding)
{
	uintptr_t tag = (uintptr_t)RSA_get_ex_data(rsa, rsa_index);
	uint32_t op = padding == RSA_PKCS1_PADDING ? SIGN_RSA_PKCS1
		      : padding == RSA_NO_PADDING  ? SIGN_RSA_PSS
						   : 0;
	int n;

	if (!op || flen <= 0)
		return -1;
	n = remote_sign(tag, op, from, (size_t)flen, to, (size_t)RSA_size(rsa));
	return n == RSA_size(rsa) ? n : -1;
}

/* Decryption (RSA key exchange) is never offered: ECDHE suites only. */
static int rsa_priv_dec(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
			int padding)
{
	(void)flen, (void)from, (void)to, (void)rsa, (void)padding;
	return -1;
}

static int ec_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
		   unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *eckey)
{
	uintptr_t tag = (uintptr_t)EC_KEY_get_ex_data(eckey, ec_index);
	int n;

	(void)type, (void)kinv, (void)r;
	if (dlen <= 0)
		return 0;
	n = remote_sign(tag, SIGN_ECDSA, dgst, (size_t)dlen, sig, (size_t)ECDSA_size(eckey));
	if (n <= 0)
		return 0;
	*siglen = (unsigned int)n;
	return 1;
}

static RSA_METHOD *rsa_method(void)
{
	static RSA_METHOD *m;

	if (!m && (m = RSA_meth_dup(RSA_PKCS1_OpenSSL())) &&
	    (RSA_meth_set1_name(m, "ftpsd key holder") != 1 ||
	     RSA_meth_set_priv_enc(m, rsa_priv_enc) != 1 ||
	     RSA_meth_set_priv_dec(m, rsa_priv_dec) != 1)) {
		RSA_meth_free(m);
		m = NULL;
	}
	if (rsa_index < 0)
		rsa_index = RSA_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	return rsa_index < 0 ? NULL : m;
}

static EC_KEY_METHOD *ec_method(void)
{
	static EC_KEY_METHOD *m;

	if (!m && (m = EC_KEY_METHOD_new(EC_KEY_get_default_method()))) {
		int (*sign)(int, const unsigned char *, int, unsigned char *, unsigned int *,
			    const BIGNUM *, const BIGNUM *, EC_KEY *);
		int (*setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **);
		ECDSA_SIG *(*sign_sig)(const unsigned char *, int, const BIGNUM *, const BIGNUM *,
				       EC_KEY *);
		EC_KEY_METHOD_get_sign(m, &sign, &setup, &sign_sig);
		EC_KEY_METHOD_set_sign(m, ec_sign, setup, sign_sig);
	}
	if (ec_index < 0)
		ec_index = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	return ec_index < 0 ? NULL : m;
}

static EVP_PKEY *wrap_rsa(EVP_PKEY *pub, uintptr_t tag)
{
	RSA_METHOD *meth = rsa_method();
	RSA *rsa = meth ? EVP_PKEY_get1_RSA(pub) : NULL;
	EVP_PKEY *p = EVP_PKEY_new();

	if (rsa && p && RSA_set_method(rsa, meth) == 1 &&
	    RSA_set_ex_data(rsa, rsa_index, (void *)tag) == 1 && EVP_PKEY_assign_RSA(p, rsa) == 1)
		return p;
	RSA_free(rsa);
	EVP_PKEY_free(p);
	return NULL;
}

static EVP_PKEY *wrap_ec(EVP_PKEY *pub, uintptr_t tag)
{
	EC_KEY_METHOD *meth = ec_method();
	EC_KEY *ec = meth ? EVP_PKEY_get1_EC_KEY(pub) : NULL;
	EVP_PKEY *p = EVP_PKEY_new();

	if (ec && p && EC_KEY_set_method(ec, meth) == 1 &&
	    EC_KEY_set_ex_data(ec, ec_index, (void *)tag) == 1 &&
	    EVP_PKEY_assign_EC_KEY(p, ec) == 1)
		return p;
	EC_KEY_free(ec);
	EVP_PKEY_free(p);
	return NULL;
}

static EVP_PKEY *wrap(X509 *cert, uintptr_t tag)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);

	if (!pub)
		return NULL;
	if (EVP_PKEY_is_a(pub, "RSA"))
		return wrap_rsa(pub, tag);
	if (EVP_PKEY_is_a(pub, "EC"))
		return wrap_ec(pub, tag);
	return NULL;
}

EVP_PKEY *tls_proxy_key(X509 *cert, uint32_t vhost, uint32_t key_type)
{
	return wrap(cert, TAG(vhost, key_type));
}

EVP_PKEY *tls_refusing_key(X509 *cert)
{
	return wrap(cert, TAG_REFUSE);
}
