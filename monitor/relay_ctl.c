/* The control connection's TLS relay: forked when the monitor starts
 * (a spare's, before its connection) and sandboxed at once, started by
 * PRIV_RELAY_START at AUTH TLS (or at once for implicit TLS); its session
 * for the data connections, its report that the handshake is done. */
#include "monitor/monitor_state.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "config/vhosts.h"
#include "relay/relay.h"
#include "tls/tls.h"
#include "sandbox/sandbox.h"

/* The process: a relay waiting for PRIV_RELAY_START, with our end of its
 * privsep link in *RELAY_LINK and the plaintext side in *PLAIN_FD. It
 * holds no connection: it gets one with the start. */
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
			.client_fd = -1,
			.plain_fd = plain[1],
			.monitor_fd = link[1],
			.nopriv_user = g->nopriv_user,
			.empty_dir = g->secure_chroot_dir,
			.parent = mon->pid,
			.seccomp = g->seccomp_sandbox,
			.isolate_network = g->isolate_network,
			.cfg = mon->given.cfg,
			.all_tls = mon->env->tls,
		};
		int keep[] = { plain[1], link[1] };
		sandbox_set_name("ftpsd-relay");
		sandbox_close_fds_except(keep, 2);
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

static bool some_vhost_has_tls(const struct monitor *mon)
{
	for (size_t v = 0; v < mon->given.cfg->nvhosts; v++)
		if (mon->env->tls[v].full)
			return true;
	return false;
}

/* Every monitor forks its relay when it starts, a spare's before its
 * connection: the fork and the sandboxing are off the login path. */
int mon_prefork_relay(struct monitor *mon)
{
	int link, plain;
	pid_t pid;

	if (mon->idle_relay_fd >= 0 || !some_vhost_has_tls(mon))
		return 0;
	pid = mon->ops->spawn_relay(mon, &link, &plain);
	if (pid < 0)
		return -1;
	mon_bound_sends(link);
	mon->idle_relay = pid;
	mon->idle_relay_fd = link;
	mon->idle_relay_plain = plain;
	return 0;
}

void mon_end_idle_relay(struct monitor *mon, bool wait)
{
	pid_t pid = mon->idle_relay;

	if (mon->idle_relay_fd < 0)
		return;
	/* Its link closed, an honest one exits by itself. */
	close(mon->idle_relay_fd);
	close(mon->idle_relay_plain);
	mon->idle_relay_fd = mon->idle_relay_plain = -1;
	mon->idle_relay = -1;
	if (pid > 0 && !wait)
		return mon_end_unwaited(mon, pid);
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
}

/* Start the waiting relay (forked now if there is none, e.g. it died):
 * it takes the TCP connection's TLS for the vhost chosen by now (HOST
 * may have changed it); we and the engines speak plaintext on the other
 * side of a socketpair from now on. */
int mon_start_relay(struct monitor *mon)
{
	struct priv_relay_start st = {
		.vhost = (uint32_t)(mon->given.vhost - mon->given.cfg->vhosts),
		.handshake_timeout = mon->given.set->data_connection_timeout,
		.local = mon->given.local,
	};
	struct priv_msg m;
	int sent;

	_Static_assert(sizeof(st.ticket_key) == TLS_SESSION_KEY_LEN, "the ticket key's size");
	if (!mon->given.tls->full || mon_prefork_relay(mon) < 0 || mon->idle_relay_fd < 0)
		return -1;
	/* Drawn at the session's start, after the relay was forked. */
	if (tls_session_key_get(st.ticket_key) == 0)
		st.ticket_key_len = sizeof(st.ticket_key);
	priv_encode_relay_start(&m, &st, mon->client_fd);
	sent = priv_send(mon->idle_relay_fd, &m);
	OPENSSL_cleanse(&st, sizeof(st));
	OPENSSL_cleanse(m.body, m.len);
	if (sent < 0) {
		mon_end_idle_relay(mon, true);
		return -1;
	}
	mon->relay = mon->idle_relay;
	mon->relay_fd = mon->idle_relay_fd;
	mon->ctrl_fd = mon->idle_relay_plain;
	mon->idle_relay = -1;
	mon->idle_relay_fd = mon->idle_relay_plain = -1;
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
