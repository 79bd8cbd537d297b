/* Client networks: CIDR prefixes (IPv4 and IPv6) and lists of them, for
 * the passive address rules. Pure: no system calls. */
#ifndef FTPSD_CIDR_H
#define FTPSD_CIDR_H

#include <stdbool.h>
#include <stddef.h>

#include "common/netaddr.h"

#define CIDR_LIST_MAX 64
#define CIDR_STRLEN 64 /* "ffff:...:ffff/128" fits */

struct cidr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network order; IPv4 in the first 4 */
	unsigned prefix;        /* 0..32 or 0..128 */
};

struct cidr_list {
	struct cidr e[CIDR_LIST_MAX];
	size_t n;
};

/* "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128).
 * Host bits set below the prefix are refused ("10.1.2.3/8"): they are
 * almost always a typo for another network. 0 or -1. */
int cidr_parse(struct cidr *out, const char *text);

/* A list separated by commas and/or spaces; the word "private" adds the
 * ranges of cidr_add_private(). 0, or -1 with the offending entry in BAD. */
int cidr_list_parse(struct cidr_list *out, const char *text, char *bad, size_t badsize);

/* RFC 1918, RFC 4193 (fc00::/7), loopback, link-local (169.254/16,
 * fe80::/10) and CGNAT (100.64.0.0/10). -1 if the list is full. */
int cidr_add_private(struct cidr_list *list);

/* Does ADDR fall in C? An IPv4-mapped IPv6 address matches IPv4 prefixes. */
bool cidr_match(const struct cidr *c, const struct net_addr *addr);
/* Do A and B share an address (one holds the other)? */
bool cidr_overlap(const struct cidr *a, const struct cidr *b);
/* Index of the first entry of LIST that ADDR falls in, or -1. */
int cidr_list_match(const struct cidr_list *list, const struct net_addr *addr);

/* Is ADDR one of the private ranges above? */
bool cidr_is_private(const struct net_addr *addr);

void cidr_string(const struct cidr *c, char *buf, size_t size);

/* The client ADDR stands for in per-address limits: an IPv4 address is
 * itself, an IPv6 one its first PREFIX bits (one customer's /64 holds
 * 2^64 addresses), port 0. */
struct net_addr cidr_client_key(const struct net_addr *addr, unsigned prefix);

#endif
