/* common/proxyproto.c: the first bytes of a connection, as a proxy (or
 * anyone pretending to be one) sends them. A header never claims more
 * bytes than were given or than the bounds; every proper prefix of a
 * whole header is "more" (so the reader never consumes past its end);
 * a prefix of a "more" input is "more" too; addresses are IPv4 or IPv6. */
#include <stdint.h>
#include <string.h>

#include "common/proxyproto.h"

static void check_addr(const struct net_addr *a)
{
	int f = net_addr_family(a);

	if ((f != AF_INET && f != AF_INET6) || a->len > sizeof(a->ss))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header h, h2;
	const char *why = NULL;
	enum proxy_status st;

	if (size > 2 * PROXY_HEADER_MAX)
		return 0;
	st = proxy_header_parse(data, size, &h, &why);
	if (st == PROXY_ERROR && !why)
		__builtin_trap();
	if (st == PROXY_MORE && size >= PROXY_HEADER_MAX)
		__builtin_trap(); /* the reader would be stuck full */
	if (st == PROXY_MORE && size > 0 &&
	    proxy_header_parse(data, size / 2, &h2, &why) != PROXY_MORE)
		__builtin_trap();
	if (st != PROXY_DONE)
		return 0;
	if (h.len == 0 || h.len > size || h.len > PROXY_HEADER_MAX ||
	    (h.version == 1 && h.len > PROXY_V1_MAX) || (h.version != 1 && h.version != 2))
		__builtin_trap();
	if (!h.local) {
		check_addr(&h.src);
		check_addr(&h.dst);
	}
	/* The same answer from exactly the header, "more" just short of it. */
	if (proxy_header_parse(data, h.len, &h2, &why) != PROXY_DONE || h2.len != h.len ||
	    h2.local != h.local || memcmp(&h2.src, &h.src, sizeof(h.src)) != 0)
		__builtin_trap();
	if (proxy_header_parse(data, h.len - 1, &h2, &why) != PROXY_MORE ||
	    proxy_header_parse(data, h.len / 2, &h2, &why) != PROXY_MORE)
		__builtin_trap();
	if (!proxy_header_looks_like(data, size))
		__builtin_trap();
	return 0;
}
