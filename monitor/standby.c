/* The user's engine, forked before the login: a spare's with its pre-auth
 * engine and relay, so no fork is left on a login's path (DESIGN.md §1).
 * Until PRIV_ENGINE_START it waits on its link, root, holding the clean
 * image it was forked from and nothing else. At the login the monitor
 * sends it the control connection and one datagram with what the monitor
 * learnt since the fork (the handoff below); the process then takes what
 * PAM did to the monitor (sandbox/inherit.c) and becomes the user exactly
 * as an engine forked at that moment would (mon_become_user). */
#include "monitor/monitor_state.h"

#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "sandbox/sandbox.h"
#include "tls/tls.h"

/* What an engine forked at the login would have found in the monitor's
 * memory and a pre-forked one has not: everything written since the
 * fork that the user's engine reads. Pointers are not sent: the vhost
 * goes by its index, and the engine points at its own copies. */
struct engine_handoff {
	uint32_t vhost;
	struct session_given given;
	struct session_login login;
	struct users_account acct;
	struct cfg_settings user_set;
	struct priv_tls_session tls_sess;
	uint32_t ticket_key_len;
	unsigned char ticket_key[TLS_SESSION_KEY_LEN];
	uint32_t npending;
	uint8_t pending[PRIV_PENDING_MAX];
};

/* The handoff is one datagram on the link: room for it and its header. */
#define HANDOFF_SNDBUF (2 * (int)sizeof(struct engine_handoff))

static void fill_handoff(const struct monitor *mon, struct engine_handoff *h, const void *pending,
			 size_t npending)
{
	h->vhost = (uint32_t)(mon->given.vhost - mon->given.cfg->vhosts);
	h->given = mon->given;
	h->login = mon->login;
	h->acct = mon->acct;
	h->user_set = mon->user_set;
	h->tls_sess = mon->tls_sess;
	if (tls_session_key_get(h->ticket_key) == 0)
		h->ticket_key_len = sizeof(h->ticket_key);
	h->npending = (uint32_t)npending;
	if (npending)
		memcpy(h->pending, pending, npending);
}

#define TERMINATE(a) ((a)[sizeof(a) - 1] = '\0')

/* In the engine: the monitor is trusted (it is the privileged side), but
 * the handoff is still checked, and pointers are our own. */
static int take_handoff(struct monitor *mon, struct engine_handoff *h)
{
	const struct ftpsd_config *cfg = mon->given.cfg;

	if (h->vhost >= cfg->nvhosts || h->npending > sizeof(h->pending) ||
	    (h->ticket_key_len != 0 && h->ticket_key_len != sizeof(h->ticket_key)) ||
	    h->tls_sess.len > sizeof(h->tls_sess.der))
		return -1;
	mon->given = h->given;
	mon->given.cfg = cfg;
	mon->given.vhost = &cfg->vhosts[h->vhost];
	mon->given.tls = &mon->env->tls[h->vhost];
	mon->given.set = &mon->user_set;
	TERMINATE(mon->given.peer_ip);
	mon->login = h->login;
	TERMINATE(mon->login.user);
	TERMINATE(mon->login.home);
	mon->acct = h->acct;
	TERMINATE(mon->acct.login);
	TERMINATE(mon->acct.account);
	TERMINATE(mon->acct.root);
	TERMINATE(mon->acct.work_dir);
	mon->user_set = h->user_set;
	mon->tls_sess = h->tls_sess;
	if (h->ticket_key_len)
		tls_session_key_set(h->ticket_key);
	return 0;
}

/* The waiting engine's life: the start, the handoff, then the engine. */
__attribute__((noreturn)) static void standby_main(struct monitor *mon, int link)
{
	static uint8_t pending[PRIV_PENDING_MAX];
	struct engine_handoff *h;
	struct priv_msg m;
	uint32_t size;
	size_t npending;
	ssize_t n;

	if (priv_recv(link, &m) != 1 || m.type != PRIV_ENGINE_START ||
	    priv_decode_engine_start(&m, &size) < 0 || size != sizeof(*h))
		_exit(1);
	/* Mapped for the moment it is needed: its pages go back at once. */
	h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED)
		_exit(1);
	do
		n = recv(link, h, sizeof(*h), MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*h) || take_handoff(mon, h) < 0)
		_exit(1);
	npending = h->npending;
	if (npending)
		memcpy(pending, h->pending, npending);
	OPENSSL_cleanse(h, sizeof(*h));
	munmap(h, sizeof(*h));
	mon->ctrl_fd = m.fd;
	sandbox_set_name("ftpsd-engine");
	mon_engine_main(mon, mon_become_user, link, pending, npending);
}

pid_t mon_sys_spawn_standby(struct monitor *mon, int *link)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		sandbox_set_name("ftpsd-standby");
		signal(SIGCHLD, SIG_DFL);
		sandbox_close_fds_except(&sv[1], 1);
		sandbox_die_with_parent(mon->pid);
		standby_main(mon, sv[1]);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return -1;
	}
	*link = sv[0];
	return pid;
}

int mon_prefork_standby(struct monitor *mon)
{
	int link;
	pid_t pid;

	if (mon->standby_fd >= 0)
		return 0;
	pid = mon->ops->spawn_standby(mon, &link);
	if (pid < 0)
		return -1;
	mon_bound_sends(link);
	(void)setsockopt(link, SOL_SOCKET, SO_SNDBUF, &(int){ HANDOFF_SNDBUF }, sizeof(int));
	mon->standby = pid;
	mon->standby_fd = link;
	return 0;
}

void mon_end_standby(struct monitor *mon)
{
	pid_t pid = mon->standby;

	if (mon->standby_fd < 0)
		return;
	/* Its link closed, it exits by itself; a stuck one is killed. */
	close(mon->standby_fd);
	mon->standby_fd = -1;
	mon->standby = -1;
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
}

static int send_handoff(struct monitor *mon, const void *pending, size_t npending)
{
	struct engine_handoff *h = calloc(1, sizeof(*h));
	struct priv_msg m;
	ssize_t n = -1;

	if (!h)
		return -1;
	fill_handoff(mon, h, pending, npending);
	priv_encode_engine_start(&m, sizeof(*h), mon->ctrl_fd);
	if (priv_send(mon->standby_fd, &m) >= 0) {
		do
			n = send(mon->standby_fd, h, sizeof(*h), MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
	}
	OPENSSL_cleanse(h, sizeof(*h));
	free(h);
	return n == (ssize_t)sizeof(*h) ? 0 : -1;
}

/* At the login: the waiting engine becomes the session's engine. One that
 * died while it waited is replaced by one forked now (from a monitor that
 * PAM has acted on already: what it takes from us is then what it has). */
int mon_start_user_engine(struct monitor *mon, const void *pending, size_t npending)
{
	for (int tries = 0; tries < 2; tries++) {
		if (mon_prefork_standby(mon) < 0)
			return -1;
		if (send_handoff(mon, pending, npending) == 0) {
			if (mon->priv_fd >= 0)
				close(mon->priv_fd);
			mon->priv_fd = mon->standby_fd;
			mon->engine = mon->standby;
			mon->standby_fd = -1;
			mon->standby = -1;
			return 0;
		}
		mon_end_standby(mon);
	}
	return -1;
}
