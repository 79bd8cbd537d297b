/* The monitor's socket broker: the only place a session creates sockets. */
#ifndef FTPSD_PRIVSEP_BROKER_H
#define FTPSD_PRIVSEP_BROKER_H

#include "config/config.h"
#include "common/netaddr.h"

/* Bind and listen on LOCAL's address at a port inside the vhost's passive
 * range, starting at a random port and probing forward. On success returns
 * the listening fd and fills BOUND. Returns -1 with errno EADDRINUSE when
 * every port in the range is taken (*IN_USE tells how many were tried),
 * other errno on socket errors. */
int broker_pasv_listen(const struct cfg_settings *set, const struct net_addr *local,
		       struct net_addr *bound, unsigned *in_use);

/* Bind and listen on LOCAL's address at a port the kernel chooses (no
 * range, or pasv_port_fallback). Returns the fd and fills BOUND, or -1. */
int broker_pasv_listen_any(const struct net_addr *local, struct net_addr *bound);

#endif
