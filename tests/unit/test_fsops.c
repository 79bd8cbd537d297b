/* Unit tests for engine/fsops.c: errno -> reason, reason -> FTP reply in
 * each command family (the texts the three old tables of cmd_file.c,
 * cmd_xfer.c and cmd_list.c gave), and the calls on a temporary tree. The
 * tests run as root, so EACCES cannot be made with a chmod'ed directory:
 * the errno cases are the ones root meets too. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/fsops.h"

static void expect_reply(enum fs_context ctx, int code, int err, int want_code,
			 const char *want_text)
{
	char text[256];
	int got;

	fs_reply_format(ctx, code, fs_from_errno(err), &got, text, sizeof(text));
	assert_int_equal(got, want_code);
	assert_string_equal(text, want_text);
}

static void test_reasons(void **state)
{
	(void)state;
	assert_int_equal(fs_from_errno(0).reason, FS_OK);
	assert_int_equal(fs_from_errno(ENOENT).reason, FS_NOENT);
	assert_int_equal(fs_from_errno(EACCES).reason, FS_DENIED);
	assert_int_equal(fs_from_errno(EPERM).reason, FS_DENIED);
	assert_int_equal(fs_from_errno(EROFS).reason, FS_DENIED);
	assert_int_equal(fs_from_errno(EEXIST).reason, FS_EXISTS);
	assert_int_equal(fs_from_errno(ENOTEMPTY).reason, FS_NOTEMPTY);
	assert_int_equal(fs_from_errno(EISDIR).reason, FS_ISDIR);
	assert_int_equal(fs_from_errno(ENOTDIR).reason, FS_NOTDIR);
	assert_int_equal(fs_from_errno(EBUSY).reason, FS_BUSY);
	assert_int_equal(fs_from_errno(ETXTBSY).reason, FS_BUSY);
	assert_int_equal(fs_from_errno(EAGAIN).reason, FS_LOCKED);
	assert_int_equal(fs_from_errno(ENOSPC).reason, FS_NOSPACE);
	assert_int_equal(fs_from_errno(EDQUOT).reason, FS_NOSPACE);
	assert_int_equal(fs_from_errno(ENAMETOOLONG).reason, FS_TOOLONG);
	assert_int_equal(fs_from_errno(EIO).reason, FS_OTHER);
	assert_int_equal(fs_from_errno(EIO).err, EIO);
}

/* DELE, MKD, RMD, RNFR/RNTO, SIZE, MDTM, MFMT: cmd_file.c's old table. */
static void test_reply_change(void **state)
{
	(void)state;
	expect_reply(FS_FOR_CHANGE, 550, ENOENT, 550, "No such file or directory.");
	expect_reply(FS_FOR_CHANGE, 550, EROFS, 550, "Permission denied.");
	expect_reply(FS_FOR_CHANGE, 550, EEXIST, 550, "File exists.");
	expect_reply(FS_FOR_CHANGE, 550, ENOTEMPTY, 550, "Directory not empty.");
	expect_reply(FS_FOR_CHANGE, 550, EISDIR, 550, "Is a directory.");
	expect_reply(FS_FOR_CHANGE, 550, ENOTDIR, 550, "Not a directory.");
	expect_reply(FS_FOR_CHANGE, 550, ETXTBSY, 450, "File busy.");
	expect_reply(FS_FOR_CHANGE, 550, EDQUOT, 452, "Insufficient storage space.");
	expect_reply(FS_FOR_CHANGE, 553, ENAMETOOLONG, 553, "File name too long.");
	expect_reply(FS_FOR_CHANGE, 553, EINVAL, 553, "Invalid argument.");
	expect_reply(FS_FOR_CHANGE, 550, EAGAIN, 550, "Resource temporarily unavailable.");
}

/* RETR and uploads: cmd_xfer.c's old table. */
static void test_reply_transfer(void **state)
{
	(void)state;
	expect_reply(FS_FOR_DOWNLOAD, 550, ENOENT, 550, "No such file or directory.");
	expect_reply(FS_FOR_DOWNLOAD, 550, EAGAIN, 450, "File busy, try again later.");
	expect_reply(FS_FOR_DOWNLOAD, 550, EBUSY, 450, "File busy, try again later.");
	expect_reply(FS_FOR_UPLOAD, 553, ETXTBSY, 450, "File busy, try again later.");
	expect_reply(FS_FOR_UPLOAD, 553, EAGAIN, 450, "File busy: another transfer holds it.");
	expect_reply(FS_FOR_UPLOAD, 553, ENOSPC, 452, "Insufficient storage space.");
	expect_reply(FS_FOR_UPLOAD, 553, EACCES, 553, "Permission denied.");
	expect_reply(FS_FOR_UPLOAD, 553, EISDIR, 553, "Is a directory.");
	expect_reply(FS_FOR_UPLOAD, 553, EEXIST, 553, "File exists; overwriting is not allowed.");
	expect_reply(FS_FOR_UPLOAD, 553, ENAMETOOLONG, 553, "File name too long.");
	expect_reply(FS_FOR_UPLOAD, 553, ENOTDIR, 553, "Could not open file: Not a directory.");
	expect_reply(FS_FOR_DOWNLOAD, 550, EIO, 550, "Could not open file: Input/output error.");
}

