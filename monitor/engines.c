/* The monitor's engine processes: each forked on a fresh privsep link
 * and turned into its role (the sandboxed pre-auth engine; the user's
 * engine, forked before the login in standby.c), stopped, and reaped. */
#include "monitor/monitor_state.h"

#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <sys/wait.h>

#include "engine/engine.h"
#include "engine/listing.h"
#include "common/log.h"
#include "engine/perm.h"
#include "tls/tls_proxy.h"
#include "sandbox/inherit.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp.h"

/* A peer that stops reading cannot block us: our sends time out. */
void mon_bound_sends(int link)
{
	struct timeval tv = { .tv_sec = PRIV_SEND_TIMEOUT };

	(void)setsockopt(link, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* An engine's session, in its own process only: the monitor's pages
 * never hold one (the monitor has no engine state). */
static struct session engine_session;

struct session *mon_engine_session(const struct session_given *g, const struct session_login *l,
				   int link, int ctrl_fd, const void *pending, size_t npending)
{
	struct session *s = &engine_session;

	session_start(s, g, l, link, ctrl_fd, pending, npending);
	log_set_forward(engine_log_forward, s);
	return s;
}

__attribute__((noreturn)) void mon_engine_run(struct monitor *mon, mon_become_fn become,
					      struct session *s)
{
	become(mon, s);
	engine_run(s);
}

/* The process: an engine joined to us by a fresh privsep link (our end
 * in *LINK). In the child, BECOME turns it into its role; it then serves
 * FTP. */
pid_t mon_sys_spawn_engine(struct monitor *mon, const char *name, mon_become_fn become,
			   const void *pending, size_t npending, int *link)
{
	struct session *s;
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
		s = mon_engine_session(&mon->given, &mon->login, sv[1], mon->ctrl_fd, pending,
				       npending);
		/* The engine's copy is the one it takes (mon_become_user). */
		OPENSSL_cleanse(&mon->login.ctrl_tls, sizeof(mon->login.ctrl_tls));
		mon_engine_run(mon, become, s);
	}
	close(sv[1]);
	*link = sv[0];
	return pid;
}

/* Replace the engine by a new one (the old one is stopped already). */
int mon_fork_engine(struct monitor *mon, const char *name, mon_become_fn become,
		    const void *pending, size_t npending)
{
	int link;
	pid_t pid = mon->ops->spawn_engine(mon, name, become, pending, npending, &link);

	if (pid < 0)
		return -1;
	if (mon->priv_fd >= 0)
		close(mon->priv_fd);
	mon->priv_fd = link;
	mon_bound_sends(link);
	mon->engine = pid;
	return 0;
}

void mon_stop_engine(struct monitor *mon)
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

void mon_end_unwaited(struct monitor *mon, pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	for (size_t i = 0; i < sizeof(mon->ended) / sizeof(mon->ended[0]); i++)
		if (mon->ended[i] <= 0) {
			mon->ended[i] = pid;
			return;
		}
	/* No room (never: one engine and one relay end at login): wait. */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

bool mon_reap_ended(struct monitor *mon, bool block)
{
	bool left = false;

	for (size_t i = 0; i < sizeof(mon->ended) / sizeof(mon->ended[0]); i++) {
		pid_t r;

		if (mon->ended[i] <= 0)
			continue;
		do
			r = waitpid(mon->ended[i], NULL, block ? 0 : WNOHANG);
		while (r < 0 && errno == EINTR);
		if (r == 0)
			left = true;
		else
			mon->ended[i] = 0; /* reaped, or not ours any more (ECHILD) */
	}
	return left;
}

/* The pre-auth engine of a TLS session reads only the relay's plaintext
 * side, never the TCP connection the user's engine takes; an honest one
 * is waiting for LOGIN's answer and reads nothing. On plain FTP it reads
 * the TCP connection itself: that one is waited for, so no two processes
 * read the connection at once. */
void mon_end_engine_at_login(struct monitor *mon)
{
	if (mon->relay <= 0 || mon->engine <= 0)
		return mon_stop_engine(mon);
	mon_end_unwaited(mon, mon->engine);
	mon->engine = -1;
	if (mon->priv_fd >= 0)
		close(mon->priv_fd);
	mon->priv_fd = -1;
}

/* In a spare's pre-auth engine: the connection arrives from the monitor.
 * The monitor is trusted here (it is the privileged side), but the
 * message is still checked like any other. */
static void wait_for_start(struct monitor *mon, struct session *s)
{
	const struct ftpsd_config *cfg = s->given.cfg;
	struct priv_msg m;
	struct priv_start st;

	if (priv_recv(s->priv_fd, &m) != 1 || m.type != PRIV_START ||
	    priv_decode_start(&m, &st) < 0 || st.vhost >= cfg->nvhosts)
		_exit(1);
	session_given_connect(&s->given, &cfg->vhosts[st.vhost], &mon->env->tls[st.vhost], &st.peer,
			      &st.local, NULL);
	ctrl_init(&s->ctrl, m.fd, NULL, 0);
}

void mon_become_preauth(struct monitor *mon, struct session *s)
{
	const struct cfg_settings *g = &s->given.cfg->global;
	struct passwd *pw = getpwnam(g->nopriv_user);
	struct sandbox_identity id = { .root_dir = g->secure_chroot_dir,
				       .new_netns = g->isolate_network };

	if (!pw) {
		ctrl_reply(&s->ctrl, 421, "Service not available (nopriv_user).");
		_exit(1);
	}
	id.uid = pw->pw_uid;
	id.gid = pw->pw_gid;
	if (sandbox_become(&id) < 0 || sandbox_harden(SANDBOX_FILES) < 0) {
		ctrl_reply(&s->ctrl, 421, "Service not available (sandbox).");
		_exit(1);
	}
	sandbox_die_with_parent(mon->pid);
	if (g->seccomp_sandbox && sandbox_seccomp_apply(ROLE_PREAUTH, s->priv_fd, true) < 0) {
		ctrl_reply(&s->ctrl, 421, "Service not available (seccomp).");
		_exit(1);
	}
	if (s->ctrl.fd < 0)
		wait_for_start(mon, s); /* a spare: forked before its connection */
	if (mon->quiet_start)
		return; /* after AUTH TLS the client expects no greeting */
	if (s->given.set->banner_text[0])
		ctrl_reply_text(
			&s->ctrl, 220, s->given.set->banner_text, strlen(s->given.set->banner_text),
			s->given.set->ftpd_banner[0] ? s->given.set->ftpd_banner : "ftpsd ready.");
	else if (s->given.set->ftpd_banner[0])
		ctrl_reply(&s->ctrl, 220, "%s", s->given.set->ftpd_banner);
	else
		ctrl_reply(&s->ctrl, 220, "ftpsd ready.");
}

void mon_become_user(struct monitor *mon, struct session *s, const struct users_account *a)
{
	const char *what;
	struct sandbox_identity id = {
		.uid = a->uid,
		.gid = a->gid,
		.user = a->account,
		.root_dir = a->chroot ? a->root : NULL,
		.work_dir = a->work_dir,
		.new_netns = s->given.cfg->global.isolate_network,
	};

	/* Forked before the login: what PAM did to the monitor since. */
	if (sandbox_take_process_state(mon->pid, &what) < 0) {
		log_msg(LOG_LVL_ERR, "user %s: cannot take the session's %s from the monitor: %s",
			a->login, what, strerror(errno));
		ctrl_reply(&s->ctrl, 421, "Service not available (PAM session).");
		_exit(1);
	}
	/* The session stays open in the monitor, which closes it. */
	pam_login_forget(&mon->pam);
	/* Names in listings come from the files alone: no NSS module gets
	 * loaded or opens a socket under the seccomp filter. */
	__nss_configure_lookup("passwd", "files");
	__nss_configure_lookup("group", "files");
	if (session_take_ctrl_tls(s) < 0)
		_exit(1);
	/* Full data handshakes (require_ssl_reuse=NO) sign through us. */
	tls_proxy_set_channel(s->priv_fd);
	if (sandbox_become(&id) < 0 || sandbox_harden(SANDBOX_FILES) < 0) {
		log_msg(LOG_LVL_ERR, "user %s: cannot become the user: %s", a->login,
			strerror(errno));
		ctrl_reply(&s->ctrl, 500, "Cannot change to home directory.");
		_exit(1);
	}
	sandbox_die_with_parent(mon->pid);
	umask((mode_t)a->umask);
	/* A session that may change nothing gets a filter that cannot. */
	if (s->given.cfg->global.seccomp_sandbox &&
	    sandbox_seccomp_apply(ROLE_ENGINE, s->priv_fd,
				  !perm_upload(s) && !perm_mkdir(s) && !perm_modify(s)) < 0) {
		ctrl_reply(&s->ctrl, 421, "Service not available (seccomp).");
		_exit(1);
	}
	ctrl_reply(&s->ctrl, 230, "Login successful.");
}

pid_t mon_wait_or_kill(pid_t pid, int grace_ms, int *status)
{
	pid_t r = 0;

	for (int waited = 0; r == 0 && waited < grace_ms; waited += 2) {
		r = waitpid(pid, status, WNOHANG);
		if (r == 0)
			usleep(2000);
	}
	if (r != 0)
		return r;
	kill(pid, SIGKILL);
	do
		r = waitpid(pid, status, 0);
	while (r < 0 && errno == EINTR);
	return r;
}

void mon_log_engine_end(struct monitor *mon)
{
	int status = 0;
	pid_t pid;

	if (mon->engine <= 0)
		return; /* never waitpid(-1): that could be the relay */
	/* Its end of the link is closed, so it is exiting; one that lingers
	 * (a hostile engine can close the link and stay) is ended. */
	pid = mon_wait_or_kill(mon->engine, 100, &status);
	if (pid == mon->engine && WIFSIGNALED(status))
		log_msg(LOG_LVL_WARN, "engine of client %s killed by signal %d", mon->given.peer_ip,
			WTERMSIG(status));
	mon->engine = -1;
}
