/* The masquerade addresses (pasv_address) of every vhost: IP literals, or
 * DNS names the master resolves at start and every pasv_address_refresh
 * seconds (dynamic DNS). Each new session inherits the current values
 * when the master forks it. A failed lookup keeps the last good value. */
#ifndef FTPSD_RESOLVER_H
#define FTPSD_RESOLVER_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "config/config.h"
#include "common/netaddr.h"

struct pasv_masq {
	bool ok; /* ADDR holds a value (literal or last good) */
	struct net_addr addr;
	time_t next; /* next lookup; 0 = none due (literal, unset) */
};

/* Resolve every vhost's pasv_address once. An entry of OLD (for OLD_CFG,
 * e.g. before a reload) with the same vhost name and pasv_address gives
 * its last good value to start from. Returns an array parallel to
 * cfg->vhosts (free with free()), or NULL when out of memory. Logs. */
struct pasv_masq *resolver_start(const struct ftpsd_config *cfg, const struct ftpsd_config *old_cfg,
				 const struct pasv_masq *old);

/* Re-resolve the entries that are due at NOW. Logs changes and failures.
 * True when a value changed (pre-forked spares hold the old one). */
bool resolver_refresh(struct pasv_masq *m, const struct ftpsd_config *cfg, time_t now);

/* Milliseconds until the next lookup is due, or -1 for none (a poll
 * timeout). */
int resolver_timeout_ms(const struct pasv_masq *m, const struct ftpsd_config *cfg, time_t now);

/* One lookup: an IP literal as is, else getaddrinfo, IPv4 first (what PASV
 * can carry). 0, or -1 with the reason in ERR. */
int resolver_lookup(const char *name, struct net_addr *out, char *err, size_t errsize);

/* For `ftpsd -t`: resolve each pasv_address and write a warning to ERR when
 * it fails or gives a private address (the "masquerade address resolves to
 * the LAN address" mistake). Returns the number of warnings. */
int resolver_check(const struct ftpsd_config *cfg, FILE *err);

#endif
