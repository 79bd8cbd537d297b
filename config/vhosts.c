#include "config/vhosts.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int vhost_addresses(const struct cfg_vhost *vh, unsigned port, struct net_addr *out, size_t max)
{
	char list[CFG_STR_MAX], *save = NULL;
	int n = 0;

	snprintf(list, sizeof(list), "%s", vh->set.listen_address);
	for (char *tok = strtok_r(list, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if ((size_t)n >= max || net_addr_parse(&out[n], tok, port) < 0)
			return -1;
		n++;
	}
	return n;
}

static bool is_wildcard(const struct net_addr *a)
{
	struct net_addr any;

	if (net_addr_parse(&any, net_addr_family(a) == AF_INET ? "0.0.0.0" : "::", 0) < 0)
		return false;
	return net_addr_family(a) == net_addr_family(&any) && net_addr_same_ip(&any, a);
}

bool vhost_serves(const struct cfg_vhost *vh, const struct net_addr *local)
{
	unsigned port = net_addr_port(local);
	struct net_addr addrs[32];
	struct in_addr v4;
	int n;

	if (port != vh->set.listen_port &&
	    !(vh->set.ssl_enable && vh->set.implicit_ssl_port == port))
		return false;
	n = vhost_addresses(vh, port, addrs, 32);
	for (int i = 0; i < n; i++) {
		if (net_addr_same_ip(&addrs[i], local))
			return true;
		/* 0.0.0.0 serves IPv4 (and IPv4-mapped); :: serves IPv6. */
		if (is_wildcard(&addrs[i]) &&
		    (net_addr_family(&addrs[i]) == AF_INET) == net_addr_ipv4(local, &v4))
			return true;
	}
	return false;
}

/* NAME without a trailing dot or "[...]" brackets, into OUT. */
static int normalise(const char *name, char *out, size_t size)
{
	size_t len = strlen(name);

	if (len >= 2 && name[0] == '[' && name[len - 1] == ']') {
		name++;
		len -= 2;
	}
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len >= size)
		return -1;
	memcpy(out, name, len);
	out[len] = '\0';
	return 0;
}

static bool lists_name(const char *list, const char *name)
{
	size_t nlen = strlen(name);

	while (*list) {
		size_t len;

		list += strspn(list, ", \t");
		len = strcspn(list, ", \t");
		if (len == nlen && strncasecmp(list, name, len) == 0)
			return true;
		list += len;
	}
	return false;
}

int vhost_find_by_name(const struct ftpsd_config *cfg, const struct net_addr *local,
		       const char *name)
{
	char n[VHOST_NAME_MAX];

	if (normalise(name, n, sizeof(n)) < 0)
		return -1;
	for (size_t i = 0; i < cfg->nvhosts; i++)
		if (lists_name(cfg->vhosts[i].set.server_name, n) &&
		    vhost_serves(&cfg->vhosts[i], local))
			return (int)i;
	return -1;
}

static void describe_public(const struct cfg_vhost *vh, const struct pasv_masq *masq, char *buf,
			    size_t size)
{
	const char *name = vh->set.pasv_address;
	char ip[NETADDR_STRLEN];
	struct net_addr lit;

	if (!name[0]) {
		snprintf(buf, size, "none");
		return;
	}
	if (net_addr_parse(&lit, name, 0) == 0) {
		snprintf(buf, size, "%s", name);
		return;
	}
	if (masq && masq->ok)
		net_addr_ip_string(&masq->addr, ip, sizeof(ip));
	else
		snprintf(ip, sizeof(ip), "%s",
			 cfg_pasv_address_auto(&vh->set) ? "not learned yet" : "unresolved");
	snprintf(buf, size, "%s (%s)", name, ip);
}

static void describe_one(const struct cfg_vhost *vh, const char *public, unsigned port,
			 void (*emit)(const char *, void *), void *ctx)
{
	const struct cfg_settings *s = &vh->set;
	struct net_addr addrs[32];
	char line[1024], a[NETADDR_STRLEN], ports[32];
	int n = vhost_addresses(vh, port, addrs, 32);

	if (s->pasv_min_port)
		snprintf(ports, sizeof(ports), "%u-%u", s->pasv_min_port, s->pasv_max_port);
	else
		snprintf(ports, sizeof(ports), "any");
	for (int i = 0; i < n; i++) {
		net_addr_string(&addrs[i], a, sizeof(a));
		snprintf(line, sizeof(line),
			 "vhost %s: listening on %s, "
			 "masquerading as %s for clients outside %s, passive "
			 "ports %s%s",
			 vh->name, a, public,
			 s->pasv_address_exempt[0] ? s->pasv_address_exempt : "none", ports,
			 s->pasv_address_rule[0] ? " (and pasv_address_rule "
						   "entries first)"
						 : "");
		emit(line, ctx);
	}
}

void vhost_describe(const struct cfg_vhost *vh, const struct pasv_masq *masq,
		    void (*emit)(const char *line, void *ctx), void *ctx)
{
	char public[CFG_STR_MAX + NETADDR_STRLEN + 4];

	describe_public(vh, masq, public, sizeof(public));
	describe_one(vh, public, vh->set.listen_port, emit, ctx);
	if (vh->set.ssl_enable && vh->set.implicit_ssl_port)
		describe_one(vh, public, vh->set.implicit_ssl_port, emit, ctx);
}
