/* Active mode arguments: PORT (RFC 959) and EPRT (RFC 2428), and the
 * bounce-protection rule (RFC 2577) both the engine and the monitor apply.
 * Pure functions: no sockets, no globals. */
#ifndef FTPSD_PORT_H
#define FTPSD_PORT_H

#include "common/netaddr.h"

enum port_parse {
	PORT_PARSE_OK = 0,
	PORT_PARSE_BAD,    /* malformed: 501 */
	PORT_PARSE_FAMILY, /* EPRT names a protocol we do not speak: 522 */
};

/* "h1,h2,h3,h4,p1,p2": six decimal fields 0..255, 1 to 3 digits each, no
 * sign, no spaces. Untrusted: straight from the client. */
enum port_parse port_parse_port(const char *arg, struct net_addr *out);

/* "<d>1<d>ip<d>port<d>" or "<d>2<d>ip6<d>port<d>", <d> one character from
 * 33 to 126 (not a digit). A protocol number other than 1 and 2 is
 * PORT_PARSE_FAMILY. Untrusted: straight from the client. */
enum port_parse port_parse_eprt(const char *arg, struct net_addr *out);

enum port_check {
	PORT_CHECK_OK = 0,
	PORT_CHECK_FOREIGN,  /* not the control client's own address */
	PORT_CHECK_LOW_PORT, /* below 1024: FTP bounce (RFC 2577) */
	PORT_CHECK_FAMILY,   /* an address family the control connection is not */
};

/* May the server connect to TARGET for a session whose control client is
 * PEER? The same answer in the engine (to reply) and in the monitor (to
 * refuse a hostile engine). IPv4 and its IPv4-mapped IPv6 form are one.
 * PROMISCUOUS (vsftpd's port_promiscuous) checks the family only: any
 * host, any port, as FXP between two servers needs. */
enum port_check port_check_target(const struct net_addr *target, const struct net_addr *peer,
				  bool promiscuous);

/* TARGET rewritten in the family of LOCAL (the control connection's local
 * address, whose family the data socket gets): an IPv4 address becomes
 * IPv4-mapped for an IPv6 socket and back. -1 if it cannot be. */
int port_target_for_local(struct net_addr *target, const struct net_addr *local);

/* The RFC 2428 protocol number of the control connection: 1 (IPv4,
 * including IPv4-mapped) or 2. */
int port_family_number(const struct net_addr *peer);

#endif
