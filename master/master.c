#include "master/master.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cidr.h"
#include "master/listeners.h"
#include "master/activation.h"
#include "master/notify.h"
#include "common/log.h"
#include "master/pool.h"
#include "master/proxywait.h"
#include "config/proxytrust.h"
#include "master/throttle.h"
#include "master/who.h"
#include "config/resolver.h"
#include "master/generation.h"
#include "master/natmap_ctl.h"
#include "natmap/plan.h"
#include "zygote/zygote.h"
#include "monitor/monitor.h"
#include "config/vhosts.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp.h"

struct master {
	struct ftpsd_config *cfg;
	const struct master_opts *opts;
	struct role_env *env;  /* what each generation inherits */
	struct generation gen; /* the current key holder and zygote */
	time_t gen_started;
	struct pasv_masq *masq; /* per vhost, as last resolved */
	struct natmap_ctl nat;  /* the NAT helper (pasv_address=auto...) */
	struct listeners ls;
	struct proxy_wait proxied; /* trusted proxies' headers still arriving */
	struct pool pool;
	struct generation_events events; /* what the zygotes report, to us */
	int sigfd;
	struct master_session *sessions;
	size_t nsessions, cap;
	int report_fd; /* failed logins, from the monitors */
	struct throttle *throttle;
	struct notifier notify;     /* systemd's NOTIFY_SOCKET, if any */
	size_t status_sent;         /* the session count STATUS= last told */
	int who_fd;                 /* who_socket's listener, or -1 */
	char who_path[CFG_STR_MAX]; /* where it listens (reloads keep it) */
	bool stop;
};

static void log_listeners(const struct listeners *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		char a[NETADDR_STRLEN];
		net_addr_string(&ls->l[i].addr, a, sizeof(a));
		log_msg(LOG_LVL_INFO, "listening on %s (vhost %s)", a, ls->l[i].vhost->name);
	}
}

static void log_info_line(const char *line, void *ctx)
{
	(void)ctx;
	log_msg(LOG_LVL_INFO, "%s", line);
}

/* Per vhost: where it listens, what it advertises to whom (DESIGN §3). */
static void log_vhosts(const struct ftpsd_config *cfg, const struct pasv_masq *masq)
{
	for (size_t v = 0; v < cfg->nvhosts; v++)
		vhost_describe(&cfg->vhosts[v], masq ? &masq[v] : NULL, log_info_line, NULL);
}

static int block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, old) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static size_t sessions_from(const struct master *m, const struct net_addr *peer)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nsessions; i++)
		n += net_addr_same_ip(&m->sessions[i].peer, peer);
	return n;
}

static void track_session(struct master *m, pid_t pid, const struct net_addr *peer, int link)
{
	if (m->nsessions == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct master_session *grown = realloc(m->sessions, cap * sizeof(*grown));
		if (!grown) {
			close(link);
			return; /* uncounted: limits are a little generous, no more */
		}
		m->sessions = grown;
		m->cap = cap;
	}
	m->sessions[m->nsessions++] = (struct master_session){ .pid = pid,
							       .peer = *peer,
							       .link = link };
}

static void untrack_session(struct master *m, pid_t pid)
{
	for (size_t i = 0; i < m->nsessions; i++) {
		if (m->sessions[i].pid == pid) {
			if (m->sessions[i].link >= 0)
				close(m->sessions[i].link);
			m->sessions[i] = m->sessions[--m->nsessions];
			return;
		}
	}
}

