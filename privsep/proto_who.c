/* Encoders and decoders of the who's-on messages in proto.h (XFER_PROGRESS,
 * WHO_STATE; PRIV_WHO has no body: priv_msg_init and priv_msg_check).
 * Every decoder checks bounds and that nothing trails. */
#include <string.h>

#include "privsep/proto.h"

void priv_encode_xfer_progress(struct priv_msg *m, const struct priv_xfer_progress *v)
{
	priv_msg_init(m, PRIV_XFER_PROGRESS);
	priv_put_u32(m, v->direction);
	priv_put_u64(m, v->bytes);
	priv_put_str(m, v->path);
}

int priv_decode_xfer_progress(struct priv_msg *m, struct priv_xfer_progress *v)
{
	memset(v, 0, sizeof(*v));
	v->direction = priv_get_u32(m);
	v->bytes = priv_get_u64(m);
	priv_get_str(m, v->path, sizeof(v->path));
	if (v->direction != XFER_DOWNLOAD && v->direction != XFER_UPLOAD)
		return -1;
	return priv_msg_check(m);
}

void priv_encode_who_state(struct priv_msg *m, const struct priv_who_state *v)
{
	priv_msg_init(m, PRIV_WHO_STATE);
	priv_put_u32(m, (uint32_t)v->pid);
	priv_put_u32(m, v->state);
	priv_put_u32(m, v->kind);
	priv_put_u64(m, v->connected_ms);
	priv_put_u64(m, v->idle_ms);
	priv_put_u64(m, v->xfer_bytes);
	priv_put_u64(m, v->xfer_ms);
	priv_put_str(m, v->vhost);
	priv_put_str(m, v->client);
	priv_put_str(m, v->user);
	priv_put_str(m, v->path);
}

int priv_decode_who_state(struct priv_msg *m, struct priv_who_state *v)
{
	memset(v, 0, sizeof(*v));
	v->pid = (int32_t)priv_get_u32(m);
	v->state = priv_get_u32(m);
	v->kind = priv_get_u32(m);
	v->connected_ms = priv_get_u64(m);
	v->idle_ms = priv_get_u64(m);
	v->xfer_bytes = priv_get_u64(m);
	v->xfer_ms = priv_get_u64(m);
	priv_get_str(m, v->vhost, sizeof(v->vhost));
	priv_get_str(m, v->client, sizeof(v->client));
	priv_get_str(m, v->user, sizeof(v->user));
	priv_get_str(m, v->path, sizeof(v->path));
	if (v->state < WHO_LOGIN || v->state > WHO_NO_ANSWER || v->kind > WHO_KIND_ANON)
		return -1;
	return priv_msg_check(m);
}
