/* What a process watches during a TLS 1.3 handshake done by OpenSSL so
 * that our own record layer (tls/tls13_record.h) can take the connection
 * over afterwards: the application traffic secrets (OpenSSL's key log
 * callback) and the number of records protected with each (its message
 * callback sees every record header, the NewSessionTickets written after
 * the handshake included). Two users: the relay hands the control
 * connection to the user's engine at login (relay/relay.c), and the
 * engine takes its own data connections over for binary transfers
 * (engine/data.c). Anything that would make that state unsure (TLS 1.2,
 * a KeyUpdate, bytes buffered inside OpenSSL) means no takeover: OpenSSL
 * keeps the connection.
 *
 * The state belongs to each SSL (ex_data, made at its first record and
 * wiped and freed with it), so the callbacks follow a connection across
 * SSL_set_SSL_CTX (SNI) and nothing is shared between connections. */
#ifndef FTPSD_TLS13_CAPTURE_H
#define FTPSD_TLS13_CAPTURE_H

#include <openssl/ssl.h>

#include "privsep/proto.h"

/* Before the handshake, on every context the handshake may use. 0, or -1
 * when OpenSSL has no room for the state (then nothing is captured and
 * every export says no). */
int tls13_capture_watch(SSL_CTX *ctx);
/* The handshake is over: from now on every record read is counted. */
void tls13_capture_handshake_done(SSL *ssl);
/* The state to take over, 0; or -1 when this connection cannot be. */
int tls13_capture_export(SSL *ssl, struct priv_tls_keys *k);
/* Wipe what the callbacks kept (SSL_free does too). */
void tls13_capture_forget(SSL *ssl);

#endif
