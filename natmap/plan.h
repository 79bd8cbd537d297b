/* What the NAT helper is to do for a vhost, from its configuration: learn
 * the external address (pasv_address=auto), map which ports
 * (nat_port_mapping). Pure; shared by the helper, the master (which
 * bounds the passive range to what can be mapped) and `ftpsd -t`. */
#ifndef FTPSD_NATMAP_PLAN_H
#define FTPSD_NATMAP_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"

/* The most passive ports one vhost has mapped: each is a request to the
 * router per lease, and routers cap mappings per client. */
#define NATMAP_PASV_MAX 32
#define NATMAP_PORTS_MAX (2 + NATMAP_PASV_MAX)

enum natmap_proto { NATMAP_NONE = 0, NATMAP_PCP = 1, NATMAP_NATPMP = 2, NATMAP_UPNP = 3 };

struct natmap_plan {
	bool learn; /* pasv_address=auto */
	bool map;   /* nat_port_mapping=YES */
	unsigned nports;
	uint16_t ports[NATMAP_PORTS_MAX]; /* control ports, then passive */
};

/* Whether VH needs the helper at all. */
bool natmap_vhost_wanted(const struct cfg_vhost *vh);
bool natmap_config_wanted(const struct ftpsd_config *cfg);

/* VH's plan (after natmap_bound_range). */
void natmap_plan_vhost(const struct cfg_vhost *vh, struct natmap_plan *out);

/* A mapped passive range must fit NATMAP_PASV_MAX: cut pasv_max_port of
 * each mapping vhost to that many ports. Calls NOTE (a log line) for each
 * one it cut. */
void natmap_bound_range(struct ftpsd_config *cfg, void (*note)(const char *line, void *ctx),
			void *ctx);

/* IPv6 has no NAT to map through, and the helper opens no IPv6 pinholes
 * (PCP could; not done): an IPv6 listen address of a nat_port_mapping
 * vhost is served as ever, and nothing is opened for it on the router.
 * Calls NOTE with a line saying so for each such vhost. */
void natmap_note_ipv6(const struct ftpsd_config *cfg, void (*note)(const char *line, void *ctx),
		      void *ctx);

/* Whether the NAT part of two configurations is the same (a reload that
 * does not touch it keeps the helper and its mappings). */
bool natmap_config_same(const struct ftpsd_config *a, const struct ftpsd_config *b);

/* For `ftpsd -t`: warn (to ERR, "file: warning: ...") about settings
 * that contradict each other. Returns the number of warnings. */
int natmap_check(const struct ftpsd_config *cfg, FILE *err);

/* The protocols of nat_protocols in order into ORDER (at most 3). */
unsigned natmap_protocols(const struct cfg_settings *g, enum natmap_proto order[3]);
bool natmap_uses_upnp(const struct cfg_settings *g);

const char *natmap_proto_name(enum natmap_proto p);

#endif
