/* Reading a PROXY header off a socket: never a byte past its end (what
 * follows is the client's TLS or FTP), never more than PROXY_HEADER_MAX,
 * and never without a deadline. */
#ifndef FTPSD_PROXYREAD_H
#define FTPSD_PROXYREAD_H

#include "common/proxyproto.h"

/* The deadline of a header, from the connection's accept: proxies send it
 * with their first segment, so this only bounds a slow or silent peer. */
#define PROXY_READ_TIMEOUT_MS 5000

struct proxy_reader {
	uint8_t buf[PROXY_HEADER_MAX];
	size_t have; /* consumed so far, all of it header */
	bool closed; /* the peer closed (PROXY_ERROR from a step) */
};

/* One step on FD, which may be non-blocking: takes what has arrived, up
 * to the header's end. PROXY_MORE when the rest has not arrived yet (poll
 * FD and call again); PROXY_DONE with OUT; PROXY_ERROR with *WHY (also for
 * a peer that closed or a socket error). */
enum proxy_status proxy_read_step(struct proxy_reader *r, int fd, struct proxy_header *out,
				  const char **why);

/* The whole header from FD within TIMEOUT_MS (poll; FD may block). */
enum proxy_status proxy_read(int fd, int timeout_ms, struct proxy_header *out, const char **why);

#endif
