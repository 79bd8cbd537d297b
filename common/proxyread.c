#include "common/proxyread.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* Peek at what arrived, let the parser say where the header ends, then
 * consume only that much: a PROXY_MORE means every peeked byte is header,
 * so it is taken (and poll() does not spin on bytes left queued). */
enum proxy_status proxy_read_step(struct proxy_reader *r, int fd, struct proxy_header *out,
				  const char **why)
{
	size_t room = sizeof(r->buf) - r->have;
	enum proxy_status st;
	ssize_t n, took;

	if (room == 0) {
		*why = "PROXY header too long";
		return PROXY_ERROR;
	}
	n = recv(fd, r->buf + r->have, room, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return PROXY_MORE;
	if (n <= 0) {
		r->closed = n == 0;
		*why = n == 0 ? "closed before its PROXY header" : "socket error";
		return PROXY_ERROR;
	}
	st = proxy_header_parse(r->buf, r->have + (size_t)n, out, why);
	if (st == PROXY_ERROR)
		return st;
	if (st == PROXY_DONE)
		n = (ssize_t)(out->len - r->have);
	/* The bytes are queued (we peeked them), so this takes them all. */
	took = recv(fd, r->buf + r->have, (size_t)n, MSG_DONTWAIT);
	if (took != n) {
		*why = "socket error";
		return PROXY_ERROR;
	}
	r->have += (size_t)n;
	if (st == PROXY_MORE && r->have == sizeof(r->buf)) {
		*why = "PROXY header too long";
		return PROXY_ERROR;
	}
	return st;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum proxy_status proxy_read(int fd, int timeout_ms, struct proxy_header *out, const char **why)
{
	struct proxy_reader r = { .have = 0 };
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		enum proxy_status st;
		int rc;

		if (left <= 0) {
			*why = "no PROXY header within the deadline";
			return PROXY_ERROR;
		}
		rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			*why = "poll error";
			return PROXY_ERROR;
		}
		if (rc == 0)
			continue; /* the deadline check says so */
		st = proxy_read_step(&r, fd, out, why);
		if (st != PROXY_MORE)
			return st;
	}
}
