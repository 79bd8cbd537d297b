#include "master/notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void notify_open(struct notifier *n)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	*n = (struct notifier){ .fd = -1 };
	if (!path || (path[0] != '/' && path[0] != '@') ||
	    (len = strlen(path)) >= sizeof(n->addr.sun_path) || len < 2) {
		unsetenv("NOTIFY_SOCKET");
		return;
	}
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, path, len);
	if (path[0] == '@')
		n->addr.sun_path[0] = '\0';
	/* Abstract names are not NUL-terminated: the length is the name. */
	n->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unsetenv("NOTIFY_SOCKET");
}

void notify_close(struct notifier *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

int notify_send(const struct notifier *n, const char *text)
{
	ssize_t w;

	if (n->fd < 0)
		return 0;
	do
		w = sendto(n->fd, text, strlen(text), MSG_NOSIGNAL,
			   (const struct sockaddr *)&n->addr, n->len);
	while (w < 0 && errno == EINTR);
	return w < 0 ? -1 : 0;
}

static void send_state(const struct notifier *n, const char *state, size_t sessions)
{
	char buf[160];

	snprintf(buf, sizeof(buf), "%sMAINPID=%d\nSTATUS=%zu session%s\n", state, (int)getpid(),
		 sessions, sessions == 1 ? "" : "s");
	(void)notify_send(n, buf);
}

void notify_ready(const struct notifier *n, size_t sessions)
{
	send_state(n, "READY=1\n", sessions);
}

/* systemd 253+ wants MONOTONIC_USEC with RELOADING=1 (Type=notify-reload);
 * older ones ignore it. */
void notify_reloading(const struct notifier *n)
{
	char buf[96];
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu\n",
		 (unsigned long long)ts.tv_sec * 1000000ULL +
			 (unsigned long long)ts.tv_nsec / 1000);
	(void)notify_send(n, buf);
}

void notify_stopping(const struct notifier *n, size_t sessions)
{
	send_state(n, "STOPPING=1\n", sessions);
}

void notify_status(const struct notifier *n, size_t sessions)
{
	send_state(n, "", sessions);
}
