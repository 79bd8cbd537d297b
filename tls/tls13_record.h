/* TLS 1.3 record protection (RFC 8446 §5) for a control connection whose
 * handshake was done by another process.
 *
 * The relay does the control handshake. At login, when the connection is
 * TLS 1.3 with an AEAD suite and nothing unusual happened (no KeyUpdate,
 * nothing buffered), it hands the application traffic secrets and record
 * sequence numbers over and exits: the user's engine speaks the records
 * itself from then on, so an idle logged-in session is two processes, not
 * three. Everything else about the connection stays where it was: no new
 * handshake is possible (RFC 8446 has no renegotiation; a client that sends
 * any handshake message but KeyUpdate is refused). */
#ifndef FTPSD_TLS13_RECORD_H
#define FTPSD_TLS13_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "privsep/proto.h"

#define TLS13_PLAIN_MAX 16384

/* True if SUITE is one we speak and LEN is its hash's length. */
bool tls13_suite_ok(uint16_t suite, size_t len);

struct tls13_conn;

/* Fetch what records need (the KDF, each suite's cipher) so that a process
 * forked later finds it built: the zygote calls it (zygote/prewarm.h). */
void tls13_warm_up(void);

/* Records on FD with the keys K (copied; the caller wipes K). NULL if the
 * suite is not ours or OpenSSL fails. */
struct tls13_conn *tls13_conn_new(int fd, const struct priv_tls_keys *k);
void tls13_conn_free(struct tls13_conn *c);

/* Read what FD has without blocking and return up to SIZE bytes of
 * application data. >0: bytes in OUT; 0: the client ended (close_notify
 * or TCP close); -1: a protocol error or a broken connection (the
 * session must end); -2: no whole record yet, poll and come back. */
ssize_t tls13_read(struct tls13_conn *c, void *out, size_t size);

/* Application data already decrypted and not yet returned. */
bool tls13_pending(const struct tls13_conn *c);

/* Protect and send all of BUF (blocking). 0 or -1. */
int tls13_write_all(struct tls13_conn *c, const void *buf, size_t len);

/* Our close_notify alert. 0 or -1. */
int tls13_close_notify(struct tls13_conn *c);

/* Bulk records for data connections (engine/xfer_send.c, xfer_recv.c):
 * built and opened in the caller's buffer, so the plaintext is never
 * copied. A send buffer is laid out in slots of TLS13_SLOT bytes, one per
 * record (5-byte header | up to 16384 bytes of content | content type |
 * 16-byte tag); slot i's content goes at i * TLS13_SLOT + TLS13_SLOT_DATA.
 * A receive buffer needs room for at least one whole record,
 * TLS13_RECORD_MAX. */
#define TLS13_SLOT_DATA 5
#define TLS13_SLOT (TLS13_SLOT_DATA + TLS13_PLAIN_MAX + 1 + 16)
#define TLS13_RECORD_MAX (5 + TLS13_PLAIN_MAX + 256)

/* Protect in place the LEN bytes of application data laid out in BUF's
 * slots, every slot full but the last. The records are then back to back
 * from BUF: their length, to be sent as it is, or -1. */
ssize_t tls13_seal_slots(struct tls13_conn *c, uint8_t *buf, size_t len);

/* Open in place the whole records at the front of BUF's LEN bytes (as
 * read from the socket), up to OUT_MAX records of application data, whose
 * contents are put in OUT: their number. *USED is the bytes of BUF they
 * took (the rest is the start of a record still arriving); *END is true
 * once the client's close_notify was read, and nothing after it is
 * looked at. A KeyUpdate is followed (and answered when asked, with a
 * blocking write of our own record). -1 for a bad record, or once one was
 * seen: what was opened before it is still returned first. */
int tls13_open_records(struct tls13_conn *c, uint8_t *buf, size_t len, struct iovec *out,
		       int out_max, size_t *used, bool *end);

#endif