/* LIST, NLST, MLSD, STAT path, MLST: cmd_list.c's old table. */
static void test_reply_list(void **state)
{
	(void)state;
	expect_reply(FS_FOR_LIST, 550, ENOTDIR, 501, "Not a directory.");
	expect_reply(FS_FOR_LIST, 550, EACCES, 550, "Permission denied.");
	expect_reply(FS_FOR_LIST, 550, ENAMETOOLONG, 550, "Path too long.");
	expect_reply(FS_FOR_LIST, 550, ENOENT, 550, "No such file or directory.");
	expect_reply(FS_FOR_LIST, 550, ELOOP, 550, "No such file or directory.");
	expect_reply(FS_FOR_LIST, 550, EBUSY, 550, "No such file or directory.");
}

/* Reasons no errno stands behind. */
static void test_reply_own_reasons(void **state)
{
	char text[256];
	int code;

	(void)state;
	fs_reply_format(FS_FOR_CHANGE, 550, fs_because(FS_PATHMAX), &code, text, sizeof(text));
	assert_string_equal(text, "Path too long.");
	fs_reply_format(FS_FOR_LIST, 550, fs_because(FS_PATHMAX), &code, text, sizeof(text));
	assert_string_equal(text, "Path too long.");
	fs_reply_format(FS_FOR_DOWNLOAD, 550, fs_because(FS_NOTREG), &code, text, sizeof(text));
	assert_int_equal(code, 550);
	assert_string_equal(text, "Not a plain file.");
	fs_reply_format(FS_FOR_UPLOAD, 550, fs_because(FS_DENIED), &code, text, sizeof(text));
	assert_int_equal(code, 550);
	assert_string_equal(text, "Permission denied.");
}

/* ---- the calls, on a temporary tree ---- */

static char root[64];

static int tree_setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test_fsops.XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int tree_teardown(void **state)
{
	char cmd[128];
	const char *names[] = { "d/f", "d", "f2", "f", "link", "moved", NULL };

	(void)state;
	for (int i = 0; names[i]; i++) {
		snprintf(cmd, sizeof(cmd), "%s/%s", root, names[i]);
		(void)unlink(cmd);
		(void)rmdir(cmd);
	}
	return rmdir(root);
}

/* ROOT/NAME; four at a time may be in use (one call's arguments). */
static const char *at(const char *name)
{
	static char buf[4][512];
	static int next;
	char *p = buf[next++ % 4];
	int n = snprintf(p, sizeof(buf[0]), "%s/%s", root, name);

	assert_true(n > 0 && (size_t)n < sizeof(buf[0]));
	return p;
}

static void make_file(const char *name, const char *body)
{
	int fd;

	assert_int_equal(fsops_open(at(name), O_WRONLY | O_CREAT | O_EXCL, 0644, &fd).reason,
			 FS_OK);
	assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
	assert_int_equal(fsops_close(fd).reason, FS_OK);
}

static void test_names(void **state)
{
	char longname[300];
	struct stat st;
	int fd;

	(void)state;
	assert_int_equal(fsops_mkdir(at("d"), 0755).reason, FS_OK);
	assert_int_equal(fsops_mkdir(at("d"), 0755).reason, FS_EXISTS);
	make_file("d/f", "x");
	assert_int_equal(fsops_rmdir(at("d")).reason, FS_NOTEMPTY);
	assert_int_equal(fsops_unlink(at("d")).reason, FS_ISDIR);
	assert_int_equal(fsops_open(at("d/f/x"), O_RDONLY, 0, &fd).reason, FS_NOTDIR);
	assert_int_equal(fd, -1);
	assert_int_equal(fsops_stat(at("nothing"), &st).reason, FS_NOENT);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(fsops_stat(at(longname), &st).reason, FS_TOOLONG);
	assert_int_equal(fsops_open(at(longname), O_WRONLY | O_CREAT, 0644, &fd).reason,
			 FS_TOOLONG);
	assert_int_equal(fsops_unlink(at("d/f")).reason, FS_OK);
	assert_int_equal(fsops_rmdir(at("d")).reason, FS_OK);
	assert_int_equal(fsops_rmdir(at("d")).reason, FS_NOENT);
}

