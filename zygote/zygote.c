#include "zygote/zygote.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "config/resolver.h"
#include "monitor/monitor.h"
#include "privsep/proto.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp.h"
#include "zygote/prewarm.h"
#include "zygote/spawner.h"

static void free_certs(struct tls_certs *certs, size_t n)
{
	for (size_t v = 0; v < n; v++)
		for (int t = 0; t < KEY_TYPES; t++)
			for (size_t i = 0; i < certs[v].chain[t].n; i++)
				X509_free(certs[v].chain[t].cert[i]);
	free(certs);
}

/* One PRIV_KEYS_CERT into CERTS; they arrive in chain order. 0 or -1. */
static int add_cert(struct tls_certs *certs, const struct ftpsd_config *cfg, struct priv_msg *m)
{
	static struct priv_keys_cert c;
	const unsigned char *p = c.der;
	struct tls_chain *ch;
	X509 *x;

	if (priv_decode_keys_cert(m, &c) < 0 || c.vhost >= cfg->nvhosts)
		return -1;
	ch = &certs[c.vhost].chain[c.key_type];
	if (c.index != ch->n || !(x = d2i_X509(NULL, &p, (long)c.len)))
		return -1;
	ch->cert[ch->n++] = x;
	return 0;
}

struct tls_vhost *zygote_receive_certs(int keys_fd, const struct ftpsd_config *cfg, char *err,
				       size_t errsize)
{
	struct tls_certs *certs = calloc(cfg->nvhosts, sizeof(*certs));
	struct priv_msg *m = malloc(sizeof(*m));
	struct tls_vhost *tls = NULL;
	uint32_t status = 1;

	snprintf(err, errsize, "the key holder ended without an answer");
	while (certs && m && priv_recv(keys_fd, m) == 1) {
		if (m->type == PRIV_KEYS_CERT && add_cert(certs, cfg, m) == 0)
			continue;
		if (m->type != PRIV_KEYS_STATUS ||
		    priv_decode_keys_status(m, &status, err, errsize) < 0)
			snprintf(err, errsize, "malformed message from the key holder");
		break;
	}
	if (certs && status == 0)
		tls = tls_build_all(cfg, certs, err, errsize);
	if (certs)
		free_certs(certs, cfg->nvhosts);
	free(m);
	return tls;
}

int zygote_key_link(int keys_fd)
{
	struct priv_msg m;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	priv_encode_keys_link(&m, sv[1]);
	if (priv_send(keys_fd, &m) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[1]);
	return sv[0];
}

struct zygote {
	struct spawner_env e; /* what every spawner starts with */
	pid_t spawner;        /* the current one, 0: none */
	int spawner_fd;
	unsigned spawned; /* spares forwarded to the current spawner */
	bool retired;
};

static void report_spawn_failed(struct zygote *z, uint32_t ticket)
{
	struct priv_msg m;

	priv_encode_zyg_spawned(&m, 0, ticket);
	if (priv_send(z->e.master_fd, &m) < 0)
		z->retired = true; /* the master is gone */
}

/* The current spawner forks no more; it ends after its last child. */
static void retire_spawner(struct zygote *z)
{
	struct priv_msg m;

	if (z->spawner_fd < 0)
		return;
	priv_encode_zyg_retire(&m);
	(void)priv_send(z->spawner_fd, &m); /* a dead one ends anyway */
	close(z->spawner_fd);
	z->spawner_fd = -1;
	z->spawner = 0;
}

/* The spawner for the next spare: a new one every SPAWNER_FANOUT. */
static int current_spawner(struct zygote *z)
{
	if (z->spawner_fd >= 0 && z->spawned < SPAWNER_FANOUT)
		return z->spawner_fd;
	retire_spawner(z);
	z->spawner = spawner_start(&z->e, &z->spawner_fd);
	z->spawned = 0;
	if (z->spawner < 0)
		z->spawner = 0;
	return z->spawner_fd;
}

/* PRIV_ZYG_SPAWN and PRIV_ZYG_MASQ go on to the current spawner as
 * they came; it answers the master itself. */
