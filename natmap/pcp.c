#include "natmap/pcp.h"

#include <string.h>

#include "natmap/wire.h"

#define PCP_PROTO_TCP 6
#define PCP_RESPONSE_BIT 0x80

/* An IPv4 address in PCP's 16-byte field: ::ffff:a.b.c.d (§5). */
static void put_v4mapped(uint8_t *p, uint32_t ip)
{
	memset(p, 0, 10);
	p[10] = p[11] = 0xff;
	memcpy(p + 12, &ip, 4);
}

static bool get_v4mapped(const uint8_t *p, uint32_t *ip)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (memcmp(p, prefix, sizeof(prefix)) != 0)
		return false;
	memcpy(ip, p + 12, 4);
	return true;
}

size_t pcp_encode_map(uint8_t *buf, size_t size, const struct pcp_map *req)
{
	if (size < PCP_MAP_LEN)
		return 0;
	memset(buf, 0, PCP_MAP_LEN);
	buf[0] = PCP_VERSION;
	buf[1] = PCP_OP_MAP; /* R = 0: a request */
	wire_put32(buf + 4, req->lifetime);
	put_v4mapped(buf + 8, req->client_ip);
	memcpy(buf + 24, req->nonce, PCP_NONCE_LEN);
	buf[36] = PCP_PROTO_TCP;
	wire_put16(buf + 40, req->internal_port);
	wire_put16(buf + 42, req->external_port);
	put_v4mapped(buf + 44, req->external_ip);
	return PCP_MAP_LEN;
}

/* Options after the MAP body: each a 4-byte header and its data padded
 * to 4 bytes, all inside the message (§7.3). */
static bool options_fit(const uint8_t *p, size_t n)
{
	size_t off = PCP_MAP_LEN;

	while (off < n) {
		size_t len;
		if (n - off < 4)
			return false;
		len = wire_get16(p + off + 2);
		len = (len + 3) & ~(size_t)3;
		if (len > n - off - 4)
			return false;
		off += 4 + len;
	}
	return true;
}

int pcp_decode_map(const uint8_t *p, size_t n, const struct pcp_map *req, struct pcp_reply *out)
{
	memset(out, 0, sizeof(*out));
	/* A NAT-PMP-only gateway answers our version 2 with its own
	 * "unsupported version" reply: version 0, opcode 128 + 1. */
	if (n >= 4 && p[0] == 0 && p[1] == (PCP_RESPONSE_BIT | PCP_OP_MAP))
		return 1;
	if (n < 24 || n > PCP_MSG_MAX || n % 4 != 0 || p[0] != PCP_VERSION ||
	    p[1] != (PCP_RESPONSE_BIT | PCP_OP_MAP))
		return -1;
	out->result = p[3];
	out->lifetime = wire_get32(p + 4);
	out->epoch = wire_get32(p + 8);
	/* An error reply to a request it could not parse may be the header
	 * alone; one with a body must still be for our nonce. */
	if (n < PCP_MAP_LEN)
		return out->result == PCP_OK ? -1 : 0;
	if (memcmp(p + 24, req->nonce, PCP_NONCE_LEN) != 0 || p[36] != PCP_PROTO_TCP ||
	    wire_get16(p + 40) != req->internal_port || !options_fit(p, n))
		return -1;
	if (out->result != PCP_OK)
		return 0;
	out->external_port = wire_get16(p + 42);
	if (!get_v4mapped(p + 44, &out->external_ip))
		return -1;
	return 0;
}

const char *pcp_result_text(uint8_t result)
{
	static const char *const text[] = {
		"success",
		"unsupported version",
		"not authorized",
		"malformed request",
		"unsupported opcode",
		"unsupported option",
		"malformed option",
		"network failure",
		"no resources",
		"unsupported protocol",
		"user exceeded quota",
		"cannot provide external address",
		"address mismatch",
		"excessive remote peers",
	};

	return result < sizeof(text) / sizeof(text[0]) ? text[result] : "unknown result";
}
