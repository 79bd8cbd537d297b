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

#endif
