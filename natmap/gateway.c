#include "natmap/gateway.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ROUTE_TEXT_MAX 65536
#define RTF_UP_BIT 0x1
#define RTF_GATEWAY_BIT 0x2

/* One line: "Iface Destination Gateway Flags RefCnt Use Metric Mask ...",
 * addresses as 8 hex digits in host order of the kernel (as the bytes
 * of a network-order address read little-endian on x86: we read them
 * back with the same %X, so the byte order is the kernel's own). */
static bool parse_line(const char *line, uint32_t *gw, unsigned long *metric)
{
	char iface[64];
	unsigned dest, gate, flags, refcnt, use, mask;
	unsigned long m;

	if (sscanf(line, "%63s %8X %8X %X %u %u %lu %8X", iface, &dest, &gate, &flags, &refcnt,
		   &use, &m, &mask) != 8)
		return false;
	if (dest != 0 || mask != 0 || gate == 0 ||
	    (flags & (RTF_UP_BIT | RTF_GATEWAY_BIT)) != (RTF_UP_BIT | RTF_GATEWAY_BIT))
		return false;
	*gw = gate;
	*metric = m;
	return true;
}

int natmap_gateway_parse(const char *text, size_t len, uint32_t *gw)
{
	char line[256];
	unsigned long best = ~0UL;
	bool found = false;
	size_t pos = 0;

	while (pos < len) {
		size_t end = pos, n;
		uint32_t g;
		unsigned long metric;
		while (end < len && text[end] != '\n')
			end++;
		n = end - pos;
		if (n < sizeof(line)) {
			memcpy(line, text + pos, n);
			line[n] = '\0';
			if (parse_line(line, &g, &metric) && (!found || metric < best)) {
				*gw = g;
				best = metric;
				found = true;
			}
		}
		pos = end + 1;
	}
	return found ? 0 : -1;
}

int natmap_gateway_find(uint32_t *gw)
{
	char text[ROUTE_TEXT_MAX];
	int fd = open("/proc/net/route", O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (len < sizeof(text) && (n = read(fd, text + len, sizeof(text) - len)) > 0)
		len += (size_t)n;
	close(fd);
	return natmap_gateway_parse(text, len, gw);
}
