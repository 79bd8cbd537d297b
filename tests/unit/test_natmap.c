/* The NAT helper's pure parts: NAT-PMP (natmap/natpmp.c) and PCP
 * (natmap/pcp.c) packets, the gateway from /proc/net/route
 * (natmap/gateway.c), the per-vhost plan and `ftpsd -t` warnings
 * (natmap/plan.c), and the NAT_STATE message (privsep/proto_nat.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "config/config.h"
#include "natmap/gateway.h"
#include "natmap/natpmp.h"
#include "natmap/pcp.h"
#include "natmap/plan.h"
#include "natmap/upnp.h"
#include "privsep/proto.h"

static void test_natpmp_requests(void **state)
{
	uint8_t b[NATPMP_REQ_MAX];
	static const uint8_t map[] = { 0, 2, 0, 0, 0x9c, 0x40, 0x9c, 0x40, 0, 0, 0x0e, 0x10 };

	(void)state;
	assert_int_equal(natpmp_encode_address(b, sizeof(b)), 2);
	assert_int_equal(b[0], 0);
	assert_int_equal(b[1], 0);
	assert_int_equal(natpmp_encode_map(b, sizeof(b), 40000, 40000, 3600), 12);
	assert_memory_equal(b, map, sizeof(map));
	assert_int_equal(natpmp_encode_map(b, 11, 1, 1, 1), 0);
	assert_int_equal(natpmp_encode_address(b, 1), 0);
}

static void test_natpmp_replies(void **state)
{
	struct natpmp_reply r;
	static const uint8_t addr[] = { 0, 128, 0, 0, 0, 0, 0, 9, 203, 0, 113, 10 };
	static const uint8_t map[] = { 0,    130,  0,    0,    0, 0, 0,    9,
				       0x9c, 0x40, 0x9c, 0x41, 0, 0, 0x0e, 0x10 };
	static const uint8_t refused[] = { 0, 130, 0, 2, 0, 0, 0, 9 };
	uint8_t bad[16];

	(void)state;
	assert_int_equal(natpmp_decode(addr, sizeof(addr), NATPMP_OP_ADDRESS, &r), 0);
	assert_int_equal(r.result, NATPMP_OK);
	assert_int_equal(r.epoch, 9);
	assert_int_equal(r.external_ip, inet_addr("203.0.113.10"));
	assert_int_equal(natpmp_decode(map, sizeof(map), NATPMP_OP_MAP_TCP, &r), 0);
	assert_int_equal(r.internal_port, 40000);
	assert_int_equal(r.external_port, 40001);
	assert_int_equal(r.lifetime, 3600);
	/* An error reply may be the header only. */
	assert_int_equal(natpmp_decode(refused, sizeof(refused), NATPMP_OP_MAP_TCP, &r), 0);
	assert_int_equal(r.result, NATPMP_REFUSED);
	assert_string_equal(natpmp_result_text(r.result), "not authorized or refused");
	/* Wrong opcode, version, truncation. */
	assert_int_equal(natpmp_decode(addr, sizeof(addr), NATPMP_OP_MAP_TCP, &r), -1);
	memcpy(bad, map, sizeof(map));
	bad[0] = 2;
	assert_int_equal(natpmp_decode(bad, sizeof(map), NATPMP_OP_MAP_TCP, &r), -1);
	assert_int_equal(natpmp_decode(map, 15, NATPMP_OP_MAP_TCP, &r), -1);
	assert_int_equal(natpmp_decode(addr, 11, NATPMP_OP_ADDRESS, &r), -1);
	assert_int_equal(natpmp_decode(addr, 7, NATPMP_OP_ADDRESS, &r), -1);
	assert_string_equal(natpmp_result_text(999), "unknown result");
}

static struct pcp_map pcp_req(void)
{
	struct pcp_map q = { .lifetime = 3600,
			     .client_ip = inet_addr("10.99.0.10"),
			     .internal_port = 21,
			     .external_port = 21 };

	memcpy(q.nonce, "0123456789ab", PCP_NONCE_LEN);
	return q;
}

