/* Encoders and decoders for the messages in proto.h. Every decoder checks
 * field bounds and that nothing trails the last field. */
#include "privsep/proto.h"

#include <arpa/inet.h>
#include <string.h>

#include "common/log.h"

void priv_encode_log(struct priv_msg *m, const struct priv_log *v)
{
	priv_msg_init(m, PRIV_LOG);
	priv_put_u32(m, v->level);
	priv_put_str(m, v->line);
}

int priv_decode_log(struct priv_msg *m, struct priv_log *v)
{
	v->level = priv_get_u32(m);
	priv_get_str(m, v->line, sizeof(v->line));
	if (v->level > LOG_LVL_DEBUG)
		return -1;
	return priv_msg_check(m);
}

void priv_encode_login(struct priv_msg *m, const struct priv_login *v)
{
	priv_msg_init(m, PRIV_LOGIN);
	priv_put_u32(m, v->carry);
	priv_put_u32(m, v->mlst_facts);
	priv_put_str(m, v->user);
	priv_put_str(m, v->pass);
	priv_put_bytes(m, v->pending, v->npending);
}

int priv_decode_login(struct priv_msg *m, struct priv_login *v)
{
	v->carry = priv_get_u32(m);
	v->mlst_facts = priv_get_u32(m);
	if (v->carry & ~(uint32_t)(CARRY_PBSZ | CARRY_PROT_P))
		return -1;
	priv_get_str(m, v->user, sizeof(v->user));
	priv_get_str(m, v->pass, sizeof(v->pass));
	v->npending = (uint32_t)priv_get_bytes(m, v->pending, sizeof(v->pending));
	return priv_msg_check(m);
}

void priv_encode_login_result(struct priv_msg *m, uint32_t result)
{
	priv_msg_init(m, PRIV_LOGIN_RESULT);
	priv_put_u32(m, result);
}

int priv_decode_login_result(struct priv_msg *m, uint32_t *result)
{
	*result = priv_get_u32(m);
	if (*result != LOGIN_FAIL && *result != LOGIN_CLOSE)
		return -1;
	return priv_msg_check(m);
}

void priv_encode_pasv(struct priv_msg *m, uint32_t kind)
{
	priv_msg_init(m, PRIV_PASV);
	priv_put_u32(m, kind);
}

int priv_decode_pasv(struct priv_msg *m, uint32_t *kind)
{
	*kind = priv_get_u32(m);
	if (*kind != PASV_KIND_PASV && *kind != PASV_KIND_EPSV)
		return -1;
	return priv_msg_check(m);
}

void priv_encode_pasv_result(struct priv_msg *m, const struct priv_pasv_result *v)
{
	char ip[NETADDR_STRLEN] = "";

	priv_msg_init(m, PRIV_PASV_RESULT);
	priv_put_u32(m, v->status);
	if (v->status == PASV_OK)
		net_addr_ip_string(&v->advertise, ip, sizeof(ip));
	priv_put_str(m, ip);
	priv_put_u32(m, v->status == PASV_OK ? net_addr_port(&v->advertise) : 0);
	m->fd = v->status == PASV_OK ? v->fd : -1;
}

int priv_decode_pasv_result(struct priv_msg *m, struct priv_pasv_result *v)
{
	char ip[NETADDR_STRLEN];
	uint32_t port;

	memset(v, 0, sizeof(*v));
	v->status = priv_get_u32(m);
	priv_get_str(m, ip, sizeof(ip));
	port = priv_get_u32(m);
	v->fd = m->fd;
	if (priv_msg_check(m) < 0 || v->status > PASV_ERROR)
		return -1;
	if (v->status != PASV_OK)
		return v->fd < 0 ? 0 : -1;
	if (v->fd < 0 || net_addr_parse(&v->advertise, ip, port) < 0)
		return -1;
	return 0;
}

