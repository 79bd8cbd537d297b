/* Turning a forked child into a sandboxed role: credentials, root
 * directory, process limits. Seccomp policies and capability sets per role
 * build on these. */
#ifndef FTPSD_SANDBOX_H
#define FTPSD_SANDBOX_H

#include <stdbool.h>
#include <sys/capability.h>
#include <sys/types.h>

struct sandbox_identity {
	uid_t uid;
	gid_t gid;
	const char *user;     /* for initgroups; NULL = no supplementary groups */
	const char *root_dir; /* chroot here; NULL = keep "/" */
	const char *work_dir; /* chdir here afterwards ("/" inside a chroot) */
	bool new_netns;       /* isolate_network: an empty network namespace */
};

/* Give up root for good: supplementary groups, gid, chroot, uid, in the
 * order that keeps each step possible, then check root cannot be regained.
 * Returns 0, or -1 with errno (the caller must then exit). */
int sandbox_become(const struct sandbox_identity *id);

/* No new privileges, not dumpable, no core files, no processes, at most
 * MAX_FILES fds (SANDBOX_FILES for every role but the key holder). 0 or -1. */
#define SANDBOX_FILES 64
int sandbox_harden(unsigned max_files);

/* Die with the parent: a session's processes must not outlive its
 * monitor. Call after sandbox_become (a credential change clears it);
 * exits at once if PARENT is already gone. */
void sandbox_die_with_parent(pid_t parent);

/* Close every fd above 2 except those listed. */
void sandbox_close_fds_except(const int *keep, int nkeep);

/* Cut the bounding, permitted and effective sets to KEEP: what a root
 * process keeps for the children it will fork (the master, for its
 * monitors). 0 or -1. */
int sandbox_limit_bounding_set(const cap_value_t *keep, int nkeep);

/* Name the process (comm), for ps and for tests. */
void sandbox_set_name(const char *name);

#endif