/* A server's reply to Q: as RFC 6887 §7.2 and §11.1 lay it out. */
static size_t pcp_answer(const struct pcp_map *q, uint8_t result, uint16_t ext_port,
			 const char *ext_ip, uint8_t *b)
{
	uint32_t ip = inet_addr(ext_ip);

	memset(b, 0, PCP_MAP_LEN);
	b[0] = 2;
	b[1] = 0x81;
	b[3] = result;
	b[6] = 0x0e, b[7] = 0x10; /* lifetime 3600 */
	b[11] = 7;                /* epoch */
	memcpy(b + 24, q->nonce, PCP_NONCE_LEN);
	b[36] = 6;
	b[40] = (uint8_t)(q->internal_port >> 8), b[41] = (uint8_t)q->internal_port;
	b[42] = (uint8_t)(ext_port >> 8), b[43] = (uint8_t)ext_port;
	b[54] = b[55] = 0xff;
	memcpy(b + 56, &ip, 4);
	return PCP_MAP_LEN;
}

static void test_pcp_request(void **state)
{
	struct pcp_map q = pcp_req();
	uint8_t b[PCP_MAP_LEN];

	(void)state;
	assert_int_equal(pcp_encode_map(b, sizeof(b), &q), PCP_MAP_LEN);
	assert_int_equal(b[0], 2);
	assert_int_equal(b[1], 1);
	assert_int_equal(b[7], 0x10);
	/* client address as ::ffff:10.99.0.10 */
	assert_int_equal(b[18], 0xff);
	assert_int_equal(b[19], 0xff);
	assert_int_equal(b[20], 10);
	assert_int_equal(b[23], 10);
	assert_memory_equal(b + 24, q.nonce, PCP_NONCE_LEN);
	assert_int_equal(b[36], 6);
	assert_int_equal(b[41], 21);
	assert_int_equal(b[43], 21);
	assert_int_equal(pcp_encode_map(b, PCP_MAP_LEN - 1, &q), 0);
}

static void test_pcp_replies(void **state)
{
	struct pcp_map q = pcp_req();
	struct pcp_reply r;
	uint8_t b[PCP_MSG_MAX + 8];
	size_t n = pcp_answer(&q, PCP_OK, 21, "203.0.113.10", b);

	(void)state;
	assert_int_equal(pcp_decode_map(b, n, &q, &r), 0);
	assert_int_equal(r.result, PCP_OK);
	assert_int_equal(r.lifetime, 3600);
	assert_int_equal(r.epoch, 7);
	assert_int_equal(r.external_port, 21);
	assert_int_equal(r.external_ip, inet_addr("203.0.113.10"));
	/* Someone else's nonce, port or protocol: not ours. */
	b[30] ^= 1;
	assert_int_equal(pcp_decode_map(b, n, &q, &r), -1);
	b[30] ^= 1;
	b[41] = 22;
	assert_int_equal(pcp_decode_map(b, n, &q, &r), -1);
	b[41] = 21;
	b[36] = 17;
	assert_int_equal(pcp_decode_map(b, n, &q, &r), -1);
	b[36] = 6;
	/* An IPv6 external address cannot be told in PASV. */
	b[54] = 0;
	assert_int_equal(pcp_decode_map(b, n, &q, &r), -1);
	b[54] = 0xff;
	/* Sizes: not a multiple of 4, shorter than a header, too long. */
	assert_int_equal(pcp_decode_map(b, n - 1, &q, &r), -1);
	assert_int_equal(pcp_decode_map(b, 20, &q, &r), -1);
	memset(b + n, 0, sizeof(b) - n);
	assert_int_equal(pcp_decode_map(b, PCP_MSG_MAX + 4, &q, &r), -1);
	/* A request (R bit clear) is no reply. */
	b[1] = 1;
	assert_int_equal(pcp_decode_map(b, n, &q, &r), -1);
	b[1] = 0x81;
	/* Options: one well-formed (4-byte header, 4 bytes of data)... */
	b[60] = 0x80, b[63] = 4;
	assert_int_equal(pcp_decode_map(b, 68, &q, &r), 0);
	/* ...and one whose length runs past the message. */
	b[63] = 40;
	assert_int_equal(pcp_decode_map(b, 68, &q, &r), -1);
	/* An error with the body echoed, and one with the header alone. */
	n = pcp_answer(&q, PCP_NOT_AUTHORIZED, 0, "0.0.0.0", b);
	assert_int_equal(pcp_decode_map(b, n, &q, &r), 0);
	assert_int_equal(r.result, PCP_NOT_AUTHORIZED);
	assert_int_equal(pcp_decode_map(b, 24, &q, &r), 0);
	b[3] = 0;
	assert_int_equal(pcp_decode_map(b, 24, &q, &r), -1); /* success needs a body */
	/* A NAT-PMP-only gateway: version 0, "unsupported version". */
	static const uint8_t pmp[] = { 0, 129, 0, 1, 0, 0, 0, 5 };
	assert_int_equal(pcp_decode_map(pmp, sizeof(pmp), &q, &r), 1);
	assert_string_equal(pcp_result_text(PCP_ADDRESS_MISMATCH), "address mismatch");
	assert_string_equal(pcp_result_text(200), "unknown result");
}

