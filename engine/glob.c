#include "engine/glob.h"

#include <stddef.h>
#include <string.h>

bool glob_has_magic(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Length of a UTF-8 sequence starting at S (1 for anything malformed), so
 * '?' takes "é" as one character. Never runs past the terminating NUL. */
static size_t utf8_len(const unsigned char *s)
{
	size_t want = 1, n;

	if (s[0] >= 0xf0 && s[0] <= 0xf4)
		want = 4;
	else if (s[0] >= 0xe0)
		want = 3;
	else if (s[0] >= 0xc2 && s[0] <= 0xdf)
		want = 2;
	if (s[0] >= 0xf5)
		want = 1;
	for (n = 1; n < want; n++)
		if ((s[n] & 0xc0) != 0x80)
			return 1;
	return want;
}

/* P points just after '['. Sets *MATCHED for byte C and returns the length
 * of the class up to and including ']', or 0 if there is no closing ']'
 * (then '[' is an ordinary byte, as in sh). */
static size_t class_match(const unsigned char *p, unsigned char c, bool *matched)
{
	size_t i = 0;
	bool negate = false, hit = false;

	if (p[i] == '!' || p[i] == '^') {
		negate = true;
		i++;
	}
	/* A ']' first in the set is a member, not the end. */
	do {
		unsigned char lo = p[i], hi;

		if (lo == '\0')
			return 0;
		if (lo == '\\' && p[i + 1] != '\0')
			lo = p[++i];
		hi = lo;
		if (p[i + 1] == '-' && p[i + 2] != ']' && p[i + 2] != '\0') {
			hi = p[i + 2];
			if (hi == '\\' && p[i + 3] != '\0') {
				hi = p[i + 3];
				i++;
			}
			i += 2;
		}
		if (c >= lo && c <= hi)
			hit = true;
		i++;
	} while (p[i] != ']');
	*matched = hit != negate;
	return i + 2; /* the set, its ']', and the '[' before P */
}

/* Match one non-star token of P against the start of N. Returns how many
 * name bytes it consumed (0 = no match) and the token length in *PLEN. */
static size_t token_match(const unsigned char *p, const unsigned char *n, size_t *plen)
{
	bool matched = false;
	size_t len;

	if (*n == '\0')
		return 0;
	switch (*p) {
	case '?': *plen = 1; return utf8_len(n);
	case '[':
		len = class_match(p + 1, *n, &matched);
		if (len > 0) {
			*plen = len;
			return matched ? 1 : 0;
		}
		*plen = 1;
		return *n == '[' ? 1 : 0;
	case '\\':
		if (p[1] != '\0') {
			*plen = 2;
			return *n == p[1] ? 1 : 0;
		}
		__attribute__((fallthrough)); /* a trailing backslash is itself */
	default: *plen = 1; return *n == *p ? 1 : 0;
	}
}

enum glob_result glob_match(const char *pattern, const char *name, unsigned long *budget)
{
	const unsigned char *p = (const unsigned char *)pattern;
	const unsigned char *n = (const unsigned char *)name;
	const unsigned char *star_p = NULL, *star_n = NULL;

	if (strlen(pattern) > GLOB_PATTERN_MAX)
		return GLOB_NOMATCH;
	while (*n != '\0') {
		size_t plen = 0, used;

		if (*budget == 0)
			return GLOB_TOO_COSTLY;
		(*budget)--;
		if (*p == '*') {
			while (*p == '*')
				p++;
			if (*p == '\0')
				return GLOB_MATCH;
			star_p = p;
			star_n = n;
			continue;
		}
		used = *p != '\0' ? token_match(p, n, &plen) : 0;
		if (used > 0) {
			p += plen;
			n += used;
			continue;
		}
		/* Only the last star can need to grow: tokens other than '*'
		 * match a fixed length, so earlier stars never need to. */
		if (star_p == NULL)
			return GLOB_NOMATCH;
		p = star_p;
		star_n += utf8_len(star_n); /* whole characters, like '?' */
		n = star_n;
	}
	while (*p == '*')
		p++;
	return *p == '\0' ? GLOB_MATCH : GLOB_NOMATCH;
}
