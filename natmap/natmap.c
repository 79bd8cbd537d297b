#include "natmap/natmap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "natmap/gateway.h"
#include "natmap/helper.h"
#include "natmap/natpmp.h"
#include "natmap/pcp.h"
#include "natmap/plan.h"
#include "privsep/proto.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp.h"

_Static_assert(NATMAP_PORTS_MAX <= PRIV_NAT_PORTS_MAX, "NAT_STATE carries every port");

#define FIRST_WAIT_MS 250 /* RFC 6886 §3.1, RFC 6887 §8.1.1 */
#define TRIES_PROBE 5     /* 0.25 + 0.5 + 1 + 2 + 4 s: is anyone there? */
#define TRIES_PORT 3      /* it answered a moment ago */
#define TRIES_DELETE 2
#define JUNK_MAX 256      /* replies that fit no request, per exchange */
#define RETRY_FAILED_S 60 /* a gateway that said no is asked again */
#define STOP_DEADLINE_S 5 /* removing every mapping at exit */
#define DGRAM_MAX 1500    /* a longer reply is dropped unread */

/* Our lines go to the master, which logs them as ours (no syslog socket
 * here: the filter allows sends on the link only). */
void nm_log(struct nm *n, int level, const char *fmt, ...)
{
	struct priv_log v = { .level = (uint32_t)level };
	struct priv_msg m;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v.line, sizeof(v.line), fmt, ap);
	va_end(ap);
	priv_encode_log(&m, &v);
	(void)priv_send(n->link, &m);
}

void nm_why(struct nm *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(n->why, sizeof(n->why), fmt, ap);
	va_end(ap);
}

/* The master's word: STOP, or the link closed (the master is gone). */
void read_link(struct nm *n)
{
	struct priv_msg m;
	int rc = priv_recv(n->link, &m);

	if (rc == 1 && m.fd >= 0)
		close(m.fd);
	if (rc <= 0 || m.type == PRIV_NAT_STOP)
		n->stop = true;
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Send REQ to the gateway and wait for a reply MATCH accepts,
 * retransmitting at 250 ms doubling, TRIES times. Replies that fit no
 * request are dropped, and a flood of them ends the exchange: the time
 * a router can hold us is bounded by TRIES, whatever it sends. */
enum nm_status exchange(struct nm *n, int fd, const uint8_t *req, size_t len, int tries,
			bool watch_link, nm_match_fn match, void *ctx)
{
	uint8_t buf[DGRAM_MAX + 4];
	unsigned junk = 0;
	int wait = FIRST_WAIT_MS;

	for (int t = 0; t < tries; t++, wait *= 2) {
		long long end = now_ms() + wait;
		if (write(fd, req, len) != (ssize_t)len)
			return errno == ECONNREFUSED ? NM_NOT_SPOKEN : NM_NO_ANSWER;
		for (long long left = wait; left > 0; left = end - now_ms()) {
			struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
					       { .fd = n->link, .events = POLLIN } };
			ssize_t got;
			if (poll(p, watch_link ? 2 : 1, (int)left) < 0 && errno != EINTR)
				return NM_NO_ANSWER;
			if (watch_link && p[1].revents) {
				read_link(n);
				if (n->stop)
					return NM_STOPPED;
			}
			if (!(p[0].revents & (POLLIN | POLLERR)))
				continue;
			got = recv(fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT);
			if (got < 0 && errno == ECONNREFUSED)
				return NM_NOT_SPOKEN; /* ICMP port unreachable */
			if (got > 0 && (size_t)got <= DGRAM_MAX && match(buf, (size_t)got, ctx))
				return NM_OK;
			if (got >= 0 && ++junk > JUNK_MAX) {
				nm_why(n,
				       "the gateway sent more than %d replies that fit no "
				       "request",
				       JUNK_MAX);
				return NM_FAILED;
			}
		}
	}
	return NM_NO_ANSWER;
}

struct pcp_ctx {
	const struct pcp_map *req;
	struct pcp_reply *out;
	int rc;
};

