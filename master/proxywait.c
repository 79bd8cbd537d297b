#include "master/proxywait.h"

#include <stdlib.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"

int proxy_wait_add(struct proxy_wait *w, int fd, size_t listener, const struct net_addr *proxy)
{
	struct proxy_wait_conn *c;

	if (!w->c)
		w->c = calloc(PROXY_WAIT_MAX, sizeof(*w->c));
	if (!w->c || w->n == PROXY_WAIT_MAX)
		return -1;
	c = &w->c[w->n++];
	c->fd = fd;
	c->listener = listener;
	c->proxy = *proxy;
	c->deadline = clock_ms() + PROXY_READ_TIMEOUT_MS;
	c->r.have = 0;
	c->r.closed = false;
	return 0;
}

size_t proxy_wait_pollfds(const struct proxy_wait *w, struct pollfd *pfd, size_t max)
{
	size_t n = w->n < max ? w->n : max;

	for (size_t i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = w->c[i].fd, .events = POLLIN };
	return n;
}

int proxy_wait_timeout_ms(const struct proxy_wait *w)
{
	long long now = clock_ms(), least = -1;

	for (size_t i = 0; i < w->n; i++) {
		long long left = w->c[i].deadline - now;
		if (left < 0)
			left = 0;
		if (least < 0 || left < least)
			least = left;
	}
	return (int)least;
}

/* A connection closed before its first byte is a proxy's TCP health
 * check (HAProxy's `check` without `check-send-proxy`): every few seconds,
 * so not a warning. */
static void refused(const struct proxy_wait_conn *c, const char *why)
{
	char ip[NETADDR_STRLEN];
	struct log_fields f = LOG_FIELDS("proxy_refused");
	bool check = c->r.closed && c->r.have == 0;

	net_addr_ip_string(&c->proxy, ip, sizeof(ip));
	f.client = ip;
	f.reason = why;
	log_event(check ? LOG_LVL_INFO : LOG_LVL_WARN, &f, "refused: connection from proxy %s: %s",
		  ip, why);
	close(c->fd);
}

/* Take entry I out; the last one moves into its place. */
static void drop(struct proxy_wait *w, size_t i)
{
	w->c[i] = w->c[--w->n];
}

void proxy_wait_run(struct proxy_wait *w, const struct pollfd *pfd, size_t n, proxy_ready_fn ready,
		    void *ctx)
{
	long long now = clock_ms();

	/* From the end, so that dropping entry I moves one already seen. */
	for (size_t i = n < w->n ? n : w->n; i-- > 0;) {
		struct proxy_wait_conn *c = &w->c[i];
		struct proxy_header h;
		const char *why = NULL;
		enum proxy_status st = PROXY_MORE;

		if (pfd[i].revents)
			st = proxy_read_step(&c->r, c->fd, &h, &why);
		if (st == PROXY_MORE && c->deadline <= now) {
			st = PROXY_ERROR;
			why = "no whole PROXY header within the deadline";
		}
		if (st == PROXY_MORE)
			continue;
		if (st == PROXY_ERROR) {
			refused(c, why);
		} else {
			struct proxy_wait_conn done = *c;
			drop(w, i);
			ready(ctx, done.listener, done.fd, h.local ? &done.proxy : &h.src,
			      &done.proxy, h.local ? NULL : &h.dst);
			continue;
		}
		drop(w, i);
	}
}

void proxy_wait_clear(struct proxy_wait *w)
{
	for (size_t i = 0; i < w->n; i++)
		close(w->c[i].fd);
	w->n = 0;
}
