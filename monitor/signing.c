/* Private-key operations. Untrusted: the relay and the engine ask; the
 * key holder (keys/keys.c) signs what the monitor lets through. */
#include "monitor/monitor_state.h"

#include "common/log.h"
#include "config/vhosts.h"
#include "privsep/client.h"

/* Ask the key holder; the answer (or a refusal) goes back on REPLY_FD. */
static void forward_sign(struct monitor *mon, const struct priv_sign *req, int reply_fd)
{
	struct priv_msg *m = malloc(sizeof(*m));
	struct priv_sign_result *res = calloc(1, sizeof(*res));

	if (!m || !res) {
		mon->done = true;
		goto out;
	}
	/* The key holder is ours, but a stuck one must not hang the session. */
	if (mon->key_fd < 0 || priv_ask_sign(mon->key_fd, req, res, 10000) < 0) {
		log_msg(LOG_LVL_ERR, "key holder: no signature for client %s", mon->given.peer_ip);
		memset(res, 0, sizeof(*res));
		res->status = 1;
	}
	priv_encode_sign_result(m, res);
	if (priv_send(reply_fd, m) < 0)
		mon->done = true;
out:
	free(m);
	free(res);
}

static size_t session_vhost(const struct monitor *mon)
{
	return (size_t)(mon->given.vhost - mon->given.cfg->vhosts);
}

/* The relay, inside the control handshake. Untrusted: it parsed the
 * ClientHello. One signature per handshake, with the key of the vhost the
 * SNI name selects here, by the same rule the relay used. */
void mon_on_relay_sign(struct monitor *mon, struct priv_msg *m)
{
	struct priv_sign *req = calloc(1, sizeof(*req));
	int vi;

	if (!req || priv_decode_sign(m, req) < 0) {
		free(req);
		return mon_violation(mon, "malformed SIGN");
	}
	vi = req->name[0] ? vhost_find_by_name(mon->given.cfg, &mon->given.local, req->name) : -1;
	if (vi < 0 || !mon->env->tls[vi].full)
		vi = (int)session_vhost(mon);
	if (mon_granted(mon, PRIV_TLS_READY))
		mon_violation(mon, "SIGN after the control handshake");
	else if (mon->handshake_signs++ > 0)
		mon_violation(mon, "SIGN twice in one control handshake");
	else if (req->vhost != (uint32_t)vi)
		mon_violation(mon, "SIGN with another vhost's key");
	else
		forward_sign(mon, req, mon->relay_fd);
	explicit_bzero(req, sizeof(*req));
	free(req);
}

/* The user's engine, in a full data handshake: only when
 * require_ssl_reuse=NO, once per data connection we brokered. */
void mon_on_engine_sign(struct monitor *mon, struct priv_msg *m)
{
	struct priv_sign *req = calloc(1, sizeof(*req));

	if (!req || priv_decode_sign(m, req) < 0) {
		free(req);
		return mon_violation(mon, "malformed SIGN");
	}
	if (mon->given.set->require_ssl_reuse)
		mon_violation(mon, "SIGN from the engine with require_ssl_reuse=YES");
	else if (!mon->data_sign_ok)
		mon_violation(mon, "SIGN without a data connection to sign for");
	else if (req->vhost != session_vhost(mon))
		mon_violation(mon, "SIGN with another vhost's key");
	else
		forward_sign(mon, req, mon->priv_fd);
	mon->data_sign_ok = false;
	explicit_bzero(req, sizeof(*req));
	free(req);
}
