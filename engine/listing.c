/* Directory listings generated in-process (LIST, NLST, MLSD, MLST).
 *
 * Directories are streamed: readdir() one entry at a time, lines packed
 * into a 64 KiB batch handed to the caller's emit function. Output is NOT
 * sorted (vsftpd sorts, but that needs the whole directory in memory, and a
 * 100,000-entry directory must not cost the engine megabytes).
 *
 * A name (or LONG symlink target) containing '\r' or '\n' cannot be put on
 * a CRLF-terminated line without forging a second line (RFC 959 assumes
 * names never contain CRLF), so such entries are skipped in every kind of
 * listing, and the formatters refuse them with -1 / EINVAL. A line that
 * does not fit the caller's buffer is -1 / ERANGE. */
#include "engine/listing.h"
#include "engine/namefilter.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "engine/fsops.h"
#include "engine/glob.h"

#define LISTING_BATCH_SIZE 65536
/* ls's "six months": half of an average Gregorian year, in seconds. */
#define SIX_MONTHS ((time_t)(31556952 / 2))
#define ID_NAME_MAX 32 /* useradd's limit; longer names shown numerically */
#define ID_CACHE_SLOTS 64

/* ---- bounded line builder ---- */

/* Every write is bounded by SIZE; OVERFLOW records that something was cut
 * so the caller can report -1 instead of a silently truncated line. */
struct line {
	char *buf;
	size_t size;
	size_t len;
	bool overflow;
};

static void line_put(struct line *l, const char *s, size_t n)
{
	if (l->overflow || n >= l->size - l->len) {
		l->overflow = true;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len] = '\0';
}

static void line_puts(struct line *l, const char *s)
{
	line_put(l, s, strlen(s));
}

/* Numbers are formatted by hand, not by printf: printf's machinery was a
 * fifth of the engine's time listing 200,000 entries (bench/README, "LIST
 * and MLSD"). Each helper writes what the printf conversion named beside
 * it would; tests/unit/test_listing.c pins the output. */

/* printf's "%*llu" (PAD ' ') or "%0*llu" (PAD '0') in BASE 8, 10 or 16
 * (lower case); NEGATIVE puts a '-' before the digits, so it goes with
 * PAD ' ' only ("%*lld"), as line_put_int uses it. */
static void line_put_num(struct line *l, unsigned long long v, bool negative, unsigned base,
			 unsigned width, char pad)
{
	char out[32]; /* 22 octal digits of 2^64, a sign, and width <= 8 */
	size_t n = 0;

	do {
		out[sizeof(out) - 1 - n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	if (negative)
		out[sizeof(out) - 1 - n++] = '-';
	while (n < width && n < sizeof(out))
		out[sizeof(out) - 1 - n++] = pad;
	line_put(l, out + sizeof(out) - n, n);
}

/* "%*u" / "%0*u" of an unsigned value. */
static void line_put_uint(struct line *l, unsigned long long v, unsigned width, char pad)
{
	line_put_num(l, v, false, 10, width, pad);
}

/* "%*lld" of a signed value. */
static void line_put_int(struct line *l, long long v, unsigned width)
{
	unsigned long long mag = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	line_put_num(l, mag, v < 0, 10, width, ' ');
}

/* "%-*s": S, then spaces up to WIDTH. */
static void line_put_left(struct line *l, const char *s, size_t width)
{
	size_t n = strlen(s);

	line_put(l, s, n);
	for (; n < width; n++)
		line_put(l, " ", 1);
}

/* Returns the line length, or -1 with errno = ERANGE if it was cut. */
static int line_finish(struct line *l)
{
	if (l->overflow || l->len > INT_MAX) {
		if (l->size > 0)
			l->buf[0] = '\0';
		errno = ERANGE;
		return -1;
	}
	return (int)l->len;
}

static bool line_init(struct line *l, char *buf, size_t size)
{
	l->buf = buf;
	l->size = size;
	l->len = 0;
	l->overflow = size == 0;
	if (size > 0)
		buf[0] = '\0';
	return !l->overflow;
}

static bool has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* ---- owner / group names ---- */

/* A direct-mapped cache of id -> display string, so a 100k-entry listing
 * (nearly all one owner) does a handful of NSS lookups, not 100k. Static
 * because the engine is single-threaded and the cache must outlive one
 * listing; it holds only looked-up names, never caller data. Misses
 * (unknown ids) are cached too, as the numeric string. */
struct id_slot {
	bool used;
	unsigned id;
	char name[ID_NAME_MAX + 1];
};

static struct id_slot user_cache[ID_CACHE_SLOTS];
static struct id_slot group_cache[ID_CACHE_SLOTS];

/* A name goes into a space-separated LIST line and a ';'-separated fact,
 * so anything that could confuse either parser is shown numerically. */
static bool id_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > ID_NAME_MAX)
		return false;
	for (const char *p = name; *p; p++) {
		if (*p <= ' ' || *p > '~' || *p == ';' || *p == '=')
			return false;
	}
	return true;
}

