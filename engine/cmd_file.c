/* Commands on files and directories that need no data connection: DELE,
 * RNFR/RNTO, MKD/XMKD, RMD/XRMD, SIZE, MDTM, MFMT, ALLO. Every command
 * that changes the file system asks engine/perm.c first (550). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/tilde.h"
#include "engine/args.h"
#include "engine/ascii.h"
#include "engine/commands.h"
#include "engine/path.h"
#include "engine/perm.h"

/* TYPE A SIZE reads the file to count line ends; bigger files are
 * refused (550) rather than read whole for one reply. */
#define ASCII_SIZE_MAX (64ull * 1024 * 1024)

static int fs_error_reply(struct session *s, int code, int err)
{
	switch (err) {
	case ENOENT: return ctrl_reply(&s->ctrl, code, "No such file or directory.");
	case EACCES:
	case EPERM:
	case EROFS: return ctrl_reply(&s->ctrl, code, "Permission denied.");
	case EEXIST: return ctrl_reply(&s->ctrl, code, "File exists.");
	case ENOTEMPTY: return ctrl_reply(&s->ctrl, code, "Directory not empty.");
	case EISDIR: return ctrl_reply(&s->ctrl, code, "Is a directory.");
	case ENOTDIR: return ctrl_reply(&s->ctrl, code, "Not a directory.");
	case EBUSY:
	case ETXTBSY: return ctrl_reply(&s->ctrl, 450, "File busy.");
	case ENOSPC:
	case EDQUOT: return ctrl_reply(&s->ctrl, 452, "Insufficient storage space.");
	default: return ctrl_reply(&s->ctrl, code, "%s.", strerror(err));
	}
}

static int denied(struct session *s)
{
	return ctrl_reply(&s->ctrl, 550, "Permission denied.");
}

/* Resolve ARG into OUT; false (and a 550 sent into *RC) when too long. */
static bool resolve(struct session *s, const char *arg, char *out, int *rc)
{
	if (tilde_resolve(s, out, SESSION_PATH_MAX, arg) < 0) {
		*rc = ctrl_reply(&s->ctrl, 550, "Path too long.");
		return false;
	}
	if (perm_name_denied(s, out)) {
		*rc = denied(s);
		return false;
	}
	return true;
}

int cmd_dele(struct session *s, const char *arg)
{
	char path[SESSION_PATH_MAX];
	struct stat st;
	int rc;

	if (!perm_modify(s))
		return denied(s);
	if (!resolve(s, arg, path, &rc))
		return rc;
	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return ctrl_reply(&s->ctrl, 550, "Is a directory; use RMD.");
	if (unlink(path) < 0)
		return fs_error_reply(s, 550, errno);
	return ctrl_reply(&s->ctrl, 250, "Delete operation successful.");
}

int cmd_mkd(struct session *s, const char *arg)
{
	char path[SESSION_PATH_MAX], quoted[SESSION_PATH_MAX * 2 + 1];
	int rc;

	if (!perm_mkdir(s))
		return denied(s);
	if (!resolve(s, arg, path, &rc))
		return rc;
	if (mkdir(path, 0777) < 0)
		return fs_error_reply(s, 550, errno);
	path_quote(quoted, sizeof(quoted), path);
	return ctrl_reply(&s->ctrl, 257, "\"%s\" created", quoted);
}

int cmd_rmd(struct session *s, const char *arg)
{
	char path[SESSION_PATH_MAX];
	int rc;

	if (!perm_modify(s))
		return denied(s);
	if (!resolve(s, arg, path, &rc))
		return rc;
	if (rmdir(path) < 0)
		return fs_error_reply(s, 550, errno == EEXIST ? ENOTEMPTY : errno);
	return ctrl_reply(&s->ctrl, 250, "Remove directory operation successful.");
}

int cmd_rnfr(struct session *s, const char *arg)
{
	struct stat st;
	int rc;

	s->rnfr_set = false;
	if (!perm_modify(s))
		return denied(s);
	if (!resolve(s, arg, s->rnfr, &rc))
		return rc;
	if (lstat(s->rnfr, &st) < 0)
		return fs_error_reply(s, 550, errno);
	s->rnfr_set = true;
	return ctrl_reply(&s->ctrl, 350, "Ready for RNTO.");
}

