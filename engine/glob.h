/* Bounded shell-style matching of one file name against one pattern, for
 * `LIST *.txt` and friends. Never libc glob(): that one walks the file
 * system itself and can be made to spend exponential time or memory. */
#ifndef FTPSD_GLOB_H
#define FTPSD_GLOB_H

#include <stdbool.h>

/* Longest pattern accepted (a file name component). */
#define GLOB_PATTERN_MAX 255

enum glob_result {
	GLOB_TOO_COSTLY = -1, /* the step budget ran out */
	GLOB_NOMATCH = 0,
	GLOB_MATCH = 1,
};

/* True if S holds one of the glob metacharacters '*', '?', '['. */
bool glob_has_magic(const char *s);

/* Match NAME against PATTERN: '*' any run of bytes, '?' one character (a
 * whole UTF-8 sequence), "[abc]" "[a-z]" "[!x]" "[^x]" one byte of a set,
 * '\' quotes the next byte; everything else matches itself. Iterative with
 * one backtrack point, so one call costs at most about
 * strlen(PATTERN) * strlen(NAME) steps; each step is charged to *BUDGET and
 * GLOB_TOO_COSTLY is returned when it reaches 0 (a caller matching a whole
 * directory shares one budget across every name). */
enum glob_result glob_match(const char *pattern, const char *name, unsigned long *budget);

#endif
