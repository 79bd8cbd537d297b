/* The engine's file-system layer (engine/fsops.h): the only file in
 * engine/ that makes file-system calls for commands, and the one map from
 * their reasons to FTP replies. Read the engine's seccomp allowlist
 * (sandbox/seccomp.c: base_calls, engine_calls, engine_write_calls and the
 * open/openat rule) against this list. tests/check_fsops.py checks that
 * every system call named here is in sandbox/seccomp.c and that no other
 * engine file calls a function named here.
 *
 * Calls (libc function -> system calls on Linux x86-64, glibc 2.36):
 *   stat -> newfstatat
 *   lstat -> newfstatat
 *   fstatat -> newfstatat
 *   fstat -> fstat, newfstatat
 *   readlinkat -> readlinkat
 *   access -> faccessat, faccessat2, access
 *   open -> openat, open
 *   lseek -> lseek
 *   ftruncate -> ftruncate
 *   fchmod -> fchmod
 *   chmod -> chmod, fchmodat
 *   unlink -> unlink
 *   mkdir -> mkdir
 *   rmdir -> rmdir
 *   rename -> rename
 *   renameat2 -> renameat2
 *   utimensat -> utimensat
 *   chdir -> chdir
 *   fdopendir -> fcntl, fstat
 *   readdir -> getdents64
 *   closedir -> close
 * (close() of a file is in base_calls; it also closes sockets everywhere,
 * so it is not reserved to this file.) */
#include "engine/fsops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/ctrl.h"
#include "engine/session.h"

struct fs_result fs_from_errno(int err)
{
	enum fs_reason why;

	switch (err) {
	case 0: why = FS_OK; break;
	case ENOENT: why = FS_NOENT; break;
	case EACCES:
	case EPERM:
	case EROFS: why = FS_DENIED; break;
	case EEXIST: why = FS_EXISTS; break;
	case ENOTEMPTY: why = FS_NOTEMPTY; break;
	case EISDIR: why = FS_ISDIR; break;
	case ENOTDIR: why = FS_NOTDIR; break;
	case EBUSY:
	case ETXTBSY: why = FS_BUSY; break;
	case EAGAIN: why = FS_LOCKED; break;
	case ENOSPC:
	case EDQUOT: why = FS_NOSPACE; break;
	case ENAMETOOLONG: why = FS_TOOLONG; break;
	default: why = FS_OTHER; break;
	}
	return (struct fs_result){ why, err };
}

struct fs_result fs_because(enum fs_reason reason)
{
	return (struct fs_result){ reason, 0 };
}

/* The result of a call that returned RC, with errno on failure. */
static struct fs_result result_of(int rc)
{
	return rc < 0 ? fs_from_errno(errno) : fs_because(FS_OK);
}

/* ---- reason -> reply ---- */

#define CTX(c) (1u << (c))
#define XFER (CTX(FS_FOR_DOWNLOAD) | CTX(FS_FOR_UPLOAD))
#define NOT_LIST (CTX(FS_FOR_CHANGE) | XFER)
#define ANY (NOT_LIST | CTX(FS_FOR_LIST))

/* First matching row wins. CODE 0: the caller's code. A reason with no
 * row for a context gets that context's fallback (reply_fallback). */
static const struct reply_row {
	enum fs_reason reason;
	unsigned ctxs;
	int code;
	const char *text;
} reply_rows[] = {
	{ FS_NOENT, ANY, 0, "No such file or directory." },
	{ FS_DENIED, ANY, 0, "Permission denied." },
	{ FS_PATHMAX, ANY, 0, "Path too long." },
	{ FS_EXISTS, CTX(FS_FOR_CHANGE), 0, "File exists." },
	{ FS_EXISTS, XFER, 0, "File exists; overwriting is not allowed." },
	{ FS_NOTEMPTY, CTX(FS_FOR_CHANGE), 0, "Directory not empty." },
	{ FS_ISDIR, NOT_LIST, 0, "Is a directory." },
	{ FS_NOTDIR, CTX(FS_FOR_CHANGE), 0, "Not a directory." },
	{ FS_NOTDIR, CTX(FS_FOR_LIST), 501, "Not a directory." },
	/* 450: busy right now, worth trying again (RFC 959). */
	{ FS_BUSY, CTX(FS_FOR_CHANGE), 450, "File busy." },
	{ FS_BUSY, XFER, 450, "File busy, try again later." },
	{ FS_LOCKED, CTX(FS_FOR_DOWNLOAD), 450, "File busy, try again later." },
	{ FS_LOCKED, CTX(FS_FOR_UPLOAD), 450, "File busy: another transfer holds it." },
	{ FS_NOSPACE, NOT_LIST, 452, "Insufficient storage space." },
	{ FS_TOOLONG, NOT_LIST, 0, "File name too long." },
	{ FS_TOOLONG, CTX(FS_FOR_LIST), 0, "Path too long." },
	{ FS_NOTREG, CTX(FS_FOR_CHANGE) | CTX(FS_FOR_DOWNLOAD), 0, "Not a plain file." },
};

/* What a context says of a reason it has no row for: the errno's text
 * (commands on files), that the open failed (transfers), or that there
 * is nothing to list (listings, which never tell more). */
static void reply_fallback(enum fs_context ctx, struct fs_result r, char *text, size_t size)
{
	const char *why = r.err ? strerror(r.err) : "Unknown error";

	switch (ctx) {
	case FS_FOR_CHANGE: snprintf(text, size, "%s.", why); break;
	case FS_FOR_DOWNLOAD:
	case FS_FOR_UPLOAD: snprintf(text, size, "Could not open file: %s.", why); break;
	case FS_FOR_LIST: snprintf(text, size, "No such file or directory."); break;
	}
}

