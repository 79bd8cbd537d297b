/* The monitor: one per session, root, the only process of a session with
 * privilege. It trusts nothing from the engine: each message is checked
 * for type, shape and the session state that allows it, and any violation
 * ends the session. This file is the loop and the dispatch; each message
 * kind's handlers have their own file (monitor_state.h lists them). */
#include "monitor/monitor_state.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "engine/listing.h"
#include "common/log.h"
#include "sandbox/sandbox.h"

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

	f.vhost = mon->s.vhost ? mon->s.vhost->name : NULL;
	f.client = mon->s.peer_ip;
	f.user = mon->state == PRIV_ST_POSTAUTH ? mon->pam.user : NULL;
	f.reason = what;
	log_event(LOG_LVL_WARN, &f, "violation: %s (client %s, user %s)", what,
		  mon->s.peer_ip, mon->state == PRIV_ST_POSTAUTH ? mon->pam.user : "-");
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
	snprintf(line, sizeof(line), "%s for %s: %s", role, mon->s.peer_ip, safe);
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
	return mon->acct.kind == USERS_ANON ? WHO_KIND_ANON :
	       mon->acct.kind == USERS_GUEST ? WHO_KIND_GUEST : WHO_KIND_LOCAL;
}

/* The master asks (ftpsd -w); one that went away leaves us alone: the
 * session goes on without it. */
static void on_master(struct monitor *mon, struct priv_msg *m)
{
	struct who_session ws = {
		.vhost = mon->s.vhost ? mon->s.vhost->name : NULL,
		.client = mon->s.peer_ip,
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

	while (mon->relay_fd >= 0 && !mon->done && poll(&p, 1, 0) == 1 &&
	       (p.revents & POLLIN) && receive_one(mon, m, true) == 0)
		;
}

long long mon_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void serve(struct monitor *mon)
{
	struct priv_msg *m = malloc(sizeof(*m));

	if (!m)
		return;
	while (!mon->done) {
		struct pollfd p[3] = {
			{ .fd = mon->priv_fd, .events = POLLIN },
			{ .fd = mon->relay_fd, .events = POLLIN },
			{ .fd = mon->master_fd, .events = POLLIN },
		};
		int r = poll(p, 3, mon_login_time_left(mon));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
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
	}
	free(m);
}

int monitor_prepare_empty_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0555) < 0 && errno != EEXIST) {
		/* One missing parent level (/run/ftpsd) is common. */
		char parent[CFG_STR_MAX];
		char *slash;
		snprintf(parent, sizeof(parent), "%s", path);
		slash = strrchr(parent, '/');
		if (!slash || slash == parent)
			return -1;
		*slash = '\0';
		if (mkdir(parent, 0755) < 0 && errno != EEXIST)
			return -1;
		if (mkdir(path, 0555) < 0 && errno != EEXIST)
			return -1;
	}
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* Keep the client connection away from fds 0-2, which become /dev/null
 * (or stay the log terminal) so no role writes to the client by mistake. */
static int settle_fds(int client_fd, bool keep_stderr)
{
	int fd = fcntl(client_fd, F_DUPFD_CLOEXEC, 3);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0 || null < 0)
		return -1;
	if (client_fd > 2)
		close(client_fd);
	dup2(null, 0);
	dup2(null, 1);
	if (!keep_stderr)
		dup2(null, 2);
	close(null);
	return fd;
}

/* The session's peer: the client a trusted proxy's header named (the
 * master or inetd_run read it), else the socket's. Everything after this
 * (limits, PAM_RHOST, the passive address, PORT checks, logs) uses it. */
static void init_session(struct monitor *mon, const struct ftpsd_config *cfg,
			 const struct cfg_vhost *vhost, const struct priv_assign *a)
{
	mon->s.cfg = cfg;
	mon->s.vhost = vhost;
	mon->s.set = &vhost->set;
	mon->s.pasv_fd = -1;
	mon->s.mlst_facts = FACT_DEFAULT;
	snprintf(mon->s.cwd, sizeof(mon->s.cwd), "/");
	if (net_addr_from_peer(&mon->s.peer, mon->client_fd) < 0 ||
	    net_addr_from_local(&mon->s.local, mon->client_fd) < 0) {
		log_msg(LOG_LVL_ERR, "session: not a connected socket: %s",
			strerror(errno));
		_exit(1);
	}
	memset(&mon->s.proxy, 0, sizeof(mon->s.proxy));
	if (a->proxied) {
		mon->s.proxy = mon->s.peer;
		mon->s.peer = a->client;
	}
	net_addr_ip_string(&mon->s.peer, mon->s.peer_ip, sizeof(mon->s.peer_ip));
}

