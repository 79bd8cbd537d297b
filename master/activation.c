#include "master/activation.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"

static int parse_uint(const char *s, unsigned long *out)
{
	char *end;

	if (!s || !*s)
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end ? -1 : 0;
}

/* The Nth colon-separated name of NAMES into OUT ("" when absent). */
static void nth_name(const char *names, size_t nth, char *out, size_t size)
{
	const char *p = names;

	out[0] = '\0';
	for (size_t i = 0; p && i < nth; i++) {
		p = strchr(p, ':');
		if (p)
			p++;
	}
	if (p) {
		size_t len = strcspn(p, ":");
		if (len >= size)
			len = size - 1;
		memcpy(out, p, len);
		out[len] = '\0';
	}
}

int activation_take(struct inherited_fds *in, char *err, size_t errsize)
{
	const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	unsigned long pid, n;

	in->n = 0;
	if (!pid_s || !fds_s)
		return 0;
	if (parse_uint(pid_s, &pid) < 0 || parse_uint(fds_s, &n) < 0) {
		snprintf(err, errsize, "LISTEN_PID/LISTEN_FDS are not numbers");
		return -1;
	}
	if (pid != (unsigned long)getpid())
		return 0; /* meant for another process */
	if (n > LISTENERS_MAX) {
		snprintf(err, errsize, "LISTEN_FDS=%lu: more than %d sockets", n, LISTENERS_MAX);
		return -1;
	}
	for (unsigned long i = 0; i < n; i++) {
		int fd = ACTIVATION_FD_START + (int)i, type = 0, acc = 0;
		socklen_t len = sizeof(type);
		struct inherited_fd *h = &in->fd[in->n];
		int fl;

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM) {
			close(fd); /* not ours to serve */
			continue;
		}
		/* Accept=yes passes the connection itself as fd 3 too (and on
		 * fd 0 with StandardInput=socket): inetd mode serves fd 0, and
		 * this copy is closed. */
		len = sizeof(acc);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0 || !acc) {
			close(fd);
			continue;
		}
		if (net_addr_from_local(&h->addr, fd) < 0) {
			snprintf(err, errsize, "LISTEN_FDS: fd %d: %s", fd, strerror(errno));
			return -1;
		}
		fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			snprintf(err, errsize, "LISTEN_FDS: fd %d: %s", fd, strerror(errno));
			return -1;
		}
		h->fd = fd;
		nth_name(names, i, h->name, sizeof(h->name));
		in->n++;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return (int)n;
}

void activation_close_unclaimed(struct inherited_fds *in)
{
	for (size_t i = 0; i < in->n; i++) {
		char a[NETADDR_STRLEN];
		if (in->fd[i].fd < 0)
			continue;
		net_addr_string(&in->fd[i].addr, a, sizeof(a));
		log_msg(LOG_LVL_WARN,
			"socket activation: %s (fd %d%s%s) matches no "
			"listen_address/listen_port; closed",
			a, in->fd[i].fd, in->fd[i].name[0] ? ", " : "", in->fd[i].name);
		close(in->fd[i].fd);
		in->fd[i].fd = -1;
	}
	in->n = 0;
}