static void test_gateway_parse(void **state)
{
	static const char route[] =
		"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
		"eth0\t0000630A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
		"eth1\t00000000\t0200630A\t0003\t0\t0\t200\t00000000\t0\t0\t0\n"
		"eth0\t00000000\t0100630A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
		"eth2\t00000000\t0300630A\t0001\t0\t0\t1\t00000000\t0\t0\t0\n";
	static const char none[] =
		"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
		"eth0\t0000630A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
	uint32_t gw = 0;
	struct in_addr a;

	(void)state;
	assert_int_equal(natmap_gateway_parse(route, strlen(route), &gw), 0);
	a.s_addr = gw;
	/* Lowest metric wins; a route without the gateway flag is none. */
	assert_string_equal(inet_ntoa(a), "10.99.0.1");
	assert_int_equal(natmap_gateway_parse(none, strlen(none), &gw), -1);
	assert_int_equal(natmap_gateway_parse("", 0, &gw), -1);
	/* Not NUL-terminated: the length bounds it. */
	assert_int_equal(natmap_gateway_parse(route, 60, &gw), -1);
}

static struct ftpsd_config *load(const char *text)
{
	struct ftpsd_config *cfg = calloc(1, sizeof(*cfg));
	assert_non_null(cfg);
	assert_int_equal(config_load_string(cfg, "test.conf", text, stderr), 0);
	return cfg;
}

static void note(const char *line, void *ctx)
{
	(*(int *)ctx)++;
	assert_non_null(strstr(line, "40000-40031"));
}

static void test_plan(void **state)
{
	struct ftpsd_config *cfg = load(
		"pasv_address=auto\nnat_port_mapping=YES\nssl_enable=YES\n"
		"rsa_cert_file=/x.pem\nimplicit_ssl_port=990\npasv_min_port=40000\npasv_max_port=40999\n"
		"[vhost nat]\n[vhost plain]\nlisten_port=2121\nnat_port_mapping=NO\npasv_address=\n");
	struct ftpsd_config *same;
	struct natmap_plan p;
	int notes = 0;

	(void)state;
	assert_true(natmap_config_wanted(cfg));
	natmap_bound_range(cfg, note, &notes);
	assert_int_equal(notes, 1);
	assert_int_equal(cfg->vhosts[0].set.pasv_max_port, 40031);
	natmap_plan_vhost(&cfg->vhosts[0], &p);
	assert_true(p.learn);
	assert_true(p.map);
	assert_int_equal(p.nports, 2 + NATMAP_PASV_MAX);
	assert_int_equal(p.ports[0], 21);
	assert_int_equal(p.ports[1], 990);
	assert_int_equal(p.ports[2], 40000);
	assert_int_equal(p.ports[p.nports - 1], 40031);
	assert_false(natmap_vhost_wanted(&cfg->vhosts[1]));
	natmap_plan_vhost(&cfg->vhosts[1], &p);
	assert_int_equal(p.nports, 0);
	same = malloc(sizeof(*same));
	memcpy(same, cfg, sizeof(*same));
	assert_true(natmap_config_same(cfg, same));
	same->vhosts[0].set.pasv_min_port = 41000;
	same->vhosts[0].set.pasv_max_port = 41009;
	assert_false(natmap_config_same(cfg, same));
	free(same);
	free(cfg);
}

static int warnings(const char *text)
{
	struct ftpsd_config *cfg = load(text);
	FILE *err = fopen("/dev/null", "w");
	int n = natmap_check(cfg, err);

	fclose(err);
	free(cfg);
	return n;
}

