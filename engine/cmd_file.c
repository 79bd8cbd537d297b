/* Commands on files and directories that need no data connection: DELE,
 * RNFR/RNTO, MKD/XMKD, RMD/XRMD, SIZE, MDTM, MFMT, ALLO. Every command
 * that changes the file system asks engine/perm.c first (550). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/args.h"
#include "engine/ascii.h"
#include "engine/commands.h"
#include "engine/fsops.h"
#include "engine/path.h"
#include "engine/perm.h"

/* TYPE A SIZE reads the file to count line ends; bigger files are
 * refused (550) rather than read whole for one reply. */
#define ASCII_SIZE_MAX (64ull * 1024 * 1024)

static int denied(struct session *s)
{
	return ctrl_reply(&s->ctrl, 550, "Permission denied.");
}

int cmd_dele(struct session *s, const char *arg)
{
	char path[SESSION_PATH_MAX];
	struct stat st;
	struct fs_result r;

	if (!perm_modify(s))
		return denied(s);
	r = perm_resolve(s, arg, path, sizeof(path));
	if (!fs_ok(r))
		return fs_reply(s, FS_FOR_CHANGE, 550, r);
	if (fs_ok(fsops_lstat(path, &st)) && S_ISDIR(st.st_mode))
		return ctrl_reply(&s->ctrl, 550, "Is a directory; use RMD.");
	r = fsops_unlink(path);
	if (!fs_ok(r))
		return fs_reply(s, FS_FOR_CHANGE, 550, r);
	return ctrl_reply(&s->ctrl, 250, "Delete operation successful.");
}

int cmd_mkd(struct session *s, const char *arg)
{
	char path[SESSION_PATH_MAX], quoted[SESSION_PATH_MAX * 2 + 1];
	struct fs_result r;

	if (!perm_mkdir(s))
		return denied(s);
	r = perm_resolve(s, arg, path, sizeof(path));
	if (fs_ok(r))
		r = fsops_mkdir(path, 0777);
	if (!fs_ok(r))
		return fs_reply(s, FS_FOR_CHANGE, 550, r);
	path_quote(quoted, sizeof(quoted), path);
	return ctrl_reply(&s->ctrl, 257, "\"%s\" created", quoted);
}

int cmd_rmd(struct session *s, const char *arg)
{
	char path[SESSION_PATH_MAX];
	struct fs_result r;

	if (!perm_modify(s))
		return denied(s);
	r = perm_resolve(s, arg, path, sizeof(path));
	if (fs_ok(r))
		r = fsops_rmdir(path);
	if (!fs_ok(r))
		return fs_reply(s, FS_FOR_CHANGE, 550, r);
	return ctrl_reply(&s->ctrl, 250, "Remove directory operation successful.");
}

int cmd_rnfr(struct session *s, const char *arg)
{
	struct stat st;
	struct fs_result r;

	s->eng.rnfr_set = false;
	if (!perm_modify(s))
		return denied(s);
	r = perm_resolve(s, arg, s->eng.rnfr, sizeof(s->eng.rnfr));
	if (fs_ok(r))
		r = fsops_lstat(s->eng.rnfr, &st);
	if (!fs_ok(r))
		return fs_reply(s, FS_FOR_CHANGE, 550, r);
	s->eng.rnfr_set = true;
	return ctrl_reply(&s->ctrl, 350, "Ready for RNTO.");
}

int cmd_rnto(struct session *s, const char *arg)
{
	char path[SESSION_PATH_MAX];
	struct fs_result r;

	if (!s->eng.rnfr_set)
		return ctrl_reply(&s->ctrl, 503, "RNFR required first.");
	s->eng.rnfr_set = false;
	if (!perm_modify(s))
		return denied(s);
	r = perm_resolve(s, arg, path, sizeof(path));
	if (!fs_ok(r))
		return fs_reply(s, FS_FOR_CHANGE, 550, r);
	r = fsops_rename(s->eng.rnfr, path);
	/* 553: the new name itself is no good (RFC 959). */
	if (!fs_ok(r))
		return fs_reply(s, FS_FOR_CHANGE,
				r.reason == FS_TOOLONG || r.err == EINVAL ? 553 : 550, r);
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
	struct fs_result r;
	int fd;

	r = perm_resolve(s, arg, path, sizeof(path));
	if (fs_ok(r))
		r = fsops_open_regular(path, &fd, &st);
	if (r.reason == FS_NOTREG)
		return ctrl_reply(&s->ctrl, 550, "Could not get file size.");
	if (!fs_ok(r))
		return fs_reply(s, FS_FOR_CHANGE, 550, r);
	size = (uint64_t)st.st_size;
	if (s->eng.ascii && s->given.set->ascii_download_enable &&
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
	struct fs_result r;

	r = perm_resolve(s, arg, path, sizeof(path));
	if (fs_ok(r))
		r = fsops_stat(path, &st);
	if (fs_ok(r) && !S_ISREG(st.st_mode))
		r = fs_because(FS_NOTREG);
	if (!fs_ok(r))
		return fs_reply(s, FS_FOR_CHANGE, 550, r);
	if (format_time(when, sizeof(when), st.st_mtime) < 0)
		return ctrl_reply(&s->ctrl, 550, "Time out of range.");
	return ctrl_reply(&s->ctrl, 213, "%s", when);
}

/* MFMT time path (draft-somers-ftp-mfxx): set the modification time. */
int cmd_mfmt(struct session *s, const char *arg)
{
	char path[SESSION_PATH_MAX], when[32];
	struct fs_result r;
	const char *name;
	time_t mtime;

	/* vsftpd's mdtm_write=NO: clients may not change times. */
	if (!perm_modify(s) || !s->given.set->mdtm_write)
		return denied(s);
	name = args_parse_time(arg, &mtime);
	if (!name)
		return ctrl_reply(&s->ctrl, 501, "Syntax: MFMT YYYYMMDDHHMMSS path.");
	r = perm_resolve(s, name, path, sizeof(path));
	if (fs_ok(r))
		r = fsops_set_mtime(path, mtime);
	if (!fs_ok(r))
		return fs_reply(s, FS_FOR_CHANGE, 550, r);
	format_time(when, sizeof(when), mtime);
	return ctrl_reply(&s->ctrl, 213, "Modify=%s; %s", when, name);
}

int cmd_allo(struct session *s, const char *arg)
{
	(void)arg;
	return ctrl_reply(&s->ctrl, 202, "ALLO command ignored.");
}
