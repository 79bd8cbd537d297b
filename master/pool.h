/* The pool of pre-forked spare sessions: each spare is a monitor whose
 * pre-auth engine is already forked, sandboxed and waiting, so accepting a
 * connection costs the master one sendmsg instead of two forks. The
 * zygote forks them (zygote/zygote.h), so they start clean. */
#ifndef FTPSD_POOL_H
#define FTPSD_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"
#include "master/listeners.h"
#include "master/generation.h"

#define POOL_MAX 64

struct pool_spare {
	pid_t pid;       /* 0 until the zygote answers TICKET */
	uint32_t ticket; /* of its spawn request */
	int fd;          /* privsep link to the spare: one PRIV_ASSIGN, then closed */
};

struct pool {
	struct pool_spare spare[POOL_MAX];
	size_t n;
	uint32_t next_ticket;
};

/* Ask G's zygote for spares until there are WANT of them, answered or
 * not (pool_spawned). */
void pool_fill(struct pool *p, unsigned want, struct generation *g);

/* The zygote's answer to TICKET: the spare's PID, or 0 (no fork: the
 * spare is forgotten). An answer for no spare of ours (drained while its
 * fork was under way) is ignored: that monitor finds its link closed and
 * ends. */
void pool_spawned(struct pool *p, uint32_t ticket, pid_t pid);

/* How many spares have no answer yet. */
size_t pool_pending(const struct pool *p);

/* Give up on every spare without an answer (its spawner died with the
 * request, or the zygote is stuck): each one's link is closed, so a
 * spare forked late finds it so and ends, and its late answer is
 * ignored. Without this they would count toward prefork_spares forever
 * and never be assigned. */
void pool_forget_pending(struct pool *p);

/* Hand the accepted FD, which arrived on L, to a live answered spare
 * (oldest first); when a trusted PROXY carried it, with the CLIENT its
 * header named (else PROXY is NULL and the spare asks the socket).
 * Returns the spare's pid (now a session), or -1 when no spare could take
 * it. *LINK becomes the caller's: the link to that monitor, non-blocking,
 * which the master keeps for `ftpsd -w` (master/who.c). */
pid_t pool_assign(struct pool *p, const struct ftpsd_config *cfg, const struct listener *l, int fd,
		  const struct net_addr *client, const struct net_addr *proxy, int *link);

/* PID exited: if it was a spare, forget it and return true. */
bool pool_forget(struct pool *p, pid_t pid);

/* End every spare (config reload, shutdown). */
void pool_drain(struct pool *p);

#endif