static void test_check_warnings(void **state)
{
	(void)state;
	assert_int_equal(warnings("pasv_address=auto\nnat_port_mapping=YES\n"
				  "pasv_min_port=40000\npasv_max_port=40009\n"),
			 0);
	assert_int_equal(warnings("pasv_address=auto\n"), 0);
	/* mapping without auto, with a static address */
	assert_int_equal(warnings("pasv_address=203.0.113.5\nnat_port_mapping=YES\n"
				  "pasv_min_port=40000\npasv_max_port=40009\n"),
			 1);
	/* mapping without a passive range */
	assert_int_equal(warnings("pasv_address=auto\nnat_port_mapping=YES\n"), 1);
	/* a range larger than what is mapped, and an offset */
	assert_int_equal(warnings("pasv_address=auto\nnat_port_mapping=YES\n"
				  "pasv_min_port=40000\npasv_max_port=41000\n"
				  "pasv_port_offset=5\n"),
			 2);
	/* a rule that answers every client first */
	assert_int_equal(warnings("pasv_address=auto\n"
				  "pasv_address_rule=any 203.0.113.9\n"),
			 1);
	/* read as the monitor reads the rules: any spacing, any spelling of
	 * every IPv4 client; a narrower or IPv6-only rule leaves room */
	assert_int_equal(warnings("pasv_address=auto\n"
				  "pasv_address_rule=10.0.0.0/8 local\n"
				  "pasv_address_rule=0.0.0.0/0\tlocal\n"),
			 1);
	assert_int_equal(warnings("pasv_address=auto\n"
				  "pasv_address_rule=10.0.0.0/8 local\n"
				  "pasv_address_rule=::/0 local\n"),
			 0);
	/* inetd mode */
	assert_int_equal(warnings("listen=NO\npasv_address=auto\n"), 1);
	/* an IPv6 listener, which nothing maps */
	assert_int_equal(warnings("listen_address=10.0.0.5,2001:db8::5\n"
				  "pasv_address=auto\nnat_port_mapping=YES\n"
				  "pasv_min_port=40000\npasv_max_port=40009\n"),
			 1);
	assert_int_equal(warnings("listen_address=10.0.0.5,2001:db8::5\n"
				  "pasv_address=auto\n"),
			 0);
}

static void test_protocols(void **state)
{
	struct cfg_settings s = { .nat_protocols = "natpmp, pcp" };
	enum natmap_proto o[3];
	FILE *err = fopen("/dev/null", "w");
	struct ftpsd_config *cfg = calloc(1, sizeof(*cfg));

	(void)state;
	assert_int_equal(natmap_protocols(&s, o), 2);
	assert_int_equal(o[0], NATMAP_NATPMP);
	assert_int_equal(o[1], NATMAP_PCP);
	snprintf(s.nat_protocols, sizeof(s.nat_protocols), "pcp");
	assert_int_equal(natmap_protocols(&s, o), 1);
	assert_int_equal(o[0], NATMAP_PCP);
	assert_int_not_equal(config_load_string(cfg, "t", "nat_protocols=pcp,pcp\n", err), 0);
	assert_int_not_equal(config_load_string(cfg, "t", "nat_protocols=igd\n", err), 0);
	assert_int_equal(config_load_string(cfg, "t", "nat_protocols=upnp,natpmp\n", err), 0);
	assert_int_equal(natmap_protocols(&cfg->global, o), 2);
	assert_int_equal(o[0], NATMAP_UPNP);
	assert_true(natmap_uses_upnp(&cfg->global));
	assert_int_not_equal(config_load_string(cfg, "t", "[vhost a]\nnat_protocols=pcp\n", err),
			     0);
	assert_int_equal(config_load_string(cfg, "t", "nat_protocols=natpmp\n", err), 0);
	fclose(err);
	free(cfg);
}

static void test_nat_state_message(void **state)
{
	struct priv_nat_state in = { .vhost = 2,
				     .proto = 1,
				     .external_ip = 0x0a0b0c0d,
				     .lifetime = 3600,
				     .nports = 3,
				     .ports = { 21, 40000, 40001 } },
			      out;
	struct priv_msg m;
	uint8_t wire[PRIV_HDR_LEN + PRIV_BODY_MAX];
	int len;

	(void)state;
	priv_encode_nat_state(&m, &in);
	len = priv_msg_encode(&m, wire, sizeof(wire));
	assert_true(len > 0);
	assert_int_equal(priv_msg_decode(&m, wire, (size_t)len), 0);
	assert_int_equal(priv_decode_nat_state(&m, &out), 0);
	assert_int_equal(out.nports, 3);
	assert_int_equal(out.ports[2], 40001);
	assert_int_equal(out.external_ip, 0x0a0b0c0d);
	/* A protocol that does not exist, and a port 0. */
	in.proto = 4;
	priv_encode_nat_state(&m, &in);
	m.pos = 0;
	assert_int_equal(priv_decode_nat_state(&m, &out), -1);
	in.proto = 2;
	in.ports[1] = 0;
	priv_encode_nat_state(&m, &in);
	m.pos = 0;
	assert_int_equal(priv_decode_nat_state(&m, &out), -1);
}

