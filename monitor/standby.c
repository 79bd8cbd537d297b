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
#include "common/memtrim.h"
#include "engine/engine.h"
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
	h->user_set = *mon->given.set; /* the login's: the vhost's, or user_set */
	h->tls_sess = mon->tls_sess;
	if (tls_session_key_get(h->ticket_key) == 0)
		h->ticket_key_len = sizeof(h->ticket_key);
	h->npending = (uint32_t)npending;
	if (npending)
		memcpy(h->pending, pending, npending);
}

#define TERMINATE(a) ((a)[sizeof(a) - 1] = '\0')

/* Let the data contexts resume the control session by ID (TLS 1.2 without
 * tickets); tickets need nothing, they decrypt with the session key. */
static void install_control_session(const struct tls_vhost *t, const struct priv_tls_session *c)
{
	if (!c->len)
		return;
	if (t->resume)
		(void)tls_session_import(t->resume, c->der, c->len);
	if (t->full)
		(void)tls_session_import(t->full, c->der, c->len);
}

/* In the engine: the monitor is trusted (it is the privileged side), but
 * the handoff is still checked, and its pointers are replaced by ours. */
static int take_handoff(struct monitor *mon, struct engine_handoff *h)
{
	const struct ftpsd_config *cfg = mon->given.cfg;
	struct session_given *g = &h->given;

	if (h->vhost >= cfg->nvhosts || h->npending > sizeof(h->pending) ||
	    (h->ticket_key_len != 0 && h->ticket_key_len != sizeof(h->ticket_key)) ||
	    h->tls_sess.len > sizeof(h->tls_sess.der))
		return -1;
	g->cfg = cfg;
	g->vhost = &cfg->vhosts[h->vhost];
	g->tls = &mon->env->tls[h->vhost];
	/* Without a user_config_dir file the user's settings are the
	 * vhost's: pointing at those keeps 24 KiB of our pages shared. */
	if (memcmp(&h->user_set, &g->vhost->set, sizeof(h->user_set)) == 0) {
		g->set = &g->vhost->set;
	} else {
		mon->user_set = h->user_set;
		g->set = &mon->user_set;
	}
	TERMINATE(g->peer_ip);
	TERMINATE(h->login.user);
	TERMINATE(h->login.home);
	TERMINATE(h->acct.login);
	TERMINATE(h->acct.account);
	TERMINATE(h->acct.root);
	TERMINATE(h->acct.work_dir);
	install_control_session(g->tls, &h->tls_sess);
	/* One forked after the login (its waiting one died) has a copy. */
	if (mon->tls_sess.len)
		OPENSSL_cleanse(&mon->tls_sess, sizeof(mon->tls_sess));
	if (h->ticket_key_len)
		tls_session_key_set(h->ticket_key);
	return 0;
}

/* Wait for the start, take the handoff (mapped in *HANDOFF, to be unmapped
 * by the caller) and make the engine's session of it, on LINK and the
 * control connection the start carries. Its own frame, so that the stack
 * it used can be given back (standby_main). */
__attribute__((noinline)) static struct session *receive_start(struct monitor *mon, int link,
							       struct engine_handoff **handoff)
{
	struct engine_handoff *h;
	struct priv_msg m;
	uint32_t size;
	ssize_t n;

	if (priv_recv(link, &m) != 1 || m.type != PRIV_ENGINE_START ||
	    priv_decode_engine_start(&m, &size) < 0 || size != sizeof(*h))
		_exit(1);
	/* Mapped for the moment it is needed: its pages go back after. */
	h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED)
		_exit(1);
	do
		n = recv(link, h, sizeof(*h), MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*h) || take_handoff(mon, h) < 0)
		_exit(1);
	*handoff = h;
	return mon_engine_session(&h->given, &h->login, link, m.fd, h->pending, h->npending);
}

/* The waiting engine's life: the start, the handoff, then the engine. The
 * account is read where it came, never copied into our own pages. */
__attribute__((noreturn)) static void standby_main(struct monitor *mon, int link)
{
	struct engine_handoff *h;
	struct session *s = receive_start(mon, link, &h);

	/* The start's buffers were on the stack below us: not kept. */
	mem_release_unused();
	sandbox_set_name("ftpsd-engine");
	mon_become_user(mon, s, &h->acct);
	OPENSSL_cleanse(h, sizeof(*h));
	munmap(h, sizeof(*h));
	engine_run(s);
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
	/* Mapped, not from the heap: the monitor lives as long as the
	 * session, and these pages go back when it is sent. */
	struct engine_handoff *h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct priv_msg m;
	ssize_t n = -1;

	if (h == MAP_FAILED)
		return -1;
	fill_handoff(mon, h, pending, npending);
	priv_encode_engine_start(&m, sizeof(*h), mon->ctrl_fd);
	if (priv_send(mon->standby_fd, &m) >= 0) {
		do
			n = send(mon->standby_fd, h, sizeof(*h), MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
	}
	OPENSSL_cleanse(h, sizeof(*h));
	munmap(h, sizeof(*h));
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
