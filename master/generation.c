#include "master/generation.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "privsep/proto.h"

/* How long a generation may take to load its keys and build its contexts. */
#define GENERATION_START_MS 30000

static void stop_pid(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void abandon(struct generation *g)
{
	stop_pid(g->zygote);
	stop_pid(g->keys);
	if (g->link >= 0)
		close(g->link);
	*g = (struct generation){ .link = -1 };
}

static int wait_ready(struct generation *g, char *err, size_t errsize)
{
	struct pollfd p = { .fd = g->link, .events = POLLIN };
	struct priv_msg m;
	uint32_t status;

	if (poll(&p, 1, GENERATION_START_MS) != 1) {
		snprintf(err, errsize, "the key holder or zygote did not start in time");
		return -1;
	}
	if (priv_recv(g->link, &m) != 1 || m.type != PRIV_KEYS_STATUS ||
	    priv_decode_keys_status(&m, &status, err, errsize) < 0) {
		snprintf(err, errsize, "the zygote ended while starting");
		return -1;
	}
	return status == 0 ? 0 : -1;
}

int generation_start(struct generation *g, const struct ftpsd_config *cfg,
		     const struct role_env *env, char *err, size_t errsize)
{
	int kz[2], mz[2];

	*g = (struct generation){ .link = -1 };
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, kz) < 0) {
		snprintf(err, errsize, "socketpair: %s", strerror(errno));
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, mz) < 0) {
		snprintf(err, errsize, "socketpair: %s", strerror(errno));
		close(kz[0]);
		close(kz[1]);
		return -1;
	}
	g->keys = role_spawn("keys", cfg, env, &kz[0], 1);
	g->zygote = role_spawn("zygote", cfg, env, (int[]){ mz[1], kz[1] }, 2);
	close(kz[0]);
	close(kz[1]);
	close(mz[1]);
	g->link = mz[0];
	if (g->keys < 0 || g->zygote < 0) {
		snprintf(err, errsize, "fork: %s", strerror(errno));
		abandon(g);
		return -1;
	}
	if (wait_ready(g, err, errsize) < 0) {
		abandon(g);
		return -1;
	}
	return 0;
}

/* One message from the zygote, to EV. 0, or -1 when the zygote is gone. */
static int read_one(struct generation *g, const struct generation_events *ev)
{
	struct priv_msg m;
	uint32_t ticket;
	int32_t pid;

	if (priv_recv(g->link, &m) != 1)
		return -1;
	if (m.fd >= 0)
		close(m.fd);
	if (m.type == PRIV_ZYG_EXITED && priv_decode_zyg_pid(&m, &pid) == 0 && pid > 0)
		ev->exited(pid, ev->ctx);
	else if (m.type == PRIV_ZYG_SPAWNED && priv_decode_zyg_spawned(&m, &pid, &ticket) == 0)
		ev->spawned(ticket, pid, ev->ctx);
	return 0; /* anything else is ours, but nothing we asked for: ignored */
}

int generation_request_spawn(struct generation *g, int link, uint32_t ticket)
{
	struct priv_msg m;
	int rc;

	priv_encode_zyg_spawn(&m, link, ticket);
	rc = g->link < 0 ? -1 : priv_send(g->link, &m);
	close(link);
	return rc < 0 ? -1 : 0;
}

int generation_read(struct generation *g, const struct generation_events *ev)
{
	struct pollfd p = { .fd = g->link, .events = POLLIN };

	for (int i = 0; i < 256 && poll(&p, 1, 0) == 1; i++)
		if (read_one(g, ev) < 0)
			return -1;
	return 0;
}

int generation_wait(struct generation *g, const struct generation_events *ev, int ms)
{
	struct pollfd p = { .fd = g->link, .events = POLLIN };
	long long deadline = clock_ms() + ms;
	int r;

	if (g->link < 0)
		return -1;
	/* A signal (a session's SIGCHLD) is not the zygote's silence. */
	while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
		if ((ms = (int)(deadline - clock_ms())) < 0)
			ms = 0;
	if (r <= 0)
		return r < 0 ? -1 : 0;
	return read_one(g, ev) < 0 ? -1 : 1;
}

void generation_send_masq(struct generation *g, const struct pasv_masq *masq, size_t n)
{
	struct priv_msg m;

	for (size_t v = 0; masq && v < n; v++) {
		priv_encode_zyg_masq(&m, (uint32_t)v, masq[v].ok, &masq[v].addr);
		(void)priv_send(g->link, &m);
	}
}

void generation_retire(struct generation *g, const struct generation_events *ev)
{
	struct priv_msg m;
	struct pollfd p = { .fd = g->link, .events = POLLIN };

	priv_encode_zyg_retire(&m);
	if (g->link >= 0 && priv_send(g->link, &m) == 0)
		/* Its last reports, until it closes the link by exiting. */
		while (poll(&p, 1, 5000) == 1 && read_one(g, ev) == 0)
			;
	if (g->link >= 0)
		close(g->link);
	*g = (struct generation){ .link = -1 };
}
