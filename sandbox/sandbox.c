#include "sandbox/sandbox.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <stdbool.h>

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
	if (setresgid(id->gid, id->gid, id->gid) < 0)
		return -1;
	if (id->root_dir && (chdir(id->root_dir) < 0 || chroot(".") < 0))
		return -1;
	if (chdir(id->work_dir ? id->work_dir : "/") < 0)
		return -1;
	if (setresuid(id->uid, id->uid, id->uid) < 0)
		return -1;
	if (id->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int sandbox_harden(void)
{
	struct rlimit no_core = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &no_core) < 0)
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
