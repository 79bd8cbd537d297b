#include "engine/path.h"

#include <string.h>

/* Append component COMP (length LEN) to OUT, which holds an absolute,
 * normalised path of length *OUTLEN. ".." pops a component; "." and ""
 * vanish. */
static int path_push(char *out, size_t size, size_t *outlen, const char *comp, size_t len)
{
	if (len == 0 || (len == 1 && comp[0] == '.'))
		return 0;
	if (len == 2 && comp[0] == '.' && comp[1] == '.') {
		char *slash = strrchr(out, '/');
		*outlen = (slash == out) ? 1 : (size_t)(slash - out);
		out[*outlen] = '\0';
		return 0;
	}
	size_t need = *outlen + (*outlen > 1 ? 1 : 0) + len;
	if (need + 1 > size)
		return -1;
	if (*outlen > 1)
		out[(*outlen)++] = '/';
	memcpy(out + *outlen, comp, len);
	*outlen += len;
	out[*outlen] = '\0';
	return 0;
}

static int path_push_all(char *out, size_t size, size_t *outlen, const char *p)
{
	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (path_push(out, size, outlen, p, len) < 0)
			return -1;
		p += len;
		if (*p == '/')
			p++;
	}
	return 0;
}

int path_resolve(char *out, size_t size, const char *cwd, const char *arg)
{
	size_t len = 1;

	if (size < 2)
		return -1;
	out[0] = '/';
	out[1] = '\0';
	if (arg[0] != '/' && path_push_all(out, size, &len, cwd) < 0)
		return -1;
	return path_push_all(out, size, &len, arg);
}

void path_quote(char *out, size_t size, const char *path)
{
	size_t o = 0;

	if (size == 0)
		return;
	for (const char *p = path; *p && o + 2 < size; p++) {
		if (*p == '"')
			out[o++] = '"';
		out[o++] = *p;
	}
	out[o] = '\0';
}
