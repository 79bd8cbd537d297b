/* A configuration generation, as the master sees it: the key holder and
 * the zygote started for one configuration (at start and at each reload),
 * and the link to the zygote that spawns its sessions. */
#ifndef FTPSD_GENERATION_H
#define FTPSD_GENERATION_H

#include <stddef.h>
#include <sys/types.h>

#include "config/config.h"
#include "config/resolver.h"
#include "sandbox/role.h"

struct generation {
	pid_t zygote;
	pid_t keys;
	int link; /* to the zygote; -1 when none */
};

/* Called for each session or spare the zygote reports ended. */
typedef void (*generation_exit_fn)(pid_t pid, void *ctx);

/* Start the key holder and the zygote for CFG and wait until both are
 * ready (keys loaded, contexts built). 0, or -1 with a reason in ERR
 * (nothing is left running then). */
int generation_start(struct generation *g, const struct ftpsd_config *cfg,
		     const struct role_env *env, char *err, size_t errsize);

/* A new spare monitor, serving the master's PRIV_ASSIGN on LINK (which is
 * sent away and closed here). Its pid, or -1. */
pid_t generation_spawn(struct generation *g, int link, generation_exit_fn fn, void *ctx);

/* Read what the zygote sent, without blocking. -1 when it is gone. */
int generation_read(struct generation *g, generation_exit_fn fn, void *ctx);

/* Tell the zygote the current masquerade addresses, for the spares it
 * forks from now on. */
void generation_send_masq(struct generation *g, const struct pasv_masq *masq, size_t n);

/* A reload replaced G: its zygote forks no more and exits; its sessions
 * go on (the master, a subreaper, inherits them), and so does its key
 * holder until their last link closes. */
void generation_retire(struct generation *g, generation_exit_fn fn, void *ctx);

#endif
