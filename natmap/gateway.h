/* Which router to ask: the IPv4 default route's gateway (RFC 6887 §8.1
 * and RFC 6886 §3.1 both say: the default router). */
#ifndef FTPSD_NATMAP_GATEWAY_H
#define FTPSD_NATMAP_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

/* Parse the text of /proc/net/route (LEN bytes, need not end in NUL): the
 * gateway of the default route with the lowest metric, network order.
 * 0, or -1 when there is none. Pure. */
int natmap_gateway_parse(const char *text, size_t len, uint32_t *gw);

/* Read /proc/net/route and parse it. 0 or -1. */
int natmap_gateway_find(uint32_t *gw);

#endif
