/* Commands about the session itself: login, features, transfer parameters. */
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine/args.h"
#include "engine/commands.h"
#include "engine/listing.h"
#include "common/log.h"
#include "privsep/client.h"
#include "privsep/proto.h"
#include "config/users.h"

int cmd_user(struct session *s, const char *arg)
{
	if (s->login.logged_in)
		return ctrl_reply(&s->ctrl, 530, "Can't change to another user.");
	if (strlen(arg) >= sizeof(s->eng.user))
		return ctrl_reply(&s->ctrl, 501, "User name too long.");
	/* The name first: whether TLS is required depends on it. */
	memcpy(s->eng.user, arg, strlen(arg) + 1);
	s->eng.user_given = false;
	if (tls_login_refused(s))
		return ctrl_reply(&s->ctrl, 530, "%s sessions must use encryption (AUTH TLS).",
				  s->given.set->anonymous_enable && users_is_anon_name(s->eng.user)
					  ? "Anonymous"
					  : "Non-anonymous");
	s->eng.user_given = true;
	/* vsftpd's no_anon_password: anonymous logs in at USER. */
	if (s->given.set->anonymous_enable && s->given.set->no_anon_password &&
	    users_is_anon_name(s->eng.user))
		return cmd_pass(s, "");
	return ctrl_reply(&s->ctrl, 331, "Please specify the password.");
}

/* Hand the credentials to the monitor. On success the monitor ends this
 * process and starts the user's engine, so only failures come back. */
int cmd_pass(struct session *s, const char *arg)
{
	struct priv_login login;
	uint32_t result;
	int rc;

	if (s->login.logged_in)
		return ctrl_reply(&s->ctrl, 230, "Already logged in.");
	if (!s->eng.user_given)
		return ctrl_reply(&s->ctrl, 503, "Login with USER first.");
	if (tls_login_refused(s))
		return ctrl_reply(&s->ctrl, 530,
				  "Non-anonymous sessions must use encryption (AUTH TLS).");
	if (strlen(arg) >= sizeof(login.pass))
		return ctrl_reply(&s->ctrl, 501, "Password too long.");
	memset(&login, 0, sizeof(login));
	login.carry = session_carry_bits(s);
	login.mlst_facts = s->eng.mlst_facts;
	memcpy(login.user, s->eng.user, strlen(s->eng.user) + 1);
	memcpy(login.pass, arg, strlen(arg) + 1);
	login.npending = (uint32_t)s->ctrl.len;
	memcpy(login.pending, s->ctrl.buf, s->ctrl.len);
	rc = priv_ask_login(s->priv_fd, &login, &result);
	explicit_bzero(&login, sizeof(login));
	if (rc < 0)
		_exit(1); /* the monitor is gone or broken: nothing safe left */
	s->eng.user_given = false;
	if (result == LOGIN_CLOSE) {
		s->eng.quit = true;
		ctrl_reply(&s->ctrl, 530, "Login incorrect; too many failures.");
		return -1;
	}
	return ctrl_reply(&s->ctrl, 530, "Login incorrect.");
}

int cmd_quit(struct session *s, const char *arg)
{
	(void)arg;
	s->eng.quit = true;
	return ctrl_reply(&s->ctrl, 221, "Goodbye.");
}

int cmd_syst(struct session *s, const char *arg)
{
	(void)arg;
	return ctrl_reply(&s->ctrl, 215, "UNIX Type: L8");
}

static const struct {
	const char *name;
	unsigned bit;
} mlst_fact_names[] = {
	{ "type", FACT_TYPE },
	{ "size", FACT_SIZE },
	{ "modify", FACT_MODIFY },
	{ "perm", FACT_PERM },
	{ "unique", FACT_UNIQUE },
	{ "unix.mode", FACT_UNIX_MODE },
	{ "unix.owner", FACT_UNIX_OWNER },
	{ "unix.group", FACT_UNIX_GROUP },
};
#define NFACTS (sizeof(mlst_fact_names) / sizeof(mlst_fact_names[0]))

/* "type*;size*;..." with a star on each fact currently selected. */
static void format_facts(char *buf, size_t size, unsigned selected)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NFACTS && off < size; i++) {
		int n = snprintf(buf + off, size - off, "%s%s;", mlst_fact_names[i].name,
				 (selected & mlst_fact_names[i].bit) ? "*" : "");
		if (n < 0)
			return;
		off += (size_t)n;
	}
}

