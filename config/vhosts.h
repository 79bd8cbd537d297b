/* Vhost selection among vhosts that share an address (HOST, SNI), and the
 * start-up description of each vhost. */
#ifndef FTPSD_VHOSTS_H
#define FTPSD_VHOSTS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "common/netaddr.h"
#include "config/resolver.h"

/* The addresses of a vhost's listen_address list, with PORT. Returns the
 * count, or -1 if one does not parse or there are more than MAX. */
int vhost_addresses(const struct cfg_vhost *vh, unsigned port, struct net_addr *out, size_t max);

#define VHOST_NAME_MAX 256 /* a HOST argument or an SNI name */

/* Does VH listen where LOCAL is (its address, or its family's wildcard,
 * on its control or implicit FTPS port)? */
bool vhost_serves(const struct cfg_vhost *vh, const struct net_addr *local);

/* The vhost that NAME selects for a connection that arrived on LOCAL: one
 * that serves LOCAL and lists NAME in server_name (case-insensitive; a
 * trailing dot and an IP literal in brackets, as RFC 7151 allows, are
 * accepted). Index into cfg->vhosts, or -1. */
int vhost_find_by_name(const struct ftpsd_config *cfg, const struct net_addr *local,
		       const char *name);

/* One line per listen address of VH:
 * "vhost NAME: listening on ADDR:PORT, masquerading as PUBLIC for clients
 * outside EXEMPT, passive ports MIN-MAX". EMIT is called with each. */
void vhost_describe(const struct cfg_vhost *vh, const struct pasv_masq *masq,
		    void (*emit)(const char *line, void *ctx), void *ctx);

#endif
