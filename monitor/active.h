/* Active mode in the monitor: the one place a session connects out. */
#ifndef FTPSD_PRIVSEP_ACTIVE_H
#define FTPSD_PRIVSEP_ACTIVE_H

#include "config/config.h"
#include "common/netaddr.h"

/* Connect to TARGET (already checked against the control client) from
 * LOCAL's address: from port 20 when connect_from_port_20, else from a
 * kernel-chosen port; give up after connect_timeout seconds. Returns the
 * connected fd, or -1 with errno. */
int active_connect(const struct cfg_settings *set, const struct net_addr *local,
		   const struct net_addr *target);

#endif
