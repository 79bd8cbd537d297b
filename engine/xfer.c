#include "engine/xfer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/ascii.h"
#include "common/fdio.h"
#include "common/log.h"
#include "privsep/proto.h"

#define XFER_CHUNK (128 * 1024)
#define SENDFILE_CHUNK (1 << 20)

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void set_nonblocking(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

void xfer_begin(struct xfer *x, struct session *s, struct data_conn *dc,
		bool upload, uint64_t expected)
{
	memset(x, 0, sizeof(*x));
	x->s = s;
	x->dc = dc;
	x->upload = upload;
	x->expected = expected;
	x->watch_ctrl = true;
	set_nonblocking(dc->fd, true);
}

void xfer_end(struct xfer *x, enum xfer_status st)
{
	if (x->dc->fd >= 0) {
		if (st == XFER_OK)
			set_nonblocking(x->dc->fd, false); /* SO_SNDTIMEO bounds it */
		else if (x->dc->ssl)
			SSL_set_quiet_shutdown(x->dc->ssl, 1); /* nobody listens */
	}
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
		return ctrl_reply(&x->s->ctrl, 213,
				  "Status: %llu of %llu bytes transferred.",
				  (unsigned long long)x->bytes,
				  (unsigned long long)x->expected);
	return ctrl_reply(&x->s->ctrl, 213, "Status: %llu bytes %s.",
			  (unsigned long long)x->bytes,
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
static enum xfer_status xfer_poll_ctrl(struct xfer *x)
{
	struct pollfd p = { .fd = x->s->ctrl.fd, .events = POLLIN };

	xfer_progress(x);
	if (!x->watch_ctrl || poll(&p, 1, 0) <= 0)
		return XFER_OK;
	return xfer_control(x);
}

/* Wait until the data connection has EVENTS, watching the control
 * connection meanwhile; data_connection_timeout without progress ends it. */
static enum xfer_status xfer_wait(struct xfer *x, short events)
{
	int64_t deadline = now_ms() + (int64_t)x->s->set->data_connection_timeout * 1000;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = x->dc->fd, .events = events },
			{ .fd = x->s->ctrl.fd, .events = POLLIN },
		};
		int64_t left = deadline - now_ms();
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

static enum xfer_status put(struct xfer *x, const char *buf, size_t len)
{
	struct data_conn *dc = x->dc;

	while (len > 0) {
		enum xfer_status st;

		if (dc->ssl) {
			size_t done = 0;

			ERR_clear_error();
			if (SSL_write_ex(dc->ssl, buf, len, &done) == 1) {
				buf += done;
				len -= done;
				x->bytes += done;
				continue;
			}
			/* Retried with the same buffer and length, as
			 * OpenSSL requires after WANT_*. */
			switch (SSL_get_error(dc->ssl, 0)) {
			case SSL_ERROR_WANT_WRITE:
				st = xfer_wait(x, POLLOUT);
				break;
			case SSL_ERROR_WANT_READ:
				st = xfer_wait(x, POLLIN);
				break;
			default:
				return XFER_NET_ERROR;
			}
		} else {
			ssize_t n = send(dc->fd, buf, len, MSG_NOSIGNAL);

			if (n > 0) {
				buf += n;
				len -= (size_t)n;
				x->bytes += (uint64_t)n;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				st = xfer_wait(x, POLLOUT);
			else
				return XFER_NET_ERROR;
		}
		if (st != XFER_OK)
			return st;
	}
	return XFER_OK;
}

/* Returns bytes read, 0 at the client's end of data, -1 with *ST set. */
static ssize_t get(struct xfer *x, char *buf, size_t len, enum xfer_status *st)
{
	struct data_conn *dc = x->dc;

	for (;;) {
		if (dc->ssl) {
			size_t got = 0;

			ERR_clear_error();
			if (SSL_read_ex(dc->ssl, buf, len, &got) == 1)
				return (ssize_t)got;
			switch (SSL_get_error(dc->ssl, 0)) {
			case SSL_ERROR_ZERO_RETURN:
				/* close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF)
				 * a plain TCP close */
				return 0;
			case SSL_ERROR_WANT_READ:
				*st = xfer_wait(x, POLLIN);
				break;
			case SSL_ERROR_WANT_WRITE:
				*st = xfer_wait(x, POLLOUT);
				break;
			default:
				*st = XFER_NET_ERROR;
				return -1;
			}
		} else {
			ssize_t n = recv(dc->fd, buf, len, 0);

			if (n >= 0)
				return n;
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				*st = XFER_NET_ERROR;
				return -1;
			}
			*st = xfer_wait(x, POLLIN);
		}
		if (*st != XFER_OK)
			return -1;
	}
}

/* Plaintext binary downloads go file -> socket inside the kernel. */
static enum xfer_status send_sendfile(struct xfer *x, int file)
{
	for (;;) {
		enum xfer_status st = xfer_poll_ctrl(x);
		ssize_t n;

		if (st != XFER_OK)
			return st;
		n = sendfile(x->dc->fd, file, NULL, SENDFILE_CHUNK);
		if (n > 0) {
			x->bytes += (uint64_t)n;
			continue;
		}
		if (n == 0)
			return XFER_OK;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			st = xfer_wait(x, POLLOUT);
			if (st != XFER_OK)
				return st;
			continue;
		}
		if (errno == EIO || errno == EOVERFLOW) {
			x->err = errno;
			return XFER_FILE_ERROR;
		}
		return XFER_NET_ERROR;
	}
}

/* TLS and TYPE A: one large buffer per write so TLS fills whole records. */
static enum xfer_status send_copy(struct xfer *x, int file, bool ascii)
{
	char in[XFER_CHUNK];
	char out[XFER_CHUNK * 2];
	bool prev_cr = false;

	for (;;) {
		enum xfer_status st = xfer_poll_ctrl(x);
		ssize_t n;
		const char *w = in;
		size_t wn;

		if (st != XFER_OK)
			return st;
		n = read(file, in, sizeof(in));
		if (n == 0)
			return XFER_OK;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			x->err = errno;
			return XFER_FILE_ERROR;
		}
		wn = (size_t)n;
		if (ascii) {
			wn = ascii_to_network(in, (size_t)n, out, &prev_cr);
			w = out;
		}
		st = put(x, w, wn);
		if (st != XFER_OK)
			return st;
	}
}

