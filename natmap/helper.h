/* The NAT helper's state and the calls its protocol files share
 * (natmap/natmap.c, natmap/upnp_io.c). Internal to natmap/. */
#ifndef FTPSD_NATMAP_HELPER_H
#define FTPSD_NATMAP_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config/config.h"
#include "natmap/pcp.h"
#include "natmap/plan.h"
#include "natmap/upnp.h"
#include "privsep/proto.h"

enum nm_status { NM_OK, NM_NO_ANSWER, NM_NOT_SPOKEN, NM_FAILED, NM_STOPPED };

struct nm_vhost {
	struct natmap_plan plan;
	enum natmap_proto proto; /* what mapped[] was made with */
	unsigned nmapped;
	uint16_t mapped[NATMAP_PORTS_MAX];
	time_t next;
};

struct nm {
	const struct ftpsd_config *cfg;
	int link, udp;
	uint32_t gateway, self;  /* network order */
	int ssdp;                /* UDP, connected to the gateway's port 1900 */
	bool upnp_ready;         /* CONTROL found */
	struct upnp_url control; /* the WAN connection service's control URL */
	char service[UPNP_SERVICE_MAX];
	uint8_t nonce[PCP_NONCE_LEN];
	enum natmap_proto order[3];
	unsigned norder;
	bool stop;
	char why[PRIV_NAT_REASON_MAX];
	struct nm_vhost v[CFG_MAX_VHOSTS];
};

typedef bool (*nm_match_fn)(const uint8_t *p, size_t len, void *ctx);

void nm_log(struct nm *n, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Set N->why, the reason a caller reports. */
void nm_why(struct nm *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void read_link(struct nm *n);
long long now_ms(void);

/* Send REQ on the connected datagram socket FD and wait for a reply MATCH
 * accepts (natmap.c). */
enum nm_status exchange(struct nm *n, int fd, const uint8_t *req, size_t len, int tries,
			bool watch_link, nm_match_fn match, void *ctx);

/* UPnP-IGD (upnp_io.c): find the gateway's WAN connection service and its
 * external address; map or (LIFETIME 0) unmap PORT. */
enum nm_status upnp_probe(struct nm *n, uint32_t *ext_ip);
enum nm_status upnp_port(struct nm *n, uint16_t port, uint32_t lifetime, uint32_t *granted);

#endif
