/* Unit tests for engine/listing.c: LIST/MLSx line formats and the
 * streaming directory walk. Runs with TZ=UTC so dates are deterministic. */
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/listing.h"

#define BIG_DIR_ENTRIES 100000

/* 2026-11-21 08:56:24 UTC, the "now" of every date test. */
static time_t test_now(void)
{
	struct tm tm = { 0 };

	tm.tm_year = 2026 - 1900;
	tm.tm_mon = 10;
	tm.tm_mday = 21;
	tm.tm_hour = 8;
	tm.tm_min = 56;
	tm.tm_sec = 24;
	return timegm(&tm);
}

static struct listing_opts opts_default(void)
{
	struct listing_opts o = { 0 };

	o.facts = FACT_DEFAULT;
	o.now = test_now();
	return o;
}

static struct stat make_stat(mode_t mode, off_t size, time_t mtime)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_mode = mode;
	st.st_nlink = 1;
	st.st_uid = 1000;
	st.st_gid = 1000;
	st.st_size = size;
	st.st_mtime = mtime;
	st.st_dev = 0x801;
	st.st_ino = 0x1234ab;
	return st;
}

/* The permission column is the first 10 characters of a LIST line. */
static void assert_mode(mode_t mode, const char *want)
{
	struct listing_opts o = opts_default();
	struct stat st = make_stat(mode, 0, o.now);
	char buf[256];

	assert_true(listing_format_long(buf, sizeof(buf), "x", &st, NULL, &o) > 0);
	assert_int_equal(strncmp(buf, want, 10), 0);
}

static void test_long_file_types(void **state)
{
	(void)state;
	assert_mode(S_IFREG | 0644, "-rw-r--r--");
	assert_mode(S_IFDIR | 0755, "drwxr-xr-x");
	assert_mode(S_IFLNK | 0777, "lrwxrwxrwx");
	assert_mode(S_IFCHR | 0620, "crw--w----");
	assert_mode(S_IFBLK | 0660, "brw-rw----");
	assert_mode(S_IFIFO | 0600, "prw-------");
	assert_mode(S_IFSOCK | 0755, "srwxr-xr-x");
	assert_mode(S_IFREG | 0000, "----------");
}

static void test_long_special_bits(void **state)
{
	(void)state;
	assert_mode(S_IFREG | 04755, "-rwsr-xr-x");
	assert_mode(S_IFREG | 04644, "-rwSr--r--");
	assert_mode(S_IFREG | 02755, "-rwxr-sr-x");
	assert_mode(S_IFREG | 02744, "-rwxr-Sr--");
	assert_mode(S_IFDIR | 01777, "drwxrwxrwt");
	assert_mode(S_IFDIR | 01776, "drwxrwxrwT");
	assert_mode(S_IFREG | 07000, "---S--S--T");
	assert_mode(S_IFREG | 07777, "-rwsrwsrwt");
}

static void test_long_full_line(void **state)
{
	struct listing_opts o = opts_default();
	struct stat st = make_stat(S_IFDIR | 0755, 4096, o.now - 3600);
	char buf[256];
	const char *want = "drwxr-xr-x    2 1000     1000         4096 "
			   "Nov 21 07:56 pub\r\n";
	int n;

	(void)state;
	st.st_nlink = 2;
	n = listing_format_long(buf, sizeof(buf), "pub", &st, NULL, &o);
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);
}

/* Only the date columns, "Mon dd HH:MM" or "Mon dd  YYYY". */
static void assert_date(time_t mtime, time_t now, const char *want)
{
	struct listing_opts o = opts_default();
	struct stat st = make_stat(S_IFREG | 0644, 1, mtime);
	char buf[256];
	const char *date;

	o.now = now;
	assert_true(listing_format_long(buf, sizeof(buf), "f", &st, NULL, &o) > 0);
	date = buf + strlen(buf) - strlen(" f\r\n") - 12;
	assert_int_equal(strncmp(date, want, 12), 0);
}

