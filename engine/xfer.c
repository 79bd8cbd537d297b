/* The transfer loop's shared parts: setting a data connection up for
 * bulk transfer, the control connection during a transfer, moving bytes
 * (engine/xfer_io.h), the replies and the report. The directions are in
 * xfer_send.c and xfer_recv.c. */
#include "engine/xfer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "engine/xfer_io.h"
#include "privsep/proto.h"

static void set_nonblocking(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* Downloads are corked: the kernel sends full segments rather than one
 * per write() when the peer keeps up, fewer packets for both ends. */
static void set_cork(int fd)
{
	int on = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
}

/* One transfer at a time per engine, so its TLS buffers may stay for the
 * whole transfer (the contexts release them when idle, which would
 * otherwise mean a malloc and free per SSL_write). Uploads read ahead: one
 * read() per record instead of a header read and a body read. With
 * OpenSSL's own buffer size: a larger one (SSL_set_default_read_buffer_len)
 * makes OpenSSL move the unread rest of it to the front for every record,
 * which measured slower (bench/README.md).
 *
 * Only the client's close_notify ends an upload: a bare end of file is a
 * cut-off one. Not only a FIN: a reset can read as an end of file too,
 * once a write has taken the socket's error (OpenSSL ignores ECONNRESET
 * when it sends TLS 1.3 NewSessionTickets after the handshake, and the
 * kernel reports a reset once), and the file would be stored cut short. */
static void tls_for_bulk(SSL *ssl, bool upload)
{
	SSL_clear_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
	if (upload) {
		SSL_set_read_ahead(ssl, 1);
		SSL_clear_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	}
}

void xfer_begin(struct xfer *x, struct session *s, struct data_conn *dc, bool upload,
		uint64_t expected)
{
	memset(x, 0, sizeof(*x));
	x->s = s;
	x->dc = dc;
	x->upload = upload;
	x->expected = expected;
	x->watch_ctrl = true;
	/* vsftpd's rule: anonymous sessions anon_max_rate, every other
	 * (local and guest) local_max_rate; user_config_dir files set either. */
	x->rate = s->login.anonymous ? s->given.set->anon_max_rate : s->given.set->local_max_rate;
	x->start_ms = clock_ms();
	set_nonblocking(dc->fd, true);
	if (dc->ssl)
		tls_for_bulk(dc->ssl, upload);
	if (!upload)
		set_cork(dc->fd);
}

void xfer_end(struct xfer *x, enum xfer_status st)
{
	if (x->dc->fd >= 0) {
		if (st == XFER_OK)
			set_nonblocking(x->dc->fd, false); /* SO_SNDTIMEO bounds it */
		else if (x->dc->ssl)
			SSL_set_quiet_shutdown(x->dc->ssl, 1); /* nobody listens */
	}
	/* A corked download's tail, close_notify included, goes out with
	 * the FIN when data_close() closes the socket. */
	data_close(x->dc);
}

/* ---- the control connection during a transfer ---- */

/* Telnet "IAC IP IAC DM" (RFC 959 §4.1.3) may leave stray bytes in front
 * of ABOR when the DM travelled as urgent data. */
static const char *skip_sync_bytes(const char *line)
{
	while (*line && ((unsigned char)*line < 0x20 || (unsigned char)*line >= 0x7f))
		line++;
	return line;
}

/* LINE is VERB in any case, with nothing but spaces after it. */
static bool line_is(const char *line, const char *verb)
{
	size_t n = strlen(verb);

	if (strncasecmp(line, verb, n) != 0)
		return false;
	for (line += n; *line == ' '; line++)
		;
	return *line == '\0';
}

static int reply_status(struct xfer *x)
{
	if (x->expected > 0)
		return ctrl_reply(&x->s->ctrl, 213, "Status: %llu of %llu bytes transferred.",
				  (unsigned long long)x->bytes, (unsigned long long)x->expected);
	return ctrl_reply(&x->s->ctrl, 213, "Status: %llu bytes %s.", (unsigned long long)x->bytes,
			  x->upload ? "received" : "sent");
}

/* The control connection is readable. ABOR ends the transfer, STAT is
 * answered at once; any other command waits in the buffer until the
 * transfer is over (RFC 959: even QUIT), and we stop watching so poll()
 * does not spin on it. */
static enum xfer_status xfer_control(struct xfer *x)
{
	struct ctrl *c = &x->s->ctrl;
	char line[CTRL_BUF];
	int n = ctrl_fill(c);

	if (n == 0 || n == -1)
		return XFER_CTRL_GONE;
	for (;;) {
		int r = ctrl_peek_line(c, line);
		const char *l = skip_sync_bytes(line);

		if (r == 0) {
			if (c->len == sizeof(c->buf))
				x->watch_ctrl = false; /* an over-long line */
			return XFER_OK;
		}
		if (r == CTRL_LINE && line_is(l, "ABOR")) {
			ctrl_drop_line(c);
			if (c->log_protocol)
				log_msg(LOG_LVL_DEBUG, "command: ABOR");
			return XFER_ABORTED;
		}
		if (r == CTRL_LINE && line_is(l, "STAT")) {
			ctrl_drop_line(c);
			if (c->log_protocol)
				log_msg(LOG_LVL_DEBUG, "command: STAT");
			if (reply_status(x) < 0)
				return XFER_CTRL_GONE;
			continue;
		}
		x->watch_ctrl = false;
		return XFER_OK;
	}
}

/* Between chunks: a transfer that never blocks must still see ABOR. */
enum xfer_status xfer_poll_ctrl(struct xfer *x)
{
	struct pollfd p = { .fd = x->s->ctrl.fd, .events = POLLIN };

	xfer_progress(x);
	if (!x->watch_ctrl || poll(&p, 1, 0) <= 0)
		return XFER_OK;
	return xfer_control(x);
}

enum xfer_status xfer_wait(struct xfer *x, short events)
{
	int64_t deadline = clock_ms() + (int64_t)x->s->given.set->data_connection_timeout * 1000;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = x->dc->fd, .events = events },
			{ .fd = x->s->ctrl.fd, .events = POLLIN },
		};
		int64_t left = deadline - clock_ms();
		int r, due;

		xfer_progress(x);
		if (left <= 0)
			return XFER_TIMEOUT;
		/* Bytes moved before this wait reach the monitor on time. */
		due = xfer_progress_due_ms(x);
		if (due >= 0 && due < left)
			left = due + 1;
		r = poll(p, x->watch_ctrl ? 2 : 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return XFER_NET_ERROR;
		}
		if (r == 0)
			continue; /* the deadline, or a report due: the top decides */
		if (x->watch_ctrl && p[1].revents) {
			enum xfer_status st = xfer_control(x);
			if (st != XFER_OK)
				return st;
		}
		if (p[0].revents)
			return XFER_OK; /* ready, or an error the next call reports */
	}
}

