/* What privsep/messages.def says about each message, as data: which link
 * may send it to the monitor and in which states, once-only, fds, the
 * reply. The monitor admits a message by priv_admit() alone. */
#ifndef FTPSD_PRIVSEP_RULES_H
#define FTPSD_PRIVSEP_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "privsep/codec.h"

/* The links a monitor reads. */
enum priv_link { PRIV_LINK_ENGINE, PRIV_LINK_RELAY, PRIV_LINK_MASTER, PRIV_LINKS };

/* A monitor's session states (bits, so a row can allow several). */
enum priv_state {
	PRIV_ST_SPARE = 1u << 0,    /* a spare, before its connection */
	PRIV_ST_PREAUTH = 1u << 1,  /* before login */
	PRIV_ST_POSTAUTH = 1u << 2, /* after login */
};

enum priv_rule_flag {
	PRIV_RULE_ONCE = 1u << 0,     /* one granted per session */
	PRIV_RULE_FD = 1u << 1,       /* always exactly one fd */
	PRIV_RULE_FD_ON_OK = 1u << 2, /* one fd with status 0, none otherwise */
};

struct priv_rule {
	const char *name;            /* "LOGIN": the row's NAME */
	const char *from;            /* who sends it to whom */
	const char *body;            /* what it carries */
	unsigned states[PRIV_LINKS]; /* PRIV_ST_* the monitor takes it in */
	unsigned flags;              /* PRIV_RULE_* */
	uint16_t reply;              /* the answer's type, PRIV_NONE for none */
};

/* The row for TYPE, or NULL for a type the table does not have. */
const struct priv_rule *priv_rule(uint16_t type);

/* What the monitor decides about a message before any handler runs. */
enum priv_verdict {
	PRIV_ADMIT = 0,
	PRIV_UNKNOWN,       /* no such type */
	PRIV_WRONG_LINK,    /* never sent to the monitor on this link */
	PRIV_WRONG_STATE,   /* this link sends it, but not in this state */
	PRIV_UNEXPECTED_FD, /* an fd where the row has none */
	PRIV_MISSING_FD,    /* no fd where the row needs one */
	PRIV_AGAIN,         /* ONCE, and one was granted already */
};

/* TAKEN: a bit per type (1ull << type) for each ONCE message granted so
 * far in this session. */
enum priv_verdict priv_admit(enum priv_link link, unsigned state, uint64_t taken, uint16_t type,
			     bool has_fd);
const char *priv_verdict_string(enum priv_verdict v);

/* 0 if M carries an fd exactly when its row allows one (a FD_ON_OK row's
 * decoder checks the status against it), -1 otherwise. */
int priv_fd_rule_ok(const struct priv_msg *m);

#endif