void priv_encode_xfer(struct priv_msg *m, const struct priv_xfer *v)
{
	priv_msg_init(m, PRIV_XFER);
	priv_put_u32(m, v->direction);
	priv_put_u32(m, v->ascii);
	priv_put_u32(m, v->complete);
	priv_put_u64(m, v->bytes);
	priv_put_u64(m, v->msecs);
	priv_put_str(m, v->path);
}

int priv_decode_xfer(struct priv_msg *m, struct priv_xfer *v)
{
	v->direction = priv_get_u32(m);
	v->ascii = priv_get_u32(m);
	v->complete = priv_get_u32(m);
	v->bytes = priv_get_u64(m);
	v->msecs = priv_get_u64(m);
	priv_get_str(m, v->path, sizeof(v->path));
	if (v->direction != XFER_DOWNLOAD && v->direction != XFER_UPLOAD)
		return -1;
	if (v->ascii > 1 || v->complete > 1)
		return -1;
	return priv_msg_check(m);
}

void priv_encode_auth_tls(struct priv_msg *m)
{
	priv_msg_init(m, PRIV_AUTH_TLS);
}

int priv_decode_auth_tls(struct priv_msg *m)
{
	return priv_msg_check(m);
}

void priv_encode_auth_tls_result(struct priv_msg *m, uint32_t status, int fd)
{
	priv_msg_init(m, PRIV_AUTH_TLS_RESULT);
	priv_put_u32(m, status);
	m->fd = status == 0 ? fd : -1;
}

int priv_decode_auth_tls_result(struct priv_msg *m, uint32_t *status)
{
	*status = priv_get_u32(m);
	if (priv_msg_check(m) < 0)
		return -1;
	/* Success carries exactly one fd, failure none. */
	return (*status == 0) == (m->fd >= 0) ? 0 : -1;
}

void priv_encode_tls_session(struct priv_msg *m, const struct priv_tls_session *v)
{
	priv_msg_init(m, PRIV_TLS_SESSION);
	priv_put_bytes(m, v->der, v->len);
}

int priv_decode_tls_session(struct priv_msg *m, struct priv_tls_session *v)
{
	v->len = (uint32_t)priv_get_bytes(m, v->der, sizeof(v->der));
	if (v->len == 0)
		return -1;
	return priv_msg_check(m);
}

void priv_encode_relay_handoff(struct priv_msg *m)
{
	priv_msg_init(m, PRIV_RELAY_HANDOFF);
}

int priv_decode_relay_handoff(struct priv_msg *m)
{
	return priv_msg_check(m);
}

void priv_encode_tls_handoff(struct priv_msg *m, const struct priv_tls_keys *k)
{
	priv_msg_init(m, PRIV_TLS_HANDOFF);
	priv_put_u32(m, k ? 0 : 1);
	if (!k)
		return;
	priv_put_u32(m, k->suite);
	priv_put_bytes(m, k->read_secret, k->secret_len);
	priv_put_bytes(m, k->write_secret, k->secret_len);
	priv_put_u64(m, k->read_seq);
	priv_put_u64(m, k->write_seq);
}

int priv_decode_tls_handoff(struct priv_msg *m, struct priv_tls_keys *k)
{
	uint32_t status = priv_get_u32(m), suite;
	size_t rlen, wlen;

	memset(k, 0, sizeof(*k));
	if (status != 0)
		return status == 1 && priv_msg_check(m) == 0 ? 0 : -1;
	suite = priv_get_u32(m);
	rlen = priv_get_bytes(m, k->read_secret, sizeof(k->read_secret));
	wlen = priv_get_bytes(m, k->write_secret, sizeof(k->write_secret));
	k->read_seq = priv_get_u64(m);
	k->write_seq = priv_get_u64(m);
	if (priv_msg_check(m) < 0 || suite > 0xffff || rlen == 0 || rlen != wlen)
		return -1;
	k->suite = (uint16_t)suite;
	k->secret_len = (uint8_t)rlen;
	return 1;
}