/* ---- data connection I/O ---- */

enum xfer_status xfer_file_error(struct xfer *x, int err)
{
	x->err = err;
	return XFER_FILE_ERROR;
}

int64_t xfer_rate_delay_ms(uint64_t bytes, int64_t elapsed_ms, uint64_t rate)
{
	uint64_t due_ms;

	if (rate == 0 || elapsed_ms < 0)
		return 0;
	if (bytes / rate > (uint64_t)INT64_MAX / 1000)
		return INT64_MAX;
	/* bytes * 1000 could overflow: whole seconds, then the rest. */
	due_ms = bytes / rate * 1000 + bytes % rate * 1000 / rate;
	return (int64_t)due_ms > elapsed_ms ? (int64_t)due_ms - elapsed_ms : 0;
}

/* A rate-limited transfer that is ahead of its rate waits here, watching
 * the control connection (ABOR, STAT) and telling the monitor its
 * progress, until it is back on schedule. Pacing after each chunk keeps
 * every prefix of the transfer at or under the rate, so the whole of it
 * takes at least its size over the rate. */
static enum xfer_status xfer_pace(struct xfer *x)
{
	for (;;) {
		struct pollfd p = { .fd = x->s->ctrl.fd, .events = POLLIN };
		int64_t left = xfer_rate_delay_ms(x->bytes, clock_ms() - x->start_ms, x->rate);
		int due = xfer_progress_due_ms(x);
		int r;

		xfer_progress(x);
		if (left <= 0)
			return XFER_OK;
		if (due >= 0 && due < left)
			left = due + 1;
		if (left > 1000)
			left = 1000;
		r = poll(&p, x->watch_ctrl ? 1 : 0, (int)left);
		if (r < 0 && errno != EINTR)
			return XFER_NET_ERROR;
		if (r > 0 && p.revents) {
			enum xfer_status st = xfer_control(x);
			if (st != XFER_OK)
				return st;
		}
	}
}

