/* Uploads: the data connection to a file, until the client's end of data.
 *
 *   plain, binary  splice(): socket -> pipe -> file, so the data is copied
 *                  once (into the page cache) instead of into our buffer
 *                  and out again;
 *   TLS 1.3, binary  what the socket has, up to RECORDS_BUF, read into one
 *                  buffer, every whole record opened in place there
 *                  (tls/tls13_record.h) and their contents written with
 *                  one writev(): no copy of the plaintext;
 *   TLS or TYPE A  a large buffer filled with every record that has
 *                  arrived (OpenSSL reads ahead, many records per read())
 *                  and written in one write(): file writes of up to
 *                  RECV_BUF instead of one per 16 KiB record.
 *
 * What arrived before a failure is written too, so atomic_uploads=NO keeps
 * as much of a broken upload as the old one-write-per-read loop did. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "engine/ascii.h"
#include "engine/xfer_io.h"
#include "common/fdio.h"
#include "tls/tls13_record.h"

#define RECV_BUF ((size_t)256 * 1024)
#define PIPE_SIZE (1 << 20)
#define SPLICE_BATCH ((size_t)1 << 20)
#define RECORDS_BUF ((size_t)256 * 1024 + TLS13_RECORD_MAX)
#define RECORDS_IOV 64

/* The client's end of data. Its last word may be ABOR or a hang-up racing
 * it: a client that is gone has not seen a 226, so its upload does not
 * count. */
static enum xfer_status end_of_data(struct xfer *x)
{
	return xfer_poll_ctrl(x);
}

struct recv_buf {
	char *in;
	char *out; /* TYPE A: the converted bytes; NULL for binary */
	size_t fill;
	bool pending_cr;
};

static enum xfer_status store(struct xfer *x, int file, struct recv_buf *b)
{
	const char *w = b->in;
	size_t n = b->fill;

	b->fill = 0;
	if (b->out) {
		n = ascii_from_network(b->in, n, b->out, &b->pending_cr);
		w = b->out;
	}
	return fd_write_all(file, w, n) < 0 ? xfer_file_error(x, errno) : XFER_OK;
}

static enum xfer_status recv_copy(struct xfer *x, int file, bool ascii)
{
	struct recv_buf b = { malloc(ascii ? 2 * RECV_BUF + 1 : RECV_BUF), NULL, 0, false };
	enum xfer_status st = XFER_OK;

	if (!b.in)
		return xfer_file_error(x, ENOMEM);
	if (ascii)
		b.out = b.in + RECV_BUF;
	for (;;) {
		/* Wait only with an empty buffer: what came is written
		 * before we sleep. */
		ssize_t n = xfer_get(x, b.in + b.fill, RECV_BUF - b.fill, b.fill == 0, &st);
		enum xfer_status wst;

		if (n > 0) {
			b.fill += (size_t)n;
			st = xfer_account(x, (size_t)n);
			if (st == XFER_OK && b.fill < RECV_BUF)
				continue;
		}
		/* Full, nothing more for now, the end, or a failure. */
		wst = store(x, file, &b);
		if (st == XFER_OK)
			st = wst;
		if (st != XFER_OK)
			break;
		if (n != 0)
			continue;
		st = end_of_data(x);
		if (st == XFER_OK && ascii) {
			size_t wn = ascii_from_network_end(b.out, &b.pending_cr);

			if (fd_write_all(file, b.out, wn) < 0)
				st = xfer_file_error(x, errno);
		}
		break;
	}
	free(b.in);
	return st;
}

/* ---- our TLS 1.3 records ---- */