void priv_encode_port_connect(struct priv_msg *m, const struct net_addr *target)
{
	char ip[NETADDR_STRLEN];

	/* The literal form of the family the engine chose: a mapped IPv6
	 * address stays mapped, so the monitor sees exactly what it gets. */
	priv_msg_init(m, PRIV_PORT_CONNECT);
	ip[0] = '\0';
	if (net_addr_family(target) == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&target->ss)->sin6_addr, ip,
			  sizeof(ip));
	else if (net_addr_family(target) == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&target->ss)->sin_addr, ip,
			  sizeof(ip));
	priv_put_str(m, ip);
	priv_put_u32(m, net_addr_port(target));
}

int priv_decode_port_connect(struct priv_msg *m, struct net_addr *target)
{
	char ip[NETADDR_STRLEN];
	uint32_t port;

	priv_get_str(m, ip, sizeof(ip));
	port = priv_get_u32(m);
	if (priv_msg_check(m) < 0 || port > 65535)
		return -1;
	return net_addr_parse(target, ip, port);
}

void priv_encode_port_result(struct priv_msg *m, uint32_t status, int fd)
{
	priv_msg_init(m, PRIV_PORT_RESULT);
	priv_put_u32(m, status);
	m->fd = status == PORT_CONN_OK ? fd : -1;
}

int priv_decode_port_result(struct priv_msg *m, uint32_t *status)
{
	*status = priv_get_u32(m);
	if (priv_msg_check(m) < 0 || *status > PORT_CONN_FAILED)
		return -1;
	return (*status == PORT_CONN_OK) == (m->fd >= 0) ? 0 : -1;
}

void priv_encode_chown_upload(struct priv_msg *m, int fd)
{
	priv_msg_init(m, PRIV_CHOWN_UPLOAD);
	m->fd = fd;
}

int priv_decode_chown_upload(struct priv_msg *m)
{
	return priv_msg_check(m);
}

void priv_encode_chown_result(struct priv_msg *m, uint32_t status)
{
	priv_msg_init(m, PRIV_CHOWN_RESULT);
	priv_put_u32(m, status);
}

int priv_decode_chown_result(struct priv_msg *m, uint32_t *status)
{
	*status = priv_get_u32(m);
	if (priv_msg_check(m) < 0 || *status > 1)
		return -1;
	return 0;
}

static void put_addr(struct priv_msg *m, const struct net_addr *a)
{
	char ip[NETADDR_STRLEN];

	net_addr_ip_string(a, ip, sizeof(ip));
	priv_put_str(m, ip);
	priv_put_u32(m, net_addr_port(a));
}

static int get_addr(struct priv_msg *m, struct net_addr *a)
{
	char ip[NETADDR_STRLEN];
	uint32_t port;

	priv_get_str(m, ip, sizeof(ip));
	port = priv_get_u32(m);
	return m->bad ? -1 : net_addr_parse(a, ip, port);
}

void priv_encode_start(struct priv_msg *m, const struct priv_start *v, int fd)
{
	priv_msg_init(m, PRIV_START);
	priv_put_u32(m, v->vhost);
	priv_put_u32(m, v->flags);
	put_addr(m, &v->peer);
	put_addr(m, &v->local);
	m->fd = fd;
}

int priv_decode_start(struct priv_msg *m, struct priv_start *v)
{
	v->vhost = priv_get_u32(m);
	v->flags = priv_get_u32(m);
	if (get_addr(m, &v->peer) < 0 || get_addr(m, &v->local) < 0 ||
	    (v->flags & ~PRIV_START_TLS_CONTROL))
		return -1;
	return priv_msg_check(m);
}