static void forward(struct zygote *z, struct priv_msg *m, uint32_t ticket)
{
	int fd = current_spawner(z);

	if (fd >= 0 && priv_send(fd, m) == 0)
		z->spawned++;
	else {
		retire_spawner(z);
		report_spawn_failed(z, ticket);
	}
}

int zygote_apply_masq(struct pasv_masq *masq, size_t nvhosts, struct priv_msg *m)
{
	struct net_addr addr;
	uint32_t v;
	bool ok;

	if (priv_decode_zyg_masq(m, &v, &ok, &addr) < 0 || v >= nvhosts)
		return -1;
	masq[v].ok = ok;
	if (ok)
		masq[v].addr = addr;
	return 0;
}

/* Spawners forked from now on copy ours; the current one is told. */
static void set_masq(struct zygote *z, struct priv_msg *m)
{
	if (zygote_apply_masq(z->e.masq, z->e.cfg->nvhosts, m) == 0 && z->spawner_fd >= 0)
		(void)priv_send(z->spawner_fd, m);
}

static void from_master(struct zygote *z, struct priv_msg *m)
{
	int r = priv_recv(z->e.master_fd, m);
	uint32_t ticket;

	if (r != 1) {
		z->retired = true;
		return;
	}
	if (m->type == PRIV_ZYG_SPAWN && priv_decode_zyg_spawn(m, &ticket) == 0)
		forward(z, m, ticket);
	else if (m->type == PRIV_ZYG_MASQ)
		set_masq(z, m);
	else if (m->type == PRIV_ZYG_RETIRE)
		z->retired = true;
	if (m->fd >= 0)
		close(m->fd);
}

/* Our children are spawners only; their sessions are theirs to report. */
static void reap(struct zygote *z)
{
	struct signalfd_siginfo si;
	pid_t pid;

	while (read(z->e.sigfd, &si, sizeof(si)) == sizeof(si))
		;
	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		if (pid == z->spawner) {
			log_msg(LOG_LVL_WARN, "zygote: spawner %d ended", (int)pid);
			close(z->spawner_fd);
			z->spawner_fd = -1;
			z->spawner = 0;
		}
}

/* Retired, we just go: each spawner sees its link close and goes too,
 * and the master inherits the sessions. */
__attribute__((noreturn)) static void serve(struct zygote *z)
{
	struct priv_msg *m = malloc(sizeof(*m));

	if (!m)
		_exit(1);
	while (!z->retired) {
		struct pollfd p[2] = {
			{ .fd = z->e.master_fd, .events = POLLIN },
			{ .fd = z->e.sigfd, .events = POLLIN },
		};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(1);
		if (p[1].revents)
			reap(z);
		if (p[0].revents)
			from_master(z, m);
	}
	_exit(0);
}

static int block_sigchld(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

void zygote_run(const struct ftpsd_config *cfg, const struct role_env *env, int master_fd,
		int keys_fd)
{
	struct zygote z = {
		.e = { .cfg = cfg,
		       .master_fd = master_fd,
		       .keys_fd = keys_fd,
		       .env = { .xferlog_fd = env->xferlog_fd,
				.vsftpd_log_fd = env->vsftpd_log_fd,
				.report_fd = env->report_fd,
				.keep_stderr = env->foreground,
				.key_fd = -1 } },
		.spawner_fd = -1,
	};
	char err[512] = "";
	struct priv_msg m;

	sandbox_set_name("ftpsd-zygote");
	z.e.masq = calloc(cfg->nvhosts, sizeof(*z.e.masq));
	z.e.env.masq = z.e.masq;
	z.e.env.tls = zygote_receive_certs(keys_fd, cfg, err, sizeof(err));
	if (z.e.env.tls && cfg->global.seccomp_sandbox && sandbox_seccomp_prepare() < 0)
		snprintf(err, sizeof(err), "cannot compile the seccomp filters");
	else if (z.e.env.tls)
		err[0] = '\0';
	z.e.sigfd = block_sigchld();
	if (!z.e.masq || z.e.sigfd < 0)
		snprintf(err, sizeof(err), "out of resources");
	priv_encode_keys_status(&m, err[0] ? 1 : 0, err);
	if (priv_send(master_fd, &m) < 0 || err[0])
		_exit(1);
	zygote_prewarm(cfg, z.e.env.tls, keys_fd);
	serve(&z);
}
