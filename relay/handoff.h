/* What the relay watches during the control handshake so that it can hand
 * the connection's TLS 1.3 records to the user's engine at login
 * (tls/tls13_record.h): the application traffic secrets (OpenSSL's key
 * log callback) and the number of records protected with each (its
 * message callback sees every record header). Anything that would make
 * that state unsure (TLS 1.2, a KeyUpdate, bytes buffered inside OpenSSL)
 * means no handoff: the relay then stays for the whole session. */
#ifndef FTPSD_RELAY_HANDOFF_H
#define FTPSD_RELAY_HANDOFF_H

#include <openssl/ssl.h>

#include "privsep/proto.h"

/* Before the handshake, on every context the handshake may use. */
void handoff_watch(SSL_CTX *ctx);
/* The handshake is over: from now on every record read is counted. */
void handoff_handshake_done(void);
/* The state to hand over, 0; or -1 when this connection cannot be. */
int handoff_export(SSL *ssl, struct priv_tls_keys *k);
/* Wipe what the callbacks kept. */
void handoff_forget(void);

#endif