static void test_rename_and_move(void **state)
{
	struct stat st;

	(void)state;
	make_file("f", "one");
	make_file("f2", "two");
	assert_int_equal(fsops_move(at("f"), at("f2"), true).reason, FS_EXISTS);
	assert_int_equal(fsops_move(at("f"), at("f2"), false).reason, FS_OK);
	assert_int_equal(fsops_lstat(at("f"), &st).reason, FS_NOENT);
	assert_int_equal(fsops_rename(at("f2"), at("moved")).reason, FS_OK);
	assert_int_equal(fsops_stat(at("moved"), &st).reason, FS_OK);
	assert_int_equal(st.st_size, 3);
	assert_int_equal(fsops_rename(at("f2"), at("moved")).reason, FS_NOENT);
}

static void test_open_regular(void **state)
{
	struct stat st;
	int fd;

	(void)state;
	make_file("f", "hello");
	assert_int_equal(fsops_open_regular(at("f"), &fd, &st).reason, FS_OK);
	assert_true(fd >= 0);
	assert_int_equal(st.st_size, 5);
	assert_int_equal(fsops_seek(fd, 2).reason, FS_OK);
	assert_int_equal(fsops_close(fd).reason, FS_OK);
	assert_int_equal(fsops_mkdir(at("d"), 0755).reason, FS_OK);
	assert_int_equal(fsops_open_regular(at("d"), &fd, &st).reason, FS_NOTREG);
	assert_int_equal(fd, -1);
	assert_int_equal(fsops_open_regular(at("none"), &fd, &st).reason, FS_NOENT);
}

static void test_truncate_chmod_mtime(void **state)
{
	struct stat st;
	int fd;

	(void)state;
	make_file("f", "0123456789");
	assert_int_equal(fsops_open(at("f"), O_WRONLY, 0, &fd).reason, FS_OK);
	assert_int_equal(fsops_truncate_at(fd, 4).reason, FS_OK);
	assert_int_equal(write(fd, "xy", 2), 2);
	assert_int_equal(fsops_fchmod(fd, 0600).reason, FS_OK);
	assert_int_equal(fsops_close(fd).reason, FS_OK);
	assert_int_equal(fsops_stat(at("f"), &st).reason, FS_OK);
	assert_int_equal(st.st_size, 6);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fsops_chmod(at("f"), 0640).reason, FS_OK);
	assert_int_equal(fsops_set_mtime(at("f"), 1000000000).reason, FS_OK);
	assert_int_equal(fsops_stat(at("f"), &st).reason, FS_OK);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(st.st_mtime, 1000000000);
	assert_int_equal(fsops_set_mtime(at("none"), 0).reason, FS_NOENT);
	assert_int_equal(fsops_access_write(at("f")).reason, FS_OK);
}

static void test_links(void **state)
{
	char buf[8], big[64];
	struct stat st;

	(void)state;
	assert_int_equal(symlink("a-long-target", at("link")), 0);
	assert_int_equal(fsops_stat(at("link"), &st).reason, FS_NOENT);
	assert_int_equal(fsops_stat_or_lstat(at("link"), &st).reason, FS_OK);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(fsops_stat_at(AT_FDCWD, at("link"), &st, false).reason, FS_OK);
	assert_int_equal(fsops_stat_at(AT_FDCWD, at("link"), &st, true).reason, FS_NOENT);
	/* A target that does not fit is no answer, not a cut one. */
	assert_int_equal(fsops_readlink_at(AT_FDCWD, at("link"), buf, sizeof(buf)).reason,
			 FS_TOOLONG);
	assert_int_equal(fsops_readlink_at(AT_FDCWD, at("link"), big, sizeof(big)).reason, FS_OK);
	assert_string_equal(big, "a-long-target");
}

static void test_dirs(void **state)
{
	struct dirent *e;
	struct fs_result r;
	int seen = 0;
	DIR *d;

	(void)state;
	make_file("f", "");
	assert_int_equal(fsops_mkdir(at("d"), 0755).reason, FS_OK);
	assert_int_equal(fsops_dir_open(at("f"), &d).reason, FS_NOTDIR);
	assert_null(d);
	assert_int_equal(fsops_dir_open(at("none"), &d).reason, FS_NOENT);
	assert_int_equal(fsops_dir_open(root, &d).reason, FS_OK);
	while (fs_ok(r = fsops_dir_read(d, &e)) && e != NULL)
		seen += strcmp(e->d_name, "f") == 0 || strcmp(e->d_name, "d") == 0;
	assert_int_equal(r.reason, FS_OK);
	assert_int_equal(seen, 2);
	fsops_dir_close(d);
	assert_int_equal(fsops_chdir(at("f")).reason, FS_NOTDIR);
	assert_int_equal(fsops_chdir(at("d")).reason, FS_OK);
	assert_int_equal(fsops_chdir("/").reason, FS_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_reply_change),
		cmocka_unit_test(test_reply_transfer),
		cmocka_unit_test(test_reply_list),
		cmocka_unit_test(test_reply_own_reasons),
		cmocka_unit_test_setup_teardown(test_names, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_rename_and_move, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_open_regular, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_truncate_chmod_mtime, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_links, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_dirs, tree_setup, tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
