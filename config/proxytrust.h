/* Whom a PROXY header is believed from: the one rule, for control
 * connections (master, inetd) and passive data connections (engine). */
#ifndef FTPSD_PROXYTRUST_H
#define FTPSD_PROXYTRUST_H

#include <stdbool.h>
#include <stdio.h>

#include "common/netaddr.h"
#include "config/config.h"

/* Is PEER (a socket's peer address) one of SET's proxy_trusted, with
 * proxy_protocol on? Then its connections must start with a header. */
bool proxy_is_trusted(const struct cfg_settings *set, const struct net_addr *peer);

/* The vhost a trusted proxy's connection is for, by the address its client
 * dialled (DST, the header's destination; NULL for a LOCAL header): the
 * first vhost that serves LOCAL (the socket's own address), trusts PROXY
 * and lists DST in proxy_destination; else DEFLT, the listener's. */
const struct cfg_vhost *proxy_vhost_for(const struct ftpsd_config *cfg,
					const struct cfg_vhost *deflt, const struct net_addr *local,
					const struct net_addr *proxy, const struct net_addr *dst);

/* ftpsd -t: warn (to ERR, one line a vhost; the count) about trusted
 * networks (not single addresses) that overlap pasv_address_exempt:
 * clients there that connect directly send no header and are refused,
 * which an exemption for them suggests nobody meant. */
int proxy_check(const struct ftpsd_config *cfg, FILE *err);

#endif
