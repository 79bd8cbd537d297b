/* The monitor: one per session, root, the only process of a session with
 * privilege. It trusts nothing from the engine: each message is checked
 * for type, shape and the session state that allows it, and any violation
 * ends the session. */
#include "monitor/vsftpd_log.h"
#include "common/proctitle.h"
#include "monitor/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <nss.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/listing.h"
#include "common/log.h"
#include "common/memtrim.h"
#include "engine/perm.h"
#include "config/vhosts.h"
#include "engine/port.h"
#include "tls/tls_proxy.h"
#include "monitor/active.h"
#include "monitor/broker.h"
#include "monitor/pam_login.h"
#include "monitor/who_state.h"
#include "config/pasv.h"
#include "privsep/proto.h"
#include "relay/relay.h"
#include "tls/tls13_record.h"
#include "config/users.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp.h"

/* Seconds a send to the engine or relay may block before the session ends. */
#define PRIV_SEND_TIMEOUT 10

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
	struct users_account acct;    /* who the login became (config/users.c) */
	struct cfg_settings user_set; /* the vhost's settings + user_config_dir */
	bool done;
	bool tls_ready;         /* the relay reported its handshake */
	bool quiet_start;       /* next pre-auth engine sends no 220 (SNI switch) */
	int key_fd;             /* link to the key holder, -1 once not needed */
	unsigned handshake_signs; /* signatures for the control handshake */
	bool data_sign_ok;      /* a brokered data connection may sign once */
	long long login_deadline; /* CLOCK_MONOTONIC ms; 0 = none */
	int master_fd;          /* the master's link (ftpsd -w), or -1 */
	long long started_ms;   /* CLOCK_MONOTONIC, when the session began */
	struct who_xfer who;    /* the transfer in progress, as reported */
};

struct mon_handler {
	uint16_t type;
	unsigned states;
	void (*fn)(struct monitor *mon, struct priv_msg *m);
};

/* The only engine message that carries an fd. */
static bool carries_fd(uint16_t type)
{
	return type == PRIV_CHOWN_UPLOAD;
}