/* Refused before any process is forked for it. */
static void refuse(int fd, const char *reply)
{
	(void)send(fd, reply, strlen(reply), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void session_ended(pid_t pid, void *ctx)
{
	struct master *m = ctx;

	if (!pool_forget(&m->pool, pid))
		untrack_session(m, pid);
}

static void spare_spawned(uint32_t ticket, pid_t pid, void *ctx)
{
	struct master *m = ctx;

	pool_spawned(&m->pool, ticket, pid);
}

/* How long a connection may wait for a spare when none is answered: a
 * silence of this long from the zygote, or this many of its reports. */
#define SPARE_WAIT_MS 5000
#define SPARE_WAIT_REPORTS 1024

/* A spare for FD: one the zygote has answered for, else (the pool ran
 * dry, or prefork_spares=0) the next answer, asking for one if none is
 * under way. The pid, or -1. */
static pid_t take_spare(struct master *m, const struct listener *l, int fd,
			const struct net_addr *client, const struct net_addr *proxy, int *link)
{
	pid_t pid = pool_assign(&m->pool, m->cfg, l, fd, client, proxy, link);

	for (int i = 0; pid < 0 && i < SPARE_WAIT_REPORTS; i++) {
		if (pool_pending(&m->pool) == 0)
			pool_fill(&m->pool, (unsigned)m->pool.n + 1, &m->gen);
		if (pool_pending(&m->pool) == 0)
			break;
		if (generation_wait(&m->gen, &m->events, SPARE_WAIT_MS) <= 0) {
			/* The next connection asks afresh. */
			pool_forget_pending(&m->pool);
			break;
		}
		pid = pool_assign(&m->pool, m->cfg, l, fd, client, proxy, link);
	}
	return pid;
}

/* FD arrived on L from CLIENT: the socket's peer, or the client a trusted
 * proxy (PROXY, else NULL) named. From here on CLIENT is the session's
 * peer address for every limit, log line and decision. */
static void start_session(struct master *m, const struct listener *l, int fd,
			  const struct net_addr *client, const struct net_addr *proxy)
{
	const struct cfg_settings *g = &m->cfg->global;
	unsigned per_ip = l->vhost->set.max_per_ip;
	struct net_addr peer;
	int link = -1;
	pid_t pid;

	/* Limits count clients, and an IPv6 client is its prefix. */
	peer = cidr_client_key(client, g->ipv6_client_prefix);
	if (g->max_clients && m->nsessions >= g->max_clients)
		return refuse(fd, "421 There are too many connected users, please try later.\r\n");
	if (per_ip && sessions_from(m, &peer) >= per_ip)
		return refuse(fd,
			      "421 There are too many connections from your internet address.\r\n");
	if (throttle_blocked(m->throttle, &peer, time(NULL), g->login_throttle_fails,
			     g->login_throttle_window)) {
		char ip[NETADDR_STRLEN];
		struct log_fields f = LOG_FIELDS("throttle_refused");
		net_addr_ip_string(&peer, ip, sizeof(ip));
		f.vhost = l->vhost->name;
		f.client = ip;
		f.reason = "too many failed logins";
		log_event(LOG_LVL_WARN, &f,
			  "refused: client %s vhost %s: too many "
			  "failed logins (throttled)",
			  ip, l->vhost->name);
		return refuse(fd,
			      "421 Too many failed logins from your address; try again later.\r\n");
	}
	pid = take_spare(m, l, fd, client, proxy, &link);
	if (pid < 0) {
		log_msg(LOG_LVL_ERR, "refused: no spare session could be had from the zygote");
		return refuse(fd, "421 Service not available, please try later.\r\n");
	}
	track_session(m, pid, &peer, link);
	close(fd);
}

/* The header's destination may choose another vhost on this listener
 * (proxy_destination): one ftpsd behind one proxy, several public names. */
static void header_ready(void *ctx, size_t listener, int fd, const struct net_addr *client,
			 const struct net_addr *proxy, const struct net_addr *dst)
{
	struct master *m = ctx;
	struct listener chosen = m->ls.l[listener];
	struct net_addr local;

	if (dst && net_addr_from_local(&local, fd) == 0)
		chosen.vhost = proxy_vhost_for(m->cfg, chosen.vhost, &local, proxy, dst);
	start_session(m, &chosen, fd, client, proxy);
}

/* The one place a control connection's peer address enters: the socket's
 * own, unless it is a trusted proxy, whose header is awaited (the
 * connection is non-blocking until then). */
static void accepted(struct master *m, size_t listener, int fd)
{
	const struct listener *l = &m->ls.l[listener];
	struct net_addr peer;

	if (net_addr_from_peer(&peer, fd) < 0) {
		close(fd);
		return;
	}
	if (!proxy_is_trusted(&l->vhost->set, &peer)) {
		start_session(m, l, fd, &peer, NULL);
		return;
	}
	if (proxy_wait_add(&m->proxied, fd, listener, &peer) < 0) {
		char ip[NETADDR_STRLEN];
		net_addr_ip_string(&peer, ip, sizeof(ip));
		log_msg(LOG_LVL_WARN,
			"refused: connection from proxy %s: %d PROXY "
			"headers already awaited",
			ip, PROXY_WAIT_MAX);
		close(fd);
	}
}

static void accept_ready(struct master *m, size_t listener)
{
	const struct listener *l = &m->ls.l[listener];

	/* Drain the backlog: listeners are non-blocking. */
	for (int i = 0; i < 64; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_msg(LOG_LVL_ERR, "accept: %s", strerror(errno));
			return;
		}
		/* The session's sockets are blocking; only accept() is not
		 * (and recv while a PROXY header is awaited: MSG_DONTWAIT). */
		accepted(m, listener, fd);
	}
}

/* Each datagram is one failed login: the client's address, sent by a
 * monitor (root, ours); still checked for size. */
static void read_reports(struct master *m)
{
	const struct cfg_settings *g = &m->cfg->global;
	struct net_addr peer;

	for (int i = 0; i < 256; i++) {
		ssize_t n = recv(m->report_fd, &peer, sizeof(peer), MSG_DONTWAIT);
		if (n < 0)
			return;
		if (n != (ssize_t)sizeof(peer) || peer.len > sizeof(peer.ss))
			continue;
		peer = cidr_client_key(&peer, g->ipv6_client_prefix);
		throttle_record(m->throttle, &peer, time(NULL), g->login_throttle_window);
		if (throttle_blocked(m->throttle, &peer, time(NULL), g->login_throttle_fails,
				     g->login_throttle_window)) {
			char ip[NETADDR_STRLEN];
			struct log_fields f = LOG_FIELDS("throttled");
			net_addr_ip_string(&peer, ip, sizeof(ip));
			f.client = ip;
			f.reason = "failed logins";
			log_event(LOG_LVL_WARN, &f, "client %s throttled: %u failed logins in %u s",
				  ip, g->login_throttle_fails, g->login_throttle_window);
		}
	}
}

/* A generation whose zygote or key holder died is replaced: sessions in
 * progress keep theirs (the key holder of a dead zygote still serves its
 * links). */
static void restart_generation(struct master *m, const char *who, int status)
{
	char err[512];

	log_msg(LOG_LVL_ERR, "%s died (status %d); starting a new one", who, status);
	/* One that dies as soon as it starts would do so again, forever. */
	if (time(NULL) - m->gen_started < 2) {
		log_msg(LOG_LVL_ERR, "it died within 2 s of its start; stopping");
		m->stop = true;
		return;
	}
	pool_drain(&m->pool);
	generation_retire(&m->gen, &m->events);
	if (generation_start(&m->gen, m->cfg, m->env, err, sizeof(err)) < 0) {
		log_msg(LOG_LVL_ERR, "cannot start a new generation: %s; stopping", err);
		m->stop = true;
		return;
	}
	m->gen_started = time(NULL);
	generation_send_masq(&m->gen, m->masq, m->cfg->nvhosts);
}

static void refill(struct master *m);

/* A masquerade address changed (DNS or the NAT helper): sessions forked
 * from now on get the new value; spares forked before hold the old one,
 * so they go. */
static void masq_changed(struct master *m)
{
	generation_send_masq(&m->gen, m->masq, m->cfg->nvhosts);
	pool_drain(&m->pool);
	refill(m);
}

/* Our children: generations' zygotes and key holders, the NAT helper,
 * and (as a
 * subreaper) the sessions of retired zygotes. */
static void reap(struct master *m)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		bool changed;
		if (natmap_ctl_exited(&m->nat, pid, status, m->cfg, m->masq, &changed)) {
			if (changed)
				masq_changed(m);
		} else if (pid == m->gen.zygote || pid == m->gen.keys)
			restart_generation(
				m, pid == m->gen.zygote ? "the zygote" : "the key holder", status);
		else
			session_ended(pid, m);
	}
}