static void test_long_dates(void **state)
{
	time_t now = test_now();
	time_t six_months = 31556952 / 2;

	(void)state;
	assert_date(now, now, "Nov 21 08:56");
	assert_date(now - 3600, now, "Nov 21 07:56");
	/* Day of month padded with a space, not a zero. */
	assert_date(now - 16 * 86400, now, "Nov  5 08:56");
	/* Just inside and just outside ls's six months. */
	assert_date(now - six_months + 60, now, "May 22 18:02");
	assert_date(now - six_months - 86400, now, "May 21  2026");
	assert_date(now - 400 * 86400, now, "Oct 17  2025");
	/* The future shows the year, as ls does. */
	assert_date(now + 3600, now, "Nov 21  2026");
	assert_date(now + 60 * 86400, now, "Jan 20  2027");
}

static void test_long_hide_ids(void **state)
{
	struct listing_opts o = opts_default();
	struct stat st = make_stat(S_IFREG | 0644, 7, o.now);
	char buf[256];

	(void)state;
	o.hide_ids = true;
	o.resolve_names = true; /* hide_ids wins */
	assert_true(listing_format_long(buf, sizeof(buf), "f", &st, NULL, &o) > 0);
	assert_non_null(strstr(buf, " ftp      ftp             7 "));
}

static void test_long_numeric_ids(void **state)
{
	struct listing_opts o = opts_default();
	struct stat st = make_stat(S_IFREG | 0644, 7, o.now);
	char buf[256];

	(void)state;
	st.st_uid = 1234;
	st.st_gid = 56;
	assert_true(listing_format_long(buf, sizeof(buf), "f", &st, NULL, &o) > 0);
	assert_non_null(strstr(buf, " 1234     56              7 "));
}

static void test_long_resolved_names(void **state)
{
	struct listing_opts o = opts_default();
	struct stat st = make_stat(S_IFREG | 0644, 7, o.now);
	char buf[256];
	int i;

	(void)state;
	o.resolve_names = true;
	st.st_uid = 0;
	st.st_gid = 0;
	/* Repeated calls are served from the cache with the same answer. */
	for (i = 0; i < 3; i++) {
		assert_true(listing_format_long(buf, sizeof(buf), "f", &st, NULL, &o) > 0);
		assert_non_null(strstr(buf, " root     root            7 "));
	}
	/* An id with no passwd entry falls back to the number. */
	st.st_uid = 3999999;
	assert_true(listing_format_long(buf, sizeof(buf), "f", &st, NULL, &o) > 0);
	assert_non_null(strstr(buf, " 3999999  root "));
}

static void test_long_symlink_arrow(void **state)
{
	struct listing_opts o = opts_default();
	struct stat st = make_stat(S_IFLNK | 0777, 5, o.now);
	char buf[256];

	(void)state;
	assert_true(listing_format_long(buf, sizeof(buf), "ln", &st, "a.txt", &o) > 0);
	assert_non_null(strstr(buf, " ln -> a.txt\r\n"));
	assert_true(listing_format_long(buf, sizeof(buf), "ln", &st, NULL, &o) > 0);
	assert_non_null(strstr(buf, " ln\r\n"));
}