static bool pcp_match(const uint8_t *p, size_t len, void *ctx)
{
	struct pcp_ctx *c = ctx;

	c->rc = pcp_decode_map(p, len, c->req, c->out);
	return c->rc >= 0;
}

/* One PCP MAP of PORT (LIFETIME 0 removes it). */
static enum nm_status pcp_port(struct nm *n, uint16_t port, uint32_t lifetime, int tries,
			       struct pcp_reply *out)
{
	struct pcp_map req = { .lifetime = lifetime,
			       .client_ip = n->self,
			       .internal_port = port,
			       .external_port = port };
	struct pcp_ctx c = { .req = &req, .out = out };
	uint8_t buf[PCP_MAP_LEN];
	size_t len;
	enum nm_status st;

	memcpy(req.nonce, n->nonce, sizeof(req.nonce));
	len = pcp_encode_map(buf, sizeof(buf), &req);
	st = exchange(n, n->udp, buf, len, tries, lifetime != 0, pcp_match, &c);
	if (st != NM_OK)
		return st;
	if (c.rc == 1) {
		nm_why(n, "the gateway speaks NAT-PMP, not PCP");
		return NM_NOT_SPOKEN;
	}
	if (out->result != PCP_OK) {
		nm_why(n, "PCP: port %u: %s", port, pcp_result_text(out->result));
		return out->result == PCP_UNSUPP_VERSION ? NM_NOT_SPOKEN : NM_FAILED;
	}
	if (lifetime && out->external_port != port) {
		nm_why(n, "PCP: port %u: the gateway offered external port %u instead", port,
		       out->external_port);
		(void)pcp_port(n, port, 0, TRIES_DELETE, &(struct pcp_reply){ 0 });
		return NM_FAILED;
	}
	return NM_OK;
}

struct pmp_ctx {
	uint8_t op;
	uint16_t port;
	struct natpmp_reply *out;
};

static bool pmp_match(const uint8_t *p, size_t len, void *ctx)
{
	struct pmp_ctx *c = ctx;

	return natpmp_decode(p, len, c->op, c->out) == 0 &&
	       (c->op == NATPMP_OP_ADDRESS || c->out->result != NATPMP_OK ||
		c->out->internal_port == c->port);
}

static enum nm_status pmp_result(struct nm *n, const struct natpmp_reply *r, uint16_t port)
{
	if (r->result == NATPMP_OK)
		return NM_OK;
	if (port)
		nm_why(n, "NAT-PMP: port %u: %s", port, natpmp_result_text(r->result));
	else
		nm_why(n, "NAT-PMP: external address: %s", natpmp_result_text(r->result));
	return r->result == NATPMP_UNSUPP_VERSION ? NM_NOT_SPOKEN : NM_FAILED;
}

static enum nm_status pmp_address(struct nm *n, uint32_t *ip)
{
	struct natpmp_reply r;
	struct pmp_ctx c = { .op = NATPMP_OP_ADDRESS, .out = &r };
	uint8_t buf[NATPMP_REQ_MAX];
	size_t len = natpmp_encode_address(buf, sizeof(buf));
	enum nm_status st = exchange(n, n->udp, buf, len, TRIES_PROBE, true, pmp_match, &c);

	if (st == NM_OK && (st = pmp_result(n, &r, 0)) == NM_OK)
		*ip = r.external_ip;
	return st;
}

static enum nm_status pmp_port(struct nm *n, uint16_t port, uint32_t lifetime, int tries,
			       uint32_t *granted)
{
	struct natpmp_reply r;
	struct pmp_ctx c = { .op = NATPMP_OP_MAP_TCP, .port = port, .out = &r };
	uint8_t buf[NATPMP_REQ_MAX];
	/* §3.4: a deletion asks for external port 0 and lifetime 0. */
	size_t len = natpmp_encode_map(buf, sizeof(buf), port, lifetime ? port : 0, lifetime);
	enum nm_status st = exchange(n, n->udp, buf, len, tries, lifetime != 0, pmp_match, &c);

	if (st != NM_OK || (st = pmp_result(n, &r, port)) != NM_OK)
		return st;
	if (lifetime && r.external_port != port) {
		nm_why(n, "NAT-PMP: port %u: the gateway offered external port %u instead", port,
		       r.external_port);
		(void)pmp_port(n, port, 0, TRIES_DELETE, granted);
		return NM_FAILED;
	}
	*granted = r.lifetime;
	return NM_OK;
}

