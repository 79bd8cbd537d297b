#include "master/natmap_ctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/cidr.h"
#include "common/log.h"
#include "natmap/plan.h"

/* Removing the mappings takes the helper at most 5 s (natmap.c). */
#define NATMAP_STOP_WAIT_MS 8000

static void log_note(const char *line, void *ctx)
{
	(void)ctx;
	log_msg(LOG_LVL_WARN, "%s", line);
}

void natmap_ctl_bound(struct ftpsd_config *cfg)
{
	natmap_bound_range(cfg, log_note, NULL);
	natmap_note_ipv6(cfg, log_note, NULL);
}

int natmap_ctl_start(struct natmap_ctl *c, const struct ftpsd_config *cfg,
		     const struct role_env *env)
{
	int sv[2];

	*c = (struct natmap_ctl)NATMAP_CTL_INIT;
	if (!natmap_config_wanted(cfg))
		return 0;
	if (!cfg->global.listen)
		return 0; /* inetd mode: no master to keep it (ftpsd -t warns) */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_msg(LOG_LVL_ERR, "NAT helper: socketpair: %s; static settings only",
			strerror(errno));
		return -1;
	}
	c->pid = role_spawn("natmap", cfg, env, &sv[1], 1);
	close(sv[1]);
	if (c->pid < 0) {
		log_msg(LOG_LVL_ERR, "NAT helper: fork: %s; static settings only", strerror(errno));
		close(sv[0]);
		c->pid = 0;
		return -1;
	}
	c->link = sv[0];
	return 0;
}

static void forward_log(struct priv_msg *m)
{
	struct priv_log v;
	char safe[4 * PRIV_LINE_MAX], line[4 * PRIV_LINE_MAX + 32];

	if (priv_decode_log(m, &v) < 0)
		return;
	log_escape(v.line, safe, sizeof(safe));
	snprintf(line, sizeof(line), "ftpsd-natmap: %s", safe);
	log_line(v.level <= LOG_LVL_DEBUG ? (int)v.level : LOG_LVL_INFO, line);
}

/* "21, 990, 40000-40031" */
static void ports_text(const struct priv_nat_state *s, char *buf, size_t size)
{
	size_t len = 0;

	snprintf(buf, size, "none");
	for (uint32_t i = 0; i < s->nports && len < size; i++) {
		uint32_t j = i;
		while (j + 1 < s->nports && s->ports[j + 1] == s->ports[j] + 1)
			j++;
		if (j == i)
			len += (size_t)snprintf(buf + len, size - len, "%s%u", i ? ", " : "",
						s->ports[i]);
		else
			len += (size_t)snprintf(buf + len, size - len, "%s%u-%u", i ? ", " : "",
						s->ports[i], s->ports[j]);
		i = j;
	}
}

/* What the helper says is what the router said: re-checked here. */
static bool state_valid(const struct ftpsd_config *cfg, const struct priv_nat_state *s)
{
	struct natmap_plan plan;

	if (s->vhost >= cfg->nvhosts || s->nports > NATMAP_PORTS_MAX)
		return false;
	natmap_plan_vhost(&cfg->vhosts[s->vhost], &plan);
	for (uint32_t i = 0; i < s->nports; i++) {
		bool planned = false;
		for (unsigned j = 0; j < plan.nports; j++)
			planned |= plan.ports[j] == s->ports[i];
		if (!planned)
			return false;
	}
	return true;
}

/* An address a gateway may call external: not 0/8, loopback, multicast,
 * reserved or broadcast. */
static bool address_plausible(uint32_t ip)
{
	uint32_t h = ntohl(ip);

	return h >> 24 != 0 && h >> 24 != 127 && h >> 28 < 14;
}

/* What the master makes of S's address: NULL when usable (*ADDR set),
 * else why not. IP gets the address as text. */
