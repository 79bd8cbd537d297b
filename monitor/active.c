#include "monitor/active.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/port.h"

static int fail(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
	return -1;
}

/* Non-blocking connect bounded by TIMEOUT seconds, then blocking again. */
static int connect_bounded(int fd, const struct net_addr *to, unsigned timeout)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int flags = fcntl(fd, F_GETFL), err = 0, r;
	socklen_t len = sizeof(err);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&to->ss, to->len) < 0) {
		if (errno != EINPROGRESS)
			return -1;
		do
			r = poll(&p, 1, (int)timeout * 1000);
		while (r < 0 && errno == EINTR);
		if (r == 0)
			errno = ETIMEDOUT;
		if (r <= 0)
			return -1;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			return -1;
		if (err) {
			errno = err;
			return -1;
		}
	}
	return fcntl(fd, F_SETFL, flags);
}

int active_connect(const struct cfg_settings *set, const struct net_addr *local,
		   const struct net_addr *target)
{
	struct net_addr from = *local, to = *target;
	int one = 1, fd;

	if (port_target_for_local(&to, local) < 0) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	fd = socket(net_addr_family(local), SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* SO_REUSEADDR: port 20 is shared by every session's data connection
	 * (to different peers), and lingers in TIME_WAIT after each. */
	net_addr_set_port(&from, set->connect_from_port_20 ? set->ftp_data_port : 0);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)&from.ss, from.len) < 0 ||
	    connect_bounded(fd, &to, set->connect_timeout) < 0)
		return fail(fd);
	return fd;
}
