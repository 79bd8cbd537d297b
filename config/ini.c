/* The reader of config lines. Our own, one physical line at a time: it
 * reports every error with its line, sees sections that have no keys,
 * keeps long lines (vsftpd.conf files carry long comments and command
 * lists) and splits "key = value ; comment" itself. It used to hand
 * key=value lines to inih, whose 200-byte line buffer refused many real
 * vsftpd.conf files.
 *
 * Here: the reports, key=value lines, [vhost NAME] headers, the line
 * reader. What each value means is values.c's and validators.c's; the
 * checks across keys run after the last line (section_checks.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"

#define CFG_LINE_MAX 16384 /* long comments and lists are common */

/* ---- reports --------------------------------------------------------- */

__attribute__((format(printf, 5, 0))) static void cfg_vreport(struct cfg_parser *p, unsigned line,
							      const struct cfg_section *sec,
							      bool inherited, const char *fmt,
							      va_list ap)
{
	p->errors++;
	if (p->err == NULL)
		return;
	fprintf(p->err, "%s:%u: ", p->name, line);
	if (sec != NULL && sec->vhost != NULL)
		fprintf(p->err, "vhost \"%s\": ", sec->vhost);
	vfprintf(p->err, fmt, ap);
	if (inherited)
		fputs(" (inherited from the global section)", p->err);
	fputc('\n', p->err);
}

__attribute__((format(printf, 3, 4))) void cfg_report(struct cfg_parser *p, unsigned line,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vreport(p, line, NULL, false, fmt, ap);
	va_end(ap);
}

/* Printed, not counted: the config still loads. KIND: "warning" for what
 * the operator should act on, "note" for what only changed name. */
__attribute__((format(printf, 4, 0))) static void
cfg_vsay(struct cfg_parser *p, const char *kind, unsigned line, const char *fmt, va_list ap)
{
	if (p->err == NULL)
		return;
	fprintf(p->err, "%s:%u: %s: ", p->name, line, kind);
	if (p->cur != NULL && p->cur->vhost != NULL)
		fprintf(p->err, "vhost \"%s\": ", p->cur->vhost);
	vfprintf(p->err, fmt, ap);
	fputc('\n', p->err);
}

