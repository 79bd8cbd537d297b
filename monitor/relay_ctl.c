/* The control connection's TLS relay: forked at AUTH TLS (or at once for
 * implicit TLS), its session for the data connections, its report that
 * the handshake is done. */
#include "monitor/monitor_state.h"

#include <errno.h>
#include <unistd.h>

#include "common/log.h"
#include "config/vhosts.h"
#include "relay/relay.h"
#include "sandbox/sandbox.h"

/* The process: the relay on the TCP connection, with our end of its
 * privsep link in *RELAY_LINK and the plaintext side in *PLAIN_FD. */
pid_t mon_sys_spawn_relay(struct monitor *mon, int *relay_link, int *plain_fd)
{
	const struct cfg_settings *g = &mon->given.cfg->global;
	int plain[2], link[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, plain) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, link) < 0) {
		close(plain[0]);
		close(plain[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		struct relay_args a = {
			.ctx = mon->given.tls->full,
			.client_fd = mon->client_fd,
			.plain_fd = plain[1],
			.monitor_fd = link[1],
			.nopriv_user = g->nopriv_user,
			.empty_dir = g->secure_chroot_dir,
			.handshake_timeout = mon->given.set->data_connection_timeout,
			.parent = mon->pid,
			.seccomp = g->seccomp_sandbox,
			.isolate_network = g->isolate_network,
			.cfg = mon->given.cfg,
			.all_tls = mon->env->tls,
			.local = &mon->given.local,
		};
		int keep[] = { mon->client_fd, plain[1], link[1] };
		sandbox_set_name("ftpsd-relay");
		sandbox_close_fds_except(keep, 3);
		relay_run(&a);
	}
	close(plain[1]);
	close(link[1]);
	if (pid < 0) {
		close(plain[0]);
		close(link[0]);
		return -1;
	}
	*relay_link = link[0];
	*plain_fd = plain[0];
	return pid;
}

/* Fork the relay: it takes the TCP connection's TLS, we and the engines
 * speak plaintext on the other side of a socketpair from now on. */
int mon_start_relay(struct monitor *mon)
{
	int link, plain;
	pid_t pid;

	if (!mon->given.tls->full)
		return -1;
	pid = mon->ops->spawn_relay(mon, &link, &plain);
	if (pid < 0)
		return -1;
	mon->relay = pid;
	mon->relay_fd = link;
	mon_bound_sends(link);
	mon->ctrl_fd = plain;
	mon->given.tls_control = true;
	mon_grant(mon, PRIV_AUTH_TLS); /* implicit TLS too: TLS once per session */
	return 0;
}

/* After the engine: closing our copy of the plaintext side lets the relay
 * send close_notify; then it exits by itself. One that does not (stuck
 * on a client that does not read, or hostile) is killed after a grace
 * long enough for one close_notify: the root monitor never waits on a
 * sandboxed process without a bound. */
#define RELAY_CLOSE_GRACE_MS 1000
void mon_stop_relay(struct monitor *mon)
{
	int status;

	if (mon->relay <= 0)
		return;
	close(mon->ctrl_fd);
	mon->ctrl_fd = -1;
	(void)mon_wait_or_kill(mon->relay, RELAY_CLOSE_GRACE_MS, &status);
	mon->relay = -1;
}

void mon_on_auth_tls(struct monitor *mon, struct priv_msg *m)
{
	struct priv_msg reply;
	uint32_t status = 1;

	if (priv_decode_auth_tls(m) < 0)
		return mon_violation(mon, "malformed AUTH_TLS");
	if (mon->given.set->ssl_enable && mon_start_relay(mon) == 0)
		status = 0;
	else if (mon->given.set->ssl_enable)
		log_msg(LOG_LVL_ERR, "cannot start TLS relay: %s", strerror(errno));
	priv_encode_auth_tls_result(&reply, status, mon->ctrl_fd);
	if (priv_send(mon->priv_fd, &reply) < 0)
		mon->done = true;
}

void mon_on_tls_session(struct monitor *mon, struct priv_msg *m)
{
	if (priv_decode_tls_session(m, &mon->tls_sess) < 0) {
		mon->tls_sess.len = 0;
		return mon_violation(mon, "malformed TLS_SESSION");
	}
	mon_grant(mon, PRIV_TLS_SESSION);
}

/* The relay finished the control handshake. Untrusted: the relay runs
 * as nopriv and parsed the ClientHello; the name is looked up again here. */
void mon_on_tls_ready(struct monitor *mon, struct priv_msg *m)
{
	char name[PRIV_HOST_NAME_MAX], how[PRIV_HOST_NAME_MAX + 8];
	struct priv_msg reply;
	int vi = -1;

	if (priv_decode_tls_ready(m, name, sizeof(name)) < 0)
		return mon_violation(mon, "malformed TLS_READY");
	mon_grant(mon, PRIV_TLS_READY);
	if (name[0])
		vi = vhost_find_by_name(mon->given.cfg, &mon->given.local, name);
	if (vi >= 0 && &mon->given.cfg->vhosts[vi] != mon->given.vhost && mon->env->tls[vi].full) {
		snprintf(how, sizeof(how), "SNI %s", name);
		mon_switch_vhost(mon, vi, how);
		if (mon->engine > 0) {
			/* Explicit AUTH TLS: the pre-auth engine of the old
			 * vhost is replaced by a silent one of the new. */
			mon_stop_engine(mon);
			mon->quiet_start = true;
		}
	}
	if (mon->engine <= 0 &&
	    mon_fork_engine(mon, "ftpsd-preauth", mon_become_preauth, NULL, 0) < 0) {
		log_msg(LOG_LVL_ERR, "cannot start engine: %s", strerror(errno));
		mon->done = true;
		return;
	}
	mon->quiet_start = false;
	priv_encode_tls_ready_ack(&reply);
	if (priv_send(mon->relay_fd, &reply) < 0)
		mon->done = true;
}
