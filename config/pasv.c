#include "config/pasv.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static int add_rule(struct pasv_policy *p, const struct cidr *net, bool use_local,
		    const struct net_addr *addr)
{
	struct pasv_rule *r;

	if (p->nrules >= PASV_RULES_MAX)
		return -1;
	r = &p->rules[p->nrules++];
	r->net = *net;
	r->use_local = use_local;
	if (addr)
		r->addr = *addr;
	else
		memset(&r->addr, 0, sizeof(r->addr));
	return 0;
}

/* "NETWORK ADDRESS" → rules (several for "private" and "any"). */
static int parse_rule(struct pasv_policy *p, const char *line)
{
	char net[CIDR_STRLEN], target[CIDR_STRLEN], extra;
	struct cidr_list nets = { .n = 0 };
	struct net_addr addr;
	bool use_local;
	char bad[CIDR_STRLEN];

	if (sscanf(line, "%63s %63s %c", net, target, &extra) != 2)
		return -1;
	use_local = strcmp(target, "local") == 0;
	if (!use_local && net_addr_parse(&addr, target, 0) < 0)
		return -1;
	if (strcmp(net, "any") == 0) {
		if (cidr_parse(&nets.e[0], "0.0.0.0/0") < 0 || cidr_parse(&nets.e[1], "::/0") < 0)
			return -1;
		nets.n = 2;
	} else if (strchr(net, ',') || cidr_list_parse(&nets, net, bad, sizeof(bad)) < 0) {
		return -1;
	}
	for (size_t i = 0; i < nets.n; i++)
		if (add_rule(p, &nets.e[i], use_local, use_local ? NULL : &addr) < 0)
			return -1;
	return 0;
}

int pasv_rules_parse(struct pasv_policy *p, const char *text, char *bad, size_t badsize)
{
	p->nrules = 0;
	while (*text) {
		size_t len = strcspn(text, "\n");
		char line[CFG_STR_MAX];

		snprintf(bad, badsize, "%.*s", (int)len, text);
		if (len >= sizeof(line))
			return -1;
		memcpy(line, text, len);
		line[len] = '\0';
		if (line[strspn(line, " \t")] != '\0' && parse_rule(p, line) < 0)
			return -1;
		text += len;
		if (*text == '\n')
			text++;
	}
	return 0;
}

int pasv_policy_build(struct pasv_policy *p, const struct cfg_settings *set,
		      const struct net_addr *masq, char *err, size_t errsize)
{
	char bad[CFG_STR_MAX];

	memset(p, 0, sizeof(*p));
	if (pasv_rules_parse(p, set->pasv_address_rule, bad, sizeof(bad)) < 0) {
		snprintf(err, errsize, "bad pasv_address_rule \"%s\"", bad);
		return -1;
	}
	if (cidr_list_parse(&p->exempt, set->pasv_address_exempt, bad, sizeof(bad)) < 0) {
		snprintf(err, errsize, "bad pasv_address_exempt entry \"%s\"", bad);
		return -1;
	}
	if (masq) {
		p->have_masq = true;
		p->masq = *masq;
	}
	return 0;
}

/* IPv4 (or IPv4-mapped) versus IPv6: what PASV can carry. */
static bool same_family(const struct net_addr *a, const struct net_addr *b)
{
	struct in_addr v4;

	return net_addr_ipv4(a, &v4) == net_addr_ipv4(b, &v4);
}

/* CANDIDATE with LOCAL's port; a mapped local address stays IPv4 text. */
static enum pasv_why advertise(const struct net_addr *candidate, const struct net_addr *local,
			       struct net_addr *out, enum pasv_why why)
{
	if (!same_family(candidate, local)) {
		*out = *local;
		return PASV_WHY_FAMILY;
	}
	*out = *candidate;
	net_addr_set_port(out, net_addr_port(local));
	return why;
}

enum pasv_why pasv_choose_address(const struct pasv_policy *p, const struct net_addr *client,
				  const struct net_addr *local, struct net_addr *out, int *rule)
{
	*rule = -1;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pasv_rule *r = &p->rules[i];
		if (!cidr_match(&r->net, client))
			continue;
		*rule = (int)i;
		if (r->use_local) {
			*out = *local;
			return PASV_WHY_RULE;
		}
		return advertise(&r->addr, local, out, PASV_WHY_RULE);
	}
	if (cidr_list_match(&p->exempt, client) >= 0) {
		*out = *local;
		return PASV_WHY_EXEMPT;
	}
	if (p->have_masq)
		return advertise(&p->masq, local, out, PASV_WHY_MASQ);
	*out = *local;
	return PASV_WHY_NO_MASQ;
}

const char *pasv_why_string(enum pasv_why why)
{
	switch (why) {
	case PASV_WHY_NO_MASQ: return "no pasv_address: local address";
	case PASV_WHY_RULE: return "pasv_address_rule";
	case PASV_WHY_EXEMPT: return "client in pasv_address_exempt: local address";
	case PASV_WHY_MASQ: return "client outside exemptions: pasv_address";
	case PASV_WHY_FAMILY: return "candidate of another address family: local address";
	}
	return "?";
}

int pasv_advertised_port(unsigned bound, unsigned offset)
{
	unsigned long v = (unsigned long)bound + offset;

	return (bound == 0 || v > 65535) ? -1 : (int)v;
}

int pasv_format_227(char *buf, size_t size, const struct net_addr *addr)
{
	struct in_addr v4;
	const unsigned char *b = (const unsigned char *)&v4.s_addr;
	unsigned port = net_addr_port(addr);
	int n;

	if (!net_addr_ipv4(addr, &v4))
		return -1;
	n = snprintf(buf, size, "227 Entering Passive Mode (%u,%u,%u,%u,%u,%u).", b[0], b[1], b[2],
		     b[3], port >> 8, port & 0xff);
	return (n < 0 || (size_t)n >= size) ? -1 : n;
}

int pasv_format_229(char *buf, size_t size, unsigned port)
{
	int n = snprintf(buf, size, "229 Entering Extended Passive Mode (|||%u|)", port);
	return (n < 0 || (size_t)n >= size) ? -1 : n;
}
