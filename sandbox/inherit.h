/* What a process forked ahead of time takes from its parent at the moment
 * it is put to use (sandbox/inherit.c). */
#ifndef FTPSD_SANDBOX_INHERIT_H
#define FTPSD_SANDBOX_INHERIT_H

#include <sys/types.h>

/* Become, in limits, priority, login uid, cgroup and mount namespace, what
 * a child forked from FROM now would be: what PAM's session modules did to
 * FROM since we were forked. Call as root, before any sandboxing. 0, or -1
 * with errno and the step that failed in *WHAT (the caller must exit). */
int sandbox_take_process_state(pid_t from, const char **what);

#endif
