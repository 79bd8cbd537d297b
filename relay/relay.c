#include "relay/relay.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/log.h"
#include "tls/tls.h"
#include "tls/tls13_capture.h"
#include "tls/tls_proxy.h"
#include "privsep/client.h"
#include "privsep/proto.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp.h"
#include "config/vhosts.h"

#define RELAY_BUF 16384

static void relay_log(int level, const char *line, void *ctx)
{
	struct priv_log v = { .level = (uint32_t)level };
	struct priv_msg m;

	snprintf(v.line, sizeof(v.line), "%s", line);
	priv_encode_log(&m, &v);
	(void)priv_send(*(const int *)ctx, &m);
}

static void drop_privileges(const struct relay_args *a)
{
	struct passwd *pw = getpwnam(a->nopriv_user);
	struct sandbox_identity id = { .root_dir = a->empty_dir, .new_netns = a->isolate_network };

	if (!pw)
		_exit(1);
	id.uid = pw->pw_uid;
	id.gid = pw->pw_gid;
	if (sandbox_become(&id) < 0 || sandbox_harden(SANDBOX_FILES) < 0)
		_exit(1);
	sandbox_die_with_parent(a->parent);
	if (a->seccomp && sandbox_seccomp_apply(ROLE_RELAY, a->monitor_fd, true) < 0)
		_exit(1);
}

static void send_session(const struct relay_args *a, SSL *ssl)
{
	struct priv_msg m;
	struct priv_tls_session v;
	int n = tls_session_export(ssl, v.der, sizeof(v.der));

	if (n <= 0)
		return;
	v.len = (uint32_t)n;
	priv_encode_tls_session(&m, &v);
	(void)priv_send(a->monitor_fd, &m);
	OPENSSL_cleanse(&v, sizeof(v));
	OPENSSL_cleanse(m.body, m.len);
}

/* Client → engine: everything TLS has decrypted, including records
 * already buffered inside OpenSSL (poll cannot see those). */
static int pump_from_client(SSL *ssl, int plain_fd)
{
	char buf[RELAY_BUF];

	do {
		int n = SSL_read(ssl, buf, sizeof(buf));
		if (n <= 0)
			return -1; /* close_notify, reset, or timeout */
		if (fd_write_all(plain_fd, buf, (size_t)n) < 0)
			return -1;
	} while (SSL_pending(ssl) > 0);
	return 0;
}

/* Engine → client. */
static int pump_to_client(SSL *ssl, int plain_fd)
{
	char buf[RELAY_BUF];
	ssize_t n = read(plain_fd, buf, sizeof(buf));

	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0)
		return -1;
	return SSL_write(ssl, buf, (int)n) == (int)n ? 0 : -1;
}

/* What the engine wrote and we have not forwarded yet: the pre-auth
 * engine is gone when the monitor asks for the handoff. */
static int flush_engine_output(SSL *ssl, int plain_fd)
{
	struct pollfd p = { .fd = plain_fd, .events = POLLIN };

	while (poll(&p, 1, 0) == 1 && (p.revents & POLLIN))
		if (pump_to_client(ssl, plain_fd) < 0)
			return -1;
	return 0;
}

/* The monitor, at login: give the connection's records to the user's
 * engine and end, or say why not and stay. We read nothing from the
 * client from here on; what it sent since waits in the socket for the
 * engine. */
static void hand_off(SSL *ssl, const struct relay_args *a)
{
	struct priv_msg *m = malloc(sizeof(*m));
	struct priv_tls_keys k;
	bool ok;

	if (!m || priv_recv(a->monitor_fd, m) != 1 || m->type != PRIV_RELAY_HANDOFF ||
	    priv_decode_relay_handoff(m) < 0)
		_exit(1);
	ok = flush_engine_output(ssl, a->plain_fd) == 0 && tls13_capture_export(ssl, &k) == 0;
	priv_encode_tls_handoff(m, ok ? &k : NULL);
	if (priv_send(a->monitor_fd, m) < 0)
		_exit(1);
	OPENSSL_cleanse(&k, sizeof(k));
	OPENSSL_cleanse(m, sizeof(*m));
	free(m);
	tls13_capture_forget(ssl);
	if (ok)
		_exit(0); /* no close_notify: the connection goes on */
}

