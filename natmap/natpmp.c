#include "natmap/natpmp.h"

#include <string.h>

#include "natmap/wire.h"

size_t natpmp_encode_address(uint8_t *buf, size_t size)
{
	if (size < 2)
		return 0;
	buf[0] = 0; /* version */
	buf[1] = NATPMP_OP_ADDRESS;
	return 2;
}

size_t natpmp_encode_map(uint8_t *buf, size_t size, uint16_t internal, uint16_t external,
			 uint32_t lifetime)
{
	if (size < NATPMP_REQ_MAX)
		return 0;
	buf[0] = 0;
	buf[1] = NATPMP_OP_MAP_TCP;
	wire_put16(buf + 2, 0); /* reserved */
	wire_put16(buf + 4, internal);
	wire_put16(buf + 6, external);
	wire_put32(buf + 8, lifetime);
	return NATPMP_REQ_MAX;
}

/* A reply is the request's opcode + 128 (§3.2, §3.3); an error reply may
 * be just the 8-byte header (§3.5: unsupported version or opcode). */
int natpmp_decode(const uint8_t *p, size_t n, uint8_t op, struct natpmp_reply *out)
{
	size_t full = op == NATPMP_OP_ADDRESS ? 12 : 16;

	memset(out, 0, sizeof(*out));
	if (n < 8 || n > 1100 || p[0] != 0 || p[1] != (uint8_t)(128 + op))
		return -1;
	out->op = op;
	out->result = wire_get16(p + 2);
	out->epoch = wire_get32(p + 4);
	if (out->result != NATPMP_OK)
		return 0;
	if (n < full)
		return -1;
	if (op == NATPMP_OP_ADDRESS) {
		memcpy(&out->external_ip, p + 8, 4);
		return 0;
	}
	out->internal_port = wire_get16(p + 8);
	out->external_port = wire_get16(p + 10);
	out->lifetime = wire_get32(p + 12);
	return 0;
}

const char *natpmp_result_text(uint16_t result)
{
	static const char *const text[] = {
		"success",         "unsupported version", "not authorized or refused",
		"network failure", "out of resources",    "unsupported opcode",
	};

	return result < sizeof(text) / sizeof(text[0]) ? text[result] : "unknown result";
}
