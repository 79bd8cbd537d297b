/* systemd's readiness protocol (sd_notify(3)) without libsystemd: one
 * datagram per state change to the unix socket named by NOTIFY_SOCKET
 * (a path, or '@' for the abstract namespace). Without NOTIFY_SOCKET every
 * call does nothing. */
#ifndef FTPSD_NOTIFY_H
#define FTPSD_NOTIFY_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

struct notifier {
	int fd; /* -1: not under a notify-aware manager */
	struct sockaddr_un addr;
	socklen_t len;
};

/* Reads and unsets NOTIFY_SOCKET (no child inherits it). */
void notify_open(struct notifier *n);
void notify_close(struct notifier *n);

/* Sends TEXT ("KEY=VALUE\n..."); 0, or -1 (ignored by the callers: a
 * manager that went away must not stop the server). */
int notify_send(const struct notifier *n, const char *text);

/* READY=1 (with MAINPID when it is not the process systemd started: the
 * daemonized master), and the STATUS line. */
void notify_ready(const struct notifier *n, size_t sessions);
void notify_reloading(const struct notifier *n);
void notify_stopping(const struct notifier *n, size_t sessions);
void notify_status(const struct notifier *n, size_t sessions);

#endif
