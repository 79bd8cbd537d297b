/* Typed requests to the monitor (and from it to the key holder and to its
 * relay), for the asking side of a link: each sends one message and waits
 * for the reply privsep/messages.def names for it (OpenSSH's monitor_wrap.c
 * is the model). All but the relay's handoff return 0 with the answer
 * filled in, or -1 when the peer is gone, stuck past its deadline, or
 * answered anything else: a monitor that does that is broken, and the
 * caller has nothing safe left to do. The handoff tells those apart (a
 * relay that is gone is no hostile one). */
#ifndef FTPSD_PRIVSEP_CLIENT_H
#define FTPSD_PRIVSEP_CLIENT_H

#include <stdint.h>

#include "common/netaddr.h"
#include "privsep/proto.h"

/* Send M on LINK and receive the reply its row names into M. TIMEOUT_MS
 * bounds the wait for it (-1: none). A wrong reply's fd is closed. */
int priv_call(int link, struct priv_msg *m, int timeout_ms);

/* LOGIN: only a failure comes back (LOGIN_FAIL or LOGIN_CLOSE in
 * *RESULT); on success the monitor ends the calling engine. The password
 * is wiped from every buffer here. */
int priv_ask_login(int link, const struct priv_login *l, uint32_t *result);
/* HOST: only HOST_UNKNOWN comes back; success ends the calling engine. */
int priv_ask_host(int link, const struct priv_host *h, uint32_t *result);
/* AUTH TLS: *STATUS 0 and *PLAIN_FD the relay's plaintext side, or
 * *STATUS nonzero and no fd. */
int priv_ask_auth_tls(int link, uint32_t *status, int *plain_fd);
/* PASV/EPSV: R->fd is the listener with PASV_OK, else -1. */
int priv_ask_pasv(int link, uint32_t kind, struct priv_pasv_result *r);
/* PORT/EPRT: *DATA_FD the connected socket with PORT_CONN_OK, else -1. */
int priv_ask_port(int link, const struct net_addr *target, uint32_t *status, int *data_fd);
/* chown_uploads for the just created FILE_FD; *STATUS 0 = done. */
int priv_ask_chown_upload(int link, int file_fd, uint32_t *status);
/* The relay's handshake is done (NAME: its SNI, "" for none); returns
 * when the monitor has the pre-auth engine for it. */
int priv_ask_tls_ready(int link, const char *name);
/* A private-key operation; RES->status 0 with the signature. */
int priv_ask_sign(int link, const struct priv_sign *req, struct priv_sign_result *res,
		  int timeout_ms);

/* The log lines a relay may still send before it answers RELAY_HANDOFF
 * (an honest one flushes a few). */
#define PRIV_HANDOFF_MAX_LOGS 64

/* What the relay answered RELAY_HANDOFF. */
enum priv_handoff {
	PRIV_HANDOFF_KEYS,  /* *K: the connection's TLS 1.3 records; it exits */
	PRIV_HANDOFF_STAYS, /* it cannot hand over (TLS 1.2, a KeyUpdate...) */
	PRIV_HANDOFF_GONE,  /* no answer: it ended, or was silent TIMEOUT_MS */
	PRIV_HANDOFF_BAD,   /* an answer that is no TLS_HANDOFF: never trust it */
};

/* RELAY_HANDOFF, the monitor's request to its relay at login. The relay
 * may still log on its way there: each LOG before the answer goes to
 * ON_LOG(ARG, M), up to PRIV_HANDOFF_MAX_LOGS; one more is a flood, and
 * BAD. TIMEOUT_MS bounds the whole exchange, however the relay trickles
 * (past it: GONE). Whether *K's suite is one
 * the record layer speaks is the caller's check (tls/). The keys are
 * wiped from every buffer here but *K. */
enum priv_handoff priv_ask_relay_handoff(int link, int timeout_ms,
					 void (*on_log)(void *arg, struct priv_msg *m), void *arg,
					 struct priv_tls_keys *k);

#endif
