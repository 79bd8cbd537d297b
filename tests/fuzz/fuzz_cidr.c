/* common/cidr.c and common/netaddr.c: address and network text as it comes
 * from a config file or a client (EPRT's address goes through
 * net_addr_parse). A parsed network prints to something that parses back
 * to the same network, and matching is consistent with it. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cidr.h"
#include "common/netaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cidr_list list;
	struct cidr c, c2;
	struct net_addr a;
	char buf[CIDR_STRLEN], bad[64] = "", ip[NETADDR_STRLEN], full[NETADDR_STRLEN];
	char *text;

	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	if (cidr_parse(&c, text) == 0) {
		if ((c.family != AF_INET && c.family != AF_INET6) ||
		    c.prefix > (c.family == AF_INET ? 32u : 128u))
			__builtin_trap();
		cidr_string(&c, buf, sizeof(buf));
		if (cidr_parse(&c2, buf) < 0 || c2.family != c.family || c2.prefix != c.prefix)
			__builtin_trap();
	}
	(void)cidr_list_parse(&list, text, bad, sizeof(bad));
	if (!memchr(bad, '\0', sizeof(bad)))
		__builtin_trap();
	if (list.n > CIDR_LIST_MAX)
		__builtin_trap();
	(void)cidr_add_private(&list);
	if (net_addr_parse(&a, text, (unsigned)(size * 7919) & 0xffff) == 0) {
		net_addr_ip_string(&a, ip, sizeof(ip));
		net_addr_string(&a, full, sizeof(full));
		(void)cidr_list_match(&list, &a);
		(void)cidr_is_private(&a);
		if (cidr_parse(&c, text) == 0 && !cidr_match(&c, &a))
			__builtin_trap(); /* an address is in its own /32 or /128 */
	}
	free(text);
	return 0;
}
