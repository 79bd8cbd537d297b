#include "keys/keys.h"

#include <errno.h>
#include <malloc.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/log.h"
#include "privsep/proto.h"
#include "keys/sigcheck.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp.h"

/* The most session links one key holder serves at once. */
#define KEYS_MAX_LINKS 65536

struct link {
	int fd;
	unsigned long signs;
};

static EVP_PKEY *keys[CFG_MAX_VHOSTS][KEY_TYPES];

static void fail(int zygote_fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void fail(int zygote_fd, const char *fmt, ...)
{
	char why[512];
	struct priv_msg m;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	priv_encode_keys_status(&m, 1, why);
	(void)priv_send(zygote_fd, &m);
	_exit(1);
}

static const char *openssl_error(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return e ? buf : "unknown error";
}

static int send_cert(int zygote_fd, uint32_t vhost, uint32_t type, uint32_t index, X509 *x)
{
	struct priv_keys_cert *c = calloc(1, sizeof(*c));
	struct priv_msg m;
	unsigned char *p;
	int n = i2d_X509(x, NULL), rc = -1;

	if (c && n > 0 && (size_t)n <= sizeof(c->der)) {
		p = c->der;
		c->vhost = vhost;
		c->key_type = type;
		c->index = index;
		c->len = (uint32_t)i2d_X509(x, &p);
		priv_encode_keys_cert(&m, c);
		rc = priv_send(zygote_fd, &m);
	}
	free(c);
	return rc;
}

/* One certificate file and its key (KEY "" = in the certificate file),
 * as the rest of the world knows them: leaf + chain. */
static void load_pair(int zygote_fd, const struct cfg_vhost *vh, uint32_t vi, const char *cert,
		      const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *pk;
	uint32_t type;

	if (!cert[0]) {
		SSL_CTX_free(ctx);
		return;
	}
	if (!ctx)
		fail(zygote_fd, "vhost %s: %s", vh->name, openssl_error());
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		fail(zygote_fd, "vhost %s: %s: %s", vh->name, cert, openssl_error());
	if (SSL_CTX_use_PrivateKey_file(ctx, key[0] ? key : cert, SSL_FILETYPE_PEM) != 1)
		fail(zygote_fd, "vhost %s: %s: %s", vh->name, key[0] ? key : cert, openssl_error());
	if (SSL_CTX_check_private_key(ctx) != 1)
		fail(zygote_fd, "vhost %s: %s: certificate and key do not match", vh->name, cert);
	pk = SSL_CTX_get0_privatekey(ctx);
	type = EVP_PKEY_is_a(pk, "RSA") ? KEY_RSA : EVP_PKEY_is_a(pk, "EC") ? KEY_ECDSA : KEY_TYPES;
	if (type == KEY_TYPES)
		fail(zygote_fd, "vhost %s: %s: only RSA and ECDSA keys", vh->name, cert);
	if (keys[vi][type])
		fail(zygote_fd, "vhost %s: two certificates with %s keys", vh->name,
		     type == KEY_RSA ? "RSA" : "ECDSA");
	(void)SSL_CTX_get0_chain_certs(ctx, &chain);
	if (sk_X509_num(chain) + 1 > PRIV_CHAIN_MAX)
		fail(zygote_fd, "vhost %s: %s: chain longer than %d", vh->name, cert,
		     PRIV_CHAIN_MAX);
	if (send_cert(zygote_fd, vi, type, 0, SSL_CTX_get0_certificate(ctx)) < 0)
		fail(zygote_fd, "vhost %s: %s: certificate too large", vh->name, cert);
	for (int i = 0; i < sk_X509_num(chain); i++)
		if (send_cert(zygote_fd, vi, type, (uint32_t)i + 1, sk_X509_value(chain, i)) < 0)
			fail(zygote_fd, "vhost %s: %s: certificate too large", vh->name, cert);
	EVP_PKEY_up_ref(pk);
	keys[vi][type] = pk;
	SSL_CTX_free(ctx);
}

static void load_all(const struct ftpsd_config *cfg, int zygote_fd)
{
	struct priv_msg m;

	for (size_t i = 0; i < cfg->nvhosts; i++) {
		const struct cfg_vhost *vh = &cfg->vhosts[i];
		if (!vh->set.ssl_enable)
			continue;
		load_pair(zygote_fd, vh, (uint32_t)i, vh->set.rsa_cert_file,
			  vh->set.rsa_private_key_file);
		load_pair(zygote_fd, vh, (uint32_t)i, vh->set.ecdsa_cert_file,
			  vh->set.ecdsa_private_key_file);
	}
	priv_encode_keys_status(&m, 0, "");
	if (priv_send(zygote_fd, &m) < 0)
		_exit(1);
}

static void sandbox_self(const struct ftpsd_config *cfg, int zygote_fd)
{
	const struct cfg_settings *g = &cfg->global;
	struct passwd *pw = getpwnam(g->nopriv_user);
	struct sandbox_identity id = { .root_dir = g->secure_chroot_dir,
				       .new_netns = g->isolate_network };

	struct rlimit files;

	if (!pw) {
		log_msg(LOG_LVL_ERR, "key holder: no user %s", g->nopriv_user);
		_exit(1);
	}
	id.uid = pw->pw_uid;
	id.gid = pw->pw_gid;
	malloc_trim(0);
	/* One fd per session link: as many as the hard limit allows. */
	if (getrlimit(RLIMIT_NOFILE, &files) < 0)
		files.rlim_max = SANDBOX_FILES;
	if (sandbox_become(&id) < 0 ||
	    sandbox_harden((unsigned)(files.rlim_max < KEYS_MAX_LINKS + 16 ? files.rlim_max
									   : KEYS_MAX_LINKS + 16)) <
		    0) {
		log_msg(LOG_LVL_ERR, "key holder: sandbox: %s", strerror(errno));
		_exit(1);
	}
	if (g->seccomp_sandbox && sandbox_seccomp_apply(ROLE_KEYS, -1, false) < 0) {
		log_msg(LOG_LVL_ERR, "key holder: seccomp: %s", strerror(errno));
		_exit(1);
	}
	(void)zygote_fd;
}

/* Whether REQ is something a TLS server signs, with a key we hold. */
static EVP_PKEY *check_request(const struct ftpsd_config *cfg, const struct priv_sign *req,
			       const char **why)
{
	EVP_PKEY *pk;

	*why = NULL;
	if (req->vhost >= cfg->nvhosts || !(pk = keys[req->vhost][req->key_type])) {
		*why = "no such key";
		return NULL;
	}
	if (req->op == SIGN_RSA_PKCS1 && !sigcheck_digest_info(req->in, req->len))
		*why = "not a DigestInfo";
	else if (req->op == SIGN_RSA_PSS &&
		 !sigcheck_pss_block(req->in, req->len, (unsigned)EVP_PKEY_get_bits(pk)))
		*why = "not a PSS block";
	else if (req->op == SIGN_ECDSA && !sigcheck_ecdsa_digest(req->len))
		*why = "not a digest";
	return *why ? NULL : pk;
}

static int sign(EVP_PKEY *pk, const struct priv_sign *req, struct priv_sign_result *res)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
	size_t len = sizeof(res->sig);
	int ok = c && EVP_PKEY_sign_init(c) == 1;

	if (ok && req->op != SIGN_ECDSA)
		ok = EVP_PKEY_CTX_set_rsa_padding(c, req->op == SIGN_RSA_PKCS1
							     ? RSA_PKCS1_PADDING
							     : RSA_NO_PADDING) == 1;
	ok = ok && EVP_PKEY_sign(c, res->sig, &len, req->in, req->len) == 1;
	EVP_PKEY_CTX_free(c);
	ERR_clear_error();
	res->status = ok ? 0 : 1;
	res->len = ok ? (uint32_t)len : 0;
	return ok ? 0 : -1;
}

