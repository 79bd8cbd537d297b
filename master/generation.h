/* A configuration generation, as the master sees it: the key holder and
 * the zygote started for one configuration (at start and at each reload),
 * and the link to the zygote that spawns its sessions. */
#ifndef FTPSD_GENERATION_H
#define FTPSD_GENERATION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"
#include "config/resolver.h"
#include "sandbox/role.h"

struct generation {
	pid_t zygote;
	pid_t keys;
	int link; /* to the zygote; -1 when none */
};

/* What the zygote reports: each session or spare that ended, and the
 * answer to each spawn request (PID 0: the fork failed). */
struct generation_events {
	void (*exited)(pid_t pid, void *ctx);
	void (*spawned)(uint32_t ticket, pid_t pid, void *ctx);
	void *ctx;
};

/* Start the key holder and the zygote for CFG and wait until both are
 * ready (keys loaded, contexts built). 0, or -1 with a reason in ERR
 * (nothing is left running then). */
int generation_start(struct generation *g, const struct ftpsd_config *cfg,
		     const struct role_env *env, char *err, size_t errsize);

/* Ask for a new spare monitor, serving the master's PRIV_ASSIGN on LINK
 * (sent away and closed here). Not waited for: the fork may take long (a
 * kernel walking the mappings of 10,000 sessions holds the locks a fork
 * needs), and the master serves connections meanwhile; the answer comes
 * with TICKET to the spawned event. 0, or -1. */
int generation_request_spawn(struct generation *g, int link, uint32_t ticket);

/* Read what the zygote sent, without blocking. -1 when it is gone. */
int generation_read(struct generation *g, const struct generation_events *ev);

/* Wait up to MS for one report, and handle it: 1, 0 (none came), or -1
 * (the zygote is gone). */
int generation_wait(struct generation *g, const struct generation_events *ev, int ms);

/* Tell the zygote the current masquerade addresses, for the spares it
 * forks from now on. */
void generation_send_masq(struct generation *g, const struct pasv_masq *masq, size_t n);

/* A reload replaced G: its zygote forks no more and exits; its sessions
 * go on (the master, a subreaper, inherits them), and so does its key
 * holder until their last link closes. */
void generation_retire(struct generation *g, const struct generation_events *ev);

#endif