/* Spares are refilled after each round of accepts, off the path of the
 * connection that used one. */
static void refill(struct master *m)
{
	pool_fill(&m->pool, m->cfg->global.prefork_spares, &m->gen);
}

/* Make NEXT the configuration of new sessions: a new generation (keys and
 * certificates loaded now), the listeners it wants, fresh spares. Sessions
 * in progress keep the config, certificates, keys and log files they
 * started with (they are separate processes, and their key holder lives on
 * for them). On failure the old generation stays in service. WHAT names
 * the cause in the log. */
static int install(struct master *m, struct ftpsd_config *next, const char *what)
{
	struct generation gen;
	struct pasv_masq *masq;
	char err[512];
	bool nat_same;

	natmap_ctl_bound(next);
	nat_same = natmap_config_same(m->cfg, next);
	/* A broken key or certificate keeps the old generation in service. */
	if (generation_start(&gen, next, m->env, err, sizeof(err)) < 0) {
		log_msg(LOG_LVL_ERR, "%s: %s; keeping the old config", what, err);
		free(next);
		return -1;
	}
	if (listeners_sync(&m->ls, next, err, sizeof(err)) < 0) {
		log_msg(LOG_LVL_ERR, "%s: %s; keeping the old config", what, err);
		generation_retire(&gen, &m->events);
		free(next);
		return -1;
	}
	/* Spares were forked with the old config: replace them. Headers
	 * awaited name listeners of the old table. */
	pool_drain(&m->pool);
	proxy_wait_clear(&m->proxied);
	generation_retire(&m->gen, &m->events);
	m->gen = gen;
	m->gen_started = time(NULL);
	/* Names of the new config, starting from the last good values. */
	masq = resolver_start(next, m->cfg, m->masq);
	free(m->masq);
	m->masq = masq;
	free(m->cfg);
	m->cfg = next;
	generation_send_masq(&m->gen, m->masq, m->cfg->nvhosts);
	/* A reload that leaves the NAT settings alone keeps the mappings. */
	if (!nat_same || (m->nat.pid <= 0 && natmap_config_wanted(next))) {
		natmap_ctl_stop(&m->nat);
		(void)natmap_ctl_start(&m->nat, m->cfg, m->env);
	}
	return 0;
}