/* "%u" of ID into OUT (at least 11 bytes: 10 digits and the NUL), without
 * printf: the numeric owner and group are formatted for every entry. */
static const char *id_number(unsigned id, char *out, size_t size)
{
	struct line l;

	if (line_init(&l, out, size))
		line_put_uint(&l, id, 0, ' ');
	return out;
}

static void id_lookup(unsigned id, bool is_group, char *out, size_t size)
{
	char buf[4096]; /* getpw*_r scratch; ERANGE means "show numeric" */
	const char *name = NULL;

	if (is_group) {
		struct group gr, *res = NULL;

		if (getgrgid_r((gid_t)id, &gr, buf, sizeof(buf), &res) == 0 && res != NULL)
			name = res->gr_name;
	} else {
		struct passwd pw, *res = NULL;

		if (getpwuid_r((uid_t)id, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
			name = res->pw_name;
	}
	if (name != NULL && id_name_ok(name))
		snprintf(out, size, "%s", name); /* fits: checked above */
	else
		id_number(id, out, size);
}

static const char *id_cached_name(unsigned id, bool is_group)
{
	struct id_slot *cache = is_group ? group_cache : user_cache;
	struct id_slot *slot = &cache[id % ID_CACHE_SLOTS];

	if (!slot->used || slot->id != id) {
		id_lookup(id, is_group, slot->name, sizeof(slot->name));
		slot->id = id;
		slot->used = true;
	}
	return slot->name;
}

/* The owner/group string shared by LIST and the unix.owner/group facts.
 * OUT is used only for the numeric case. */
static const char *id_display(unsigned id, bool is_group, const struct listing_opts *opts,
			      char *out, size_t size)
{
	if (opts->hide_ids)
		return "ftp";
	if (opts->resolve_names)
		return id_cached_name(id, is_group);
	return id_number(id, out, size); /* callers pass >= 11 bytes */
}

/* ---- LIST ---- */

static char mode_type_char(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return 'd';
	case S_IFREG: return '-';
	case S_IFLNK: return 'l';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	case S_IFIFO: return 'p';
	case S_IFSOCK: return 's';
	default: return '?';
	}
}

/* The x slot of one rwx triplet, merged with its special bit the way ls
 * shows it: special+x -> lower case, special alone -> upper case. */
static char mode_exec_char(mode_t mode, mode_t x_bit, mode_t special, char letter)
{
	if (mode & special)
		return (mode & x_bit) ? letter : (char)(letter - 'a' + 'A');
	return (mode & x_bit) ? 'x' : '-';
}

static void mode_string(mode_t mode, char out[11])
{
	out[0] = mode_type_char(mode);
	out[1] = (mode & S_IRUSR) ? 'r' : '-';
	out[2] = (mode & S_IWUSR) ? 'w' : '-';
	out[3] = mode_exec_char(mode, S_IXUSR, S_ISUID, 's');
	out[4] = (mode & S_IRGRP) ? 'r' : '-';
	out[5] = (mode & S_IWGRP) ? 'w' : '-';
	out[6] = mode_exec_char(mode, S_IXGRP, S_ISGID, 's');
	out[7] = (mode & S_IROTH) ? 'r' : '-';
	out[8] = (mode & S_IWOTH) ? 'w' : '-';
	out[9] = mode_exec_char(mode, S_IXOTH, S_ISVTX, 't');
	out[10] = '\0';
}

static const char *const month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* ls's rule: "HH:MM" only for the last six months and not the future,
 * otherwise the year. UTC unless use_localtime=YES (vsftpd's default);
 * local time in a chroot without /etc/localtime is UTC too (glibc). Month names are fixed English (clients parse them),
 * never the locale's. */
static void long_date(struct line *l, time_t t, time_t now, bool utc)
{
	struct tm tm;

	if ((utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL) {
		/* Out of range for struct tm: say "epoch" rather than fail
		 * the whole listing over one absurd timestamp. */
		line_puts(l, "Jan  1  1970");
		return;
	}
	line_puts(l, month_names[tm.tm_mon]);
	line_puts(l, " ");
	line_put_uint(l, (unsigned)tm.tm_mday, 2, ' ');
	line_puts(l, " ");
	if (t <= now && t > now - SIX_MONTHS) {
		line_put_uint(l, (unsigned)tm.tm_hour, 2, '0');
		line_puts(l, ":");
		line_put_uint(l, (unsigned)tm.tm_min, 2, '0');
	} else {
		line_put_int(l, (long long)tm.tm_year + 1900, 5);
	}
}

/* A name with CR or LF cannot be shown on a line: an empty BUF, EINVAL. */
static int refuse_line(char *buf, size_t size)
{
	if (size > 0)
		buf[0] = '\0';
	errno = EINVAL;
	return -1;
}

int listing_format_long(char *buf, size_t size, const char *name, const struct stat *st,
			const char *symlink_target, const struct listing_opts *opts)
{
	struct line l;
	char mode[11], uidbuf[16], gidbuf[16];

	if (has_crlf(name) || (symlink_target && has_crlf(symlink_target)))
		return refuse_line(buf, size);
	if (!line_init(&l, buf, size))
		return line_finish(&l);
	mode_string(st->st_mode, mode);
	line_puts(&l, mode); /* "%s %4lu %-8s %-8s %8lld " */
	line_puts(&l, " ");
	line_put_uint(&l, (unsigned long)st->st_nlink, 4, ' ');
	line_puts(&l, " ");
	line_put_left(&l, id_display(st->st_uid, false, opts, uidbuf, sizeof(uidbuf)), 8);
	line_puts(&l, " ");
	line_put_left(&l, id_display(st->st_gid, true, opts, gidbuf, sizeof(gidbuf)), 8);
	line_puts(&l, " ");
	line_put_int(&l, (long long)st->st_size, 8);
	line_puts(&l, " ");
	long_date(&l, st->st_mtime, opts->now, opts->utc);
	line_puts(&l, " ");
	line_puts(&l, name);
	if (symlink_target != NULL && S_ISLNK(st->st_mode)) {
		line_puts(&l, " -> ");
		line_puts(&l, symlink_target);
	}
	line_puts(&l, "\r\n");
	return line_finish(&l);
}

/* ---- MLSD / MLST ---- */

static const char *mlsx_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return "dir";
	case S_IFREG: return "file";
	case S_IFLNK: return "OS.unix=symlink"; /* only a dangling link gets here */
	case S_IFCHR: return "OS.unix=chr";
	case S_IFBLK: return "OS.unix=blk";
	case S_IFIFO: return "OS.unix=fifo";
	case S_IFSOCK: return "OS.unix=socket";
	default: return "OS.unix=unknown";
	}
}

/* The perm fact is advice to the client, not access control: the engine
 * still checks every command. We do not know here whether the session
 * user owns the entry, so the owner bits stand in for "the user" (on a
 * typical FTP tree the user owns their files; anonymous trees are
 * write_enable=false anyway). Rule, letters in RFC 3659 order:
 *   file:  a,w if write_enable and owner-writable; d,f if write_enable;
 *          r if owner-readable.
 *   dir:   c,m,p if write_enable and owner-writable; d,f if write_enable;
 *          e if owner-searchable; l if owner-readable.
 *   other: d,f if write_enable (it can be deleted or renamed, nothing else).
 * d and f depend on the parent directory, which the server checks when
 * the command comes. */
static void mlsx_perm(struct line *l, mode_t mode, bool write_enable)
{
	bool w = write_enable && (mode & S_IWUSR);
	char perm[8];
	size_t n = 0;

	if (S_ISREG(mode)) {
		if (w)
			perm[n++] = 'a';
		if (write_enable) {
			perm[n++] = 'd';
			perm[n++] = 'f';
		}
		if (mode & S_IRUSR)
			perm[n++] = 'r';
		if (w)
			perm[n++] = 'w';
	} else if (S_ISDIR(mode)) {
		if (w)
			perm[n++] = 'c';
		if (write_enable)
			perm[n++] = 'd';
		if (mode & S_IXUSR)
			perm[n++] = 'e';
		if (write_enable)
			perm[n++] = 'f';
		if (mode & S_IRUSR)
			perm[n++] = 'l';
		if (w) {
			perm[n++] = 'm';
			perm[n++] = 'p';
		}
	} else if (write_enable) {
		perm[n++] = 'd';
		perm[n++] = 'f';
	}
	line_puts(l, "perm=");
	line_put(l, perm, n);
	line_puts(l, ";");
}

/* modify= is UTC by definition (RFC 3659 time-val). A year that does not
 * fit the fixed 4-digit form omits the fact rather than lie. */
static void mlsx_modify(struct line *l, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return;
	line_puts(l, "modify=");                               /* %04d%02d%02d%02d%02d%02d */
	line_put_uint(l, (unsigned)tm.tm_year + 1900, 4, '0'); /* 0..9999: checked above */
	line_put_uint(l, (unsigned)tm.tm_mon + 1, 2, '0');
	line_put_uint(l, (unsigned)tm.tm_mday, 2, '0');
	line_put_uint(l, (unsigned)tm.tm_hour, 2, '0');
	line_put_uint(l, (unsigned)tm.tm_min, 2, '0');
	line_put_uint(l, (unsigned)tm.tm_sec, 2, '0');
	line_puts(l, ";");
}

/* "NAME=VALUE;" */
static void mlsx_fact(struct line *l, const char *name, const char *value)
{
	line_puts(l, name);
	line_puts(l, value);
	line_puts(l, ";");
}

static void mlsx_facts(struct line *l, const struct stat *st, const char *type_override,
		       const struct listing_opts *opts)
{
	unsigned f = opts->facts;
	char idbuf[16];

	if (f & FACT_TYPE)
		mlsx_fact(l, "type=", type_override ? type_override : mlsx_type(st->st_mode));
	if ((f & FACT_SIZE) && S_ISREG(st->st_mode)) {
		line_puts(l, "size=");
		line_put_int(l, (long long)st->st_size, 0);
		line_puts(l, ";");
	}
	if (f & FACT_MODIFY)
		mlsx_modify(l, st->st_mtime);
	if (f & FACT_PERM)
		mlsx_perm(l, st->st_mode, opts->write_enable);
	if (f & FACT_UNIQUE) {
		line_puts(l, "unique="); /* %llxg%llx */
		line_put_num(l, (unsigned long long)st->st_dev, false, 16, 0, ' ');
		line_puts(l, "g");
		line_put_num(l, (unsigned long long)st->st_ino, false, 16, 0, ' ');
		line_puts(l, ";");
	}
	if (f & FACT_UNIX_MODE) {
		line_puts(l, "unix.mode="); /* %04o */
		line_put_num(l, (unsigned)(st->st_mode & 07777), false, 8, 4, '0');
		line_puts(l, ";");
	}
	if (f & FACT_UNIX_OWNER)
		mlsx_fact(l,
			  "unix.owner=", id_display(st->st_uid, false, opts, idbuf, sizeof(idbuf)));
	if (f & FACT_UNIX_GROUP)
		mlsx_fact(l,
			  "unix.group=", id_display(st->st_gid, true, opts, idbuf, sizeof(idbuf)));
}

int listing_format_mlsx(char *buf, size_t size, const char *name, const struct stat *st,
			const char *type_override, const struct listing_opts *opts)
{
	struct line l;

	if (has_crlf(name))
		return refuse_line(buf, size);
	if (!line_init(&l, buf, size))
		return line_finish(&l);
	mlsx_facts(&l, st, type_override, opts);
	line_puts(&l, " ");
	line_puts(&l, name);
	line_puts(&l, "\r\n");
	return line_finish(&l);
}

/* ---- streaming ---- */

struct batch {
	char buf[LISTING_BATCH_SIZE];
	size_t len;
	listing_emit_fn emit;
	void *ctx;
};

static int batch_flush(struct batch *b)
{
	if (b->len == 0)
		return 0;
	if (b->emit(b->ctx, b->buf, b->len) != 0)
		return -1;
	b->len = 0;
	return 0;
}

/* What one entry needs to become a line; formatted straight into the
 * batch so no line is copied twice. */
struct entry {
	enum listing_kind kind;
	const char *name;
	const struct stat *st;
	const char *extra; /* LONG: link target; MLSD: type override */
	const struct listing_opts *opts;
};

static int entry_format(const struct entry *e, char *buf, size_t size)
{
	struct line l;

	switch (e->kind) {
	case LISTING_LONG: return listing_format_long(buf, size, e->name, e->st, e->extra, e->opts);
	case LISTING_MLSD: return listing_format_mlsx(buf, size, e->name, e->st, e->extra, e->opts);
	case LISTING_NAMES:
	default:
		if (has_crlf(e->name)) {
			errno = EINVAL;
			return -1;
		}
		if (line_init(&l, buf, size)) {
			line_puts(&l, e->name);
			line_puts(&l, "\r\n");
		}
		return line_finish(&l);
	}
}

/* Append one entry, flushing first if it does not fit behind what is
 * already batched. Returns 0 (including "entry skipped") or -1 if emit
 * failed. An entry too long even for an empty batch cannot happen with
 * NAME_MAX/PATH_MAX-bounded names, but is skipped rather than cut. */
static int batch_add(struct batch *b, const struct entry *e)
{
	int n = entry_format(e, b->buf + b->len, sizeof(b->buf) - b->len);

	if (n < 0 && errno == ERANGE && b->len > 0) {
		if (batch_flush(b) < 0)
			return -1;
		n = entry_format(e, b->buf, sizeof(b->buf));
	}
	if (n > 0)
		b->len += (size_t)n;
	return 0;
}

/* LONG shows a symlink as itself, with its target. A target that cannot
 * be read is left off rather than failing the entry. */
static const char *read_link_target(int dfd, const char *name, char *buf, size_t size)
{
	return fs_ok(fsops_readlink_at(dfd, name, buf, size)) ? buf : NULL;
}

/* MLSD follows symlinks so a link shows as what it points to (as most
 * servers do); a dangling link falls back to the link itself. */
static struct fs_result stat_for_kind(int dfd, const char *name, enum listing_kind kind,
				      struct stat *st)
{
	if (kind == LISTING_MLSD && fs_ok(fsops_stat_at(dfd, name, st, true)))
		return fs_because(FS_OK);
	return fsops_stat_at(dfd, name, st, false);
}

/* Which readdir entries a kind of listing shows. */
static bool entry_visible(const char *name, enum listing_kind kind, const struct listing_opts *opts)
{
	bool dot_or_dotdot = strcmp(name, ".") == 0 || strcmp(name, "..") == 0;

	if (has_crlf(name))
		return false;
	if (opts->hide != NULL && namefilter_match(opts->hide, name))
		return false;
	/* MLSD shows every entry; its cdir is emitted up front, pdir never. */
	if (kind == LISTING_MLSD)
		return !dot_or_dotdot;
	if (kind == LISTING_NAMES && dot_or_dotdot)
		return false;
	return name[0] != '.' || opts->show_hidden || (opts->dot_files && !dot_or_dotdot) ||
	       (opts->match != NULL && opts->match[0] == '.');
}

/* Format one entry of an open directory. Entries that vanished since
 * readdir (or cannot be stat'ed at all) are skipped: the listing is a
 * snapshot of a changing directory, not a transaction. */
static int dir_entry(struct batch *b, int dfd, const char *name, enum listing_kind kind,
		     const struct listing_opts *opts)
{
	struct stat st;
	char target[PATH_MAX];
	struct entry e = { kind, name, &st, NULL, opts };

	/* NLST needs no metadata; not stat'ing keeps a huge NLST cheap. */
	if (kind != LISTING_NAMES) {
		if (!fs_ok(stat_for_kind(dfd, name, kind, &st)))
			return 0;
		if (kind == LISTING_LONG && S_ISLNK(st.st_mode))
			e.extra = read_link_target(dfd, name, target, sizeof(target));
	}
	return batch_add(b, &e);
}

/* Streams the open directory D into B. Returns 0, -1 (errno) or -2. */
static int dir_stream(struct batch *b, DIR *d, enum listing_kind kind,
		      const struct listing_opts *opts)
{
	int dfd = dirfd(d);
	struct fs_result r;
	struct dirent *de;

	if (kind == LISTING_MLSD) {
		struct stat st;
		struct entry e = { kind, ".", &st, "cdir", opts };

		r = fsops_fstat(dfd, &st);
		if (!fs_ok(r)) {
			errno = r.err;
			return -1;
		}
		if (batch_add(b, &e) < 0)
			return -2;
	}
	for (;;) {
		r = fsops_dir_read(d, &de);
		if (!fs_ok(r)) {
			errno = r.err;
			return -1;
		}
		if (de == NULL)
			break;
		if (!entry_visible(de->d_name, kind, opts))
			continue;
		if (opts->match != NULL) {
			enum glob_result g = glob_match(opts->match, de->d_name,
							opts->match_budget);
			if (g == GLOB_TOO_COSTLY) {
				errno = E2BIG;
				return -1;
			}
			if (g == GLOB_NOMATCH)
				continue;
		}
		if (dir_entry(b, dfd, de->d_name, kind, opts) < 0)
			return -2;
	}
	return batch_flush(b) < 0 ? -2 : 0;
}

/* LIST/NLST/MLSD of a single non-directory: one line, named by the last
 * path component (what the client asked for, minus its directories). */
static int file_stream(struct batch *b, const char *path, enum listing_kind kind,
		       const struct listing_opts *opts)
{
	const char *slash = strrchr(path, '/');
	const char *name = (slash && slash[1]) ? slash + 1 : path;
	struct stat st;
	char target[PATH_MAX];
	struct entry e = { kind, name, &st, NULL, opts };
	struct fs_result r = stat_for_kind(AT_FDCWD, path, kind, &st);

	if (!fs_ok(r)) {
		errno = r.err;
		return -1;
	}
	if (has_crlf(name))
		return 0; /* exists, but cannot be shown on a line */
	if (kind == LISTING_LONG && S_ISLNK(st.st_mode))
		e.extra = read_link_target(AT_FDCWD, path, target, sizeof(target));
	if (batch_add(b, &e) < 0)
		return -2;
	return batch_flush(b) < 0 ? -2 : 0;
}

int listing_write(const char *path, enum listing_kind kind, const struct listing_opts *opts,
		  listing_emit_fn emit, void *ctx)
{
	struct batch b; /* 64 KiB on the stack: bounded, freed on return */
	struct fs_result r;
	DIR *d;
	int rc;

	b.len = 0;
	b.emit = emit;
	b.ctx = ctx;
	r = fsops_dir_open(path, &d);
	if (!fs_ok(r)) {
		/* Not a directory, or a dangling / looping symlink that lstat
		 * can still show. Anything else (EACCES...) is the answer. */
		if (r.reason != FS_NOTDIR && r.reason != FS_NOENT && r.err != ELOOP) {
			errno = r.err;
			return -1;
		}
		return file_stream(&b, path, kind, opts);
	}
	rc = dir_stream(&b, d, kind, opts);
	if (rc == -1) {
		int saved = errno;

		fsops_dir_close(d);
		errno = saved;
		return -1;
	}
	fsops_dir_close(d);
	return rc;
}
