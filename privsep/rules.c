/* privsep/messages.def as a table indexed by type, and the admission rule
 * the monitor applies to every message it reads. Pure: no I/O. */
#include "privsep/rules.h"

#include <stddef.h>

#include "privsep/proto.h"

#define ST_PRE PRIV_ST_PREAUTH
#define ST_POST PRIV_ST_POSTAUTH
#define ST_SPARE PRIV_ST_SPARE
#define ONCE PRIV_RULE_ONCE
#define FD PRIV_RULE_FD
#define FD_ON_OK PRIV_RULE_FD_ON_OK

static const struct priv_rule rules[PRIV_TYPE_END] = {
#define PRIV_MSG(name, from, engine, relay, master, flags, reply, body) \
	[PRIV_##name] = { #name, from, body, { engine, relay, master }, flags, PRIV_##reply },
#include "privsep/messages.def"
#undef PRIV_MSG
};

const struct priv_rule *priv_rule(uint16_t type)
{
	if (type == PRIV_NONE || type >= PRIV_TYPE_END)
		return NULL;
	return &rules[type];
}

enum priv_verdict priv_admit(enum priv_link link, unsigned state, uint64_t taken, uint16_t type,
			     bool has_fd)
{
	const struct priv_rule *r = priv_rule(type);

	if (!r || (unsigned)link >= PRIV_LINKS)
		return PRIV_UNKNOWN;
	if (!r->states[link])
		return PRIV_WRONG_LINK;
	if (!(r->states[link] & state))
		return PRIV_WRONG_STATE;
	if (has_fd && !(r->flags & (PRIV_RULE_FD | PRIV_RULE_FD_ON_OK)))
		return PRIV_UNEXPECTED_FD;
	if (!has_fd && (r->flags & PRIV_RULE_FD))
		return PRIV_MISSING_FD;
	if ((r->flags & PRIV_RULE_ONCE) && (taken & (1ull << type)))
		return PRIV_AGAIN;
	return PRIV_ADMIT;
}

const char *priv_verdict_string(enum priv_verdict v)
{
	switch (v) {
	case PRIV_ADMIT: return "admitted";
	case PRIV_UNKNOWN: return "unknown message type";
	case PRIV_WRONG_LINK: return "not sent on this link";
	case PRIV_WRONG_STATE: return "message not allowed in this state";
	case PRIV_UNEXPECTED_FD: return "unexpected fd";
	case PRIV_MISSING_FD: return "no fd where one is needed";
	case PRIV_AGAIN: return "once per session, and sent again";
	}
	return "?";
}

int priv_fd_rule_ok(const struct priv_msg *m)
{
	const struct priv_rule *r = priv_rule(m->type);
	unsigned flags = r ? r->flags : 0;

	if (flags & PRIV_RULE_FD_ON_OK)
		return 0;
	return (m->fd >= 0) == ((flags & PRIV_RULE_FD) != 0) ? 0 : -1;
}
