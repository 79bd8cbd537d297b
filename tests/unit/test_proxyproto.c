/* Unit tests for common/proxyproto.c and common/proxyread.c: PROXY v1 and
 * v2 headers, whole, cut short, broken and oversized, and the reader that
 * must leave the client's first bytes on the socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/proxyproto.h"
#include "common/proxyread.h"

static const uint8_t sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

static enum proxy_status parse_text(const char *text, struct proxy_header *h, const char **why)
{
	return proxy_header_parse((const uint8_t *)text, strlen(text), h, why);
}

static void assert_addr(const struct net_addr *a, const char *ip, unsigned port)
{
	char buf[NETADDR_STRLEN];

	net_addr_ip_string(a, buf, sizeof(buf));
	assert_string_equal(buf, ip);
	assert_int_equal(net_addr_port(a), port);
}

static void test_v1_good(void **state)
{
	struct proxy_header h;
	const char *why;
	const char *tcp4 = "PROXY TCP4 192.0.2.7 198.51.100.1 40000 21\r\nUSER x\r\n";

	(void)state;
	assert_int_equal(parse_text(tcp4, &h, &why), PROXY_DONE);
	assert_int_equal(h.version, 1);
	assert_false(h.local);
	assert_int_equal(h.len, strlen("PROXY TCP4 192.0.2.7 198.51.100.1 40000 21\r\n"));
	assert_addr(&h.src, "192.0.2.7", 40000);
	assert_addr(&h.dst, "198.51.100.1", 21);

	assert_int_equal(parse_text("PROXY TCP6 2001:db8::7 2001:db8::1 65535 0\r\n", &h, &why),
			 PROXY_DONE);
	assert_addr(&h.src, "2001:db8::7", 65535);
	assert_addr(&h.dst, "2001:db8::1", 0);

	assert_int_equal(parse_text("PROXY UNKNOWN\r\n", &h, &why), PROXY_DONE);
	assert_true(h.local);
	assert_int_equal(h.len, 15);
	/* UNKNOWN: the rest of the line is ignored (the spec). */
	assert_int_equal(parse_text("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", &h, &why), PROXY_DONE);
	assert_true(h.local);
}

static void test_v1_prefixes(void **state)
{
	const char *full = "PROXY TCP4 192.0.2.7 198.51.100.1 40000 21\r\n";
	struct proxy_header h;
	const char *why;

	(void)state;
	/* Every proper prefix is "more", so the reader takes it all. */
	for (size_t n = 0; n < strlen(full); n++)
		assert_int_equal(proxy_header_parse((const uint8_t *)full, n, &h, &why),
				 PROXY_MORE);
}

static void test_v1_bad(void **state)
{
	static const char *bad[] = {
		"GET / HTTP/1.0\r\n",
		"USER anonymous\r\n",
		"PROXY\r\n",
		"PROXY \r\n",
		"proxy TCP4 192.0.2.7 198.51.100.1 40000 21\r\n",
		"PROXY TCP5 192.0.2.7 198.51.100.1 40000 21\r\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 40000\r\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 40000 21 extra\r\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 40000 21 \r\n",
		"PROXY TCP4  192.0.2.7 198.51.100.1 40000 21\r\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 65536 21\r\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 -1 21\r\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 040000 21\r\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 4x 21\r\n",
		"PROXY TCP4 2001:db8::7 198.51.100.1 40000 21\r\n",
		"PROXY TCP6 192.0.2.7 2001:db8::1 40000 21\r\n",
		"PROXY TCP4 192.0.2.256 198.51.100.1 40000 21\r\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 40000 21\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 40000 21\rX",
		"PROXY TCP4 192.0.2.7\t198.51.100.1 40000 21\r\n",
		"PROXY TCP4 192.0.2.7\xc3\xa9 198.51.100.1 40000 21\r\n",
	};
	struct proxy_header h;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_text(bad[i], &h, &why) != PROXY_ERROR)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(why);
	}
}

static void test_v1_length(void **state)
{
	char line[200];
	struct proxy_header h;
	const char *why;

	(void)state;
	/* 107 bytes with the CRLF is the most the spec allows. */
	memset(line, 0, sizeof(line));
	snprintf(line, sizeof(line), "PROXY UNKNOWN %0*d\r\n", 107 - 16, 0);
	assert_int_equal(strlen(line), 107);
	assert_int_equal(parse_text(line, &h, &why), PROXY_DONE);
	snprintf(line, sizeof(line), "PROXY UNKNOWN %0*d\r\n", 108 - 16, 0);
	assert_int_equal(parse_text(line, &h, &why), PROXY_ERROR);
	/* Without a CR, at 107 bytes it is over, whatever comes next. */
	memset(line, 'A', sizeof(line));
	memcpy(line, "PROXY ", 6);
	assert_int_equal(proxy_header_parse((uint8_t *)line, 106, &h, &why), PROXY_MORE);
	assert_int_equal(proxy_header_parse((uint8_t *)line, 107, &h, &why), PROXY_ERROR);
}

