/* Unit test for sandbox/inherit.c: a child forked before its parent
 * changed takes on the change (limits, priority, login uid, cgroups, mount
 * namespace), as the user's engine forked before PAM must (DESIGN.md §1).
 *
 * A "monitor" process M forks a "standby" C that waits on a pipe; M then
 * changes itself as PAM's session modules would, and wakes C, which calls
 * sandbox_take_process_state(M) (or, for the control run, does not) and
 * exits with a bit set for each attribute that still differs from M's.
 * Needs root; the cgroup steps run in each hierarchy where a test cgroup
 * can be made, and say so when none can. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox/inherit.h"

enum { DIFF_LIMIT = 1, DIFF_NICE = 2, DIFF_LOGINUID = 4, DIFF_CGROUP = 8, DIFF_MNTNS = 16 };

/* Test cgroups, one per hierarchy this machine lets us make one in. */
static const char *const cgroup_dirs[] = {
	"/sys/fs/cgroup/ftpsd-test-inherit",         /* unified only */
	"/sys/fs/cgroup/unified/ftpsd-test-inherit", /* hybrid: its v2 part */
	"/sys/fs/cgroup/pids/ftpsd-test-inherit",    /* a v1 controller */
};
static bool cgroup_made[3];

static void slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	buf[n < 0 ? 0 : n] = '\0';
	if (fd >= 0)
		close(fd);
}

static bool put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);

	if (fd >= 0)
		close(fd);
	return ok;
}

static int differences(pid_t m)
{
	char path[64], a[4096], b[4096];
	struct rlimit theirs, ours;
	struct stat sa, sb;
	int diff = 0;

	if (prlimit(m, RLIMIT_FSIZE, NULL, &theirs) < 0 || getrlimit(RLIMIT_FSIZE, &ours) < 0 ||
	    theirs.rlim_cur != ours.rlim_cur || theirs.rlim_max != ours.rlim_max)
		diff |= DIFF_LIMIT;
	if (getpriority(PRIO_PROCESS, (id_t)m) != getpriority(PRIO_PROCESS, 0))
		diff |= DIFF_NICE;
	snprintf(path, sizeof(path), "/proc/%d/loginuid", (int)m);
	slurp(path, a, sizeof(a));
	slurp("/proc/self/loginuid", b, sizeof(b));
	if (strcmp(a, b) != 0)
		diff |= DIFF_LOGINUID;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)m);
	slurp(path, a, sizeof(a));
	slurp("/proc/self/cgroup", b, sizeof(b));
	if (strcmp(a, b) != 0)
		diff |= DIFF_CGROUP;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)m);
	if (stat(path, &sa) < 0 || stat("/proc/self/ns/mnt", &sb) < 0 || sa.st_ino != sb.st_ino)
		diff |= DIFF_MNTNS;
	return diff;
}

/* M: fork C, change, wake C; C's exit status is M's. */
static int monitor_process(bool take)
{
	struct rlimit small = { 1 << 20, 1 << 20 };
	int go[2], status;
	char ch = 'g';
	pid_t c;

	if (pipe(go) < 0)
		return 100;
	c = fork();
	if (c == 0) {
		const char *what = "";
		close(go[1]);
		if (read(go[0], &ch, 1) != 1)
			_exit(101);
		if (take && sandbox_take_process_state(getppid(), &what) < 0) {
			fprintf(stderr, "take_process_state: %s: %s\n", what, strerror(errno));
			_exit(102);
		}
		_exit(differences(getppid()));
	}
	close(go[0]);
	/* What pam_limits, pam_loginuid, pam_systemd, pam_namespace do. */
	if (setrlimit(RLIMIT_FSIZE, &small) < 0 || setpriority(PRIO_PROCESS, 0, 7) < 0 ||
	    !put("/proc/self/loginuid", "4242") || unshare(CLONE_NEWNS) < 0)
		return 103;
	for (size_t i = 0; i < 3; i++) {
		char procs[128];
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup_dirs[i]);
		if (cgroup_made[i] && !put(procs, "0"))
			return 104;
	}
	if (write(go[1], &ch, 1) != 1 || waitpid(c, &status, 0) != c)
		return 105;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 106;
}

static int run(bool take)
{
	int status;
	pid_t m = fork();

	if (m == 0)
		_exit(monitor_process(take));
	assert_int_equal(waitpid(m, &status, 0), m);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int make_cgroups(void **state)
{
	bool any = false;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		char procs[128];
		bool made = mkdir(cgroup_dirs[i], 0755) == 0;

		/* A directory on the tmpfs of a hybrid /sys/fs/cgroup is none. */
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup_dirs[i]);
		cgroup_made[i] = (made || errno == EEXIST) && access(procs, W_OK) == 0;
		if (made && !cgroup_made[i])
			(void)rmdir(cgroup_dirs[i]);
		any |= cgroup_made[i];
	}
	if (!any)
		fprintf(stderr, "note: no test cgroup could be made; cgroups not checked\n");
	return 0;
}

static int remove_cgroups(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++)
		if (cgroup_made[i])
			(void)rmdir(cgroup_dirs[i]);
	return 0;
}

static bool some_cgroup(void)
{
	return cgroup_made[0] || cgroup_made[1] || cgroup_made[2];
}

static void test_a_child_takes_what_its_parent_became(void **state)
{
	(void)state;
	assert_int_equal(run(true), 0);
}

/* The control: without the call every change shows, so the check above
 * is one that can fail. */
static void test_without_it_every_change_shows(void **state)
{
	int want = DIFF_LIMIT | DIFF_NICE | DIFF_LOGINUID | DIFF_MNTNS;

	(void)state;
	if (some_cgroup())
		want |= DIFF_CGROUP;
	assert_int_equal(run(false), want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_child_takes_what_its_parent_became),
		cmocka_unit_test(test_without_it_every_change_shows),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_inherit: needs root\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, make_cgroups, remove_cgroups);
}