/* SIGHUP: re-read the config for new sessions. */
static void reload(struct master *m)
{
	struct ftpsd_config *next = calloc(1, sizeof(*next));

	if (!next)
		return;
	notify_reloading(&m->notify);
	if (config_load(next, m->opts->config_path, stderr) != 0 ||
	    config_check_environment(next, stderr) != 0 || config_read_files(next, stderr) != 0) {
		log_msg(LOG_LVL_ERR, "reload: %s has errors; keeping the old config",
			m->opts->config_path);
		free(next);
	} else if (install(m, next, "reload") == 0) {
		log_msg(LOG_LVL_INFO, "reloaded %s", m->opts->config_path);
		log_listeners(&m->ls);
		log_vhosts(m->cfg, m->masq);
	}
	notify_ready(&m->notify, m->nsessions);
}

/* A fresh open of PATH at fd number FD, so whoever holds the number (the
 * log sinks, the role_env of the next generation) writes to the new file. */
static int reopen_at(int fd, const char *path)
{
	int nfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);

	if (nfd < 0)
		return -1;
	if (nfd != fd && dup3(nfd, fd, O_CLOEXEC) < 0) {
		int saved = errno;
		close(nfd);
		errno = saved;
		return -1;
	}
	if (nfd != fd)
		close(nfd);
	return 0;
}

/* SIGUSR1 (logrotate's postrotate): the master reopens log_file and
 * xferlog_file (and vsftpd_log_file), then starts a new generation with the same config, so new
 * sessions write to the new files. Sessions in progress keep the file they
 * had until they end (they hold their own descriptors): rotate with a delay
 * (logrotate's delaycompress) rather than copytruncate. A path that cannot
 * be opened keeps the old file. */
