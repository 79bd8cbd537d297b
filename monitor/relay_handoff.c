/* At login, the relay's TLS 1.3 record state goes to the user's engine
 * and the relay ends (tls/tls13_record.h). */
#include "monitor/monitor_state.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "common/log.h"
#include "privsep/client.h"
#include "tls/tls13_record.h"

/* Bytes the relay forwarded that the pre-auth engine did not read: the
 * user's engine starts with them after the ones the pre-auth engine had.
 * 0, or -1 if they do not fit (a client pipelining kilobytes at login). */
static int drain_plaintext(struct monitor *mon, struct priv_login *l)
{
	struct pollfd p = { .fd = mon->ctrl_fd, .events = POLLIN };

	while (poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP))) {
		size_t room = sizeof(l->pending) - l->npending;
		ssize_t n = room ? read(mon->ctrl_fd, l->pending + l->npending, room) : -1;

		if (n == 0)
			return 0; /* the relay is gone: nothing more comes */
		if (n < 0)
			return errno == EINTR ? 0 : -1;
		l->npending += (uint32_t)n;
	}
	return 0;
}

static void on_relay_log(void *mon, struct priv_msg *m)
{
	mon_on_relay_log(mon, m);
}

/* At login, ask the relay for the control connection's TLS records
 * (tls/tls13_record.h): the user's engine then speaks them and the relay
 * ends, so an idle session is two processes. A relay that cannot (TLS 1.2,
 * a KeyUpdate, bytes inside OpenSSL) says so and stays. Its answer is
 * checked like any other, and the kill is sent before the engine exists
 * (DESIGN.md §1 says what that does and does not rule out). */
void mon_take_over_relay(struct monitor *mon, struct priv_login *l)
{
	struct priv_tls_keys k;
	enum priv_handoff r = priv_ask_relay_handoff(mon->relay_fd, 10000, on_relay_log, mon, &k);
	if (r == PRIV_HANDOFF_GONE) {
		/* Gone or stuck (killed, or its client hung up): no answer is
		 * not a hostile one; the session ends. */
		log_msg(LOG_LVL_INFO, "client %s: the relay ended before the handoff",
			mon->given.peer_ip);
		mon->done = true;
		goto out;
	}
	if (r == PRIV_HANDOFF_BAD ||
	    (r == PRIV_HANDOFF_KEYS && !tls13_suite_ok(k.suite, k.secret_len))) {
		mon_violation(mon, "no valid TLS_HANDOFF from the relay");
		goto out;
	}
	if (r == PRIV_HANDOFF_STAYS)
		goto out; /* the relay stays for the session */
	/* An honest relay reads nothing more and exits by itself; a hostile
	 * one could at most read its own client's bytes until the signal
	 * lands. Not waited for here (DESIGN.md §1). */
	mon_end_unwaited(mon, mon->relay);
	mon->relay = -1;
	close(mon->relay_fd);
	mon->relay_fd = -1;
	if (drain_plaintext(mon, l) < 0) {
		log_msg(LOG_LVL_INFO, "client %s: too much pipelined at login", mon->given.peer_ip);
		mon->done = true;
		goto out;
	}
	close(mon->ctrl_fd);
	mon->ctrl_fd = mon->client_fd;
	mon->login.ctrl_tls = k;
out:
	OPENSSL_cleanse(&k, sizeof(k));
}
