#include "sandbox/sandbox.h"

#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <sys/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <stdbool.h>

static int drop_bounding_set(void)
{
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
		if (CAP_IS_SUPPORTED(c) && cap_drop_bound(c) < 0)
			return -1;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL ? -1
											       : 0;
}

int sandbox_become(const struct sandbox_identity *id)
{
	/* Groups first: initgroups reads the group database, which a
	 * chroot hides. */
	if (id->user) {
		if (initgroups(id->user, id->gid) < 0)
			return -1;
	} else if (setgroups(0, NULL) < 0) {
		return -1;
	}
	/* Defence in depth under seccomp's refusal of socket(): even a
	 * socket would see no interface. Passed fds keep working. */
	if (id->new_netns && unshare(CLONE_NEWNET) < 0)
		return -1;
	if (setresgid(id->gid, id->gid, id->gid) < 0)
		return -1;
	if (id->root_dir && (chdir(id->root_dir) < 0 || chroot(".") < 0))
		return -1;
	if (chdir(id->work_dir ? id->work_dir : "/") < 0)
		return -1;
	/* Empty the bounding and ambient sets while we still may: nothing
	 * this process could ever execute regains a capability. */
	if (id->uid != 0 && drop_bounding_set() < 0)
		return -1;
	if (setresuid(id->uid, id->uid, id->uid) < 0)
		return -1;
	if (id->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* A role needs a few MiB; 1 GiB of address space bounds a runaway
 * allocation without ever limiting a transfer (files are streamed, never
 * mapped). Sanitizer builds reserve terabytes of shadow memory: no limit. */
static int limit_address_space(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return 0;
#else
	struct rlimit as = { 1UL << 30, 1UL << 30 };
	return setrlimit(RLIMIT_AS, &as);
#endif
}

int sandbox_harden(unsigned max_files)
{
	struct rlimit no_core = { 0, 0 };
	struct rlimit no_fork = { 0, 0 };
	struct rlimit files = { max_files, max_files };

	/* No core files with secrets; no processes of its own (the monitor
	 * forks what a session needs); a role uses a handful of fds (the key holder: one per session). */
	if (setrlimit(RLIMIT_CORE, &no_core) < 0 || setrlimit(RLIMIT_NPROC, &no_fork) < 0 ||
	    setrlimit(RLIMIT_NOFILE, &files) < 0 || limit_address_space() < 0)
		return -1;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

void sandbox_close_fds_except(const int *keep, int nkeep)
{
	int sorted[16];
	unsigned next = 3;

	if (nkeep > 16)
		abort(); /* a role keeping more fds is a programming error */
	for (int i = 0; i < nkeep; i++)
		sorted[i] = keep[i];
	qsort(sorted, (size_t)nkeep, sizeof(int), cmp_int);
	/* close_range closes each gap between kept fds in one call. */
	for (int i = 0; i < nkeep; i++) {
		if (sorted[i] < (int)next)
			continue;
		if ((unsigned)sorted[i] > next)
			close_range(next, (unsigned)sorted[i] - 1, 0);
		next = (unsigned)sorted[i] + 1;
	}
	close_range(next, ~0U, 0);
}

void sandbox_die_with_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
		_exit(1);
}

void sandbox_set_name(const char *name)
{
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

/* Permitted and effective become KEEP too (inheritable empty). */
static int keep_only(const cap_value_t *keep, int nkeep)
{
	cap_t caps = cap_init();
	int rc = -1;

	if (!caps)
		return -1;
	if (cap_set_flag(caps, CAP_PERMITTED, nkeep, keep, CAP_SET) == 0 &&
	    cap_set_flag(caps, CAP_EFFECTIVE, nkeep, keep, CAP_SET) == 0 && cap_set_proc(caps) == 0)
		rc = 0;
	cap_free(caps);
	return rc;
}

int sandbox_limit_bounding_set(const cap_value_t *keep, int nkeep)
{
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		bool wanted = false;
		for (int i = 0; i < nkeep; i++)
			wanted |= keep[i] == c;
		if (!wanted && CAP_IS_SUPPORTED(c) && cap_drop_bound(c) < 0)
			return -1;
	}
	return keep_only(keep, nkeep);
}