static void test_long_buffer_too_small(void **state)
{
	struct listing_opts o = opts_default();
	struct stat st = make_stat(S_IFREG | 0644, 3, o.now);
	char buf[256];
	int n;

	(void)state;
	n = listing_format_long(buf, sizeof(buf), "name", &st, NULL, &o);
	assert_true(n > 0);
	/* Exactly the line plus its NUL fits; one byte less does not. */
	assert_int_equal(listing_format_long(buf, (size_t)n + 1, "name", &st, NULL, &o), n);
	errno = 0;
	assert_int_equal(listing_format_long(buf, (size_t)n, "name", &st, NULL, &o), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(listing_format_long(buf, 10, "name", &st, NULL, &o), -1);
	assert_int_equal(listing_format_long(buf, 0, "name", &st, NULL, &o), -1);
	/* The symlink target counts too. */
	st.st_mode = S_IFLNK | 0777;
	assert_int_equal(listing_format_long(buf, (size_t)n + 1, "name", &st, "target", &o), -1);
}

static void test_crlf_names_refused(void **state)
{
	struct listing_opts o = opts_default();
	struct stat st = make_stat(S_IFREG | 0644, 3, o.now);
	char buf[256];

	(void)state;
	errno = 0;
	assert_int_equal(listing_format_long(buf, sizeof(buf), "a\r\nb", &st, NULL, &o), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(listing_format_mlsx(buf, sizeof(buf), "a\nb", &st, NULL, &o), -1);
	st.st_mode = S_IFLNK | 0777;
	assert_int_equal(listing_format_long(buf, sizeof(buf), "ln", &st, "x\ry", &o), -1);
}

static void test_mlsx_file_all_facts(void **state)
{
	struct listing_opts o = opts_default();
	struct stat st = make_stat(S_IFREG | 0644, 3, test_now());
	char buf[512];
	const char *want = "type=file;size=3;modify=20261121085624;perm=r;"
			   "unique=801g1234ab;unix.mode=0644;unix.owner=1000;"
			   "unix.group=1000; a.txt\r\n";
	int n;

	(void)state;
	n = listing_format_mlsx(buf, sizeof(buf), "a.txt", &st, NULL, &o);
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);
}

static void test_mlsx_dir_and_overrides(void **state)
{
	struct listing_opts o = opts_default();
	struct stat st = make_stat(S_IFDIR | 04755, 4096, test_now());
	char buf[512];

	(void)state;
	o.facts = FACT_TYPE | FACT_SIZE | FACT_UNIX_MODE;
	assert_true(listing_format_mlsx(buf, sizeof(buf), "sub", &st, NULL, &o) > 0);
	/* No size for a directory; special bits in the 4-digit mode. */
	assert_string_equal(buf, "type=dir;unix.mode=4755; sub\r\n");
	assert_true(listing_format_mlsx(buf, sizeof(buf), ".", &st, "cdir", &o) > 0);
	assert_string_equal(buf, "type=cdir;unix.mode=4755; .\r\n");
	st.st_mode = S_IFIFO | 0600;
	assert_true(listing_format_mlsx(buf, sizeof(buf), "p", &st, NULL, &o) > 0);
	assert_string_equal(buf, "type=OS.unix=fifo;unix.mode=0600; p\r\n");
}

static void test_mlsx_fact_mask(void **state)
{
	struct listing_opts o = opts_default();
	struct stat st = make_stat(S_IFREG | 0644, 3, test_now());
	char buf[512];

	(void)state;
	o.facts = FACT_SIZE | FACT_MODIFY;
	assert_true(listing_format_mlsx(buf, sizeof(buf), "f", &st, NULL, &o) > 0);
	assert_string_equal(buf, "size=3;modify=20261121085624; f\r\n");
	o.facts = FACT_UNIQUE | FACT_UNIX_OWNER | FACT_UNIX_GROUP;
	o.hide_ids = true;
	assert_true(listing_format_mlsx(buf, sizeof(buf), "f", &st, NULL, &o) > 0);
	assert_string_equal(buf, "unique=801g1234ab;unix.owner=ftp;unix.group=ftp; f\r\n");
	o.facts = 0;
	assert_true(listing_format_mlsx(buf, sizeof(buf), "f", &st, NULL, &o) > 0);
	assert_string_equal(buf, " f\r\n");
}

static void assert_perm(mode_t mode, bool write_enable, const char *want)
{
	struct listing_opts o = opts_default();
	struct stat st = make_stat(mode, 3, test_now());
	char buf[512], expect[64];

	o.facts = FACT_PERM;
	o.write_enable = write_enable;
	assert_true(listing_format_mlsx(buf, sizeof(buf), "x", &st, NULL, &o) > 0);
	assert_true(snprintf(expect, sizeof(expect), "perm=%s; x\r\n", want) < (int)sizeof(expect));
	assert_string_equal(buf, expect);
}

static void test_mlsx_perm(void **state)
{
	(void)state;
	assert_perm(S_IFREG | 0644, false, "r");
	assert_perm(S_IFREG | 0644, true, "adfrw");
	assert_perm(S_IFREG | 0444, true, "dfr");
	assert_perm(S_IFREG | 0000, false, "");
	assert_perm(S_IFDIR | 0755, false, "el");
	assert_perm(S_IFDIR | 0755, true, "cdeflmp");
	assert_perm(S_IFDIR | 0555, true, "defl");
	assert_perm(S_IFDIR | 0100, false, "e");
	assert_perm(S_IFIFO | 0644, false, "");
	assert_perm(S_IFIFO | 0644, true, "df");
}

static void test_mlsx_buffer_too_small(void **state)
{
	struct listing_opts o = opts_default();
	struct stat st = make_stat(S_IFREG | 0644, 3, test_now());
	char buf[512];
	int n;

	(void)state;
	n = listing_format_mlsx(buf, sizeof(buf), "name", &st, NULL, &o);
	assert_true(n > 0);
	assert_int_equal(listing_format_mlsx(buf, (size_t)n + 1, "name", &st, NULL, &o), n);
	errno = 0;
	assert_int_equal(listing_format_mlsx(buf, (size_t)n, "name", &st, NULL, &o), -1);
	assert_int_equal(errno, ERANGE);
}

/* The numbers are formatted by hand; printf's conversions are the oracle,
 * at the edges: widths overflowed, negative sizes, the largest ids, years
 * of fewer than four and more than five digits, 64-bit dev and inode. */
static const struct {
	unsigned long long nlink;
	unsigned uid, gid;
	long long size;
	unsigned long long dev, ino;
	mode_t perm;
} number_cases[] = {
	{ 1, 0, 0, 0, 0, 0, 0 },
	{ 9999, 9, 99999999, 99999999, 0x801, 0x1234ab, 0644 },
	{ 10000, 123456789, 4294967295u, 100000000, 1, 1, 07777 },
	{ 18446744073709551615ull, 4294967295u, 1, -1, 18446744073709551615ull,
	  18446744073709551615ull, 04000 },
	{ 3, 1000, 1000, -9223372036854775807ll - 1, 0, 0xfffffffffull, 01 },
	{ 2, 42, 7, 9223372036854775807ll, 0xabcdef, 0, 0755 },
};

static void test_numbers_as_printf_writes_them(void **state)
{
	struct listing_opts o = opts_default();
	char got[512], want[512], uid[16], gid[16];

	(void)state;
	for (size_t i = 0; i < sizeof(number_cases) / sizeof(number_cases[0]); i++) {
		struct stat st = make_stat(S_IFREG | number_cases[i].perm, 0, o.now - 3600);

		st.st_nlink = (nlink_t)number_cases[i].nlink;
		st.st_uid = number_cases[i].uid;
		st.st_gid = number_cases[i].gid;
		st.st_size = (off_t)number_cases[i].size;
		st.st_dev = (dev_t)number_cases[i].dev;
		st.st_ino = (ino_t)number_cases[i].ino;
		snprintf(uid, sizeof(uid), "%u", number_cases[i].uid);
		snprintf(gid, sizeof(gid), "%u", number_cases[i].gid);
		assert_true(listing_format_long(got, sizeof(got), "f", &st, NULL, &o) > 0);
		snprintf(want, sizeof(want), "%4lu %-8s %-8s %8lld Nov 21 07:56 f\r\n",
			 (unsigned long)st.st_nlink, uid, gid, (long long)st.st_size);
		assert_string_equal(got + 11, want);
		assert_true(listing_format_mlsx(got, sizeof(got), "f", &st, NULL, &o) > 0);
		snprintf(want, sizeof(want),
			 "type=file;size=%lld;modify=20261121075624;perm=%s;unique=%llxg%llx;"
			 "unix.mode=%04o;unix.owner=%s;unix.group=%s; f\r\n",
			 (long long)st.st_size, (st.st_mode & S_IRUSR) ? "r" : "",
			 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
			 (unsigned)(st.st_mode & 07777), uid, gid);
		assert_string_equal(got, want);
	}
}

/* LIST's year column is "%5lld" and MLSD's modify= "%04d...": years of
 * one to six digits and before year 0, as printf pads them. */
static void test_years_as_printf_writes_them(void **state)
{
	static const long long years[] = { -50, 0, 7, 999, 1970, 9999, 10000, 123456 };
	struct listing_opts o = opts_default();
	char got[256], want[64];

	(void)state;
	for (size_t i = 0; i < sizeof(years) / sizeof(years[0]); i++) {
		struct tm tm = { 0 };
		struct stat st;
		const char *modify;

		tm.tm_year = (int)(years[i] - 1900);
		tm.tm_mon = 2;
		tm.tm_mday = 4;
		tm.tm_hour = 5;
		tm.tm_min = 6;
		tm.tm_sec = 7;
		st = make_stat(S_IFREG | 0644, 1, timegm(&tm));
		assert_true(listing_format_long(got, sizeof(got), "f", &st, NULL, &o) > 0);
		snprintf(want, sizeof(want), "Mar  4 %5lld f\r\n", years[i]);
		assert_string_equal(got + strlen(got) - strlen(want), want);
		assert_true(listing_format_mlsx(got, sizeof(got), "f", &st, NULL, &o) > 0);
		modify = strstr(got, "modify=");
		if (years[i] < 0 || years[i] > 9999) {
			assert_null(modify); /* omitted rather than lie */
			continue;
		}
		snprintf(want, sizeof(want), "modify=%04lld0304050607;", years[i]);
		assert_non_null(modify);
		assert_int_equal(strncmp(modify, want, strlen(want)), 0);
	}
}

/* ---- listing_write ---- */

/* Collects everything emitted; FAIL_AT makes that call (1-based) fail. */
struct capture {
	char *data;
	size_t len;
	size_t cap;
	int calls;
	size_t max_chunk;
	int fail_at;
};

static int capture_emit(void *ctx, const char *buf, size_t len)
{
	struct capture *c = ctx;

	c->calls++;
	if (c->fail_at != 0 && c->calls >= c->fail_at)
		return -1;
	if (len > c->max_chunk)
		c->max_chunk = len;
	if (c->len + len + 1 > c->cap) {
		size_t cap = (c->len + len + 1) * 2;
		char *p = realloc(c->data, cap);

		if (p == NULL)
			return -1;
		c->data = p;
		c->cap = cap;
	}
	memcpy(c->data + c->len, buf, len);
	c->len += len;
	c->data[c->len] = '\0';
	return 0;
}

static void capture_free(struct capture *c)
{
	free(c->data);
	memset(c, 0, sizeof(*c));
}

/* Number of lines in C exactly equal to LINE (given without CRLF). */
static int count_lines(const struct capture *c, const char *line)
{
	size_t n = strlen(line);
	const char *p = c->data;
	int count = 0;

	while (p != NULL && *p != '\0') {
		const char *eol = strstr(p, "\r\n");

		assert_non_null(eol);
		if ((size_t)(eol - p) == n && memcmp(p, line, n) == 0)
			count++;
		p = eol + 2;
	}
	return count;
}

/* Number of lines ending in SUFFIX (given without CRLF). */
static int count_suffix(const struct capture *c, const char *suffix)
{
	size_t n = strlen(suffix);
	const char *p = c->data;
	int count = 0;

	while (p != NULL && *p != '\0') {
		const char *eol = strstr(p, "\r\n");

		assert_non_null(eol);
		if ((size_t)(eol - p) >= n && memcmp(eol - n, suffix, n) == 0)
			count++;
		p = eol + 2;
	}
	return count;
}

static int total_lines(const struct capture *c)
{
	return count_suffix(c, "");
}

/* The first line starting with FIRST and ending in SUFFIX, or NULL. (" a.txt"
 * alone would also match "link -> a.txt".) */
static const char *find_line(const struct capture *c, char first, const char *suffix)
{
	size_t n = strlen(suffix);
	const char *p = c->data;

	while (p != NULL && *p != '\0') {
		const char *eol = strstr(p, "\r\n");

		assert_non_null(eol);
		if ((size_t)(eol - p) >= n && memcmp(eol - n, suffix, n) == 0 && p[0] == first)
			return p;
		p = eol + 2;
	}
	return NULL;
}

struct tree {
	char dir[64];
};

static void path_in(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < size);
}

