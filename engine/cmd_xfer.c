/* File transfer commands: RETR, STOR, APPE, STOU, REST, ABOR (when no
 * transfer is running; during one, engine/xfer.c answers it).
 *
 * Uploads with atomic_uploads=YES (the default) go to a hidden temporary
 * name in the target's directory and are renamed over the target only
 * after the whole file arrived and was closed without error, so a failed,
 * aborted or disconnected upload leaves the previous file as it was.
 * Resumed uploads (REST n + STOR, APPE) extend a file in place by
 * definition and are not atomic; neither is anything with
 * atomic_uploads=NO (vsftpd's behaviour: write in place). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/commands.h"
#include "engine/data.h"
#include "engine/filelock.h"
#include "engine/fsops.h"
#include "engine/path.h"
#include "engine/perm.h"
#include "engine/xfer.h"
#include "privsep/proto.h"

#define TEMP_PREFIX ".ftpsd-upload."
#define STOU_TRIES 100

/* Take the REST offset: it applies to the next transfer only. */
static uint64_t take_rest(struct session *s)
{
	uint64_t off = s->eng.rest_offset;

	s->eng.rest_offset = 0;
	return off;
}

int cmd_rest(struct session *s, const char *arg)
{
	uint64_t off;

	if (xfer_parse_offset(arg, &off) < 0)
		return ctrl_reply(&s->ctrl, 501, "REST needs a decimal byte offset.");
	s->eng.rest_offset = off;
	return ctrl_reply(&s->ctrl, 350, "Restart position accepted (%llu).",
			  (unsigned long long)off);
}

int cmd_abor(struct session *s, const char *arg)
{
	(void)arg;
	/* A transfer in progress is aborted inside engine/xfer.c; here there
	 * is none. A passive listener waiting for a transfer is dropped. */
	if (s->eng.pasv_fd >= 0) {
		close(s->eng.pasv_fd);
		s->eng.pasv_fd = -1;
	}
	s->eng.rest_offset = 0;
	return ctrl_reply(&s->ctrl, 225, "No transfer to ABOR.");
}

int cmd_retr(struct session *s, const char *arg)
{
	char path[SESSION_PATH_MAX], prelim[SESSION_PATH_MAX + 128];
	uint64_t offset = take_rest(s), remaining;
	struct timespec start;
	struct data_conn dc;
	struct xfer x;
	struct stat st;
	struct fs_result r;
	enum xfer_status xs;
	int file, rc;

	if (!s->given.set->download_enable)
		return ctrl_reply(&s->ctrl, 550, "Permission denied.");
	r = perm_resolve(s, arg, path, sizeof(path));
	if (fs_ok(r))
		r = fsops_open_regular(path, &file, &st);
	if (!fs_ok(r))
		return fs_reply(s, FS_FOR_DOWNLOAD, 550, r);
	/* vsftpd's anon_world_readable_only: an anonymous session shares one
	 * account, so only what everyone may read is served to it. */
	if (s->login.anonymous && s->given.set->anon_world_readable_only &&
	    !(st.st_mode & S_IROTH)) {
		close(file);
		return ctrl_reply(&s->ctrl, 550, "Permission denied.");
	}
	if (s->given.set->lock_upload_files &&
	    file_lock(file, false, s->given.set->data_connection_timeout) < 0) {
		close(file);
		return ctrl_reply(&s->ctrl, 450, "File busy: an upload holds it.");
	}
	if (!xfer_offset_valid(offset, (uint64_t)st.st_size, &remaining) ||
	    !fs_ok(fsops_seek(file, offset))) {
		close(file);
		return ctrl_reply(&s->ctrl, 554,
				  "Invalid REST offset %llu: the file has %lld bytes.",
				  (unsigned long long)offset, (long long)st.st_size);
	}
	snprintf(prelim, sizeof(prelim), "Opening %s mode data connection for %s (%llu bytes).",
		 s->eng.ascii ? "ASCII" : "BINARY", arg, (unsigned long long)remaining);
	clock_gettime(CLOCK_MONOTONIC, &start);
	rc = data_open(s, &dc, prelim);
	if (rc < 0) {
		close(file);
		return rc == -2 ? -1 : 0;
	}
	xfer_begin(&x, s, &dc, false, remaining);
	x.path = path;
	/* TYPE A converts only with ascii_download_enable (vsftpd's rule). */
	xs = xfer_send_file(&x, file, s->eng.ascii && s->given.set->ascii_download_enable);
	close(file);
	xfer_end(&x, xs);
	xfer_report(s, XFER_DOWNLOAD, path, &x, &start, xs == XFER_OK);
	if (xs == XFER_FILE_ERROR)
		return ctrl_reply(&s->ctrl, 451, "Failure reading local file.");
	return xfer_reply_failure(s, &x, xs);
}

/* ---- uploads ---- */

enum upload_kind { UPLOAD_STOR, UPLOAD_APPE, UPLOAD_STOU };

