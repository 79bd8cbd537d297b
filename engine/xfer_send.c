/* Downloads and listings: a file or a buffer to the data connection.
 *
 *   plain, binary  sendfile(): the file's pages go to the socket inside the
 *                  kernel;
 *   TLS 1.3, binary readv() straight into the content slots of a buffer of
 *                  records (tls/tls13_record.h), each sealed in place,
 *                  RECORDS_BATCH of them sent with one send(): no copy of
 *                  the plaintext and one syscall per 256 KiB each way;
 *   TLS, or TYPE A read() READ_CHUNK at a time, each chunk one SSL_write_ex
 *                  (eight full records).
 *
 * Both send until the end of the file as it is when they get there: a file
 * that grows during the transfer is sent whole, one that shrinks is sent
 * up to its new end.
 *
 * Mapping the file instead of read() (the cipher's input straight from the
 * page cache) was measured and gains nothing here: the page faults and
 * unmapping cost what the copy saved (bench/README.md), and a file
 * truncated under the mapping would kill the engine with SIGBUS. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include "engine/ascii.h"
#include "engine/xfer_io.h"
#include "tls/tls13_record.h"

#define SENDFILE_CHUNK (1 << 20)
#define READ_CHUNK (128 * 1024)
/* 256 KiB of file per readv() and send(): measured a little cheaper than
 * 1 MiB (the batch stays in L2 between the read, the cipher and the send;
 * bench/README.md). */
#define RECORDS_BATCH 16

static enum xfer_status send_sendfile(struct xfer *x, int file)
{
	for (;;) {
		ssize_t n = sendfile(x->dc->fd, file, NULL, xfer_chunk(x, SENDFILE_CHUNK));
		enum xfer_status st;

		if (n > 0)
			st = xfer_account(x, (size_t)n);
		else if (n == 0)
			return XFER_OK;
		else if (errno == EINTR)
			continue;
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			st = xfer_wait(x, POLLOUT);
		else if (errno == EIO || errno == EOVERFLOW)
			return xfer_file_error(x, errno);
		else
			return XFER_NET_ERROR;
		if (st != XFER_OK)
			return st;
	}
}

/* read() and send, converting LF to CRLF for TYPE A. The buffers are on
 * the stack on purpose: the same copy loop with a 256 KiB malloc'd buffer
 * measured slower here (OpenSSL's copy of each record out of it, glibc's
 * memcpy, took 28 % of the engine instead of 3 %). */
static enum xfer_status send_copy(struct xfer *x, int file, bool ascii)
{
	char in[READ_CHUNK];
	char out[READ_CHUNK * 2];
	bool prev_cr = false;
	enum xfer_status st = XFER_OK;

	while (st == XFER_OK) {
		ssize_t n = read(file, in, xfer_chunk(x, sizeof(in)));

		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			st = xfer_file_error(x, errno);
		else if (ascii)
			st = xfer_put(x, out, ascii_to_network(in, (size_t)n, out, &prev_cr));
		else
			st = xfer_put(x, in, (size_t)n);
	}
	return st;
}

/* Point IOV at the content slots of BUF for up to WANT bytes: the count. */
static int record_slots(uint8_t *buf, size_t want, struct iovec *iov)
{
	int k = 0;

	for (size_t off = 0; off < want && k < RECORDS_BATCH; k++) {
		size_t n = want - off < TLS13_PLAIN_MAX ? want - off : TLS13_PLAIN_MAX;

		iov[k].iov_base = buf + (size_t)k * TLS13_SLOT + TLS13_SLOT_DATA;
		iov[k].iov_len = n;
		off += n;
	}
	return k;
}

/* A short readv() fills the slots in order, so only the last record it
 * touched is short and the sealed records are back to back. */
static enum xfer_status send_records_from(struct xfer *x, int file, uint8_t *buf)
{
	struct iovec iov[RECORDS_BATCH];
	enum xfer_status st = XFER_OK;

	while (st == XFER_OK) {
		int k = record_slots(buf, xfer_chunk(x, RECORDS_BATCH * TLS13_PLAIN_MAX), iov);
		ssize_t n = readv(file, iov, k), len;

		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return xfer_file_error(x, errno);
		len = tls13_seal_slots(x->dc->rec, buf, (size_t)n);
		if (len < 0)
			return XFER_NET_ERROR;
		st = xfer_put_records(x, buf, (size_t)len);
		if (st == XFER_OK)
			st = xfer_account(x, (size_t)n);
	}
	return st;
}

static enum xfer_status send_records(struct xfer *x, int file)
{
	uint8_t *buf = malloc((size_t)RECORDS_BATCH * TLS13_SLOT);
	enum xfer_status st;

	if (!buf)
		return xfer_file_error(x, ENOMEM);
	st = send_records_from(x, file, buf);
	free(buf);
	return st;
}

enum xfer_status xfer_send_file(struct xfer *x, int file, bool ascii)
{
	(void)posix_fadvise(file, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (ascii)
		return send_copy(x, file, true);
	if (!x->dc->ssl)
		return send_sendfile(x, file);
	return data_take_records(x->dc) ? send_records(x, file) : send_copy(x, file, false);
}

enum xfer_status xfer_send_buf(struct xfer *x, const void *buf, size_t len)
{
	return xfer_put(x, buf, len);
}
