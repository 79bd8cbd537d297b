#include "config/resolver.h"

#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/cidr.h"
#include "common/log.h"

int resolver_lookup(const char *name, struct net_addr *out, char *err, size_t errsize)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *pick = NULL;
	int rc;

	if (net_addr_parse(out, name, 0) == 0)
		return 0;
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0) {
		snprintf(err, errsize, "%s", gai_strerror(rc));
		return -1;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
		if (ai->ai_family == AF_INET && !pick)
			pick = ai;
	for (struct addrinfo *ai = res; ai && !pick; ai = ai->ai_next)
		if (ai->ai_family == AF_INET6)
			pick = ai;
	if (!pick || pick->ai_addrlen > sizeof(out->ss)) {
		freeaddrinfo(res);
		snprintf(err, errsize, "no IPv4 or IPv6 address");
		return -1;
	}
	memset(out, 0, sizeof(*out));
	memcpy(&out->ss, pick->ai_addr, pick->ai_addrlen);
	out->len = pick->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static bool is_literal(const char *name)
{
	struct net_addr a;

	return net_addr_parse(&a, name, 0) == 0;
}

/* Look VH's name up now; keep the last good value on failure. */
static bool refresh_one(struct pasv_masq *m, const struct cfg_vhost *vh, time_t now)
{
	const struct cfg_settings *s = &vh->set;
	char err[128], was[NETADDR_STRLEN], now_ip[NETADDR_STRLEN];
	struct net_addr a;

	m->next = (s->pasv_address_refresh && !is_literal(s->pasv_address))
			  ? now + (time_t)s->pasv_address_refresh
			  : 0;
	if (resolver_lookup(s->pasv_address, &a, err, sizeof(err)) < 0) {
		if (m->ok) {
			net_addr_ip_string(&m->addr, was, sizeof(was));
			log_msg(LOG_LVL_WARN,
				"vhost %s: pasv_address %s: lookup "
				"failed (%s); keeping %s",
				vh->name, s->pasv_address, err, was);
		} else {
			log_msg(LOG_LVL_ERR,
				"vhost %s: pasv_address %s: lookup "
				"failed (%s); advertising local addresses until it "
				"resolves",
				vh->name, s->pasv_address, err);
		}
		return false;
	}
	if (m->ok && net_addr_same_ip(&m->addr, &a))
		return false;
	net_addr_ip_string(&a, now_ip, sizeof(now_ip));
	if (m->ok) {
		net_addr_ip_string(&m->addr, was, sizeof(was));
		log_msg(LOG_LVL_INFO, "vhost %s: pasv_address %s now %s (was %s)", vh->name,
			s->pasv_address, now_ip, was);
	} else if (!is_literal(s->pasv_address)) {
		log_msg(LOG_LVL_INFO, "vhost %s: pasv_address %s is %s", vh->name, s->pasv_address,
			now_ip);
	}
	m->addr = a;
	m->ok = true;
	return true;
}

struct pasv_masq *resolver_start(const struct ftpsd_config *cfg, const struct ftpsd_config *old_cfg,
				 const struct pasv_masq *old)
{
	struct pasv_masq *m = calloc(cfg->nvhosts, sizeof(*m));
	time_t now = time(NULL);

	if (!m)
		return NULL;
	for (size_t i = 0; i < cfg->nvhosts; i++) {
		const struct cfg_vhost *vh = &cfg->vhosts[i];
		if (!vh->set.pasv_address[0])
			continue;
		for (size_t j = 0; old && old_cfg && j < old_cfg->nvhosts; j++)
			if (strcmp(old_cfg->vhosts[j].name, vh->name) == 0 &&
			    strcmp(old_cfg->vhosts[j].set.pasv_address, vh->set.pasv_address) == 0)
				m[i] = old[j];
		/* "auto": the NAT helper's reports set it (master/natmap_ctl.c). */
		if (!cfg_pasv_address_auto(&vh->set))
			(void)refresh_one(&m[i], vh, now);
	}
	return m;
}

bool resolver_refresh(struct pasv_masq *m, const struct ftpsd_config *cfg, time_t now)
{
	bool changed = false;

	for (size_t i = 0; i < cfg->nvhosts; i++)
		if (m[i].next && m[i].next <= now && refresh_one(&m[i], &cfg->vhosts[i], now))
			changed = true;
	return changed;
}

int resolver_timeout_ms(const struct pasv_masq *m, const struct ftpsd_config *cfg, time_t now)
{
	time_t first = 0;

	for (size_t i = 0; i < cfg->nvhosts; i++)
		if (m[i].next && (!first || m[i].next < first))
			first = m[i].next;
	if (!first)
		return -1;
	if (first <= now)
		return 0;
	/* Bounded by pasv_address_refresh (a day): fits an int of ms. */
	return (int)((first - now) * 1000);
}

int resolver_check(const struct ftpsd_config *cfg, FILE *err)
{
	int warnings = 0;

	for (size_t i = 0; i < cfg->nvhosts; i++) {
		const struct cfg_vhost *vh = &cfg->vhosts[i];
		char why[128], ip[NETADDR_STRLEN];
		struct net_addr a;

		if (!vh->set.pasv_address[0] || cfg_pasv_address_auto(&vh->set))
			continue;
		if (resolver_lookup(vh->set.pasv_address, &a, why, sizeof(why)) < 0) {
			fprintf(err,
				"%s: warning: vhost %s: pasv_address %s does "
				"not resolve (%s)\n",
				cfg->path, vh->name, vh->set.pasv_address, why);
			warnings++;
			continue;
		}
		if (cidr_is_private(&a)) {
			net_addr_ip_string(&a, ip, sizeof(ip));
			fprintf(err,
				"%s: warning: vhost %s: pasv_address %s is the "
				"private address %s: clients outside your network "
				"would be told an address they cannot reach (is the "
				"name resolved by a LAN DNS server?)\n",
				cfg->path, vh->name, vh->set.pasv_address, ip);
			warnings++;
		}
	}
	return warnings;
}
