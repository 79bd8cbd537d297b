#include "sandbox/role.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/log.h"

#define ROLE_MAGIC 0x66747073u /* "ftps" */

struct role_header {
	uint32_t magic;
	uint32_t config_size; /* sizeof(struct ftpsd_config) of the writer */
	uint32_t nvhosts;
	uint32_t has_log, has_xferlog, has_report, foreground, has_vsftpd_log;
};

/* The used part of CFG: everything up to the last vhost in use. */
static size_t config_used(const struct ftpsd_config *cfg)
{
	return offsetof(struct ftpsd_config, vhosts) + cfg->nvhosts * sizeof(struct cfg_vhost);
}

static int config_memfd(const struct ftpsd_config *cfg, const struct role_env *env)
{
	struct role_header h = {
		.magic = ROLE_MAGIC,
		.config_size = sizeof(*cfg),
		.nvhosts = (uint32_t)cfg->nvhosts,
		.has_log = env->log_fd >= 0,
		.has_xferlog = env->xferlog_fd >= 0,
		.has_report = env->report_fd >= 0,
		.foreground = env->foreground,
		.has_vsftpd_log = env->vsftpd_log_fd >= 0,
	};
	int fd = memfd_create("ftpsd-config", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if (fd_write_all(fd, &h, sizeof(h)) < 0 || fd_write_all(fd, cfg, config_used(cfg)) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* In the child: SRC[i] onto fd number DST[i], nothing else above 2. */
static void place_fds(const int *src, const int *dst, int n)
{
	int copy[ROLE_FD_LINKS + ROLE_LINKS_MAX], base = 16;

	for (int i = 0; i < n; i++)
		if (src[i] >= base)
			base = src[i] + 1;
	/* Copies above every source first, so no dup2 overwrites one. */
	for (int i = 0; i < n; i++)
		if ((copy[i] = fcntl(src[i], F_DUPFD, base)) < 0)
			_exit(127);
	for (int i = 0; i < n; i++)
		if (dup2(copy[i], dst[i]) < 0)
			_exit(127);
	close_range((unsigned)ROLE_FD_LINKS + ROLE_LINKS_MAX, ~0U, 0);
	for (int fd = 3; fd < ROLE_FD_LINKS + ROLE_LINKS_MAX; fd++) {
		bool wanted = false;
		for (int i = 0; i < n; i++)
			wanted |= dst[i] == fd;
		if (!wanted)
			close(fd);
	}
}

/* Room for the sessions' process titles (setproctitle_enable,
 * common/proctitle.c): the title is written over argv and the
 * environment, and "ftpsd --role zygote" alone is 20 bytes. */
static char role_title_room[] = "FTPSD_TITLE_ROOM="
				"................................................................"
				"................................................................"
				"................................................................";

/* glibc's per-thread cache of freed small chunks, off. Every session
 * process is a fork of the zygote, and a child's first small allocations
 * took the chunks that cache held at the fork: chunks inside the parent's
 * pages, each copying a page. Measured (bench/README.md, session 13): PSS
 * per idle FTPS session 543 -> 435 KiB, and logins no slower (server CPU
 * per cheap-hash login 9.1-9.5 -> 7.7-9.0 ms, fewer pages copied). */
static char role_malloc_tunables[] = "GLIBC_TUNABLES=glibc.malloc.tcache_count=0";

char **role_environment(void)
{
	extern char **environ;
	static char *kept[9];
	int n = 0;

	for (char **e = environ; *e && n < 6; e++)
		if (!strncmp(*e, "ASAN_OPTIONS=", 13) || !strncmp(*e, "UBSAN_OPTIONS=", 14) ||
		    !strncmp(*e, "LSAN_OPTIONS=", 13))
			kept[n++] = *e;
	kept[n++] = role_title_room;
	/* After the title's room: glibc moves this string at start, and the
	 * room is the strings that lie back to back (common/proctitle.c). */
	kept[n++] = role_malloc_tunables;
	kept[n] = NULL;
	return kept;
}

static void exec_child(const char *name, const struct role_env *env, int cfd, const int *links,
		       int nlinks)
{
	int src[ROLE_FD_LINKS + ROLE_LINKS_MAX], dst[ROLE_FD_LINKS + ROLE_LINKS_MAX];
	int n = 0, null = open("/dev/null", O_RDWR | O_CLOEXEC);
	char *argv[] = { (char *)"ftpsd", (char *)"--role", (char *)name, NULL };
	sigset_t none;

	/* stdin/stdout may be an inetd client: never a role's. */
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    (!env->foreground && dup2(null, 2) < 0))
		_exit(127);
	src[n] = cfd, dst[n++] = ROLE_FD_CONFIG;
	if (env->log_fd >= 0)
		src[n] = env->log_fd, dst[n++] = ROLE_FD_LOG;
	if (env->xferlog_fd >= 0)
		src[n] = env->xferlog_fd, dst[n++] = ROLE_FD_XFERLOG;
	if (env->report_fd >= 0)
		src[n] = env->report_fd, dst[n++] = ROLE_FD_REPORT;
	if (env->vsftpd_log_fd >= 0)
		src[n] = env->vsftpd_log_fd, dst[n++] = ROLE_FD_VSFTPD_LOG;
	for (int i = 0; i < nlinks; i++)
		src[n] = links[i], dst[n++] = ROLE_FD_LINKS + i;
	place_fds(src, dst, n);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execve("/proc/self/exe", argv, role_environment());
	_exit(127);
}

pid_t role_spawn(const char *name, const struct ftpsd_config *cfg, const struct role_env *env,
		 const int *links, int nlinks)
{
	int cfd;
	pid_t pid;

	if (nlinks > ROLE_LINKS_MAX || (cfd = config_memfd(cfg, env)) < 0)
		return -1;
	pid = fork();
	if (pid == 0)
		exec_child(name, env, cfd, links, nlinks);
	close(cfd);
	return pid;
}

static struct ftpsd_config *read_config(struct role_header *h)
{
	struct ftpsd_config *cfg = calloc(1, sizeof(*cfg));
	size_t want;

	if (!cfg || pread(ROLE_FD_CONFIG, h, sizeof(*h), 0) != (ssize_t)sizeof(*h) ||
	    h->magic != ROLE_MAGIC || h->config_size != sizeof(*cfg) || h->nvhosts == 0 ||
	    h->nvhosts > CFG_MAX_VHOSTS)
		_exit(126);
	cfg->nvhosts = h->nvhosts;
	want = config_used(cfg);
	if (pread(ROLE_FD_CONFIG, cfg, want, sizeof(*h)) != (ssize_t)want ||
	    cfg->nvhosts != h->nvhosts)
		_exit(126);
	close(ROLE_FD_CONFIG);
	return cfg;
}

struct ftpsd_config *role_start(struct role_env *env)
{
	struct role_header h;
	struct ftpsd_config *cfg = read_config(&h);
	struct log_sinks sinks = {
		.use_syslog = cfg->global.syslog_enable,
		.file_fd = h.has_log ? ROLE_FD_LOG : -1,
		.use_stderr = h.foreground,
		.debug = cfg->global.log_ftp_protocol,
		.facility = log_facility_from_name(cfg->global.syslog_facility),
		.json = strcmp(cfg->global.log_format, "json") == 0,
	};

	*env = (struct role_env){
		.log_fd = sinks.file_fd,
		.xferlog_fd = h.has_xferlog ? ROLE_FD_XFERLOG : -1,
		.report_fd = h.has_report ? ROLE_FD_REPORT : -1,
		.vsftpd_log_fd = h.has_vsftpd_log ? ROLE_FD_VSFTPD_LOG : -1,
		.foreground = h.foreground,
	};
	log_init(&sinks);
	signal(SIGPIPE, SIG_IGN);
	/* SIGUSR1 is the master's (reopen the logs); sent to the whole unit
	 * (systemctl kill) it must not end a role or a session forked from
	 * one (an ignored signal stays ignored across fork). */
	signal(SIGUSR1, SIG_IGN);
	return cfg;
}