static const char *verdict_of(const struct priv_nat_state *s, struct net_addr *addr, char *ip,
			      size_t ipsize)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&addr->ss;
	struct in_addr a = { .s_addr = s->external_ip };

	memset(addr, 0, sizeof(*addr));
	snprintf(ip, ipsize, "unknown");
	if (!s->proto)
		return "";
	inet_ntop(AF_INET, &a, ip, (socklen_t)ipsize);
	sin->sin_family = AF_INET;
	sin->sin_addr = a;
	addr->len = sizeof(*sin);
	if (!address_plausible(s->external_ip))
		return " (not an address a client can reach: not used)";
	if (cidr_is_private(addr))
		return " (private or carrier-grade NAT shared space: this gateway is "
		       "itself behind another NAT, its mappings do not reach the "
		       "internet; not used)";
	return NULL;
}

/* The line that says what S means for VH, as logged and as ftpsd -T
 * shows it (with LEFT, the lease's seconds left, when LEFT >= 0). */
static void state_text(const struct cfg_vhost *vh, const struct priv_nat_state *s, long long left,
		       char *buf, size_t size)
{
	char ports[512], reason[4 * PRIV_NAT_REASON_MAX], lease[96], ip[INET_ADDRSTRLEN];
	struct net_addr addr;
	const char *verdict = verdict_of(s, &addr, ip, sizeof(ip));

	if (s->proto == 0) {
		log_escape(s->reason, reason, sizeof(reason));
		snprintf(buf, size,
			 "vhost %s: NAT: no gateway protocol worked (%s); "
			 "using the static settings",
			 vh->name, reason);
		return;
	}
	ports_text(s, ports, sizeof(ports));
	if (!s->lifetime)
		snprintf(lease, sizeof(lease), "permanent lease");
	else if (left >= 0)
		snprintf(lease, sizeof(lease),
			 "lease %u s, %lld s left, renewed at "
			 "half",
			 s->lifetime, left);
	else
		snprintf(lease, sizeof(lease), "lease %u s", s->lifetime);
	snprintf(buf, size,
		 "vhost %s: NAT: %s: external address %s%s, mapped TCP "
		 "ports %s (%s)",
		 vh->name, natmap_proto_name((enum natmap_proto)s->proto), ip,
		 verdict ? verdict : "", ports, lease);
}

static void log_state(const struct cfg_vhost *vh, const struct priv_nat_state *s)
{
	char line[4 * PRIV_NAT_REASON_MAX + 1024];
	struct net_addr addr;
	char ip[INET_ADDRSTRLEN];

	state_text(vh, s, -1, line, sizeof(line));
	log_msg(s->proto && !verdict_of(s, &addr, ip, sizeof(ip)) ? LOG_LVL_INFO : LOG_LVL_WARN,
		"%s", line);
}

/* The masquerade value S gives vhost V: true when it changed. */
static bool apply_state(struct natmap_ctl *c, const struct ftpsd_config *cfg,
			const struct priv_nat_state *s, struct pasv_masq *masq)
{
	const struct cfg_vhost *vh = &cfg->vhosts[s->vhost];
	struct pasv_masq *m = &masq[s->vhost];
	struct pasv_masq next = { .ok = false };
	char ip[INET_ADDRSTRLEN];
	bool changed;

	next.ok = s->proto && !verdict_of(s, &next.addr, ip, sizeof(ip));
	if (!c->have[s->vhost] || memcmp(&c->last[s->vhost], s, sizeof(*s)) != 0)
		log_state(vh, s);
	c->have[s->vhost] = true;
	c->last[s->vhost] = *s;
	c->at[s->vhost] = clock_ms();
	if (!cfg_pasv_address_auto(&vh->set))
		return false;
	changed = next.ok != m->ok || (next.ok && !net_addr_same_ip(&next.addr, &m->addr));
	*m = next;
	return changed;
}