/* A v2 header: command CMD, family/transport FAM, BODY of LEN bytes. */
static size_t v2(uint8_t *out, uint8_t cmd, uint8_t fam, const uint8_t *body, size_t len)
{
	memcpy(out, sig, 12);
	out[12] = (uint8_t)(0x20 | cmd);
	out[13] = fam;
	out[14] = (uint8_t)(len >> 8);
	out[15] = (uint8_t)len;
	if (len)
		memcpy(out + 16, body, len);
	return 16 + len;
}

static void test_v2_good(void **state)
{
	static const uint8_t inet[] = { 192, 0, 2, 7, 198, 51, 100, 1, 0x9c, 0x40, 0, 21,
					/* TLVs: ALPN "ftp", NOOP of 0 */
					0x01, 0, 3, 'f', 't', 'p', 0x04, 0, 0 };
	uint8_t inet6[36] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint8_t buf[PROXY_HEADER_MAX + 32];
	struct proxy_header h;
	const char *why;
	size_t n;

	(void)state;
	n = v2(buf, 1, 0x11, inet, sizeof(inet));
	memcpy(buf + n, "\x16\x03\x01", 3); /* the client's TLS follows */
	assert_int_equal(proxy_header_parse(buf, n + 3, &h, &why), PROXY_DONE);
	assert_int_equal(h.version, 2);
	assert_int_equal(h.len, n);
	assert_false(h.local);
	assert_addr(&h.src, "192.0.2.7", 40000);
	assert_addr(&h.dst, "198.51.100.1", 21);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(proxy_header_parse(buf, i, &h, &why), PROXY_MORE);

	inet6[15] = 7;
	memcpy(inet6 + 16, "\x20\x01\x0d\xb8", 4);
	inet6[31] = 1;
	inet6[32] = 0x12;
	inet6[33] = 0x34;
	inet6[35] = 21;
	n = v2(buf, 1, 0x21, inet6, sizeof(inet6));
	assert_int_equal(proxy_header_parse(buf, n, &h, &why), PROXY_DONE);
	assert_addr(&h.src, "2001:db8::7", 0x1234);
	assert_addr(&h.dst, "2001:db8::1", 21);

	/* LOCAL: the proxy's health check, with or without addresses. */
	n = v2(buf, 0, 0x00, NULL, 0);
	assert_int_equal(proxy_header_parse(buf, n, &h, &why), PROXY_DONE);
	assert_true(h.local);
	assert_int_equal(h.len, 16);
	n = v2(buf, 0, 0x11, inet, sizeof(inet));
	assert_int_equal(proxy_header_parse(buf, n, &h, &why), PROXY_DONE);
	assert_true(h.local);

	/* The largest we take. */
	memset(buf, 0, sizeof(buf));
	n = v2(buf, 1, 0x11, inet, 12);
	buf[28] = 0x04; /* one NOOP TLV filling the rest */
	buf[29] = (uint8_t)((PROXY_HEADER_MAX - 31) >> 8);
	buf[30] = (uint8_t)(PROXY_HEADER_MAX - 31);
	buf[14] = (uint8_t)((PROXY_HEADER_MAX - 16) >> 8);
	buf[15] = (uint8_t)(PROXY_HEADER_MAX - 16);
	assert_int_equal(proxy_header_parse(buf, PROXY_HEADER_MAX, &h, &why), PROXY_DONE);
	assert_int_equal(h.len, PROXY_HEADER_MAX);
}

