/* Seccomp allowlists, one per sandboxed role. A syscall outside the list
 * is a violation: the process reports the role and syscall number to its
 * monitor, then dies of SIGSYS. */
#ifndef FTPSD_SANDBOX_SECCOMP_H
#define FTPSD_SANDBOX_SECCOMP_H

#include <stdbool.h>

enum sandbox_role {
	ROLE_PREAUTH,    /* pre-login engine: FTP text only, no files */
	ROLE_ENGINE,     /* the user's engine: files, accepts on passed fds */
	ROLE_RELAY,      /* control-channel TLS */
	ROLE_KEYS,       /* the key holder: signs over its links */
	ROLE_MONITOR,    /* the monitor after login: broker, logs, PAM close */
	ROLE_NATMAP,     /* the NAT helper: its gateway socket and its link */
	ROLE_NATMAP_TCP, /* the same, and TCP sockets for UPnP-IGD's HTTP */
	ROLE_MASTER,     /* the master, and so everything it forks: a bound */
};

const char *sandbox_role_name(enum sandbox_role role);

/* Compile every role's filter once (the master, at start), so the
 * processes it forks only install them. 0 or -1. */
int sandbox_seccomp_prepare(void);

/* Install ROLE's filter. REPORT_FD is the privsep socket the violation
 * report goes to. READ_ONLY (an engine without write permission) also
 * refuses every call that could change the file system, and open() with
 * write flags. 0, or -1 if the filter could not be built or loaded. */
int sandbox_seccomp_apply(enum sandbox_role role, int report_fd, bool read_only);

#endif
