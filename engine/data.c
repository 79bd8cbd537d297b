#include "engine/data.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proxyread.h"
#include "config/proxytrust.h"
#include "privsep/client.h"
#include "privsep/proto.h"
#include "tls/tls13_capture.h"
#include "tls/tls13_record.h"

int data_pasv_request(struct session *s, uint32_t kind, struct net_addr *advertise)
{
	struct priv_pasv_result r;

	if (s->eng.pasv_fd >= 0) {
		close(s->eng.pasv_fd);
		s->eng.pasv_fd = -1;
	}
	s->eng.active = false; /* PASV and PORT cancel each other */
	if (priv_ask_pasv(s->priv_fd, kind, &r) < 0)
		_exit(1); /* the monitor is gone or broken */
	if (r.status != PASV_OK)
		return (int)r.status;
	s->eng.pasv_fd = r.fd;
	*advertise = r.advertise;
	return PASV_OK;
}

static void set_timeouts(int fd, unsigned seconds)
{
	struct timeval tv = { .tv_sec = seconds };
	int one = 1;

	/* The last segment of a transfer goes out at once, not after the
	 * peer's delayed ACK. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Best effort: without them a stalled peer holds the session until
	 * the idle timeout. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Is the data connection FD, from PEER, the control client's? Directly
 * from it, or through a proxy: with proxy_protocol_data a trusted proxy's
 * header must name the control's real client (read here, bounded and
 * with its deadline, before a byte of data); without, a proxied session's
 * data comes from the proxy that carried its control connection. */
static bool data_peer_ok(const struct session *s, int fd, const struct net_addr *peer,
			 const char **why)
{
	struct proxy_header h;

	*why = NULL;
	if (s->given.set->proxy_protocol_data && proxy_is_trusted(s->given.set, peer)) {
		if (proxy_read(fd, PROXY_READ_TIMEOUT_MS, &h, why) != PROXY_DONE)
			return false;
		if (h.local || !net_addr_same_ip(&h.src, &s->given.peer)) {
			*why = h.local ? "PROXY header names no client"
				       : "PROXY header names another client";
			return false;
		}
		return true;
	}
	if (net_addr_same_ip(peer, &s->given.peer))
		return true;
	return s->given.proxy.len && !s->given.set->proxy_protocol_data &&
	       net_addr_same_ip(peer, &s->given.proxy);
}

/* Returns the connection, -1 on timeout/error, -2 for a foreign peer. */
static int accept_from_client(struct session *s)
{
	struct pollfd p = { .fd = s->eng.pasv_fd, .events = POLLIN };
	struct net_addr peer;
	const char *why = NULL;
	int r, fd;

	do
		r = poll(&p, 1, (int)s->given.set->accept_timeout * 1000);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -1;
	peer.len = sizeof(peer.ss);
	fd = accept4(s->eng.pasv_fd, (struct sockaddr *)&peer.ss, &peer.len, SOCK_CLOEXEC);
	if (fd < 0)
		return -1;
	if (!s->given.set->pasv_promiscuous && !data_peer_ok(s, fd, &peer, &why)) {
		char ip[NETADDR_STRLEN];
		net_addr_ip_string(&peer, ip, sizeof(ip));
		log_msg(LOG_LVL_WARN,
			"violation: data connection from %s refused (control client %s)%s%s", ip,
			s->given.peer_ip, why ? ": " : "", why ? why : "");
		close(fd);
		return -2;
	}
	return fd;
}

static bool data_tls_required(const struct session *s)
{
	return s->given.set->ssl_enable &&
	       (s->login.anonymous ? s->given.set->force_anon_data_ssl
				   : s->given.set->force_local_data_ssl);
}

/* With require_ssl_reuse the context has no certificate: only a
 * resumption of this session's control TLS session can succeed. */
static int start_tls(struct session *s, struct data_conn *dc)
{
	SSL_CTX *ctx = s->given.set->require_ssl_reuse ? s->given.tls->resume : s->given.tls->full;
	char err[256];

	/* Without room for the capture OpenSSL keeps the records. */
	(void)tls13_capture_watch(ctx);
	dc->ssl = tls_accept(ctx, dc->fd, s->given.set->data_connection_timeout, err, sizeof(err));
	if (dc->ssl)
		tls13_capture_handshake_done(dc->ssl);
	if (!dc->ssl) {
		log_msg(LOG_LVL_WARN, "violation: data TLS refused for client %s: %s%s",
			s->given.peer_ip, err,
			s->given.set->require_ssl_reuse
				? " (it must resume the control connection's TLS session)"
				: "");
		return -1;
	}
	if (s->given.set->require_ssl_reuse && !SSL_session_reused(dc->ssl)) {
		log_msg(LOG_LVL_WARN,
			"violation: data TLS for client %s did not resume the session",
			s->given.peer_ip);
		return -1;
	}
	return 0;
}

int data_open(struct session *s, struct data_conn *dc, const char *prelim)
{
	dc->fd = -1;
	dc->ssl = NULL;
	dc->rec = NULL;
	if (!s->eng.prot_private && data_tls_required(s))
		return ctrl_reply(&s->ctrl, 521, "Data connections must be encrypted (PROT P).") < 0
			       ? -2
			       : -1;
	if (s->eng.active) {
		/* The monitor connects (and checks the address again). */
		dc->fd = data_active_connect(s);
		if (dc->fd < 0)
			return ctrl_reply(&s->ctrl, 425, "Failed to establish connection.") < 0
				       ? -2
				       : -1;
	} else if (s->eng.pasv_fd < 0) {
		return ctrl_reply(&s->ctrl, 425, "Use PORT, PASV or EPSV first.") < 0 ? -2 : -1;
	} else {
		dc->fd = accept_from_client(s);
	}
	if (s->eng.pasv_fd >= 0) {
		close(s->eng.pasv_fd);
		s->eng.pasv_fd = -1;
	}
	if (dc->fd == -2)
		return ctrl_reply(&s->ctrl, 425,
				  "Security: data connection from a foreign address.") < 0
			       ? -2
			       : -1;
	if (dc->fd < 0)
		return ctrl_reply(&s->ctrl, 425, "Failed to establish connection.") < 0 ? -2 : -1;
	set_timeouts(dc->fd, s->given.set->data_connection_timeout);
	if (ctrl_reply(&s->ctrl, 150, "%s", prelim) < 0) {
		data_close(dc);
		return -2;
	}
	if (s->eng.prot_private && start_tls(s, dc) < 0) {
		data_close(dc);
		return ctrl_reply(&s->ctrl, 425, "Data TLS handshake refused.") < 0 ? -2 : -1;
	}
	return 0;
}

bool data_take_records(struct data_conn *dc)
{
	struct priv_tls_keys k;

	if (dc->ssl && !dc->rec && tls13_capture_export(dc->ssl, &k) == 0 &&
	    (dc->rec = tls13_conn_new(dc->fd, &k)))
		log_msg(LOG_LVL_DEBUG, "data TLS: TLS 1.3 records by ftpsd's own layer");
	OPENSSL_cleanse(&k, sizeof(k));
	return dc->rec != NULL;
}

/* Our layer's end: close_notify unless the transfer failed (xfer_end
 * makes the SSL quiet then, the one place that decides), and OpenSSL told
 * the connection is over so that it neither writes a record of its own
 * nor counts the session as broken. */
static void close_records(struct data_conn *dc)
{
	if (!SSL_get_quiet_shutdown(dc->ssl))
		(void)tls13_close_notify(dc->rec);
	tls13_conn_free(dc->rec);
	dc->rec = NULL;
	SSL_set_shutdown(dc->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(dc->ssl);
	dc->ssl = NULL;
}

void data_close(struct data_conn *dc)
{
	if (dc->rec)
		close_records(dc);
	if (dc->ssl) {
		tls_close(dc->ssl);
		dc->ssl = NULL;
	}
	if (dc->fd >= 0)
		close(dc->fd);
	dc->fd = -1;
}
