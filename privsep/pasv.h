/* Passive mode: which address to advertise, and the reply texts. Pure
 * functions, unit-tested with tables. */
#ifndef FTPSD_PRIVSEP_PASV_H
#define FTPSD_PRIVSEP_PASV_H

#include <stddef.h>

#include "daemon/config.h"
#include "daemon/netaddr.h"

/* The address to advertise to CLIENT whose control connection arrived on
 * LOCAL. Today the control connection's local address; the vhost's
 * masquerade rules plug in here. */
void pasv_choose_address(const struct cfg_settings *set,
			 const struct net_addr *client,
			 const struct net_addr *local, struct net_addr *out);

/* "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)." without CRLF. -1 if ADDR
 * is not IPv4 (or IPv4-mapped) or BUF is too small. */
int pasv_format_227(char *buf, size_t size, const struct net_addr *addr);

/* "229 Entering Extended Passive Mode (|||port|)" without CRLF. */
int pasv_format_229(char *buf, size_t size, unsigned port);

#endif
