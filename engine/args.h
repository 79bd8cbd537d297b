/* Parsers of FTP command arguments that have a shape of their own (TYPE,
 * MFMT's time, SITE's octal modes). Pure functions: the argument comes
 * straight from the client, is NUL-terminated, and nothing past its NUL
 * may be read. Fuzzed by tests/fuzz/fuzz_args.c. */
#ifndef FTPSD_ARGS_H
#define FTPSD_ARGS_H

#include <stddef.h>
#include <time.h>

enum type_arg {
	TYPE_ARG_BINARY,      /* I, L 8 */
	TYPE_ARG_ASCII,       /* A, A N */
	TYPE_ARG_UNSUPPORTED, /* another RFC 959 type: 504 */
	TYPE_ARG_BAD,         /* anything else: 501 */
};

enum type_arg args_parse_type(const char *arg);

/* "YYYYMMDDHHMMSS[.sss] rest" (RFC 3659 time-val, UTC). The fraction is
 * accepted and dropped. Returns REST (the rest of the line after one
 * space, never empty), or NULL for anything that is not a real instant. */
const char *args_parse_time(const char *arg, time_t *out);

/* LEN octal digits at P (1 to 4 of them), at most MAX. 0 or -1. */
int args_parse_octal(const char *p, size_t len, unsigned max, unsigned *out);

#endif