static void violation(struct monitor *mon, const char *what)
{
	struct log_fields f = LOG_FIELDS("violation");

	f.vhost = mon->s.vhost ? mon->s.vhost->name : NULL;
	f.client = mon->s.peer_ip;
	f.user = mon->state == MON_POSTAUTH ? mon->pam.user : NULL;
	f.reason = what;
	log_event(LOG_LVL_WARN, &f, "violation: %s (client %s, user %s)", what,
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
	/* Its link goes with it: serve() must not wait on a dead one. */
	if (mon->priv_fd >= 0)
		close(mon->priv_fd);
	mon->priv_fd = -1;
}

/* A peer that stops reading cannot block us: our sends time out. */
static void bound_sends(int link)
{
	struct timeval tv = { .tv_sec = PRIV_SEND_TIMEOUT };

	(void)setsockopt(link, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
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
	bound_sends(sv[0]);
	mon->engine = pid;
	return 0;
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

/* In a spare's pre-auth engine: the connection arrives from the monitor.
 * The monitor is trusted here (it is the privileged side), but the
 * message is still checked like any other. */
static void wait_for_start(struct monitor *mon)
{
	struct priv_msg m;
	struct priv_start st;

	if (priv_recv(mon->s.priv_fd, &m) != 1 || m.type != PRIV_START ||
	    priv_decode_start(&m, &st) < 0 || st.vhost >= mon->s.cfg->nvhosts)
		_exit(1);
	mon->s.vhost = &mon->s.cfg->vhosts[st.vhost];
	mon->s.set = &mon->s.vhost->set;
	mon->s.peer = st.peer;
	mon->s.local = st.local;
	net_addr_ip_string(&st.peer, mon->s.peer_ip, sizeof(mon->s.peer_ip));
	ctrl_init(&mon->s.ctrl, m.fd, NULL, 0);
}

static void become_preauth(struct monitor *mon)
{
	const struct cfg_settings *g = &mon->s.cfg->global;
	struct passwd *pw = getpwnam(g->nopriv_user);
	struct sandbox_identity id = { .root_dir = g->secure_chroot_dir,
				       .new_netns = g->isolate_network };

	if (!pw) {
		ctrl_reply(&mon->s.ctrl, 421, "Service not available (nopriv_user).");
		_exit(1);
	}
	id.uid = pw->pw_uid;
	id.gid = pw->pw_gid;
	if (sandbox_become(&id) < 0 || sandbox_harden(SANDBOX_FILES) < 0) {
		ctrl_reply(&mon->s.ctrl, 421, "Service not available (sandbox).");
		_exit(1);
	}
	sandbox_die_with_parent(mon->pid);
	if (g->seccomp_sandbox &&
	    sandbox_seccomp_apply(ROLE_PREAUTH, mon->s.priv_fd, true) < 0) {
		ctrl_reply(&mon->s.ctrl, 421, "Service not available (seccomp).");
		_exit(1);
	}
	if (mon->s.ctrl.fd < 0)
		wait_for_start(mon); /* a spare: forked before its connection */
	if (mon->quiet_start)
		return; /* after AUTH TLS the client expects no greeting */
	if (mon->s.set->banner_text[0])
		ctrl_reply_text(&mon->s.ctrl, 220, mon->s.set->banner_text,
				strlen(mon->s.set->banner_text),
				mon->s.set->ftpd_banner[0] ? mon->s.set->ftpd_banner :
							     "ftpsd ready.");
	else if (mon->s.set->ftpd_banner[0])
		ctrl_reply(&mon->s.ctrl, 220, "%s", mon->s.set->ftpd_banner);
	else
		ctrl_reply(&mon->s.ctrl, 220, "ftpsd ready.");
}

static void become_user(struct monitor *mon)
{
	const struct users_account *a = &mon->acct;
	struct sandbox_identity id = {
		.uid = a->uid,
		.gid = a->gid,
		.user = a->account,
		.root_dir = a->chroot ? a->root : NULL,
		.work_dir = a->work_dir,
		.new_netns = mon->s.cfg->global.isolate_network,
	};

	/* The session stays open in the monitor, which closes it. */
	pam_login_forget(&mon->pam);
	/* Names in listings come from the files alone: no NSS module gets
	 * loaded or opens a socket under the seccomp filter. */
	__nss_configure_lookup("passwd", "files");
	__nss_configure_lookup("group", "files");
	install_control_session(mon);
	if (mon->s.ctrl_tls.suite && ctrl_start_tls(&mon->s.ctrl, &mon->s.ctrl_tls) < 0)
		_exit(1);
	OPENSSL_cleanse(&mon->s.ctrl_tls, sizeof(mon->s.ctrl_tls));
	/* Full data handshakes (require_ssl_reuse=NO) sign through us. */
	tls_proxy_set_channel(mon->s.priv_fd);
	if (sandbox_become(&id) < 0 || sandbox_harden(SANDBOX_FILES) < 0) {
		log_msg(LOG_LVL_ERR, "user %s: cannot become the user: %s", a->login,
			strerror(errno));
		ctrl_reply(&mon->s.ctrl, 500, "Cannot change to home directory.");
		_exit(1);
	}
	sandbox_die_with_parent(mon->pid);
	umask((mode_t)a->umask);
	mon->s.logged_in = true;
	mon->s.chrooted = a->chroot;
	mon->s.anonymous = a->kind == USERS_ANON;
	mon->s.anon_privs = a->anon_privs;
	snprintf(mon->s.user, sizeof(mon->s.user), "%s", a->login);
	snprintf(mon->s.cwd, sizeof(mon->s.cwd), "%s", id.work_dir);
	snprintf(mon->s.home, sizeof(mon->s.home), "%s", id.work_dir);
	/* A session that may change nothing gets a filter that cannot. */
	if (mon->s.cfg->global.seccomp_sandbox &&
	    sandbox_seccomp_apply(ROLE_ENGINE, mon->s.priv_fd,
				  !perm_upload(&mon->s) && !perm_mkdir(&mon->s) &&
					  !perm_modify(&mon->s)) < 0) {
		ctrl_reply(&mon->s.ctrl, 421, "Service not available (seccomp).");
		_exit(1);
	}
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

/* A vsftpd_log_file line (xferlog_std_format=NO, dual_log_enable). */
static void vsftpd_log(struct monitor *mon, enum vsftpd_log_event ev, bool ok,
		       const char *user, const struct priv_xfer *x)
{
	struct vsftpd_log_entry e = {
		.event = ev, .ok = ok, .when = time(NULL), .pid = getpid(),
		.user = user, .client = mon->s.peer_ip,
	};

	if (mon->env->vsftpd_log_fd < 0)
		return;
	if (x) {
		e.path = x->path;
		e.bytes = x->bytes;
		e.msecs = x->msecs;
	}
	vsftpd_log_write(mon->env->vsftpd_log_fd, &e);
}

static void login_failed(struct monitor *mon, const char *user, const char *why)
{
	struct priv_msg reply;
	struct log_fields f = LOG_FIELDS("login_failed");

	f.vhost = mon->s.vhost ? mon->s.vhost->name : NULL;
	f.client = mon->s.peer_ip;
	f.user = user;
	f.reason = why;
	log_event(LOG_LVL_WARN, &f, "login failed: user %s client %s (%s)", user,
		  mon->s.peer_ip, why);
	vsftpd_log(mon, VSFTPD_LOG_LOGIN, false, user, NULL);
	/* The master counts failures per address across sessions. */
	if (mon->env->report_fd >= 0)
		(void)send(mon->env->report_fd, &mon->s.peer, sizeof(mon->s.peer),
			   MSG_DONTWAIT | MSG_NOSIGNAL);
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

/* SET with LOGIN's user_config_dir file applied, into mon->user_set. A
 * file that exists but is refused refuses the login: it may have been
 * meant to restrict this user. */
static int load_user_config(struct monitor *mon, const char *login)
{
	char path[USERS_PATH_MAX], *text = NULL;
	size_t len = 0;
	FILE *err;
	int n;

	mon->user_set = *mon->s.set;
	if (users_config_path(mon->s.set, login, path, sizeof(path)) < 0)
		return 0;
	err = open_memstream(&text, &len);
	if (!err)
		return -1;
	n = config_apply_user_file(&mon->user_set, path, err);
	if (n < 0 && errno != ENOENT)
		fprintf(err, "%s: cannot read: %s\n", path, strerror(errno));
	fclose(err);
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		log_msg(LOG_LVL_ERR, "user_config_dir: %s", line);
	}
	free(text);
	return n > 0 || (n < 0 && errno != ENOENT) ? -1 : 0;
}

/* The name PAM returned, when it is not the one typed: a printable name
 * the user list lets in as well. False with REASON set otherwise. */
static bool settled_name_allowed(const struct monitor *mon, const char *typed,
				 char *reason, size_t size)
{
	const char *why;

	if (strcmp(mon->pam.user, typed) == 0)
		return true;
	if (!user_name_ok(mon->pam.user)) {
		snprintf(reason, size, "PAM returned an unusable user name");
		return false;
	}
	if (!users_userlist_allows(mon->s.set, mon->pam.user, &why)) {
		snprintf(reason, size, "%s (as %.64s, the name PAM settled on)", why,
			 mon->pam.user);
		return false;
	}
	return true;
}

/* From here on the name is the one PAM settled on (a module may map the
 * typed one to another): the user list again, user_config_dir, the chroot
 * list and the account all go by it. 0, or -1 with REASON set. */
static int settle_account(struct monitor *mon, enum users_kind kind, const char *typed,
			  char *reason, size_t size)
{
	if (!settled_name_allowed(mon, typed, reason, size))
		return -1;
	if (load_user_config(mon, mon->pam.user) < 0) {
		snprintf(reason, size, "user_config_dir file refused");
		return -1;
	}
	return users_resolve(&mon->user_set, kind, mon->pam.user, &mon->acct, reason, size);
}

/* vsftpd's names: "ftp" and "anonymous" are anonymous only when
 * anonymous_enable; otherwise they are ordinary local user names. */
static enum users_kind login_kind(const struct cfg_settings *set, const char *user)
{
	if (set->anonymous_enable && users_is_anon_name(user))
		return USERS_ANON;
	return set->guest_enable ? USERS_GUEST : USERS_LOCAL;
}

static bool tls_login_required(const struct cfg_settings *set, enum users_kind kind)
{
	return set->ssl_enable && (kind == USERS_ANON ? set->force_anon_logins_ssl :
							set->force_local_logins_ssl);
}

/* After login nothing forks or switches identity again: keep only the
 * capabilities the rest of the session uses (port 20, killing the engine,
 * chown of uploads, audit for PAM's close) and the seccomp filter. */
static int lock_down(struct monitor *mon)
{
	static const cap_value_t after_login[] = {
		CAP_CHOWN, CAP_FOWNER, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE,
	};

	if (sandbox_limit_bounding_set(after_login, sizeof(after_login) /
							    sizeof(after_login[0])) < 0)
		return -1;
	if (!mon->s.cfg->global.seccomp_sandbox)
		return 0;
	return sandbox_seccomp_apply(ROLE_MONITOR, -1, false);
}

/* After login the key holder is needed only for full data handshakes. */
static void drop_key_link(struct monitor *mon)
{
	if (mon->key_fd >= 0 && (!mon->s.set->ssl_enable || mon->s.set->require_ssl_reuse)) {
		close(mon->key_fd);
		mon->key_fd = -1;
	}
}

/* Bytes the relay forwarded that the pre-auth engine did not read: the
 * user's engine starts with them after the ones the pre-auth engine had.
 * 0, or -1 if they do not fit (a client pipelining kilobytes at login). */
static int drain_plaintext(struct monitor *mon, struct priv_login *l)
{
	struct pollfd p = { .fd = mon->ctrl_fd, .events = POLLIN };

	while (poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP))) {
		size_t room = sizeof(l->pending) - l->npending;
		ssize_t n = room ? read(mon->ctrl_fd, l->pending + l->npending, room) : -1;

		if (n == 0)
			return 0; /* the relay is gone: nothing more comes */
		if (n < 0)
			return errno == EINTR ? 0 : -1;
		l->npending += (uint32_t)n;
	}
	return 0;
}

static void on_relay_log(struct monitor *mon, struct priv_msg *m);

/* At login, ask the relay for the control connection's TLS records
 * (tls/tls13_record.h): the user's engine then speaks them and the relay
 * ends, so an idle session is two processes. A relay that cannot (TLS 1.2,
 * a KeyUpdate, bytes inside OpenSSL) says so and stays. Its answer is
 * checked like any other, and it is killed before the engine exists, so
 * no two processes ever read the connection at once. */
static void take_over_relay(struct monitor *mon, struct priv_login *l)
{
	struct priv_msg *m = malloc(sizeof(*m));
	struct priv_tls_keys k = { 0 };
	struct pollfd p = { .fd = mon->relay_fd, .events = POLLIN };
	int status;
	int r;

	if (!m)
		goto out;
	priv_encode_relay_handoff(m);
	if (priv_send(mon->relay_fd, m) < 0)
		goto out; /* gone: the session ends with it */
	while ((r = poll(&p, 1, 10000)) == 1 && (r = priv_recv(mon->relay_fd, m)) == 1 &&
	       m->type == PRIV_LOG)
		on_relay_log(mon, m);
	if (r != 1) {
		/* Gone or stuck (killed, or its client hung up): no answer is
		 * not a hostile one; the session ends. */
		log_msg(LOG_LVL_INFO, "client %s: the relay ended before the handoff",
			mon->s.peer_ip);
		mon->done = true;
		goto out;
	}
	if (m->type != PRIV_TLS_HANDOFF || (r = priv_decode_tls_handoff(m, &k)) < 0 ||
	    (r == 1 && !tls13_suite_ok(k.suite, k.secret_len))) {
		violation(mon, "no valid TLS_HANDOFF from the relay");
		goto out;
	}
	if (r == 0)
		goto out; /* the relay stays for the session */
	kill(mon->relay, SIGKILL);
	while (waitpid(mon->relay, &status, 0) < 0 && errno == EINTR)
		;
	mon->relay = -1;
	close(mon->relay_fd);
	mon->relay_fd = -1;
	if (drain_plaintext(mon, l) < 0) {
		log_msg(LOG_LVL_INFO, "client %s: too much pipelined at login",
			mon->s.peer_ip);
		mon->done = true;
		goto out;
	}
	close(mon->ctrl_fd);
	mon->ctrl_fd = mon->client_fd;
	mon->s.ctrl_tls = k;
out:
	OPENSSL_cleanse(&k, sizeof(k));
	if (m)
		OPENSSL_cleanse(m, sizeof(*m));
	free(m);
}

static void on_login(struct monitor *mon, struct priv_msg *m)
{
	struct priv_login *l = calloc(1, sizeof(*l));
	char reason[256];
	const char *why;
	enum users_kind kind;

	if (!l || priv_decode_login(m, l) < 0 || !user_name_ok(l->user)) {
		violation(mon, "malformed LOGIN");
		goto out;
	}
	/* Our count, not the engine's: one that ignores LOGIN_CLOSE gets no
	 * more guesses. */
	if (mon->fails >= mon->s.set->max_login_fails) {
		violation(mon, "LOGIN after the last allowed failure");
		goto out;
	}
	kind = login_kind(mon->s.set, l->user);
	if (kind != USERS_ANON && !mon->s.set->local_enable) {
		login_failed(mon, l->user, "local_enable=NO");
		goto out;
	}
	/* The engine refuses USER in plaintext already; this is the check
	 * that holds even if the engine is hostile. */
	if (tls_login_required(mon->s.set, kind) && !mon->s.tls_control) {
		violation(mon, "LOGIN without TLS where TLS is required");
		goto out;
	}
	/* Before PAM, with the same reply and delay as a wrong password, so
	 * the list cannot be probed and PAM never sees a refused name. */
	if (!users_userlist_allows(mon->s.set, l->user, &why)) {
		login_failed(mon, l->user, why);
		goto out;
	}
	if (kind == USERS_ANON && !users_anon_password_ok(mon->s.set, l->pass, &why)) {
		login_failed(mon, l->user, why);
		goto out;
	}
	if (kind == USERS_ANON) {
		/* Any password (vsftpd): no PAM. The name is kept for logs. */
		snprintf(mon->pam.user, sizeof(mon->pam.user), "%s", l->user);
	} else if (pam_login_open(&mon->pam, mon->s.set->pam_service_name, l->user,
				  l->pass, mon->s.peer_ip, reason, sizeof(reason)) < 0) {
		login_failed(mon, l->user, reason);
		goto out;
	}
	if (settle_account(mon, kind, l->user, reason, sizeof(reason)) < 0) {
		pam_login_close(&mon->pam);
		memset(mon->pam.user, 0, sizeof(mon->pam.user));
		login_failed(mon, l->user, reason);
		goto out;
	}
	/* The password is spent: nothing forked from here may inherit it. */
	explicit_bzero(l->pass, sizeof(l->pass));
	explicit_bzero(m->body, m->len);
	mon->s.set = &mon->user_set;
	{
		struct log_fields f = LOG_FIELDS("login_ok");
		f.vhost = mon->s.vhost ? mon->s.vhost->name : NULL;
		f.client = mon->s.peer_ip;
		f.user = mon->pam.user;
		f.reason = kind == USERS_ANON ? "anonymous" :
			   kind == USERS_GUEST ? "guest" : NULL;
		log_event(LOG_LVL_INFO, &f, "login ok: user %s client %s%s%s",
			  mon->pam.user, mon->s.peer_ip,
			  kind == USERS_ANON ? " (anonymous)" : "",
			  kind == USERS_GUEST ? " (guest)" : "");
		vsftpd_log(mon, VSFTPD_LOG_LOGIN, true, mon->pam.user, NULL);
		if (mon->s.cfg->global.setproctitle_enable)
			proctitle_set("ftpsd: %s: %s", mon->s.peer_ip, mon->pam.user);
	}
	/* vsftpd's delay_successful_login: ours, as delay_failed_login is. */
	if (mon->s.set->delay_successful_login)
		sleep(mon->s.set->delay_successful_login);
	stop_engine(mon);
	if (mon->relay > 0)
		take_over_relay(mon, l);
	if (mon->done)
		goto out;
	mon->s.pbsz_done = (l->carry & CARRY_PBSZ) && mon->s.tls_control;
	mon->s.prot_private = (l->carry & CARRY_PROT_P) && mon->s.pbsz_done;
	mon->s.mlst_facts = l->mlst_facts & FACT_DEFAULT;
	mon->state = MON_POSTAUTH;
	/* Give back what PAM freed (heap, and the deep stack of its hashing)
	 * before the engine shares our pages: a trim in either process after
	 * the fork would write to (and so copy) pages the two still share. */
	mem_release_unused();
	if (fork_engine(mon, "ftpsd-engine", become_user, l->pending, l->npending) < 0) {
		log_msg(LOG_LVL_ERR, "cannot start engine: %s", strerror(errno));
		mon->done = true;
	}
	OPENSSL_cleanse(&mon->s.ctrl_tls, sizeof(mon->s.ctrl_tls));
	if (!mon->done && lock_down(mon) < 0) {
		log_msg(LOG_LVL_ERR, "monitor lock-down: %s", strerror(errno));
		mon->done = true;
	}
	drop_key_link(mon);
out:
	if (l) {
		explicit_bzero(l, sizeof(*l));
		free(l);
	}
	explicit_bzero(m->body, m->len);
}

/* From now on the session belongs to vhost VI: its banner, policies,
 * certificate and passive settings. Only before login. */
static void switch_vhost(struct monitor *mon, int vi, const char *how)
{
	const struct cfg_vhost *vh = &mon->s.cfg->vhosts[vi];

	log_msg(LOG_LVL_INFO, "client %s: %s selects vhost %s (was %s)",
		mon->s.peer_ip, how, vh->name, mon->s.vhost->name);
	mon->s.vhost = vh;
	mon->s.set = &vh->set;
	mon->s.tls = &mon->env->tls[vi];
}

/* HOST (RFC 7151). Untrusted: from the pre-auth engine. The name is looked
 * up here, among the vhosts that serve the address the client reached. */
static void on_host(struct monitor *mon, struct priv_msg *m)
{
	struct priv_host *h = calloc(1, sizeof(*h));
	struct priv_msg reply;
	char how[PRIV_HOST_NAME_MAX + 8];
	int vi;

	if (!h || priv_decode_host(m, h) < 0) {
		free(h);
		return violation(mon, "malformed HOST");
	}
	if (mon->s.host_done) {
		free(h);
		return violation(mon, "HOST after a HOST");
	}
	for (char *p = h->name; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			*p = '?'; /* only ever logged or compared */
	vi = vhost_find_by_name(mon->s.cfg, &mon->s.local, h->name);
	if (vi < 0) {
		log_msg(LOG_LVL_INFO, "client %s: HOST %s: no such vhost here",
			mon->s.peer_ip, h->name);
		priv_encode_host_result(&reply, HOST_UNKNOWN);
		if (priv_send(mon->priv_fd, &reply) < 0)
			mon->done = true;
		free(h);
		return;
	}
	snprintf(how, sizeof(how), "HOST %s", h->name);
	switch_vhost(mon, vi, how);
	mon->s.host_done = true; /* the next engine refuses another HOST */
	/* Before AUTH TLS the relay does not exist yet: its ticket key can
	 * still be drawn for the new vhost. */
	if (!mon->s.tls_control && mon->s.set->ssl_enable &&
	    tls_session_key_new() < 0) {
		mon->done = true;
		free(h);
		return;
	}
	stop_engine(mon);
	mon->s.pbsz_done = (h->carry & CARRY_PBSZ) && mon->s.tls_control;
	mon->s.prot_private = (h->carry & CARRY_PROT_P) && mon->s.pbsz_done;
	mon->s.mlst_facts = h->mlst_facts & FACT_DEFAULT;
	/* The new engine greets with the new vhost's banner: HOST's 220. */
	if (fork_engine(mon, "ftpsd-preauth", become_preauth, h->pending,
			h->npending) < 0) {
		log_msg(LOG_LVL_ERR, "cannot start engine: %s", strerror(errno));
		mon->done = true;
	}
	free(h);
}

/* The relay finished the control handshake. Untrusted: the relay runs
 * as nopriv and parsed the ClientHello; the name is looked up again here. */
static void on_tls_ready(struct monitor *mon, struct priv_msg *m)
{
	char name[PRIV_HOST_NAME_MAX], how[PRIV_HOST_NAME_MAX + 8];
	struct priv_msg reply;
	int vi = -1;

	if (mon->tls_ready)
		return violation(mon, "TLS_READY twice");
	if (priv_decode_tls_ready(m, name, sizeof(name)) < 0)
		return violation(mon, "malformed TLS_READY");
	mon->tls_ready = true;
	if (name[0])
		vi = vhost_find_by_name(mon->s.cfg, &mon->s.local, name);
	if (vi >= 0 && &mon->s.cfg->vhosts[vi] != mon->s.vhost &&
	    mon->env->tls[vi].full) {
		snprintf(how, sizeof(how), "SNI %s", name);
		switch_vhost(mon, vi, how);
		if (mon->engine > 0) {
			/* Explicit AUTH TLS: the pre-auth engine of the old
			 * vhost is replaced by a silent one of the new. */
			stop_engine(mon);
			mon->quiet_start = true;
		}
	}
	if (mon->engine <= 0 &&
	    fork_engine(mon, "ftpsd-preauth", become_preauth, NULL, 0) < 0) {
		log_msg(LOG_LVL_ERR, "cannot start engine: %s", strerror(errno));
		mon->done = true;
		return;
	}
	mon->quiet_start = false;
	priv_encode_tls_ready_ack(&reply);
	if (priv_send(mon->relay_fd, &reply) < 0)
		mon->done = true;
}

/* A line from a sandboxed process: escaped to one line and marked with who
 * sent it, so it can never pass for one of ours (fail2ban reads these). */
static void forward_log(struct monitor *mon, struct priv_msg *m, const char *role)
{
	struct priv_log v;
	char safe[4 * PRIV_LINE_MAX], line[4 * PRIV_LINE_MAX + 128];

	if (priv_decode_log(m, &v) < 0)
		return violation(mon, "malformed LOG");
	log_escape(v.line, safe, sizeof(safe));
	snprintf(line, sizeof(line), "%s for %s: %s", role, mon->s.peer_ip, safe);
	log_line((int)v.level, line);
}

static void on_log(struct monitor *mon, struct priv_msg *m)
{
	forward_log(mon, m, mon->state == MON_POSTAUTH ? "ftpsd-engine" : "ftpsd-preauth");
}

static void on_relay_log(struct monitor *mon, struct priv_msg *m)
{
	forward_log(mon, m, "ftpsd-relay");
}

/* A passive listener in the vhost's range; with pasv_port_fallback, a
 * kernel-chosen port once the range is exhausted. Sets *STATUS. */
static int open_pasv_listener(struct monitor *mon, struct net_addr *bound,
			      uint32_t *status)
{
	const struct cfg_settings *set = mon->s.set;
	unsigned in_use;
	int fd = broker_pasv_listen(set, &mon->s.local, bound, &in_use);

	*status = PASV_OK;
	if (fd >= 0)
		return fd;
	if (errno != EADDRINUSE) {
		log_msg(LOG_LVL_ERR, "passive listener: %s", strerror(errno));
		*status = PASV_ERROR;
		return -1;
	}
	log_msg(LOG_LVL_WARN,
		"passive port range %u-%u exhausted (%u in use), client %s%s",
		set->pasv_min_port, set->pasv_max_port, in_use, mon->s.peer_ip,
		set->pasv_port_fallback ? "; pasv_port_fallback: kernel port" : "");
	if (!set->pasv_port_fallback) {
		*status = PASV_EXHAUSTED;
		return -1;
	}
	fd = broker_pasv_listen_any(&mon->s.local, bound);
	if (fd < 0) {
		log_msg(LOG_LVL_ERR, "passive listener: %s", strerror(errno));
		*status = PASV_ERROR;
	}
	return fd;
}

/* The address and port to tell the client (DESIGN §3), logged at debug
 * level with the reason. 0, or -1 when the offset leaves the port range. */
static int choose_advertised(struct monitor *mon, uint32_t kind,
			     const struct net_addr *bound, struct net_addr *out)
{
	const struct cfg_settings *set = mon->s.set;
	size_t vi = (size_t)(mon->s.vhost - mon->s.cfg->vhosts);
	const struct pasv_masq *mq = mon->env->masq ? &mon->env->masq[vi] : NULL;
	struct pasv_policy *pol = malloc(sizeof(*pol));
	char err[256], adv[NETADDR_STRLEN];
	enum pasv_why why = PASV_WHY_NO_MASQ;
	int rule = -1, port = pasv_advertised_port(net_addr_port(bound),
						   set->pasv_port_offset);

	if (!pol || pasv_policy_build(pol, set, mq && mq->ok ? &mq->addr : NULL,
				      err, sizeof(err)) < 0) {
		/* The config check refuses such values: only memory fails. */
		*out = mon->s.local;
	} else {
		why = pasv_choose_address(pol, &mon->s.peer, &mon->s.local, out, &rule);
	}
	free(pol);
	if (port < 0) {
		log_msg(LOG_LVL_ERR, "passive port %u + pasv_port_offset %u is not "
			"a port", net_addr_port(bound), set->pasv_port_offset);
		return -1;
	}
	net_addr_set_port(out, (unsigned)port);
	net_addr_string(out, adv, sizeof(adv));
	if (kind == PASV_KIND_EPSV)
		log_msg(LOG_LVL_DEBUG, "EPSV: client %s told port %d (bound %u)",
			mon->s.peer_ip, port, net_addr_port(bound));
	else if (rule >= 0)
		log_msg(LOG_LVL_DEBUG, "PASV: client %s told %s (%s %d, bound "
			"port %u)", mon->s.peer_ip, adv, pasv_why_string(why),
			rule + 1, net_addr_port(bound));
	else
		log_msg(LOG_LVL_DEBUG, "PASV: client %s told %s (%s, bound port %u)",
			mon->s.peer_ip, adv, pasv_why_string(why),
			net_addr_port(bound));
	return 0;
}

static void on_pasv(struct monitor *mon, struct priv_msg *m)
{
	const struct cfg_settings *set = mon->s.set;
	struct priv_pasv_result r = { .status = PASV_OK, .fd = -1 };
	struct net_addr bound;
	struct in_addr v4;
	struct priv_msg reply;
	uint32_t kind;

	if (priv_decode_pasv(m, &kind) < 0)
		return violation(mon, "malformed PASV");
	/* RFC 2428: PASV cannot carry an IPv6 address; EPSV can. */
	if (!set->pasv_enable ||
	    (kind == PASV_KIND_PASV && !net_addr_ipv4(&mon->s.local, &v4))) {
		r.status = PASV_REFUSED;
	} else if ((r.fd = open_pasv_listener(mon, &bound, &r.status)) >= 0 &&
		   choose_advertised(mon, kind, &bound, &r.advertise) < 0) {
		close(r.fd);
		r.fd = -1;
		r.status = PASV_ERROR;
	}
	priv_encode_pasv_result(&reply, &r);
	if (priv_send(mon->priv_fd, &reply) < 0)
		mon->done = true;
	mon->data_sign_ok = r.fd >= 0;
	if (r.fd >= 0)
		close(r.fd);
}

/* Active mode. Untrusted: the engine checked all this before replying
 * 200 to PORT/EPRT, so a request that fails here is a hostile engine. */
static void on_port_connect(struct monitor *mon, struct priv_msg *m)
{
	struct net_addr target;
	struct priv_msg reply;
	uint32_t status = PORT_CONN_OK;
	char where[NETADDR_STRLEN];
	int fd;

	if (priv_decode_port_connect(m, &target) < 0)
		return violation(mon, "malformed PORT_CONNECT");
	if (!mon->s.set->port_enable)
		return violation(mon, "PORT_CONNECT with port_enable=NO");
	if (port_check_target(&target, &mon->s.peer, mon->s.set->port_promiscuous) !=
	    PORT_CHECK_OK)
		return violation(mon, "PORT_CONNECT to another host or a port below 1024");
	fd = active_connect(mon->s.set, &mon->s.local, &target);
	if (fd < 0) {
		net_addr_string(&target, where, sizeof(where));
		log_msg(LOG_LVL_WARN, "active data connection to %s failed: %s", where,
			strerror(errno));
		status = PORT_CONN_FAILED;
	}
	mon->data_sign_ok = fd >= 0;
	priv_encode_port_result(&reply, status, fd);
	if (priv_send(mon->priv_fd, &reply) < 0)
		mon->done = true;
	if (fd >= 0)
		close(fd);
}

/* chown_uploads. Untrusted: the fd is whatever the engine chose to send,
 * so only a regular file that the session's own account owns, that it
 * opened for writing and that has one name is given away, with
 * chown_upload_mode (never set-id bits). */
static void on_chown_upload(struct monitor *mon, struct priv_msg *m)
{
	const struct cfg_settings *set = mon->s.set;
	struct priv_msg reply;
	struct passwd *pw;
	struct stat st;
	uint32_t status = 1;
	int fl;

	if (priv_decode_chown_upload(m) < 0)
		return violation(mon, "malformed CHOWN_UPLOAD");
	if (mon->acct.kind != USERS_ANON || !set->chown_uploads)
		return violation(mon, "CHOWN_UPLOAD outside an anonymous chown_uploads session");
	fl = fcntl(m->fd, F_GETFL);
	if (fl < 0 || fstat(m->fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != mon->acct.uid || st.st_nlink != 1 || (fl & O_ACCMODE) == O_RDONLY)
		return violation(mon, "CHOWN_UPLOAD of a file that is not the session's upload");
	pw = getpwnam(set->chown_username);
	/* vsftpd's chown_upload_mode (0600): the new owner's mode. */
	if (pw && fchmod(m->fd, (mode_t)(set->chown_upload_mode & 0777)) == 0 &&
	    fchown(m->fd, pw->pw_uid, (gid_t)-1) == 0)
		status = 0;
	else
		log_msg(LOG_LVL_ERR, "chown_uploads: to %s: %s", set->chown_username,
			pw ? strerror(errno) : "no such user");
	priv_encode_chown_result(&reply, status);
	if (priv_send(mon->priv_fd, &reply) < 0)
		mon->done = true;
}

/* A value for one space-separated xferlog field: spaces become '_' (as
 * vsftpd writes them), so a name cannot shift the fields after it. */
static void field_safe(const char *in, char *out, size_t size)
{
	size_t n = 0;

	for (; *in && n + 1 < size; in++)
		out[n++] = *in == ' ' ? '_' : *in;
	out[n] = '\0';
}

/* wu-ftpd's xferlog format, which log analysers expect. */
static void write_xferlog(struct monitor *mon, const struct priv_xfer *x)
{
	char line[2 * PRIV_PATH_MAX + 512], stamp[32], path[PRIV_PATH_MAX], user[PRIV_USER_MAX];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%a %b %e %H:%M:%S %Y", &tm);
	field_safe(x->path, path, sizeof(path));
	field_safe(mon->pam.user, user, sizeof(user));
	n = snprintf(line, sizeof(line), "%s %llu %s %llu %s %c _ %c %c %s ftp 0 * %c\n",
		     stamp, (unsigned long long)((x->msecs + 999) / 1000),
		     mon->s.peer_ip, (unsigned long long)x->bytes, path,
		     x->ascii ? 'a' : 'b', x->direction == XFER_DOWNLOAD ? 'o' : 'i',
		     mon->acct.kind == USERS_ANON ? 'a' : mon->acct.kind == USERS_GUEST ? 'g' : 'r',
		     user, x->complete ? 'c' : 'i');
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
	struct log_fields f = LOG_FIELDS(x->direction == XFER_DOWNLOAD ? "download" :
					 "upload");
	f.vhost = mon->s.vhost ? mon->s.vhost->name : NULL;
	f.client = mon->s.peer_ip;
	f.user = mon->pam.user;
	f.bytes = (long long)x->bytes;
	f.duration_ms = (long long)x->msecs;
	f.reason = x->complete ? NULL : "incomplete";
	log_event(LOG_LVL_INFO, &f, "transfer: user %s client %s %s %s %llu bytes%s",
		  mon->pam.user, mon->s.peer_ip,
		  x->direction == XFER_DOWNLOAD ? "RETR" : "STOR", x->path,
		  (unsigned long long)x->bytes, x->complete ? "" : " (incomplete)");
	if (mon->env->xferlog_fd >= 0)
		write_xferlog(mon, x);
	vsftpd_log(mon, x->direction == XFER_DOWNLOAD ? VSFTPD_LOG_DOWNLOAD :
		   VSFTPD_LOG_UPLOAD, x->complete, mon->pam.user, x);
	who_xfer_end(&mon->who);
	free(x);
}

static long long monotonic_ms(void);

/* Untrusted: from the engine, for `ftpsd -w` only. */
static void on_xfer_progress(struct monitor *mon, struct priv_msg *m)
{
	struct priv_xfer_progress p;
	const char *why;

	if (priv_decode_xfer_progress(m, &p) < 0)
		return violation(mon, "malformed XFER_PROGRESS");
	if (who_progress_take(&mon->who, &p, monotonic_ms(), &why) < 0)
		violation(mon, why);
}

static uint32_t who_kind(const struct monitor *mon)
{
	if (mon->state != MON_POSTAUTH)
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
		.user = mon->state == MON_POSTAUTH ? mon->pam.user : NULL,
		.kind = who_kind(mon),
		.started_ms = mon->started_ms,
		.client_fd = mon->client_fd,
	};
	struct priv_who_state st;

	if (priv_recv(mon->master_fd, m) != 1 || m->type != PRIV_WHO ||
	    priv_msg_check(m) < 0) {
		if (m->fd >= 0)
			close(m->fd);
		close(mon->master_fd);
		mon->master_fd = -1;
		return;
	}
	who_state_fill(&st, &ws, &mon->who, monotonic_ms());
	priv_encode_who_state(m, &st);
	(void)priv_send(mon->master_fd, m); /* non-blocking: never waits */
}

/* Ask the key holder; the answer (or a refusal) goes back on REPLY_FD. */
static void forward_sign(struct monitor *mon, const struct priv_sign *req,
			 int reply_fd)
{
	struct priv_msg *m = malloc(sizeof(*m));
	struct priv_sign_result *res = calloc(1, sizeof(*res));
	struct pollfd p = { .fd = mon->key_fd, .events = POLLIN };

	if (!m || !res) {
		mon->done = true;
		goto out;
	}
	res->status = 1;
	priv_encode_sign(m, req);
	/* The key holder is ours, but a stuck one must not hang the session. */
	if (mon->key_fd < 0 || priv_send(mon->key_fd, m) < 0 ||
	    poll(&p, 1, 10000) != 1 || priv_recv(mon->key_fd, m) != 1 ||
	    m->type != PRIV_SIGN_RESULT || priv_decode_sign_result(m, res) < 0) {
		log_msg(LOG_LVL_ERR, "key holder: no signature for client %s",
			mon->s.peer_ip);
		memset(res, 0, sizeof(*res));
		res->status = 1;
	}
	priv_encode_sign_result(m, res);
	if (priv_send(reply_fd, m) < 0)
		mon->done = true;
out:
	free(m);
	free(res);
}

static size_t session_vhost(const struct monitor *mon)
{
	return (size_t)(mon->s.vhost - mon->s.cfg->vhosts);
}

/* The relay, inside the control handshake. Untrusted: it parsed the
 * ClientHello. One signature per handshake, with the key of the vhost the
 * SNI name selects here, by the same rule the relay used. */
static void on_relay_sign(struct monitor *mon, struct priv_msg *m)
{
	struct priv_sign *req = calloc(1, sizeof(*req));
	int vi;

	if (!req || priv_decode_sign(m, req) < 0) {
		free(req);
		return violation(mon, "malformed SIGN");
	}
	vi = req->name[0] ? vhost_find_by_name(mon->s.cfg, &mon->s.local, req->name) : -1;
	if (vi < 0 || !mon->env->tls[vi].full)
		vi = (int)session_vhost(mon);
	if (mon->tls_ready)
		violation(mon, "SIGN after the control handshake");
	else if (mon->handshake_signs++ > 0)
		violation(mon, "SIGN twice in one control handshake");
	else if (req->vhost != (uint32_t)vi)
		violation(mon, "SIGN with another vhost's key");
	else
		forward_sign(mon, req, mon->relay_fd);
	explicit_bzero(req, sizeof(*req));
	free(req);
}

/* The user's engine, in a full data handshake: only when
 * require_ssl_reuse=NO, once per data connection we brokered. */
static void on_engine_sign(struct monitor *mon, struct priv_msg *m)
{
	struct priv_sign *req = calloc(1, sizeof(*req));

	if (!req || priv_decode_sign(m, req) < 0) {
		free(req);
		return violation(mon, "malformed SIGN");
	}
	if (mon->s.set->require_ssl_reuse)
		violation(mon, "SIGN from the engine with require_ssl_reuse=YES");
	else if (!mon->data_sign_ok)
		violation(mon, "SIGN without a data connection to sign for");
	else if (req->vhost != session_vhost(mon))
		violation(mon, "SIGN with another vhost's key");
	else
		forward_sign(mon, req, mon->priv_fd);
	mon->data_sign_ok = false;
	explicit_bzero(req, sizeof(*req));
	free(req);
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
			.seccomp = g->seccomp_sandbox,
			.isolate_network = g->isolate_network,
			.cfg = mon->s.cfg,
			.all_tls = mon->env->tls,
			.local = &mon->s.local,
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
	bound_sends(link[0]);
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
	{ PRIV_HOST, MON_PREAUTH, on_host },
	{ PRIV_PORT_CONNECT, MON_POSTAUTH, on_port_connect },
	{ PRIV_CHOWN_UPLOAD, MON_POSTAUTH, on_chown_upload },
	{ PRIV_SIGN, MON_POSTAUTH, on_engine_sign },
	{ PRIV_XFER_PROGRESS, MON_POSTAUTH, on_xfer_progress },
};

/* The relay's link carries only these. */
static const struct mon_handler relay_handlers[] = {
	{ PRIV_LOG, MON_PREAUTH | MON_POSTAUTH, on_relay_log },
	{ PRIV_TLS_SESSION, MON_PREAUTH | MON_POSTAUTH, on_tls_session },
	{ PRIV_TLS_READY, MON_PREAUTH, on_tls_ready },
	{ PRIV_SIGN, MON_PREAUTH, on_relay_sign },
};

/* The other side reads each reply before it sends its next message, so a
 * message that arrives while our last reply is unread is a hostile peer
 * queueing requests (each PASV answer carries a listening socket). */
static bool reply_unread(int link)
{
	int queued = 0;

	return ioctl(link, SIOCOUTQ, &queued) == 0 && queued > 0;
}

static void dispatch(struct monitor *mon, const struct mon_handler *table,
		     size_t n, struct priv_msg *m, int link)
{
	if (reply_unread(link))
		return violation(mon, "a request while our last reply is unread");
	for (size_t i = 0; i < n; i++) {
		if (table[i].type != m->type)
			continue;
		if (!(table[i].states & mon->state))
			return violation(mon, "message not allowed in this state");
		if (m->fd >= 0 && !carries_fd(m->type))
			return violation(mon, "unexpected fd");
		return table[i].fn(mon, m);
	}
	violation(mon, "unknown message type");
}

static void log_engine_end(struct monitor *mon)
{
	int status = 0;
	pid_t pid = 0;

	if (mon->engine <= 0)
		return; /* never waitpid(-1): that could be the relay */
	/* Its end of the link is closed, so it is exiting; one that lingers
	 * (a hostile engine can close the link and stay) is ended. */
	for (int i = 0; i < 50 && pid == 0; i++) {
		pid = waitpid(mon->engine, &status, WNOHANG);
		if (pid == 0)
			usleep(2000);
	}
	if (pid == 0) {
		kill(mon->engine, SIGKILL);
		do
			pid = waitpid(mon->engine, &status, 0);
		while (pid < 0 && errno == EINTR);
	}
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
			 sizeof(relay_handlers) / sizeof(relay_handlers[0]), m, mon->relay_fd);
	else
		dispatch(mon, handlers, sizeof(handlers) / sizeof(handlers[0]), m,
			 mon->priv_fd);
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

static long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left to log in (poll's timeout), -1 for no limit. Our
 * clock, not the engine's: a NOOP every minute must not hold a pre-login
 * session for ever, and neither may a hostile engine. */
static int login_time_left(const struct monitor *mon)
{
	long long left;

	if (mon->state != MON_PREAUTH || !mon->login_deadline)
		return -1;
	left = mon->login_deadline - monotonic_ms();
	return left < 0 ? 0 : left > 86400000 ? 86400000 : (int)left;
}

static void login_expired(struct monitor *mon)
{
	static const char reply[] = "421 Login timeout.\r\n";

	log_msg(LOG_LVL_INFO, "client %s: no login within login_timeout=%u s",
		mon->s.peer_ip, mon->s.set->login_timeout);
	stop_engine(mon);
	(void)send(mon->ctrl_fd, reply, sizeof(reply) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	mon->done = true;
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
		int r = poll(p, 3, login_time_left(mon));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (r == 0) {
			login_expired(mon);
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
	mon->state = MON_PREAUTH;
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
	/* Replies and TLS records are small and must not wait ~40 ms for the
	 * client's delayed ACK (Nagle); every holder shares this socket. */
	(void)setsockopt(client_fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	init_session(mon, cfg, vhost, a);
	mon->s.tls = &mon->env->tls[vhost - cfg->vhosts];
	struct timespec started;
	struct log_fields f = LOG_FIELDS("session_start");

	clock_gettime(CLOCK_MONOTONIC, &started);
	mon->started_ms = monotonic_ms();
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
	vsftpd_log(mon, VSFTPD_LOG_CONNECT, true, NULL, NULL);
	if (cfg->global.setproctitle_enable)
		proctitle_set("ftpsd: %s: connected", mon->s.peer_ip);
	if (vhost->set.login_timeout)
		mon->login_deadline = monotonic_ms() + vhost->set.login_timeout * 1000LL;
	if (vhost->set.ssl_enable && tls_session_key_new() < 0)
		_exit(1);
	/* Implicit TLS: the pre-auth engine starts when the relay's
	 * handshake is done, for the vhost SNI chose (on_tls_ready); a
	 * waiting one is of no use. */
	if (implicit_tls)
		stop_engine(mon);
	if (implicit_tls && start_relay(mon) < 0) {
		log_msg(LOG_LVL_ERR, "cannot start TLS relay: %s", strerror(errno));
		_exit(1);
	}
	if (!implicit_tls && mon->engine > 0 && send_start(mon) < 0)
		_exit(1);
	if (!implicit_tls && mon->engine <= 0 &&
	    fork_engine(mon, "ftpsd-preauth", become_preauth, NULL, 0) < 0) {
		log_msg(LOG_LVL_ERR, "cannot start engine: %s", strerror(errno));
		_exit(1);
	}
	serve(mon);
	stop_engine(mon);
	stop_relay(mon);
	if (mon->ctrl_fd >= 0 && mon->ctrl_fd != mon->client_fd)
		close(mon->ctrl_fd);
	close(mon->client_fd);
	pam_login_close(&mon->pam);
	{
		struct timespec ended;
		struct log_fields e = LOG_FIELDS("session_end");
		clock_gettime(CLOCK_MONOTONIC, &ended);
		e.vhost = mon->s.vhost ? mon->s.vhost->name : NULL;
		e.client = mon->s.peer_ip;
		e.user = mon->state == MON_POSTAUTH ? mon->pam.user : NULL;
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
	if (fd < 0 || fork_engine(mon, "ftpsd-preauth", become_preauth, NULL, 0) < 0)
		_exit(1);
	/* A spare whose pre-auth engine died is of no use: it ends, and the
	 * master (told by the zygote) forks a new one. */
	if (!engine_or_assignment(mon, fd)) {
		stop_engine(mon);
		_exit(0);
	}
	/* Untrusted? No: the master. Checked all the same. */
	if (priv_recv(fd, &m) != 1 || m.type != PRIV_ASSIGN ||
	    priv_decode_assign(&m, &a) < 0 || a.vhost >= cfg->nvhosts) {
		if (m.fd >= 0)
			close(m.fd);
		stop_engine(mon);
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
