/* A handshake with itself, in memory, before the zygote forks anything.
 *
 * OpenSSL builds much of what a handshake needs on first use (fetched
 * algorithms and their caches, the per-thread random generators, the
 * certificates' cached extensions). Built in every session's relay, that
 * is private memory per session; built once in the zygote, every session
 * shares it. The signature goes to the key holder like any other. */
#ifndef FTPSD_TLS_WARMUP_H
#define FTPSD_TLS_WARMUP_H

#include <openssl/ssl.h>

/* One full handshake of a default client against SERVER_CTX. 0 or -1. */
int tls_warm_up(SSL_CTX *server_ctx);

#endif
