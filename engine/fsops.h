/* The engine's file-system layer (engine/fsops.c): every file-system call
 * a command makes, each returning a reason instead of replying, and the one
 * map from a reason to the FTP reply. The list of the calls it makes, to
 * read against the engine's seccomp allowlist, is at the top of fsops.c. */
#ifndef FTPSD_FSOPS_H
#define FTPSD_FSOPS_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

struct session;

/* Why a file-system call failed, as far as a reply tells it apart. */
enum fs_reason {
	FS_OK = 0,
	FS_NOENT,    /* ENOENT */
	FS_DENIED,   /* EACCES, EPERM, EROFS; deny_file */
	FS_EXISTS,   /* EEXIST */
	FS_NOTEMPTY, /* ENOTEMPTY, and rmdir's EEXIST */
	FS_ISDIR,    /* EISDIR */
	FS_NOTDIR,   /* ENOTDIR */
	FS_BUSY,     /* EBUSY, ETXTBSY */
	FS_LOCKED,   /* EAGAIN: a lock (lock_upload_files) or lease holds it */
	FS_NOSPACE,  /* ENOSPC, EDQUOT */
	FS_TOOLONG,  /* ENAMETOOLONG from the kernel */
	FS_PATHMAX,  /* the resolved path does not fit SESSION_PATH_MAX */
	FS_NOTREG,   /* opened for its bytes, but not a plain file */
	FS_OTHER,    /* anything else: ERR says what */
};

struct fs_result {
	enum fs_reason reason;
	int err; /* the errno behind REASON (0 for FS_OK, FS_PATHMAX, FS_NOTREG) */
};

static inline bool fs_ok(struct fs_result r)
{
	return r.reason == FS_OK;
}

/* ERR as a reason. Pure. */
struct fs_result fs_from_errno(int err);
/* A reason no errno stands behind (FS_PATHMAX, FS_DENIED for deny_file...). */
struct fs_result fs_because(enum fs_reason reason);

/* Which command family replies: where two families answered the same
 * reason differently, they still do. */
enum fs_context {
	FS_FOR_CHANGE,   /* DELE, MKD, RMD, RNFR/RNTO, SIZE, MDTM, MFMT, SITE */
	FS_FOR_DOWNLOAD, /* RETR */
	FS_FOR_UPLOAD,   /* STOR, APPE, STOU */
	FS_FOR_LIST,     /* LIST, NLST, MLSD, STAT path, MLST */
};

/* The reply for R in CTX: *CODE (CODE unless the reason has its own: 450
 * busy, 452 no space...) and its text in TEXT. Pure. */
void fs_reply_format(enum fs_context ctx, int code, struct fs_result r, int *out_code, char *text,
		     size_t size);
/* Send that reply. The only errno/reason-to-reply table of the engine.
 * Returns what ctrl_reply returns. */
int fs_reply(struct session *s, enum fs_context ctx, int code, struct fs_result r);

/* ---- the calls; PATH is a real (kernel) path, already resolved ---- */

struct fs_result fsops_stat(const char *path, struct stat *st);  /* follows links */
struct fs_result fsops_lstat(const char *path, struct stat *st); /* the link itself */
/* stat, and lstat when that fails (a dangling link still shows). */
struct fs_result fsops_stat_or_lstat(const char *path, struct stat *st);
/* NAME in the directory DFD (or AT_FDCWD); FOLLOW: a link's target. */
struct fs_result fsops_stat_at(int dfd, const char *name, struct stat *st, bool follow);
struct fs_result fsops_fstat(int fd, struct stat *st);
/* The target of the link NAME in DFD, NUL-terminated in BUF. */
struct fs_result fsops_readlink_at(int dfd, const char *name, char *buf, size_t size);
/* May this process write PATH (access W_OK, as the kernel would decide)? */
struct fs_result fsops_access_write(const char *path);

/* PATH opened with FLAGS (O_CLOEXEC and O_NOCTTY added) into *FD, -1 on failure. */
struct fs_result fsops_open(const char *path, int flags, mode_t mode, int *fd);
/* PATH opened read-only and non-blocking (a FIFO must not hang the
 * session) into *FD and its fstat into *ST; FS_NOTREG (closed, *FD -1)
 * when it is no plain file. */
struct fs_result fsops_open_regular(const char *path, int *fd, struct stat *st);
struct fs_result fsops_seek(int fd, uint64_t offset);
/* Cut FD to OFFSET bytes and continue writing there. */
struct fs_result fsops_truncate_at(int fd, uint64_t offset);
struct fs_result fsops_fchmod(int fd, mode_t mode);
/* Close FD (the last chance a write error shows). */
struct fs_result fsops_close(int fd);

struct fs_result fsops_unlink(const char *path);
struct fs_result fsops_mkdir(const char *path, mode_t mode);
struct fs_result fsops_rmdir(const char *path);
struct fs_result fsops_rename(const char *from, const char *to);
/* FROM over TO; with NO_REPLACE, fails FS_EXISTS when TO exists. */
struct fs_result fsops_move(const char *from, const char *to, bool no_replace);
struct fs_result fsops_chmod(const char *path, mode_t mode);
/* The modification time of PATH := MTIME, its access time untouched. */
struct fs_result fsops_set_mtime(const char *path, time_t mtime);
struct fs_result fsops_chdir(const char *path);

/* A directory stream of PATH (never a FIFO or device opened on the way:
 * O_DIRECTORY fails with ENOTDIR during lookup). */
struct fs_result fsops_dir_open(const char *path, DIR **out);
/* The next entry into *OUT, NULL at the end. */
struct fs_result fsops_dir_read(DIR *d, struct dirent **out);
void fsops_dir_close(DIR *d); /* read-only: closing cannot lose data */

#endif
