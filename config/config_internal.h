/* What the parts of the config parser share; not for callers outside
 * config/ (they use config/config.h).
 *
 *   tunables.c       the table: one row per key
 *   values.c         a value of each type: parsed, compared, defaulted
 *   validators.c     the checks of one string value (addresses, names...)
 *   ini.c            the line reader: sections, key=value, reports
 *   section_checks.c checks across the keys of a section, and between vhosts
 *   vsftpd_fold.c    vsftpd's key pairs folded into ftpsd's keys
 *   config.c         the entry points: load a file, a string, a user file
 *   environment.c    checks against the machine, files keys name
 *   dump.c           ftpsd -T */
#ifndef FTPSD_CONFIG_INTERNAL_H
#define FTPSD_CONFIG_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/netaddr.h"
#include "config/config.h"

#define CFG_WHY_MAX 256
#define CFG_ADDR_MAX 64

/* CFG_LIST: a repeatable key. Each line in a section adds an entry (kept
 * one per line in the field); the first line in a vhost section replaces
 * the inherited entries; an empty value clears them. */
enum cfg_type { CFG_BOOL, CFG_UINT, CFG_OCTAL, CFG_STRING, CFG_LIST };

/* What ftpsd does with a key it shares with vsftpd (issue 12). NATIVE: it
 * means what it says. NOOP: accepted, no effect; the note, printed whenever
 * the key is set, says what ftpsd does instead. REFUSE: the feature is not
 * there, and serving without it would weaken what the operator asked for,
 * so a value other than the default is an error with the note. */
enum cfg_compat { CFG_NATIVE, CFG_NOOP, CFG_REFUSE };

/* What config_check_environment checks a string key against on the
 * machine (environment.c). The checks run in this order, so that `ftpsd
 * -t` lists a vhost's files before its accounts. */
enum cfg_env {
	CFG_ENV_NONE,
	CFG_ENV_READABLE, /* a file the daemon must be able to open */
	CFG_ENV_PAM,      /* a PAM service: warn if /etc/pam.d lacks it */
	CFG_ENV_ACCOUNT,  /* a user that must exist (see env_if, env_for) */
	CFG_ENV_ROOT_DIR, /* a directory only root may write, if it exists */
};
#define CFG_ENV_KINDS (CFG_ENV_ROOT_DIR + 1)

/* Extra validation of a string value; writes why it is refused. */
typedef int (*cfg_check_fn)(const char *value, char *why, size_t whysize);

struct cfg_tunable {
	const char *name;
	enum cfg_type type;
	size_t offset;
	size_t size;
	unsigned min; /* numbers: smallest value; strings: shortest */
	unsigned max; /* numbers only; a string is bounded by size */
	bool global_only;
	unsigned def_num;    /* default of a bool or a number */
	const char *def_str; /* default of a string */
	cfg_check_fn check;
	enum cfg_compat compat;
	const char *note; /* NOOP, REFUSE: what ftpsd does */
	enum cfg_env env;
	/* CFG_ENV_ACCOUNT: with ENV_FOR set, the account is needed only when
	 * the bool at offset ENV_IF is true, by what ENV_FOR names; without
	 * it, always. */
	size_t env_if;
	const char *env_for;
};

/* tunables.c: the table, in `ftpsd -T` order. */
extern const struct cfg_tunable cfg_tunables[];
extern const size_t cfg_ntunables;
const struct cfg_tunable *cfg_find(const char *name);
/* The row of the field at OFFSET (cfg_ntunables if none). */
size_t cfg_index_of(size_t offset);
#define CFG_KEY(n) cfg_index_of(offsetof(struct cfg_settings, n))

/* values.c */
/* A reason that does not fit is cut and marked, never silently wrong. */
__attribute__((format(printf, 3, 4))) void cfg_why(char *why, size_t size, const char *fmt, ...);
void *cfg_field(const struct cfg_tunable *t, struct cfg_settings *s);
const void *cfg_cfield(const struct cfg_tunable *t, const struct cfg_settings *s);
/* Copies SRC whole into DST and clears the rest, or fails: never truncates. */
int cfg_copy_string(char *dst, size_t size, const char *src);
/* Sets row T of S from VALUE; S is untouched when VALUE is refused. A
 * list gets VALUE as one more line. */
int cfg_set_value(const struct cfg_tunable *t, struct cfg_settings *s, const char *value, char *why,
		  size_t whysize);
