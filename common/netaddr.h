/* Socket addresses: one type that carries its length, and the few
 * operations every role needs. */
#ifndef FTPSD_NETADDR_H
#define FTPSD_NETADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>

#define NETADDR_STRLEN 64 /* "[ipv6]:port" fits */

struct net_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Parse an IPv4 or IPv6 literal (no brackets) with PORT. 0 or -1. */
int net_addr_parse(struct net_addr *out, const char *ip, unsigned port);
int net_addr_from_peer(struct net_addr *out, int fd);
int net_addr_from_local(struct net_addr *out, int fd);

int net_addr_family(const struct net_addr *a);
unsigned net_addr_port(const struct net_addr *a);
void net_addr_set_port(struct net_addr *a, unsigned port);

/* The IP alone ("127.0.0.1", "::1"); an IPv4-mapped IPv6 address is shown
 * as IPv4, as operators and clients expect. */
void net_addr_ip_string(const struct net_addr *a, char *buf, size_t size);
/* "ip:port" or "[ip]:port". */
void net_addr_string(const struct net_addr *a, char *buf, size_t size);

/* Same host, ignoring ports; IPv4 and its IPv4-mapped IPv6 form match. */
bool net_addr_same_ip(const struct net_addr *a, const struct net_addr *b);

/* The wildcard of its family: 0.0.0.0 or ::. */
bool net_addr_is_any(const struct net_addr *a);

/* Could two listeners on A and B (one port) not both bind? The same
 * address, or a wildcard and any address of its family. Families as the
 * socket has them: IPv4 10.0.0.1 and IPv6 ::ffff:10.0.0.1 do not clash. */
bool net_addr_bind_overlap(const struct net_addr *a, const struct net_addr *b);

/* The IPv4 address if A is IPv4 or IPv4-mapped IPv6; false otherwise. */
bool net_addr_ipv4(const struct net_addr *a, struct in_addr *out);

#endif
