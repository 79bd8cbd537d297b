/* The monitor: one per session, root, the only process of a session with
 * privilege. It trusts nothing from the engine: each message is checked
 * for type, shape and the session state that allows it, and any violation
 * ends the session. */
#include "privsep/monitor.h"

#include <errno.h>
#include <fcntl.h>
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
#include "sandbox/sandbox.h"

enum mon_state { MON_PREAUTH = 1u << 0, MON_POSTAUTH = 1u << 1 };

struct monitor {
	struct session s;       /* the connection; copied into each engine */
	const struct monitor_env *env;
	int client_fd;
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
		int keep[] = { mon->client_fd, sv[1] };
		sandbox_set_name(name);
		signal(SIGCHLD, SIG_DFL);
		sandbox_close_fds_except(keep, 2);
		mon->s.priv_fd = sv[1];
		ctrl_init(&mon->s.ctrl, mon->client_fd, pending, npending);
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

static void become_preauth(struct monitor *mon)
{
	const struct cfg_settings *g = &mon->s.cfg->global;
	struct passwd *pw = getpwnam(g->nopriv_user);
	struct sandbox_identity id = { .root_dir = g->secure_chroot_dir };

	if (!pw) {
		ctrl_reply(&mon->s.ctrl, 421, "Service not available (nopriv_user).");
		_exit(1);
	}
	id.uid = pw->pw_uid;
	id.gid = pw->pw_gid;
	if (sandbox_become(&id) < 0 || sandbox_harden() < 0) {
		ctrl_reply(&mon->s.ctrl, 421, "Service not available (sandbox).");
		_exit(1);
	}
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
	if (sandbox_become(&id) < 0 || sandbox_harden() < 0) {
		ctrl_reply(&mon->s.ctrl, 500, "Cannot change to home directory.");
		_exit(1);
	}
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

static const struct mon_handler handlers[] = {
	{ PRIV_LOG, MON_PREAUTH | MON_POSTAUTH, on_log },
	{ PRIV_LOGIN, MON_PREAUTH, on_login },
	{ PRIV_PASV, MON_POSTAUTH, on_pasv },
	{ PRIV_XFER, MON_POSTAUTH, on_xfer },
};

static void dispatch(struct monitor *mon, struct priv_msg *m)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		if (handlers[i].type != m->type)
			continue;
		if (!(handlers[i].states & mon->state))
			return violation(mon, "message not allowed in this state");
		if (m->fd >= 0)
			return violation(mon, "unexpected fd from engine");
		return handlers[i].fn(mon, m);
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

static void serve(struct monitor *mon)
{
	struct priv_msg *m = malloc(sizeof(*m));

	if (!m)
		return;
	while (!mon->done) {
		int r = priv_recv(mon->priv_fd, m);
		if (r == 0) {
			log_engine_end(mon);
			break;
		}
		if (r < 0) {
			if (errno != EPROTO && errno != ECONNRESET)
				break;
			violation(mon, "malformed privsep message");
			break;
		}
		dispatch(mon, m);
		if (m->fd >= 0)
			close(m->fd);
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
		 int client_fd, const struct monitor_env *env)
{
	static struct monitor mon;

	sandbox_set_name("ftpsd-monitor");
	mon.env = env;
	mon.engine = -1;
	mon.priv_fd = -1;
	mon.state = MON_PREAUTH;
	mon.client_fd = settle_fds(client_fd, env->keep_stderr);
	if (mon.client_fd < 0)
		_exit(1);
	init_session(&mon, cfg, vhost);
	log_msg(LOG_LVL_INFO, "session start: client %s vhost %s", mon.s.peer_ip,
		vhost->name);
	if (fork_engine(&mon, "ftpsd-preauth", become_preauth, NULL, 0) < 0) {
		log_msg(LOG_LVL_ERR, "cannot start engine: %s", strerror(errno));
		_exit(1);
	}
	serve(&mon);
	stop_engine(&mon);
	close(mon.client_fd);
	pam_login_close(&mon.pam);
	log_msg(LOG_LVL_INFO, "session end: client %s", mon.s.peer_ip);
	_exit(0);
}
