/* Roles that start from a clean image: fork + execve of this very binary
 * (/proc/self/exe) with "--role NAME" (OpenSSH 9.8's sshd-session). The
 * new image has nothing of its parent's heap: no key, no other session's
 * data. It gets the configuration as a sealed memfd, the log sinks, and
 * its links, at fixed fd numbers:
 *   3 config (struct role_header + the configuration)
 *   4 log_file, 5 xferlog_file, 6 the failed-login report socket,
 *   7 vsftpd_log_file (each present when the header says so)
 *   8... the role's own links, in the order given.
 * Used for the key holder and the zygote, once per configuration
 * generation, never per session. */
#ifndef FTPSD_ROLE_H
#define FTPSD_ROLE_H

#include <stdbool.h>
#include <sys/types.h>

#include "config/config.h"

#define ROLE_FD_CONFIG 3
#define ROLE_FD_LOG 4
#define ROLE_FD_XFERLOG 5
#define ROLE_FD_REPORT 6
#define ROLE_FD_VSFTPD_LOG 7
#define ROLE_FD_LINKS 8
#define ROLE_LINKS_MAX 4

/* What a role inherits besides the configuration. -1: none. */
struct role_env {
	int log_fd;
	int xferlog_fd;
	int vsftpd_log_fd;
	int report_fd;
	bool foreground; /* stderr is a log sink */
};

/* Start role NAME with LINKS. The child's pid, or -1. */
pid_t role_spawn(const char *name, const struct ftpsd_config *cfg, const struct role_env *env,
		 const int *links, int nlinks);

/* The whole environment role_spawn gives a role: the malloc tunables
 * every role runs with, the sanitizers' settings (if any), and room for
 * the process title; nothing else of the parent's. */
char **role_environment(void);

/* In a process started by role_spawn: read the configuration, set up the
 * log sinks and ENV. Exits if the start is not one role_spawn made. */
struct ftpsd_config *role_start(struct role_env *env);

#endif
