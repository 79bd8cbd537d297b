/* The monitor: one per session, root, the only process of a session with
 * privilege. It trusts nothing from the engine: each message is checked
 * for type, shape and the session state that allows it, and any violation
 * ends the session. This file is the loop and the dispatch; each message
 * kind's handlers have their own file (monitor_state.h lists them). */
#include "monitor/monitor_state.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/log.h"

void mon_grant(struct monitor *mon, uint16_t type)
{
	mon->taken |= 1ull << type;
}

bool mon_granted(const struct monitor *mon, uint16_t type)
{
	return mon->taken & (1ull << type);
}

void mon_violation(struct monitor *mon, const char *what)
{
	struct log_fields f = LOG_FIELDS("violation");

	f.vhost = mon->given.vhost ? mon->given.vhost->name : NULL;
	f.client = mon->given.peer_ip;
	f.user = mon->state == PRIV_ST_POSTAUTH ? mon->pam.user : NULL;
	f.reason = what;
	log_event(LOG_LVL_WARN, &f, "violation: %s (client %s, user %s)", what, mon->given.peer_ip,
		  mon->state == PRIV_ST_POSTAUTH ? mon->pam.user : "-");
	mon->done = true;
}

/* A line from a sandboxed process: escaped to one line and marked with who
 * sent it, so it can never pass for one of ours (fail2ban reads these). */
static void forward_log(struct monitor *mon, struct priv_msg *m, const char *role)
{
	struct priv_log v;
	char safe[4 * PRIV_LINE_MAX], line[4 * PRIV_LINE_MAX + 128];

	if (priv_decode_log(m, &v) < 0)
		return mon_violation(mon, "malformed LOG");
	log_escape(v.line, safe, sizeof(safe));
	snprintf(line, sizeof(line), "%s for %s: %s", role, mon->given.peer_ip, safe);
	log_line((int)v.level, line);
}

static void on_log(struct monitor *mon, struct priv_msg *m)
{
	forward_log(mon, m, mon->state == PRIV_ST_POSTAUTH ? "ftpsd-engine" : "ftpsd-preauth");
}

void mon_on_relay_log(struct monitor *mon, struct priv_msg *m)
{
	forward_log(mon, m, "ftpsd-relay");
}

static uint32_t who_kind(const struct monitor *mon)
{
	if (mon->state != PRIV_ST_POSTAUTH)
		return WHO_KIND_NONE;
	return mon->acct.kind == USERS_ANON    ? WHO_KIND_ANON
	       : mon->acct.kind == USERS_GUEST ? WHO_KIND_GUEST
					       : WHO_KIND_LOCAL;
}

/* The master asks (ftpsd -w); one that went away leaves us alone: the
 * session goes on without it. */
static void on_master(struct monitor *mon, struct priv_msg *m)
{
	struct who_session ws = {
		.vhost = mon->given.vhost ? mon->given.vhost->name : NULL,
		.client = mon->given.peer_ip,
		.user = mon->state == PRIV_ST_POSTAUTH ? mon->pam.user : NULL,
		.kind = who_kind(mon),
		.started_ms = mon->started_ms,
		.client_fd = mon->client_fd,
	};
	struct priv_who_state st;

	if (priv_recv(mon->master_fd, m) != 1 ||
	    priv_admit(PRIV_LINK_MASTER, mon->state, mon->taken, m->type, m->fd >= 0) !=
		    PRIV_ADMIT ||
	    priv_msg_check(m) < 0) {
		if (m->fd >= 0)
			close(m->fd);
		close(mon->master_fd);
		mon->master_fd = -1;
		return;
	}
	who_state_fill(&st, &ws, &mon->who, mon_now_ms());
	priv_encode_who_state(m, &st);
	(void)priv_send(mon->master_fd, m); /* non-blocking: never waits */
}

typedef void mon_handler(struct monitor *mon, struct priv_msg *m);

/* Which function takes each message on each link; whether it may come
 * at all is privsep/messages.def's call (priv_admit). */
static mon_handler *const engine_handlers[PRIV_TYPE_END] = {
	[PRIV_LOG] = on_log,
	[PRIV_LOGIN] = mon_on_login,
	[PRIV_PASV] = mon_on_pasv,
	[PRIV_XFER] = mon_on_xfer,
	[PRIV_AUTH_TLS] = mon_on_auth_tls,
	[PRIV_HOST] = mon_on_host,
	[PRIV_PORT_CONNECT] = mon_on_port_connect,
	[PRIV_CHOWN_UPLOAD] = mon_on_chown_upload,
	[PRIV_SIGN] = mon_on_engine_sign,
	[PRIV_XFER_PROGRESS] = mon_on_xfer_progress,
};

static mon_handler *const relay_handlers[PRIV_TYPE_END] = {
	[PRIV_LOG] = mon_on_relay_log,
	[PRIV_TLS_SESSION] = mon_on_tls_session,
	[PRIV_TLS_READY] = mon_on_tls_ready,
	[PRIV_SIGN] = mon_on_relay_sign,
};

