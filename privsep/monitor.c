/* The monitor: one per session, root, the only process of a session with
 * privilege. It trusts nothing from the engine: each message is checked
 * for type, shape and the session state that allows it, and any violation
 * ends the session. */
#include "privsep/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/engine.h"
#include "daemon/listing.h"
#include "daemon/log.h"
#include "privsep/broker.h"
#include "privsep/pam_login.h"
#include "privsep/pasv.h"
#include "privsep/proto.h"
#include "privsep/relay.h"
#include "sandbox/sandbox.h"

enum mon_state { MON_PREAUTH = 1u << 0, MON_POSTAUTH = 1u << 1 };

struct monitor {
	struct session s;       /* the connection; copied into each engine */
	const struct monitor_env *env;
	int client_fd;          /* the TCP control connection */
	int ctrl_fd;            /* what engines speak FTP on: client_fd, or the
				 * plaintext side of the TLS relay */
	pid_t relay;
	int relay_fd;           /* privsep link to the relay, or -1 */
	struct priv_tls_session tls_sess; /* control session, for resumption */
	pid_t pid;              /* ours: children die with it */
	enum mon_state state;
	pid_t engine;
	int priv_fd;            /* monitor's end of the current link */
	unsigned fails;
	struct pam_login pam;
	uid_t uid;
	gid_t gid;
	char home[SESSION_PATH_MAX];
	bool done;
};

struct mon_handler {
	uint16_t type;
	unsigned states;
	void (*fn)(struct monitor *mon, struct priv_msg *m);
};

static void violation(struct monitor *mon, const char *what)
{
	log_msg(LOG_LVL_WARN, "violation: %s (client %s, user %s)", what,
		mon->s.peer_ip, mon->state == MON_POSTAUTH ? mon->pam.user : "-");
	mon->done = true;
}

static void stop_engine(struct monitor *mon)
{
	int status;

	if (mon->engine <= 0)
		return;
	kill(mon->engine, SIGKILL);
	while (waitpid(mon->engine, &status, 0) < 0 && errno == EINTR)
		;
	mon->engine = -1;
}

/* Fork an engine joined to us by a fresh privsep link. In the child,
 * BECOME turns it into its role; it then serves FTP. */
static int fork_engine(struct monitor *mon, const char *name,
		       void (*become)(struct monitor *mon),
		       const void *pending, size_t npending)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		int keep[] = { mon->ctrl_fd, sv[1] };
		sandbox_set_name(name);
		signal(SIGCHLD, SIG_DFL);
		sandbox_close_fds_except(keep, 2);
		mon->s.priv_fd = sv[1];
		ctrl_init(&mon->s.ctrl, mon->ctrl_fd, pending, npending);
		log_set_forward(engine_log_forward, &mon->s);
		become(mon);
		engine_run(&mon->s);
	}
	close(sv[1]);
	if (mon->priv_fd >= 0)
		close(mon->priv_fd);
	mon->priv_fd = sv[0];
	mon->engine = pid;
	return 0;
}

/* An engine must not keep private keys it does not use: the pre-auth
 * engine uses none, the user's engine only its vhost's, and only when data
 * connections may do full handshakes (require_ssl_reuse=NO). */
static void forget_tls(struct monitor *mon, bool keep_own)
{
	size_t own = (size_t)(mon->s.vhost - mon->s.cfg->vhosts);

	for (size_t i = 0; i < mon->s.cfg->nvhosts; i++) {
		struct tls_vhost *t = &mon->env->tls[i];
		if (keep_own && i == own) {
			if (mon->s.set->require_ssl_reuse) {
				SSL_CTX_free(t->full);
				t->full = NULL;
			}
			continue;
		}
		tls_vhost_free(t);
	}
}

/* Let the data contexts resume the control session by ID (TLS 1.2 without
 * tickets); tickets need nothing, they decrypt with the session key. */
static void install_control_session(struct monitor *mon)
{
	const struct tls_vhost *t = mon->s.tls;

	if (!mon->tls_sess.len)
		return;
	if (t->resume)
		(void)tls_session_import(t->resume, mon->tls_sess.der, mon->tls_sess.len);
	if (t->full)
		(void)tls_session_import(t->full, mon->tls_sess.der, mon->tls_sess.len);
	OPENSSL_cleanse(&mon->tls_sess, sizeof(mon->tls_sess));
}

