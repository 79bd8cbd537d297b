/* The master's side of the NAT helper (natmap/natmap.h): its start, its
 * reports turned into the masquerade addresses of pasv_address=auto
 * vhosts (as a re-resolved DNS name is, config/resolver.h), its end. */
#ifndef FTPSD_MASTER_NATMAP_CTL_H
#define FTPSD_MASTER_NATMAP_CTL_H

#include <stdbool.h>
#include <sys/types.h>

#include "config/config.h"
#include "config/resolver.h"
#include "privsep/proto.h"
#include "sandbox/role.h"

struct natmap_ctl {
	pid_t pid; /* 0: not running */
	int link;  /* -1: none */
	bool have[CFG_MAX_VHOSTS];
	struct priv_nat_state last[CFG_MAX_VHOSTS]; /* as last reported */
	long long at[CFG_MAX_VHOSTS];               /* when (CLOCK_MONOTONIC ms) */
};

#define NATMAP_CTL_INIT              \
	{                            \
		.pid = 0, .link = -1 \
	}

/* Cut the passive range of mapping vhosts to what is mapped (logged).
 * Before the configuration is handed to a generation. */
void natmap_ctl_bound(struct ftpsd_config *cfg);

/* Start the helper when CFG needs one. 0, or -1 (logged; every vhost
 * keeps its static settings). */
int natmap_ctl_start(struct natmap_ctl *c, const struct ftpsd_config *cfg,
		     const struct role_env *env);

/* Read the helper's messages without blocking; sets MASQ of each
 * pasv_address=auto vhost from what it learned. True when a masquerade
 * address changed (pre-forked spares hold the old one). */
bool natmap_ctl_read(struct natmap_ctl *c, const struct ftpsd_config *cfg, struct pasv_masq *masq);

/* PID ended with STATUS: true when it was the helper; the auto vhosts
 * fall back to their static settings (*CHANGED: a masquerade changed). */
bool natmap_ctl_exited(struct natmap_ctl *c, pid_t pid, int status, const struct ftpsd_config *cfg,
		       struct pasv_masq *masq, bool *changed);

/* ftpsd -T: one line per vhost with NAT settings, to EMIT: the protocol
 * that worked, the external address (and whether it is used), the ports
 * mapped and the lease's seconds left; or why the static settings apply. */
void natmap_ctl_describe(const struct natmap_ctl *c, const struct ftpsd_config *cfg,
			 void (*emit)(const char *line, void *ctx), void *ctx);

/* Ask the helper to remove its mappings and exit; waits a bounded time,
 * then kills it. */
void natmap_ctl_stop(struct natmap_ctl *c);

#endif