static void test_v2_bad(void **state)
{
	static const uint8_t inet[12] = { 192, 0, 2, 7, 198, 51, 100, 1, 0, 1, 0, 21 };
	uint8_t buf[64], tlv[24];
	struct proxy_header h;
	const char *why;
	size_t n;

	(void)state;
	n = v2(buf, 2, 0x11, inet, sizeof(inet)); /* command 2 */
	assert_int_equal(proxy_header_parse(buf, n, &h, &why), PROXY_ERROR);
	n = v2(buf, 1, 0x11, inet, sizeof(inet));
	buf[12] = 0x11; /* version 1 in binary */
	assert_int_equal(proxy_header_parse(buf, 13, &h, &why), PROXY_ERROR);
	n = v2(buf, 1, 0x12, inet, sizeof(inet)); /* UDP */
	assert_int_equal(proxy_header_parse(buf, n, &h, &why), PROXY_ERROR);
	n = v2(buf, 1, 0x31, inet, sizeof(inet)); /* AF_UNIX */
	assert_int_equal(proxy_header_parse(buf, n, &h, &why), PROXY_ERROR);
	n = v2(buf, 1, 0x01, inet, sizeof(inet)); /* PROXY with no family */
	assert_int_equal(proxy_header_parse(buf, n, &h, &why), PROXY_ERROR);
	n = v2(buf, 1, 0x11, inet, 11); /* addresses cut short */
	assert_int_equal(proxy_header_parse(buf, n, &h, &why), PROXY_ERROR);
	n = v2(buf, 1, 0x21, inet, sizeof(inet)); /* IPv6 needs 36 */
	assert_int_equal(proxy_header_parse(buf, n, &h, &why), PROXY_ERROR);
	/* A TLV that runs past the header, and half a TLV head. */
	memcpy(tlv, inet, 12);
	memcpy(tlv + 12, "\x01\x00\x05xy", 5);
	n = v2(buf, 1, 0x11, tlv, 17);
	assert_int_equal(proxy_header_parse(buf, n, &h, &why), PROXY_ERROR);
	n = v2(buf, 1, 0x11, tlv, 14);
	assert_int_equal(proxy_header_parse(buf, n, &h, &why), PROXY_ERROR);
	/* Longer than we take is refused at once, before it is read. */
	n = v2(buf, 1, 0x11, inet, sizeof(inet));
	buf[14] = 0xff;
	buf[15] = 0xff;
	assert_int_equal(proxy_header_parse(buf, 16, &h, &why), PROXY_ERROR);
	assert_string_equal(why, "PROXY v2: longer than we accept");
	/* The signature, broken at its last byte. */
	n = v2(buf, 1, 0x11, inet, sizeof(inet));
	buf[11] = 'X';
	assert_int_equal(proxy_header_parse(buf, n, &h, &why), PROXY_ERROR);
	assert_int_equal(proxy_header_parse(buf, 11, &h, &why), PROXY_MORE);
}

static void test_looks_like(void **state)
{
	(void)state;
	assert_true(proxy_header_looks_like((const uint8_t *)"PROXY TCP4", 10));
	assert_true(proxy_header_looks_like(sig, 12));
	assert_false(proxy_header_looks_like((const uint8_t *)"PASS x", 6));
	assert_false(proxy_header_looks_like((const uint8_t *)"", 0));
}

/* The reader takes the header in pieces and leaves what follows. */
static void test_reader(void **state)
{
	const char *hdr = "PROXY TCP4 192.0.2.7 198.51.100.1 40000 21\r\n";
	struct proxy_reader r = { .have = 0 };
	struct proxy_header h;
	const char *why;
	char rest[16];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(proxy_read_step(&r, sv[0], &h, &why), PROXY_MORE);
	assert_int_equal(write(sv[1], hdr, 10), 10);
	assert_int_equal(proxy_read_step(&r, sv[0], &h, &why), PROXY_MORE);
	assert_int_equal(r.have, 10);
	assert_int_equal(write(sv[1], hdr + 10, strlen(hdr) - 10), strlen(hdr) - 10);
	assert_int_equal(write(sv[1], "USER x\r\n", 8), 8);
	assert_int_equal(proxy_read_step(&r, sv[0], &h, &why), PROXY_DONE);
	assert_addr(&h.src, "192.0.2.7", 40000);
	assert_int_equal(recv(sv[0], rest, sizeof(rest), MSG_DONTWAIT), 8);
	assert_memory_equal(rest, "USER x\r\n", 8);

	/* Blocking, with its deadline: a silent peer, then one that closes. */
	assert_int_equal(proxy_read(sv[0], 100, &h, &why), PROXY_ERROR);
	assert_string_equal(why, "no PROXY header within the deadline");
	assert_int_equal(write(sv[1], "PROXY TCP4", 10), 10);
	close(sv[1]);
	assert_int_equal(proxy_read(sv[0], 1000, &h, &why), PROXY_ERROR);
	assert_string_equal(why, "closed before its PROXY header");
	close(sv[0]);

	/* A peer that closes before its first byte (a TCP health check). */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	r = (struct proxy_reader){ .have = 0 };
	assert_int_equal(proxy_read_step(&r, sv[0], &h, &why), PROXY_ERROR);
	assert_true(r.closed);
	assert_int_equal(r.have, 0);
	close(sv[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_good),    cmocka_unit_test(test_v1_prefixes),
		cmocka_unit_test(test_v1_bad),     cmocka_unit_test(test_v1_length),
		cmocka_unit_test(test_v2_good),    cmocka_unit_test(test_v2_bad),
		cmocka_unit_test(test_looks_like), cmocka_unit_test(test_reader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
