/* Before login a session may move to another vhost: HOST (RFC 7151) or
 * the TLS SNI name (relay_ctl.c). */
#include "monitor/monitor_state.h"

#include <errno.h>

#include "common/log.h"
#include "config/vhosts.h"

/* From now on the session belongs to vhost VI: its banner, policies,
 * certificate and passive settings. Only before login. */
void mon_switch_vhost(struct monitor *mon, int vi, const char *how)
{
	const struct cfg_vhost *vh = &mon->given.cfg->vhosts[vi];

	log_msg(LOG_LVL_INFO, "client %s: %s selects vhost %s (was %s)", mon->given.peer_ip, how,
		vh->name, mon->given.vhost->name);
	session_given_vhost(&mon->given, vh, &mon->env->tls[vi]);
}

/* HOST (RFC 7151). Untrusted: from the pre-auth engine. The name is looked
 * up here, among the vhosts that serve the address the client reached. */
void mon_on_host(struct monitor *mon, struct priv_msg *m)
{
	struct priv_host *h = calloc(1, sizeof(*h));
	struct priv_msg reply;
	char how[PRIV_HOST_NAME_MAX + 8];
	int vi;

	if (!h || priv_decode_host(m, h) < 0) {
		free(h);
		return mon_violation(mon, "malformed HOST");
	}
	for (char *p = h->name; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			*p = '?'; /* only ever logged or compared */
	vi = vhost_find_by_name(mon->given.cfg, &mon->given.local, h->name);
	if (vi < 0) {
		log_msg(LOG_LVL_INFO, "client %s: HOST %s: no such vhost here", mon->given.peer_ip,
			h->name);
		priv_encode_host_result(&reply, HOST_UNKNOWN);
		if (priv_send(mon->priv_fd, &reply) < 0)
			mon->done = true;
		free(h);
		return;
	}
	snprintf(how, sizeof(how), "HOST %s", h->name);
	mon_switch_vhost(mon, vi, how);
	mon_grant(mon, PRIV_HOST);
	mon->login.host_done = true; /* the next engine refuses another HOST */
	/* Before AUTH TLS the relay does not exist yet: its ticket key can
	 * still be drawn for the new vhost. */
	if (!mon->given.tls_control && mon->given.set->ssl_enable && tls_session_key_new() < 0) {
		mon->done = true;
		free(h);
		return;
	}
	mon_stop_engine(mon);
	session_login_carry(&mon->login, &mon->given, h->carry, h->mlst_facts);
	/* The new engine greets with the new vhost's banner: HOST's 220. */
	if (mon_fork_engine(mon, "ftpsd-preauth", mon_become_preauth, h->pending, h->npending) <
	    0) {
		log_msg(LOG_LVL_ERR, "cannot start engine: %s", strerror(errno));
		mon->done = true;
	}
	free(h);
}
