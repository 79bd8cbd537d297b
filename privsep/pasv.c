#include "privsep/pasv.h"

#include <arpa/inet.h>
#include <stdio.h>

void pasv_choose_address(const struct cfg_settings *set,
			 const struct net_addr *client,
			 const struct net_addr *local, struct net_addr *out)
{
	(void)set;
	(void)client;
	*out = *local;
}

int pasv_format_227(char *buf, size_t size, const struct net_addr *addr)
{
	struct in_addr v4;
	const unsigned char *b = (const unsigned char *)&v4.s_addr;
	unsigned port = net_addr_port(addr);
	int n;

	if (!net_addr_ipv4(addr, &v4))
		return -1;
	n = snprintf(buf, size, "227 Entering Passive Mode (%u,%u,%u,%u,%u,%u).",
		     b[0], b[1], b[2], b[3], port >> 8, port & 0xff);
	return (n < 0 || (size_t)n >= size) ? -1 : n;
}

int pasv_format_229(char *buf, size_t size, unsigned port)
{
	int n = snprintf(buf, size, "229 Entering Extended Passive Mode (|||%u|)",
			 port);
	return (n < 0 || (size_t)n >= size) ? -1 : n;
}