struct upload {
	char target[SESSION_PATH_MAX]; /* the name the client asked for */
	char temp[SESSION_PATH_MAX];   /* atomic: where the data goes; else "" */
	bool remove_on_failure;        /* a file we created for this upload */
	bool created;                  /* this upload created TARGET or TEMP */
	bool no_replace;               /* the rename must not replace a file */
	bool bad_offset;               /* REST n beyond the end of the file */
	mode_t mode;                   /* file_open_mode, before the umask */
	int fd;
};

/* PATH created for U, O_EXCL: FS_EXISTS when it was there already. */
static struct fs_result create_new(struct upload *u, const char *path)
{
	struct fs_result r = fsops_open(path, O_WRONLY | O_CREAT | O_EXCL, u->mode, &u->fd);

	if (fs_ok(r)) {
		u->remove_on_failure = true;
		u->created = true;
	}
	return r;
}

/* TEMP := a fresh hidden name in TARGET's directory, created O_EXCL. */
static struct fs_result open_temp(struct upload *u)
{
	const char *slash = strrchr(u->target, '/');
	size_t dirlen = (size_t)(slash - u->target);
	struct fs_result r = fs_from_errno(EEXIST);

	for (int tries = 0; tries < 8 && r.reason == FS_EXISTS; tries++) {
		unsigned char rnd[8];
		int n;

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return fs_from_errno(errno);
		n = snprintf(u->temp, sizeof(u->temp),
			     "%.*s/" TEMP_PREFIX "%02x%02x%02x%02x%02x%02x%02x%02x", (int)dirlen,
			     u->target, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6],
			     rnd[7]);
		if (n < 0 || (size_t)n >= sizeof(u->temp))
			return fs_from_errno(ENAMETOOLONG);
		r = create_new(u, u->temp);
	}
	return r;
}

/* STOR without REST, atomic: the old file must be one we could have
 * overwritten in place, and the new one keeps its permission bits. */
static struct fs_result open_atomic(struct upload *u, bool may_replace)
{
	struct stat st;
	bool exists = fs_ok(fsops_stat(u->target, &st));
	struct fs_result r;

	if (exists && !may_replace)
		return fs_from_errno(EEXIST);
	if (exists && !S_ISREG(st.st_mode))
		return fs_from_errno(S_ISDIR(st.st_mode) ? EISDIR : EACCES);
	r = exists ? fsops_access_write(u->target) : fs_because(FS_OK);
	if (fs_ok(r))
		r = open_temp(u);
	if (!fs_ok(r))
		return r;
	if (exists)
		(void)fsops_fchmod(u->fd, st.st_mode & 0777);
	u->no_replace = !may_replace;
	return r;
}

/* Open TARGET with FLAGS; with O_CREAT and no O_EXCL, O_EXCL first, to
 * know whether this upload created the file (delete_failed_uploads
 * removes only what it created). */
static struct fs_result open_target(struct upload *u, int flags)
{
	struct fs_result r;

	if ((flags & (O_CREAT | O_EXCL)) == O_CREAT) {
		r = fsops_open(u->target, flags | O_EXCL, u->mode, &u->fd);
		u->created = fs_ok(r);
		if (r.reason == FS_EXISTS)
			r = fsops_open(u->target, flags, u->mode, &u->fd);
		return r;
	}
	r = fsops_open(u->target, flags, u->mode, &u->fd);
	u->created = fs_ok(r) && (flags & O_EXCL);
	return r;
}

/* STOR (REST 0, atomic_uploads=NO), REST n + STOR, APPE: in place. */
static struct fs_result open_in_place(struct upload *u, enum upload_kind kind, uint64_t offset,
				      bool may_replace, bool lock, unsigned lock_timeout_s)
{
	int flags = O_WRONLY | O_NONBLOCK;
	struct fs_result r;
	struct stat st;

	if (!may_replace && kind == UPLOAD_STOR && offset > 0)
		return fs_from_errno(EACCES); /* resuming changes an existing file */
	if (kind == UPLOAD_APPE)
		flags |= O_CREAT | O_APPEND;
	else if (offset == 0)
		flags |= O_CREAT;
	if (!may_replace)
		flags |= O_CREAT | O_EXCL; /* only new files */
	r = open_target(u, flags);
	if (!fs_ok(r))
		return r;
	if (!fs_ok(fsops_fstat(u->fd, &st)) || !S_ISREG(st.st_mode))
		return fs_from_errno(EACCES);
	/* Before the truncation: a download in progress finishes first. */
	if (lock && file_lock(u->fd, true, lock_timeout_s) < 0)
		return fs_from_errno(errno);
	if (kind == UPLOAD_APPE)
		return r;
	if (offset > (uint64_t)st.st_size) {
		u->bad_offset = true;
		return fs_from_errno(EINVAL);
	}
	/* Resume: what was there up to OFFSET stays, the rest is replaced. */
	return fsops_truncate_at(u->fd, offset);
}

/* STOU: BASE, BASE.1, BASE.2, ... whichever does not exist yet. */
static struct fs_result open_unique(struct upload *u, const char *base)
{
	struct fs_result r = fs_from_errno(EEXIST);