static void reopen_logs(struct master *m)
{
	const struct cfg_settings *g = &m->cfg->global;
	struct ftpsd_config *same;

	if (m->env->log_fd >= 0 && g->log_file[0] && reopen_at(m->env->log_fd, g->log_file) < 0)
		log_msg(LOG_LVL_ERR, "reopen %s: %s; still writing the old file", g->log_file,
			strerror(errno));
	if (m->env->xferlog_fd >= 0 && g->xferlog_file[0] &&
	    reopen_at(m->env->xferlog_fd, g->xferlog_file) < 0)
		log_msg(LOG_LVL_ERR, "reopen %s: %s; still writing the old file", g->xferlog_file,
			strerror(errno));
	if (m->env->vsftpd_log_fd >= 0 && reopen_at(m->env->vsftpd_log_fd, g->vsftpd_log_file) < 0)
		log_msg(LOG_LVL_ERR, "reopen %s: %s; still writing the old file",
			g->vsftpd_log_file, strerror(errno));
	log_msg(LOG_LVL_INFO, "log files reopened");
	same = malloc(sizeof(*same));
	if (!same)
		return;
	memcpy(same, m->cfg, sizeof(*same));
	if (install(m, same, "log reopen") == 0)
		log_msg(LOG_LVL_INFO, "new sessions write to the reopened log files");
}