static void become_preauth(struct monitor *mon)
{
	const struct cfg_settings *g = &mon->s.cfg->global;
	struct passwd *pw = getpwnam(g->nopriv_user);
	struct sandbox_identity id = { .root_dir = g->secure_chroot_dir };

	if (!pw) {
		ctrl_reply(&mon->s.ctrl, 421, "Service not available (nopriv_user).");
		_exit(1);
	}
	forget_tls(mon, false);
	id.uid = pw->pw_uid;
	id.gid = pw->pw_gid;
	if (sandbox_become(&id) < 0 || sandbox_harden() < 0) {
		ctrl_reply(&mon->s.ctrl, 421, "Service not available (sandbox).");
		_exit(1);
	}
	sandbox_die_with_parent(mon->pid);
	if (mon->s.set->ftpd_banner[0])
		ctrl_reply(&mon->s.ctrl, 220, "%s", mon->s.set->ftpd_banner);
	else
		ctrl_reply(&mon->s.ctrl, 220, "ftpsd ready.");
}

static void become_user(struct monitor *mon)
{
	const struct cfg_settings *set = mon->s.set;
	struct sandbox_identity id = {
		.uid = mon->uid,
		.gid = mon->gid,
		.user = mon->pam.user,
		.root_dir = set->chroot_local_user ? mon->home : NULL,
		.work_dir = set->chroot_local_user ? "/" : mon->home,
	};

	/* The session stays open in the monitor, which closes it. */
	pam_login_forget(&mon->pam);
	forget_tls(mon, true);
	install_control_session(mon);
	if (sandbox_become(&id) < 0 || sandbox_harden() < 0) {
		ctrl_reply(&mon->s.ctrl, 500, "Cannot change to home directory.");
		_exit(1);
	}
	sandbox_die_with_parent(mon->pid);
	umask((mode_t)set->local_umask);
	mon->s.logged_in = true;
	mon->s.chrooted = set->chroot_local_user;
	snprintf(mon->s.user, sizeof(mon->s.user), "%s", id.user);
	snprintf(mon->s.cwd, sizeof(mon->s.cwd), "%s", id.work_dir);
	ctrl_reply(&mon->s.ctrl, 230, "Login successful.");
}

