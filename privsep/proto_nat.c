/* Encoders and decoders of the NAT helper's messages in proto.h
 * (NAT_STATE, NAT_STOP). Every decoder checks bounds and that nothing
 * trails. */
#include <string.h>

#include "privsep/proto.h"

void priv_encode_nat_state(struct priv_msg *m, const struct priv_nat_state *v)
{
	uint32_t n = v->nports <= PRIV_NAT_PORTS_MAX ? v->nports : PRIV_NAT_PORTS_MAX;

	priv_msg_init(m, PRIV_NAT_STATE);
	priv_put_u32(m, v->vhost);
	priv_put_u32(m, v->proto);
	priv_put_u32(m, v->external_ip);
	priv_put_u32(m, v->lifetime);
	priv_put_bytes(m, v->ports, n * sizeof(v->ports[0]));
	priv_put_str(m, v->reason);
}

/* Untrusted: from the NAT helper, which reads what the router says. */
int priv_decode_nat_state(struct priv_msg *m, struct priv_nat_state *v)
{
	size_t bytes;

	memset(v, 0, sizeof(*v));
	v->vhost = priv_get_u32(m);
	v->proto = priv_get_u32(m);
	v->external_ip = priv_get_u32(m);
	v->lifetime = priv_get_u32(m);
	bytes = priv_get_bytes(m, v->ports, sizeof(v->ports));
	priv_get_str(m, v->reason, sizeof(v->reason));
	if (priv_msg_check(m) < 0 || v->proto > 3 || bytes % sizeof(v->ports[0]) != 0)
		return -1;
	v->nports = (uint32_t)(bytes / sizeof(v->ports[0]));
	for (uint32_t i = 0; i < v->nports; i++)
		if (v->ports[i] == 0)
			return -1;
	return 0;
}

void priv_encode_nat_stop(struct priv_msg *m)
{
	priv_msg_init(m, PRIV_NAT_STOP);
}
