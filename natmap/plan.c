#include "natmap/plan.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config/pasv.h"
#include "config/vhosts.h"

bool natmap_vhost_wanted(const struct cfg_vhost *vh)
{
	return cfg_pasv_address_auto(&vh->set) || vh->set.nat_port_mapping;
}

bool natmap_config_wanted(const struct ftpsd_config *cfg)
{
	for (size_t i = 0; i < cfg->nvhosts; i++)
		if (natmap_vhost_wanted(&cfg->vhosts[i]))
			return true;
	return false;
}

static void add_port(struct natmap_plan *p, unsigned port)
{
	for (unsigned i = 0; i < p->nports; i++)
		if (p->ports[i] == port)
			return;
	if (port && port <= 65535 && p->nports < NATMAP_PORTS_MAX)
		p->ports[p->nports++] = (uint16_t)port;
}

void natmap_plan_vhost(const struct cfg_vhost *vh, struct natmap_plan *out)
{
	const struct cfg_settings *s = &vh->set;

	memset(out, 0, sizeof(*out));
	out->learn = cfg_pasv_address_auto(s);
	out->map = s->nat_port_mapping;
	if (!out->map)
		return;
	add_port(out, s->listen_port);
	if (s->ssl_enable && s->implicit_ssl_port)
		add_port(out, s->implicit_ssl_port);
	if (s->pasv_enable && s->pasv_min_port)
		for (unsigned p = s->pasv_min_port;
		     p <= s->pasv_max_port && p < s->pasv_min_port + NATMAP_PASV_MAX; p++)
			add_port(out, p);
}

void natmap_bound_range(struct ftpsd_config *cfg, void (*note)(const char *line, void *ctx),
			void *ctx)
{
	for (size_t i = 0; i < cfg->nvhosts; i++) {
		struct cfg_settings *s = &cfg->vhosts[i].set;
		char line[256];

		if (!s->nat_port_mapping || !s->pasv_min_port ||
		    s->pasv_max_port - s->pasv_min_port < NATMAP_PASV_MAX)
			continue;
		snprintf(line, sizeof(line),
			 "vhost %s: nat_port_mapping: the passive "
			 "range %u-%u is more than %u ports; mapping and using "
			 "%u-%u only",
			 cfg->vhosts[i].name, s->pasv_min_port, s->pasv_max_port, NATMAP_PASV_MAX,
			 s->pasv_min_port, s->pasv_min_port + NATMAP_PASV_MAX - 1);
		s->pasv_max_port = s->pasv_min_port + NATMAP_PASV_MAX - 1;
		note(line, ctx);
	}
}

/* The line for VH when it maps ports and listens on IPv6 too. */
static bool ipv6_unmapped(const struct cfg_vhost *vh, char *buf, size_t size)
{
	struct net_addr addrs[32];
	char ip[NETADDR_STRLEN];
	int n;

	if (!vh->set.nat_port_mapping)
		return false;
	n = vhost_addresses(vh, vh->set.listen_port, addrs, 32);
	for (int i = 0; i < n; i++) {
		if (net_addr_family(&addrs[i]) != AF_INET6)
			continue;
		net_addr_ip_string(&addrs[i], ip, sizeof(ip));
		snprintf(buf, size,
			 "vhost %s: nat_port_mapping maps IPv4 ports only: "
			 "IPv6 (listening on %s) is served without NAT, and no "
			 "pinhole is opened for it on the router; let its control "
			 "and passive ports through the router's IPv6 firewall "
			 "yourself",
			 vh->name, ip);
		return true;
	}
	return false;
}

void natmap_note_ipv6(const struct ftpsd_config *cfg, void (*note)(const char *line, void *ctx),
		      void *ctx)
{
	char line[512];

	for (size_t i = 0; i < cfg->nvhosts; i++)
		if (ipv6_unmapped(&cfg->vhosts[i], line, sizeof(line)))
			note(line, ctx);
}

bool natmap_config_same(const struct ftpsd_config *a, const struct ftpsd_config *b)
{
	if (a->nvhosts != b->nvhosts ||
	    strcmp(a->global.nat_protocols, b->global.nat_protocols) != 0 ||
	    a->global.nat_mapping_lifetime != b->global.nat_mapping_lifetime)
		return false;
	for (size_t i = 0; i < a->nvhosts; i++) {
		struct natmap_plan pa, pb;
		natmap_plan_vhost(&a->vhosts[i], &pa);
		natmap_plan_vhost(&b->vhosts[i], &pb);
		if (strcmp(a->vhosts[i].name, b->vhosts[i].name) != 0 ||
		    memcmp(&pa, &pb, sizeof(pa)) != 0 ||
		    a->vhosts[i].set.pasv_address_refresh != b->vhosts[i].set.pasv_address_refresh)
			return false;
	}
	return true;
}

/* A rule for every IPv4 client (0.0.0.0/0, or "any") means the learned
 * address is never told to anyone. The rules as the monitor reads them
 * (config/pasv.c), not the text again. */