static void write_file(const char *dir, const char *name, const char *data)
{
	char path[256];
	int fd;

	path_in(path, sizeof(path), dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(close(fd), 0);
}

/* a.txt (3 bytes), .hidden, sub/, link -> a.txt, and a name with CRLF. */
static int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char path[256];

	if (t == NULL)
		return -1;
	strcpy(t->dir, "/tmp/ftpsd-listing-XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	write_file(t->dir, "a.txt", "abc");
	write_file(t->dir, ".hidden", "h");
	write_file(t->dir, "bad\r\nname", "x");
	path_in(path, sizeof(path), t->dir, "sub");
	assert_int_equal(mkdir(path, 0755), 0);
	path_in(path, sizeof(path), t->dir, "link");
	assert_int_equal(symlink("a.txt", path), 0);
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;
	static const char *const files[] = { "a.txt", ".hidden", "bad\r\nname", "link" };
	char path[256];
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path_in(path, sizeof(path), t->dir, files[i]);
		if (unlink(path) != 0)
			rc = -1;
	}
	path_in(path, sizeof(path), t->dir, "sub");
	if (rmdir(path) != 0 || rmdir(t->dir) != 0)
		rc = -1;
	free(t);
	return rc;
}

static void run_listing(const char *path, enum listing_kind kind, const struct listing_opts *o,
			struct capture *c)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(listing_write(path, kind, o, capture_emit, c), 0);
	assert_non_null(c->data);
}

