#include "zygote/spawner.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privsep/proto.h"
#include "sandbox/sandbox.h"
#include "zygote/zygote.h"

struct spawner {
	struct spawner_env e;
	int zygote_fd;
	unsigned live; /* children not yet reaped */
	bool draining; /* told to fork no more: end with the last child */
	bool done;
};

static void report(struct spawner *s, struct priv_msg *m)
{
	if (priv_send(s->e.master_fd, m) < 0)
		s->done = true; /* the master is gone */
}

static void spawn(struct spawner *s, int link, uint32_t ticket)
{
	struct priv_msg m;
	int key = zygote_key_link(s->e.keys_fd);
	pid_t pid = key < 0 ? -1 : fork();

	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(s->e.master_fd);
		close(s->e.keys_fd);
		close(s->e.sigfd);
		close(s->zygote_fd);
		s->e.env.key_fd = key;
		monitor_spare_run(s->e.cfg, &s->e.env, link);
	}
	if (key >= 0)
		close(key);
	close(link);
	if (pid > 0)
		s->live++;
	priv_encode_zyg_spawned(&m, pid > 0 ? pid : 0, ticket);
	report(s, &m);
}

/* The zygote is trusted (root, same image), but checked all the same. */
static void from_zygote(struct spawner *s, struct priv_msg *m)
{
	uint32_t ticket;

	if (priv_recv(s->zygote_fd, m) != 1) {
		s->done = true; /* the zygote is gone: so are we */
		return;
	}
	if (m->type == PRIV_ZYG_SPAWN && !s->draining && priv_decode_zyg_spawn(m, &ticket) == 0)
		return spawn(s, m->fd, ticket);
	if (m->fd >= 0)
		close(m->fd);
	if (m->type == PRIV_ZYG_MASQ)
		(void)zygote_apply_masq(s->e.masq, s->e.cfg->nvhosts, m);
	else if (m->type == PRIV_ZYG_RETIRE)
		s->draining = true;
}

static void reap(struct spawner *s)
{
	struct signalfd_siginfo si;
	struct priv_msg m;
	pid_t pid;
	int status;

	while (read(s->e.sigfd, &si, sizeof(si)) == sizeof(si))
		;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		s->live--;
		priv_encode_zyg_pid(&m, PRIV_ZYG_EXITED, pid);
		report(s, &m);
	}
}

__attribute__((noreturn)) static void serve(struct spawner *s)
{
	struct priv_msg *m = malloc(sizeof(*m));

	if (!m)
		_exit(1);
	while (!s->done && !(s->draining && s->live == 0)) {
		/* Draining, the link is closed: its end says nothing. */
		struct pollfd p[2] = {
			{ .fd = s->draining ? -1 : s->zygote_fd, .events = POLLIN },
			{ .fd = s->e.sigfd, .events = POLLIN },
		};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(1);
		if (p[1].revents)
			reap(s);
		if (p[0].revents)
			from_zygote(s, m);
	}
	/* The last reports: who ended before we go. */
	s->done = false;
	reap(s);
	_exit(0);
}

pid_t spawner_start(const struct spawner_env *e, int *link)
{
	int sv[2];
	pid_t pid;

	*link = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct spawner s = { .e = *e, .zygote_fd = sv[1] };
		close(sv[0]);
		sandbox_set_name("ftpsd-spawner");
		serve(&s);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return -1;
	}
	*link = sv[0];
	return pid;
}
