#include "master/who.h"

#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "privsep/proto.h"

static int who_fail(char *err, size_t errsize, const char *what, const char *path)
{
	snprintf(err, errsize, "who_socket %s: %s: %s", path, what, strerror(errno));
	return -1;
}

/* Its directory, one level, as /run/ftpsd usually is already. */
static int make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int who_listen(const char *path, char *err, size_t errsize)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errsize, "who_socket %s: path too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (make_parent(path) < 0)
		return who_fail(err, errsize, "cannot create its directory", path);
	/* A socket left by an earlier run goes; anything else is not ours. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return who_fail(err, errsize, "not a socket", path);
		}
		if (unlink(path) < 0)
			return who_fail(err, errsize, "cannot remove the old socket", path);
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return who_fail(err, errsize, "socket", path);
	/* 0600 from the start: no moment when another user could connect. */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || chmod(path, 0600) < 0 || listen(fd, 8) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return who_fail(err, errsize, "cannot listen", path);
	}
	return fd;
}

int who_reserve_fds(unsigned max_clients)
{
	/* Listeners, spares, generations, logs: well under this. */
	const rlim_t other = 1024;
	struct rlimit rl;
	rlim_t want;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	/* Unlimited clients: enough for a busy server, not the kernel's
	 * million that every child would inherit. */
	want = (rlim_t)(max_clients ? max_clients : 65536) + other;
	if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
		want = rl.rlim_max;
	if (want > rl.rlim_cur) {
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -1;
	}
	return max_clients && rl.rlim_cur < (rlim_t)max_clients + other ? -1 : 0;
}

void who_close(int lfd, const char *path)
{
	if (lfd < 0)
		return;
	close(lfd);
	(void)unlink(path);
}

/* What the master alone knows of a session whose monitor did not answer. */
static void who_fallback(struct priv_who_state *st, const struct master_session *s)
{
	memset(st, 0, sizeof(*st));
	st->state = WHO_NO_ANSWER;
	net_addr_ip_string(&s->peer, st->client, sizeof(st->client));
}

/* Answers left over from a query that timed out are stale: drop them. */
static void drain(int link, struct priv_msg *m)
{
	for (int i = 0; i < 16 && priv_recv(link, m) == 1; i++)
		if (m->fd >= 0)
			close(m->fd);
}

/* Ask every monitor, then gather what arrives within WHO_ANSWER_MS. */
static void who_collect(const struct master_session *s, size_t n, struct priv_who_state *st,
			struct priv_msg *m)
{
	struct pollfd *p = calloc(n ? n : 1, sizeof(*p));
	long long deadline = clock_ms() + WHO_ANSWER_MS;
	size_t waiting = 0;

	for (size_t i = 0; i < n; i++) {
		who_fallback(&st[i], &s[i]);
		if (!p)
			continue;
		p[i] = (struct pollfd){ .fd = -1, .events = POLLIN };
		if (s[i].link < 0)
			continue;
		drain(s[i].link, m);
		priv_msg_init(m, PRIV_WHO);
		if (priv_send(s[i].link, m) == 0) {
			p[i].fd = s[i].link;
			waiting++;
		}
	}
	while (p && waiting > 0) {
		long long left = deadline - clock_ms();
		if (left <= 0 || poll(p, n, (int)left) <= 0)
			break;
		for (size_t i = 0; i < n; i++) {
			struct priv_who_state got;
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			/* Root's process, ours; still decoded with bounds. */
			if (priv_recv(p[i].fd, m) == 1 && m->type == PRIV_WHO_STATE && m->fd < 0 &&
			    priv_decode_who_state(m, &got) == 0 && got.state != WHO_NO_ANSWER)
				st[i] = got;
			p[i].fd = -1;
			waiting--;
		}
	}
	for (size_t i = 0; i < n; i++)
		st[i].pid = (int32_t)s[i].pid; /* ours, not the monitor's word */
	free(p);
}

static bool peer_is_root(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.uid == 0;
}

int who_accept(int lfd, uint16_t *request)
{
	struct timeval tv = { .tv_sec = 2 };
	struct pollfd p;
	struct priv_msg *m;
	bool got;
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (c < 0)
		return -1;
	/* The socket is 0600 already; this holds if its mode is changed. */
	if (!peer_is_root(c)) {
		log_msg(LOG_LVL_WARN, "who_socket: refused a client that is not root");
		close(c);
		return -1;
	}
	(void)setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* Root's own client sends its question at once. */
	p = (struct pollfd){ .fd = c, .events = POLLIN };
	m = malloc(sizeof(*m));
	/* M->fd is set only by a message received whole. */
	got = m && poll(&p, 1, WHO_REQUEST_MS) == 1 && priv_recv(c, m) == 1;
	if (got && m->fd >= 0)
		close(m->fd);
	if (!got || (m->type != PRIV_WHO && m->type != PRIV_NAT_SHOW) || priv_msg_check(m) < 0) {
		free(m);
		close(c);
		return -1;
	}
	*request = m->type;
	free(m);
	return c;
}

void who_send_sessions(int c, const struct master_session *s, size_t n)
{
	struct priv_who_state *st = calloc(n ? n : 1, sizeof(*st));
	struct priv_msg *m = malloc(sizeof(*m));

	if (st && m) {
		who_collect(s, n, st, m);
		for (size_t i = 0; i < n; i++) {
			priv_encode_who_state(m, &st[i]);
			if (priv_send(c, m) < 0)
				break;
		}
	}
	free(st);
	free(m);
}

void who_send_line(const char *line, void *ctx)
{
	struct priv_log v = { .level = LOG_LVL_INFO };
	struct priv_msg m;

	snprintf(v.line, sizeof(v.line), "%s", line);
	priv_encode_log(&m, &v);
	(void)priv_send(*(const int *)ctx, &m);
}

void who_send_end(int c)
{
	struct priv_msg m;

	priv_msg_init(&m, PRIV_WHO);
	(void)priv_send(c, &m);
}
