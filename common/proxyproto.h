/* The PROXY protocol (HAProxy's, versions 1 and 2): the few bytes an L4
 * proxy sends before the client's own, naming the client it relays. The
 * parser is pure and bounded; every byte it sees is hostile (it may come
 * from anyone who can reach the port), and it never reads past the
 * header's end, so what follows stays on the socket for TLS or FTP. */
#ifndef FTPSD_PROXYPROTO_H
#define FTPSD_PROXYPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/netaddr.h"

/* Version 1 is one line of at most 107 bytes with its CRLF (the spec's
 * own bound). Version 2 is 16 bytes plus up to 65535 more; we take up to
 * PROXY_HEADER_MAX in all: addresses (36 bytes for TCP6) and the TLVs
 * real proxies send (AWS, Azure, HAProxy's unique id and SSL TLVs) fit
 * many times over. */
#define PROXY_V1_MAX 107
#define PROXY_HEADER_MAX 1024

enum proxy_status {
	PROXY_ERROR = -1, /* not a header, or a broken one: reason set */
	PROXY_MORE = 0,   /* a valid start; every byte so far is header */
	PROXY_DONE = 1,   /* a whole header: out filled */
};

struct proxy_header {
	unsigned version;    /* 1 or 2 */
	bool local;          /* v2 LOCAL, v1 UNKNOWN: no client named (the
			      * proxy's own health check); use the socket */
	struct net_addr src; /* the client, when !local */
	struct net_addr dst; /* the address the client dialled, when !local */
	size_t len;          /* bytes of the header, its TLVs included */
};

/* Look at the first LEN bytes a connection sent. PROXY_MORE means the
 * bytes are a valid beginning and the header does not end within them,
 * so all of them may be consumed; PROXY_DONE that OUT->len bytes are the
 * header (the rest belongs to the client). On PROXY_ERROR *WHY names the
 * fault in words fit for a log line. */
enum proxy_status proxy_header_parse(const uint8_t *buf, size_t len, struct proxy_header *out,
				     const char **why);

/* Does BUF (LEN bytes, perhaps a prefix) begin like a PROXY header? For
 * noticing one sent by a client that may not send one. */
bool proxy_header_looks_like(const uint8_t *buf, size_t len);

#endif
