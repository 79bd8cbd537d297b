#include "monitor/broker.h"

#include <errno.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned random_below(unsigned n)
{
	unsigned v = 0;

	/* getrandom on 4 bytes never returns short; a failure falls back to
	 * probing from the start of the range, which is still correct. */
	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = 0;
	return n ? v % n : 0;
}

static int listen_on(const struct net_addr *addr)
{
	int one = 1;
	int fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0 || listen(fd, 1) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int broker_pasv_listen_any(const struct net_addr *local, struct net_addr *bound)
{
	int fd;

	*bound = *local;
	net_addr_set_port(bound, 0);
	fd = listen_on(bound);
	if (fd >= 0 && net_addr_from_local(bound, fd) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int broker_pasv_listen(const struct cfg_settings *set, const struct net_addr *local,
		       struct net_addr *bound, unsigned *in_use)
{
	unsigned lo = set->pasv_min_port, hi = set->pasv_max_port;
	unsigned span, start;

	*in_use = 0;
	*bound = *local;
	if (lo == 0)
		return broker_pasv_listen_any(local, bound);
	span = hi - lo + 1;
	start = random_below(span);
	for (unsigned i = 0; i < span; i++) {
		int fd;
		net_addr_set_port(bound, lo + (start + i) % span);
		fd = listen_on(bound);
		if (fd >= 0)
			return fd;
		if (errno != EADDRINUSE)
			return -1;
		(*in_use)++;
	}
	errno = EADDRINUSE;
	return -1;
}
