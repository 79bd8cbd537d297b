/* Directory listings generated in-process: `ls -l` lines for LIST, bare
 * names for NLST, RFC 3659 facts for MLSD/MLST. Never runs `ls`. */
#ifndef FTPSD_LISTING_H
#define FTPSD_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

enum listing_kind { LISTING_LONG, LISTING_NAMES, LISTING_MLSD };

/* RFC 3659 facts, as a bit set. */
enum listing_fact {
	FACT_TYPE = 1u << 0,
	FACT_SIZE = 1u << 1,
	FACT_MODIFY = 1u << 2,
	FACT_PERM = 1u << 3,
	FACT_UNIQUE = 1u << 4,
	FACT_UNIX_MODE = 1u << 5,
	FACT_UNIX_OWNER = 1u << 6,
	FACT_UNIX_GROUP = 1u << 7,
};
#define FACT_DEFAULT                                                                      \
	(FACT_TYPE | FACT_SIZE | FACT_MODIFY | FACT_PERM | FACT_UNIQUE | FACT_UNIX_MODE | \
	 FACT_UNIX_OWNER | FACT_UNIX_GROUP)

struct listing_opts {
	bool hide_ids;      /* owner/group shown as "ftp" */
	bool resolve_names; /* look up user/group names (not in a chroot) */
	bool show_hidden;   /* -a: include dot files (never "." / ".." for NLST) */
	bool dot_files;     /* force_dot_files: dot files but not "." / ".." */
	bool utc;           /* dates in UTC (use_localtime=NO), else local time */
	const char *hide;   /* hide_file filter (engine/namefilter.h); NULL: none */
	bool write_enable;  /* affects MLSD perm fact */
	unsigned facts;     /* MLSD facts, FACT_* bits */
	time_t now;         /* "recent" = within 6 months of now */
	/* LIST/NLST globbing: only names matching this pattern (engine/glob.h)
	 * are listed; NULL lists everything. Matching is charged to
	 * *MATCH_BUDGET; when it runs out the listing stops with E2BIG. A
	 * pattern starting with '.' shows dot files without -a. */
	const char *match;
	unsigned long *match_budget;
};

/* Receives formatted output; returns 0, or -1 to stop (data channel died). */
typedef int (*listing_emit_fn)(void *ctx, const char *buf, size_t len);

/* Format one LIST line (with "\r\n") for NAME. Returns the length, or -1 if
 * it does not fit. SYMLINK_TARGET may be NULL. */
int listing_format_long(char *buf, size_t size, const char *name, const struct stat *st,
			const char *symlink_target, const struct listing_opts *opts);

/* Format one MLSD/MLST line: "fact=value;...; NAME\r\n". Returns length or -1.
 * TYPE_OVERRIDE is "cdir"/"pdir" or NULL. */
int listing_format_mlsx(char *buf, size_t size, const char *name, const struct stat *st,
			const char *type_override, const struct listing_opts *opts);

/* Stream the listing of PATH (a directory, or a single file) to EMIT,
 * reading the directory incrementally (no full load into memory), emitting
 * in batches of up to 64 KiB. PATH is a real (kernel) path. Returns 0, or
 * -1 with errno set (ENOENT, EACCES, ...), or -2 if EMIT failed. */
int listing_write(const char *path, enum listing_kind kind, const struct listing_opts *opts,
		  listing_emit_fn emit, void *ctx);

#endif