	for (int i = 0; i < STOU_TRIES && r.reason == FS_EXISTS; i++) {
		int n = i == 0 ? snprintf(u->target, sizeof(u->target), "%s", base)
			       : snprintf(u->target, sizeof(u->target), "%s.%d", base, i);

		if (n < 0 || (size_t)n >= sizeof(u->target))
			return fs_from_errno(ENAMETOOLONG);
		r = create_new(u, u->target);
	}
	return r;
}

static void upload_discard(struct upload *u)
{
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	if (u->remove_on_failure)
		(void)fsops_unlink(u->temp[0] ? u->temp : u->target);
}

/* Close the file and, when atomic, move it into place. On failure the
 * new data is gone and the old file untouched. */
static struct fs_result upload_commit(struct upload *u)
{
	struct fs_result r = fsops_close(u->fd);

	u->fd = -1;
	if (fs_ok(r) && u->temp[0])
		r = fsops_move(u->temp, u->target, u->no_replace);
	if (!fs_ok(r))
		upload_discard(u);
	return r;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

/* The file an upload of KIND writes to, opened into U. */
static struct fs_result upload_open(struct session *s, struct upload *u, enum upload_kind kind,
				    uint64_t offset)
{
	if (kind == UPLOAD_STOU) {
		char base[SESSION_PATH_MAX];

		memcpy(base, u->target, sizeof(base));
		return open_unique(u, base);
	}
	if (kind == UPLOAD_STOR && offset == 0 && s->given.set->atomic_uploads)
		return open_atomic(u, perm_modify(s));
	return open_in_place(u, kind, offset, perm_modify(s), s->given.set->lock_upload_files,
			     s->given.set->data_connection_timeout);
}

static int upload(struct session *s, const char *arg, enum upload_kind kind)
{
	struct upload u = { .fd = -1, .mode = (mode_t)s->given.set->file_open_mode };
	uint64_t offset = take_rest(s);
	char prelim[SESSION_PATH_MAX + 64];
	struct timespec start;
	struct data_conn dc;
	struct fs_result r;
	struct xfer x;
	enum xfer_status xs;
	int rc;

	if (!perm_upload(s))
		return ctrl_reply(&s->ctrl, 550, "Permission denied.");
	if (kind == UPLOAD_STOU && !arg[0])
		arg = "ftpsd-upload";
	r = perm_resolve(s, arg, u.target, sizeof(u.target));
	if (r.reason == FS_PATHMAX || strcmp(u.target, "/") == 0)
		return ctrl_reply(&s->ctrl, 553, "Bad file name.");
	if (!fs_ok(r))
		return fs_reply(s, FS_FOR_UPLOAD, 550, r);
	r = upload_open(s, &u, kind, offset);
	if (!fs_ok(r)) {
		upload_discard(&u);
		if (u.bad_offset)
			return ctrl_reply(&s->ctrl, 554,
					  "Invalid REST offset: beyond the end of the file.");
		return fs_reply(s, FS_FOR_UPLOAD, 553, r);
	}
	if (perm_chown_upload(s, u.fd) < 0) {
		upload_discard(&u);
		return ctrl_reply(&s->ctrl, 553, "Could not set the owner of the upload.");
	}
	if (kind == UPLOAD_STOU)
		snprintf(prelim, sizeof(prelim), "FILE: %s", base_name(u.target));
	else
		snprintf(prelim, sizeof(prelim), "Ok to send data.");
	clock_gettime(CLOCK_MONOTONIC, &start);
	rc = data_open(s, &dc, prelim);
	if (rc < 0) {
		upload_discard(&u);
		return rc == -2 ? -1 : 0;
	}
	xfer_begin(&x, s, &dc, true, 0);
	x.path = u.target;
	xs = xfer_recv_file(&x, u.fd, s->eng.ascii && s->given.set->ascii_upload_enable);
	if (xs == XFER_OK && !fs_ok(r = upload_commit(&u))) {
		xs = XFER_FILE_ERROR;
		x.err = r.err;
	}
	/* atomic_uploads=NO keeps a partial file, as vsftpd does, unless
	 * delete_failed_uploads asks to remove what this upload created. */
	if (xs != XFER_OK)
		u.remove_on_failure = (s->given.set->atomic_uploads && u.remove_on_failure) ||
				      (s->given.set->delete_failed_uploads && u.created);
	if (xs != XFER_OK)
		upload_discard(&u);
	xfer_end(&x, xs);
	xfer_report(s, XFER_UPLOAD, u.target, &x, &start, xs == XFER_OK);
	if (xs == XFER_OK && kind == UPLOAD_STOU)
		return ctrl_reply(&s->ctrl, 226, "Transfer complete (unique file name: %s).",
				  base_name(u.target));
	return xfer_reply_failure(s, &x, xs);
}

int cmd_stor(struct session *s, const char *arg)
{
	return upload(s, arg, UPLOAD_STOR);
}

int cmd_appe(struct session *s, const char *arg)
{
	return upload(s, arg, UPLOAD_APPE);
}

int cmd_stou(struct session *s, const char *arg)
{
	return upload(s, arg, UPLOAD_STOU);
}