static void test_write_names(void **state)
{
	struct tree *t = *state;
	struct listing_opts o = opts_default();
	struct capture c;

	run_listing(t->dir, LISTING_NAMES, &o, &c);
	assert_int_equal(total_lines(&c), 3);
	assert_int_equal(count_lines(&c, "a.txt"), 1);
	assert_int_equal(count_lines(&c, "sub"), 1);
	assert_int_equal(count_lines(&c, "link"), 1);
	assert_null(strstr(c.data, "bad"));
	capture_free(&c);

	o.show_hidden = true;
	run_listing(t->dir, LISTING_NAMES, &o, &c);
	assert_int_equal(total_lines(&c), 4);
	assert_int_equal(count_lines(&c, ".hidden"), 1);
	assert_int_equal(count_lines(&c, "."), 0);
	assert_int_equal(count_lines(&c, ".."), 0);
	capture_free(&c);
}

static void test_write_long(void **state)
{
	struct tree *t = *state;
	struct listing_opts o = opts_default();
	struct capture c;
	const char *line;

	o.now = time(NULL);
	run_listing(t->dir, LISTING_LONG, &o, &c);
	assert_int_equal(total_lines(&c), 3);
	assert_null(strstr(c.data, "total"));
	assert_null(strstr(c.data, "bad"));
	assert_int_equal(count_suffix(&c, " a.txt"), 2); /* file + link */
	line = find_line(&c, '-', " a.txt");
	assert_non_null(line);
	assert_int_equal(strncmp(line, "-rw-r--r-- ", 11), 0);
	assert_non_null(strstr(line, " 3 "));
	assert_non_null(find_line(&c, 'd', " sub"));
	line = find_line(&c, 'l', " link -> a.txt");
	assert_non_null(line);
	assert_int_equal(strncmp(line, "lrwxrwxrwx ", 11), 0);
	capture_free(&c);

	/* -a: dot files, and "." / ".." as ls -la shows them. */
	o.show_hidden = true;
	run_listing(t->dir, LISTING_LONG, &o, &c);
	assert_int_equal(total_lines(&c), 6);
	assert_int_equal(count_suffix(&c, " .hidden"), 1);
	assert_int_equal(count_suffix(&c, " ."), 1);
	assert_int_equal(count_suffix(&c, " .."), 1);
	capture_free(&c);
}

