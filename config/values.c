/* A value of each type of tunable (enum cfg_type): parsed from the text
 * of a config line, compared, and reset to the row's default. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/config_internal.h"

/* A reason that does not fit is cut and marked, never silently wrong. */
__attribute__((format(printf, 3, 4))) void cfg_why(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(why, size, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= size && size > 4)
		memcpy(why + size - 4, "...", 4);
}

void *cfg_field(const struct cfg_tunable *t, struct cfg_settings *s)
{
	return (char *)s + t->offset;
}

const void *cfg_cfield(const struct cfg_tunable *t, const struct cfg_settings *s)
{
	return (const char *)s + t->offset;
}

/* Copies SRC whole into DST and clears the rest, or fails: never truncates. */
int cfg_copy_string(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size)
		return -1;
	memset(dst, 0, size);
	memcpy(dst, src, len);
	return 0;
}

/* Digits only, in BASE, no sign or spaces, at most MAX. */
static int cfg_parse_unsigned(const char *s, unsigned base, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (*s < '0' || d >= base || v > (max - d) / base)
			return -1;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

static int cfg_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "YES", "TRUE", "1" };
	static const char *const no[] = { "NO", "FALSE", "0" };

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int cfg_set_number(const struct cfg_tunable *t, unsigned *field, const char *value,
			  char *why, size_t whysize)
{
	bool octal = t->type == CFG_OCTAL;
	unsigned v;

	if (cfg_parse_unsigned(value, octal ? 8 : 10, t->max, &v) < 0 || v < t->min) {
		if (octal)
			cfg_why(why, whysize, "expected an octal number from %03o to %03o", t->min,
				t->max);
		else
			cfg_why(why, whysize, "expected a decimal number from %u to %u", t->min,
				t->max);
		return -1;
	}
	*field = v;
	return 0;
}

static int cfg_set_string(const struct cfg_tunable *t, char *field, const char *value, char *why,
			  size_t whysize)
{
	if (strlen(value) >= t->size) {
		cfg_why(why, whysize, "longer than %zu characters", t->size - 1);
		return -1;
	}
	if (strlen(value) < t->min) {
		cfg_why(why, whysize, "must not be empty");
		return -1;
	}
	if (t->check && t->check(value, why, whysize) < 0)
		return -1;
	return cfg_copy_string(field, t->size, value);
}

/* Adds VALUE as a line of list FIELD (or makes it the only one when
 * APPEND is false; an empty VALUE clears). FIELD is untouched on refusal. */
int cfg_set_list(const struct cfg_tunable *t, char *field, const char *value, bool append,
		 char *why, size_t whysize)
{
	size_t have = append ? strlen(field) : 0;
	size_t len = strlen(value);

	if (len == 0) {
		memset(field, 0, t->size);
		return 0;
	}
	if (strchr(value, '\n') != NULL) {
		cfg_why(why, whysize, "newline in value");
		return -1;
	}
	if (t->check && t->check(value, why, whysize) < 0)
		return -1;
	if (have + (have ? 1 : 0) + len >= t->size) {
		cfg_why(why, whysize,
			"too many entries (at most %zu characters "
			"in all)",
			t->size - 1);
		return -1;
	}
	if (!append)
		memset(field, 0, t->size);
	else if (have)
		field[have++] = '\n';
	memcpy(field + have, value, len + 1);
	return 0;
}

/* Sets row T of S from VALUE; S is untouched when VALUE is refused. */
int cfg_set_value(const struct cfg_tunable *t, struct cfg_settings *s, const char *value, char *why,
		  size_t whysize)
{
	bool b;

	switch (t->type) {
	case CFG_BOOL:
		if (cfg_parse_bool(value, &b) < 0) {
			cfg_why(why, whysize, "expected YES or NO");
			return -1;
		}
		*(bool *)cfg_field(t, s) = b;
		return 0;
	case CFG_UINT:
	case CFG_OCTAL: return cfg_set_number(t, cfg_field(t, s), value, why, whysize);
	case CFG_STRING: return cfg_set_string(t, cfg_field(t, s), value, why, whysize);
	case CFG_LIST: return cfg_set_list(t, cfg_field(t, s), value, true, why, whysize);
	}
	cfg_why(why, whysize, "internal error: bad tunable type");
	return -1;
}

bool cfg_values_equal(const struct cfg_tunable *t, const struct cfg_settings *a,
		      const struct cfg_settings *b)
{
	const void *fa = cfg_cfield(t, a);
	const void *fb = cfg_cfield(t, b);

	switch (t->type) {
	case CFG_BOOL: return *(const bool *)fa == *(const bool *)fb;
	case CFG_UINT:
	case CFG_OCTAL: return *(const unsigned *)fa == *(const unsigned *)fb;
	case CFG_STRING:
	case CFG_LIST: return strcmp(fa, fb) == 0;
	}
	return false;
}

bool cfg_is_default(const struct cfg_tunable *t, const struct cfg_settings *s)
{
	const void *f = cfg_cfield(t, s);

	switch (t->type) {
	case CFG_BOOL: return *(const bool *)f == (t->def_num != 0);
	case CFG_UINT:
	case CFG_OCTAL: return *(const unsigned *)f == t->def_num;
	case CFG_STRING:
	case CFG_LIST: return strcmp(f, t->def_str) == 0;
	}
	return true;
}

void config_set_defaults(struct cfg_settings *s)
{
	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < cfg_ntunables; i++) {
		const struct cfg_tunable *t = &cfg_tunables[i];
		void *f = cfg_field(t, s);

		if (t->type == CFG_BOOL)
			*(bool *)f = t->def_num != 0;
		else if (t->type == CFG_STRING || t->type == CFG_LIST)
			/* Defaults are short literals; a test pins them. */
			(void)cfg_copy_string(f, t->size, t->def_str);
		else
			*(unsigned *)f = t->def_num;
	}
}

bool config_key_is_default(size_t i, const struct cfg_settings *s)
{
	return cfg_is_default(&cfg_tunables[i], s);
}

bool config_key_equal(size_t i, const struct cfg_settings *a, const struct cfg_settings *b)
{
	return cfg_values_equal(&cfg_tunables[i], a, b);
}

int config_key_set(size_t i, struct cfg_settings *s, const char *value, char *why, size_t whysize)
{
	return cfg_set_value(&cfg_tunables[i], s, value, why, whysize);
}
