/* Whom a PROXY header is believed from: the one rule, for control
 * connections (master, inetd) and passive data connections (engine). */
#ifndef FTPSD_PROXYTRUST_H
#define FTPSD_PROXYTRUST_H

#include <stdbool.h>

#include "common/netaddr.h"
#include "config/config.h"

/* Is PEER (a socket's peer address) one of SET's proxy_trusted, with
 * proxy_protocol on? Then its connections must start with a header. */
bool proxy_is_trusted(const struct cfg_settings *set, const struct net_addr *peer);

#endif
