#include "master/who_client.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "privsep/proto.h"

/* The master waits WHO_ANSWER_MS for its monitors; this is plenty more. */
#define WHO_CLIENT_TIMEOUT_MS 5000

static const char *state_name(uint32_t state)
{
	switch (state) {
	case WHO_LOGIN: return "login";
	case WHO_IDLE: return "idle";
	case WHO_DOWNLOAD: return "download";
	case WHO_UPLOAD: return "upload";
	default: return "busy"; /* its monitor did not answer in time */
	}
}

static const char *kind_name(uint32_t kind)
{
	switch (kind) {
	case WHO_KIND_LOCAL: return "local";
	case WHO_KIND_GUEST: return "guest";
	case WHO_KIND_ANON: return "anonymous";
	default: return NULL;
	}
}

/* Bytes per second, averaged over the transfer so far. */
static unsigned long long rate_of(const struct priv_who_state *s)
{
	if (s->xfer_ms == 0)
		return 0;
	return (unsigned long long)((double)s->xfer_bytes * 1000.0 / (double)s->xfer_ms);
}

static void human_bytes(unsigned long long v, char *out, size_t size)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	int u = 0;

	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, size, "%llu B", v);
	else
		snprintf(out, size, "%.1f %s", d, unit[u]);
}

static void duration(unsigned long long ms, char *out, size_t size)
{
	unsigned long long s = ms / 1000;

	if (s >= 3600)
		snprintf(out, size, "%lluh%02llum", s / 3600, s / 60 % 60);
	else
		snprintf(out, size, "%llum%02llus", s / 60, s % 60);
}

const char *who_format_header(void)
{
	return "PID      VHOST            CLIENT                                   USER             "
	       "STATE     IDLE    TIME    TRANSFER";
}

bool who_format_row(const struct priv_who_state *s, char *buf, size_t size)
{
	char vhost[4 * PRIV_WHO_NAME_MAX], user[4 * PRIV_USER_MAX];
	char path[4 * PRIV_WHO_PATH_MAX], idle[32], age[32], bytes[32], rate[32];
	char xfer[sizeof(path) + 96] = "-";
	int n;

	/* Names are printable already; escaped again for the terminal. */
	log_escape(s->vhost[0] ? s->vhost : "-", vhost, sizeof(vhost));
	log_escape(s->user[0] ? s->user : "-", user, sizeof(user));
	log_escape(s->path, path, sizeof(path));
	duration(s->idle_ms, idle, sizeof(idle));
	duration(s->connected_ms, age, sizeof(age));
	if (s->state == WHO_DOWNLOAD || s->state == WHO_UPLOAD) {
		human_bytes(s->xfer_bytes, bytes, sizeof(bytes));
		human_bytes(rate_of(s), rate, sizeof(rate));
		snprintf(xfer, sizeof(xfer), "%s %s %s %s/s",
			 s->state == WHO_DOWNLOAD ? "RETR" : "STOR", path, bytes, rate);
	}
	n = snprintf(buf, size, "%-8d %-16s %-40s %-16s %-9s %-7s %-7s %s", (int)s->pid, vhost,
		     s->client[0] ? s->client : "-", user, state_name(s->state),
		     s->state == WHO_NO_ANSWER ? "-" : idle, s->state == WHO_NO_ANSWER ? "-" : age,
		     xfer);
	return n >= 0 && (size_t)n < size;
}

static bool put_raw(char *buf, size_t size, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + n + 1 > size)
		return false;
	memcpy(buf + *pos, s, n + 1);
	*pos += n;
	return true;
}

static bool put_num(char *buf, size_t size, size_t *pos, const char *key, unsigned long long v)
{
	int n = snprintf(buf + *pos, size - *pos, ",\"%s\":%llu", key, v);

	if (n < 0 || (size_t)n >= size - *pos)
		return false;
	*pos += (size_t)n;
	return true;
}

/* ,"KEY":"V" (or null); the first key of an object has no comma. */
static bool put_str(char *buf, size_t size, size_t *pos, const char *key, const char *v)
{
	int n = snprintf(buf + *pos, size - *pos, "%s\"%s\":", buf[*pos - 1] == '{' ? "" : ",",
			 key);

	if (n < 0 || (size_t)n >= size - *pos)
		return false;
	*pos += (size_t)n;
	return v ? log_json_str(buf, size, pos, v) : put_raw(buf, size, pos, "null");
}

