#include "daemon/data.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "daemon/log.h"
#include "privsep/proto.h"

int data_pasv_request(struct session *s, uint32_t kind,
		      struct net_addr *advertise)
{
	struct priv_msg m;
	struct priv_pasv_result r;

	if (s->pasv_fd >= 0) {
		close(s->pasv_fd);
		s->pasv_fd = -1;
	}
	priv_encode_pasv(&m, kind);
	if (priv_send(s->priv_fd, &m) < 0 || priv_recv(s->priv_fd, &m) != 1 ||
	    m.type != PRIV_PASV_RESULT || priv_decode_pasv_result(&m, &r) < 0)
		_exit(1); /* the monitor is gone or broken */
	if (r.status != PASV_OK)
		return (int)r.status;
	s->pasv_fd = r.fd;
	*advertise = r.advertise;
	return PASV_OK;
}

static void set_timeouts(int fd, unsigned seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	/* Best effort: without them a stalled peer holds the session until
	 * the idle timeout. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int accept_from_client(struct session *s)
{
	struct pollfd p = { .fd = s->pasv_fd, .events = POLLIN };
	struct net_addr peer;
	int r, fd;

	do
		r = poll(&p, 1, (int)s->set->accept_timeout * 1000);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -1;
	peer.len = sizeof(peer.ss);
	fd = accept4(s->pasv_fd, (struct sockaddr *)&peer.ss, &peer.len,
		     SOCK_CLOEXEC);
	if (fd < 0)
		return -1;
	if (!s->set->pasv_promiscuous && !net_addr_same_ip(&peer, &s->peer)) {
		char ip[NETADDR_STRLEN];
		net_addr_ip_string(&peer, ip, sizeof(ip));
		log_msg(LOG_LVL_WARN,
			"violation: data connection from %s refused (control client %s)",
			ip, s->peer_ip);
		close(fd);
		return -2;
	}
	return fd;
}

int data_open(struct session *s)
{
	int fd;

	if (s->pasv_fd < 0) {
		ctrl_reply(&s->ctrl, 425, "Use PASV or EPSV first.");
		return -1;
	}
	fd = accept_from_client(s);
	close(s->pasv_fd);
	s->pasv_fd = -1;
	if (fd == -2) {
		ctrl_reply(&s->ctrl, 425, "Security: data connection from a foreign address.");
		return -1;
	}
	if (fd < 0) {
		ctrl_reply(&s->ctrl, 425, "Failed to establish connection.");
		return -1;
	}
	set_timeouts(fd, s->set->data_connection_timeout);
	return fd;
}

int data_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
