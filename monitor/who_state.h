/* The monitor's part of `ftpsd -w`: the transfer in progress as the engine
 * reports it (untrusted, so held to a rate and to sense here), and the
 * answer to the master's PRIV_WHO. */
#ifndef FTPSD_MONITOR_WHO_STATE_H
#define FTPSD_MONITOR_WHO_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "privsep/proto.h"

/* The engine reports at most once a second (engine/progress.c); we allow
 * some jitter, not a flood. */
#define WHO_PROGRESS_MIN_MS 500

struct who_xfer {
	uint32_t direction; /* 0: no transfer */
	uint64_t bytes;
	long long started_ms; /* our clock (CLOCK_MONOTONIC) */
	long long last_ms;    /* the last report we took */
	char path[PRIV_WHO_PATH_MAX];
};

/* Take the engine's report P at NOW_MS. Returns 0, or -1 with *WHY set
 * (too often, bytes that went backwards, a direction that changed midway):
 * a violation. The path is cut at the first control byte. Pure. */
int who_progress_take(struct who_xfer *w, const struct priv_xfer_progress *p, long long now_ms,
		      const char **why);

/* The transfer ended (PRIV_XFER): the next report starts a new one. */
void who_xfer_end(struct who_xfer *w);

/* What the monitor knows of its session, for who_state_fill. */
struct who_session {
	const char *vhost;
	const char *client;
	const char *user; /* NULL before login */
	uint32_t kind;    /* WHO_KIND_* */
	long long started_ms;
	int client_fd; /* the TCP control connection, for idle time */
};

/* OUT for the master at NOW_MS. Pure but for TCP_INFO on client_fd. */
void who_state_fill(struct priv_who_state *out, const struct who_session *s,
		    const struct who_xfer *w, long long now_ms);

#endif