static void handle_signals(struct master *m)
{
	struct signalfd_siginfo si;

	while (read(m->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap(m);
		else if (si.ssi_signo == SIGHUP)
			reload(m);
		else if (si.ssi_signo == SIGUSR1)
			reopen_logs(m);
		else
			m->stop = true;
	}
}

static int daemonize(void)
{
	pid_t pid = fork();
	int null;

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -1;
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	close(null);
	return chdir("/");
}

static int write_pidfile(const char *path)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (fd < 0)
		return -1;
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* ftpsd -w (the sessions) or -T (the live NAT state), root only. */
static void who_request(struct master *m)
{
	uint16_t request;
	int c = who_accept(m->who_fd, &request);

	if (c < 0)
		return;
	if (request == PRIV_NAT_SHOW)
		natmap_ctl_describe(&m->nat, m->cfg, who_send_line, &c);
	else
		who_send_sessions(c, m->sessions, m->nsessions);
	who_send_end(c);
	close(c);
}

static void serve(struct master *m)
{
	struct pollfd pfd[LISTENERS_MAX + 5 + PROXY_WAIT_MAX];

	while (!m->stop) {
		size_t n = m->ls.n, np;
		pfd[0] = (struct pollfd){ .fd = m->sigfd, .events = POLLIN };
		for (size_t i = 0; i < n; i++)
			pfd[i + 1] = (struct pollfd){ .fd = m->ls.l[i].fd, .events = POLLIN };
		pfd[n + 1] = (struct pollfd){ .fd = m->report_fd, .events = POLLIN };
		pfd[n + 2] = (struct pollfd){ .fd = m->gen.link, .events = POLLIN };
		pfd[n + 3] = (struct pollfd){ .fd = m->nat.link, .events = POLLIN };
		pfd[n + 4] = (struct pollfd){ .fd = m->who_fd, .events = POLLIN };
		int timeout = m->masq ? resolver_timeout_ms(m->masq, m->cfg, time(NULL)) : -1;
		int headers = proxy_wait_timeout_ms(&m->proxied);
		np = proxy_wait_pollfds(&m->proxied, pfd + n + 5, PROXY_WAIT_MAX);
		if (headers >= 0 && (timeout < 0 || headers < timeout))
			timeout = headers;
		if (poll(pfd, n + 5 + np, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_LVL_ERR, "poll: %s", strerror(errno));
			return;
		}
		/* Dynamic DNS, and the address the gateway told. */
		if (m->masq && resolver_refresh(m->masq, m->cfg, time(NULL)))
			masq_changed(m);
		if (pfd[n + 3].revents && m->masq && natmap_ctl_read(&m->nat, m->cfg, m->masq))
			masq_changed(m);
		/* Sessions that ended, as the zygote saw them (a dead zygote
		 * shows up as SIGCHLD below). */
		if (pfd[n + 2].revents)
			(void)generation_read(&m->gen, &m->events);
		/* Reports first: a client that just failed is not let in again. */
		if (pfd[n + 1].revents & POLLIN)
			read_reports(m);
		/* Headers that arrived (or expired), then new connections. */
		proxy_wait_run(&m->proxied, pfd + n + 5, np, header_ready, m);
		for (size_t i = 0; i < n && !m->stop; i++)
			if (pfd[i + 1].revents & POLLIN)
				accept_ready(m, i);
		if (pfd[n + 4].revents & POLLIN)
			who_request(m);
		/* Last: a reload may replace the listener table. */
		if (pfd[0].revents & POLLIN)
			handle_signals(m);
		if (!m->stop)
			refill(m);
		if (m->nsessions != m->status_sent) {
			m->status_sent = m->nsessions;
			notify_status(&m->notify, m->nsessions);
		}
	}
}

int master_run(struct ftpsd_config *cfg, const struct master_opts *opts, struct role_env *env)
{
	struct master m = { .cfg = cfg,
			    .opts = opts,
			    .env = env,
			    .sigfd = -1,
			    .report_fd = -1,
			    .gen = { .link = -1 },
			    .nat = NATMAP_CTL_INIT,
			    .who_fd = -1,
			    .ls = { .inherited = opts->inherited } };
	char err[512];
	int report[2];

	m.events = (struct generation_events){ session_ended, spare_spawned, &m };
	if (monitor_prepare_empty_dir(cfg->global.secure_chroot_dir) < 0) {
		log_msg(LOG_LVL_ERR, "secure_chroot_dir %s: cannot create or unsafe",
			cfg->global.secure_chroot_dir);
		return 1;
	}
	if (listeners_sync(&m.ls, cfg, err, sizeof(err)) < 0) {
		log_msg(LOG_LVL_ERR, "%s", err);
		return 1;
	}
	natmap_ctl_bound(cfg);
	if (m.ls.inherited) {
		activation_close_unclaimed(m.ls.inherited);
		m.ls.inherited = NULL;
	}
	m.masq = resolver_start(cfg, NULL, NULL);
	notify_open(&m.notify);
	if (!opts->foreground && daemonize() < 0) {
		log_msg(LOG_LVL_ERR, "daemonize: %s", strerror(errno));
		return 1;
	}
	/* Named before the pid file says who we are: a reader of the pid
	 * file (a supervisor, a test) sees the master's name, never the
	 * daemonized child's "ftpsd" (test_daemon.py raced that). */
	sandbox_set_name("ftpsd-master");
	if (cfg->global.pid_file[0] && write_pidfile(cfg->global.pid_file) < 0)
		log_msg(LOG_LVL_WARN, "pid file %s: %s", cfg->global.pid_file, strerror(errno));
	/* Read at start only: a reload keeps the socket it has. */
	if (who_reserve_fds(cfg->global.max_clients) < 0)
		log_msg(LOG_LVL_WARN,
			"RLIMIT_NOFILE is below max_clients + 1024: the "
			"master may run out of descriptors (it keeps one per session)");
	snprintf(m.who_path, sizeof(m.who_path), "%s", cfg->global.who_socket);
	if (m.who_path[0] && (m.who_fd = who_listen(m.who_path, err, sizeof(err))) < 0)
		log_msg(LOG_LVL_WARN, "%s; ftpsd -w will not work", err);
	m.sigfd = block_signals(NULL);
	if (m.sigfd < 0) {
		log_msg(LOG_LVL_ERR, "signals: %s", strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Sessions of retired zygotes become ours to reap. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	/* Monitors write failed logins to report[1]; we read report[0]. */
	m.throttle = calloc(1, sizeof(*m.throttle));
	if (!m.throttle ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, report) < 0) {
		log_msg(LOG_LVL_ERR, "throttle: %s", strerror(errno));
		return 1;
	}
	m.report_fd = report[0];
	env->report_fd = report[1];
	if (cfg->global.seccomp_sandbox && sandbox_seccomp_apply(ROLE_MASTER, -1, false) < 0) {
		log_msg(LOG_LVL_ERR, "master seccomp filter: %s", strerror(errno));
		return 1;
	}
	if (generation_start(&m.gen, cfg, env, err, sizeof(err)) < 0) {
		log_msg(LOG_LVL_ERR, "TLS: %s", err);
		return 1;
	}
	m.gen_started = time(NULL);
	generation_send_masq(&m.gen, m.masq, cfg->nvhosts);
	log_listeners(&m.ls);
	log_vhosts(m.cfg, m.masq);
	(void)natmap_ctl_start(&m.nat, m.cfg, env);
	refill(&m);
	/* Every listener is open and the first generation is ready. */
	notify_ready(&m.notify, 0);
	serve(&m);
	notify_stopping(&m.notify, m.nsessions);
	natmap_ctl_stop(&m.nat);
	pool_drain(&m.pool);
	proxy_wait_clear(&m.proxied);
	free(m.proxied.c);
	generation_retire(&m.gen, &m.events);
	listeners_close_all(&m.ls);
	who_close(m.who_fd, m.who_path);
	if (m.cfg->global.pid_file[0])
		unlink(m.cfg->global.pid_file);
	log_msg(LOG_LVL_INFO, "stopping; %zu sessions finish on their own", m.nsessions);
	free(m.sessions);
	free(m.throttle);
	free(m.cfg);
	notify_close(&m.notify);
	return 0;
}

/* Inetd mode, the connection on fd 0 from a trusted proxy: its header,
 * read here (root, before anything else sees the connection) within the
 * deadline; one that does not come, or is broken, ends the connection.
 * Its destination may choose another vhost serving LOCAL: the one served. */
static const struct cfg_vhost *inetd_proxy_header(const struct ftpsd_config *cfg,
						  const struct cfg_vhost *vh,
						  const struct net_addr *local,
						  struct priv_assign *a)
{
	struct proxy_header h;
	const char *why;
	char ip[NETADDR_STRLEN];

	if (net_addr_from_peer(&a->proxy, 0) < 0 || !proxy_is_trusted(&vh->set, &a->proxy))
		return vh;
	if (proxy_read(0, PROXY_READ_TIMEOUT_MS, &h, &why) != PROXY_DONE) {
		struct log_fields f = LOG_FIELDS("proxy_refused");
		net_addr_ip_string(&a->proxy, ip, sizeof(ip));
		f.client = ip;
		f.reason = why;
		log_event(LOG_LVL_WARN, &f, "refused: connection from proxy %s: %s", ip, why);
		_exit(1);
	}
	a->proxied = 1;
	a->client = h.local ? a->proxy : h.src;
	return proxy_vhost_for(cfg, vh, local, &a->proxy, h.local ? NULL : &h.dst);
}

/* Inetd mode: this process was just exec'd, so it is clean; it starts a
 * key holder of its own and does the zygote's part itself before it
 * becomes the session's monitor. */
void inetd_run(const struct ftpsd_config *cfg, const struct role_env *renv)
{
	struct monitor_env env = { .xferlog_fd = renv->xferlog_fd,
				   .vsftpd_log_fd = renv->vsftpd_log_fd,
				   .report_fd = -1,
				   .key_fd = -1 };
	struct net_addr local;
	struct priv_assign a = { .proxied = 0 };
	const struct cfg_vhost *vh;
	bool implicit = false;
	char err[512];
	int kz[2];

	if (net_addr_from_local(&local, 0) < 0) {
		log_msg(LOG_LVL_ERR, "inetd mode: fd 0 is not a socket: %s", strerror(errno));
		_exit(1);
	}
	if (monitor_prepare_empty_dir(cfg->global.secure_chroot_dir) < 0) {
		log_msg(LOG_LVL_ERR, "secure_chroot_dir %s: cannot create or unsafe",
			cfg->global.secure_chroot_dir);
		_exit(1);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, kz) < 0 ||
	    role_spawn("keys", cfg, renv, &kz[1], 1) < 0) {
		log_msg(LOG_LVL_ERR, "key holder: %s", strerror(errno));
		_exit(1);
	}
	close(kz[1]);
	env.tls = zygote_receive_certs(kz[0], cfg, err, sizeof(err));
	if (!env.tls) {
		log_msg(LOG_LVL_ERR, "TLS: %s", err);
		_exit(1);
	}
	env.key_fd = zygote_key_link(kz[0]);
	close(kz[0]); /* the key holder serves our link, then exits */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, SIG_IGN); /* no log files of ours to reopen */
	env.masq = resolver_start(cfg, NULL, NULL);
	if (cfg->global.seccomp_sandbox && sandbox_seccomp_apply(ROLE_MASTER, -1, false) < 0) {
		log_msg(LOG_LVL_ERR, "seccomp filter: %s", strerror(errno));
		_exit(1);
	}
	vh = listeners_vhost_for(cfg, &local, &implicit);
	vh = inetd_proxy_header(cfg, vh, &local, &a);
	a.implicit_tls = implicit;
	monitor_run(cfg, vh, 0, &a, &env);
}
