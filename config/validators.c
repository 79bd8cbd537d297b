/* The checks of one string value, named by the table's rows (cfg_check_fn):
 * paths, names, address and network lists, passive rules. Pure: what a
 * value means on this machine is environment.c's. Addresses, networks and
 * rules are parsed by their own modules (common/netaddr.c, common/cidr.c,
 * config/pasv.c), never again here. */
#include <stdlib.h>
#include <string.h>

#include "common/cidr.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "config/config_internal.h"
#include "config/pasv.h"

int cfg_check_path(const char *value, char *why, size_t whysize)
{
	if (value[0] != '\0' && value[0] != '/') {
		cfg_why(why, whysize, "expected an absolute path");
		return -1;
	}
	return 0;
}

/* The name becomes a path under /etc/pam.d, so no '/' and no leading dot. */
int cfg_check_pam_name(const char *value, char *why, size_t whysize)
{
	if (value[0] == '.' || strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					     "0123456789._-") != strlen(value)) {
		cfg_why(why, whysize, "expected a PAM service name (A-Z a-z 0-9 . _ -)");
		return -1;
	}
	return 0;
}

/* Next entry of a comma list at *CURSOR, spaces around it dropped.
 * Returns 1 with an entry, 0 at the end, -1 if the entry does not fit. */
int cfg_list_next(const char **cursor, char *out, size_t size)
{
	const char *s = *cursor;
	size_t len;

	if (s == NULL)
		return 0;
	s += strspn(s, " \t");
	len = strcspn(s, ",");
	*cursor = s[len] == ',' ? s + len + 1 : NULL;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len >= size)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 1;
}

/* True if an entry of LIST overlaps ADDR; HIT gets that entry. */
bool cfg_list_find_overlap(const char *list, const struct net_addr *addr, char *hit, size_t size)
{
	struct net_addr other;
	int rc;

	while ((rc = cfg_list_next(&list, hit, size)) != 0)
		if (rc == 1 && net_addr_parse(&other, hit, 0) == 0 &&
		    net_addr_bind_overlap(addr, &other))
			return true;
	return false;
}

int cfg_check_addresses(const char *value, char *why, size_t whysize)
{
	char a[CFG_ADDR_MAX], b[CFG_ADDR_MAX];
	struct net_addr ip;
	int rc;

	while ((rc = cfg_list_next(&value, a, sizeof a)) != 0) {
		if (rc < 0) {
			cfg_why(why, whysize,
				"an address is longer than %d "
				"characters",
				CFG_ADDR_MAX - 1);
			return -1;
		}
		if (net_addr_parse(&ip, a, 0) < 0) {
			cfg_why(why, whysize, "\"%s\" is not an IPv4 or IPv6 address", a);
			return -1;
		}
		/* VALUE now points past A: compare with the entries after it. */
		if (cfg_list_find_overlap(value, &ip, b, sizeof b)) {
			cfg_why(why, whysize,
				"%s and %s overlap: they cannot "
				"both be listened on",
				a, b);
			return -1;
		}
	}
	return 0;
}

/* listen_address6: empty (then "::"), or IPv6 literals. */
int cfg_check_addresses6(const char *value, char *why, size_t whysize)
{
	char a[CFG_ADDR_MAX];
	struct net_addr ip;
	const char *v = value;

	if (value[0] == '\0')
		return 0;
	if (cfg_check_addresses(value, why, whysize) < 0)
		return -1;
	while (cfg_list_next(&v, a, sizeof a) == 1) {
		if (net_addr_parse(&ip, a, 0) == 0 && net_addr_family(&ip) != AF_INET6) {
			cfg_why(why, whysize, "\"%s\" is not an IPv6 address", a);
			return -1;
		}
	}
	return 0;
}

int cfg_check_facility(const char *value, char *why, size_t whysize)
{
	if (log_facility_from_name(value) < 0) {
		cfg_why(why, whysize,
			"expected a syslog facility (ftp, daemon, "
			"auth, authpriv, user, local0 ... local7)");
		return -1;
	}
	return 0;
}

/* VALUE must be the word A or the word B. */
static int cfg_check_either(const char *value, const char *a, const char *b, char *why,
			    size_t whysize)
{
	if (strcmp(value, a) != 0 && strcmp(value, b) != 0) {
		cfg_why(why, whysize, "expected %s or %s", a, b);
		return -1;
	}
	return 0;
}

