/* The master's listening sockets, one per (vhost, address). */
#ifndef FTPSD_LISTENERS_H
#define FTPSD_LISTENERS_H

#include <stddef.h>

#include "config/config.h"
#include "common/netaddr.h"

#define LISTENERS_MAX 128

struct listener {
	int fd;
	struct net_addr addr;
	const struct cfg_vhost *vhost;
	bool implicit_tls; /* implicit_ssl_port: TLS from the first byte */
};

/* Sockets opened by systemd (master/activation.h), claimed by address. */
struct inherited_fd {
	int fd; /* -1 once claimed */
	struct net_addr addr;
	char name[64]; /* from LISTEN_FDNAMES, or "" */
};

struct inherited_fds {
	struct inherited_fd fd[LISTENERS_MAX];
	size_t n;
};

struct listeners {
	struct listener l[LISTENERS_MAX];
	size_t n;
	struct inherited_fds *inherited; /* NULL: none */
};

/* Make LS match CFG: keep sockets whose address is still configured
 * (pointing them at the new vhost), open new ones, close the rest. On
 * failure LS is unchanged except for sockets already opened, which are
 * closed again, and -1 is returned with a reason in ERR. */
int listeners_sync(struct listeners *ls, const struct ftpsd_config *cfg, char *err, size_t errsize);

void listeners_close_all(struct listeners *ls);

/* The vhost whose listen address matches LOCAL (exact address, then the
 * wildcard on the same port), or the first vhost; *IMPLICIT tells whether
 * LOCAL's port is that vhost's implicit FTPS port. For inetd mode. */
const struct cfg_vhost *listeners_vhost_for(const struct ftpsd_config *cfg,
					    const struct net_addr *local, bool *implicit);

#endif
