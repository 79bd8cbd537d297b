/* Virtual paths: the engine keeps its working directory as a string and
 * resolves every client path against it, so ".." can never climb above "/".
 * Inside a chroot the kernel confines symlinks as well. */
#ifndef FTPSD_PATH_H
#define FTPSD_PATH_H

#include <stddef.h>

/* Resolve ARG (absolute or relative) against CWD (absolute, normalised)
 * into OUT: absolute, no "." / ".." / empty components, no trailing slash
 * except for "/" itself. Returns 0, or -1 if OUT is too small. */
int path_resolve(char *out, size_t size, const char *cwd, const char *arg);

/* PATH for a 257 reply: every '"' doubled (RFC 959 appendix II). OUT of
 * 2 * strlen(PATH) + 1 bytes always fits; a smaller one cuts the name. */
void path_quote(char *out, size_t size, const char *path);

#endif