static struct monitor the_monitor; /* one per process: this session's */

/* What a monitor is before it has a connection. */
static void monitor_prepare(struct monitor *mon, const struct ftpsd_config *cfg,
			    const struct monitor_env *env)
{
	sandbox_set_name("ftpsd-monitor");
	mon->ops = &monitor_sys_ops;
	mon->pid = getpid();
	mon->env = env;
	mon->key_fd = env->key_fd;
	mon->engine = -1;
	mon->relay = -1;
	mon->priv_fd = -1;
	mon->relay_fd = -1;
	mon->client_fd = -1;
	mon->ctrl_fd = -1;
	mon->master_fd = -1;
	mon->state = PRIV_ST_SPARE;
	mon->s.cfg = cfg;
	mon->s.pasv_fd = -1;
	mon->s.mlst_facts = FACT_DEFAULT;
	snprintf(mon->s.cwd, sizeof(mon->s.cwd), "/");
}

/* Hand the connection to the pre-forked pre-auth engine. */
static int send_start(struct monitor *mon)
{
	struct priv_start st = {
		.vhost = (uint32_t)(mon->s.vhost - mon->s.cfg->vhosts),
		.peer = mon->s.peer,
		.local = mon->s.local,
	};
	struct priv_msg m;

	priv_encode_start(&m, &st, mon->ctrl_fd);
	return priv_send(mon->priv_fd, &m);
}

/* The session proper, on CLIENT_FD (above stdio). An engine forked
 * earlier (a spare's) is waiting for PRIV_START. */