enum xfer_status xfer_send_file(struct xfer *x, int file, bool ascii)
{
	if (!x->dc->ssl && !ascii)
		return send_sendfile(x, file);
	return send_copy(x, file, ascii);
}

enum xfer_status xfer_send_buf(struct xfer *x, const void *buf, size_t len)
{
	enum xfer_status st = xfer_poll_ctrl(x);

	return st != XFER_OK ? st : put(x, buf, len);
}

enum xfer_status xfer_recv_file(struct xfer *x, int file, bool ascii)
{
	char in[XFER_CHUNK];
	char out[XFER_CHUNK + 1];
	bool pending_cr = false;

	for (;;) {
		enum xfer_status st = xfer_poll_ctrl(x);
		ssize_t n;
		const char *w = in;
		size_t wn;

		if (st != XFER_OK)
			return st;
		n = get(x, in, sizeof(in), &st);
		if (n < 0)
			return st;
		if (n == 0) {
			/* The client's last word may be ABOR or a hang-up
			 * racing its end of data: a client that is gone has
			 * not seen a 226, so its upload does not count. */
			st = xfer_poll_ctrl(x);
			if (st != XFER_OK)
				return st;
			wn = ascii ? ascii_from_network_end(out, &pending_cr) : 0;
			if (fd_write_all(file, out, wn) < 0) {
				x->err = errno;
				return XFER_FILE_ERROR;
			}
			return XFER_OK;
		}
		x->bytes += (uint64_t)n;
		wn = (size_t)n;
		if (ascii) {
			wn = ascii_from_network(in, (size_t)n, out, &pending_cr);
			w = out;
		}
		if (fd_write_all(file, w, wn) < 0) {
			x->err = errno;
			return XFER_FILE_ERROR;
		}
	}
}

int xfer_reply_failure(struct session *s, const struct xfer *x,
		       enum xfer_status st)
{
	switch (st) {
	case XFER_OK:
		return ctrl_reply(&s->ctrl, 226, "Transfer complete.");
	case XFER_ABORTED:
		if (ctrl_reply(&s->ctrl, 426, "Connection closed; transfer aborted.") < 0)
			return -1;
		return ctrl_reply(&s->ctrl, 226, "Abort successful.");
	case XFER_CTRL_GONE:
		return -1;
	case XFER_TIMEOUT:
		return ctrl_reply(&s->ctrl, 426, "Data connection timed out; transfer aborted.");
	case XFER_NET_ERROR:
		return ctrl_reply(&s->ctrl, 426, "Data connection failed; transfer aborted.");
	case XFER_FILE_ERROR:
	default:
		if (x->err == ENOSPC || x->err == EDQUOT)
			return ctrl_reply(&s->ctrl, 452, "Insufficient storage space.");
		if (x->err == EFBIG)
			return ctrl_reply(&s->ctrl, 552, "File too large.");
		return ctrl_reply(&s->ctrl, 451, "Local error: %s.", strerror(x->err));
	}
}

void xfer_report(struct session *s, uint32_t direction, const char *path,
		 const struct xfer *x, const struct timespec *start,
		 bool complete)
{
	struct priv_xfer r;
	struct priv_msg m;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	memset(&r, 0, sizeof(r));
	r.direction = direction;
	r.ascii = s->ascii;
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