/* Map PORT with PROTO; *LEASE keeps the shortest lease granted. */
static enum nm_status map_one(struct nm *n, enum natmap_proto proto, uint16_t port, int tries,
			      uint32_t *lease, uint32_t *ext_ip)
{
	uint32_t life = n->cfg->global.nat_mapping_lifetime, granted = 0;
	enum nm_status st;

	if (proto == NATMAP_PCP) {
		struct pcp_reply r;
		st = pcp_port(n, port, life, tries, &r);
		granted = r.lifetime;
		if (st == NM_OK && ext_ip)
			*ext_ip = r.external_ip;
	} else if (proto == NATMAP_NATPMP) {
		st = pmp_port(n, port, life, tries, &granted);
	} else {
		st = upnp_port(n, port, life, &granted);
	}
	/* 0: a permanent UPnP lease, renewed on our own schedule. */
	if (st == NM_OK && granted && granted < *lease)
		*lease = granted;
	return st;
}

static const char *status_text(struct nm *n, enum nm_status st, enum natmap_proto p)
{
	if (st == NM_NO_ANSWER)
		nm_why(n, "%s: no answer from the gateway", natmap_proto_name(p));
	else if (st == NM_NOT_SPOKEN && !n->why[0])
		nm_why(n, "%s: the gateway does not speak it", natmap_proto_name(p));
	return n->why;
}

/* The first request with PROTO: does the gateway speak it, and what is
 * its external address? */
static enum nm_status probe(struct nm *n, struct nm_vhost *v, enum natmap_proto proto,
			    uint32_t *ext_ip, uint32_t *lease)
{
	enum nm_status st;

	n->why[0] = '\0';
	if (proto == NATMAP_PCP) {
		if (!v->plan.map || v->plan.nports == 0) {
			nm_why(n, "PCP: no port to map (PCP learns the address only "
				  "with a mapping)");
			return NM_NOT_SPOKEN;
		}
		return map_one(n, proto, v->plan.ports[0], TRIES_PROBE, lease, ext_ip);
	}
	st = proto == NATMAP_NATPMP ? pmp_address(n, ext_ip) : upnp_probe(n, ext_ip);
	if (st != NM_OK || !v->plan.map || v->plan.nports == 0)
		return st;
	return map_one(n, proto, v->plan.ports[0], TRIES_PORT, lease, NULL);
}

static void report(struct nm *n, size_t vi, enum natmap_proto proto, uint32_t ext_ip,
		   uint32_t lease)
{
	struct nm_vhost *v = &n->v[vi];
	struct priv_nat_state s = { .vhost = (uint32_t)vi,
				    .proto = proto,
				    .external_ip = ext_ip,
				    .lifetime = lease,
				    .nports = v->nmapped };
	struct priv_msg m;

	memcpy(s.ports, v->mapped, v->nmapped * sizeof(v->mapped[0]));
	snprintf(s.reason, sizeof(s.reason), "%s", proto ? "" : n->why);
	priv_encode_nat_state(&m, &s);
	(void)priv_send(n->link, &m);
}

/* One round for a vhost: the first protocol of nat_protocols that works
 * learns the address and maps (or renews) every port of the plan. */
