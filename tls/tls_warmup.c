#include "tls/tls_warmup.h"

#include <openssl/bio.h>

/* Drive one side of the in-memory handshake. 1 done, 0 wants more, -1. */
static int step(SSL *ssl)
{
	int r = SSL_do_handshake(ssl);

	if (r == 1)
		return 1;
	r = SSL_get_error(ssl, r);
	return r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

static int handshake(SSL *client, SSL *server)
{
	int c = 0, s = 0;

	/* A TLS 1.3 or 1.2 handshake takes at most a few flights. */
	for (int round = 0; round < 16 && (c != 1 || s != 1); round++) {
		if (c != 1 && (c = step(client)) < 0)
			return -1;
		if (s != 1 && (s = step(server)) < 0)
			return -1;
	}
	return c == 1 && s == 1 ? 0 : -1;
}

int tls_warm_up(SSL_CTX *server_ctx)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL *client = cctx ? SSL_new(cctx) : NULL;
	SSL *server = SSL_new(server_ctx);
	BIO *cb = NULL, *sb = NULL;
	int r = -1;

	if (client && server && BIO_new_bio_pair(&cb, 0, &sb, 0) == 1) {
		SSL_set_bio(client, cb, cb);
		SSL_set_bio(server, sb, sb);
		SSL_set_connect_state(client);
		SSL_set_accept_state(server);
		/* No ticket: there is no session key here (tls_session_key_new
		 * runs in each session's monitor), and nobody to resume. */
		SSL_set_num_tickets(server, 0);
		SSL_set_options(server, SSL_OP_NO_TICKET);
		r = handshake(client, server);
		/* Nothing of this handshake may be resumed by anyone. */
		SSL_CTX_remove_session(server_ctx, SSL_get_session(server));
	} else {
		BIO_free(cb);
		BIO_free(sb);
	}
	SSL_free(client);
	SSL_free(server);
	SSL_CTX_free(cctx);
	return r;
}
