/* Inside the transfer loop (engine/xfer*.c only): moving bytes over the
 * data connection, waiting for it while the control connection is
 * watched, and the one place every moved byte is accounted.
 *
 * The directions are built from these pieces: xfer_send.c (downloads and
 * listings), xfer_recv.c (uploads). Whatever paces or observes a transfer
 * (STAT, ABOR, progress reports, the rate limit) hooks into
 * xfer_account() and xfer_wait(), not into each direction's loop. */
#ifndef FTPSD_XFER_IO_H
#define FTPSD_XFER_IO_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "engine/xfer.h"

/* How far apart, in bytes moved, a transfer that never blocks looks at the
 * control connection (a blocked one watches it all the time). */
#define XFER_CTRL_EVERY (1024 * 1024)

/* Account N bytes moved (and tell the monitor, engine/progress.c, when
 * due); every XFER_CTRL_EVERY bytes, look for ABOR/STAT on the control
 * connection. A rate-limited transfer (local_max_rate, anon_max_rate)
 * that is ahead of its rate waits here until it is not, watching the
 * control connection. XFER_OK to go on. */
enum xfer_status xfer_account(struct xfer *x, size_t n);

/* How much of WANT bytes to move in one call: all of it, or a tenth of a
 * second's worth under a rate limit (at least 4 KiB). */
size_t xfer_chunk(const struct xfer *x, size_t want);

/* Reading or writing the file failed with ERR: XFER_FILE_ERROR. */
enum xfer_status xfer_file_error(struct xfer *x, int err);

/* Look at the control connection now (between whole chunks). */
enum xfer_status xfer_poll_ctrl(struct xfer *x);

/* Wait until the data connection has EVENTS, watching the control
 * connection meanwhile; data_connection_timeout without progress ends it. */
enum xfer_status xfer_wait(struct xfer *x, short events);

/* Send all LEN bytes (TLS or plain), accounting them as they go. */
enum xfer_status xfer_put(struct xfer *x, const char *buf, size_t len);

/* Send LEN bytes of TLS records made by our own layer (dc->rec) as they
 * are. Not accounted: the caller accounts the plaintext they carry. */
enum xfer_status xfer_put_records(struct xfer *x, const void *buf, size_t len);

/* A TLS upload ended without the client's close_notify: logged,
 * XFER_TRUNCATED. */
enum xfer_status xfer_truncated(struct xfer *x);

/* Receive up to LEN bytes: the count, 0 at the client's end of data, or
 * -1 with *ST set; without WAIT, also -1 with *ST == XFER_OK when nothing
 * is there yet. Not accounted: the caller calls xfer_account(). */
ssize_t xfer_get(struct xfer *x, char *buf, size_t len, bool wait, enum xfer_status *st);

#endif
