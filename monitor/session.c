/* A session from its start to its end: the connection (from the master's
 * PRIV_ASSIGN to a spare, or straight from inetd), the first pre-auth
 * engine or the implicit-TLS relay, the loop (monitor.c), and what is
 * closed and logged at the end. */
#include "monitor/monitor_state.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proctitle.h"
#include "sandbox/sandbox.h"

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
static void init_session(struct monitor *mon, const struct cfg_vhost *vhost,
			 const struct priv_assign *a)
{
	struct net_addr peer, local;

	if (net_addr_from_peer(&peer, mon->client_fd) < 0 ||
	    net_addr_from_local(&local, mon->client_fd) < 0) {
		log_msg(LOG_LVL_ERR, "session: not a connected socket: %s", strerror(errno));
		_exit(1);
	}
	/* Proxied: the socket's peer is the proxy, the header names the client. */
	session_given_connect(&mon->given, vhost, &mon->env->tls[vhost - mon->given.cfg->vhosts],
			      a->proxied ? &a->client : &peer, &local, a->proxied ? &peer : NULL);
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
	mon->idle_relay = -1;
	mon->idle_relay_fd = -1;
	mon->idle_relay_plain = -1;
	mon->standby = -1;
	mon->standby_fd = -1;
	mon->client_fd = -1;
	mon->ctrl_fd = -1;
	mon->ended[0] = mon->ended[1] = 0;
	mon->master_fd = -1;
	mon->state = PRIV_ST_SPARE;
	session_given_init(&mon->given, cfg);
	session_login_init(&mon->login);
}

/* Hand the connection to the pre-forked pre-auth engine. */
static int send_start(struct monitor *mon)
{
	struct priv_start st = {
		.vhost = (uint32_t)(mon->given.vhost - mon->given.cfg->vhosts),
		.peer = mon->given.peer,
		.local = mon->given.local,
	};
	struct priv_msg m;

	priv_encode_start(&m, &st, mon->ctrl_fd);
	return priv_send(mon->priv_fd, &m);
}

/* The session proper, on CLIENT_FD (above stdio). An engine forked
 * earlier (a spare's) is waiting for PRIV_START. */
