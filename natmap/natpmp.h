/* NAT-PMP (RFC 6886) packets: the requests the NAT helper sends to the
 * gateway's UDP port 5351 and the replies it reads back. Pure: no I/O.
 * Untrusted: every reply byte comes from the router. */
#ifndef FTPSD_NATMAP_NATPMP_H
#define FTPSD_NATMAP_NATPMP_H

#include <stddef.h>
#include <stdint.h>

#define NATMAP_SERVER_PORT 5351 /* NAT-PMP and PCP share it */
#define NATPMP_OP_ADDRESS 0
#define NATPMP_OP_MAP_TCP 2
#define NATPMP_REQ_MAX 12

/* Result codes (RFC 6886 §3.5). */
enum natpmp_result {
	NATPMP_OK = 0,
	NATPMP_UNSUPP_VERSION = 1,
	NATPMP_REFUSED = 2,
	NATPMP_NETWORK_FAILURE = 3,
	NATPMP_NO_RESOURCES = 4,
	NATPMP_UNSUPP_OPCODE = 5,
};

struct natpmp_reply {
	uint8_t op; /* the request's opcode this answers */
	uint16_t result;
	uint32_t epoch;         /* seconds since the gateway's mapping table began */
	uint32_t external_ip;   /* network order; NATPMP_OP_ADDRESS */
	uint16_t internal_port; /* NATPMP_OP_MAP_TCP */
	uint16_t external_port;
	uint32_t lifetime;
};

/* Encode into BUF (at least NATPMP_REQ_MAX bytes): the length, or 0. */
size_t natpmp_encode_address(uint8_t *buf, size_t size);
/* A TCP mapping of INTERNAL to EXTERNAL for LIFETIME seconds; lifetime 0
 * with external 0 deletes it (§3.4). */
size_t natpmp_encode_map(uint8_t *buf, size_t size, uint16_t internal, uint16_t external,
			 uint32_t lifetime);

/* Decode the N bytes of P as the reply to opcode OP. 0, or -1 when it is
 * not a well-formed reply to that opcode (another opcode, version, size).
 * A well-formed error reply returns 0 with OUT->result set. */
int natpmp_decode(const uint8_t *p, size_t n, uint8_t op, struct natpmp_reply *out);

const char *natpmp_result_text(uint16_t result);

#endif