__attribute__((format(printf, 3, 4))) void cfg_warn(struct cfg_parser *p, unsigned line,
						    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vsay(p, "warning", line, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void cfg_note(struct cfg_parser *p, unsigned line,
							   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vsay(p, "note", line, fmt, ap);
	va_end(ap);
}

/* A section-level problem made of keys A and B: blamed on the later of
 * them set in SEC, else on SEC's header (the values were inherited). */
__attribute__((format(printf, 5, 6))) void cfg_report_keys(struct cfg_parser *p,
							   const struct cfg_section *sec, size_t a,
							   size_t b, const char *fmt, ...)
{
	unsigned la = sec->key_line[a], lb = sec->key_line[b];
	unsigned line = la > lb ? la : lb;
	bool inherited = line == 0 && sec->vhost != NULL;
	va_list ap;

	if (line == 0)
		line = sec->header_line;
	va_start(ap, fmt);
	cfg_vreport(p, line, sec, inherited, fmt, ap);
	va_end(ap);
}

void cfg_section_init(struct cfg_section *sec, struct cfg_settings *set, const char *vhost,
		      unsigned line, bool is_vhost)
{
	memset(sec, 0, sizeof *sec);
	sec->set = set;
	sec->vhost = vhost;
	sec->header_line = line;
	sec->is_vhost = is_vhost;
}

/* ---- key=value lines ------------------------------------------------ */

static char *cfg_trim(char *s)
{
	size_t len;

	s += strspn(s, " \t\r\n\f\v");
	len = strlen(s);
	while (len > 0 && strchr(" \t\r\n\f\v", s[len - 1]) != NULL)
		s[--len] = '\0';
	return s;
}

/* What a vsftpd key that ftpsd does not implement does here (see enum
 * cfg_compat), said on the line that set it. */
static void cfg_warn_compat(struct cfg_parser *p, const struct cfg_tunable *t,
			    const struct cfg_settings *s, const char *value)
{
	switch (t->compat) {
	case CFG_NATIVE: return;
	case CFG_NOOP: cfg_note(p, p->lineno, "%s is vsftpd's: %s", t->name, t->note); return;
	case CFG_REFUSE:
		if (!cfg_is_default(t, s))
			cfg_report(p, p->lineno, "%s=%.64s is not supported: %s", t->name, value,
				   t->note);
		return;
	}
}

/* A value a template (shell, Jinja, ERB, autoconf, Docker entrypoint)
 * was meant to replace: "${PASV_ADDRESS}", "{{ ftp_port }}", "<your-ip>",
 * "%PASV_MIN%", "@PORT@". "$USER" alone is local_root's own token. */
static bool cfg_placeholder(const char *v)
{
	size_t len = strlen(v);

	if (strstr(v, "${") != NULL || strstr(v, "{{") != NULL || strstr(v, "<%") != NULL)
		return true;
	if (len < 3)
		return false;
	return (v[0] == '<' && v[len - 1] == '>') || (v[0] == '%' && v[len - 1] == '%') ||
	       (v[0] == '@' && v[len - 1] == '@');
}

static void cfg_apply_pair(struct cfg_parser *p, const char *name, const char *value)
{
	const struct cfg_tunable *t = cfg_find(name);
	char why[CFG_WHY_MAX];
	size_t idx;

	if (name[0] == '\0') {
		cfg_report(p, p->lineno, "missing key before '='");
		return;
	}
	if (t == NULL) {
		cfg_report(p, p->lineno, "unknown key \"%s\"", name);
		return;
	}
	idx = (size_t)(t - cfg_tunables);
	if (t->global_only && p->cur->is_vhost) {
		cfg_report(p, p->lineno,
			   "%s is global only: set it before the "
			   "first [vhost] section",
			   name);
		return;
	}
	if (cfg_placeholder(value)) {
		cfg_report(p, p->lineno,
			   "%s=%.64s: the value looks like a "
			   "template placeholder that was never filled in",
			   name, value);
		return;
	}
	if (t->type == CFG_LIST ? cfg_set_list(t, cfg_field(t, p->cur->set), value,
					       p->cur->key_line[idx] != 0, why, sizeof why) < 0
				: cfg_set_value(t, p->cur->set, value, why, sizeof why) < 0) {
		cfg_report(p, p->lineno, "bad value \"%.64s%s\" for %s: %s", value,
			   strlen(value) > 64 ? "..." : "", name, why);
		return;
	}
	if (t->type != CFG_LIST && p->cur->key_line[idx] != 0)
		cfg_warn(p, p->lineno,
			 "%s is set again (first at line %u): "
			 "the last value wins",
			 name, p->cur->key_line[idx]);
	cfg_warn_compat(p, t, p->cur->set, value);
	p->cur->key_line[idx] = p->lineno;
}

/* "key = value ; comment": the key and value trimmed, an inline comment
 * (a ';' after a blank) dropped. Splits LINE in place. */
static void cfg_split_pair(struct cfg_parser *p, char *line)
{
	char *eq = strchr(line, '=');
	char *value;

	if (eq == NULL) {
		cfg_report(p, p->lineno, "expected key=value");
		return;
	}
	*eq = '\0';
	value = eq + 1;
	for (char *c = value; *c; c++) {
		if (*c == ';' && c > value && (c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	}
	cfg_apply_pair(p, cfg_trim(line), cfg_trim(value));
}

/* ---- section headers ------------------------------------------------- */

static bool cfg_vhost_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len >= 1 && len < CFG_NAME_MAX &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789._-") == len;
}

/* Splits "[vhost NAME] ; comment" in place. Returns 0 with *NAME set,
 * -1 after reporting; *IS_VHOST says whether it was meant as a vhost. */
static int cfg_parse_header(struct cfg_parser *p, char *line, char **name, bool *is_vhost)
{
	char *close = strchr(line, ']');
	char *inner, *tail;

	*is_vhost = false;
	if (close == NULL) {
		cfg_report(p, p->lineno, "section header without ']'");
		return -1;
	}
	tail = close + 1 + strspn(close + 1, " \t");
	if (*tail != '\0' && *tail != ';' && *tail != '#') {
		cfg_report(p, p->lineno, "unexpected text after ']'");
		return -1;
	}
	*close = '\0';
	inner = cfg_trim(line + 1);
	if (strncmp(inner, "vhost", 5) != 0 ||
	    (inner[5] != '\0' && inner[5] != ' ' && inner[5] != '\t')) {
		cfg_report(p, p->lineno,
			   "unknown section [%s]: only "
			   "[vhost NAME] sections are allowed",
			   inner);
		return -1;
	}
	*is_vhost = true;
	*name = cfg_trim(inner + 5);
	return 0;
}

/* Refuses a vhost name with a report, or returns 0. */
static int cfg_vhost_check_name(struct cfg_parser *p, const char *name)
{
	struct ftpsd_config *cfg = p->cfg;

	if (!cfg_vhost_name_ok(name)) {
		cfg_report(p, p->lineno,
			   "bad vhost name \"%s\": expected 1 to "
			   "%d characters of A-Z a-z 0-9 . _ -",
			   name, CFG_NAME_MAX - 1);
		return -1;
	}
	for (size_t i = 0; i < cfg->nvhosts; i++) {
		if (strcmp(cfg->vhosts[i].name, name) == 0) {
			cfg_report(p, p->lineno,
				   "duplicate vhost \"%s\" "
				   "(first at line %u)",
				   name, p->vhost[i].header_line);
			return -1;
		}
	}
	if (cfg->nvhosts >= CFG_MAX_VHOSTS) {
		cfg_report(p, p->lineno, "too many vhosts (at most %d)", CFG_MAX_VHOSTS);
		return -1;
	}
	return 0;
}

static void cfg_section_start(struct cfg_parser *p, char *line)
{
	struct ftpsd_config *cfg = p->cfg;
	struct cfg_vhost *v;
	char *name;
	bool is_vhost;

	if (cfg_parse_header(p, line, &name, &is_vhost) < 0 || cfg_vhost_check_name(p, name) < 0) {
		p->scratch_set = cfg->global;
		cfg_section_init(&p->scratch, &p->scratch_set, NULL, p->lineno, is_vhost);
		p->cur = &p->scratch;
		return;
	}
	v = &cfg->vhosts[cfg->nvhosts];
	(void)cfg_copy_string(v->name, sizeof v->name, name); /* checked */
	v->set = cfg->global;
	cfg_section_init(&p->vhost[cfg->nvhosts], &v->set, v->name, p->lineno, true);
	p->cur = &p->vhost[cfg->nvhosts];
	cfg->nvhosts++;
}

/* ---- the line reader ------------------------------------------------- */

static int cfg_source_getc(struct cfg_source *src)
{
	if (src->fp != NULL)
		return getc(src->fp);
	if (src->text[src->pos] == '\0')
		return EOF;
	return (unsigned char)src->text[src->pos++];
}

/* Reads one physical line, newline dropped, into BUF. *LEN is its length,
 * counted up to SIZE (so *LEN >= SIZE means it did not fit). */
static int cfg_source_getline(struct cfg_source *src, char *buf, size_t size, size_t *len,
			      bool *has_nul)
{
	int c = EOF;
	size_t n = 0;

	*has_nul = false;
	while ((c = cfg_source_getc(src)) != EOF && c != '\n') {
		if (c == '\0')
			*has_nul = true;
		if (n + 1 < size)
			buf[n] = (char)c;
		if (n < size)
			n++;
	}
	if (c == EOF && n == 0)
		return -1;
	buf[n < size ? n : size - 1] = '\0';
	*len = n;
	return 0;
}

/* One physical line at a time, so the line count is exact. */
static void cfg_parse_line(struct cfg_parser *p, char *line, size_t len)
{
	char *s = line;

	if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3; /* UTF-8 byte order mark */
	/* Leading space dropped: an indented line is a key of its own, never
	 * the continuation of the previous value. */
	s = cfg_trim(s);
	if (len >= CFG_LINE_MAX) {
		cfg_report(p, p->lineno, "line longer than %d characters", CFG_LINE_MAX - 1);
		return;
	}
	if (s[0] == '\0' || s[0] == '#' || s[0] == ';')
		return;
	if (s[0] == '[' && p->user_file) {
		cfg_report(p, p->lineno, "no sections in a per-user file");
		return;
	}
	if (s[0] == '[') {
		cfg_section_start(p, s);
		return;
	}
	cfg_split_pair(p, s);
}

void cfg_parse_lines(struct cfg_parser *p)
{
	char *line = malloc(CFG_LINE_MAX);
	size_t len;
	bool has_nul;

	if (line == NULL) {
		cfg_report(p, p->lineno, "out of memory");
		return;
	}
	while (cfg_source_getline(&p->src, line, CFG_LINE_MAX, &len, &has_nul) == 0) {
		p->lineno++;
		if (has_nul)
			cfg_report(p, p->lineno, "NUL byte in line");
		else
			cfg_parse_line(p, line, len);
	}
	free(line);
}
