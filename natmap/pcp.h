/* PCP (RFC 6887) MAP requests and replies for IPv4 TCP mappings, as the
 * NAT helper needs them. Pure: no I/O. Untrusted: every reply byte comes
 * from the router. */
#ifndef FTPSD_NATMAP_PCP_H
#define FTPSD_NATMAP_PCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCP_VERSION 2
#define PCP_OP_MAP 1
#define PCP_NONCE_LEN 12
#define PCP_MAP_LEN 60   /* 24-byte header + 36-byte MAP body */
#define PCP_MSG_MAX 1100 /* §7: no PCP message is longer */

/* Result codes (RFC 6887 §7.4). */
enum pcp_result {
	PCP_OK = 0,
	PCP_UNSUPP_VERSION = 1,
	PCP_NOT_AUTHORIZED = 2,
	PCP_MALFORMED_REQUEST = 3,
	PCP_UNSUPP_OPCODE = 4,
	PCP_UNSUPP_OPTION = 5,
	PCP_MALFORMED_OPTION = 6,
	PCP_NETWORK_FAILURE = 7,
	PCP_NO_RESOURCES = 8,
	PCP_UNSUPP_PROTOCOL = 9,
	PCP_USER_EX_QUOTA = 10,
	PCP_CANNOT_PROVIDE_EXTERNAL = 11,
	PCP_ADDRESS_MISMATCH = 12,
	PCP_EXCESSIVE_REMOTE_PEERS = 13,
};

/* IPv4 addresses in network order, as in struct in_addr. */
struct pcp_map {
	uint8_t nonce[PCP_NONCE_LEN];
	uint32_t lifetime;  /* 0 deletes the mapping */
	uint32_t client_ip; /* our address as the gateway sees it */
	uint16_t internal_port;
	uint16_t external_port; /* suggested */
	uint32_t external_ip;   /* suggested; 0 = any */
};

struct pcp_reply {
	uint8_t result;
	uint32_t lifetime;
	uint32_t epoch;
	uint16_t external_port; /* assigned */
	uint32_t external_ip;   /* assigned (IPv4 only) */
};

/* Encode REQ into BUF (at least PCP_MAP_LEN bytes): the length, or 0. */
size_t pcp_encode_map(uint8_t *buf, size_t size, const struct pcp_map *req);

/* Decode the N bytes of P as the reply to REQ.
 *  0  a reply to REQ (OUT->result says whether it worked);
 *  1  the gateway answered in NAT-PMP (version 0): it has no PCP (§9);
 * -1  malformed, or the reply to another request (nonce, protocol, port),
 *     or an external address that is not IPv4. */
int pcp_decode_map(const uint8_t *p, size_t n, const struct pcp_map *req, struct pcp_reply *out);

const char *pcp_result_text(uint8_t result);

#endif
