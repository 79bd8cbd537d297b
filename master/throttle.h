/* Failed-login throttle per client address, kept by the master: monitors
 * report each failed login; an address with too many failures inside the
 * window is refused (421) before any process is forked for it. */
#ifndef FTPSD_THROTTLE_H
#define FTPSD_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/netaddr.h"

#define THROTTLE_MAX 4096 /* addresses remembered; the stalest is forgotten */

struct throttle_entry {
	struct net_addr ip;
	unsigned fails;
	time_t since; /* start of this entry's window */
};

struct throttle {
	struct throttle_entry e[THROTTLE_MAX];
	size_t n;
};

/* One more failed login from IP at NOW. */
void throttle_record(struct throttle *t, const struct net_addr *ip, time_t now, unsigned window);

/* True if IP has LIMIT or more failures within WINDOW seconds of NOW.
 * LIMIT 0 never blocks. */
bool throttle_blocked(const struct throttle *t, const struct net_addr *ip, time_t now,
		      unsigned limit, unsigned window);

#endif
