/* The FTP command table: data, not an if/else chain. */
#ifndef FTPSD_COMMANDS_H
#define FTPSD_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/session.h"

enum cmd_arg { ARG_NONE, ARG_OPTIONAL, ARG_REQUIRED };

struct command {
	const char *name;
	bool needs_login;
	enum cmd_arg arg;
	/* ARG is "" when the command had none. Returns 0, or -1 when the
	 * control connection is gone. */
	int (*handler)(struct session *s, const char *arg);
};

/* Look up VERB (already upper-cased). NULL if unknown. */
const struct command *command_find(const char *verb);
/* The I-th row of the table, NULL past the end (HELP lists them). */
const struct command *command_at(size_t i);

/* vsftpd's cmds_allowed / cmds_denied: VERB (upper-cased) may run when
 * ALLOWED is empty or lists it, and DENIED does not list it. Both are
 * comma lists, any case. */
bool command_permitted(const char *allowed, const char *denied, const char *verb);

/* Split LINE into an upper-cased VERB (at most 15 chars) and ARG (the
 * rest after one space; further leading spaces kept, as RFC 959 paths may
 * start with a space). Returns -1 when the verb is empty or too long. */
int command_parse(const char *line, char *verb, unsigned verb_size, const char **arg);

/* Handlers, grouped by file. */
int cmd_user(struct session *s, const char *arg);
int cmd_pass(struct session *s, const char *arg);
int cmd_quit(struct session *s, const char *arg);
int cmd_proxy(struct session *s, const char *arg);
int cmd_syst(struct session *s, const char *arg);
int cmd_feat(struct session *s, const char *arg);
int cmd_opts(struct session *s, const char *arg);
int cmd_noop(struct session *s, const char *arg);
int cmd_type(struct session *s, const char *arg);
int cmd_mode(struct session *s, const char *arg);
int cmd_stru(struct session *s, const char *arg);
int cmd_unsupported(struct session *s, const char *arg);

int cmd_pwd(struct session *s, const char *arg);
int cmd_cwd(struct session *s, const char *arg);
int cmd_cdup(struct session *s, const char *arg);

int cmd_pasv(struct session *s, const char *arg);
int cmd_epsv(struct session *s, const char *arg);
int cmd_port(struct session *s, const char *arg);
int cmd_eprt(struct session *s, const char *arg);
int cmd_list(struct session *s, const char *arg);
int cmd_nlst(struct session *s, const char *arg);
int cmd_mlsd(struct session *s, const char *arg);
int cmd_retr(struct session *s, const char *arg);
int cmd_stor(struct session *s, const char *arg);
/* engine/cmd_xfer.c */
int cmd_appe(struct session *s, const char *arg);
int cmd_stou(struct session *s, const char *arg);
int cmd_rest(struct session *s, const char *arg);
int cmd_abor(struct session *s, const char *arg);
/* engine/cmd_list.c */
int cmd_stat(struct session *s, const char *arg);
int cmd_mlst(struct session *s, const char *arg);
/* engine/cmd_file.c */
int cmd_dele(struct session *s, const char *arg);
int cmd_mkd(struct session *s, const char *arg);
int cmd_rmd(struct session *s, const char *arg);
int cmd_rnfr(struct session *s, const char *arg);
int cmd_rnto(struct session *s, const char *arg);
int cmd_size(struct session *s, const char *arg);
int cmd_mdtm(struct session *s, const char *arg);
int cmd_mfmt(struct session *s, const char *arg);
int cmd_allo(struct session *s, const char *arg);
/* engine/cmd_site.c */
int cmd_site(struct session *s, const char *arg);
int cmd_help(struct session *s, const char *arg);

int cmd_host(struct session *s, const char *arg);
int cmd_auth(struct session *s, const char *arg);
int cmd_pbsz(struct session *s, const char *arg);
int cmd_prot(struct session *s, const char *arg);
int cmd_ccc(struct session *s, const char *arg);
#ifdef FTPSD_TEST_HOOKS
int cmd_xsbx(struct session *s, const char *arg); /* engine/testhooks.c */
int cmd_xpriv(struct session *s, const char *arg);
#endif

/* USER/PASS are refused in plaintext when the vhost forces TLS logins. */
bool tls_login_refused(const struct session *s);

#endif
