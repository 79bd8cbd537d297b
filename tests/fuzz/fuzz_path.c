/* engine/path.c: CWD NUL ARG. CWD is first made what the engine keeps
 * (resolved against "/"); the result must be absolute and normal (no ".",
 * "..", empty components or trailing slash), resolving it again changes
 * nothing, and a small OUT fails cleanly. Then path_quote. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/path.h"

#define PATH_OUT 4096

static void check_normal(const char *p)
{
	size_t n = strlen(p);

	if (p[0] != '/' || (n > 1 && p[n - 1] == '/') || strstr(p, "//") || strstr(p, "/./") ||
	    strstr(p, "/../") || (n >= 2 && strcmp(p + n - 2, "/.") == 0) ||
	    (n >= 3 && strcmp(p + n - 3, "/..") == 0))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char cwd[PATH_OUT], out[PATH_OUT], again[PATH_OUT], small[16];
	static char quoted[2 * PATH_OUT + 1];
	const uint8_t *nul = memchr(data, '\0', size);
	size_t clen = nul ? (size_t)(nul - data) : size;
	size_t alen = nul ? size - clen - 1 : 0;
	char *c = malloc(clen + 1), *arg = malloc(alen + 1);

	if (!c || !arg)
		goto done;
	memcpy(c, data, clen);
	c[clen] = '\0';
	if (alen)
		memcpy(arg, nul + 1, alen);
	arg[alen] = '\0';
	if (path_resolve(cwd, sizeof(cwd), "/", c) < 0)
		goto done;
	check_normal(cwd);
	if (path_resolve(out, sizeof(out), cwd, arg) == 0) {
		check_normal(out);
		if (path_resolve(again, sizeof(again), "/", out) < 0 || strcmp(again, out) != 0)
			__builtin_trap();
		if (path_resolve(small, sizeof(small), cwd, arg) == 0 && strcmp(small, out) != 0)
			__builtin_trap();
		path_quote(quoted, sizeof(quoted), out);
		path_quote(small, sizeof(small), out);
		if (!memchr(small, '\0', sizeof(small)))
			__builtin_trap();
	}
done:
	free(c);
	free(arg);
	return 0;
}