__attribute__((noreturn)) static void monitor_serve_session(
	struct monitor *mon, const struct cfg_vhost *vhost, int client_fd,
	const struct priv_assign *a)
{
	const struct ftpsd_config *cfg = mon->s.cfg;
	bool implicit_tls = a->implicit_tls;

	mon->client_fd = client_fd;
	mon->ctrl_fd = client_fd;
	mon->state = PRIV_ST_PREAUTH;
	/* Replies and TLS records are small and must not wait ~40 ms for the
	 * client's delayed ACK (Nagle); every holder shares this socket. */
	(void)setsockopt(client_fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	init_session(mon, cfg, vhost, a);
	mon->s.tls = &mon->env->tls[vhost - cfg->vhosts];
	struct timespec started;
	struct log_fields f = LOG_FIELDS("session_start");

	clock_gettime(CLOCK_MONOTONIC, &started);
	mon->started_ms = mon_now_ms();
	f.vhost = vhost->name;
	f.client = mon->s.peer_ip;
	f.reason = implicit_tls ? "implicit TLS" : NULL;
	if (mon->s.proxy.len) {
		char proxy[NETADDR_STRLEN];
		net_addr_ip_string(&mon->s.proxy, proxy, sizeof(proxy));
		log_event(LOG_LVL_INFO, &f, "session start: client %s vhost %s%s via "
			  "proxy %s", mon->s.peer_ip, vhost->name,
			  implicit_tls ? " (implicit TLS)" : "", proxy);
	} else {
		log_event(LOG_LVL_INFO, &f, "session start: client %s vhost %s%s",
			  mon->s.peer_ip, vhost->name, implicit_tls ? " (implicit TLS)" : "");
	}
	if (vhost->set.login_timeout)
		mon->login_deadline = mon_now_ms() + vhost->set.login_timeout * 1000LL;
	if (vhost->set.ssl_enable && tls_session_key_new() < 0)
		_exit(1);
	/* Implicit TLS: the pre-auth engine starts when the relay's
	 * handshake is done, for the vhost SNI chose (on_tls_ready); a
	 * waiting one is of no use. */
	if (implicit_tls)
		mon_stop_engine(mon);
	if (implicit_tls && mon_start_relay(mon) < 0) {
		log_msg(LOG_LVL_ERR, "cannot start TLS relay: %s", strerror(errno));
		_exit(1);
	}
	if (!implicit_tls && mon->engine > 0 && send_start(mon) < 0)
		_exit(1);
	if (!implicit_tls && mon->engine <= 0 &&
	    mon_fork_engine(mon, "ftpsd-preauth", mon_become_preauth, NULL, 0) < 0) {
		log_msg(LOG_LVL_ERR, "cannot start engine: %s", strerror(errno));
		_exit(1);
	}
	serve(mon);
	mon_stop_engine(mon);
	mon_stop_relay(mon);
	if (mon->ctrl_fd >= 0 && mon->ctrl_fd != mon->client_fd)
		close(mon->ctrl_fd);
	close(mon->client_fd);
	mon->ops->pam_close(&mon->pam);
	{
		struct timespec ended;
		struct log_fields e = LOG_FIELDS("session_end");
		clock_gettime(CLOCK_MONOTONIC, &ended);
		e.vhost = mon->s.vhost ? mon->s.vhost->name : NULL;
		e.client = mon->s.peer_ip;
		e.user = mon->state == PRIV_ST_POSTAUTH ? mon->pam.user : NULL;
		e.duration_ms = (ended.tv_sec - started.tv_sec) * 1000LL +
				(ended.tv_nsec - started.tv_nsec) / 1000000;
		log_event(LOG_LVL_INFO, &e, "session end: client %s", mon->s.peer_ip);
	}
	_exit(0);
}

void monitor_run(const struct ftpsd_config *cfg, const struct cfg_vhost *vhost,
		 int client_fd, const struct priv_assign *a, const struct monitor_env *env)
{
	struct monitor *mon = &the_monitor;
	int fd = settle_fds(client_fd, env->keep_stderr);

	if (fd < 0)
		_exit(1);
	monitor_prepare(mon, cfg, env);
	monitor_serve_session(mon, vhost, fd, a);
}

/* Wait for the master's PRIV_ASSIGN on MASTER_FD; false if the waiting
 * pre-auth engine's link closed first (it died). */
static bool engine_or_assignment(struct monitor *mon, int master_fd)
{
	struct pollfd p[2] = {
		{ .fd = master_fd, .events = POLLIN },
		{ .fd = mon->priv_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (p[0].revents)
			return true;
		if (p[1].revents & (POLLHUP | POLLERR | POLLIN))
			return false;
	}
}

void monitor_spare_run(const struct ftpsd_config *cfg,
		       const struct monitor_env *env, int master_fd)
{
	struct monitor *mon = &the_monitor;
	struct priv_assign a;
	struct priv_msg m;
	int fd;

	monitor_prepare(mon, cfg, env);
	fd = settle_fds(master_fd, env->keep_stderr);
	if (fd < 0 || mon_fork_engine(mon, "ftpsd-preauth", mon_become_preauth, NULL, 0) < 0)
		_exit(1);
	/* A spare whose pre-auth engine died is of no use: it ends, and the
	 * master (told by the zygote) forks a new one. */
	if (!engine_or_assignment(mon, fd)) {
		mon_stop_engine(mon);
		_exit(0);
	}
	/* Untrusted? No: the master. Checked all the same. */
	if (priv_recv(fd, &m) != 1 || m.type != PRIV_ASSIGN ||
	    priv_admit(PRIV_LINK_MASTER, mon->state, mon->taken, m.type, m.fd >= 0) !=
		    PRIV_ADMIT ||
	    priv_decode_assign(&m, &a) < 0 || a.vhost >= cfg->nvhosts) {
		if (m.fd >= 0)
			close(m.fd);
		mon_stop_engine(mon);
		_exit(0); /* drained by the master, or it went away */
	}
	/* The link stays: the master asks it who is on (PRIV_WHO). Our
	 * answers never wait for it. */
	mon->master_fd = fd;
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fd = fcntl(m.fd, F_DUPFD_CLOEXEC, 3);
	close(m.fd);
	if (fd < 0)
		_exit(1);
	monitor_serve_session(mon, &cfg->vhosts[a.vhost], fd, &a);
}
