/* natmap/: what the router sends the NAT helper (NAT-PMP and PCP
 * replies), the text of /proc/net/route, and the helper's NAT_STATE as
 * the master decodes it, and UPnP-IGD's SSDP, XML and HTTP (natmap/upnp.c).
 * Byte 0 picks the reader. Decoded values must
 * stay in their bounds. */
#include <stdint.h>
#include <string.h>

#include "natmap/gateway.h"
#include "natmap/natpmp.h"
#include "natmap/pcp.h"
#include "natmap/upnp.h"
#include "privsep/proto.h"

static void pcp(const uint8_t *p, size_t n)
{
	struct pcp_map q = { .lifetime = 3600, .internal_port = 21, .external_port = 21 };
	struct pcp_reply r;

	memcpy(q.nonce, "0123456789ab", PCP_NONCE_LEN);
	/* Let inputs that start with our nonce reach the body checks. */
	if (n >= 36)
		memcpy(q.nonce, p + 24, PCP_NONCE_LEN);
	if (pcp_decode_map(p, n, &q, &r) == 0 && r.result == PCP_OK && n < PCP_MAP_LEN)
		__builtin_trap();
	(void)pcp_result_text(r.result);
}

static void natpmp(const uint8_t *p, size_t n)
{
	struct natpmp_reply r;

	(void)natpmp_decode(p, n, NATPMP_OP_ADDRESS, &r);
	(void)natpmp_result_text(r.result);
	if (natpmp_decode(p, n, NATPMP_OP_MAP_TCP, &r) == 0 && r.result == NATPMP_OK && n < 16)
		__builtin_trap();
}

static void nat_state(const uint8_t *p, size_t n)
{
	struct priv_msg m;
	struct priv_nat_state s;

	if (priv_msg_decode(&m, p, n) == 0 && priv_decode_nat_state(&m, &s) == 0 &&
	    (s.nports > PRIV_NAT_PORTS_MAX || s.proto > 3 ||
	     memchr(s.reason, '\0', sizeof(s.reason)) == NULL))
		__builtin_trap();
}

/* What a UPnP-IGD router says: SSDP, the description, SOAP answers. */
static void upnp(const uint8_t *data, size_t n)
{
	const char *p = (const char *)data, *body;
	struct upnp_url loc = { .ip = 0x0100000a, .port = 80, .path = "/" }, ctl;
	char service[UPNP_SERVICE_MAX], text[64];
	size_t blen;
	int status;

	if (upnp_parse_ssdp(p, n, &ctl) == 0 && (ctl.port == 0 || ctl.path[0] != '/'))
		__builtin_trap();
	(void)upnp_parse_url(p, n, &ctl);
	if (upnp_find_control(p, n, &loc, service, sizeof(service), &ctl) == 0 &&
	    (ctl.port == 0 || !memchr(service, '\0', sizeof(service))))
		__builtin_trap();
	if (upnp_http_split(p, n, &status, &body, &blen) == 0) {
		if (body < p || body + blen > p + n)
			__builtin_trap();
		(void)upnp_xml_text(body, blen, "errorCode", text, sizeof(text));
	}
	if (upnp_xml_text(p, n, "NewExternalIPAddress", text, sizeof(text)) == 0 &&
	    strlen(text) >= sizeof(text))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t gw;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0: pcp(data + 1, size - 1); break;
	case 1: natpmp(data + 1, size - 1); break;
	case 2: (void)natmap_gateway_parse((const char *)data + 1, size - 1, &gw); break;
	case 3: nat_state(data + 1, size - 1); break;
	default: upnp(data + 1, size - 1);
	}
	return 0;
}
