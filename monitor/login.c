/* LOGIN. Untrusted: from the pre-auth engine. The monitor keeps its own
 * count of failures and its own login deadline; PAM, the user lists,
 * user_config_dir and the account decide; on success the user's engine
 * is forked and the monitor locks itself down. */
#include "monitor/monitor_state.h"

#include <errno.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proctitle.h"
#include "common/memtrim.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp.h"

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
	struct log_fields f = LOG_FIELDS("login_failed");

	f.vhost = mon->given.vhost ? mon->given.vhost->name : NULL;
	f.client = mon->given.peer_ip;
	f.user = user;
	f.reason = why;
	log_event(LOG_LVL_WARN, &f, "login failed: user %s client %s (%s)", user,
		  mon->given.peer_ip, why);
	mon_vsftpd_log(mon, VSFTPD_LOG_LOGIN, false, user, NULL);
	/* The master counts failures per address across sessions. */
	if (mon->env->report_fd >= 0)
		(void)send(mon->env->report_fd, &mon->given.peer, sizeof(mon->given.peer),
			   MSG_DONTWAIT | MSG_NOSIGNAL);
	mon->fails++;
	/* The delay is ours, not the engine's, so a hostile engine cannot
	 * skip it. */
	if (mon->given.set->delay_failed_login)
		sleep(mon->given.set->delay_failed_login);
	priv_encode_login_result(
		&reply, mon->fails >= mon->given.set->max_login_fails ? LOGIN_CLOSE : LOGIN_FAIL);
	if (priv_send(mon->priv_fd, &reply) < 0)
		mon->done = true;
}

/* The settings LOGIN goes by, into mon->login_set: the vhost's, or
 * mon->user_set, the vhost's with LOGIN's user_config_dir file applied.
 * The copy (24 KiB) is written only when there is a file: otherwise its
 * pages stay untouched in every session. A file that exists but is
 * refused refuses the login: it may have been meant to restrict this
 * user. */
static int load_user_config(struct monitor *mon, const char *login)
{
	char path[USERS_PATH_MAX], *text = NULL;
	size_t len = 0;
	FILE *err;
	int n, why;

	mon->login_set = mon->given.set;
	if (users_config_path(mon->given.set, login, path, sizeof(path)) < 0)
		return 0;
	err = open_memstream(&text, &len);
	if (!err)
		return -1;
	n = config_apply_user_file(&mon->user_set, mon->given.set, path, err);
	why = errno;
	if (n == 0)
		mon->login_set = &mon->user_set;
	if (n < 0 && why != ENOENT)
		fprintf(err, "%s: cannot read: %s\n", path, strerror(why));
	fclose(err);
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		log_msg(LOG_LVL_ERR, "user_config_dir: %s", line);
	}
	free(text);
	return n > 0 || (n < 0 && why != ENOENT) ? -1 : 0;
}

/* The name PAM returned, when it is not the one typed: a printable name
 * the user list lets in as well. False with REASON set otherwise. */
