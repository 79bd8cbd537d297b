/* The pool of pre-forked spare sessions: each spare is a monitor whose
 * pre-auth engine is already forked, sandboxed and waiting, so accepting a
 * connection costs the master one sendmsg instead of two forks. */
#ifndef FTPSD_POOL_H
#define FTPSD_POOL_H

#include <stdbool.h>
#include <sys/types.h>

#include "daemon/config.h"
#include "daemon/listeners.h"
#include "privsep/monitor.h"

#define POOL_MAX 64

struct pool_spare {
	pid_t pid;
	int fd; /* privsep link to the spare: one PRIV_ASSIGN, then closed */
};

struct pool {
	struct pool_spare spare[POOL_MAX];
	size_t n;
};

/* Fork spares until there are WANT of them. In each child, the master's
 * own fds (listeners, the NOWN in OWN, the other spares' links) are
 * closed first. */
void pool_fill(struct pool *p, unsigned want, const struct ftpsd_config *cfg,
	       const struct monitor_env *env, struct listeners *ls,
	       const int *own, int nown);

/* Hand the accepted FD, which arrived on L, to a live spare. Returns the
 * spare's pid (now a session), or -1 when no spare could take it. */
pid_t pool_assign(struct pool *p, const struct ftpsd_config *cfg,
		  const struct listener *l, int fd);

/* PID exited: if it was a spare, forget it and return true. */
bool pool_forget(struct pool *p, pid_t pid);

/* End every spare (config reload, shutdown). */
void pool_drain(struct pool *p);

/* In a freshly forked child of the master: close the spares' links. */
void pool_drain_fds(struct pool *p);

#endif
