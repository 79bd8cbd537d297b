#include "monitor/who_state.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int who_progress_take(struct who_xfer *w, const struct priv_xfer_progress *p, long long now_ms,
		      const char **why)
{
	/* Untrusted: from the engine. */
	if (w->direction && now_ms - w->last_ms < WHO_PROGRESS_MIN_MS) {
		*why = "transfer progress more often than once a second";
		return -1;
	}
	if (w->direction && p->direction != w->direction) {
		*why = "transfer progress changed direction";
		return -1;
	}
	if (w->direction && p->bytes < w->bytes) {
		*why = "transfer progress went backwards";
		return -1;
	}
	if (!w->direction) {
		memset(w, 0, sizeof(*w));
		w->direction = p->direction;
		w->started_ms = now_ms;
		snprintf(w->path, sizeof(w->path), "%s", p->path);
		for (char *c = w->path; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f) {
				*c = '\0';
				break;
			}
	}
	w->bytes = p->bytes;
	w->last_ms = now_ms;
	return 0;
}

void who_xfer_end(struct who_xfer *w)
{
	memset(w, 0, sizeof(*w));
}

/* Milliseconds since the client last sent data on FD: the kernel's own
 * count, which neither the engine nor the relay can bend. */
static uint64_t idle_ms(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return 0;
	return ti.tcpi_last_data_recv;
}

void who_state_fill(struct priv_who_state *out, const struct who_session *s,
		    const struct who_xfer *w, long long now_ms)
{
	memset(out, 0, sizeof(*out));
	out->kind = s->kind;
	out->state = !s->user                        ? WHO_LOGIN
		     : w->direction == XFER_DOWNLOAD ? WHO_DOWNLOAD
		     : w->direction == XFER_UPLOAD   ? WHO_UPLOAD
						     : WHO_IDLE;
	out->connected_ms = now_ms > s->started_ms ? (uint64_t)(now_ms - s->started_ms) : 0;
	out->idle_ms = idle_ms(s->client_fd);
	/* The kernel counts in jiffies: never idle longer than connected. */
	if (out->idle_ms > out->connected_ms)
		out->idle_ms = out->connected_ms;
	if (w->direction) {
		out->xfer_bytes = w->bytes;
		out->xfer_ms = now_ms > w->started_ms ? (uint64_t)(now_ms - w->started_ms) : 0;
		snprintf(out->path, sizeof(out->path), "%s", w->path);
	}
	snprintf(out->vhost, sizeof(out->vhost), "%s", s->vhost ? s->vhost : "");
	snprintf(out->client, sizeof(out->client), "%s", s->client ? s->client : "");
	snprintf(out->user, sizeof(out->user), "%s", s->user ? s->user : "");
}