static bool settled_name_allowed(const struct monitor *mon, const char *typed, char *reason,
				 size_t size)
{
	const char *why;

	if (strcmp(mon->pam.user, typed) == 0)
		return true;
	if (!user_name_ok(mon->pam.user)) {
		snprintf(reason, size, "PAM returned an unusable user name");
		return false;
	}
	if (!users_userlist_allows(mon->given.set, mon->pam.user, &why)) {
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
	return users_resolve(mon->login_set, kind, mon->pam.user, &mon->acct, reason, size);
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
	return set->ssl_enable &&
	       (kind == USERS_ANON ? set->force_anon_logins_ssl : set->force_local_logins_ssl);
}

/* After login nothing forks or switches identity again: keep only the
 * capabilities the rest of the session uses (port 20, killing the engine,
 * chown of uploads, audit for PAM's close) and the seccomp filter. */
int mon_sys_lock_down(struct monitor *mon)
{
	static const cap_value_t after_login[] = {
		CAP_CHOWN, CAP_FOWNER, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE,
	};

	if (sandbox_limit_bounding_set(after_login, sizeof(after_login) / sizeof(after_login[0])) <
	    0)
		return -1;
	if (!mon->given.cfg->global.seccomp_sandbox)
		return 0;
	return sandbox_seccomp_apply(ROLE_MONITOR, -1, false);
}

/* After login the key holder is needed only for full data handshakes. */
static void drop_key_link(struct monitor *mon)
{
	if (mon->key_fd >= 0 &&
	    (!mon->given.set->ssl_enable || mon->given.set->require_ssl_reuse)) {
		close(mon->key_fd);
		mon->key_fd = -1;
	}
}

void mon_on_login(struct monitor *mon, struct priv_msg *m)
{
	struct priv_login *l = calloc(1, sizeof(*l));
	char reason[256];
	const char *why;
	enum users_kind kind;

	if (!l || priv_decode_login(m, l) < 0 || !user_name_ok(l->user)) {
		mon_violation(mon, "malformed LOGIN");
		goto out;
	}
	/* Our count, not the engine's: one that ignores LOGIN_CLOSE gets no
	 * more guesses. */
	if (mon->fails >= mon->given.set->max_login_fails) {
		mon_violation(mon, "LOGIN after the last allowed failure");
		goto out;
	}
	kind = login_kind(mon->given.set, l->user);
	if (kind != USERS_ANON && !mon->given.set->local_enable) {
		login_failed(mon, l->user, "local_enable=NO");
		goto out;
	}
	/* The engine refuses USER in plaintext already; this is the check
	 * that holds even if the engine is hostile. */
	if (tls_login_required(mon->given.set, kind) && !mon->given.tls_control) {
		mon_violation(mon, "LOGIN without TLS where TLS is required");
		goto out;
	}
	/* Before PAM, with the same reply and delay as a wrong password, so
	 * the list cannot be probed and PAM never sees a refused name. */
	if (!users_userlist_allows(mon->given.set, l->user, &why)) {
		login_failed(mon, l->user, why);
		goto out;
	}
	if (kind == USERS_ANON && !users_anon_password_ok(mon->given.set, l->pass, &why)) {
		login_failed(mon, l->user, why);
		goto out;
	}
	if (kind == USERS_ANON) {
		/* Any password (vsftpd): no PAM. The name is kept for logs. */
		snprintf(mon->pam.user, sizeof(mon->pam.user), "%s", l->user);
	} else if (mon->ops->pam_open(&mon->pam, mon->given.set->pam_service_name, l->user, l->pass,
				      mon->given.peer_ip, reason, sizeof(reason)) < 0) {
		login_failed(mon, l->user, reason);
		goto out;
	}
	if (settle_account(mon, kind, l->user, reason, sizeof(reason)) < 0) {
		mon->ops->pam_close(&mon->pam);
		memset(mon->pam.user, 0, sizeof(mon->pam.user));
		login_failed(mon, l->user, reason);
		goto out;
	}
	/* The password is spent: nothing forked from here may inherit it. */
	explicit_bzero(l->pass, sizeof(l->pass));
	explicit_bzero(m->body, m->len);
	mon->given.set = mon->login_set;
	{
		struct log_fields f = LOG_FIELDS("login_ok");
		f.vhost = mon->given.vhost ? mon->given.vhost->name : NULL;
		f.client = mon->given.peer_ip;
		f.user = mon->pam.user;
		f.reason = kind == USERS_ANON ? "anonymous" : kind == USERS_GUEST ? "guest" : NULL;
		log_event(LOG_LVL_INFO, &f, "login ok: user %s client %s%s%s", mon->pam.user,
			  mon->given.peer_ip, kind == USERS_ANON ? " (anonymous)" : "",
			  kind == USERS_GUEST ? " (guest)" : "");
		mon_vsftpd_log(mon, VSFTPD_LOG_LOGIN, true, mon->pam.user, NULL);
		if (mon->given.cfg->global.setproctitle_enable)
			proctitle_set("ftpsd: %s: %s", mon->given.peer_ip, mon->pam.user);
	}
	/* vsftpd's delay_successful_login: ours, as delay_failed_login is. */
	if (mon->given.set->delay_successful_login)
		sleep(mon->given.set->delay_successful_login);
	mon_end_engine_at_login(mon);
	/* Plain FTP: the relay that waited for AUTH TLS is of no use. */
	mon_end_idle_relay(mon, false);
	if (mon->relay > 0)
		mon_take_over_relay(mon, l);
	if (mon->done)
		goto out;
	session_login_carry(&mon->login, &mon->given, l->carry, l->mlst_facts);
	session_login_account(&mon->login, mon->acct.login, mon->acct.work_dir, mon->acct.chroot,
			      mon->acct.kind == USERS_ANON, mon->acct.anon_privs);
	mon->state = PRIV_ST_POSTAUTH;
	/* Give back what PAM freed (heap, and the deep stack of its hashing):
	 * the monitor lives as long as the session. */
	mem_release_unused();
	if (mon_start_user_engine(mon, l->pending, l->npending) < 0) {
		log_msg(LOG_LVL_ERR, "cannot start engine: %s", strerror(errno));
		mon->done = true;
	}
	OPENSSL_cleanse(&mon->login.ctrl_tls, sizeof(mon->login.ctrl_tls));
	if (!mon->done && mon->ops->lock_down(mon) < 0) {
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

/* Milliseconds left to log in (poll's timeout), -1 for no limit. Our
 * clock, not the engine's: a NOOP every minute must not hold a pre-login
 * session for ever, and neither may a hostile engine. */
int mon_login_time_left(const struct monitor *mon)
{
	long long left;

	if (mon->state != PRIV_ST_PREAUTH || !mon->login_deadline)
		return -1;
	left = mon->login_deadline - mon_now_ms();
	return left < 0 ? 0 : left > 86400000 ? 86400000 : (int)left;
}

void mon_login_expired(struct monitor *mon)
{
	static const char reply[] = "421 Login timeout.\r\n";

	log_msg(LOG_LVL_INFO, "client %s: no login within login_timeout=%u s", mon->given.peer_ip,
		mon->given.set->login_timeout);
	mon_stop_engine(mon);
	(void)send(mon->ctrl_fd, reply, sizeof(reply) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	mon->done = true;
}
