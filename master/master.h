/* Standalone mode: the master owns the listening sockets and starts a
 * monitor for each accepted connection. */
#ifndef FTPSD_MASTER_H
#define FTPSD_MASTER_H

#include <stdbool.h>

#include "config/config.h"
#include "sandbox/role.h"
#include "master/listeners.h"

struct master_opts {
	const char *config_path;
	bool foreground;
	/* Listening sockets from systemd (LISTEN_FDS), matched to the
	 * configured addresses at start; NULL or empty: none. */
	struct inherited_fds *inherited;
};

/* Runs until SIGTERM/SIGINT. CFG is heap-allocated and owned by the master
 * from here on (SIGHUP replaces it). Returns the exit status. */
int master_run(struct ftpsd_config *cfg, const struct master_opts *opts, struct role_env *env);

/* Inetd mode: serve the connection on fd 0. Never returns. */
__attribute__((noreturn)) void inetd_run(const struct ftpsd_config *cfg,
					 const struct role_env *env);

#endif
