#include "master/listeners.h"
#include "config/vhosts.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static bool same_addr(const struct net_addr *a, const struct net_addr *b)
{
	return a->len == b->len && net_addr_same_ip(a, b) &&
	       net_addr_family(a) == net_addr_family(b) && net_addr_port(a) == net_addr_port(b);
}

static int open_listener(const struct net_addr *a)
{
	int one = 1;
	int fd = socket(net_addr_family(a), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	/* IPv6 sockets serve IPv6 only, so "0.0.0.0,::" works as a pair. */
	if ((net_addr_family(a) == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 || listen(fd, 512) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int find(const struct listeners *ls, const struct net_addr *a)
{
	for (size_t i = 0; i < ls->n; i++)
		if (same_addr(&ls->l[i].addr, a))
			return (int)i;
	return -1;
}

static bool is_wildcard(const struct net_addr *a);

/* A socket systemd opened for A (same address and port), taken from IN. */
static int claim_inherited(struct inherited_fds *in, const struct net_addr *a)
{
	for (size_t i = 0; in && i < in->n; i++) {
		if (in->fd[i].fd >= 0 && same_addr(&in->fd[i].addr, a)) {
			int fd = in->fd[i].fd;
			in->fd[i].fd = -1;
			return fd;
		}
	}
	return -1;
}

/* A listener of LS already accepts connections for A: the same address,
 * or the wildcard of its family, on its port. */
static bool covered(const struct listeners *ls, const struct net_addr *a)
{
	for (size_t i = 0; i < ls->n; i++)
		if (net_addr_port(&ls->l[i].addr) == net_addr_port(a) &&
		    net_addr_family(&ls->l[i].addr) == net_addr_family(a) &&
		    (net_addr_same_ip(&ls->l[i].addr, a) || is_wildcard(&ls->l[i].addr)))
			return true;
	return false;
}

/* Add VH's addresses on PORT to NEXT, reusing sockets already open in LS. */
static int want(struct listeners *next, const struct listeners *ls, bool *reused,
		const struct cfg_vhost *vh, unsigned port, bool implicit, char *err, size_t errsize)
{
	struct net_addr addrs[32];
	int n = vhost_addresses(vh, port, addrs, 32);

	if (n < 0) {
		snprintf(err, errsize, "vhost %s: bad listen_address", vh->name);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct listener *l = &next->l[next->n];
		int old = find(ls, &addrs[i]);
		/* Shared with an earlier vhost: its socket serves both, and
		 * HOST, TLS SNI or a PROXY header's destination pick this one. */
		if (cfg_may_share_address(&vh->set) && covered(next, &addrs[i]))
			continue;
		if (next->n == LISTENERS_MAX || find(next, &addrs[i]) >= 0) {
			snprintf(err, errsize,
				 "too many or duplicate listen addresses "
				 "(vhost %s, port %u)",
				 vh->name, port);
			return -1;
		}
		l->addr = addrs[i];
		l->vhost = vh;
		l->implicit_tls = implicit;
		if (old >= 0) {
			l->fd = ls->l[old].fd;
			reused[old] = true;
		} else if ((l->fd = claim_inherited(next->inherited, &addrs[i])) >= 0) {
			;
		} else if ((l->fd = open_listener(&addrs[i])) < 0) {
			char a[NETADDR_STRLEN];
			net_addr_string(&addrs[i], a, sizeof(a));
			snprintf(err, errsize, "cannot listen on %s: %s", a, strerror(errno));
			return -1;
		}
		next->n++;
	}
	return 0;
}

/* Collect the wanted set, reusing open fds; on error close only what this
 * call opened. */
int listeners_sync(struct listeners *ls, const struct ftpsd_config *cfg, char *err, size_t errsize)
{
	struct listeners next = { .n = 0, .inherited = ls->inherited };
	bool reused[LISTENERS_MAX] = { false };

	for (size_t v = 0; v < cfg->nvhosts; v++) {
		const struct cfg_vhost *vh = &cfg->vhosts[v];
		/* implicit_ssl=YES: listen_port is the implicit listener. */
		bool plain = !(vh->set.ssl_enable &&
			       vh->set.implicit_ssl_port == vh->set.listen_port);
		if (plain &&
		    want(&next, ls, reused, vh, vh->set.listen_port, false, err, errsize) < 0)
			goto fail;
		if (vh->set.ssl_enable && vh->set.implicit_ssl_port &&
		    want(&next, ls, reused, vh, vh->set.implicit_ssl_port, true, err, errsize) < 0)
			goto fail;
	}
	for (size_t i = 0; i < ls->n; i++)
		if (!reused[i])
			close(ls->l[i].fd);
	*ls = next;
	return 0;
fail:
	for (size_t i = 0; i < next.n; i++)
		if (find(ls, &next.l[i].addr) < 0)
			close(next.l[i].fd);
	return -1;
}

void listeners_close_all(struct listeners *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		close(ls->l[i].fd);
	ls->n = 0;
}

static bool is_wildcard(const struct net_addr *a)
{
	struct net_addr any;

	net_addr_parse(&any, net_addr_family(a) == AF_INET ? "0.0.0.0" : "::", 0);
	return net_addr_same_ip(&any, a);
}

const struct cfg_vhost *listeners_vhost_for(const struct ftpsd_config *cfg,
					    const struct net_addr *local, bool *implicit)
{
	const struct cfg_vhost *wildcard = NULL, *exact = NULL;
	bool wildcard_implicit = false;
	unsigned port = net_addr_port(local);

	for (size_t v = 0; v < cfg->nvhosts && !exact; v++) {
		const struct cfg_vhost *vh = &cfg->vhosts[v];
		bool imp = vh->set.ssl_enable && vh->set.implicit_ssl_port == port;
		struct net_addr addrs[32];
		int n;
		if (port != vh->set.listen_port && !imp)
			continue;
		n = vhost_addresses(vh, port, addrs, 32);
		for (int i = 0; i < n && !exact; i++) {
			if (net_addr_same_ip(&addrs[i], local)) {
				exact = vh;
				*implicit = imp;
			} else if (!wildcard && is_wildcard(&addrs[i])) {
				wildcard = vh;
				wildcard_implicit = imp;
			}
		}
	}
	if (exact)
		return exact;
	*implicit = wildcard ? wildcard_implicit : false;
	return wildcard ? wildcard : &cfg->vhosts[0];
}