static void test_upnp_url(void **state)
{
	struct upnp_url u;
	static const char *const bad[] = {
		"ftp://10.99.0.1/x",       "http://gw.example/x",   "http://10.99.0.1:0/",
		"http://10.99.0.1:65536/", "http://10.99.0.1:/",    "http://10.99.0.1x",
		"http://10.99.0.1/a b",    "http://10.99.0.1/a\"b", "http://300.1.1.1/",
	};

	(void)state;
	assert_int_equal(upnp_parse_url("http://10.99.0.1:39345/rootDesc.xml", 35, &u), 0);
	assert_int_equal(u.ip, inet_addr("10.99.0.1"));
	assert_int_equal(u.port, 39345);
	assert_string_equal(u.path, "/rootDesc.xml");
	assert_int_equal(upnp_parse_url("HTTP://10.0.0.1", 15, &u), 0);
	assert_int_equal(u.port, 80);
	assert_string_equal(u.path, "/");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(upnp_parse_url(bad[i], strlen(bad[i]), &u), -1);
	/* A path longer than we keep. */
	char lng[400] = "http://10.0.0.1/";
	memset(lng + 16, 'a', 300);
	lng[316] = '\0';
	assert_int_equal(upnp_parse_url(lng, strlen(lng), &u), -1);
}

static void test_upnp_ssdp(void **state)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\n"
				 "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
				 "location:  http://10.99.0.1:5000/rootDesc.xml \r\n\r\n";
	static const char none[] = "HTTP/1.1 200 OK\r\nST: x\r\n\r\nLOCATION: http://1.2.3.4/\r\n";
	static const char notok[] = "HTTP/1.1 404 Nope\r\nLOCATION: http://10.99.0.1/\r\n\r\n";
	struct upnp_url u;
	char req[UPNP_REQ_MAX];

	(void)state;
	assert_true(upnp_encode_msearch(req, sizeof(req)) > 0);
	assert_non_null(strstr(req, "M-SEARCH * HTTP/1.1\r\n"));
	assert_non_null(strstr(req, "MAN: \"ssdp:discover\"\r\n"));
	assert_int_equal(upnp_encode_msearch(req, 20), 0);
	assert_int_equal(upnp_parse_ssdp(ok, strlen(ok), &u), 0);
	assert_int_equal(u.port, 5000);
	assert_string_equal(u.path, "/rootDesc.xml");
	/* A LOCATION after the end of the headers is body, not a header. */
	assert_int_equal(upnp_parse_ssdp(none, strlen(none), &u), -1);
	assert_int_equal(upnp_parse_ssdp(notok, strlen(notok), &u), -1);
	assert_int_equal(upnp_parse_ssdp(ok, 30, &u), -1);
}

static void test_upnp_description(void **state)
{
	static const char xml[] =
		"<root><device><serviceList><service><serviceType>urn:schemas-upnp-org:"
		"service:Layer3Forwarding:1</serviceType><controlURL>/ctl/L3F</controlURL>"
		"</service></serviceList><deviceList><device><serviceList><service>"
		"<serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType>"
		"<serviceId>x</serviceId><controlURL> /ctl/IPConn </controlURL></service>"
		"</serviceList></device></deviceList></device></root>";
	static const char other[] =
		"<service><serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1"
		"</serviceType><controlURL>http://192.0.2.9:80/c</controlURL></service>";
	static const char split[] =
		"<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1"
		"</serviceType></service><service><controlURL>/elsewhere</controlURL></service>";
	struct upnp_url loc, ctl;
	char service[UPNP_SERVICE_MAX];

	(void)state;
	assert_int_equal(upnp_parse_url("http://10.99.0.1:5000/d.xml", 27, &loc), 0);
	assert_int_equal(upnp_find_control(xml, strlen(xml), &loc, service, sizeof(service), &ctl),
			 0);
	assert_string_equal(service, "urn:schemas-upnp-org:service:WANIPConnection:2");
	assert_int_equal(ctl.ip, loc.ip);
	assert_int_equal(ctl.port, 5000);
	assert_string_equal(ctl.path, "/ctl/IPConn");
	/* An absolute URL is parsed as it is; the helper refuses another host. */
	assert_int_equal(
		upnp_find_control(other, strlen(other), &loc, service, sizeof(service), &ctl), 0);
	assert_int_equal(ctl.ip, inet_addr("192.0.2.9"));
	/* The control URL must be in the service's own element. */
	assert_int_equal(
		upnp_find_control(split, strlen(split), &loc, service, sizeof(service), &ctl), -1);
	assert_int_equal(upnp_find_control(xml, 200, &loc, service, sizeof(service), &ctl), -1);
}

