/* A process forked ahead of time takes on what its parent has become
 * since the fork. The user's engine is forked before the login (DESIGN.md
 * §1), but PAM's session modules act on the monitor at the login:
 * pam_limits sets limits and the priority, pam_loginuid the login uid,
 * pam_systemd moves the monitor into the session's cgroup, pam_namespace
 * gives it a mount namespace of its own. A child forked after PAM got all
 * of that by inheritance; this gives it to one forked before. */
#include "sandbox/inherit.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
/* The bytes of /proc/PID/NAME (PID 0: ourselves) in BUF, NUL-ended: its
 * length, or -1 (ENOENT when the kernel has no such file). */
static ssize_t read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	else
		snprintf(path, sizeof(path), "/proc/self/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	if ((size_t)n == size - 1) {
		errno = EFBIG; /* bigger than any such file we know */
		return -1;
	}
	buf[n] = '\0';
	return n;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	if (close(fd) < 0 || n != (ssize_t)strlen(text))
		return -1;
	return 0;
}

/* pam_limits: every limit, as the parent has it. Lowering is always
 * allowed, and the parent could not raise a hard limit we cannot. */
static int take_limits(pid_t from)
{
	for (int r = 0; r < RLIM_NLIMITS; r++) {
		struct rlimit theirs, ours;

		if (prlimit(from, (__rlimit_resource_t)r, NULL, &theirs) < 0 ||
		    getrlimit((__rlimit_resource_t)r, &ours) < 0)
			return -1;
		if ((theirs.rlim_cur != ours.rlim_cur || theirs.rlim_max != ours.rlim_max) &&
		    setrlimit((__rlimit_resource_t)r, &theirs) < 0)
			return -1;
	}
	return 0;
}

/* pam_limits' "priority": the nice value (after the limits: RLIMIT_NICE
 * may be what allows it). */
static int take_priority(pid_t from)
{
	int theirs, ours;

	errno = 0;
	theirs = getpriority(PRIO_PROCESS, (id_t)from);
	if (errno)
		return -1;
	ours = getpriority(PRIO_PROCESS, 0);
	if (errno)
		return -1;
	return theirs == ours ? 0 : setpriority(PRIO_PROCESS, 0, theirs);
}

/* pam_loginuid. A kernel without audit has no such file: nothing to take. */
static int take_loginuid(pid_t from)
{
	char theirs[32], ours[32];

	if (read_proc(from, "loginuid", theirs, sizeof(theirs)) < 0)
		return errno == ENOENT ? 0 : -1;
	if (read_proc(0, "loginuid", ours, sizeof(ours)) < 0)
		return -1;
	return strcmp(theirs, ours) == 0 ? 0 : write_file("/proc/self/loginuid", theirs);
}

/* Is every item of the comma list WANT (LEN bytes) in the comma list HAVE? */
static bool all_listed(const char *want, size_t len, const char *have)
{
	while (len) {
		const char *comma = memchr(want, ',', len);
		size_t n = comma ? (size_t)(comma - want) : len;
		const char *h = have;
		bool found = false;

		while (!found && *h) {
			size_t m = strcspn(h, ",");
			found = m == n && memcmp(h, want, n) == 0;
			h += m + (h[m] == ',');
		}
		if (!found)
			return false;
		want += n + (comma != NULL);
		len -= n + (comma != NULL);
	}
	return true;
}

/* The directory of cgroup PATH in the hierarchy /proc/PID/cgroup calls
 * "ID:CONTROLLERS" (ID 0: the unified one), from where /proc/self/mountinfo
 * says that hierarchy is mounted. 0, or -1 (ENOENT: not mounted here). */
static int cgroup_dir(bool unified, const char *controllers, size_t clen, const char *path,
		      char *out, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int rc = -1;

	if (!f)
		return -1;
	errno = ENOENT;
	while (rc < 0 && getline(&line, &cap, f) > 0) {
		char root[1024], point[1024], type[64], opts[1024];
		const char *dash = strstr(line, " - ");
		size_t rlen;

		if (!dash || sscanf(line, "%*s %*s %*s %1023s %1023s", root, point) != 2 ||
		    sscanf(dash + 3, "%63s %*s %1023s", type, opts) != 2)
			continue;
		if (unified ? strcmp(type, "cgroup2") != 0
			    : strcmp(type, "cgroup") != 0 || !all_listed(controllers, clen, opts))
			continue;
		/* A mount of a subtree (a container's) shows paths below it. */
		rlen = strcmp(root, "/") == 0 ? 0 : strlen(root);
		if (strncmp(path, root, rlen) != 0 || (path[rlen] != '/' && path[rlen] != '\0'))
			continue;
		if (snprintf(out, size, "%s%s", point, path + rlen) < (int)size)
			rc = 0;
	}
	free(line);
	fclose(f);
	return rc;
}

/* pam_systemd: into each hierarchy's cgroup the parent is in and we are
 * not, as /proc/PID/cgroup's lines ("ID:CONTROLLERS:/path") say. */
static int take_cgroup(pid_t from)
{
	char theirs[4096], ours[4096], dir[4096], procs[4200];

	if (read_proc(from, "cgroup", theirs, sizeof(theirs)) < 0 ||
	    read_proc(0, "cgroup", ours, sizeof(ours)) < 0)
		return errno == ENOENT ? 0 : -1; /* no cgroups at all */
	for (char *line = theirs, *next; *line; line = next) {
		char *end = strchr(line, '\n');
		const char *controllers, *path;
		size_t len;

		if (!end) {
			errno = EINVAL;
			return -1;
		}
		*end = '\0';
		next = end + 1;
		len = strlen(line);
		/* The same line is ours: in that one already. */
		for (const char *o = ours; (o = strstr(o, line)) != NULL; o++)
			if ((o == ours || o[-1] == '\n') && o[len] == '\n')
				goto next_line;
		controllers = strchr(line, ':');
		path = controllers ? strchr(controllers + 1, ':') : NULL;
		if (!path || path[1] != '/' || strstr(path, "/..")) {
			errno = EINVAL;
			return -1;
		}
		controllers++;
		if (cgroup_dir(strncmp(line, "0:", 2) == 0, controllers,
			       (size_t)(path - controllers), path + 1, dir, sizeof(dir)) < 0)
			return -1;
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
		if (write_file(procs, "0") < 0) /* "0": the writer itself */
			return -1;
	next_line:;
	}
	return 0;
}

/* pam_namespace: last, since /proc and /sys are looked up where we are. */
static int take_mount_namespace(pid_t from)
{
	char path[64];
	struct stat theirs, ours;
	int fd, rc;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)from);
	if (stat(path, &theirs) < 0 || stat("/proc/self/ns/mnt", &ours) < 0)
		return -1;
	if (theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = setns(fd, CLONE_NEWNS);
	close(fd);
	return rc;
}

int sandbox_take_process_state(pid_t from, const char **what)
{
	static const struct {
		const char *name;
		int (*take)(pid_t from);
	} steps[] = {
		{ "limits", take_limits },
		{ "priority", take_priority },
		{ "loginuid", take_loginuid },
		{ "cgroup", take_cgroup },
		{ "mount namespace", take_mount_namespace },
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i].take(from) < 0) {
			*what = steps[i].name;
			return -1;
		}
	return 0;
}