enum xfer_status xfer_account(struct xfer *x, size_t n)
{
	x->bytes += n;
	xfer_progress(x); /* to the monitor, at most once a second */
	if (x->rate) {
		enum xfer_status st = xfer_pace(x);

		if (st != XFER_OK)
			return st;
	}
	if (x->bytes < x->ctrl_due)
		return XFER_OK;
	x->ctrl_due = x->bytes + XFER_CTRL_EVERY;
	return xfer_poll_ctrl(x);
}

size_t xfer_chunk(const struct xfer *x, size_t want)
{
	/* A tenth of a second's worth: the rate holds in small steps rather
	 * than as a megabyte burst and a long pause. */
	uint64_t step = x->rate / 10;

	if (x->rate == 0 || step >= want)
		return want;
	return step < 4096 ? 4096 : (size_t)step;
}

/* SSL_write_ex with the same buffer and length until it has all of it
 * (OpenSSL requires the same arguments after WANT_*); several records per
 * call when LEN allows. */
static enum xfer_status put_tls(struct xfer *x, const char *buf, size_t len)
{
	SSL *ssl = x->dc->ssl;

	for (;;) {
		size_t done = 0;
		enum xfer_status st;

		ERR_clear_error();
		if (SSL_write_ex(ssl, buf, len, &done) == 1)
			return xfer_account(x, done);
		switch (SSL_get_error(ssl, 0)) {
		case SSL_ERROR_WANT_WRITE: st = xfer_wait(x, POLLOUT); break;
		case SSL_ERROR_WANT_READ: st = xfer_wait(x, POLLIN); break;
		default: return XFER_NET_ERROR;
		}
		if (st != XFER_OK)
			return st;
	}
}

/* Send all LEN bytes as they are; ACCOUNT counts them as transfer bytes
 * as they go. */
static enum xfer_status send_bytes(struct xfer *x, const char *buf, size_t len, bool account)
{
	while (len > 0) {
		ssize_t n = send(x->dc->fd, buf, len, MSG_NOSIGNAL);
		enum xfer_status st = XFER_OK;

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			if (account)
				st = xfer_account(x, (size_t)n);
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			st = xfer_wait(x, POLLOUT);
		} else {
			return XFER_NET_ERROR;
		}
		if (st != XFER_OK)
			return st;
	}
	return XFER_OK;
}

enum xfer_status xfer_put_records(struct xfer *x, const void *buf, size_t len)
{
	return send_bytes(x, buf, len, false);
}

enum xfer_status xfer_put(struct xfer *x, const char *buf, size_t len)
{
	if (len == 0)
		return XFER_OK;
	return x->dc->ssl ? put_tls(x, buf, len) : send_bytes(x, buf, len, true);
}

enum xfer_status xfer_truncated(struct xfer *x)
{
	log_msg(LOG_LVL_WARN,
		"upload from client %s ended without TLS close_notify after %llu "
		"bytes: cut off",
		x->s->given.peer_ip, (unsigned long long)x->bytes);
	return XFER_TRUNCATED;
}

/* Why SSL_read failed: an end of file without close_notify (see
 * tls_for_bulk), or anything else. */
static enum xfer_status tls_read_failure(struct xfer *x)
{
	unsigned long e = ERR_peek_error();

	if (ERR_GET_LIB(e) != ERR_LIB_SSL ||
	    ERR_GET_REASON(e) != SSL_R_UNEXPECTED_EOF_WHILE_READING)
		return XFER_NET_ERROR;
	return xfer_truncated(x);
}

