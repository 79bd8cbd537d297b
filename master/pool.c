#include "master/pool.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "privsep/proto.h"

void pool_fill(struct pool *p, unsigned want, struct generation *g, generation_exit_fn on_exit,
	       void *ctx)
{
	if (want > POOL_MAX)
		want = POOL_MAX;
	while (p->n < want) {
		int sv[2];
		pid_t pid;

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
			return;
		pid = generation_spawn(g, sv[1], on_exit, ctx);
		if (pid < 0) {
			log_msg(LOG_LVL_ERR, "spare: the zygote could not fork one");
			close(sv[0]);
			return;
		}
		p->spare[p->n++] = (struct pool_spare){ .pid = pid, .fd = sv[0] };
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
	/* Newest first: the oldest spares are the likeliest to be warm in
	 * no cache anyway, and a dead one just fails the send. */
	while (p->n > 0) {
		struct pool_spare s = p->spare[--p->n];
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
	for (size_t i = 0; i < p->n; i++) {
		if (p->spare[i].pid != pid)
			continue;
		close(p->spare[i].fd);
		p->spare[i] = p->spare[--p->n];
		return true;
	}
	return false;
}

void pool_drain(struct pool *p)
{
	for (size_t i = 0; i < p->n; i++) {
		kill(p->spare[i].pid, SIGKILL);
		close(p->spare[i].fd);
	}
	p->n = 0;
}
