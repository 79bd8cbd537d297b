/* Command-line parsing. Our own loop rather than getopt(3): getopt keeps
 * global state (optind), which would make repeated calls in tests, or a
 * re-exec after SIGHUP, depend on what ran before. */
#include "master/cmdline.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct cmdline_state {
	struct cmdline out;
	bool test;    /* -t */
	bool dump;    /* -T */
	bool help;    /* -h */
	bool version; /* -v */
	bool who;     /* -w */
	bool import;  /* --import-vsftpd */
	bool have_config;
	char *err;
	unsigned errsize;
};

/* A reason cut short by a small ERR is still a readable reason. */
__attribute__((format(printf, 2, 3))) static int cmdline_fail(struct cmdline_state *st,
							      const char *fmt, ...)
{
	va_list ap;

	if (st->err == NULL || st->errsize == 0)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(st->err, st->errsize, fmt, ap);
	va_end(ap);
	return -1;
}

/* -c FILE or -cFILE: REST is what follows 'c' in this argument. */
static int cmdline_take_config(struct cmdline_state *st, const char *rest, int argc,
			       char *const argv[], int *i)
{
	const char *file = rest;

	if (*file == '\0') {
		if (*i + 1 >= argc)
			return cmdline_fail(st, "option -c needs a FILE");
		file = argv[++*i];
	}
	if (*file == '\0')
		return cmdline_fail(st, "option -c needs a non-empty FILE");
	if (st->have_config)
		return cmdline_fail(st, "option -c given twice");
	st->have_config = true;
	st->out.config_path = file;
	return 0;
}

static int cmdline_take_flag(struct cmdline_state *st, char c)
{
	switch (c) {
	case 'f': st->out.foreground = true; return 0;
	case 'i': st->out.inetd = true; return 0;
	case 't': st->test = true; return 0;
	case 'T': st->dump = true; return 0;
	case 'h': st->help = true; return 0;
	case 'v': st->version = true; return 0;
	case 'w': st->who = true; return 0;
	case 'j': st->out.json = true; return 0;
	default:
		if (c >= 0x20 && c < 0x7f)
			return cmdline_fail(st, "unknown option -%c", c);
		return cmdline_fail(st, "unknown option (byte 0x%02x)", (unsigned char)c);
	}
}

/* One "-xyz" argument: flags may be grouped, as getopt allows; -c takes
 * the rest of the argument or the next one. */
static int cmdline_take_group(struct cmdline_state *st, int argc, char *const argv[], int *i)
{
	const char *arg = argv[*i];

	if (arg[1] == '-')
		return cmdline_fail(st, "unknown option %.40s", arg);
	for (const char *p = arg + 1; *p != '\0'; p++) {
		if (*p == 'c')
			return cmdline_take_config(st, p + 1, argc, argv, i);
		if (cmdline_take_flag(st, *p) < 0)
			return -1;
	}
	return 0;
}

static enum cmdline_action cmdline_action_of(const struct cmdline_state *st)
{
	if (st->help)
		return CMDLINE_HELP;
	if (st->version)
		return CMDLINE_VERSION;
	if (st->test)
		return CMDLINE_TEST;
	if (st->dump)
		return CMDLINE_DUMP;
	if (st->who)
		return CMDLINE_WHO;
	if (st->import)
		return CMDLINE_IMPORT;
	return CMDLINE_RUN;
}

int cmdline_parse(struct cmdline *out, int argc, char *const argv[], char *err, unsigned errsize)
{
	struct cmdline_state st = {
		.out = { .action = CMDLINE_RUN, .config_path = FTPSD_DEFAULT_CONFIG },
		.err = err,
		.errsize = errsize,
	};
	int i;

	if (err != NULL && errsize > 0)
		err[0] = '\0';
	*out = st.out;
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(arg, "--import-vsftpd") == 0) {
			/* Every argument after it is a file to import. */
			st.import = true;
			st.out.import_files = argv + i + 1;
			st.out.nimport = (unsigned)(argc - i - 1);
			i = argc;
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0')
			break;
		if (cmdline_take_group(&st, argc, argv, &i) < 0)
			return -1;
	}
	if (i < argc)
		return cmdline_fail(&st, "unexpected argument \"%.40s\"", argv[i]);
	if (st.test && st.dump)
		return cmdline_fail(&st, "options -t and -T exclude each other");
	if (st.who && (st.test || st.dump))
		return cmdline_fail(&st, "option -w excludes -t and -T");
	if (st.import && st.out.nimport == 0)
		return cmdline_fail(&st, "option --import-vsftpd needs a FILE");
	if (st.import && (st.test || st.dump || st.who || st.have_config))
		return cmdline_fail(&st, "option --import-vsftpd excludes -c, -t, -T "
					 "and -w");
	if (st.out.json && !st.who)
		return cmdline_fail(&st, "option -j goes with -w");
	st.out.action = cmdline_action_of(&st);
	*out = st.out;
	return 0;
}

const char *cmdline_usage(void)
{
	return "usage: ftpsd [-f] [-i] [-c FILE]\n"
	       "       ftpsd -t | -T [-c FILE]\n"
	       "       ftpsd -w [-j] [-c FILE]\n"
	       "       ftpsd --import-vsftpd FILE...\n"
	       "       ftpsd -h | -v\n"
	       "  -c FILE  configuration file (default " FTPSD_DEFAULT_CONFIG ")\n"
	       "  -f       stay in the foreground, log to stderr too\n"
	       "  -i       inetd mode: serve the connection on fd 0/1\n"
	       "  -t       check the configuration, exit 1 on any problem\n"
	       "  -T       print the effective configuration\n"
	       "  -w       list the running server's sessions (root)\n"
	       "  -j       with -w: as JSON\n"
	       "  --import-vsftpd FILE...  print one ftpsd.conf for these vsftpd.conf\n"
	       "           files (a vhost each) and hosts.allow files\n"
	       "  -h       print this help\n"
	       "  -v       print the version\n";
}
