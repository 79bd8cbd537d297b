#include "engine/ctrl.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/log.h"
#include "tls/tls13_record.h"

#define TELNET_IAC 255
#define TELNET_WILL 251
#define TELNET_DONT 254

void ctrl_init(struct ctrl *c, int fd, const void *pending, size_t npending)
{
	c->fd = fd;
	c->tls = NULL;
	c->discarding = false;
	c->len = npending < sizeof(c->buf) ? npending : sizeof(c->buf);
	if (c->len)
		memcpy(c->buf, pending, c->len);
}

int ctrl_start_tls(struct ctrl *c, const struct priv_tls_keys *k)
{
	c->tls = tls13_conn_new(c->fd, k);
	return c->tls ? 0 : -1;
}

void ctrl_finish(struct ctrl *c)
{
	if (c->tls)
		(void)tls13_close_notify(c->tls);
}

/* One read of what the connection has: bytes, 0 at EOF, -1, or -2 for
 * nothing yet (a TLS record not whole, or EAGAIN). */
static ssize_t read_some(struct ctrl *c, bool nonblocking)
{
	void *at = c->buf + c->len;
	size_t room = sizeof(c->buf) - c->len;
	ssize_t n;

	if (c->tls)
		return tls13_read(c->tls, at, room);
	do
		n = nonblocking ? recv(c->fd, at, room, MSG_DONTWAIT) : read(c->fd, at, room);
	while (n < 0 && errno == EINTR);
	if (n < 0 && nonblocking && errno == ENOTSOCK) {
		/* inetd may hand us a pipe-like fd; poll said readable */
		do
			n = read(c->fd, at, room);
		while (n < 0 && errno == EINTR);
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -2;
	return n;
}

size_t ctrl_strip_telnet(char *line, size_t len)
{
	size_t in = 0, out = 0;
	uint8_t *p = (uint8_t *)line;

	while (in < len) {
		if (p[in] != TELNET_IAC) {
			p[out++] = p[in++];
			continue;
		}
		if (in + 1 < len && p[in + 1] == TELNET_IAC) {
			p[out++] = TELNET_IAC;
			in += 2;
		} else if (in + 1 < len && p[in + 1] >= TELNET_WILL && p[in + 1] <= TELNET_DONT) {
			in += 3; /* option negotiation: IAC verb option */
		} else {
			in += 2; /* IAC IP, IAC DM, ... */
		}
	}
	if (out < len)
		line[out] = '\0';
	return out;
}

bool ctrl_has_line(const struct ctrl *c)
{
	return memchr(c->buf, '\n', c->len) != NULL;
}

/* Copy the first line out of the buffer if one is complete; take it out
 * too when CONSUME. */
static int take_line(struct ctrl *c, char *line, bool consume)
{
	uint8_t *nl = memchr(c->buf, '\n', c->len);
	size_t used, n;
	bool has_nul;

	if (!nl)
		return 0;
	used = (size_t)(nl - c->buf) + 1;
	n = used - 1;
	if (n > 0 && c->buf[n - 1] == '\r')
		n--;
	memcpy(line, c->buf, n);
	line[n] = '\0';
	/* A NUL would cut the C string short and turn "DELE a\0b" into
	 * "DELE a": refuse the whole line instead. */
	has_nul = memchr(c->buf, '\0', n) != NULL;
	if (consume) {
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
	}
	if (c->discarding) {
		if (consume)
			c->discarding = false;
		return CTRL_TOO_LONG;
	}
	if (has_nul)
		return CTRL_NUL;
	ctrl_strip_telnet(line, n);
	return CTRL_LINE;
}

int ctrl_peek_line(struct ctrl *c, char *line)
{
	return take_line(c, line, false);
}

void ctrl_drop_line(struct ctrl *c)
{
	char line[CTRL_BUF];

	(void)take_line(c, line, true);
}

int ctrl_fill(struct ctrl *c)
{
	ssize_t n;

	if (c->len == sizeof(c->buf))
		return -2;
	n = read_some(c, true);
	if (n < 0)
		return n == -2 ? -2 : errno == ECONNRESET ? 0 : -1;
	c->len += (size_t)n;
	return (int)n;
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Wait until FD is readable or DEADLINE (monotonic ms; -1 = none). */
static int wait_readable(int fd, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do {
		int64_t left = deadline < 0 ? -1 : deadline - now_ms();
		if (deadline >= 0 && left <= 0)
			return 0;
		r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
	} while (r < 0 && errno == EINTR);
	return r;
}

enum ctrl_read ctrl_read_line(struct ctrl *c, char *line, unsigned timeout_s)
{
	int64_t deadline = timeout_s ? now_ms() + (int64_t)timeout_s * 1000 : -1;

	for (;;) {
		int got = take_line(c, line, true);
		ssize_t n;
		int r;

		if (got)
			return got;
		if (c->len == sizeof(c->buf)) {
			/* Over-long line: keep nothing of it, answer once
			 * its end arrives, stay in sync. */
			c->len = 0;
			c->discarding = true;
		}
		/* Decrypted bytes may wait inside the record layer. */
		if (!c->tls || !tls13_pending(c->tls)) {
			r = wait_readable(c->fd, deadline);
			if (r == 0)
				return CTRL_TIMEOUT;
			if (r < 0)
				return CTRL_ERROR;
		}
		n = read_some(c, c->tls != NULL);
		if (n == 0)
			return CTRL_EOF;
		if (n == -2)
			continue;
		if (n < 0)
			return errno == ECONNRESET ? CTRL_EOF : CTRL_ERROR;
		c->len += (size_t)n;
	}
}

int ctrl_write(struct ctrl *c, const char *text, size_t len)
{
	return c->tls ? tls13_write_all(c->tls, text, len) : fd_write_all(c->fd, text, len);
}

int ctrl_reply_text(struct ctrl *c, int code, const char *text, size_t len, const char *last)
{
	char line[CTRL_BUF + 16];

	while (len > 0) {
		size_t n = 0, o;
		int head = snprintf(line, sizeof(line), "%03d-", code);

		o = (size_t)head;
		while (n < len && text[n] != '\n') {
			unsigned char ch = (unsigned char)text[n++];

			if (ch == '\r')
				continue;
			if (o < sizeof(line) - 2)
				line[o++] = (ch < 0x20 && ch != '\t') || ch == 0x7f || ch == 0xff
						    ? '?'
						    : (char)ch;
		}
		if (n < len)
			n++; /* the '\n' */
		text += n;
		len -= n;
		line[o++] = '\r';
		line[o++] = '\n';
		if (ctrl_write(c, line, o) < 0)
			return -1;
	}
	return ctrl_reply(c, code, "%s", last);
}

int ctrl_reply(struct ctrl *c, int code, const char *fmt, ...)
{
	char buf[CTRL_BUF + 16];
	va_list ap;
	int head, n;

	head = snprintf(buf, sizeof(buf), "%03d ", code);
	va_start(ap, fmt);
	n = vsnprintf(buf + head, sizeof(buf) - (size_t)head - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	n += head;
	if ((size_t)n > sizeof(buf) - 3)
		n = (int)sizeof(buf) - 3; /* clipped text, never a broken reply */
	if (c->log_protocol)
		log_msg(LOG_LVL_DEBUG, "reply: %.*s", n, buf);
	buf[n++] = '\r';
	buf[n++] = '\n';
	return ctrl_write(c, buf, (size_t)n);
}
