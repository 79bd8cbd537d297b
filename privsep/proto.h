/* The privsep messages' bodies, encoders and decoders. Who sends each
 * message, when, with what rules and which reply is written once, in
 * privsep/messages.def; the enum below and the monitor's admission rules
 * (privsep/rules.h) come from it. */
#ifndef FTPSD_PRIVSEP_PROTO_H
#define FTPSD_PRIVSEP_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include "common/netaddr.h"
#include "privsep/codec.h"

enum priv_type {
	PRIV_NONE = 0, /* no reply; never on the wire */
#define PRIV_MSG(name, from, engine, relay, master, flags, reply, body) PRIV_##name,
#include "privsep/messages.def"
#undef PRIV_MSG
	PRIV_TYPE_END
};
/* The monitor keeps a bit per type for its once-only rule. */
_Static_assert(PRIV_TYPE_END <= 64, "too many privsep message types");

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
	uint32_t carry;      /* CARRY_* bits */
	uint32_t mlst_facts; /* OPTS MLST may come before login */
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
	PASV_EXHAUSTED, /* every port in the range is in use */
	PASV_REFUSED,   /* not allowed (PASV on IPv6, pasv_enable=NO) */
	PASV_ERROR,     /* socket error */
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

/* The control connection's TLS 1.3 record state, handed from the relay to
 * the user's engine at login (tls/tls13_record.h). */
#define PRIV_TLS_SECRET_MAX 48 /* SHA-384 */