static void test_write_mlsd(void **state)
{
	struct tree *t = *state;
	struct listing_opts o = opts_default();
	struct capture c;
	const char *line;

	run_listing(t->dir, LISTING_MLSD, &o, &c);
	/* cdir first; dot files always; no pdir; CRLF name skipped. */
	assert_int_equal(strncmp(c.data, "type=cdir;", 10), 0);
	assert_non_null(strstr(c.data, "; .\r\n"));
	assert_int_equal(total_lines(&c), 5);
	assert_null(strstr(c.data, "pdir"));
	assert_null(strstr(c.data, "bad"));
	assert_int_equal(count_suffix(&c, "; .hidden"), 1);
	line = find_line(&c, 't', "; sub");
	assert_non_null(line);
	assert_int_equal(strncmp(line, "type=dir;", 9), 0);
	line = find_line(&c, 't', "; a.txt");
	assert_non_null(line);
	assert_int_equal(strncmp(line, "type=file;size=3;", 17), 0);
	/* The link is followed: it shows as the file it points to. */
	line = find_line(&c, 't', "; link");
	assert_non_null(line);
	assert_int_equal(strncmp(line, "type=file;size=3;", 17), 0);
	capture_free(&c);
}

static void test_write_single_file(void **state)
{
	struct tree *t = *state;
	struct listing_opts o = opts_default();
	struct capture c;
	char path[256];

	path_in(path, sizeof(path), t->dir, "a.txt");
	run_listing(path, LISTING_LONG, &o, &c);
	assert_int_equal(total_lines(&c), 1);
	assert_int_equal(count_suffix(&c, " a.txt"), 1);
	assert_int_equal(c.data[0], '-');
	capture_free(&c);

	run_listing(path, LISTING_NAMES, &o, &c);
	assert_string_equal(c.data, "a.txt\r\n");
	capture_free(&c);

	path_in(path, sizeof(path), t->dir, "link");
	run_listing(path, LISTING_LONG, &o, &c);
	assert_int_equal(count_suffix(&c, " link -> a.txt"), 1);
	capture_free(&c);

	/* A dangling symlink is still listed (LIST shows the link). */
	path_in(path, sizeof(path), t->dir, "dangling");
	assert_int_equal(symlink("nowhere", path), 0);
	run_listing(path, LISTING_LONG, &o, &c);
	assert_int_equal(count_suffix(&c, " dangling -> nowhere"), 1);
	capture_free(&c);
	run_listing(path, LISTING_MLSD, &o, &c);
	assert_int_equal(strncmp(c.data, "type=OS.unix=symlink;", 21), 0);
	capture_free(&c);
	assert_int_equal(unlink(path), 0);

	/* A directory path lists its contents: an empty one is just cdir. */
	path_in(path, sizeof(path), t->dir, "sub");
	run_listing(path, LISTING_MLSD, &o, &c);
	assert_int_equal(total_lines(&c), 1);
	assert_int_equal(strncmp(c.data, "type=cdir;", 10), 0);
	capture_free(&c);
}

