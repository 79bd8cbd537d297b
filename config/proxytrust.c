#include "config/proxytrust.h"

#include <stdlib.h>

#include "common/cidr.h"
#include "config/vhosts.h"

bool proxy_is_trusted(const struct cfg_settings *set, const struct net_addr *peer)
{
	struct cidr_list list; /* 1.5 KiB: parsed per connection, cheaply */
	char bad[CIDR_STRLEN];

	if (!set->proxy_protocol || !set->proxy_trusted[0])
		return false;
	/* The config test parsed it already; a failure trusts no one. */
	if (cidr_list_parse(&list, set->proxy_trusted, bad, sizeof(bad)) < 0)
		return false;
	return cidr_list_match(&list, peer) >= 0;
}

static bool lists_destination(const struct cfg_settings *set, const struct net_addr *dst)
{
	struct cidr_list list;
	char bad[CIDR_STRLEN];

	return set->proxy_destination[0] &&
	       cidr_list_parse(&list, set->proxy_destination, bad, sizeof(bad)) == 0 &&
	       cidr_list_match(&list, dst) >= 0;
}

const struct cfg_vhost *proxy_vhost_for(const struct ftpsd_config *cfg,
					const struct cfg_vhost *deflt, const struct net_addr *local,
					const struct net_addr *proxy, const struct net_addr *dst)
{
	if (!dst)
		return deflt;
	/* Each condition is the chosen vhost's own: it must listen here and
	 * believe this proxy, or a header could reach any vhost. */
	for (size_t v = 0; v < cfg->nvhosts; v++) {
		const struct cfg_vhost *vh = &cfg->vhosts[v];
		if (lists_destination(&vh->set, dst) && vhost_serves(vh, local) &&
		    proxy_is_trusted(&vh->set, proxy))
			return vh;
	}
	return deflt;
}

static int warn_overlaps(const struct ftpsd_config *cfg, const struct cfg_vhost *vh,
			 const struct cidr_list *trusted, const struct cidr_list *exempt, FILE *err)
{
	char t[CIDR_STRLEN], e[CIDR_STRLEN];

	for (size_t i = 0; i < trusted->n; i++) {
		const struct cidr *tc = &trusted->e[i];
		/* A single address is a proxy; only a network holds clients. */
		if (tc->prefix == (tc->family == AF_INET ? 32u : 128u))
			continue;
		for (size_t j = 0; j < exempt->n; j++) {
			if (!cidr_overlap(tc, &exempt->e[j]))
				continue;
			cidr_string(&trusted->e[i], t, sizeof(t));
			cidr_string(&exempt->e[j], e, sizeof(e));
			fprintf(err,
				"%s: warning: vhost %s: proxy_trusted %s overlaps "
				"pasv_address_exempt %s: clients there that connect "
				"directly send no PROXY header and are refused (list only "
				"the proxies' own addresses)\n",
				cfg->path, vh->name, t, e);
			return 1; /* one line per vhost says it */
		}
	}
	return 0;
}

int proxy_check(const struct ftpsd_config *cfg, FILE *err)
{
	struct cidr_list *trusted = malloc(sizeof(*trusted));
	struct cidr_list *exempt = malloc(sizeof(*exempt));
	char bad[CIDR_STRLEN];
	int warnings = 0;

	for (size_t v = 0; trusted && exempt && v < cfg->nvhosts; v++) {
		const struct cfg_vhost *vh = &cfg->vhosts[v];
		if (!vh->set.proxy_protocol ||
		    cidr_list_parse(trusted, vh->set.proxy_trusted, bad, sizeof(bad)) < 0 ||
		    cidr_list_parse(exempt, vh->set.pasv_address_exempt, bad, sizeof(bad)) < 0)
			continue;
		warnings += warn_overlaps(cfg, vh, trusted, exempt, err);
	}
	free(trusted);
	free(exempt);
	return warnings;
}
