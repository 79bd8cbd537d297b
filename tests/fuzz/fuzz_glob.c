/* engine/glob.c: PATTERN NUL NAME; the step budget bounds every match. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/glob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t plen = nul ? (size_t)(nul - data) : size;
	size_t nlen = nul ? size - plen - 1 : 0;
	char *pattern = malloc(plen + 1), *name = malloc(nlen + 1);
	unsigned long budget = 100000;

	if (!pattern || !name)
		goto out;
	memcpy(pattern, data, plen);
	pattern[plen] = '\0';
	if (nlen)
		memcpy(name, nul + 1, nlen);
	name[nlen] = '\0';
	(void)glob_has_magic(pattern);
	(void)glob_match(pattern, name, &budget);
	if (budget > 100000)
		__builtin_trap();
	/* A name without magic matches itself. */
	if (!glob_has_magic(name) && !strchr(name, '\\') && strlen(name) <= GLOB_PATTERN_MAX) {
		budget = 100000;
		if (glob_match(name, name, &budget) == GLOB_NOMATCH)
			__builtin_trap();
	}
out:
	free(pattern);
	free(name);
	return 0;
}
