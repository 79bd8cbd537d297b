#include "master/pool.h"

#include <fcntl.h>
#include <string.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "privsep/proto.h"

void pool_fill(struct pool *p, unsigned want, struct generation *g)
{
	if (want > POOL_MAX)
		want = POOL_MAX;
	while (p->n < want) {
		uint32_t ticket = p->next_ticket++;
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
			return;
		if (generation_request_spawn(g, sv[1], ticket) < 0) {
			log_msg(LOG_LVL_ERR, "spare: the zygote could not be asked for one");
			close(sv[0]);
			return;
		}
		p->spare[p->n++] = (struct pool_spare){ .ticket = ticket, .fd = sv[0] };
	}
}

static void remove_at(struct pool *p, size_t i)
{
	--p->n; /* keeps the order: oldest first */
	memmove(&p->spare[i], &p->spare[i + 1], (p->n - i) * sizeof(p->spare[0]));
}

void pool_spawned(struct pool *p, uint32_t ticket, pid_t pid)
{
	for (size_t i = 0; i < p->n; i++) {
		if (p->spare[i].pid != 0 || p->spare[i].ticket != ticket)
			continue;
		if (pid > 0) {
			p->spare[i].pid = pid;
			return;
		}
		log_msg(LOG_LVL_ERR, "spare: the zygote could not fork one");
		close(p->spare[i].fd);
		remove_at(p, i);
		return;
	}
}

size_t pool_pending(const struct pool *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		n += p->spare[i].pid == 0;
	return n;
}

void pool_forget_pending(struct pool *p)
{
	for (size_t i = 0; i < p->n;) {
		if (p->spare[i].pid != 0) {
			i++;
			continue;
		}
		close(p->spare[i].fd);
		remove_at(p, i);
	}
}

pid_t pool_assign(struct pool *p, const struct ftpsd_config *cfg, const struct listener *l, int fd,
		  const struct net_addr *client, const struct net_addr *proxy, int *link)
{
	struct priv_assign a = {
		.vhost = (uint32_t)(l->vhost - cfg->vhosts),
		.implicit_tls = l->implicit_tls,
		.proxied = proxy != NULL,
	};
	struct priv_msg m;

	if (proxy) {
		a.client = *client;
		a.proxy = *proxy;
	}
	priv_encode_assign(&m, &a, fd);
	/* Oldest first, so every spare is used in turn: with newest first the
	 * oldest stayed in the pool for as long as it never ran dry, and so
	 * did the spawner that forked them (a spawner ends with its last
	 * child). A dead one just fails the send. */
	for (size_t i = 0; i < p->n;) {
		struct pool_spare s = p->spare[i];
		if (s.pid == 0) {
			i++; /* no answer yet: its pid is what the session is known by */
			continue;
		}
		remove_at(p, i);
		if (priv_send(s.fd, &m) == 0) {
			(void)fcntl(s.fd, F_SETFL, fcntl(s.fd, F_GETFL) | O_NONBLOCK);
			*link = s.fd;
			return s.pid;
		}
		close(s.fd);
		kill(s.pid, SIGKILL);
	}
	return -1;
}

bool pool_forget(struct pool *p, pid_t pid)
{
	for (size_t i = 0; pid > 0 && i < p->n; i++) {
		if (p->spare[i].pid != pid)
			continue;
		close(p->spare[i].fd);
		remove_at(p, i);
		return true;
	}
	return false;
}

void pool_drain(struct pool *p)
{
	/* One without an answer yet ends by itself: its link is closed. */
	for (size_t i = 0; i < p->n; i++) {
		if (p->spare[i].pid > 0)
			kill(p->spare[i].pid, SIGKILL);
		close(p->spare[i].fd);
	}
	p->n = 0;
}
