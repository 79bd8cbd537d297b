/* Transfer records (the log, wu-ftpd's xferlog) and progress reports
 * for `ftpsd -w`. Untrusted: from the user's engine. */
#include "monitor/monitor_state.h"

#include <errno.h>
#include <unistd.h>

#include "common/log.h"
#include "monitor/vsftpd_log.h"

void mon_vsftpd_log(struct monitor *mon, enum vsftpd_log_event ev, bool ok, const char *user,
		    const struct priv_xfer *x)
{
	struct vsftpd_log_entry e = {
		.event = ev,
		.ok = ok,
		.when = time(NULL),
		.pid = getpid(),
		.user = user,
		.client = mon->given.peer_ip,
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
	n = snprintf(line, sizeof(line), "%s %llu %s %llu %s %c _ %c %c %s ftp 0 * %c\n", stamp,
		     (unsigned long long)((x->msecs + 999) / 1000), mon->given.peer_ip,
		     (unsigned long long)x->bytes, path, x->ascii ? 'a' : 'b',
		     x->direction == XFER_DOWNLOAD ? 'o' : 'i',
		     mon->acct.kind == USERS_ANON    ? 'a'
		     : mon->acct.kind == USERS_GUEST ? 'g'
						     : 'r',
		     user, x->complete ? 'c' : 'i');
	if (n > 0 && (size_t)n < sizeof(line) && write(mon->env->xferlog_fd, line, (size_t)n) < 0)
		log_msg(LOG_LVL_ERR, "xferlog: %s", strerror(errno));
}

void mon_on_xfer(struct monitor *mon, struct priv_msg *m)
{
	struct priv_xfer *x = calloc(1, sizeof(*x));

	if (!x || priv_decode_xfer(m, x) < 0) {
		free(x);
		return mon_violation(mon, "malformed XFER");
	}
	/* The path is the engine's word; it is only ever logged. Control
	 * bytes in it are shown escaped by syslog, and a newline cannot
	 * forge a line: we cut at the first control byte. */
	for (char *p = x->path; *p; p++)
		if ((unsigned char)*p < 0x20) {
			*p = '\0';
			break;
		}
	struct log_fields f = LOG_FIELDS(x->direction == XFER_DOWNLOAD ? "download" : "upload");
	f.vhost = mon->given.vhost ? mon->given.vhost->name : NULL;
	f.client = mon->given.peer_ip;
	f.user = mon->pam.user;
	f.bytes = (long long)x->bytes;
	f.duration_ms = (long long)x->msecs;
	f.reason = x->complete ? NULL : "incomplete";
	log_event(LOG_LVL_INFO, &f, "transfer: user %s client %s %s %s %llu bytes%s", mon->pam.user,
		  mon->given.peer_ip, x->direction == XFER_DOWNLOAD ? "RETR" : "STOR", x->path,
		  (unsigned long long)x->bytes, x->complete ? "" : " (incomplete)");
	if (mon->env->xferlog_fd >= 0)
		write_xferlog(mon, x);
	mon_vsftpd_log(mon, x->direction == XFER_DOWNLOAD ? VSFTPD_LOG_DOWNLOAD : VSFTPD_LOG_UPLOAD,
		       x->complete, mon->pam.user, x);
	who_xfer_end(&mon->who);
	free(x);
}

/* Untrusted: from the engine, for `ftpsd -w` only. */
void mon_on_xfer_progress(struct monitor *mon, struct priv_msg *m)
{
	struct priv_xfer_progress p;
	const char *why;

	if (priv_decode_xfer_progress(m, &p) < 0)
		return mon_violation(mon, "malformed XFER_PROGRESS");
	if (who_progress_take(&mon->who, &p, mon_now_ms(), &why) < 0)
		mon_violation(mon, why);
}