void priv_encode_relay_start(struct priv_msg *m, const struct priv_relay_start *v, int fd)
{
	priv_msg_init(m, PRIV_RELAY_START);
	priv_put_u32(m, v->vhost);
	priv_put_u32(m, v->handshake_timeout);
	put_addr(m, &v->local);
	priv_put_bytes(m, v->ticket_key, v->ticket_key_len);
	m->fd = fd;
}

int priv_decode_relay_start(struct priv_msg *m, struct priv_relay_start *v)
{
	v->vhost = priv_get_u32(m);
	v->handshake_timeout = priv_get_u32(m);
	if (get_addr(m, &v->local) < 0)
		return -1;
	v->ticket_key_len = (uint32_t)priv_get_bytes(m, v->ticket_key, sizeof(v->ticket_key));
	if (v->ticket_key_len != 0 && v->ticket_key_len != sizeof(v->ticket_key))
		return -1;
	return priv_msg_check(m);
}

void priv_encode_assign(struct priv_msg *m, const struct priv_assign *v, int fd)
{
	priv_msg_init(m, PRIV_ASSIGN);
	priv_put_u32(m, v->vhost);
	priv_put_u32(m, v->implicit_tls);
	priv_put_u32(m, v->proxied);
	if (v->proxied) {
		put_addr(m, &v->client);
		put_addr(m, &v->proxy);
	}
	m->fd = fd;
}

int priv_decode_assign(struct priv_msg *m, struct priv_assign *v)
{
	v->vhost = priv_get_u32(m);
	v->implicit_tls = priv_get_u32(m);
	v->proxied = priv_get_u32(m);
	memset(&v->client, 0, sizeof(v->client));
	memset(&v->proxy, 0, sizeof(v->proxy));
	if (v->proxied == 1 && (get_addr(m, &v->client) < 0 || get_addr(m, &v->proxy) < 0))
		return -1;
	if (v->implicit_tls > 1 || v->proxied > 1)
		return -1;
	return priv_msg_check(m);
}

void priv_encode_sign(struct priv_msg *m, const struct priv_sign *v)
{
	priv_msg_init(m, PRIV_SIGN);
	priv_put_u32(m, v->vhost);
	priv_put_u32(m, v->key_type);
	priv_put_u32(m, v->op);
	priv_put_str(m, v->name);
	priv_put_bytes(m, v->in, v->len);
}

int priv_decode_sign(struct priv_msg *m, struct priv_sign *v)
{
	v->vhost = priv_get_u32(m);
	v->key_type = priv_get_u32(m);
	v->op = priv_get_u32(m);
	priv_get_str(m, v->name, sizeof(v->name));
	v->len = (uint32_t)priv_get_bytes(m, v->in, sizeof(v->in));
	if (v->key_type >= KEY_TYPES || v->op < SIGN_RSA_PKCS1 || v->op > SIGN_ECDSA ||
	    (v->op == SIGN_ECDSA) != (v->key_type == KEY_ECDSA) || v->len == 0)
		return -1;
	return priv_msg_check(m);
}

void priv_encode_sign_result(struct priv_msg *m, const struct priv_sign_result *v)
{
	priv_msg_init(m, PRIV_SIGN_RESULT);
	priv_put_u32(m, v->status);
	priv_put_bytes(m, v->sig, v->status == 0 ? v->len : 0);
}

int priv_decode_sign_result(struct priv_msg *m, struct priv_sign_result *v)
{
	v->status = priv_get_u32(m);
	v->len = (uint32_t)priv_get_bytes(m, v->sig, sizeof(v->sig));
	if ((v->status == 0) != (v->len > 0))
		return -1;
	return priv_msg_check(m);
}

void priv_encode_keys_cert(struct priv_msg *m, const struct priv_keys_cert *v)
{
	priv_msg_init(m, PRIV_KEYS_CERT);
	priv_put_u32(m, v->vhost);
	priv_put_u32(m, v->key_type);
	priv_put_u32(m, v->index);
	priv_put_bytes(m, v->der, v->len);
}