void natmap_ctl_describe(const struct natmap_ctl *c, const struct ftpsd_config *cfg,
			 void (*emit)(const char *line, void *ctx), void *ctx)
{
	char line[4 * PRIV_NAT_REASON_MAX + 1024];

	for (size_t v = 0; v < cfg->nvhosts; v++) {
		const struct cfg_vhost *vh = &cfg->vhosts[v];
		const struct priv_nat_state *s = &c->last[v];
		if (!natmap_vhost_wanted(vh))
			continue;
		if (c->pid <= 0)
			snprintf(line, sizeof(line),
				 "vhost %s: NAT: the helper is not "
				 "running; using the static settings",
				 vh->name);
		else if (!c->have[v])
			snprintf(line, sizeof(line),
				 "vhost %s: NAT: no result from the "
				 "gateway yet; using the static settings",
				 vh->name);
		else
			state_text(vh, s,
				   s->lifetime
					   ? (long long)s->lifetime - (clock_ms() - c->at[v]) / 1000
					   : -1,
				   line, sizeof(line));
		emit(line, ctx);
	}
}

bool natmap_ctl_read(struct natmap_ctl *c, const struct ftpsd_config *cfg, struct pasv_masq *masq)
{
	struct pollfd p = { .fd = c->link, .events = POLLIN };
	bool changed = false;

	for (int i = 0; i < 256 && c->link >= 0 && poll(&p, 1, 0) == 1; i++) {
		struct priv_msg m;
		struct priv_nat_state s;
		int rc = priv_recv(c->link, &m);
		if (rc <= 0) { /* gone: natmap_ctl_exited says so */
			close(c->link);
			c->link = -1;
			break;
		}
		if (m.fd >= 0)
			close(m.fd);
		if (m.type == PRIV_LOG)
			forward_log(&m);
		else if (m.type == PRIV_NAT_STATE && priv_decode_nat_state(&m, &s) == 0 &&
			 state_valid(cfg, &s))
			changed |= masq && apply_state(c, cfg, &s, masq);
		else
			log_msg(LOG_LVL_ERR,
				"violation: ftpsd-natmap sent a malformed or "
				"unexpected message (type %u); ignored",
				m.type);
	}
	return changed;
}

bool natmap_ctl_exited(struct natmap_ctl *c, pid_t pid, int status, const struct ftpsd_config *cfg,
		       struct pasv_masq *masq, bool *changed)
{
	*changed = false;
	if (c->pid <= 0 || pid != c->pid)
		return false;
	if (c->link >= 0)
		(void)natmap_ctl_read(c, cfg, masq); /* its last words */
	log_msg(LOG_LVL_WARN,
		"NAT helper ended (status %d); pasv_address=auto vhosts "
		"use their static settings",
		status);
	for (size_t v = 0; masq && v < cfg->nvhosts; v++)
		if (cfg_pasv_address_auto(&cfg->vhosts[v].set) && masq[v].ok) {
			masq[v].ok = false;
			*changed = true;
		}
	if (c->link >= 0)
		close(c->link);
	*c = (struct natmap_ctl)NATMAP_CTL_INIT;
	return true;
}

void natmap_ctl_stop(struct natmap_ctl *c)
{
	long long end = clock_ms() + NATMAP_STOP_WAIT_MS, left;
	struct pollfd p = { .fd = c->link, .events = POLLIN };
	struct priv_msg m;
	bool closed = false;

	if (c->pid <= 0)
		return;
	priv_encode_nat_stop(&m);
	if (c->link >= 0 && priv_send(c->link, &m) == 0)
		/* Its log lines, until it closes the link by exiting. */
		while (!closed && (left = end - clock_ms()) > 0 && poll(&p, 1, (int)left) == 1) {
			if (priv_recv(c->link, &m) <= 0) {
				closed = true;
				break;
			}
			if (m.fd >= 0)
				close(m.fd);
			if (m.type == PRIV_LOG)
				forward_log(&m);
		}
	if (!closed) {
		log_msg(LOG_LVL_WARN, "NAT helper did not finish in time; killed");
		kill(c->pid, SIGKILL);
	}
	while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (c->link >= 0)
		close(c->link);
	*c = (struct natmap_ctl)NATMAP_CTL_INIT;
}