static void relay_loop(SSL *ssl, const struct relay_args *a)
{
	struct pollfd p[3] = {
		{ .fd = a->client_fd, .events = POLLIN },
		{ .fd = a->plain_fd, .events = POLLIN },
		{ .fd = a->monitor_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    pump_from_client(ssl, a->plain_fd) < 0)
			return;
		if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    pump_to_client(ssl, a->plain_fd) < 0) {
			tls_close(ssl); /* the engine ended: close_notify */
			_exit(0);
		}
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
			hand_off(ssl, a);
	}
}

/* The ClientHello's server name picks the certificate: a name listed in
 * the server_name of a vhost that serves this address switches to that
 * vhost's full context; any other name keeps the default vhost's. */
static int servername_cb(SSL *ssl, int *alert, void *arg)
{
	const struct relay_args *a = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	int vi;

	(void)alert;
	tls_proxy_set_server_name(name);
	if (!name || !a->cfg || !a->all_tls)
		return SSL_TLSEXT_ERR_OK;
	vi = vhost_find_by_name(a->cfg, &a->local, name);
	if (vi >= 0 && a->all_tls[vi].full && a->all_tls[vi].full != a->ctx)
		(void)SSL_set_SSL_CTX(ssl, a->all_tls[vi].full);
	return SSL_TLSEXT_ERR_OK;
}

/* Tell the monitor which name SNI carried, and wait until it has set the
 * session up for that vhost: nothing is forwarded before. */
static void report_ready(const struct relay_args *a, SSL *ssl)
{
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	if (priv_ask_tls_ready(a->monitor_fd, name && strlen(name) < 256 ? name : "") < 0)
		_exit(1);
}

/* Sandboxed already, and holding no connection: wait for the one the
 * monitor gives us, for the vhost it chose (HOST may have changed it).
 * The monitor is trusted here, the message is checked all the same. */
static void wait_for_start(struct relay_args *a)
{
	struct priv_msg *m = malloc(sizeof(*m));
	struct priv_relay_start st;

	if (!m || priv_recv(a->monitor_fd, m) != 1 || m->type != PRIV_RELAY_START ||
	    priv_decode_relay_start(m, &st) < 0 || !a->cfg || !a->all_tls ||
	    st.vhost >= a->cfg->nvhosts || !a->all_tls[st.vhost].full)
		_exit(1);
	a->ctx = a->all_tls[st.vhost].full;
	a->client_fd = m->fd;
	a->handshake_timeout = st.handshake_timeout;
	a->local = st.local;
	if (st.ticket_key_len)
		tls_session_key_set(st.ticket_key);
	OPENSSL_cleanse(&st, sizeof(st));
	OPENSSL_cleanse(m, sizeof(*m));
	free(m);
}

void relay_run(struct relay_args *a)
{
	char err[256], desc[128];
	SSL *ssl;

	log_set_forward(relay_log, (void *)&a->monitor_fd);
	/* The handshake's one signature is made by the key holder. */
	tls_proxy_set_channel(a->monitor_fd);
	/* No room for the capture: no handoff, the relay stays. */
	for (size_t v = 0; a->cfg && a->all_tls && v < a->cfg->nvhosts; v++)
		if (a->all_tls[v].full)
			(void)tls13_capture_watch(a->all_tls[v].full);
	drop_privileges(a);
	wait_for_start(a);
	SSL_CTX_set_tlsext_servername_callback(a->ctx, servername_cb);
	SSL_CTX_set_tlsext_servername_arg(a->ctx, (void *)a);
	ssl = tls_accept(a->ctx, a->client_fd, a->handshake_timeout, err, sizeof(err));
	if (!ssl) {
		log_msg(LOG_LVL_WARN, "control TLS %s", err);
		_exit(1);
	}
	tls13_capture_handshake_done(ssl);
	tls_describe(ssl, desc, sizeof(desc));
	log_msg(LOG_LVL_DEBUG, "control TLS: %s", desc);
	send_session(a, ssl);
	report_ready(a, ssl);
	/* The handshake's scratch memory (certificate parsing, key shares,
	 * transcript) is freed but dirty: give it back before the long idle
	 * life of the control connection (measured: ~300 KiB per session). */
	malloc_trim(0);
	relay_loop(ssl, a);
	SSL_free(ssl);
	_exit(0);
}
