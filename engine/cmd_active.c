/* Active mode: PORT (RFC 959) and EPRT (RFC 2428). The engine only checks
 * and remembers the address; the monitor connects at transfer time and
 * checks it again (monitor/data_broker.c, mon_on_port_connect). */
#include <unistd.h>

#include "engine/commands.h"
#include "engine/data.h"
#include "common/log.h"
#include "engine/port.h"
#include "privsep/client.h"
#include "privsep/proto.h"

/* Shared by PORT and EPRT once the argument parsed. Refusals are the
 * client's mistake or its attempt at a bounce: a warning, not a violation
 * (the engine is not misbehaving). */
static int port_accept(struct session *s, const char *verb, struct net_addr *target)
{
	char ip[NETADDR_STRLEN];

	switch (port_check_target(target, &s->given.peer, s->given.set->port_promiscuous)) {
	case PORT_CHECK_OK: break;
	case PORT_CHECK_FAMILY:
		return ctrl_reply(&s->ctrl, 522, "Network protocol not supported, use (%d)",
				  port_family_number(&s->given.peer));
	case PORT_CHECK_FOREIGN:
		net_addr_ip_string(target, ip, sizeof(ip));
		log_msg(LOG_LVL_WARN, "%s refused: address %s is not the client's (%s)", verb, ip,
			s->given.peer_ip);
		return ctrl_reply(&s->ctrl, 501, "Illegal %s command: not your address.", verb);
	case PORT_CHECK_LOW_PORT:
		log_msg(LOG_LVL_WARN, "%s refused: port %u below 1024 (client %s)", verb,
			net_addr_port(target), s->given.peer_ip);
		return ctrl_reply(&s->ctrl, 501, "Illegal %s command: port below 1024.", verb);
	}
	/* PORT and PASV cancel each other: the last one given wins. */
	if (s->eng.pasv_fd >= 0) {
		close(s->eng.pasv_fd);
		s->eng.pasv_fd = -1;
	}
	s->eng.active = true;
	s->eng.active_addr = *target;
	return ctrl_reply(&s->ctrl, 200, "%s command successful. Consider using EPSV.", verb);
}

/* Why PORT/EPRT may not run now (and the reply code into *CODE), or
 * NULL when it may. Only the handlers reply. */
static const char *port_refused(const struct session *s, int *code)
{
	*code = s->given.set->port_enable ? 501 : 502;
	if (!s->given.set->port_enable)
		return "disabled (active mode is off).";
	if (s->eng.epsv_all)
		return "not allowed after EPSV ALL.";
	return NULL;
}

int cmd_port(struct session *s, const char *arg)
{
	struct net_addr target;
	int code;
	const char *why = port_refused(s, &code);

	if (why)
		return ctrl_reply(&s->ctrl, code, "PORT %s", why);
	s->eng.active = false;
	if (port_parse_port(arg, &target) != PORT_PARSE_OK)
		return ctrl_reply(&s->ctrl, 501, "Illegal PORT command.");
	if (port_family_number(&s->given.peer) != 1)
		return ctrl_reply(&s->ctrl, 522, "Network protocol not supported, use (2)");
	return port_accept(s, "PORT", &target);
}

int cmd_eprt(struct session *s, const char *arg)
{
	struct net_addr target;
	int code;
	const char *why = port_refused(s, &code);

	if (why)
		return ctrl_reply(&s->ctrl, code, "EPRT %s", why);
	s->eng.active = false;
	switch (port_parse_eprt(arg, &target)) {
	case PORT_PARSE_OK: return port_accept(s, "EPRT", &target);
	case PORT_PARSE_FAMILY:
		return ctrl_reply(&s->ctrl, 522, "Network protocol not supported, use (%d)",
				  port_family_number(&s->given.peer));
	default: return ctrl_reply(&s->ctrl, 501, "Illegal EPRT command.");
	}
}

int data_active_connect(struct session *s)
{
	uint32_t status;
	int fd;

	s->eng.active = false; /* one PORT, one transfer (as vsftpd) */
	if (priv_ask_port(s->priv_fd, &s->eng.active_addr, &status, &fd) < 0)
		_exit(1); /* the monitor is gone or broken */
	return fd;
}
