/* Downloads and listings: a file or a buffer to the data connection.
 *
 *   plain, binary  sendfile(): the file's pages go to the socket inside the
 *                  kernel;
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
#include <sys/sendfile.h>
#include <unistd.h>

#include "engine/ascii.h"
#include "engine/xfer_io.h"

#define SENDFILE_CHUNK (1 << 20)
#define READ_CHUNK (128 * 1024)

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

enum xfer_status xfer_send_file(struct xfer *x, int file, bool ascii)
{
	(void)posix_fadvise(file, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (ascii)
		return send_copy(x, file, true);
	return x->dc->ssl ? send_copy(x, file, false) : send_sendfile(x, file);
}

enum xfer_status xfer_send_buf(struct xfer *x, const void *buf, size_t len)
{
	return xfer_put(x, buf, len);
}
