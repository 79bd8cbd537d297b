#include "common/cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const char *const private_ranges[] = {
	"10.0.0.0/8",    "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
	"100.64.0.0/10", "fc00::/7",      "::1/128",        "fe80::/10",
};

static int parse_prefix(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (*s == '\0' || strlen(s) > 3)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* True when no bit at or after PREFIX is set. */
static bool host_bits_clear(const unsigned char *addr, unsigned prefix, unsigned bits)
{
	for (unsigned b = prefix; b < bits; b++)
		if (addr[b / 8] & (0x80u >> (b % 8)))
			return false;
	return true;
}

/* A as a network of itself alone, in the family it has. */
static void cidr_host(struct cidr *out, const struct net_addr *a)
{
	out->family = net_addr_family(a);
	if (out->family == AF_INET)
		memcpy(out->addr, &((const struct sockaddr_in *)&a->ss)->sin_addr, 4);
	else
		memcpy(out->addr, &((const struct sockaddr_in6 *)&a->ss)->sin6_addr, 16);
}

int cidr_parse(struct cidr *out, const char *text)
{
	struct net_addr a;
	char ip[CIDR_STRLEN];
	const char *slash = strchr(text, '/');
	size_t iplen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned bits;

	memset(out, 0, sizeof(*out));
	if (iplen == 0 || iplen >= sizeof(ip))
		return -1;
	memcpy(ip, text, iplen);
	ip[iplen] = '\0';
	if (net_addr_parse(&a, ip, 0) < 0)
		return -1;
	cidr_host(out, &a);
	bits = out->family == AF_INET ? 32 : 128;
	out->prefix = bits;
	if (slash && parse_prefix(slash + 1, bits, &out->prefix) < 0)
		return -1;
	return host_bits_clear(out->addr, out->prefix, bits) ? 0 : -1;
}

int cidr_add_private(struct cidr_list *list)
{
	for (size_t i = 0; i < sizeof(private_ranges) / sizeof(private_ranges[0]); i++) {
		if (list->n >= CIDR_LIST_MAX)
			return -1;
		/* Literals above: they parse. */
		(void)cidr_parse(&list->e[list->n++], private_ranges[i]);
	}
	return 0;
}

int cidr_list_parse(struct cidr_list *out, const char *text, char *bad, size_t badsize)
{
	const char *p = text;

	out->n = 0;
	for (;;) {
		char word[CIDR_STRLEN];
		size_t len;

		p += strspn(p, ", \t");
		if (*p == '\0')
			return 0;
		len = strcspn(p, ", \t");
		snprintf(bad, badsize, "%.*s", (int)len, p);
		if (len >= sizeof(word))
			return -1;
		memcpy(word, p, len);
		word[len] = '\0';
		p += len;
		if (strcmp(word, "private") == 0) {
			if (cidr_add_private(out) < 0)
				return -1;
			continue;
		}
		if (out->n >= CIDR_LIST_MAX || cidr_parse(&out->e[out->n], word) < 0)
			return -1;
		out->n++;
	}
}

bool cidr_match(const struct cidr *c, const struct net_addr *addr)
{
	unsigned char a[16];
	struct in_addr v4;
	unsigned full, rest;

	if (c->family == AF_INET) {
		if (!net_addr_ipv4(addr, &v4))
			return false;
		memcpy(a, &v4.s_addr, 4);
	} else {
		if (addr->ss.ss_family != AF_INET6)
			return false;
		memcpy(a, &((const struct sockaddr_in6 *)&addr->ss)->sin6_addr, 16);
	}
	full = c->prefix / 8;
	rest = c->prefix % 8;
	if (memcmp(a, c->addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ c->addr[full]) & (0xffu << (8 - rest)) & 0xffu) == 0;
}

bool cidr_overlap(const struct cidr *a, const struct cidr *b)
{
	unsigned prefix = a->prefix < b->prefix ? a->prefix : b->prefix;
	unsigned full = prefix / 8, rest = prefix % 8;

	if (a->family != b->family || memcmp(a->addr, b->addr, full) != 0)
		return false;
	return rest == 0 || ((a->addr[full] ^ b->addr[full]) & (0xffu << (8 - rest)) & 0xffu) == 0;
}

int cidr_list_match(const struct cidr_list *list, const struct net_addr *addr)
{
	for (size_t i = 0; i < list->n; i++)
		if (cidr_match(&list->e[i], addr))
			return (int)i;
	return -1;
}

bool cidr_is_private(const struct net_addr *addr)
{
	struct cidr_list l = { .n = 0 };

	(void)cidr_add_private(&l);
	return cidr_list_match(&l, addr) >= 0;
}

void cidr_string(const struct cidr *c, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family, c->addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	snprintf(buf, size, "%s/%u", ip, c->prefix);
}

struct net_addr cidr_client_key(const struct net_addr *addr, unsigned prefix)
{
	struct net_addr key;
	struct in_addr v4;

	memset(&key, 0, sizeof(key));
	if (net_addr_ipv4(addr, &v4)) { /* v4-mapped IPv6 too: one client */
		struct sockaddr_in *sin = (struct sockaddr_in *)&key.ss;
		sin->sin_family = AF_INET;
		sin->sin_addr = v4;
		key.len = sizeof(*sin);
	} else if (addr->ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&key.ss;
		const struct sockaddr_in6 *src = (const struct sockaddr_in6 *)&addr->ss;
		unsigned char *a = sin6->sin6_addr.s6_addr;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = src->sin6_addr;
		if (prefix > 128)
			prefix = 128;
		for (unsigned bit = prefix; bit < 128; bit++)
			a[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
		key.len = sizeof(*sin6);
	} else {
		key = *addr;
	}
	return key;
}