__attribute__((noreturn)) static void monitor_serve_session(struct monitor *mon,
							    const struct cfg_vhost *vhost,
							    int client_fd,
							    const struct priv_assign *a)
{
	const struct ftpsd_config *cfg = mon->given.cfg;
	bool implicit_tls = a->implicit_tls;

	mon->client_fd = client_fd;
	mon->ctrl_fd = client_fd;
	mon->state = PRIV_ST_PREAUTH;
	/* Replies and TLS records are small and must not wait ~40 ms for the
	 * client's delayed ACK (Nagle); every holder shares this socket. */
	(void)setsockopt(client_fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	init_session(mon, vhost, a);
	struct timespec started;
	struct log_fields f = LOG_FIELDS("session_start");

	clock_gettime(CLOCK_MONOTONIC, &started);
	mon->started_ms = mon_now_ms();
	f.vhost = vhost->name;
	f.client = mon->given.peer_ip;
	f.reason = implicit_tls ? "implicit TLS" : NULL;
	if (mon->given.proxy.len) {
		char proxy[NETADDR_STRLEN];
		net_addr_ip_string(&mon->given.proxy, proxy, sizeof(proxy));
		log_event(LOG_LVL_INFO, &f,
			  "session start: client %s vhost %s%s via "
			  "proxy %s",
			  mon->given.peer_ip, vhost->name, implicit_tls ? " (implicit TLS)" : "",
			  proxy);
	} else {
		log_event(LOG_LVL_INFO, &f, "session start: client %s vhost %s%s",
			  mon->given.peer_ip, vhost->name, implicit_tls ? " (implicit TLS)" : "");
	}
	mon_vsftpd_log(mon, VSFTPD_LOG_CONNECT, true, NULL, NULL);
	if (cfg->global.setproctitle_enable)
		proctitle_set("ftpsd: %s: connected", mon->given.peer_ip);
	if (vhost->set.login_timeout)
		mon->login_deadline = mon_now_ms() + vhost->set.login_timeout * 1000LL;
	if (vhost->set.ssl_enable && tls_session_key_new() < 0)
		_exit(1);
	/* Not a spare (ftpsd -i): the relay is forked here, the same way. */
	if (mon_prefork_relay(mon) < 0) {
		log_msg(LOG_LVL_ERR, "cannot fork TLS relay: %s", strerror(errno));
		_exit(1);
	}
	if (mon_prefork_standby(mon) < 0) {
		log_msg(LOG_LVL_ERR, "cannot fork the user's engine: %s", strerror(errno));
		_exit(1);
	}
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
	mon_serve(mon);
	mon_stop_engine(mon);
	mon_end_standby(mon);
	mon_end_idle_relay(mon, true);
	mon_stop_relay(mon);
	(void)mon_reap_ended(mon, true);
	if (mon->ctrl_fd >= 0 && mon->ctrl_fd != mon->client_fd)
		close(mon->ctrl_fd);
	close(mon->client_fd);
	mon->ops->pam_close(&mon->pam);
	{
		struct timespec ended;
		struct log_fields e = LOG_FIELDS("session_end");
		clock_gettime(CLOCK_MONOTONIC, &ended);
		e.vhost = mon->given.vhost ? mon->given.vhost->name : NULL;
		e.client = mon->given.peer_ip;
		e.user = mon->state == PRIV_ST_POSTAUTH ? mon->pam.user : NULL;
		e.duration_ms = (ended.tv_sec - started.tv_sec) * 1000LL +
				(ended.tv_nsec - started.tv_nsec) / 1000000;
		log_event(LOG_LVL_INFO, &e, "session end: client %s", mon->given.peer_ip);
	}
	_exit(0);
}

void monitor_run(const struct ftpsd_config *cfg, const struct cfg_vhost *vhost, int client_fd,
		 const struct priv_assign *a, const struct monitor_env *env)
{
	struct monitor *mon = &the_monitor;
	int fd = settle_fds(client_fd, env->keep_stderr);

	if (fd < 0)
		_exit(1);
	monitor_prepare(mon, cfg, env);
	monitor_serve_session(mon, vhost, fd, a);
}

/* Wait for the master's PRIV_ASSIGN on MASTER_FD; false if the link of
 * the waiting pre-auth engine, relay or user's engine closed first (it
 * died), or one of them sent something (none may before its start). */
static bool engine_or_assignment(struct monitor *mon, int master_fd)
{
	struct pollfd p[4] = {
		{ .fd = master_fd, .events = POLLIN },
		{ .fd = mon->priv_fd, .events = POLLIN },
		{ .fd = mon->idle_relay_fd, .events = POLLIN },
		{ .fd = mon->standby_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (p[0].revents)
			return true;
		if ((p[1].revents | p[2].revents | p[3].revents) & (POLLHUP | POLLERR | POLLIN))
			return false;
	}
}

/* A spare that is of no use ends; the master (told by the zygote) forks
 * a new one. */
__attribute__((noreturn)) static void spare_end(struct monitor *mon)
{
	mon_stop_engine(mon);
	mon_end_idle_relay(mon, true);
	mon_end_standby(mon);
	_exit(0);
}

void monitor_spare_run(const struct ftpsd_config *cfg, const struct monitor_env *env, int master_fd)
{
	struct monitor *mon = &the_monitor;
	struct priv_assign a;
	struct priv_msg m;
	int fd;

	monitor_prepare(mon, cfg, env);
	fd = settle_fds(master_fd, env->keep_stderr);
	if (fd < 0 || mon_fork_engine(mon, "ftpsd-preauth", mon_become_preauth, NULL, 0) < 0)
		_exit(1);
	if (mon_prefork_relay(mon) < 0 || mon_prefork_standby(mon) < 0)
		spare_end(mon);
	/* A spare whose pre-auth engine or relay died is of no use. */
	if (!engine_or_assignment(mon, fd))
		spare_end(mon);
	/* Untrusted? No: the master. Checked all the same. */
	if (priv_recv(fd, &m) != 1 || m.type != PRIV_ASSIGN ||
	    priv_admit(PRIV_LINK_MASTER, mon->state, mon->taken, m.type, m.fd >= 0) != PRIV_ADMIT ||
	    priv_decode_assign(&m, &a) < 0 || a.vhost >= cfg->nvhosts) {
		if (m.fd >= 0)
			close(m.fd);
		spare_end(mon); /* drained by the master, or it went away */
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