static bool user_name_ok(const char *user)
{
	if (!user[0])
		return false;
	for (const char *p = user; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static void login_failed(struct monitor *mon, const char *user, const char *why)
{
	struct priv_msg reply;

	log_msg(LOG_LVL_WARN, "login failed: user %s client %s (%s)", user,
		mon->s.peer_ip, why);
	mon->fails++;
	/* The delay is ours, not the engine's, so a hostile engine cannot
	 * skip it. */
	if (mon->s.set->delay_failed_login)
		sleep(mon->s.set->delay_failed_login);
	priv_encode_login_result(&reply, mon->fails >= mon->s.set->max_login_fails ?
					     LOGIN_CLOSE : LOGIN_FAIL);
	if (priv_send(mon->priv_fd, &reply) < 0)
		mon->done = true;
}

static int lookup_account(struct monitor *mon)
{
	struct passwd *pw = getpwnam(mon->pam.user);

	if (!pw || strlen(pw->pw_dir) >= sizeof(mon->home))
		return -1;
	mon->uid = pw->pw_uid;
	mon->gid = pw->pw_gid;
	memcpy(mon->home, pw->pw_dir, strlen(pw->pw_dir) + 1);
	return 0;
}

static bool tls_login_required(const struct cfg_settings *set)
{
	return set->ssl_enable && set->force_local_logins_ssl;
}

static void on_login(struct monitor *mon, struct priv_msg *m)
{
	struct priv_login *l = calloc(1, sizeof(*l));
	char reason[256];

	if (!l || priv_decode_login(m, l) < 0 || !user_name_ok(l->user)) {
		violation(mon, "malformed LOGIN");
		goto out;
	}
	if (!mon->s.set->local_enable) {
		login_failed(mon, l->user, "local_enable=NO");
		goto out;
	}
	/* The engine refuses USER in plaintext already; this is the check
	 * that holds even if the engine is hostile. */
	if (tls_login_required(mon->s.set) && !mon->s.tls_control) {
		violation(mon, "LOGIN without TLS where TLS is required");
		goto out;
	}
	if (pam_login_open(&mon->pam, mon->s.set->pam_service_name, l->user,
			   l->pass, mon->s.peer_ip, reason, sizeof(reason)) < 0) {
		login_failed(mon, l->user, reason);
		goto out;
	}
	if (lookup_account(mon) < 0) {
		pam_login_close(&mon->pam);
		login_failed(mon, l->user, "no such account after PAM");
		goto out;
	}
	log_msg(LOG_LVL_INFO, "login ok: user %s client %s", mon->pam.user,
		mon->s.peer_ip);
	stop_engine(mon);
	mon->s.pbsz_done = (l->carry & CARRY_PBSZ) && mon->s.tls_control;
	mon->s.prot_private = (l->carry & CARRY_PROT_P) && mon->s.pbsz_done;
	mon->s.mlst_facts = l->mlst_facts & FACT_DEFAULT;
	mon->state = MON_POSTAUTH;
	if (fork_engine(mon, "ftpsd-engine", become_user, l->pending, l->npending) < 0) {
		log_msg(LOG_LVL_ERR, "cannot start engine: %s", strerror(errno));
		mon->done = true;
	}
out:
	if (l) {
		explicit_bzero(l, sizeof(*l));
		free(l);
	}
	explicit_bzero(m->body, m->len);
}

static void on_log(struct monitor *mon, struct priv_msg *m)
{
	struct priv_log v;

	if (priv_decode_log(m, &v) < 0)
		return violation(mon, "malformed LOG");
	log_line((int)v.level, v.line);
}

static void on_pasv(struct monitor *mon, struct priv_msg *m)
{
	const struct cfg_settings *set = mon->s.set;
	struct priv_pasv_result r = { .status = PASV_OK, .fd = -1 };
	struct net_addr bound;
	struct in_addr v4;
	struct priv_msg reply;
	uint32_t kind;
	unsigned in_use;

	if (priv_decode_pasv(m, &kind) < 0)
		return violation(mon, "malformed PASV");
	if (!set->pasv_enable ||
	    (kind == PASV_KIND_PASV && !net_addr_ipv4(&mon->s.local, &v4))) {
		r.status = PASV_REFUSED;
	} else if ((r.fd = broker_pasv_listen(set, &mon->s.local, &bound, &in_use)) < 0) {
		r.status = errno == EADDRINUSE ? PASV_EXHAUSTED : PASV_ERROR;
		if (r.status == PASV_EXHAUSTED)
			log_msg(LOG_LVL_WARN,
				"passive port range %u-%u exhausted (%u in use), client %s",
				set->pasv_min_port, set->pasv_max_port, in_use, mon->s.peer_ip);
		else
			log_msg(LOG_LVL_ERR, "passive listener: %s", strerror(errno));
	} else {
		pasv_choose_address(set, &mon->s.peer, &mon->s.local, &r.advertise);
		net_addr_set_port(&r.advertise, net_addr_port(&bound));
	}
	priv_encode_pasv_result(&reply, &r);
	if (priv_send(mon->priv_fd, &reply) < 0)
		mon->done = true;
	if (r.fd >= 0)
		close(r.fd);
}

/* wu-ftpd's xferlog format, which log analysers expect. */
static void write_xferlog(struct monitor *mon, const struct priv_xfer *x)
{
	char line[PRIV_PATH_MAX + 512], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%a %b %e %H:%M:%S %Y", &tm);
	n = snprintf(line, sizeof(line), "%s %llu %s %llu %s %c _ %c r %s ftp 0 * %c\n",
		     stamp, (unsigned long long)((x->msecs + 999) / 1000),
		     mon->s.peer_ip, (unsigned long long)x->bytes, x->path,
		     x->ascii ? 'a' : 'b', x->direction == XFER_DOWNLOAD ? 'o' : 'i',
		     mon->pam.user, x->complete ? 'c' : 'i');
	if (n > 0 && (size_t)n < sizeof(line) &&
	    write(mon->env->xferlog_fd, line, (size_t)n) < 0)
		log_msg(LOG_LVL_ERR, "xferlog: %s", strerror(errno));
}

static void on_xfer(struct monitor *mon, struct priv_msg *m)
{
	struct priv_xfer *x = calloc(1, sizeof(*x));

	if (!x || priv_decode_xfer(m, x) < 0) {
		free(x);
		return violation(mon, "malformed XFER");
	}
	/* The path is the engine's word; it is only ever logged. Control
	 * bytes in it are shown escaped by syslog, and a newline cannot
	 * forge a line: we cut at the first control byte. */
	for (char *p = x->path; *p; p++)
		if ((unsigned char)*p < 0x20) {
			*p = '\0';
			break;
		}
	log_msg(LOG_LVL_INFO, "transfer: user %s client %s %s %s %llu bytes%s",
		mon->pam.user, mon->s.peer_ip,
		x->direction == XFER_DOWNLOAD ? "RETR" : "STOR", x->path,
		(unsigned long long)x->bytes, x->complete ? "" : " (incomplete)");
	if (mon->env->xferlog_fd >= 0)
		write_xferlog(mon, x);
	free(x);
}

/* Fork the relay: it takes the TCP connection's TLS, we and the engines
 * speak plaintext on the other side of a socketpair from now on. */
static int start_relay(struct monitor *mon)
{
	const struct cfg_settings *g = &mon->s.cfg->global;
	int plain[2], link[2];
	pid_t pid;

	if (!mon->s.tls->full)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, plain) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, link) < 0) {
		close(plain[0]);
		close(plain[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		struct relay_args a = {
			.ctx = mon->s.tls->full,
			.client_fd = mon->client_fd,
			.plain_fd = plain[1],
			.monitor_fd = link[1],
			.nopriv_user = g->nopriv_user,
			.empty_dir = g->secure_chroot_dir,
			.handshake_timeout = mon->s.set->data_connection_timeout,
			.parent = mon->pid,
		};
		int keep[] = { mon->client_fd, plain[1], link[1] };
		sandbox_set_name("ftpsd-relay");
		sandbox_close_fds_except(keep, 3);
		relay_run(&a);
	}
	close(plain[1]);
	close(link[1]);
	if (pid < 0) {
		close(plain[0]);
		close(link[0]);
		return -1;
	}
	mon->relay = pid;
	mon->relay_fd = link[0];
	mon->ctrl_fd = plain[0];
	mon->s.tls_control = true;
	return 0;
}

static void on_auth_tls(struct monitor *mon, struct priv_msg *m)
{
	struct priv_msg reply;
	uint32_t status = 1;

	if (priv_decode_auth_tls(m) < 0)
		return violation(mon, "malformed AUTH_TLS");
	if (mon->s.tls_control)
		return violation(mon, "AUTH_TLS twice");
	if (mon->s.set->ssl_enable && start_relay(mon) == 0)
		status = 0;
	else if (mon->s.set->ssl_enable)
		log_msg(LOG_LVL_ERR, "cannot start TLS relay: %s", strerror(errno));
	priv_encode_auth_tls_result(&reply, status, mon->ctrl_fd);
	if (priv_send(mon->priv_fd, &reply) < 0)
		mon->done = true;
}

static void on_tls_session(struct monitor *mon, struct priv_msg *m)
{
	if (mon->tls_sess.len)
		return violation(mon, "TLS_SESSION twice");
	if (priv_decode_tls_session(m, &mon->tls_sess) < 0) {
		mon->tls_sess.len = 0;
		return violation(mon, "malformed TLS_SESSION");
	}
}

static const struct mon_handler handlers[] = {
	{ PRIV_LOG, MON_PREAUTH | MON_POSTAUTH, on_log },
	{ PRIV_LOGIN, MON_PREAUTH, on_login },
	{ PRIV_PASV, MON_POSTAUTH, on_pasv },
	{ PRIV_XFER, MON_POSTAUTH, on_xfer },
	{ PRIV_AUTH_TLS, MON_PREAUTH, on_auth_tls },
};

/* The relay's link carries only these. */
static const struct mon_handler relay_handlers[] = {
	{ PRIV_LOG, MON_PREAUTH | MON_POSTAUTH, on_log },
	{ PRIV_TLS_SESSION, MON_PREAUTH | MON_POSTAUTH, on_tls_session },
};

static void dispatch(struct monitor *mon, const struct mon_handler *table,
		     size_t n, struct priv_msg *m)
{
	for (size_t i = 0; i < n; i++) {
		if (table[i].type != m->type)
			continue;
		if (!(table[i].states & mon->state))
			return violation(mon, "message not allowed in this state");
		if (m->fd >= 0)
			return violation(mon, "unexpected fd");
		return table[i].fn(mon, m);
	}
	violation(mon, "unknown message type");
}

static void log_engine_end(struct monitor *mon)
{
	int status;
	pid_t pid;

	do
		pid = waitpid(mon->engine, &status, 0);
	while (pid < 0 && errno == EINTR);
	if (pid == mon->engine && WIFSIGNALED(status))
		log_msg(LOG_LVL_WARN, "engine of client %s killed by signal %d",
			mon->s.peer_ip, WTERMSIG(status));
	mon->engine = -1;
}

/* One message from the engine (FROM_RELAY false) or the relay. Returns -1
 * when the session is over. */
static int receive_one(struct monitor *mon, struct priv_msg *m, bool from_relay)
{
	int r = priv_recv(from_relay ? mon->relay_fd : mon->priv_fd, m);

	if (r == 0) {
		if (!from_relay)
			log_engine_end(mon);
		return -1; /* the engine quit, or TLS on the control connection ended */
	}
	if (r < 0) {
		if (errno == EPROTO)
			violation(mon, "malformed privsep message");
		return -1;
	}
	if (from_relay)
		dispatch(mon, relay_handlers,
			 sizeof(relay_handlers) / sizeof(relay_handlers[0]), m);
	else
		dispatch(mon, handlers, sizeof(handlers) / sizeof(handlers[0]), m);
	if (m->fd >= 0)
		close(m->fd);
	return 0;
}

static void serve(struct monitor *mon)
{
	struct priv_msg *m = malloc(sizeof(*m));

	if (!m)
		return;
	while (!mon->done) {
		struct pollfd p[2] = {
			{ .fd = mon->priv_fd, .events = POLLIN },
			{ .fd = mon->relay_fd, .events = POLLIN },
		};
		if (poll(p, mon->relay_fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents && receive_one(mon, m, false) < 0)
			break;
		if (mon->relay_fd >= 0 && p[1].revents && !mon->done &&
		    receive_one(mon, m, true) < 0)
			break;
	}
	free(m);
}

/* After the engine: closing our copy of the plaintext side lets the relay
 * send close_notify; then it exits by itself. A relay stuck on a client
 * that does not read is bounded by its socket timeouts. */
static void stop_relay(struct monitor *mon)
{
	int status;

	if (mon->relay <= 0)
		return;
	close(mon->ctrl_fd);
	mon->ctrl_fd = -1;
	while (waitpid(mon->relay, &status, 0) < 0 && errno == EINTR)
		;
	mon->relay = -1;
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

static void init_session(struct monitor *mon, const struct ftpsd_config *cfg,
			 const struct cfg_vhost *vhost)
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
	net_addr_ip_string(&mon->s.peer, mon->s.peer_ip, sizeof(mon->s.peer_ip));
}

void monitor_run(const struct ftpsd_config *cfg, const struct cfg_vhost *vhost,
		 int client_fd, bool implicit_tls, const struct monitor_env *env)
{
	static struct monitor mon;

	sandbox_set_name("ftpsd-monitor");
	mon.pid = getpid();
	mon.env = env;
	mon.engine = -1;
	mon.relay = -1;
	mon.priv_fd = -1;
	mon.relay_fd = -1;
	mon.state = MON_PREAUTH;
	mon.client_fd = settle_fds(client_fd, env->keep_stderr);
	if (mon.client_fd < 0)
		_exit(1);
	mon.ctrl_fd = mon.client_fd;
	init_session(&mon, cfg, vhost);
	mon.s.tls = &env->tls[vhost - cfg->vhosts];
	log_msg(LOG_LVL_INFO, "session start: client %s vhost %s%s", mon.s.peer_ip,
		vhost->name, implicit_tls ? " (implicit TLS)" : "");
	if (vhost->set.ssl_enable && tls_session_key_new() < 0)
		_exit(1);
	if (implicit_tls && start_relay(&mon) < 0) {
		log_msg(LOG_LVL_ERR, "cannot start TLS relay: %s", strerror(errno));
		_exit(1);
	}
	if (fork_engine(&mon, "ftpsd-preauth", become_preauth, NULL, 0) < 0) {
		log_msg(LOG_LVL_ERR, "cannot start engine: %s", strerror(errno));
		_exit(1);
	}
	serve(&mon);
	stop_engine(&mon);
	stop_relay(&mon);
	if (mon.ctrl_fd >= 0 && mon.ctrl_fd != mon.client_fd)
		close(mon.ctrl_fd);
	close(mon.client_fd);
	pam_login_close(&mon.pam);
	log_msg(LOG_LVL_INFO, "session end: client %s", mon.s.peer_ip);
	_exit(0);
}
