/* Listing commands: LIST, NLST and MLSD over the data connection; STAT
 * (server status, or `STAT path` as a listing over the control connection)
 * and MLST over the control connection.
 *
 * Globbing: when the last component of a LIST/NLST/STAT path does not
 * exist and holds '*', '?' or '[', its directory is listed through the
 * bounded matcher of engine/glob.c. A name that exists is always taken
 * literally, so a file really called "*.txt" can still be listed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/commands.h"
#include "engine/data.h"
#include "engine/fsops.h"
#include "engine/glob.h"
#include "engine/list_recurse.h"
#include "engine/listing.h"
#include "engine/path.h"
#include "engine/perm.h"
#include "engine/xfer.h"

/* Matching steps one listing may spend: some tens of milliseconds, far
 * more than any sane pattern over a 100,000-entry directory needs. */
#define GLOB_BUDGET 50000000UL

struct list_req {
	char path[SESSION_PATH_MAX]; /* directory or file to list */
	char pattern[GLOB_PATTERN_MAX + 1];
	unsigned long budget;
	struct listing_opts opts;
	bool recurse; /* -R, and ls_recurse_enable allows it */
};

/* "LIST -la path": ls-style options are accepted and mostly ignored, as
 * clients send them by habit; -a shows dot files, -R recurses (where
 * ls_recurse_enable allows). */
static const char *skip_list_options(const char *arg, bool *show_hidden, bool *recurse)
{
	while (arg[0] == '-' && arg[1] && arg[1] != ' ') {
		for (arg++; *arg && *arg != ' '; arg++) {
			if (*arg == 'a' || *arg == 'A')
				*show_hidden = true;
			if (*arg == 'R')
				*recurse = true;
		}
		while (*arg == ' ')
			arg++;
	}
	return arg;
}

/* Fill R for ARG: FS_OK, or why there is nothing to list (FS_NOTDIR for
 * MLSD of a file, FS_NOENT for a pattern over a file). */
static struct fs_result list_prepare(struct session *s, const char *arg, enum listing_kind kind,
				     struct list_req *r)
{
	struct fs_result res;
	struct stat st;

	memset(&r->opts, 0, sizeof(r->opts));
	r->opts.hide_ids = s->given.set->hide_ids;
	r->opts.resolve_names = !s->login.chrooted;
	r->opts.write_enable = perm_modify(s);
	r->opts.facts = s->eng.mlst_facts;
	r->opts.now = time(NULL);
	r->opts.utc = !s->given.set->use_localtime;
	r->opts.dot_files = s->given.set->force_dot_files;
	r->budget = GLOB_BUDGET;
	r->recurse = false;
	if (kind != LISTING_MLSD)
		arg = skip_list_options(arg, &r->opts.show_hidden, &r->recurse);
	r->recurse = r->recurse && s->given.set->ls_recurse_enable;
	res = perm_resolve(s, arg, r->path, sizeof(r->path));
	if (!fs_ok(res))
		return res;
	r->opts.hide = s->given.set->hide_file;
	if (kind != LISTING_MLSD && fsops_lstat(r->path, &st).reason == FS_NOENT) {
		char *slash = strrchr(r->path, '/');
		const char *last = slash + 1;

		if (glob_has_magic(last) && strlen(last) <= GLOB_PATTERN_MAX) {
			memcpy(r->pattern, last, strlen(last) + 1);
			if (slash == r->path)
				slash[1] = '\0';
			else
				*slash = '\0';
			r->opts.match = r->pattern;
			r->opts.match_budget = &r->budget;
		}
	}
	res = fsops_stat_or_lstat(r->path, &st);
	if (fs_ok(res) && (r->opts.match || kind == LISTING_MLSD) && !S_ISDIR(st.st_mode))
		res = fs_from_errno(r->opts.match ? ENOENT : ENOTDIR);
	return res;
}

struct emit_xfer {
	struct xfer *x;
	enum xfer_status st;
};

static int emit_to_xfer(void *ctx, const char *buf, size_t len)
{
	struct emit_xfer *e = ctx;

	e->st = xfer_send_buf(e->x, buf, len);
	return e->st == XFER_OK ? 0 : -1;
}

static int send_listing(struct session *s, const char *arg, enum listing_kind kind)
{
	struct list_req r;
	struct data_conn dc;
	struct xfer x;
	struct emit_xfer e = { &x, XFER_OK };
	struct fs_result res;
	int rc, err;

	s->eng.rest_offset = 0;
	if (!s->given.set->dirlist_enable)
		return ctrl_reply(&s->ctrl, 550, "Permission denied.");
	res = list_prepare(s, arg, kind, &r);
	if (!fs_ok(res))
		return fs_reply(s, FS_FOR_LIST, 550, res);
	rc = data_open(s, &dc, "Here comes the directory listing.");
	if (rc < 0)
		return rc == -2 ? -1 : 0;
	xfer_begin(&x, s, &dc, false, 0);
	/* A pattern lists one directory: -R goes with a path, not a glob. */
	if (r.recurse && !r.opts.match)
		rc = list_recurse_write(s, r.path, kind, &r.opts, emit_to_xfer, &e);
	else
		rc = listing_write(r.path, kind, &r.opts, emit_to_xfer, &e);
	err = errno;
	if (rc == -1)
		e.st = XFER_FILE_ERROR;
	xfer_end(&x, e.st);
	if (rc == -1 && err == E2BIG && r.recurse && !r.opts.match)
		return ctrl_reply(&s->ctrl, 451, "Too many directories; listing cut short.");
	if (rc == -1 && err == E2BIG)
		return ctrl_reply(&s->ctrl, 451, "Pattern too complex; listing cut short.");
	if (rc == -1)
		return ctrl_reply(&s->ctrl, 451, "Cannot read directory: %s.", strerror(err));
	if (e.st == XFER_OK)
		return ctrl_reply(&s->ctrl, 226, "Directory send OK.");
	return xfer_reply_failure(s, &x, e.st);
}