int cfg_check_log_format(const char *value, char *why, size_t whysize)
{
	return cfg_check_either(value, "text", "json", why, whysize);
}

/* cmds_allowed, cmds_denied: a comma list of FTP command names. */
int cfg_check_commands(const char *value, char *why, size_t whysize)
{
	char name[16];
	int rc;

	if (value[0] == '\0')
		return 0;
	while ((rc = cfg_list_next(&value, name, sizeof name)) != 0) {
		size_t len = rc > 0 ? strlen(name) : 0;

		if (rc < 0 || len < 3 || len > 4 ||
		    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "abcdefghijklmnopqrstuvwxyz") != len) {
			cfg_why(why, whysize,
				"expected a comma list of FTP "
				"commands (3 or 4 letters each)");
			return -1;
		}
	}
	return 0;
}

/* TLS 1.0 and 1.1 are broken (RFC 8996); only 1.2 and 1.3 may be chosen. */
int cfg_check_tls_version(const char *value, char *why, size_t whysize)
{
	return cfg_check_either(value, "TLSv1.2", "TLSv1.3", why, whysize);
}

/* A DNS name as getaddrinfo takes it: labels of letters, digits and '-',
 * joined by dots. */
static bool cfg_hostname_ok(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len < 254 && s[0] != '.' && s[0] != '-' &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789.-") == len &&
	       strstr(s, "..") == NULL;
}

/* pasv_address: an IP literal or a DNS name (resolved by the master). */
int cfg_check_host(const char *value, char *why, size_t whysize)
{
	struct net_addr ip;

	if (value[0] == '\0' || net_addr_parse(&ip, value, 0) == 0 || cfg_hostname_ok(value))
		return 0;
	cfg_why(why, whysize, "expected an IPv4 or IPv6 address or a DNS name");
	return -1;
}

/* nat_protocols: a comma list of pcp, natpmp and upnp, each at most once
 * (the NAT helper tries them in this order). */
int cfg_check_nat_protocols(const char *value, char *why, size_t whysize)
{
	char name[16];
	bool seen_pcp = false, seen_natpmp = false, seen_upnp = false;
	int rc;

	while ((rc = cfg_list_next(&value, name, sizeof name)) != 0) {
		bool *seen = rc < 0                        ? NULL
			     : strcmp(name, "pcp") == 0    ? &seen_pcp
			     : strcmp(name, "natpmp") == 0 ? &seen_natpmp
			     : strcmp(name, "upnp") == 0   ? &seen_upnp
							   : NULL;
		if (!seen || *seen) {
			cfg_why(why, whysize,
				"expected a comma list of pcp, natpmp and "
				"upnp, each at most once");
			return -1;
		}
		*seen = true;
	}
	return 0;
}

/* server_name: a comma list of DNS names, as sent in HOST and SNI. */
int cfg_check_names(const char *value, char *why, size_t whysize)
{
	char name[256];
	int rc;

	if (value[0] == '\0')
		return 0;
	while ((rc = cfg_list_next(&value, name, sizeof name)) != 0) {
		if (rc < 0 || !cfg_hostname_ok(name)) {
			cfg_why(why, whysize, "expected a comma list of DNS names");
			return -1;
		}
	}
	return 0;
}

int cfg_check_cidrs(const char *value, char *why, size_t whysize)
{
	struct cidr_list *l = malloc(sizeof(*l));
	char bad[CIDR_STRLEN];
	int rc;

	if (!l) {
		cfg_why(why, whysize, "out of memory");
		return -1;
	}
	rc = cidr_list_parse(l, value, bad, sizeof bad);
	free(l);
	if (rc < 0)
		cfg_why(why, whysize,
			"\"%s\" is not a network (ADDRESS/PREFIX "
			"without host bits, an address, or \"private\")",
			bad);
	return rc;
}

int cfg_check_rule(const char *value, char *why, size_t whysize)
{
	struct pasv_policy *pol = malloc(sizeof(*pol));
	char bad[CFG_STR_MAX];
	int rc;

	if (!pol) {
		cfg_why(why, whysize, "out of memory");
		return -1;
	}
	rc = pasv_rules_parse(pol, value, bad, sizeof bad);
	free(pol);
	if (rc < 0)
		cfg_why(why, whysize,
			"expected \"NETWORK ADDRESS\": NETWORK a "
			"CIDR prefix, \"private\" or \"any\"; ADDRESS an IP "
			"address or \"local\"");
	return rc;
}