static void vhost_round(struct nm *n, size_t vi)
{
	struct nm_vhost *v = &n->v[vi];
	const struct cfg_settings *s = &n->cfg->vhosts[vi].set;
	uint32_t ext_ip = 0, lease = UINT32_MAX;
	enum natmap_proto proto = NATMAP_NONE;
	enum nm_status st = NM_NOT_SPOKEN;
	char reasons[PRIV_NAT_REASON_MAX] = "";

	for (unsigned i = 0; i < n->norder && !n->stop; i++) {
		st = probe(n, v, n->order[i], &ext_ip, &lease);
		if (st == NM_OK) {
			proto = n->order[i];
			break;
		}
		snprintf(reasons + strlen(reasons), sizeof(reasons) - strlen(reasons), "%s%s",
			 reasons[0] ? "; " : "", status_text(n, st, n->order[i]));
	}
	if (n->stop)
		return;
	v->nmapped = 0;
	if (proto == NATMAP_NONE) {
		v->proto = NATMAP_NONE;
		snprintf(n->why, sizeof(n->why), "%s", reasons[0] ? reasons : "no protocol");
		report(n, vi, proto, 0, 0);
		v->next = time(NULL) + RETRY_FAILED_S;
		return;
	}
	v->proto = proto;
	if (v->plan.map && v->plan.nports)
		v->mapped[v->nmapped++] = v->plan.ports[0];
	for (unsigned i = 1; i < v->plan.nports && !n->stop; i++) {
		n->why[0] = '\0';
		st = map_one(n, proto, v->plan.ports[i], TRIES_PORT, &lease, NULL);
		if (st == NM_OK)
			v->mapped[v->nmapped++] = v->plan.ports[i];
		else if (st != NM_STOPPED)
			nm_log(n, LOG_LVL_WARN, "vhost %s: %s", n->cfg->vhosts[vi].name,
			       status_text(n, st, proto));
		if (st == NM_NO_ANSWER)
			break; /* it stopped answering: the rest would too */
	}
	if (n->stop)
		return;
	if (lease == UINT32_MAX)
		lease = n->cfg->global.nat_mapping_lifetime;
	report(n, vi, proto, ext_ip, lease);
	/* Renew at half the lease; re-learn the address as often as a DNS
	 * name would be re-resolved. */
	lease = lease / 2 < 5 ? 5 : lease / 2;
	if (s->pasv_address_refresh && s->pasv_address_refresh < lease)
		lease = s->pasv_address_refresh;
	v->next = time(NULL) + (time_t)lease;
}

/* SIGTERM or reload: every mapping goes, unless the gateway stops
 * answering (then they expire with their lease). */
static void remove_all(struct nm *n)
{
	time_t deadline = time(NULL) + STOP_DEADLINE_S;
	unsigned removed = 0, left = 0;
	uint32_t ignore;

	for (size_t vi = 0; vi < n->cfg->nvhosts; vi++) {
		struct nm_vhost *v = &n->v[vi];
		for (unsigned i = 0; i < v->nmapped; i++) {
			enum nm_status st = NM_NO_ANSWER;
			if (time(NULL) >= deadline)
				st = NM_NO_ANSWER;
			else if (v->proto == NATMAP_PCP)
				st = pcp_port(n, v->mapped[i], 0, TRIES_DELETE,
					      &(struct pcp_reply){ 0 });
			else if (v->proto == NATMAP_NATPMP)
				st = pmp_port(n, v->mapped[i], 0, TRIES_DELETE, &ignore);
			else
				st = upnp_port(n, v->mapped[i], 0, &ignore);
			if (st == NM_OK)
				removed++;
			else
				left++;
			if (st == NM_NO_ANSWER)
				deadline = 0;
		}
	}
	if (removed || left)
		nm_log(n, left ? LOG_LVL_WARN : LOG_LVL_INFO,
		       "removed %u port mappings from the gateway%s", removed,
		       left ? "; the gateway did not confirm the others (they "
			      "expire with their lease)"
			    : "");
}

