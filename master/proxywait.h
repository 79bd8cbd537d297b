/* Connections from trusted proxies whose PROXY header has not all
 * arrived: the master reads them without blocking, each within its
 * deadline and size bound, before any limit is applied or process is
 * forked for them (the header names whom the limits are about). */
#ifndef FTPSD_PROXYWAIT_H
#define FTPSD_PROXYWAIT_H

#include <poll.h>
#include <stddef.h>

#include "common/netaddr.h"
#include "common/proxyread.h"

/* Headers in flight at once; a proxy sends its header with the first
 * segment, so more than this waiting is a flood, refused. */
#define PROXY_WAIT_MAX 256

struct proxy_wait_conn {
	int fd;
	size_t listener;       /* index into the master's listener table */
	struct net_addr proxy; /* the socket's peer: a trusted proxy */
	long long deadline;    /* CLOCK_MONOTONIC ms */
	struct proxy_reader r;
};

struct proxy_wait {
	struct proxy_wait_conn *c; /* PROXY_WAIT_MAX of them, allocated on first use */
	size_t n;
};

/* What a whole header became: CLIENT is whom the session is for (the
 * header's source, or the proxy itself for a health check), DST the
 * address that client dialled (NULL for a health check). */
typedef void (*proxy_ready_fn)(void *ctx, size_t listener, int fd, const struct net_addr *client,
			       const struct net_addr *proxy, const struct net_addr *dst);

/* Wait for FD's header. -1 (FD untouched) when full or out of memory. */
int proxy_wait_add(struct proxy_wait *w, int fd, size_t listener, const struct net_addr *proxy);

/* Fill up to MAX poll entries with the waiting connections; the count. */
size_t proxy_wait_pollfds(const struct proxy_wait *w, struct pollfd *pfd, size_t max);

/* Milliseconds to the nearest deadline, -1 when nothing waits. */
int proxy_wait_timeout_ms(const struct proxy_wait *w);

/* After poll: read what arrived on PFD (the N entries pollfds filled),
 * hand each whole header to READY, and close (and log) the broken, the
 * expired and the closed. */
void proxy_wait_run(struct proxy_wait *w, const struct pollfd *pfd, size_t n, proxy_ready_fn ready,
		    void *ctx);

/* Close everything waiting (a reload renumbers the listeners). */
void proxy_wait_clear(struct proxy_wait *w);

#endif