/* One request on L. -1 ends the link: a closed or broken one, or a
 * request that no handshake makes. */
static int serve_link(const struct ftpsd_config *cfg, struct link *l, struct priv_msg *m)
{
	static struct priv_sign req;
	static struct priv_sign_result res;
	const char *why;
	EVP_PKEY *pk;
	int r = priv_recv(l->fd, m);

	if (r != 1)
		return -1;
	memset(&res, 0, sizeof(res));
	res.status = 1;
	if (m->type != PRIV_SIGN || priv_decode_sign(m, &req) < 0)
		why = "malformed request";
	else if (++l->signs > KEYS_SIGNS_PER_LINK)
		why = "too many signatures for one session";
	else if ((pk = check_request(cfg, &req, &why)) && sign(pk, &req, &res) < 0)
		why = "signing failed";
	if (why)
		log_msg(LOG_LVL_WARN, "violation: key holder refused a signature: %s", why);
	priv_encode_sign_result(m, &res);
	r = priv_send(l->fd, m);
	OPENSSL_cleanse(&req, sizeof(req));
	return why || r < 0 ? -1 : 0;
}

static void add_link(int ep, struct priv_msg *m, size_t *nlinks)
{
	struct link *l;
	struct epoll_event ev = { .events = EPOLLIN };

	if (priv_decode_keys_link(m) < 0 || *nlinks >= KEYS_MAX_LINKS ||
	    !(l = calloc(1, sizeof(*l)))) {
		if (m->fd >= 0)
			close(m->fd);
		return;
	}
	l->fd = m->fd;
	ev.data.ptr = l;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, l->fd, &ev) < 0) {
		close(l->fd);
		free(l);
		return;
	}
	(*nlinks)++;
}

static void drop_link(int ep, struct link *l, size_t *nlinks)
{
	(void)epoll_ctl(ep, EPOLL_CTL_DEL, l->fd, NULL);
	close(l->fd);
	free(l);
	(*nlinks)--;
}

__attribute__((noreturn)) static void serve(const struct ftpsd_config *cfg, int zygote_fd)
{
	static struct link zygote;
	struct priv_msg *m = malloc(sizeof(*m));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &zygote }, ready[64];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	size_t nlinks = 0;
	bool zygote_gone = false;

	zygote.fd = zygote_fd;
	if (!m || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, zygote_fd, &ev) < 0)
		_exit(1);
	while (!zygote_gone || nlinks > 0) {
		int n = epoll_wait(ep, ready, 64, -1);
		if (n < 0 && errno != EINTR)
			_exit(1);
		for (int i = 0; i < n; i++) {
			struct link *l = ready[i].data.ptr;
			if (l != &zygote) {
				if (serve_link(cfg, l, m) < 0)
					drop_link(ep, l, &nlinks);
				continue;
			}
			if (priv_recv(zygote_fd, m) != 1) {
				zygote_gone = true; /* retired: serve who is left */
				(void)epoll_ctl(ep, EPOLL_CTL_DEL, zygote_fd, NULL);
				close(zygote_fd);
			} else if (m->type == PRIV_KEYS_LINK) {
				add_link(ep, m, &nlinks);
			} else if (m->fd >= 0) {
				close(m->fd);
			}
		}
	}
	_exit(0);
}

void keys_run(const struct ftpsd_config *cfg, int zygote_fd)
{
	sandbox_set_name("ftpsd-keys");
	load_all(cfg, zygote_fd);
	sandbox_self(cfg, zygote_fd);
	serve(cfg, zygote_fd);
}