void fs_reply_format(enum fs_context ctx, int code, struct fs_result r, int *out_code, char *text,
		     size_t size)
{
	*out_code = code;
	for (size_t i = 0; i < sizeof(reply_rows) / sizeof(reply_rows[0]); i++) {
		const struct reply_row *row = &reply_rows[i];

		if (row->reason == r.reason && (row->ctxs & CTX(ctx))) {
			if (row->code)
				*out_code = row->code;
			snprintf(text, size, "%s", row->text);
			return;
		}
	}
	reply_fallback(ctx, r, text, size);
}

int fs_reply(struct session *s, enum fs_context ctx, int code, struct fs_result r)
{
	char text[256];
	int out;

	fs_reply_format(ctx, code, r, &out, text, sizeof(text));
	return ctrl_reply(&s->ctrl, out, "%s", text);
}

/* ---- metadata ---- */

struct fs_result fsops_stat(const char *path, struct stat *st)
{
	return result_of(stat(path, st));
}

struct fs_result fsops_lstat(const char *path, struct stat *st)
{
	return result_of(lstat(path, st));
}

struct fs_result fsops_stat_or_lstat(const char *path, struct stat *st)
{
	if (stat(path, st) == 0)
		return fs_because(FS_OK);
	return result_of(lstat(path, st));
}

struct fs_result fsops_stat_at(int dfd, const char *name, struct stat *st, bool follow)
{
	return result_of(fstatat(dfd, name, st, follow ? 0 : AT_SYMLINK_NOFOLLOW));
}

struct fs_result fsops_fstat(int fd, struct stat *st)
{
	return result_of(fstat(fd, st));
}

struct fs_result fsops_readlink_at(int dfd, const char *name, char *buf, size_t size)
{
	ssize_t n = readlinkat(dfd, name, buf, size);

	if (n < 0)
		return fs_from_errno(errno);
	if ((size_t)n >= size)
		return fs_from_errno(ENAMETOOLONG); /* cut: no answer beats a wrong one */
	buf[n] = '\0';
	return fs_because(FS_OK);
}

struct fs_result fsops_access_write(const char *path)
{
	return result_of(access(path, W_OK));
}

/* ---- open files ---- */

struct fs_result fsops_open(const char *path, int flags, mode_t mode, int *fd)
{
	*fd = open(path, flags | O_CLOEXEC | O_NOCTTY, mode);
	return result_of(*fd);
}

struct fs_result fsops_open_regular(const char *path, int *fd, struct stat *st)
{
	struct fs_result r = fsops_open(path, O_RDONLY | O_NONBLOCK, 0, fd);

	if (!fs_ok(r))
		return r;
	if (fstat(*fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(*fd);
		*fd = -1;
		return fs_because(FS_NOTREG);
	}
	return r;
}

struct fs_result fsops_seek(int fd, uint64_t offset)
{
	return lseek(fd, (off_t)offset, SEEK_SET) < 0 ? fs_from_errno(errno) : fs_because(FS_OK);
}

struct fs_result fsops_truncate_at(int fd, uint64_t offset)
{
	if (ftruncate(fd, (off_t)offset) < 0)
		return fs_from_errno(errno);
	return fsops_seek(fd, offset);
}

struct fs_result fsops_fchmod(int fd, mode_t mode)
{
	return result_of(fchmod(fd, mode));
}

struct fs_result fsops_close(int fd)
{
	return result_of(close(fd));
}

/* ---- names ---- */

struct fs_result fsops_unlink(const char *path)
{
	return result_of(unlink(path));
}

struct fs_result fsops_mkdir(const char *path, mode_t mode)
{
	return result_of(mkdir(path, mode));
}

struct fs_result fsops_rmdir(const char *path)
{
	/* POSIX lets rmdir of a non-empty directory fail with EEXIST too. */
	if (rmdir(path) < 0)
		return fs_from_errno(errno == EEXIST ? ENOTEMPTY : errno);
	return fs_because(FS_OK);
}

struct fs_result fsops_rename(const char *from, const char *to)
{
	return result_of(rename(from, to));
}

struct fs_result fsops_move(const char *from, const char *to, bool no_replace)
{
	return result_of(
		renameat2(AT_FDCWD, from, AT_FDCWD, to, no_replace ? RENAME_NOREPLACE : 0));
}

struct fs_result fsops_chmod(const char *path, mode_t mode)
{
	return result_of(chmod(path, mode));
}

struct fs_result fsops_set_mtime(const char *path, time_t mtime)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = mtime } };

	return result_of(utimensat(AT_FDCWD, path, ts, 0));
}

struct fs_result fsops_chdir(const char *path)
{
	return result_of(chdir(path));
}

/* ---- directories ---- */

struct fs_result fsops_dir_open(const char *path, DIR **out)
{
	int fd;
	struct fs_result r = fsops_open(path, O_RDONLY | O_DIRECTORY | O_NONBLOCK, 0, &fd);

	*out = NULL;
	if (!fs_ok(r))
		return r;
	*out = fdopendir(fd);
	if (*out == NULL) {
		r = fs_from_errno(errno);
		close(fd);
	}
	return r;
}

struct fs_result fsops_dir_read(DIR *d, struct dirent **out)
{
	errno = 0;
	*out = readdir(d);
	return *out == NULL && errno != 0 ? fs_from_errno(errno) : fs_because(FS_OK);
}

void fsops_dir_close(DIR *d)
{
	(void)closedir(d);
}