int priv_decode_keys_cert(struct priv_msg *m, struct priv_keys_cert *v)
{
	v->vhost = priv_get_u32(m);
	v->key_type = priv_get_u32(m);
	v->index = priv_get_u32(m);
	v->len = (uint32_t)priv_get_bytes(m, v->der, sizeof(v->der));
	if (v->key_type >= KEY_TYPES || v->index >= PRIV_CHAIN_MAX || v->len == 0)
		return -1;
	return priv_msg_check(m);
}

void priv_encode_keys_status(struct priv_msg *m, uint32_t status, const char *why)
{
	priv_msg_init(m, PRIV_KEYS_STATUS);
	priv_put_u32(m, status);
	priv_put_str(m, why);
}

int priv_decode_keys_status(struct priv_msg *m, uint32_t *status, char *why, size_t size)
{
	*status = priv_get_u32(m);
	priv_get_str(m, why, size);
	return priv_msg_check(m);
}

void priv_encode_keys_link(struct priv_msg *m, int fd)
{
	priv_msg_init(m, PRIV_KEYS_LINK);
	m->fd = fd;
}

int priv_decode_keys_link(struct priv_msg *m)
{
	return priv_msg_check(m);
}

void priv_encode_zyg_spawn(struct priv_msg *m, int fd, uint32_t ticket)
{
	priv_msg_init(m, PRIV_ZYG_SPAWN);
	priv_put_u32(m, ticket);
	m->fd = fd;
}

int priv_decode_zyg_spawn(struct priv_msg *m, uint32_t *ticket)
{
	*ticket = priv_get_u32(m);
	return priv_msg_check(m);
}

void priv_encode_zyg_spawned(struct priv_msg *m, int32_t pid, uint32_t ticket)
{
	priv_msg_init(m, PRIV_ZYG_SPAWNED);
	priv_put_u32(m, (uint32_t)pid);
	priv_put_u32(m, ticket);
}

int priv_decode_zyg_spawned(struct priv_msg *m, int32_t *pid, uint32_t *ticket)
{
	*pid = (int32_t)priv_get_u32(m);
	*ticket = priv_get_u32(m);
	if (*pid < 0)
		return -1;
	return priv_msg_check(m);
}

void priv_encode_zyg_pid(struct priv_msg *m, uint16_t type, int32_t pid)
{
	priv_msg_init(m, type);
	priv_put_u32(m, (uint32_t)pid);
}

int priv_decode_zyg_pid(struct priv_msg *m, int32_t *pid)
{
	*pid = (int32_t)priv_get_u32(m);
	if (*pid < 0)
		return -1;
	return priv_msg_check(m);
}

void priv_encode_zyg_masq(struct priv_msg *m, uint32_t vhost, bool ok, const struct net_addr *addr)
{
	priv_msg_init(m, PRIV_ZYG_MASQ);
	priv_put_u32(m, vhost);
	priv_put_u32(m, ok);
	if (ok)
		put_addr(m, addr);
}

int priv_decode_zyg_masq(struct priv_msg *m, uint32_t *vhost, bool *ok, struct net_addr *addr)
{
	uint32_t flag;

	*vhost = priv_get_u32(m);
	flag = priv_get_u32(m);
	*ok = flag == 1;
	if (flag > 1 || (*ok && get_addr(m, addr) < 0))
		return -1;
	return priv_msg_check(m);
}

void priv_encode_zyg_retire(struct priv_msg *m)
{
	priv_msg_init(m, PRIV_ZYG_RETIRE);
}

void priv_encode_engine_start(struct priv_msg *m, uint32_t size, int fd)
{
	priv_msg_init(m, PRIV_ENGINE_START);
	priv_put_u32(m, size);
	m->fd = fd;
}

int priv_decode_engine_start(struct priv_msg *m, uint32_t *size)
{
	*size = priv_get_u32(m);
	return priv_msg_check(m);
}
