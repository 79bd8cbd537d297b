/* A spawner: a fork of the zygote that forks spare monitors for it and
 * reaps them, at most SPAWNER_FANOUT each. Why not the zygote itself:
 * waitpid(-1) walks every child of the caller (the kernel's
 * wait_consider_task), and with 10,000 sessions as children of one zygote
 * that walk cost about 5 ms of CPU per login, measured, on the path that
 * forks the next spare; so login latency grew with the number of
 * sessions. With the fan-out bounded, a reap walks at most
 * SPAWNER_FANOUT children, and the zygote walks only its spawners (one
 * per SPAWNER_FANOUT sessions).
 *
 * The zygote forwards PRIV_ZYG_SPAWN (+fd) and PRIV_ZYG_MASQ to its
 * current spawner on the spawner's link, and PRIV_ZYG_RETIRE when it moves
 * on to a new one: that spawner forks no more and ends with its last
 * child (or when the master's link fails). The spawner reports
 * PRIV_ZYG_SPAWNED (with the request's ticket: the master does not wait,
 * and an old spawner's answer may come after a new one's) and
 * PRIV_ZYG_EXITED to the master itself, on the zygote's master link it
 * inherited (datagrams: its reports and the zygote's never interleave).
 * If the zygote goes while a spawner is still current (a reload retired
 * it), the spawner ends at once, and the master (a subreaper) inherits
 * its sessions. */
#ifndef FTPSD_ZYGOTE_SPAWNER_H
#define FTPSD_ZYGOTE_SPAWNER_H

#include <sys/types.h>

#include "config/config.h"
#include "monitor/monitor.h"

#define SPAWNER_FANOUT 128

struct spawner_env {
	const struct ftpsd_config *cfg;
	struct monitor_env env; /* key_fd is set per spare */
	struct pasv_masq *masq; /* the spawner's copy: PRIV_ZYG_MASQ updates it */
	int master_fd, keys_fd;
	int sigfd; /* SIGCHLD, blocked, as a signalfd */
};

/* Fork a spawner. Its link's zygote end in *LINK; the pid, or -1. */
pid_t spawner_start(const struct spawner_env *e, int *link);

#endif