static void test_upnp_http_and_soap(void **state)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
				   "Content-Length: 5\r\n\r\nhello trailing";
	static const char chunked[] =
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello";
	static const char cut[] = "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort";
	static const char fault[] =
		"<s:Envelope><s:Body><s:Fault><detail><UPnPError>"
		"<errorCode>718</errorCode><errorDescription>ConflictInMappingEntry"
		"</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>";
	static const char ip[] =
		"<u:GetExternalIPAddressResponse><NewExternalIPAddress>"
		"198.51.100.1</NewExternalIPAddress></u:GetExternalIPAddressResponse>";
	static const char evil[] = "<m:NewExternalIPAddress>1.2.3.4%n</m:NewExternalIPAddress>";
	struct upnp_url ctl;
	const char *body;
	size_t blen;
	int status;
	char out[64], req[UPNP_REQ_MAX];

	(void)state;
	assert_int_equal(upnp_http_split(resp, strlen(resp), &status, &body, &blen), 0);
	assert_int_equal(status, 200);
	assert_int_equal(blen, 5);
	assert_memory_equal(body, "hello", 5);
	assert_int_equal(upnp_http_split(chunked, strlen(chunked), &status, &body, &blen), -1);
	assert_int_equal(upnp_http_split(cut, strlen(cut), &status, &body, &blen), -1);
	assert_int_equal(upnp_http_split("HTTP/1.1 2", 10, &status, &body, &blen), -1);
	assert_int_equal(upnp_xml_text(fault, strlen(fault), "errorCode", out, sizeof(out)), 0);
	assert_string_equal(out, "718");
	assert_int_equal(upnp_xml_text(fault, strlen(fault), "errorDescription", out, sizeof(out)),
			 0);
	assert_string_equal(out, "ConflictInMappingEntry");
	assert_int_equal(upnp_xml_text(ip, strlen(ip), "NewExternalIPAddress", out, sizeof(out)),
			 0);
	assert_string_equal(out, "198.51.100.1");
	assert_int_equal(
		upnp_xml_text(evil, strlen(evil), "NewExternalIPAddress", out, sizeof(out)), -1);
	assert_int_equal(upnp_xml_text(ip, strlen(ip), "NewExternalIPAddress", out, 5), -1);
	assert_int_equal(upnp_xml_text(ip, strlen(ip), "Missing", out, sizeof(out)), -1);
	assert_int_equal(upnp_parse_url("http://10.99.0.1:5000/ctl/IPConn", 32, &ctl), 0);
	assert_true(upnp_encode_soap(req, sizeof(req), &ctl,
				     "urn:schemas-upnp-org:service:WANIPConnection:1",
				     "GetExternalIPAddress", "") > 0);
	assert_non_null(strstr(req, "POST /ctl/IPConn HTTP/1.1\r\nHost: 10.99.0.1:5000\r\n"));
	assert_non_null(strstr(req, "SOAPAction: \"urn:schemas-upnp-org:service:"
				    "WANIPConnection:1#GetExternalIPAddress\"\r\n"));
	assert_true(upnp_http_split(req, strlen(req), &status, &body, &blen) < 0); /* a request */
	assert_int_equal(upnp_encode_soap(req, 100, &ctl, "s", "a", ""), 0);
	assert_true(upnp_encode_get(req, sizeof(req), &ctl) > 0);
	assert_non_null(strstr(req, "GET /ctl/IPConn HTTP/1.1\r\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_natpmp_requests),    cmocka_unit_test(test_natpmp_replies),
		cmocka_unit_test(test_pcp_request),        cmocka_unit_test(test_pcp_replies),
		cmocka_unit_test(test_gateway_parse),      cmocka_unit_test(test_plan),
		cmocka_unit_test(test_check_warnings),     cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_nat_state_message),  cmocka_unit_test(test_upnp_url),
		cmocka_unit_test(test_upnp_ssdp),          cmocka_unit_test(test_upnp_description),
		cmocka_unit_test(test_upnp_http_and_soap),
	};

	return cmocka_run_group_tests_name("natmap", tests, NULL, NULL);
}