/* Write all of IOV's N buffers to FILE. 0, or -1 with errno. */
static int write_iov_all(int file, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(file, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Open and store every whole record in BUF's *FILL bytes; the start of a
 * record still arriving moves to the front. *END after close_notify. */
static enum xfer_status store_records(struct xfer *x, int file, uint8_t *buf, size_t *fill,
				      bool *end)
{
	size_t off = 0;
	enum xfer_status st = XFER_OK;

	do {
		struct iovec iov[RECORDS_IOV];
		size_t used, bytes = 0;
		int k = tls13_open_records(x->dc->rec, buf + off, *fill - off, iov, RECORDS_IOV,
					   &used, end);

		if (k < 0)
			return XFER_NET_ERROR;
		for (int i = 0; i < k; i++)
			bytes += iov[i].iov_len;
		off += used;
		if (write_iov_all(file, iov, k) < 0)
			return xfer_file_error(x, errno);
		if (bytes > 0)
			st = xfer_account(x, bytes);
		if (k < RECORDS_IOV)
			break;
	} while (st == XFER_OK && !*end);
	memmove(buf, buf + off, *fill - off);
	*fill -= off;
	return st;
}

static enum xfer_status recv_records_into(struct xfer *x, int file, uint8_t *buf)
{
	size_t fill = 0;

	for (;;) {
		ssize_t n = recv(x->dc->fd, buf + fill, RECORDS_BUF - fill, MSG_DONTWAIT);
		enum xfer_status st = XFER_OK;
		bool end = false;

		if (n > 0) {
			fill += (size_t)n;
			st = store_records(x, file, buf, &fill, &end);
			if (st == XFER_OK && end)
				return end_of_data(x);
		} else if (n == 0) {
			return xfer_truncated(x); /* no close_notify */
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			st = xfer_wait(x, POLLIN);
		} else if (errno != EINTR) {
			return XFER_NET_ERROR;
		}
		if (st != XFER_OK)
			return st;
	}
}

static enum xfer_status recv_records(struct xfer *x, int file)
{
	uint8_t *buf = malloc(RECORDS_BUF);
	enum xfer_status st;

	if (!buf)
		return xfer_file_error(x, ENOMEM);
	st = recv_records_into(x, file, buf);
	free(buf);
	return st;
}

/* ---- splice ---- */

struct spliced {
	int pipe[2];
	size_t queued; /* bytes in the pipe */
	bool copy;     /* the file takes no splice: drain through a buffer */
};

/* Read what is in the pipe and write it, for files splice cannot write. */
static int drain_by_copy(struct spliced *sp, int file)
{
	char buf[64 * 1024];

	while (sp->queued > 0) {
		ssize_t n = read(sp->pipe[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || fd_write_all(file, buf, (size_t)n) < 0)
			return -1;
		sp->queued -= (size_t)n;
	}
	return 0;
}

/* Everything in the pipe to the file. 0, or -1 with errno. */
static int drain(struct spliced *sp, int file)
{
	while (sp->queued > 0 && !sp->copy) {
		ssize_t n = splice(sp->pipe[0], NULL, file, NULL, sp->queued, SPLICE_F_MOVE);

		if (n > 0)
			sp->queued -= (size_t)n;
		else if (n < 0 && errno == EINVAL)
			sp->copy = true;
		else if (n < 0 && errno != EINTR)
			return -1;
		else if (n == 0)
			break; /* cannot be: the pipe holds QUEUED bytes */
	}
	return drain_by_copy(sp, file);
}

/* One splice from the socket into the pipe: bytes, 0 at the end of data,
 * -2 when the socket has nothing (and the pipe was drained), -1 with *ST. */
static ssize_t fill_pipe(struct xfer *x, struct spliced *sp, int file, enum xfer_status *st)
{
	for (;;) {
		ssize_t n = splice(x->dc->fd, NULL, sp->pipe[1], NULL, SPLICE_BATCH - sp->queued,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			*st = XFER_NET_ERROR;
			return -1;
		}
		/* The socket is empty or the pipe full: empty the pipe, and
		 * if that changes nothing, the socket is what we wait for. */
		if (sp->queued == 0)
			return -2;
		if (drain(sp, file) < 0) {
			*st = xfer_file_error(x, errno);
			return -1;
		}
	}
}

static enum xfer_status recv_spliced(struct xfer *x, struct spliced *sp, int file)
{
	for (;;) {
		enum xfer_status st = XFER_OK;
		ssize_t n = fill_pipe(x, sp, file, &st);

		if (n > 0) {
			sp->queued += (size_t)n;
			st = xfer_account(x, (size_t)n);
			if (st == XFER_OK && sp->queued >= SPLICE_BATCH && drain(sp, file) < 0)
				st = xfer_file_error(x, errno);
		} else if (n == -2) {
			st = xfer_wait(x, POLLIN);
		} else if (n == 0) {
			if (drain(sp, file) < 0)
				return xfer_file_error(x, errno);
			return end_of_data(x);
		}
		if (st != XFER_OK) {
			if (st != XFER_FILE_ERROR)
				(void)drain(sp, file);
			return st;
		}
	}
}

static enum xfer_status recv_splice(struct xfer *x, int file)
{
	struct spliced sp = { { -1, -1 }, 0, false };
	enum xfer_status st;

	/* splice() cannot append (O_APPEND files refuse it). */
	if ((fcntl(file, F_GETFL) & O_APPEND) || pipe2(sp.pipe, O_CLOEXEC) < 0)
		return recv_copy(x, file, false);
	(void)fcntl(sp.pipe[1], F_SETPIPE_SZ, PIPE_SIZE); /* else 64 KiB */
	st = recv_spliced(x, &sp, file);
	close(sp.pipe[0]);
	close(sp.pipe[1]);
	return st;
}

enum xfer_status xfer_recv_file(struct xfer *x, int file, bool ascii)
{
	if (!x->dc->ssl && !ascii)
		return recv_splice(x, file);
	if (x->dc->ssl && !ascii && data_take_records(x->dc))
		return recv_records(x, file);
	return recv_copy(x, file, ascii);
}
