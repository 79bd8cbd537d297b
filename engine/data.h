/* Data connections: the engine never creates sockets; it accepts on the
 * passive listener the monitor handed it, and does data TLS itself. */
#ifndef FTPSD_DATA_H
#define FTPSD_DATA_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "engine/session.h"

struct tls13_conn;

struct data_conn {
	int fd;
	SSL *ssl; /* NULL for PROT C */
	/* Not NULL once our record layer has the connection (binary
	 * transfers over TLS 1.3, data_take_records): OpenSSL did the
	 * handshake and writes no record after it. */
	struct tls13_conn *rec;
};

/* Ask the monitor for a passive listener. Returns PASV_OK (listener in
 * s->eng.pasv_fd, advertised address in *ADVERTISE) or the monitor's status. */
int data_pasv_request(struct session *s, uint32_t kind, struct net_addr *advertise);

/* Open the data connection for a transfer: check the PROT policy, accept
 * the client's connection (from the control client's address only, unless
 * pasv_promiscuous), send the 150 reply PRELIM, then do the data TLS
 * handshake when PROT P. On failure the reply (425/521/522) is already
 * sent and -1 is returned; -2 means the control connection is gone. */
int data_open(struct session *s, struct data_conn *dc, const char *prelim);

/* Active mode (engine/cmd_active.c): ask the monitor to connect to the
 * address of the last PORT/EPRT. The connected fd, or -1. */
int data_active_connect(struct session *s);

/* Give a TLS 1.3 data connection's records to our own layer
 * (tls/tls13_record.h) before the first byte of data: true when it took
 * them (dc->rec), false when OpenSSL keeps them (TLS 1.2, an unusual
 * state, no memory). */
bool data_take_records(struct data_conn *dc);

/* Ends TLS with close_notify (GnuTLS clients count a transfer without one
 * as failed), then closes. */
void data_close(struct data_conn *dc);

#endif
