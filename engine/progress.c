/* Transfer progress for the monitor (`ftpsd -w`): one message when a
 * RETR/STOR starts, then at most one a second while bytes move, so a
 * transfer costs its monitor a handful of messages, never one per chunk.
 * The monitor holds us to that rate on its own clock. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/xfer.h"
#include "privsep/proto.h"

#define PROGRESS_EVERY_MS 1000

static int64_t progress_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int xfer_progress_due_ms(const struct xfer *x)
{
	int64_t left;

	if (!x->path || x->s->priv_fd < 0 || x->bytes == x->progress_bytes)
		return -1;
	left = x->progress_ms + PROGRESS_EVERY_MS - progress_now_ms();
	return left < 0 ? 0 : (int)left;
}

void xfer_progress(struct xfer *x)
{
	struct priv_xfer_progress p;
	struct priv_msg m;
	int64_t now;

	if (!x->path || x->s->priv_fd < 0)
		return;
	now = progress_now_ms();
	if (x->progress_ms && now - x->progress_ms < PROGRESS_EVERY_MS)
		return;
	x->progress_ms = now;
	x->progress_bytes = x->bytes;
	memset(&p, 0, sizeof(p));
	p.direction = x->upload ? XFER_UPLOAD : XFER_DOWNLOAD;
	p.bytes = x->bytes;
	snprintf(p.path, sizeof(p.path), "%s", x->path); /* cut: only shown */
	priv_encode_xfer_progress(&m, &p);
	(void)priv_send(x->s->priv_fd, &m);
}