int cmd_list(struct session *s, const char *arg)
{
	return send_listing(s, arg, LISTING_LONG);
}

int cmd_nlst(struct session *s, const char *arg)
{
	return send_listing(s, arg, LISTING_NAMES);
}

int cmd_mlsd(struct session *s, const char *arg)
{
	return send_listing(s, arg, LISTING_MLSD);
}

/* ---- over the control connection ---- */

static int emit_to_ctrl(void *ctx, const char *buf, size_t len)
{
	return ctrl_write(ctx, buf, len);
}

/* STAT path: the LIST lines as a multi-line 213 reply. LIST lines start
 * with a file type letter, never with digits, so no line can be taken
 * for the end of the reply (RFC 959 §4.2). */
static int stat_path(struct session *s, const char *arg)
{
	static const char head[] = "213-Status follows:\r\n";
	struct list_req r;
	struct fs_result res;
	int rc;

	if (!s->given.set->dirlist_enable)
		return ctrl_reply(&s->ctrl, 550, "Permission denied.");
	res = list_prepare(s, arg, LISTING_LONG, &r);
	if (!fs_ok(res))
		return fs_reply(s, FS_FOR_LIST, 550, res);
	if (ctrl_write(&s->ctrl, head, sizeof(head) - 1) < 0)
		return -1;
	rc = listing_write(r.path, LISTING_LONG, &r.opts, emit_to_ctrl, &s->ctrl);
	if (rc == -2)
		return -1;
	if (rc < 0)
		return ctrl_reply(&s->ctrl, 213, "End of status (incomplete: %s).",
				  errno == E2BIG ? "pattern too complex" : strerror(errno));
	return ctrl_reply(&s->ctrl, 213, "End of status.");
}

static int stat_server(struct session *s)
{
	char text[2048];
	int n;

	n = snprintf(text, sizeof(text),
		     "211-FTP server status:\r\n"
		     "     Connected to %s\r\n"
		     "     Logged in as %s\r\n"
		     "     TYPE: %s\r\n"
		     "     Control connection: %s\r\n"
		     "     Data connections: %s\r\n"
		     "     Data connection: %s\r\n"
		     "     Restart offset: %llu\r\n"
		     "     Session timeout in seconds is %u\r\n"
		     "     Data connection timeout in seconds is %u\r\n"
		     "211 End of status\r\n",
		     s->given.peer_ip, s->login.user, s->eng.ascii ? "ASCII" : "BINARY",
		     s->given.tls_control ? "TLS" : "plain text",
		     s->eng.prot_private ? "TLS (PROT P)" : "plain text (PROT C)",
		     s->eng.pasv_fd >= 0 ? "passive, waiting" : "none",
		     (unsigned long long)s->eng.rest_offset, s->given.set->idle_session_timeout,
		     s->given.set->data_connection_timeout);
	if (n < 0 || (size_t)n >= sizeof(text))
		return ctrl_reply(&s->ctrl, 451, "Internal error.");
	return ctrl_write(&s->ctrl, text, (size_t)n);
}

/* STAT during a transfer is answered by engine/xfer.c. */
int cmd_stat(struct session *s, const char *arg)
{
	return arg[0] ? stat_path(s, arg) : stat_server(s);
}

/* MLST [path] (RFC 3659 §7): the facts of one entry on the control
 * connection, the entry named by its full path. */
int cmd_mlst(struct session *s, const char *arg)
{
	char path[SESSION_PATH_MAX], line[SESSION_PATH_MAX + 1024];
	struct listing_opts opts = {
		.hide_ids = s->given.set->hide_ids,
		.resolve_names = !s->login.chrooted,
		.facts = s->eng.mlst_facts,
		.now = time(NULL),
	};
	struct fs_result res;
	struct stat st;
	int n;

	opts.write_enable = perm_modify(s);
	res = perm_resolve(s, arg, path, sizeof(path));
	if (fs_ok(res))
		res = fsops_stat_or_lstat(path, &st);
	if (!fs_ok(res))
		return fs_reply(s, FS_FOR_LIST, 550, res);
	line[0] = ' ';
	n = listing_format_mlsx(line + 1, sizeof(line) - 1, path, &st, NULL, &opts);
	if (n < 0)
		return ctrl_reply(&s->ctrl, 550, "This name cannot be shown.");
	/* PATH came from one command line: it holds no CR or LF. */
	if (ctrl_write(&s->ctrl, "250-Listing ", 12) < 0 ||
	    ctrl_write(&s->ctrl, path, strlen(path)) < 0 || ctrl_write(&s->ctrl, "\r\n", 2) < 0 ||
	    ctrl_write(&s->ctrl, line, (size_t)n + 1) < 0)
		return -1;
	return ctrl_reply(&s->ctrl, 250, "End");
}
