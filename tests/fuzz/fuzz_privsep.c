/* Every privsep decoder: a datagram as priv_recv hands it over
 * (priv_msg_decode), then the decoder its type names, and every other
 * decoder too (a hostile peer picks the type; a decoder must survive any
 * body). Monitor side and engine, relay, key holder, zygote sides alike:
 * they share privsep/proto.c. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "privsep/codec.h"
#include "privsep/proto.h"

static struct priv_msg decoded, m;

/* Big structures: static, so each run does not zero 20 KiB of stack. */
static union {
	struct priv_log log;
	struct priv_login login;
	struct priv_pasv_result pasv_result;
	struct priv_xfer xfer;
	struct priv_tls_session tls_session;
	struct priv_host host;
	struct priv_start start;
	struct priv_assign assign;
	struct priv_sign sign;
	struct priv_sign_result sign_result;
	struct priv_keys_cert keys_cert;
	struct priv_xfer_progress xfer_progress;
	struct priv_who_state who_state;
	struct net_addr addr;
	char name[PRIV_HOST_NAME_MAX];
} out;

static void fresh(void)
{
	memcpy(&m, &decoded, offsetof(struct priv_msg, body) + decoded.len);
}

static int decode_as(uint16_t type)
{
	uint32_t u;
	int32_t pid;
	bool ok;

	fresh();
	switch (type) {
	case PRIV_LOG: return priv_decode_log(&m, &out.log);
	case PRIV_LOGIN: return priv_decode_login(&m, &out.login);
	case PRIV_LOGIN_RESULT: return priv_decode_login_result(&m, &u);
	case PRIV_PASV: return priv_decode_pasv(&m, &u);
	case PRIV_PASV_RESULT: return priv_decode_pasv_result(&m, &out.pasv_result);
	case PRIV_XFER: return priv_decode_xfer(&m, &out.xfer);
	case PRIV_AUTH_TLS: return priv_decode_auth_tls(&m);
	case PRIV_AUTH_TLS_RESULT: return priv_decode_auth_tls_result(&m, &u);
	case PRIV_TLS_SESSION: return priv_decode_tls_session(&m, &out.tls_session);
	case PRIV_PORT_CONNECT: return priv_decode_port_connect(&m, &out.addr);
	case PRIV_PORT_RESULT: return priv_decode_port_result(&m, &u);
	case PRIV_CHOWN_UPLOAD: return priv_decode_chown_upload(&m);
	case PRIV_CHOWN_RESULT: return priv_decode_chown_result(&m, &u);
	case PRIV_HOST: return priv_decode_host(&m, &out.host);
	case PRIV_HOST_RESULT: return priv_decode_host_result(&m, &u);
	case PRIV_TLS_READY: return priv_decode_tls_ready(&m, out.name, sizeof(out.name));
	case PRIV_TLS_READY_ACK: return priv_decode_tls_ready_ack(&m);
	case PRIV_START: return priv_decode_start(&m, &out.start);
	case PRIV_ASSIGN: return priv_decode_assign(&m, &out.assign);
	case PRIV_SIGN: return priv_decode_sign(&m, &out.sign);
	case PRIV_SIGN_RESULT: return priv_decode_sign_result(&m, &out.sign_result);
	case PRIV_KEYS_LINK: return priv_decode_keys_link(&m);
	case PRIV_KEYS_CERT: return priv_decode_keys_cert(&m, &out.keys_cert);
	case PRIV_KEYS_STATUS: return priv_decode_keys_status(&m, &u, out.name, sizeof(out.name));
	case PRIV_ZYG_SPAWN: return priv_decode_zyg_spawn(&m, &u);
	case PRIV_ZYG_SPAWNED: return priv_decode_zyg_spawned(&m, &pid, &u);
	case PRIV_ZYG_EXITED: return priv_decode_zyg_pid(&m, &pid);
	case PRIV_ZYG_MASQ: return priv_decode_zyg_masq(&m, &u, &ok, &out.addr);
	case PRIV_XFER_PROGRESS: return priv_decode_xfer_progress(&m, &out.xfer_progress);
	case PRIV_WHO:
	case PRIV_NAT_SHOW: return priv_msg_check(&m);
	case PRIV_WHO_STATE: return priv_decode_who_state(&m, &out.who_state);
	default: return -1;
	}
}

/* A decoded string field must be a C string within its buffer. */
static void check_strings(uint16_t type, int rc)
{
	if (rc < 0)
		return;
	switch (type) {
	case PRIV_LOG:
		if (!memchr(out.log.line, '\0', sizeof(out.log.line)))
			__builtin_trap();
		break;
	case PRIV_LOGIN:
		if (!memchr(out.login.user, '\0', sizeof(out.login.user)) ||
		    !memchr(out.login.pass, '\0', sizeof(out.login.pass)) ||
		    out.login.npending > sizeof(out.login.pending))
			__builtin_trap();
		break;
	case PRIV_HOST:
		if (!memchr(out.host.name, '\0', sizeof(out.host.name)) ||
		    out.host.npending > sizeof(out.host.pending))
			__builtin_trap();
		break;
	case PRIV_SIGN:
		if (out.sign.len > sizeof(out.sign.in))
			__builtin_trap();
		break;
	default: break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t wire[PRIV_HDR_LEN + PRIV_BODY_MAX];
	int n;

	if (priv_msg_decode(&decoded, data, size) < 0)
		return 0;
	for (uint16_t t = PRIV_LOG; t < PRIV_TYPE_END; t++) {
		int rc = decode_as(t);
		check_strings(t, rc);
	}
	/* What decoded re-encodes to the same datagram. */
	fresh();
	n = priv_msg_encode(&m, wire, sizeof(wire));
	if (n != (int)size || memcmp(wire, data, size) != 0)
		__builtin_trap();
	return 0;
}
