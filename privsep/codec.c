#include "privsep/codec.h"
#include "privsep/rules.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void priv_msg_init(struct priv_msg *m, uint16_t type)
{
	m->type = type;
	m->len = 0;
	m->pos = 0;
	m->fd = -1;
	m->bad = false;
}

static void put_raw(struct priv_msg *m, const void *p, size_t n)
{
	if (m->bad || n > PRIV_BODY_MAX - m->len) {
		m->bad = true;
		return;
	}
	memcpy(m->body + m->len, p, n);
	m->len += n;
}

static bool get_raw(struct priv_msg *m, void *p, size_t n)
{
	if (m->bad || n > m->len - m->pos) {
		m->bad = true;
		return false;
	}
	memcpy(p, m->body + m->pos, n);
	m->pos += n;
	return true;
}

void priv_put_u32(struct priv_msg *m, uint32_t v)
{
	put_raw(m, &v, sizeof(v));
}

void priv_put_u64(struct priv_msg *m, uint64_t v)
{
	put_raw(m, &v, sizeof(v));
}

void priv_put_bytes(struct priv_msg *m, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		m->bad = true;
		return;
	}
	priv_put_u32(m, (uint32_t)n);
	put_raw(m, p, n);
}

void priv_put_str(struct priv_msg *m, const char *s)
{
	priv_put_bytes(m, s, strlen(s));
}

uint32_t priv_get_u32(struct priv_msg *m)
{
	uint32_t v = 0;
	return get_raw(m, &v, sizeof(v)) ? v : 0;
}

uint64_t priv_get_u64(struct priv_msg *m)
{
	uint64_t v = 0;
	return get_raw(m, &v, sizeof(v)) ? v : 0;
}

size_t priv_get_bytes(struct priv_msg *m, void *out, size_t size)
{
	uint32_t n = priv_get_u32(m);

	if (m->bad || n > size) {
		m->bad = true;
		return 0;
	}
	return get_raw(m, out, n) ? n : 0;
}

void priv_get_str(struct priv_msg *m, char *out, size_t size)
{
	size_t n;

	if (size == 0) {
		m->bad = true;
		return;
	}
	n = priv_get_bytes(m, out, size - 1);
	out[n] = '\0';
	if (!m->bad && memchr(out, '\0', n))
		m->bad = true;
	if (m->bad)
		out[0] = '\0';
}

int priv_msg_check(const struct priv_msg *m)
{
	if (m->bad || m->pos != m->len)
		return -1;
	return priv_fd_rule_ok(m);
}

int priv_msg_encode(const struct priv_msg *m, uint8_t *wire, size_t size)
{
	uint16_t zero = 0;
	uint32_t len = (uint32_t)m->len;

	if (m->bad || m->len > PRIV_BODY_MAX || size < PRIV_HDR_LEN + m->len)
		return -1;
	memcpy(wire, &m->type, 2);
	memcpy(wire + 2, &zero, 2);
	memcpy(wire + 4, &len, 4);
	memcpy(wire + PRIV_HDR_LEN, m->body, m->len);
	return (int)(PRIV_HDR_LEN + m->len);
}

int priv_msg_decode(struct priv_msg *m, const uint8_t *wire, size_t n)
{
	uint16_t type, zero;
	uint32_t len;

	priv_msg_init(m, 0);
	if (n < PRIV_HDR_LEN)
		return -1;
	memcpy(&type, wire, 2);
	memcpy(&zero, wire + 2, 2);
	memcpy(&len, wire + 4, 4);
	if (zero != 0 || len > PRIV_BODY_MAX || len != n - PRIV_HDR_LEN)
		return -1;
	m->type = type;
	m->len = len;
	memcpy(m->body, wire + PRIV_HDR_LEN, len);
	return 0;
}

int priv_send(int sock, const struct priv_msg *m)
{
	uint8_t wire[PRIV_HDR_LEN + PRIV_BODY_MAX];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov;
	struct msghdr mh = { 0 };
	int n = priv_msg_encode(m, wire, sizeof(wire));
	ssize_t sent;

	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	iov.iov_base = wire;
	iov.iov_len = (size_t)n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (m->fd >= 0) {
		struct cmsghdr *c;
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &m->fd, sizeof(int));
	}
	do
		sent = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	return sent == n ? 0 : -1;
}

/* Take the one fd a message may carry; anything else in the control data
 * is a protocol violation. */
static int take_fd(struct msghdr *mh, int *fd)
{
	struct cmsghdr *c;
	int bad = 0;

	*fd = -1;
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t nfds;
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			bad = 1;
			continue;
		}
		nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds; i++) {
			int got;
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd < 0 && !bad)
				*fd = got;
			else {
				close(got);
				bad = 1;
			}
		}
	}
	return bad ? -1 : 0;
}

int priv_recv(int sock, struct priv_msg *m)
{
	uint8_t wire[PRIV_HDR_LEN + PRIV_BODY_MAX];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct iovec iov = { .iov_base = wire, .iov_len = sizeof(wire) };
	struct msghdr mh = { 0 };
	ssize_t n;
	int fd;

	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0) {
		/* End of stream, unless an empty datagram smuggled an fd. */
		if (take_fd(&mh, &fd) < 0 || fd >= 0 || mh.msg_controllen > 0) {
			if (fd >= 0)
				close(fd);
			errno = EPROTO;
			return -1;
		}
		return 0;
	}
	if (take_fd(&mh, &fd) < 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    priv_msg_decode(m, wire, (size_t)n) < 0) {
		if (fd >= 0)
			close(fd);
		explicit_bzero(wire, (size_t)n);
		errno = EPROTO;
		return -1;
	}
	/* The datagram may hold a password: no copy stays on the stack for a
	 * process forked later to inherit. */
	explicit_bzero(wire, (size_t)n);
	m->fd = fd;
	return 1;
}
