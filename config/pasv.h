/* Passive mode: which address to advertise, and the reply texts. Pure
 * functions, unit-tested with tables. */
#ifndef FTPSD_PRIVSEP_PASV_H
#define FTPSD_PRIVSEP_PASV_H

#include <stdbool.h>
#include <stddef.h>

#include "common/cidr.h"
#include "config/config.h"
#include "common/netaddr.h"

#define PASV_RULES_MAX 64

/* One "client network -> advertised address" rule (pasv_address_rule). */
struct pasv_rule {
	struct cidr net;
	bool use_local;       /* "local": the control connection's address */
	struct net_addr addr; /* otherwise this one */
};

/* A vhost's passive address policy, parsed once per session from its
 * settings plus the masquerade address the master resolved. */
struct pasv_policy {
	struct pasv_rule rules[PASV_RULES_MAX];
	size_t nrules;
	struct cidr_list exempt; /* pasv_address_exempt */
	bool have_masq;          /* pasv_address set and resolved */
	struct net_addr masq;
};

/* Why an address was chosen, for the debug line of each PASV. */
enum pasv_why {
	PASV_WHY_NO_MASQ, /* no pasv_address: the local address */
	PASV_WHY_RULE,    /* a pasv_address_rule matched */
	PASV_WHY_EXEMPT,  /* the client is in pasv_address_exempt */
	PASV_WHY_MASQ,    /* outside client: pasv_address */
	PASV_WHY_FAMILY,  /* the candidate is not of the local family */
};

/* Parse pasv_address_rule entries (one per line of TEXT: "NETWORK ADDRESS",
 * NETWORK a CIDR, "private" or "any"; ADDRESS an IP literal or "local")
 * into P's rules. 0, or -1 with the offending line in BAD. */
int pasv_rules_parse(struct pasv_policy *p, const char *text, char *bad, size_t badsize);

/* Build the policy of SET; MASQ is the current resolved pasv_address, or
 * NULL when there is none (unset, or never resolved). 0, or -1 with the
 * reason in ERR (the config check refuses such values first). */
int pasv_policy_build(struct pasv_policy *p, const struct cfg_settings *set,
		      const struct net_addr *masq, char *err, size_t errsize);

/* The address to advertise to CLIENT whose control connection arrived on
 * LOCAL. Pure. First matching rule wins; then an exempt client gets LOCAL;
 * then the masquerade address; else LOCAL. A candidate of the other
 * family than LOCAL (IPv4 vs IPv6) is never advertised: LOCAL is, with
 * PASV_WHY_FAMILY. OUT gets LOCAL's port; *RULE the matching rule index
 * (or -1). */
enum pasv_why pasv_choose_address(const struct pasv_policy *p, const struct net_addr *client,
				  const struct net_addr *local, struct net_addr *out, int *rule);

/* "rule 2", "exempt", ... for logs. */
const char *pasv_why_string(enum pasv_why why);

/* Port to advertise for BOUND with pasv_port_offset OFFSET; -1 if it
 * would leave 1..65535. */
int pasv_advertised_port(unsigned bound, unsigned offset);

/* "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)." without CRLF. -1 if ADDR
 * is not IPv4 (or IPv4-mapped) or BUF is too small. */
int pasv_format_227(char *buf, size_t size, const struct net_addr *addr);

/* "229 Entering Extended Passive Mode (|||port|)" without CRLF. */
int pasv_format_229(char *buf, size_t size, unsigned port);

#endif
