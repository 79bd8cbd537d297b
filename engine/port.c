#include "engine/port.h"

#include <arpa/inet.h>
#include <string.h>

/* One field of 1..MAXDIGITS decimal digits ending at STOP; *P moves past
 * the stop character (or stays on the NUL for STOP '\0'). */
static int parse_field(const char **p, char stop, unsigned maxdigits, unsigned max, unsigned *out)
{
	const char *s = *p;
	unsigned v = 0, n = 0;

	while (*s >= '0' && *s <= '9') {
		if (++n > maxdigits)
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
		s++;
	}
	if (n == 0 || v > max || *s != stop)
		return -1;
	*p = stop ? s + 1 : s;
	*out = v;
	return 0;
}

enum port_parse port_parse_port(const char *arg, struct net_addr *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
	unsigned f[6];
	uint8_t ip[4];

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 6; i++)
		if (parse_field(&arg, i < 5 ? ',' : '\0', 3, 255, &f[i]) < 0)
			return PORT_PARSE_BAD;
	for (int i = 0; i < 4; i++)
		ip[i] = (uint8_t)f[i];
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, ip, 4);
	sin->sin_port = htons((uint16_t)(f[4] * 256 + f[5]));
	out->len = sizeof(*sin);
	return PORT_PARSE_OK;
}

enum port_parse port_parse_eprt(const char *arg, struct net_addr *out)
{
	char d = arg[0], ip[INET6_ADDRSTRLEN];
	const char *p = arg + 1, *end;
	unsigned proto, port;
	struct in6_addr a6;
	struct in_addr a4;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (d < 33 || d > 126 || (d >= '0' && d <= '9'))
		return PORT_PARSE_BAD;
	if (parse_field(&p, d, 5, 65535, &proto) < 0)
		return PORT_PARSE_BAD;
	end = strchr(p, d);
	if (!end)
		return PORT_PARSE_BAD;
	len = (size_t)(end - p);
	if (len == 0 || len >= sizeof(ip))
		return PORT_PARSE_BAD;
	memcpy(ip, p, len);
	ip[len] = '\0';
	p = end + 1;
	if (parse_field(&p, d, 5, 65535, &port) < 0 || *p != '\0')
		return PORT_PARSE_BAD;
	if (proto != 1 && proto != 2)
		return PORT_PARSE_FAMILY;
	/* Each family's own syntax only: no IPv4 under 2 except the
	 * IPv6 forms inet_pton accepts, no IPv6 under 1. */
	if ((proto == 1 && inet_pton(AF_INET, ip, &a4) != 1) ||
	    (proto == 2 && inet_pton(AF_INET6, ip, &a6) != 1))
		return PORT_PARSE_BAD;
	return net_addr_parse(out, ip, port) == 0 ? PORT_PARSE_OK : PORT_PARSE_BAD;
}

enum port_check port_check_target(const struct net_addr *target, const struct net_addr *peer,
				  bool promiscuous)
{
	struct in_addr a, b;
	bool t4 = net_addr_ipv4(target, &a), p4 = net_addr_ipv4(peer, &b);

	if (t4 != p4)
		return PORT_CHECK_FAMILY;
	if (promiscuous)
		return PORT_CHECK_OK;
	if (!net_addr_same_ip(target, peer))
		return PORT_CHECK_FOREIGN;
	if (net_addr_port(target) < 1024)
		return PORT_CHECK_LOW_PORT;
	return PORT_CHECK_OK;
}

int port_target_for_local(struct net_addr *target, const struct net_addr *local)
{
	struct in_addr v4;
	char ip[INET6_ADDRSTRLEN + 8];
	unsigned port = net_addr_port(target);
	int lf = net_addr_family(local);

	if (net_addr_family(target) == lf)
		return 0;
	if (!net_addr_ipv4(target, &v4))
		return -1; /* a real IPv6 address cannot be reached from IPv4 */
	if (lf == AF_INET6) {
		memcpy(ip, "::ffff:", 7);
		if (!inet_ntop(AF_INET, &v4, ip + 7, sizeof(ip) - 7))
			return -1;
	} else if (!inet_ntop(AF_INET, &v4, ip, sizeof(ip))) {
		return -1;
	}
	return net_addr_parse(target, ip, port);
}

int port_family_number(const struct net_addr *peer)
{
	struct in_addr v4;

	return net_addr_ipv4(peer, &v4) ? 1 : 2;
}