static bool rules_shadow_auto(const struct cfg_settings *s)
{
	struct pasv_policy *pol = malloc(sizeof(*pol));
	char bad[CFG_STR_MAX];
	bool shadow = false;

	if (pol == NULL || pasv_rules_parse(pol, s->pasv_address_rule, bad, sizeof(bad)) < 0) {
		free(pol); /* refused by the config check already */
		return false;
	}
	for (size_t i = 0; i < pol->nrules && !shadow; i++)
		shadow = pol->rules[i].net.family == AF_INET && pol->rules[i].net.prefix == 0;
	free(pol);
	return shadow;
}

static int warn_vhost(const struct ftpsd_config *cfg, const struct cfg_vhost *vh, FILE *err)
{
	const struct cfg_settings *s = &vh->set;
	char line[512];
	int n = 0;

	if (s->nat_port_mapping && !cfg_pasv_address_auto(s) && s->pasv_address[0]) {
		fprintf(err,
			"%s: warning: vhost %s: nat_port_mapping=YES with a static "
			"pasv_address=%s: the ports are mapped on the gateway's "
			"external address, which PASV does not tell (use "
			"pasv_address=auto)\n",
			cfg->path, vh->name, s->pasv_address);
		n++;
	}
	if (s->nat_port_mapping && (!s->pasv_enable || !s->pasv_min_port)) {
		fprintf(err,
			"%s: warning: vhost %s: nat_port_mapping=YES without "
			"pasv_min_port/pasv_max_port: only the control port(s) are "
			"mapped, passive data connections from outside will fail\n",
			cfg->path, vh->name);
		n++;
	}
	if (s->nat_port_mapping && s->pasv_min_port &&
	    s->pasv_max_port - s->pasv_min_port >= NATMAP_PASV_MAX) {
		fprintf(err,
			"%s: warning: vhost %s: nat_port_mapping=YES maps at most "
			"%u passive ports: the range %u-%u will be cut to %u-%u\n",
			cfg->path, vh->name, NATMAP_PASV_MAX, s->pasv_min_port, s->pasv_max_port,
			s->pasv_min_port, s->pasv_min_port + NATMAP_PASV_MAX - 1);
		n++;
	}
	if (s->nat_port_mapping && s->pasv_port_offset) {
		fprintf(err,
			"%s: warning: vhost %s: nat_port_mapping=YES maps each "
			"passive port to itself, but pasv_port_offset=%u advertises "
			"other ports\n",
			cfg->path, vh->name, s->pasv_port_offset);
		n++;
	}
	if (ipv6_unmapped(vh, line, sizeof(line))) {
		fprintf(err, "%s: warning: %s\n", cfg->path, line);
		n++;
	}
	if (cfg_pasv_address_auto(s) && rules_shadow_auto(s)) {
		fprintf(err,
			"%s: warning: vhost %s: pasv_address=auto, but a "
			"pasv_address_rule for 0.0.0.0/0 answers every IPv4 client "
			"first: the learned address is never advertised\n",
			cfg->path, vh->name);
		n++;
	}
	return n;
}

int natmap_check(const struct ftpsd_config *cfg, FILE *err)
{
	int n = 0;

	for (size_t i = 0; i < cfg->nvhosts; i++)
		n += warn_vhost(cfg, &cfg->vhosts[i], err);
	if (!cfg->global.listen && natmap_config_wanted(cfg)) {
		fprintf(err,
			"%s: warning: pasv_address=auto and nat_port_mapping need "
			"the standalone master (listen=YES); in inetd mode they do "
			"nothing\n",
			cfg->path);
		n++;
	}
	return n;
}

unsigned natmap_protocols(const struct cfg_settings *g, enum natmap_proto order[3])
{
	const char *s = g->nat_protocols;
	unsigned n = 0;

	while (*s && n < 3) {
		s += strspn(s, " \t,");
		if (strncmp(s, "pcp", 3) == 0)
			order[n++] = NATMAP_PCP, s += 3;
		else if (strncmp(s, "natpmp", 6) == 0)
			order[n++] = NATMAP_NATPMP, s += 6;
		else if (strncmp(s, "upnp", 4) == 0)
			order[n++] = NATMAP_UPNP, s += 4;
		else
			break;
	}
	return n;
}

bool natmap_uses_upnp(const struct cfg_settings *g)
{
	enum natmap_proto order[3];
	unsigned n = natmap_protocols(g, order);

	for (unsigned i = 0; i < n; i++)
		if (order[i] == NATMAP_UPNP)
			return true;
	return false;
}

const char *natmap_proto_name(enum natmap_proto p)
{
	return p == NATMAP_PCP      ? "PCP"
	       : p == NATMAP_NATPMP ? "NAT-PMP"
	       : p == NATMAP_UPNP   ? "UPnP-IGD"
				    : "none";
}