bool monitor_handles(enum priv_link link, uint16_t type)
{
	if (type >= PRIV_TYPE_END)
		return false;
	if (link == PRIV_LINK_ENGINE)
		return engine_handlers[type] != NULL;
	if (link == PRIV_LINK_RELAY)
		return relay_handlers[type] != NULL;
	/* on_master; a spare's PRIV_ASSIGN (monitor_spare_run) */
	return link == PRIV_LINK_MASTER && (type == PRIV_WHO || type == PRIV_ASSIGN);
}

/* The other side reads each reply before it sends its next message, so a
 * message that arrives while our last reply is unread is a hostile peer
 * queueing requests (each PASV answer carries a listening socket). */
static bool reply_unread(int link)
{
	int queued = 0;

	return ioctl(link, SIOCOUTQ, &queued) == 0 && queued > 0;
}

void mon_dispatch(struct monitor *mon, enum priv_link link, struct priv_msg *m)
{
	mon_handler *const *table = link == PRIV_LINK_RELAY ? relay_handlers : engine_handlers;
	enum priv_verdict v = priv_admit(link, mon->state, mon->taken, m->type, m->fd >= 0);
	const struct priv_rule *r = priv_rule(m->type);
	char why[128];

	if (reply_unread(link == PRIV_LINK_RELAY ? mon->relay_fd : mon->priv_fd))
		return mon_violation(mon, "a request while our last reply is unread");
	if (v == PRIV_ADMIT && table[m->type])
		return table[m->type](mon, m);
	if (v == PRIV_ADMIT)
		v = PRIV_WRONG_LINK; /* the table and the handlers disagree */
	snprintf(why, sizeof(why), "%s%s%s", r ? r->name : "", r ? ": " : "",
		 priv_verdict_string(v));
	mon_violation(mon, why);
}

/* One message from the engine (FROM_RELAY false) or the relay. Returns -1
 * when the session is over. */
static int receive_one(struct monitor *mon, struct priv_msg *m, bool from_relay)
{
	int r = priv_recv(from_relay ? mon->relay_fd : mon->priv_fd, m);

	if (r == 0) {
		if (!from_relay)
			mon_log_engine_end(mon);
		return -1; /* the engine quit, or TLS on the control connection ended */
	}
	if (r < 0) {
		if (errno == EPROTO)
			mon_violation(mon, "malformed privsep message");
		return -1;
	}
	mon_dispatch(mon, from_relay ? PRIV_LINK_RELAY : PRIV_LINK_ENGINE, m);
	if (m->fd >= 0)
		close(m->fd);
	return 0;
}

/* What the relay sent before it ended (a failed handshake's log line is
 * queued before the engine can see the control connection close), read
 * before the session ends so it is not lost. */
static void drain_relay(struct monitor *mon, struct priv_msg *m)
{
	struct pollfd p = { .fd = mon->relay_fd, .events = POLLIN };

	while (mon->relay_fd >= 0 && !mon->done && poll(&p, 1, 0) == 1 && (p.revents & POLLIN) &&
	       receive_one(mon, m, true) == 0)
		;
}

/* The waiting relay has nothing to say before PRIV_RELAY_START: a byte
 * is a violation. One that died is forgotten; AUTH TLS forks another. */
static void idle_relay_event(struct monitor *mon, short revents)
{
	char c;

	/* A relay that died shows POLLIN too (the end of its link). */
	if ((revents & POLLIN) && recv(mon->idle_relay_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
		return mon_violation(mon, "the relay sent before RELAY_START");
	mon_end_idle_relay(mon, true);
}

long long mon_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void mon_serve(struct monitor *mon)
{
	struct priv_msg *m = malloc(sizeof(*m));

	if (!m)
		return;
	while (!mon->done) {
		struct pollfd p[4] = {
			{ .fd = mon->priv_fd, .events = POLLIN },
			{ .fd = mon->relay_fd, .events = POLLIN },
			{ .fd = mon->master_fd, .events = POLLIN },
			{ .fd = mon->idle_relay_fd, .events = POLLIN },
		};
		int left = mon_login_time_left(mon);
		/* A process killed at login is reaped within milliseconds. */
		bool reaping = mon_reap_ended(mon, false);
		int r = poll(p, 4, reaping && (left < 0 || left > 10) ? 10 : left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (r == 0 && reaping && mon_login_time_left(mon) != 0)
			continue;
		if (r == 0) {
			mon_login_expired(mon);
			break;
		}
		if (p[0].revents && receive_one(mon, m, false) < 0) {
			drain_relay(mon, m);
			break;
		}
		if (mon->relay_fd >= 0 && p[1].revents && !mon->done &&
		    receive_one(mon, m, true) < 0)
			break;
		if (mon->master_fd >= 0 && p[2].revents && !mon->done)
			on_master(mon, m);
		if (mon->idle_relay_fd >= 0 && p[3].revents && !mon->done)
			idle_relay_event(mon, p[3].revents);
	}
	free(m);
}
