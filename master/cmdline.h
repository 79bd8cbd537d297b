/* Command-line parsing: pure, so it can be unit-tested. */
#ifndef FTPSD_CMDLINE_H
#define FTPSD_CMDLINE_H

#include <stdbool.h>

#define FTPSD_DEFAULT_CONFIG "/etc/ftpsd.conf"

enum cmdline_action {
	CMDLINE_RUN,     /* serve (standalone or inetd per config / -i) */
	CMDLINE_TEST,    /* -t: validate config, exit status tells */
	CMDLINE_DUMP,    /* -T: print effective config */
	CMDLINE_HELP,    /* -h */
	CMDLINE_VERSION, /* -v */
	CMDLINE_WHO,     /* -w: list the sessions of the running master */
	CMDLINE_IMPORT,  /* --import-vsftpd FILE...: print an ftpsd.conf */
};

struct cmdline {
	enum cmdline_action action;
	const char *config_path;   /* -c FILE, default FTPSD_DEFAULT_CONFIG */
	bool foreground;           /* -f: no daemonizing, log to stderr too */
	bool inetd;                /* -i: serve the connection on fd 0 */
	bool json;                 /* -j: with -w, JSON instead of a table */
	char *const *import_files; /* --import-vsftpd's FILEs (argv's) */
	unsigned nimport;
};

/* Parse ARGV. On error returns -1 and writes a one-line reason into ERR. */
int cmdline_parse(struct cmdline *out, int argc, char *const argv[], char *err, unsigned errsize);

/* The usage text, for -h and after an error. */
const char *cmdline_usage(void);

#endif
