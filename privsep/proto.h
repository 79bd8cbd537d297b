/* The privsep message table: every message the engine and the monitor
 * exchange, who sends it, when, and what it carries. The monitor's dispatch
 * (privsep/monitor.c) enforces the "when".
 *
 * type              from     session state   body                     reply
 * PRIV_LOG          engine   any             level, line              none
 * PRIV_LOGIN        engine   PREAUTH         user, pass, pending      LOGIN_RESULT(FAIL|CLOSE)
 *                                                                     or, on success, the
 *                                                                     pre-auth engine is ended
 * PRIV_LOGIN_RESULT monitor  -               result                   -
 * PRIV_PASV         engine   POSTAUTH        kind (PASV/EPSV)         PASV_RESULT
 * PRIV_PASV_RESULT  monitor  -               status, ip, port, +fd    -
 * PRIV_XFER         engine   POSTAUTH        transfer record          none
 * PRIV_AUTH_TLS     engine   PREAUTH, once   -                        AUTH_TLS_RESULT
 * PRIV_AUTH_TLS_RESULT monitor -             status, +fd (plaintext)  -
 * PRIV_TLS_SESSION  relay    once            DER session              none
 *
 * The relay's link carries only PRIV_LOG and PRIV_TLS_SESSION.
 */
#ifndef FTPSD_PRIVSEP_PROTO_H
#define FTPSD_PRIVSEP_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/netaddr.h"
#include "privsep/codec.h"

enum priv_type {
	PRIV_LOG = 1,
	PRIV_LOGIN,
	PRIV_LOGIN_RESULT,
	PRIV_PASV,
	PRIV_PASV_RESULT,
	PRIV_XFER,
	PRIV_AUTH_TLS,
	PRIV_AUTH_TLS_RESULT,
	PRIV_TLS_SESSION,
	PRIV_TYPE_END
};

#define PRIV_USER_MAX 256
#define PRIV_PASS_MAX 256
#define PRIV_PENDING_MAX 4096
#define PRIV_LINE_MAX 1024
#define PRIV_PATH_MAX 4096

struct priv_log {
	uint32_t level;
	char line[PRIV_LINE_MAX];
};

/* Pre-login FTP state the user's engine carries on with. */
enum priv_login_carry {
	CARRY_PBSZ = 1u << 0,
	CARRY_PROT_P = 1u << 1,
};

struct priv_login {
	uint32_t carry;        /* CARRY_* bits */
	uint32_t mlst_facts;   /* OPTS MLST may come before login */
	char user[PRIV_USER_MAX];
	char pass[PRIV_PASS_MAX];
	/* Control bytes the engine read past the PASS line (a pipelining
	 * client); the next engine starts with them. */
	uint8_t pending[PRIV_PENDING_MAX];
	uint32_t npending;
};

enum priv_login_result { LOGIN_FAIL = 1, LOGIN_CLOSE };

enum priv_pasv_kind { PASV_KIND_PASV = 1, PASV_KIND_EPSV };
enum priv_pasv_status {
	PASV_OK = 0,
	PASV_EXHAUSTED,   /* every port in the range is in use */
	PASV_REFUSED,     /* not allowed (PASV on IPv6, pasv_enable=NO) */
	PASV_ERROR,       /* socket error */
};

struct priv_pasv_result {
	uint32_t status;
	struct net_addr advertise; /* address and port to tell the client */
	int fd;                    /* the listener, on PASV_OK */
};

enum priv_xfer_dir { XFER_DOWNLOAD = 1, XFER_UPLOAD };

struct priv_xfer {
	uint32_t direction;
	uint32_t ascii;
	uint32_t complete;
	uint64_t bytes;
	uint64_t msecs;
	char path[PRIV_PATH_MAX];
};

#define PRIV_TLS_SESSION_MAX 6144

struct priv_tls_session {
	uint32_t len;
	uint8_t der[PRIV_TLS_SESSION_MAX];
};

void priv_encode_log(struct priv_msg *m, const struct priv_log *v);
int priv_decode_log(struct priv_msg *m, struct priv_log *v);
void priv_encode_login(struct priv_msg *m, const struct priv_login *v);
int priv_decode_login(struct priv_msg *m, struct priv_login *v);
void priv_encode_login_result(struct priv_msg *m, uint32_t result);
int priv_decode_login_result(struct priv_msg *m, uint32_t *result);
void priv_encode_pasv(struct priv_msg *m, uint32_t kind);
int priv_decode_pasv(struct priv_msg *m, uint32_t *kind);
void priv_encode_pasv_result(struct priv_msg *m, const struct priv_pasv_result *v);
int priv_decode_pasv_result(struct priv_msg *m, struct priv_pasv_result *v);
void priv_encode_xfer(struct priv_msg *m, const struct priv_xfer *v);
int priv_decode_xfer(struct priv_msg *m, struct priv_xfer *v);
void priv_encode_auth_tls(struct priv_msg *m);
int priv_decode_auth_tls(struct priv_msg *m);
/* STATUS 0 = relay started, FD is the engine's new control connection. */
void priv_encode_auth_tls_result(struct priv_msg *m, uint32_t status, int fd);
int priv_decode_auth_tls_result(struct priv_msg *m, uint32_t *status);
void priv_encode_tls_session(struct priv_msg *m, const struct priv_tls_session *v);
int priv_decode_tls_session(struct priv_msg *m, struct priv_tls_session *v);

#endif
