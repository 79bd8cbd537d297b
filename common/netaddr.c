#include "common/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

int net_addr_parse(struct net_addr *out, const char *ip, unsigned port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;

	memset(out, 0, sizeof(*out));
	if (port > 65535)
		return -1;
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		out->len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		out->len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

int net_addr_from_peer(struct net_addr *out, int fd)
{
	memset(out, 0, sizeof(*out));
	out->len = sizeof(out->ss);
	return getpeername(fd, (struct sockaddr *)&out->ss, &out->len);
}

int net_addr_from_local(struct net_addr *out, int fd)
{
	memset(out, 0, sizeof(*out));
	out->len = sizeof(out->ss);
	return getsockname(fd, (struct sockaddr *)&out->ss, &out->len);
}

int net_addr_family(const struct net_addr *a)
{
	return a->ss.ss_family;
}

unsigned net_addr_port(const struct net_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return 0;
}

void net_addr_set_port(struct net_addr *a, unsigned port)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons((uint16_t)port);
	else if (a->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons((uint16_t)port);
}

bool net_addr_ipv4(const struct net_addr *a, struct in_addr *out)
{
	if (a->ss.ss_family == AF_INET) {
		*out = ((const struct sockaddr_in *)&a->ss)->sin_addr;
		return true;
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(in6)) {
			memcpy(&out->s_addr, &in6->s6_addr[12], 4);
			return true;
		}
	}
	return false;
}

void net_addr_ip_string(const struct net_addr *a, char *buf, size_t size)
{
	struct in_addr v4;

	if (net_addr_ipv4(a, &v4)) {
		if (!inet_ntop(AF_INET, &v4, buf, (socklen_t)size))
			snprintf(buf, size, "?");
		return;
	}
	if (a->ss.ss_family != AF_INET6 ||
	    !inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&a->ss)->sin6_addr, buf,
		       (socklen_t)size))
		snprintf(buf, size, "?");
}

void net_addr_string(const struct net_addr *a, char *buf, size_t size)
{
	char ip[NETADDR_STRLEN];
	struct in_addr v4;

	net_addr_ip_string(a, ip, sizeof(ip));
	if (net_addr_ipv4(a, &v4))
		snprintf(buf, size, "%s:%u", ip, net_addr_port(a));
	else
		snprintf(buf, size, "[%s]:%u", ip, net_addr_port(a));
}

bool net_addr_same_ip(const struct net_addr *a, const struct net_addr *b)
{
	struct in_addr a4, b4;
	bool av4 = net_addr_ipv4(a, &a4), bv4 = net_addr_ipv4(b, &b4);

	if (av4 || bv4)
		return av4 && bv4 && a4.s_addr == b4.s_addr;
	if (a->ss.ss_family != AF_INET6 || b->ss.ss_family != AF_INET6)
		return false;
	return memcmp(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr,
		      &((const struct sockaddr_in6 *)&b->ss)->sin6_addr,
		      sizeof(struct in6_addr)) == 0;
}

bool net_addr_is_any(const struct net_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (a->ss.ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
	return false;
}

bool net_addr_bind_overlap(const struct net_addr *a, const struct net_addr *b)
{
	if (a->ss.ss_family != b->ss.ss_family)
		return false;
	if (net_addr_is_any(a) || net_addr_is_any(b))
		return true;
	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)&b->ss)->sin_addr.s_addr;
	return a->ss.ss_family == AF_INET6 &&
	       IN6_ARE_ADDR_EQUAL(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr,
				  &((const struct sockaddr_in6 *)&b->ss)->sin6_addr);
}