int cmd_feat(struct session *s, const char *arg)
{
	char facts[256], text[512];
	int n;

	(void)arg;
	format_facts(facts, sizeof(facts), s->eng.mlst_facts);
	n = snprintf(text, sizeof(text),
		     "211-Features:\r\n%s EPRT\r\n EPSV\r\n HOST\r\n MDTM\r\n MFMT\r\n MLST %s\r\n"
		     " PASV\r\n%s REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End\r\n",
		     s->given.set->ssl_enable ? " AUTH TLS\r\n AUTH SSL\r\n" : "", facts,
		     s->given.set->ssl_enable ? " PBSZ\r\n PROT\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(text))
		return ctrl_reply(&s->ctrl, 451, "Internal error.");
	return ctrl_write(&s->ctrl, text, (size_t)n);
}

/* OPTS MLST fact;fact;...  (RFC 3659 §7.9): unknown facts are ignored. */
static int opts_mlst(struct session *s, const char *list)
{
	char copy[256], *save = NULL, reply[256];
	unsigned selected = 0;

	if (strlen(list) >= sizeof(copy))
		return ctrl_reply(&s->ctrl, 501, "Fact list too long.");
	memcpy(copy, list, strlen(list) + 1);
	for (char *f = strtok_r(copy, ";", &save); f; f = strtok_r(NULL, ";", &save))
		for (size_t i = 0; i < NFACTS; i++)
			if (strcasecmp(f, mlst_fact_names[i].name) == 0)
				selected |= mlst_fact_names[i].bit;
	s->eng.mlst_facts = selected;
	reply[0] = '\0';
	for (size_t i = 0, off = 0; i < NFACTS; i++) {
		if (!(selected & mlst_fact_names[i].bit))
			continue;
		int n = snprintf(reply + off, sizeof(reply) - off, "%s;", mlst_fact_names[i].name);
		if (n < 0 || (size_t)n >= sizeof(reply) - off)
			break;
		off += (size_t)n;
	}
	return ctrl_reply(&s->ctrl, 200, "MLST OPTS %s", reply);
}

int cmd_opts(struct session *s, const char *arg)
{
	if (strcasecmp(arg, "UTF8 ON") == 0 || strcasecmp(arg, "UTF-8 ON") == 0)
		return ctrl_reply(&s->ctrl, 200, "Always in UTF8 mode.");
	if (strncasecmp(arg, "MLST", 4) == 0 && (arg[4] == ' ' || arg[4] == '\0'))
		return opts_mlst(s, arg[4] ? arg + 5 : "");
	return ctrl_reply(&s->ctrl, 501, "Option not understood.");
}

int cmd_noop(struct session *s, const char *arg)
{
	(void)arg;
	return ctrl_reply(&s->ctrl, 200, "NOOP ok.");
}

int cmd_type(struct session *s, const char *arg)
{
	switch (args_parse_type(arg)) {
	case TYPE_ARG_BINARY:
		s->eng.ascii = false;
		return ctrl_reply(&s->ctrl, 200, "Switching to Binary mode.");
	case TYPE_ARG_ASCII:
		s->eng.ascii = true;
		return ctrl_reply(&s->ctrl, 200, "Switching to ASCII mode.");
	case TYPE_ARG_UNSUPPORTED: return ctrl_reply(&s->ctrl, 504, "Type not supported.");
	default: return ctrl_reply(&s->ctrl, 501, "Unrecognised TYPE command.");
	}
}

/* MODE and STRU: one value works, the other RFC 959 values are 504. */
static int one_of(struct session *s, const char *arg, const char *ok, const char *known,
		  const char *what)
{
	if (strlen(arg) != 1)
		return ctrl_reply(&s->ctrl, 501, "Bad %s argument.", what);
	if (strchr(ok, arg[0]))
		return ctrl_reply(&s->ctrl, 200, "%s set to %c.", what, arg[0] & ~0x20);
	if (strchr(known, arg[0]))
		return ctrl_reply(&s->ctrl, 504, "%s not supported.", what);
	return ctrl_reply(&s->ctrl, 501, "Bad %s argument.", what);
}

int cmd_mode(struct session *s, const char *arg)
{
	return one_of(s, arg, "Ss", "BbCcZz", "Mode");
}

int cmd_stru(struct session *s, const char *arg)
{
	return one_of(s, arg, "Ff", "RrPp", "Structure");
}

/* Known verbs this server does not offer (ACCT, SMNT, REIN): 502, as RFC
 * 959 asks, rather than 500 for an unknown command. */
int cmd_unsupported(struct session *s, const char *arg)
{
	(void)arg;
	return ctrl_reply(&s->ctrl, 502, "Command not supported by this server.");
}
