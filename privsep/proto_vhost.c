/* Encoders and decoders of the vhost-selection messages in proto.h (HOST,
 * TLS_READY). Every decoder checks bounds and that nothing trails. */
#include <string.h>

#include "privsep/proto.h"

void priv_encode_host(struct priv_msg *m, const struct priv_host *v)
{
	priv_msg_init(m, PRIV_HOST);
	priv_put_u32(m, v->carry);
	priv_put_u32(m, v->mlst_facts);
	priv_put_str(m, v->name);
	priv_put_bytes(m, v->pending, v->npending);
}

int priv_decode_host(struct priv_msg *m, struct priv_host *v)
{
	v->carry = priv_get_u32(m);
	v->mlst_facts = priv_get_u32(m);
	if (v->carry & ~(uint32_t)(CARRY_PBSZ | CARRY_PROT_P))
		return -1;
	priv_get_str(m, v->name, sizeof(v->name));
	v->npending = (uint32_t)priv_get_bytes(m, v->pending, sizeof(v->pending));
	if (priv_msg_check(m) < 0 || v->name[0] == '\0')
		return -1;
	return 0;
}

void priv_encode_host_result(struct priv_msg *m, uint32_t result)
{
	priv_msg_init(m, PRIV_HOST_RESULT);
	priv_put_u32(m, result);
}

int priv_decode_host_result(struct priv_msg *m, uint32_t *result)
{
	*result = priv_get_u32(m);
	if (*result != HOST_UNKNOWN)
		return -1;
	return priv_msg_check(m);
}

void priv_encode_tls_ready(struct priv_msg *m, const char *name)
{
	priv_msg_init(m, PRIV_TLS_READY);
	priv_put_str(m, name);
}

int priv_decode_tls_ready(struct priv_msg *m, char *name, size_t size)
{
	priv_get_str(m, name, size);
	return priv_msg_check(m);
}

void priv_encode_tls_ready_ack(struct priv_msg *m)
{
	priv_msg_init(m, PRIV_TLS_READY_ACK);
}

int priv_decode_tls_ready_ack(struct priv_msg *m)
{
	return priv_msg_check(m);
}