struct priv_tls_keys {
	uint16_t suite; /* TLS 1.3 cipher suite number */
	uint8_t secret_len;
	uint8_t read_secret[PRIV_TLS_SECRET_MAX];  /* client application traffic */
	uint8_t write_secret[PRIV_TLS_SECRET_MAX]; /* server application traffic */
	uint64_t read_seq, write_seq;              /* records protected so far */
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
void priv_encode_relay_handoff(struct priv_msg *m);
int priv_decode_relay_handoff(struct priv_msg *m);
/* K is NULL (status 1: no handoff, the relay goes on) or the state. */
void priv_encode_tls_handoff(struct priv_msg *m, const struct priv_tls_keys *k);
/* 1 with *K filled, 0 for "no handoff", -1 malformed. Lengths are checked
 * here; whether the suite is one we speak is tls13_suite_ok's call. */
int priv_decode_tls_handoff(struct priv_msg *m, struct priv_tls_keys *k);

/* Active mode: the monitor connects to the client's data port itself. */
enum priv_port_status {
	PORT_CONN_OK = 0,
	PORT_CONN_FAILED, /* connect refused, timed out, or socket error */
};

void priv_encode_port_connect(struct priv_msg *m, const struct net_addr *target);
int priv_decode_port_connect(struct priv_msg *m, struct net_addr *target);
/* FD is the connected socket, sent only with PORT_CONN_OK. */
void priv_encode_port_result(struct priv_msg *m, uint32_t status, int fd);
int priv_decode_port_result(struct priv_msg *m, uint32_t *status);

/* chown_uploads: the engine passes the fd of a file it just created; the
 * monitor gives it to chown_username. STATUS 0 = done. */
void priv_encode_chown_upload(struct priv_msg *m, int fd);
int priv_decode_chown_upload(struct priv_msg *m);
void priv_encode_chown_result(struct priv_msg *m, uint32_t status);
int priv_decode_chown_result(struct priv_msg *m, uint32_t *status);

/* HOST (RFC 7151): the name and the pre-login state to carry over. */
#define PRIV_HOST_NAME_MAX 256

struct priv_host {
	uint32_t carry; /* CARRY_* bits */
	uint32_t mlst_facts;
	char name[PRIV_HOST_NAME_MAX];
	uint8_t pending[PRIV_PENDING_MAX];
	uint32_t npending;
};

enum priv_host_result { HOST_UNKNOWN = 1 };

void priv_encode_host(struct priv_msg *m, const struct priv_host *v);
int priv_decode_host(struct priv_msg *m, struct priv_host *v);
void priv_encode_host_result(struct priv_msg *m, uint32_t result);
int priv_decode_host_result(struct priv_msg *m, uint32_t *result);
/* NAME is the TLS SNI server name, "" when the client sent none. */
void priv_encode_tls_ready(struct priv_msg *m, const char *name);
int priv_decode_tls_ready(struct priv_msg *m, char *name, size_t size);
void priv_encode_tls_ready_ack(struct priv_msg *m);
int priv_decode_tls_ready_ack(struct priv_msg *m);

/* PRIV_START (monitor → pre-forked pre-auth engine, once, +fd): the
 * connection it is to serve. PRIV_ASSIGN (master → spare monitor, once,
 * +fd): a client connection and the vhost it arrived for. */
#define PRIV_START_TLS_CONTROL 1u

struct priv_start {
	uint32_t vhost; /* index into cfg->vhosts */
	uint32_t flags; /* PRIV_START_* */
	struct net_addr peer;
	struct net_addr local;
};

struct priv_assign {
	uint32_t vhost;
	uint32_t implicit_tls;
	uint32_t proxied;       /* a trusted proxy's PROXY header named: */
	struct net_addr client; /*   the real client (the session's peer) */
	struct net_addr proxy;  /*   the proxy, the socket's own peer */
};

void priv_encode_start(struct priv_msg *m, const struct priv_start *v, int fd);
int priv_decode_start(struct priv_msg *m, struct priv_start *v);
/* PRIV_RELAY_START (monitor → pre-forked relay, once, +fd): the TCP
 * connection to take TLS on, for the vhost chosen by AUTH TLS time. */
struct priv_relay_start {
	uint32_t vhost;             /* index into cfg->vhosts (and all_tls) */
	uint32_t handshake_timeout; /* seconds */
	struct net_addr local;      /* for SNI's vhost choice */
	uint32_t ticket_key_len;    /* 0, or the session's ticket key (tls.h): */
	unsigned char ticket_key[80];
};

void priv_encode_relay_start(struct priv_msg *m, const struct priv_relay_start *v, int fd);
int priv_decode_relay_start(struct priv_msg *m, struct priv_relay_start *v);
/* PRIV_ENGINE_START (monitor → pre-forked user engine, once, +fd): the
 * control connection, and the SIZE of the handoff datagram that follows
 * (monitor/standby.c). */
void priv_encode_engine_start(struct priv_msg *m, uint32_t size, int fd);
int priv_decode_engine_start(struct priv_msg *m, uint32_t *size);
void priv_encode_assign(struct priv_msg *m, const struct priv_assign *v, int fd);
int priv_decode_assign(struct priv_msg *m, struct priv_assign *v);

/* Private-key operations, done by the key holder (keys/keys.c) for a
 * TLS handshake in a process that has only the certificate. */
enum priv_key_type { KEY_RSA = 0, KEY_ECDSA = 1, KEY_TYPES };
enum priv_sign_op {
	SIGN_RSA_PKCS1 = 1, /* input: a DigestInfo; PKCS#1 v1.5 signature */
	SIGN_RSA_PSS,       /* input: a PSS-encoded block; raw RSA on it */
	SIGN_ECDSA,         /* input: a digest */
};
#define PRIV_SIGN_IN_MAX 1024 /* RSA-8192 */
#define PRIV_SIG_MAX 1024

struct priv_sign {
	uint32_t vhost;
	uint32_t key_type;
	uint32_t op;
	char name[PRIV_HOST_NAME_MAX]; /* the handshake's SNI, "" if none */
	uint32_t len;
	uint8_t in[PRIV_SIGN_IN_MAX];
};

struct priv_sign_result {
	uint32_t status; /* 0 = signed */
	uint32_t len;
	uint8_t sig[PRIV_SIG_MAX];
};

void priv_encode_sign(struct priv_msg *m, const struct priv_sign *v);
int priv_decode_sign(struct priv_msg *m, struct priv_sign *v);
void priv_encode_sign_result(struct priv_msg *m, const struct priv_sign_result *v);
int priv_decode_sign_result(struct priv_msg *m, struct priv_sign_result *v);

#define PRIV_CERT_DER_MAX 8000
#define PRIV_CHAIN_MAX 8

struct priv_keys_cert {
	uint32_t vhost;
	uint32_t key_type;
	uint32_t index; /* 0 = the server's own, then its chain */
	uint32_t len;
	uint8_t der[PRIV_CERT_DER_MAX];
};

void priv_encode_keys_cert(struct priv_msg *m, const struct priv_keys_cert *v);
int priv_decode_keys_cert(struct priv_msg *m, struct priv_keys_cert *v);
void priv_encode_keys_status(struct priv_msg *m, uint32_t status, const char *why);
int priv_decode_keys_status(struct priv_msg *m, uint32_t *status, char *why, size_t size);
void priv_encode_keys_link(struct priv_msg *m, int fd);
int priv_decode_keys_link(struct priv_msg *m);

void priv_encode_zyg_spawn(struct priv_msg *m, int fd, uint32_t ticket);
int priv_decode_zyg_spawn(struct priv_msg *m, uint32_t *ticket);
/* The answer to the spawn request TICKET: the new spare's PID, 0 when
 * the fork failed. */
void priv_encode_zyg_spawned(struct priv_msg *m, int32_t pid, uint32_t ticket);
int priv_decode_zyg_spawned(struct priv_msg *m, int32_t *pid, uint32_t *ticket);
/* SPAWNED and EXITED carry a pid. */
void priv_encode_zyg_pid(struct priv_msg *m, uint16_t type, int32_t pid);
int priv_decode_zyg_pid(struct priv_msg *m, int32_t *pid);
void priv_encode_zyg_masq(struct priv_msg *m, uint32_t vhost, bool ok, const struct net_addr *addr);
int priv_decode_zyg_masq(struct priv_msg *m, uint32_t *vhost, bool *ok, struct net_addr *addr);
void priv_encode_zyg_retire(struct priv_msg *m);

/* The NAT helper's report on one vhost. */
#define PRIV_NAT_PORTS_MAX 34
#define PRIV_NAT_REASON_MAX 256

struct priv_nat_state {
	uint32_t vhost;
	uint32_t proto;       /* 0 none worked, 1 PCP, 2 NAT-PMP, 3 UPnP-IGD */
	uint32_t external_ip; /* IPv4, network order; 0 = not learned */
	uint32_t lifetime;    /* seconds the gateway granted */
	uint32_t nports;
	uint16_t ports[PRIV_NAT_PORTS_MAX]; /* mapped, each to itself */
	char reason[PRIV_NAT_REASON_MAX];   /* why not, when proto is 0 */
};

void priv_encode_nat_state(struct priv_msg *m, const struct priv_nat_state *v);
int priv_decode_nat_state(struct priv_msg *m, struct priv_nat_state *v);
void priv_encode_nat_stop(struct priv_msg *m);
/* Who's on. Paths and names are cut to fit: they are only ever shown. */
#define PRIV_WHO_PATH_MAX 256
#define PRIV_WHO_NAME_MAX 64

struct priv_xfer_progress {
	uint32_t direction; /* XFER_DOWNLOAD or XFER_UPLOAD */
	uint64_t bytes;     /* moved so far in this transfer */
	char path[PRIV_WHO_PATH_MAX];
};

enum priv_who_session {
	WHO_LOGIN = 1, /* connected, not logged in */
	WHO_IDLE,      /* logged in, no transfer */
	WHO_DOWNLOAD,
	WHO_UPLOAD,
	WHO_NO_ANSWER, /* the master's entry: its monitor did not answer */
};

enum priv_who_kind { WHO_KIND_NONE = 0, WHO_KIND_LOCAL, WHO_KIND_GUEST, WHO_KIND_ANON };

struct priv_who_state {
	int32_t pid;           /* the monitor's; filled in by the master */
	uint32_t state;        /* WHO_* */
	uint32_t kind;         /* WHO_KIND_* */
	uint64_t connected_ms; /* since the session started */
	uint64_t idle_ms;      /* since the client last sent on the control
				* connection (the kernel's TCP_INFO) */
	uint64_t xfer_bytes;   /* the current transfer's, as the engine says */
	uint64_t xfer_ms;      /* since it started, on the monitor's clock */
	char vhost[PRIV_WHO_NAME_MAX];
	char client[NETADDR_STRLEN];
	char user[PRIV_USER_MAX];
	char path[PRIV_WHO_PATH_MAX];
};

void priv_encode_xfer_progress(struct priv_msg *m, const struct priv_xfer_progress *v);
int priv_decode_xfer_progress(struct priv_msg *m, struct priv_xfer_progress *v);
/* PRIV_WHO and PRIV_NAT_SHOW have no body: priv_msg_init(m, TYPE),
 * priv_msg_check(m). */
void priv_encode_who_state(struct priv_msg *m, const struct priv_who_state *v);
int priv_decode_who_state(struct priv_msg *m, struct priv_who_state *v);

#endif
