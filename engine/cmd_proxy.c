/* A PROXY header (v1's text line) where FTP is spoken: sent by a client
 * that is not a trusted proxy, or by one behind a proxy that already sent
 * the real header. Never believed: the session keeps its peer address,
 * and the attempt ends it. (A v2 header reads as blank lines, a NUL line
 * and QUIT: its signature was made so that FTP servers quit on it.) */
#include "engine/commands.h"

#include "common/log.h"

int cmd_proxy(struct session *s, const char *arg)
{
	(void)arg;
	log_msg(LOG_LVL_WARN,
		"PROXY header from client %s not believed (only a "
		"proxy_trusted proxy's, before the first byte, is)",
		s->given.peer_ip);
	s->eng.quit = true;
	return ctrl_reply(&s->ctrl, 500, "PROXY header not accepted from you.");
}