bool who_format_json(const struct priv_who_state *s, char *buf, size_t size)
{
	bool answered = s->state != WHO_NO_ANSWER;
	bool moving = s->state == WHO_DOWNLOAD || s->state == WHO_UPLOAD;
	size_t pos = 0;

	if (!put_raw(buf, size, &pos, "{") ||
	    !put_str(buf, size, &pos, "state", state_name(s->state)) ||
	    !put_num(buf, size, &pos, "pid", (unsigned long long)s->pid) ||
	    !put_str(buf, size, &pos, "vhost", s->vhost[0] ? s->vhost : NULL) ||
	    !put_str(buf, size, &pos, "client", s->client) ||
	    !put_str(buf, size, &pos, "user", s->user[0] ? s->user : NULL) ||
	    !put_str(buf, size, &pos, "login", kind_name(s->kind)))
		return false;
	if (answered && (!put_num(buf, size, &pos, "connected_ms", s->connected_ms) ||
			 !put_num(buf, size, &pos, "idle_ms", s->idle_ms)))
		return false;
	if (!moving)
		return put_raw(buf, size, &pos, ",\"transfer\":null}");
	return put_raw(buf, size, &pos, ",\"transfer\":{") &&
	       put_str(buf, size, &pos, "direction",
		       s->state == WHO_DOWNLOAD ? "download" : "upload") &&
	       put_str(buf, size, &pos, "path", s->path) &&
	       put_num(buf, size, &pos, "bytes", s->xfer_bytes) &&
	       put_num(buf, size, &pos, "elapsed_ms", s->xfer_ms) &&
	       put_num(buf, size, &pos, "rate_bps", rate_of(s)) && put_raw(buf, size, &pos, "}}");
}

static int who_connect(const char *path, FILE *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (!path[0]) {
		fprintf(err, "ftpsd: who_socket is empty in the configuration: -w is off\n");
		return -1;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(err, "ftpsd: who_socket %s: path too long\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(err, "ftpsd: who_socket %s: %s%s\n", path, strerror(errno),
			errno == EACCES                            ? " (root only)"
			: errno == ENOENT || errno == ECONNREFUSED ? " (is ftpsd running?)"
								   : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void print_one(const struct priv_who_state *s, bool json, bool first, FILE *out)
{
	char line[8192];

	if (json) {
		if (who_format_json(s, line, sizeof(line)))
			fprintf(out, "%s\n  %s", first ? "" : ",", line);
	} else if (who_format_row(s, line, sizeof(line))) {
		fprintf(out, "%s\n", line);
	}
}

/* Connect to PATH and ask REQUEST (PRIV_WHO, PRIV_NAT_SHOW): the
 * connection, or -1 with the reason on ERR. */
static int who_ask(const char *path, uint16_t request, struct priv_msg *m, FILE *err)
{
	int fd = who_connect(path, err);

	if (fd < 0)
		return -1;
	priv_msg_init(m, request);
	if (priv_send(fd, m) < 0) {
		fprintf(err, "ftpsd: who_socket %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The next message of the answer on FD: 1 with M, 0 at its end, -1 (said
 * on ERR) when it stops short. */
static int who_next(int fd, const char *path, struct priv_msg *m, FILE *err)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, WHO_CLIENT_TIMEOUT_MS) != 1 || priv_recv(fd, m) != 1) {
		fprintf(err, "ftpsd: who_socket %s: no complete answer\n", path);
		return -1;
	}
	if (m->fd >= 0)
		close(m->fd);
	return m->type == PRIV_WHO && priv_msg_check(m) == 0 ? 0 : 1;
}

int who_client_run(const char *path, bool json, FILE *out, FILE *err)
{
	struct priv_msg *m = malloc(sizeof(*m));
	struct priv_who_state st;
	size_t count = 0;
	int fd, rc, status = 1;

	if (!m)
		return 1;
	fd = who_ask(path, PRIV_WHO, m, err);
	if (fd < 0) {
		free(m);
		return 1;
	}
	fputs(json ? "[" : "", out);
	if (!json)
		fprintf(out, "%s\n", who_format_header());
	while ((rc = who_next(fd, path, m, err)) == 1) {
		if (m->type != PRIV_WHO_STATE || priv_decode_who_state(m, &st) < 0) {
			fprintf(err, "ftpsd: who_socket %s: malformed answer\n", path);
			break;
		}
		print_one(&st, json, count == 0, out);
		count++;
	}
	status = rc == 0 ? 0 : 1;
	if (json)
		fputs(count ? "\n]\n" : "]\n", out);
	close(fd);
	free(m);
	return status;
}

int who_client_nat(const char *path, const char *prefix, FILE *out, FILE *err)
{
	struct priv_msg *m = malloc(sizeof(*m));
	struct priv_log v;
	char safe[4 * PRIV_LINE_MAX];
	int fd, rc = -1;

	if (!m)
		return 1;
	fd = who_ask(path, PRIV_NAT_SHOW, m, err);
	while (fd >= 0 && (rc = who_next(fd, path, m, err)) == 1) {
		if (m->type != PRIV_LOG || priv_decode_log(m, &v) < 0) {
			fprintf(err, "ftpsd: who_socket %s: malformed answer\n", path);
			rc = -1;
			break;
		}
		/* The master's words; escaped again for the terminal. */
		log_escape(v.line, safe, sizeof(safe));
		fprintf(out, "%s%s\n", prefix, safe);
	}
	if (fd >= 0)
		close(fd);
	free(m);
	return rc == 0 ? 0 : 1;
}