/* One read attempt: bytes, 0 at the end of data, -1 with *ST set, or -2
 * when it would block, with *EVENTS what to wait for. */
static ssize_t get_once(struct xfer *x, char *buf, size_t len, enum xfer_status *st, short *events)
{
	struct data_conn *dc = x->dc;
	ssize_t n;

	*events = POLLIN;
	if (dc->ssl) {
		size_t got = 0;

		ERR_clear_error();
		if (SSL_read_ex(dc->ssl, buf, len, &got) == 1)
			return (ssize_t)got;
		switch (SSL_get_error(dc->ssl, 0)) {
		case SSL_ERROR_ZERO_RETURN: return 0; /* close_notify */
		case SSL_ERROR_WANT_WRITE:
			*events = POLLOUT;
			/* fall through */
		case SSL_ERROR_WANT_READ: return -2;
		default: *st = tls_read_failure(x); return -1;
		}
	}
	do
		n = recv(dc->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return -2;
	*st = XFER_NET_ERROR;
	return -1;
}

ssize_t xfer_get(struct xfer *x, char *buf, size_t len, bool wait, enum xfer_status *st)
{
	for (;;) {
		short events;
		ssize_t n = get_once(x, buf, len, st, &events);

		if (n != -2)
			return n;
		*st = wait ? xfer_wait(x, events) : XFER_OK;
		if (!wait || *st != XFER_OK)
			return -1;
	}
}

int xfer_reply_failure(struct session *s, const struct xfer *x, enum xfer_status st)
{
	switch (st) {
	case XFER_OK: return ctrl_reply(&s->ctrl, 226, "Transfer complete.");
	case XFER_ABORTED:
		if (ctrl_reply(&s->ctrl, 426, "Connection closed; transfer aborted.") < 0)
			return -1;
		return ctrl_reply(&s->ctrl, 226, "Abort successful.");
	case XFER_CTRL_GONE: return -1;
	case XFER_TIMEOUT:
		return ctrl_reply(&s->ctrl, 426, "Data connection timed out; transfer aborted.");
	case XFER_NET_ERROR:
		return ctrl_reply(&s->ctrl, 426, "Data connection failed; transfer aborted.");
	case XFER_TRUNCATED:
		return ctrl_reply(&s->ctrl, 426,
				  "Data connection closed without TLS close_notify; "
				  "upload incomplete.");
	case XFER_FILE_ERROR:
	default:
		if (x->err == ENOSPC || x->err == EDQUOT)
			return ctrl_reply(&s->ctrl, 452, "Insufficient storage space.");
		if (x->err == EFBIG)
			return ctrl_reply(&s->ctrl, 552, "File too large.");
		return ctrl_reply(&s->ctrl, 451, "Local error: %s.", strerror(x->err));
	}
}

void xfer_report(struct session *s, uint32_t direction, const char *path, const struct xfer *x,
		 const struct timespec *start, bool complete)
{
	struct priv_xfer r;
	struct priv_msg m;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	memset(&r, 0, sizeof(r));
	r.direction = direction;
	r.ascii = s->eng.ascii;
	r.complete = complete;
	r.bytes = x->bytes;
	r.msecs = (uint64_t)(now.tv_sec - start->tv_sec) * 1000 +
		  (uint64_t)((now.tv_nsec - start->tv_nsec) / 1000000);
	snprintf(r.path, sizeof(r.path), "%s", path); /* a path fits: 4096 */
	priv_encode_xfer(&m, &r);
	(void)priv_send(s->priv_fd, &m);
}

int xfer_parse_offset(const char *arg, uint64_t *out)
{
	uint64_t v = 0;

	if (*arg == '\0')
		return -1;
	for (; *arg; arg++) {
		unsigned d = (unsigned)(*arg - '0');

		if (*arg < '0' || *arg > '9' || v > ((uint64_t)INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

bool xfer_offset_valid(uint64_t offset, uint64_t size, uint64_t *remaining)
{
	if (offset > size)
		return false;
	*remaining = size - offset;
	return true;
}