static void test_write_emit_failure(void **state)
{
	struct tree *t = *state;
	struct listing_opts o = opts_default();
	struct capture c;
	enum listing_kind kinds[] = { LISTING_NAMES, LISTING_LONG, LISTING_MLSD };
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		memset(&c, 0, sizeof(c));
		c.fail_at = 1;
		assert_int_equal(listing_write(t->dir, kinds[i], &o, capture_emit, &c), -2);
		assert_int_equal(c.calls, 1);
		capture_free(&c);
	}
}

static void test_write_nonexistent(void **state)
{
	struct tree *t = *state;
	struct listing_opts o = opts_default();
	struct capture c;
	char path[256];

	memset(&c, 0, sizeof(c));
	path_in(path, sizeof(path), t->dir, "missing");
	errno = 0;
	assert_int_equal(listing_write(path, LISTING_LONG, &o, capture_emit, &c), -1);
	assert_int_equal(errno, ENOENT);
	path_in(path, sizeof(path), t->dir, "a.txt/x");
	errno = 0;
	assert_int_equal(listing_write(path, LISTING_NAMES, &o, capture_emit, &c), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(c.calls, 0);
}

/* ---- 100,000 entries ---- */

static void big_name(char *out, size_t size, int i)
{
	int n = snprintf(out, size, "f%06d", i);

	assert_true(n > 0 && (size_t)n < size);
}

static int big_teardown(void **state);

static int big_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char path[256], name[16];
	int i, fd;

	if (t == NULL)
		return -1;
	strcpy(t->dir, "/tmp/ftpsd-listing-big-XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	*state = t;
	for (i = 0; i < BIG_DIR_ENTRIES; i++) {
		big_name(name, sizeof(name), i);
		path_in(path, sizeof(path), t->dir, name);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || close(fd) != 0) {
			/* cmocka skips the group teardown when setup fails. */
			(void)big_teardown(state);
			return -1;
		}
	}
	return 0;
}

