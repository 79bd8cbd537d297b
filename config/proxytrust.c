#include "config/proxytrust.h"

#include "common/cidr.h"

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