int cmd_rnto(struct session *s, const char *arg)
{
	char path[SESSION_PATH_MAX];
	int rc;

	if (!s->rnfr_set)
		return ctrl_reply(&s->ctrl, 503, "RNFR required first.");
	s->rnfr_set = false;
	if (!perm_modify(s))
		return denied(s);
	if (!resolve(s, arg, path, &rc))
		return rc;
	if (rename(s->rnfr, path) < 0)
		return fs_error_reply(s, errno == EINVAL || errno == ENAMETOOLONG ? 553 : 550,
				      errno);
	return ctrl_reply(&s->ctrl, 250, "Rename successful.");
}

/* The size a TYPE A download of FD would send: each LF not already after
 * a CR grows by one byte. */
static int ascii_size(int fd, uint64_t *out)
{
	char buf[64 * 1024];
	bool prev_cr = false;
	uint64_t total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		total += (uint64_t)n + ascii_network_extra(buf, (size_t)n, &prev_cr);
	}
	*out = total;
	return 0;
}

/* RFC 3659 §4: the size of a transfer in the current TYPE. */
int cmd_size(struct session *s, const char *arg)
{
	char path[SESSION_PATH_MAX];
	struct stat st;
	uint64_t size;
	int rc, fd;

	if (!resolve(s, arg, path, &rc))
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fs_error_reply(s, 550, errno);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ctrl_reply(&s->ctrl, 550, "Could not get file size.");
	}
	size = (uint64_t)st.st_size;
	if (s->ascii && s->set->ascii_download_enable &&
	    (size > ASCII_SIZE_MAX || ascii_size(fd, &size) < 0)) {
		close(fd);
		return ctrl_reply(&s->ctrl, 550,
				  "SIZE not available in ASCII mode for this file; use TYPE I.");
	}
	close(fd);
	return ctrl_reply(&s->ctrl, 213, "%llu", (unsigned long long)size);
}

static int format_time(char *out, size_t size, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 0 || tm.tm_year > 9999 - 1900)
		return -1;
	snprintf(out, size, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}

int cmd_mdtm(struct session *s, const char *arg)
{
	char path[SESSION_PATH_MAX], when[32];
	struct stat st;
	int rc;

	if (!resolve(s, arg, path, &rc))
		return rc;
	if (stat(path, &st) < 0)
		return fs_error_reply(s, 550, errno);
	if (!S_ISREG(st.st_mode))
		return ctrl_reply(&s->ctrl, 550, "Not a plain file.");
	if (format_time(when, sizeof(when), st.st_mtime) < 0)
		return ctrl_reply(&s->ctrl, 550, "Time out of range.");
	return ctrl_reply(&s->ctrl, 213, "%s", when);
}

/* MFMT time path (draft-somers-ftp-mfxx): set the modification time. */
int cmd_mfmt(struct session *s, const char *arg)
{
	char path[SESSION_PATH_MAX], when[32];
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { 0 } };
	const char *name;
	int rc;

	/* vsftpd's mdtm_write=NO: clients may not change times. */
	if (!perm_modify(s) || !s->set->mdtm_write)
		return denied(s);
	name = args_parse_time(arg, &ts[1].tv_sec);
	if (!name)
		return ctrl_reply(&s->ctrl, 501, "Syntax: MFMT YYYYMMDDHHMMSS path.");
	if (!resolve(s, name, path, &rc))
		return rc;
	if (utimensat(AT_FDCWD, path, ts, 0) < 0)
		return fs_error_reply(s, 550, errno);
	format_time(when, sizeof(when), ts[1].tv_sec);
	return ctrl_reply(&s->ctrl, 213, "Modify=%s; %s", when, name);
}

int cmd_allo(struct session *s, const char *arg)
{
	(void)arg;
	return ctrl_reply(&s->ctrl, 202, "ALLO command ignored.");
}