static int big_teardown(void **state)
{
	struct tree *t = *state;
	char path[256], name[16];
	int i, rc = 0;

	for (i = 0; i < BIG_DIR_ENTRIES; i++) {
		big_name(name, sizeof(name), i);
		path_in(path, sizeof(path), t->dir, name);
		if (unlink(path) != 0 && errno != ENOENT)
			rc = -1;
	}
	if (rmdir(t->dir) != 0)
		rc = -1;
	free(t);
	return rc;
}

/* Every f000000..f099999 appears exactly once, in any order. */
static void assert_all_big_names(const struct capture *c, const char *prefix)
{
	unsigned char *seen = calloc(BIG_DIR_ENTRIES, 1);
	size_t plen = strlen(prefix);
	const char *p = c->data;
	int lines = 0;

	assert_non_null(seen);
	while (*p != '\0') {
		const char *eol = strstr(p, "\r\n");
		const char *name;
		char *end;
		long i;

		assert_non_null(eol);
		assert_true(eol - p >= 7);
		name = eol - 7;
		assert_true(name - p >= (ptrdiff_t)plen);
		assert_int_equal(memcmp(name - plen, prefix, plen), 0);
		assert_int_equal(name[0], 'f');
		i = strtol(name + 1, &end, 10);
		assert_ptr_equal(end, eol);
		assert_true(i >= 0 && i < BIG_DIR_ENTRIES);
		assert_int_equal(seen[i], 0);
		seen[i] = 1;
		lines++;
		p = eol + 2;
	}
	assert_int_equal(lines, BIG_DIR_ENTRIES);
	free(seen);
}

static void test_big_dir_streams(void **state)
{
	struct tree *t = *state;
	struct listing_opts o = opts_default();
	struct capture c;

	run_listing(t->dir, LISTING_NAMES, &o, &c);
	/* 800 KB of names cannot come in one 64 KiB batch. */
	assert_true(c.calls >= 12);
	assert_true(c.max_chunk <= 65536);
	assert_all_big_names(&c, "");
	capture_free(&c);

	run_listing(t->dir, LISTING_LONG, &o, &c);
	assert_true(c.calls > 1);
	assert_true(c.max_chunk <= 65536);
	assert_all_big_names(&c, " ");
	capture_free(&c);
}

static void test_big_dir_emit_failure(void **state)
{
	struct tree *t = *state;
	struct listing_opts o = opts_default();
	struct capture c;

	memset(&c, 0, sizeof(c));
	c.fail_at = 3;
	assert_int_equal(listing_write(t->dir, LISTING_MLSD, &o, capture_emit, &c), -2);
	/* It stopped at the failing call instead of ploughing on. */
	assert_int_equal(c.calls, 3);
	capture_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_file_types),
		cmocka_unit_test(test_long_special_bits),
		cmocka_unit_test(test_long_full_line),
		cmocka_unit_test(test_numbers_as_printf_writes_them),
		cmocka_unit_test(test_years_as_printf_writes_them),
		cmocka_unit_test(test_long_dates),
		cmocka_unit_test(test_long_hide_ids),
		cmocka_unit_test(test_long_numeric_ids),
		cmocka_unit_test(test_long_resolved_names),
		cmocka_unit_test(test_long_symlink_arrow),
		cmocka_unit_test(test_long_buffer_too_small),
		cmocka_unit_test(test_crlf_names_refused),
		cmocka_unit_test(test_mlsx_file_all_facts),
		cmocka_unit_test(test_mlsx_dir_and_overrides),
		cmocka_unit_test(test_mlsx_fact_mask),
		cmocka_unit_test(test_mlsx_perm),
		cmocka_unit_test(test_mlsx_buffer_too_small),
		cmocka_unit_test_setup_teardown(test_write_names, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_write_long, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_write_mlsd, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_write_single_file, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_write_emit_failure, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_write_nonexistent, tree_setup, tree_teardown),
	};
	const struct CMUnitTest big_tests[] = {
		cmocka_unit_test(test_big_dir_streams),
		cmocka_unit_test(test_big_dir_emit_failure),
	};
	int failed;

	/* LIST dates are local time; pin it so expectations are fixed. */
	if (setenv("TZ", "UTC", 1) != 0)
		return 1;
	tzset();
	failed = cmocka_run_group_tests_name("listing", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("listing_big", big_tests, big_setup, big_teardown);
	return failed;
}
