/* The typed requests of client.h: encode, priv_call, decode. */
#include "privsep/client.h"

#include <limits.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "privsep/rules.h"

/* An answer we cannot use: the fd it may carry is closed. */
static int refuse(struct priv_msg *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	return -1;
}

/* The answer to a request of type ASKED, sent already, into M. */
static int await_reply(int link, struct priv_msg *m, uint16_t asked, int timeout_ms)
{
	const struct priv_rule *r = priv_rule(asked);
	struct pollfd p = { .fd = link, .events = POLLIN };

	if (timeout_ms >= 0 && poll(&p, 1, timeout_ms) != 1)
		return -1;
	if (priv_recv(link, m) != 1)
		return -1;
	return m->type == r->reply ? 0 : refuse(m);
}

int priv_call(int link, struct priv_msg *m, int timeout_ms)
{
	const struct priv_rule *r = priv_rule(m->type);
	uint16_t asked = m->type;

	if (!r || r->reply == PRIV_NONE || priv_send(link, m) < 0)
		return -1;
	return await_reply(link, m, asked, timeout_ms);
}

int priv_ask_login(int link, const struct priv_login *l, uint32_t *result)
{
	struct priv_msg m;
	int rc;

	priv_encode_login(&m, l);
	rc = priv_send(link, &m);
	explicit_bzero(&m, sizeof(m)); /* the password goes before we wait */
	if (rc < 0 || await_reply(link, &m, PRIV_LOGIN, -1) < 0)
		return -1;
	return priv_decode_login_result(&m, result) < 0 ? refuse(&m) : 0;
}

int priv_ask_host(int link, const struct priv_host *h, uint32_t *result)
{
	struct priv_msg m;

	priv_encode_host(&m, h);
	if (priv_call(link, &m, -1) < 0)
		return -1;
	return priv_decode_host_result(&m, result) < 0 ? refuse(&m) : 0;
}

int priv_ask_auth_tls(int link, uint32_t *status, int *plain_fd)
{
	struct priv_msg m;

	*plain_fd = -1;
	priv_encode_auth_tls(&m);
	if (priv_call(link, &m, -1) < 0)
		return -1;
	if (priv_decode_auth_tls_result(&m, status) < 0)
		return refuse(&m);
	*plain_fd = m.fd;
	return 0;
}

int priv_ask_pasv(int link, uint32_t kind, struct priv_pasv_result *r)
{
	struct priv_msg m;

	priv_encode_pasv(&m, kind);
	if (priv_call(link, &m, -1) < 0)
		return -1;
	if (priv_decode_pasv_result(&m, r) < 0)
		return refuse(&m);
	return 0;
}

int priv_ask_port(int link, const struct net_addr *target, uint32_t *status, int *data_fd)
{
	struct priv_msg m;

	*data_fd = -1;
	priv_encode_port_connect(&m, target);
	if (priv_call(link, &m, -1) < 0)
		return -1;
	if (priv_decode_port_result(&m, status) < 0)
		return refuse(&m);
	*data_fd = m.fd;
	return 0;
}

int priv_ask_chown_upload(int link, int file_fd, uint32_t *status)
{
	struct priv_msg m;

	priv_encode_chown_upload(&m, file_fd);
	if (priv_call(link, &m, -1) < 0)
		return -1;
	return priv_decode_chown_result(&m, status) < 0 ? refuse(&m) : 0;
}

int priv_ask_tls_ready(int link, const char *name)
{
	struct priv_msg m;

	priv_encode_tls_ready(&m, name);
	if (priv_call(link, &m, -1) < 0)
		return -1;
	return priv_decode_tls_ready_ack(&m) < 0 ? refuse(&m) : 0;
}

/* Milliseconds left until DEADLINE (CLOCK_MONOTONIC), never negative. */
static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		return 0;
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

/* The next message before DEADLINE into M: 1, or 0 (silent, or gone). */
static int recv_by(int link, struct priv_msg *m, const struct timespec *deadline)
{
	struct pollfd p = { .fd = link, .events = POLLIN };

	return poll(&p, 1, ms_left(deadline)) == 1 && priv_recv(link, m) == 1;
}

enum priv_handoff priv_ask_relay_handoff(int link, int timeout_ms,
					 void (*on_log)(void *arg, struct priv_msg *m), void *arg,
					 struct priv_tls_keys *k)
{
	struct priv_msg m;
	struct timespec deadline;
	enum priv_handoff res = PRIV_HANDOFF_GONE;
	unsigned logs = 0;
	int r;

	memset(k, 0, sizeof(*k));
	if (clock_gettime(CLOCK_MONOTONIC, &deadline) < 0)
		return PRIV_HANDOFF_GONE;
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	priv_encode_relay_handoff(&m);
	if (priv_send(link, &m) < 0)
		return PRIV_HANDOFF_GONE;
	while ((r = recv_by(link, &m, &deadline)) == 1 && m.type == PRIV_LOG &&
	       logs++ < PRIV_HANDOFF_MAX_LOGS)
		on_log(arg, &m);
	if (r == 1) {
		r = m.type == priv_rule(PRIV_RELAY_HANDOFF)->reply ? priv_decode_tls_handoff(&m, k)
								   : -1;
		res = r == 1 ? PRIV_HANDOFF_KEYS : r == 0 ? PRIV_HANDOFF_STAYS : PRIV_HANDOFF_BAD;
		if (r < 0) {
			(void)refuse(&m);
			explicit_bzero(k, sizeof(*k));
		}
	}
	explicit_bzero(&m, sizeof(m)); /* the traffic secrets */
	return res;
}

int priv_ask_sign(int link, const struct priv_sign *req, struct priv_sign_result *res,
		  int timeout_ms)
{
	struct priv_msg m;
	int rc;

	priv_encode_sign(&m, req);
	rc = priv_call(link, &m, timeout_ms);
	if (rc == 0 && priv_decode_sign_result(&m, res) < 0)
		rc = refuse(&m);
	explicit_bzero(&m, sizeof(m)); /* what was signed, and the signature */
	return rc;
}