/* As root: the gateway, and the one socket to it. */
static int open_gateway(struct nm *n)
{
	struct sockaddr_in gw = { .sin_family = AF_INET, .sin_port = htons(NATMAP_SERVER_PORT) };
	struct sockaddr_in self;
	socklen_t len = sizeof(self);
	char ip[INET_ADDRSTRLEN];

	if (natmap_gateway_find(&n->gateway) < 0) {
		log_msg(LOG_LVL_ERR, "NAT: no IPv4 default route: no gateway to ask; "
				     "static settings only");
		return -1;
	}
	gw.sin_addr.s_addr = n->gateway;
	n->udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n->udp < 0 || connect(n->udp, (struct sockaddr *)&gw, sizeof(gw)) < 0 ||
	    getsockname(n->udp, (struct sockaddr *)&self, &len) < 0) {
		log_msg(LOG_LVL_ERR, "NAT: socket to the gateway: %s", strerror(errno));
		return -1;
	}
	n->self = self.sin_addr.s_addr;
	/* SSDP's M-SEARCH, to the gateway itself rather than the multicast
	 * group: the only host whose answer we would take anyway. */
	gw.sin_port = htons(UPNP_SSDP_PORT);
	n->ssdp = -1;
	if (natmap_uses_upnp(&n->cfg->global) &&
	    ((n->ssdp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	     connect(n->ssdp, (struct sockaddr *)&gw, sizeof(gw)) < 0)) {
		log_msg(LOG_LVL_ERR, "NAT: SSDP socket to the gateway: %s", strerror(errno));
		return -1;
	}
	inet_ntop(AF_INET, &gw.sin_addr, ip, sizeof(ip));
	log_msg(LOG_LVL_INFO, "NAT: asking the gateway %s (%s)", ip, n->cfg->global.nat_protocols);
	return 0;
}

static void sandbox_self(struct nm *n)
{
	const struct cfg_settings *g = &n->cfg->global;
	struct passwd *pw = getpwnam(g->nopriv_user);
	/* Never isolate_network: the gateway is the whole point. */
	struct sandbox_identity id = { .root_dir = g->secure_chroot_dir };
	int keep[] = { n->link, n->udp, n->ssdp };

	if (!pw) {
		log_msg(LOG_LVL_ERR, "NAT helper: no user %s", g->nopriv_user);
		_exit(1);
	}
	id.uid = pw->pw_uid;
	id.gid = pw->pw_gid;
	sandbox_close_fds_except(keep, n->ssdp >= 0 ? 3 : 2);
	if (sandbox_become(&id) < 0 || sandbox_harden(SANDBOX_FILES) < 0) {
		log_msg(LOG_LVL_ERR, "NAT helper: sandbox: %s", strerror(errno));
		_exit(1);
	}
	/* From here on every line goes over the link. */
	log_init(&(struct log_sinks){ .file_fd = -1 });
	/* With UPnP-IGD: TCP sockets too, each checked to go to the gateway
	 * (upnp_io.c) before its connect. */
	if (g->seccomp_sandbox &&
	    sandbox_seccomp_apply(n->ssdp >= 0 ? ROLE_NATMAP_TCP : ROLE_NATMAP, n->link, false) <
		    0) {
		nm_log(n, LOG_LVL_ERR, "NAT helper: seccomp: %s", strerror(errno));
		_exit(1);
	}
}

static void serve(struct nm *n)
{
	while (!n->stop) {
		time_t now = time(NULL), first = 0;
		struct pollfd p = { .fd = n->link, .events = POLLIN };
		for (size_t vi = 0; vi < n->cfg->nvhosts && !n->stop; vi++) {
			if (!natmap_vhost_wanted(&n->cfg->vhosts[vi]))
				continue;
			if (n->v[vi].next <= now) {
				vhost_round(n, vi);
				now = time(NULL);
			}
			if (!first || n->v[vi].next < first)
				first = n->v[vi].next;
		}
		if (n->stop)
			break;
		if (poll(&p, 1, first > now ? (int)(first - now) * 1000 : 0) > 0)
			read_link(n);
	}
}

void natmap_run(const struct ftpsd_config *cfg, int link)
{
	static struct nm n;

	n.cfg = cfg;
	n.link = link;
	n.udp = -1;
	n.ssdp = -1;
	sandbox_set_name("ftpsd-natmap");
	n.norder = natmap_protocols(&cfg->global, n.order);
	for (size_t vi = 0; vi < cfg->nvhosts; vi++)
		natmap_plan_vhost(&cfg->vhosts[vi], &n.v[vi].plan);
	if (getrandom(n.nonce, sizeof(n.nonce), 0) != (ssize_t)sizeof(n.nonce) ||
	    open_gateway(&n) < 0)
		_exit(1); /* every vhost stays static; the master sees us go */
	sandbox_self(&n);
	serve(&n);
	remove_all(&n);
	_exit(0);
}
