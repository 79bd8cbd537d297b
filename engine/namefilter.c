#include "engine/namefilter.h"

#include <string.h>

#include "engine/glob.h"

/* One call's matching steps: far more than any real filter needs. */
#define NAMEFILTER_BUDGET 1000000UL

/* Next alternative of FILTER at *CURSOR into OUT; false at the end. An
 * alternative too long for a pattern is cut, which can only match less
 * than vsftpd would: it is kept whole up to GLOB_PATTERN_MAX. */
static bool next_alternative(const char **cursor, const char *end, char *out)
{
	const char *s = *cursor;
	size_t len;

	if (s >= end)
		return false;
	len = strcspn(s, ",");
	if (s + len > end)
		len = (size_t)(end - s);
	*cursor = s + len + 1;
	if (len > GLOB_PATTERN_MAX)
		len = GLOB_PATTERN_MAX;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

static bool component_matches(const char *filter, const char *name, unsigned long *budget)
{
	const char *end = filter + strlen(filter);
	char pattern[GLOB_PATTERN_MAX + 1];

	if (filter[0] == '{' && end > filter + 1 && end[-1] == '}') {
		filter++;
		end--;
	}
	while (next_alternative(&filter, end, pattern)) {
		if (pattern[0] == '\0')
			continue;
		if (glob_match(pattern, name, budget) != GLOB_NOMATCH)
			return true;
	}
	return false;
}

bool namefilter_match(const char *filter, const char *path)
{
	unsigned long budget = NAMEFILTER_BUDGET;
	char name[GLOB_PATTERN_MAX + 1];

	if (filter[0] == '\0')
		return false;
	while (*path) {
		size_t len = strcspn(path, "/");

		if (len > 0 && len <= GLOB_PATTERN_MAX) {
			memcpy(name, path, len);
			name[len] = '\0';
			if (component_matches(filter, name, &budget))
				return true;
		}
		path += len;
		path += strspn(path, "/");
	}
	return false;
}
