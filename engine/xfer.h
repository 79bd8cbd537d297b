/* The transfer loop: moves bytes between a file and a data connection
 * (plain or TLS) with non-blocking I/O and poll(), watching the control
 * connection at the same time so ABOR stops a transfer in either direction
 * and STAT reports on it. A control connection is just an fd here: a TCP
 * socket, or the plaintext side of the TLS relay. */
#ifndef FTPSD_XFER_H
#define FTPSD_XFER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "engine/data.h"
#include "engine/session.h"

enum xfer_status {
	XFER_OK = 0,
	XFER_ABORTED,   /* ABOR arrived on the control connection */
	XFER_CTRL_GONE, /* the control connection closed or failed */
	XFER_NET_ERROR, /* the data connection failed or was reset */
	XFER_TRUNCATED, /* a TLS upload ended without the client's close_notify */
	XFER_TIMEOUT,   /* no progress for data_connection_timeout */
	XFER_FILE_ERROR /* reading or writing the file failed; see err */
};

struct xfer {
	struct session *s;
	struct data_conn *dc;
	uint64_t bytes;    /* moved over the data connection so far */
	uint64_t expected; /* download size for STAT, 0 = unknown */
	uint64_t ctrl_due; /* BYTES at which to look at the control connection */
	bool upload;
	bool watch_ctrl; /* false once a pipelined command waits */
	int err;         /* errno of an XFER_FILE_ERROR */
	/* RETR/STOR: the file, told to the monitor for `ftpsd -w` with the
	 * bytes so far (engine/progress.c); NULL for listings. */
	const char *path;
	int64_t progress_ms;     /* when the monitor was last told, 0 = never */
	uint64_t progress_bytes; /* what it was told */
	/* local_max_rate or anon_max_rate, bytes a second; 0 = unlimited.
	 * Paced from START_MS by xfer_account(). */
	uint64_t rate;
	int64_t start_ms;
};

/* Start a transfer on the open data connection DC (data_open succeeded):
 * the data socket turns non-blocking. */
void xfer_begin(struct xfer *x, struct session *s, struct data_conn *dc, bool upload,
		uint64_t expected);
/* Close the data connection (with a TLS close_notify only after a
 * transfer that succeeded). */
void xfer_end(struct xfer *x, enum xfer_status st);

/* Send FILE from its current offset to the end (TYPE A: LF -> CRLF). */
enum xfer_status xfer_send_file(struct xfer *x, int file, bool ascii);
/* Send a buffer (directory listings). */
enum xfer_status xfer_send_buf(struct xfer *x, const void *buf, size_t len);
/* Receive into FILE at its current offset until the client closes the
 * data connection (TYPE A: CRLF -> LF). */
enum xfer_status xfer_recv_file(struct xfer *x, int file, bool ascii);

/* Answer the end of a failed transfer on the control connection: 426 (and
 * 226 after ABOR), 451/452 for file errors. Returns ctrl_reply's result,
 * -1 when the control connection is gone. */
int xfer_reply_failure(struct session *s, const struct xfer *x, enum xfer_status st);

/* Tell the monitor how far X is: at its first call, then at most once a
 * second (engine/progress.c). Cheap enough to call for every chunk. */
void xfer_progress(struct xfer *x);
/* Milliseconds until bytes the monitor has not heard of may be told, or
 * -1 when there are none: a wait for the client stops then. */
int xfer_progress_due_ms(const struct xfer *x);

/* Tell the monitor about a finished transfer (transfer log, xferlog). */
void xfer_report(struct session *s, uint32_t direction, const char *path, const struct xfer *x,
		 const struct timespec *start, bool complete);

/* The rate limit's arithmetic, pure and unit-tested: how many
 * milliseconds a transfer that has moved BYTES in ELAPSED_MS must wait to
 * be back at RATE bytes a second (0 when it is not ahead, or RATE is 0). */
int64_t xfer_rate_delay_ms(uint64_t bytes, int64_t elapsed_ms, uint64_t rate);

/* REST arithmetic, pure and unit-tested.
 * Parse a REST argument: decimal digits only (no sign, no spaces, no
 * trailing bytes), at most INT64_MAX. Returns 0 or -1. */
int xfer_parse_offset(const char *arg, uint64_t *out);
/* Is OFFSET a valid start in a file of SIZE bytes (0..SIZE inclusive)?
 * On success *REMAINING is what is left to send. */
bool xfer_offset_valid(uint64_t offset, uint64_t size, uint64_t *remaining);

#endif