/* Adds VALUE as a line of list FIELD (or makes it the only one when
 * APPEND is false; an empty VALUE clears). FIELD is untouched on refusal. */
int cfg_set_list(const struct cfg_tunable *t, char *field, const char *value, bool append,
		 char *why, size_t whysize);
bool cfg_values_equal(const struct cfg_tunable *t, const struct cfg_settings *a,
		      const struct cfg_settings *b);
bool cfg_is_default(const struct cfg_tunable *t, const struct cfg_settings *s);

/* validators.c: the table's cfg_check_fn of string values. */
int cfg_check_path(const char *value, char *why, size_t whysize);
int cfg_check_addresses(const char *value, char *why, size_t whysize);
int cfg_check_addresses6(const char *value, char *why, size_t whysize);
int cfg_check_pam_name(const char *value, char *why, size_t whysize);
int cfg_check_tls_version(const char *value, char *why, size_t whysize);
int cfg_check_host(const char *value, char *why, size_t whysize);
int cfg_check_names(const char *value, char *why, size_t whysize);
int cfg_check_cidrs(const char *value, char *why, size_t whysize);
int cfg_check_rule(const char *value, char *why, size_t whysize);
int cfg_check_facility(const char *value, char *why, size_t whysize);
int cfg_check_log_format(const char *value, char *why, size_t whysize);
int cfg_check_nat_protocols(const char *value, char *why, size_t whysize);
int cfg_check_commands(const char *value, char *why, size_t whysize);
/* Next entry of a comma list at *CURSOR, spaces around it dropped.
 * Returns 1 with an entry, 0 at the end, -1 if the entry does not fit. */
int cfg_list_next(const char **cursor, char *out, size_t size);
/* True if an address of comma list LIST could not be listened on beside
 * ADDR (net_addr_bind_overlap); HIT gets that entry. */
bool cfg_list_find_overlap(const char *list, const struct net_addr *addr, char *hit, size_t size);

/* ini.c: the parser. */

/* Where the lines come from: a FILE or a string. */
struct cfg_source {
	FILE *fp;
	const char *text;
	size_t pos;
};

struct cfg_section {
	struct cfg_settings *set;
	const char *vhost; /* NULL: the global section */
	unsigned header_line;
	unsigned key_line[CFG_MAX_TUNABLES]; /* 0: not set in this section */
	bool is_vhost;                       /* global-only keys are refused */
};

struct cfg_parser {
	struct ftpsd_config *cfg;
	const char *name;
	FILE *err;
	int errors;
	struct cfg_source src;
	unsigned lineno;
	struct cfg_section *cur;
	struct cfg_section global;
	struct cfg_section vhost[CFG_MAX_VHOSTS];
	/* Keys after a broken section header are still checked, then dropped. */
	struct cfg_section scratch;
	struct cfg_settings scratch_set;
	bool user_file; /* config_apply_user_file: no sections */
};

void cfg_section_init(struct cfg_section *sec, struct cfg_settings *set, const char *vhost,
		      unsigned line, bool is_vhost);
/* Every line of P's source into its sections. */
void cfg_parse_lines(struct cfg_parser *p);
/* An error, counted: "name:line: message". */
__attribute__((format(printf, 3, 4))) void cfg_report(struct cfg_parser *p, unsigned line,
						      const char *fmt, ...);
/* Printed, not counted: the config still loads. */
__attribute__((format(printf, 3, 4))) void cfg_warn(struct cfg_parser *p, unsigned line,
						    const char *fmt, ...);
/* A section-level problem made of keys A and B: blamed on the later of
 * them set in SEC, else on SEC's header (the values were inherited). */
__attribute__((format(printf, 5, 6))) void cfg_report_keys(struct cfg_parser *p,
							   const struct cfg_section *sec, size_t a,
							   size_t b, const char *fmt, ...);

/* section_checks.c */
void cfg_check_pasv(struct cfg_parser *p, const struct cfg_section *sec);
void cfg_check_ssl(struct cfg_parser *p, const struct cfg_section *sec);
/* After the last line: vsftpd's keys folded, every section checked, the
 * vhosts (or the one "default") filled in P->cfg. */
void cfg_finish(struct cfg_parser *p);

/* vsftpd_fold.c */
void cfg_resolve_vsftpd(struct cfg_parser *p, struct cfg_section *sec);

#endif
