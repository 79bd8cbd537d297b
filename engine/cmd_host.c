/* HOST (RFC 7151): pick the virtual host by name before login. The
 * monitor holds the vhost and decides; on success it replaces this engine
 * with one of the new vhost, whose greeting is HOST's 220 reply. */
#include <string.h>
#include <unistd.h>

#include "engine/commands.h"
#include "privsep/client.h"
#include "privsep/proto.h"

int cmd_host(struct session *s, const char *arg)
{
	struct priv_host h;
	uint32_t result;

	if (s->login.logged_in)
		return ctrl_reply(&s->ctrl, 503, "HOST must come before login.");
	if (s->eng.user_given)
		return ctrl_reply(&s->ctrl, 503, "HOST must come before USER.");
	/* RFC 7151 lets a server refuse a second HOST; each one costs a new
	 * engine, so one is all a session gets. */
	if (s->login.host_done)
		return ctrl_reply(&s->ctrl, 503, "HOST already given.");
	if (strlen(arg) >= sizeof(h.name))
		return ctrl_reply(&s->ctrl, 501, "Host name too long.");
	memset(&h, 0, sizeof(h));
	h.carry = session_carry_bits(s);
	h.mlst_facts = s->eng.mlst_facts;
	memcpy(h.name, arg, strlen(arg) + 1);
	h.npending = (uint32_t)s->ctrl.len;
	memcpy(h.pending, s->ctrl.buf, s->ctrl.len);
	if (priv_ask_host(s->priv_fd, &h, &result) < 0)
		_exit(1); /* success ends us; anything else is a broken monitor */
	return ctrl_reply(&s->ctrl, 504, "Unknown host.");
}
