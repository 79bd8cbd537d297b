/* Unit tests for common/cidr.c: prefix parsing and matching, lists, the
 * "private" shorthand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/cidr.h"

static struct net_addr addr(const char *ip)
{
	struct net_addr a;

	if (net_addr_parse(&a, ip, 0) != 0)
		fail_msg("net_addr_parse(\"%s\") failed", ip);
	return a;
}

static void test_parse(void **state)
{
	const struct {
		const char *text;
		int rc;
		unsigned prefix;
		const char *shown;
	} cases[] = {
		{ "10.0.0.0/8", 0, 8, "10.0.0.0/8" },
		{ "0.0.0.0/0", 0, 0, "0.0.0.0/0" },
		{ "192.168.1.7", 0, 32, "192.168.1.7/32" },
		{ "192.168.1.7/32", 0, 32, "192.168.1.7/32" },
		{ "100.64.0.0/10", 0, 10, "100.64.0.0/10" },
		{ "2001:db8::/32", 0, 32, "2001:db8::/32" },
		{ "::/0", 0, 0, "::/0" },
		{ "::1", 0, 128, "::1/128" },
		/* an IPv4-mapped address stays IPv6, as the socket has it */
		{ "::ffff:10.0.0.1", 0, 128, "::ffff:10.0.0.1/128" },
		{ "fe80::/10", 0, 10, "fe80::/10" },
		/* host bits set: a typo for another network */
		{ "10.1.2.3/8", -1, 0, NULL },
		{ "2001:db8::1/32", -1, 0, NULL },
		/* garbage */
		{ "", -1, 0, NULL },
		{ "/8", -1, 0, NULL },
		{ "10.0.0.0/", -1, 0, NULL },
		{ "10.0.0.0/33", -1, 0, NULL },
		{ "10.0.0.0/-1", -1, 0, NULL },
		{ "10.0.0.0/8x", -1, 0, NULL },
		{ "10.0.0.0/08", 0, 8, "10.0.0.0/8" },
		{ "10.0.0.0/0008", -1, 0, NULL },
		{ "::/129", -1, 0, NULL },
		{ "10.0.0/8", -1, 0, NULL },
		{ "example.com/8", -1, 0, NULL },
		{ "private", -1, 0, NULL },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cidr c;
		char buf[CIDR_STRLEN];
		int rc = cidr_parse(&c, cases[i].text);

		if (rc != cases[i].rc)
			fail_msg("case %zu \"%s\": rc %d", i, cases[i].text, rc);
		if (rc == 0) {
			assert_int_equal(c.prefix, cases[i].prefix);
			cidr_string(&c, buf, sizeof(buf));
			assert_string_equal(buf, cases[i].shown);
		}
	}
}

static void test_match(void **state)
{
	const struct {
		const char *net;
		const char *ip;
		bool match;
	} cases[] = {
		{ "10.0.0.0/8", "10.255.1.2", true },
		{ "10.0.0.0/8", "11.0.0.1", false },
		{ "10.0.0.0/8", "::ffff:10.9.9.9", true }, /* mapped */
		{ "10.0.0.0/8", "::1", false },
		{ "172.16.0.0/12", "172.31.255.255", true },
		{ "172.16.0.0/12", "172.32.0.0", false },
		{ "172.16.0.0/12", "172.15.255.255", false },
		{ "100.64.0.0/10", "100.127.0.1", true },
		{ "100.64.0.0/10", "100.128.0.1", false },
		{ "192.0.2.1", "192.0.2.1", true },
		{ "192.0.2.1", "192.0.2.2", false },
		{ "0.0.0.0/0", "203.0.113.9", true },
		{ "0.0.0.0/0", "2001:db8::1", false },
		{ "2001:db8::/32", "2001:db8:ffff::1", true },
		{ "2001:db8::/32", "2001:db9::1", false },
		{ "2001:db8::/32", "10.0.0.1", false },
		{ "fe80::/10", "febf::1", true },
		{ "fe80::/10", "fec0::1", false },
		{ "::/0", "::ffff:10.0.0.1", true },
		{ "10.99.0.0/24", "10.99.0.255", true },
		{ "10.99.0.0/24", "10.99.1.0", false },
		{ "10.99.0.128/25", "10.99.0.127", false },
		{ "10.99.0.128/25", "10.99.0.200", true },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cidr c;
		struct net_addr a = addr(cases[i].ip);

		assert_int_equal(cidr_parse(&c, cases[i].net), 0);
		if (cidr_match(&c, &a) != cases[i].match)
			fail_msg("case %zu: %s in %s", i, cases[i].ip, cases[i].net);
	}
}

static void test_list(void **state)
{
	struct cidr_list l;
	char bad[CIDR_STRLEN];
	struct net_addr a;
	(void)state;

	assert_int_equal(cidr_list_parse(&l, "", bad, sizeof(bad)), 0);
	assert_int_equal(l.n, 0);
	a = addr("10.0.0.1");
	assert_int_equal(cidr_list_match(&l, &a), -1);

	assert_int_equal(
		cidr_list_parse(&l, "198.51.100.0/24, 2001:db8::/32 10.1.0.0/16", bad, sizeof(bad)),
		0);
	assert_int_equal(l.n, 3);
	a = addr("10.1.2.3");
	assert_int_equal(cidr_list_match(&l, &a), 2);
	a = addr("2001:db8::5");
	assert_int_equal(cidr_list_match(&l, &a), 1);
	a = addr("10.2.0.1");
	assert_int_equal(cidr_list_match(&l, &a), -1);

	assert_int_equal(cidr_list_parse(&l, "10.0.0.0/8, nonsense", bad, sizeof(bad)), -1);
	assert_string_equal(bad, "nonsense");
	assert_int_equal(cidr_list_parse(&l, "10.0.0.1/8", bad, sizeof(bad)), -1);
	assert_string_equal(bad, "10.0.0.1/8");
}

static void test_private(void **state)
{
	const struct {
		const char *ip;
		bool private;
	} cases[] = {
		{ "10.99.0.10", true },      { "172.20.1.1", true },
		{ "192.168.0.1", true },     { "127.0.0.1", true },
		{ "169.254.3.4", true },     { "100.64.0.1", true },
		{ "100.127.255.255", true }, { "fd12:3456::1", true },
		{ "fc00::1", true },         { "::1", true },
		{ "fe80::1", true },         { "::ffff:192.168.1.1", true },
		{ "203.0.113.10", false },   { "198.51.100.7", false },
		{ "8.8.8.8", false },        { "100.128.0.1", false },
		{ "172.32.0.1", false },     { "2001:db8::1", false },
		{ "fe00::1", false },
	};
	struct cidr_list l;
	char bad[CIDR_STRLEN];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct net_addr a = addr(cases[i].ip);
		if (cidr_is_private(&a) != cases[i].private)
			fail_msg("case %zu: %s", i, cases[i].ip);
	}
	assert_int_equal(cidr_list_parse(&l, "private,203.0.113.0/24", bad, sizeof(bad)), 0);
	assert_int_equal(l.n, 10);
}

static void test_client_key(void **state)
{
	struct net_addr a, b, k1, k2;
	char ip[NETADDR_STRLEN];

	(void)state;
	/* One /64: the same client, whatever the interface bits and port. */
	assert_int_equal(net_addr_parse(&a, "2001:db8:1:2:aaaa::1", 1000), 0);
	assert_int_equal(net_addr_parse(&b, "2001:db8:1:2:ffff::9", 2000), 0);
	k1 = cidr_client_key(&a, 64);
	k2 = cidr_client_key(&b, 64);
	assert_true(net_addr_same_ip(&k1, &k2));
	net_addr_ip_string(&k1, ip, sizeof(ip));
	assert_string_equal(ip, "2001:db8:1:2::");
	/* The next /64 is another client; /128 counts addresses. */
	assert_int_equal(net_addr_parse(&b, "2001:db8:1:3::1", 0), 0);
	k2 = cidr_client_key(&b, 64);
	assert_false(net_addr_same_ip(&k1, &k2));
	k1 = cidr_client_key(&a, 128);
	net_addr_ip_string(&k1, ip, sizeof(ip));
	assert_string_equal(ip, "2001:db8:1:2:aaaa::1");
	/* IPv4 and v4-mapped IPv6 are the same client. */
	assert_int_equal(net_addr_parse(&a, "192.0.2.7", 21), 0);
	assert_int_equal(net_addr_parse(&b, "::ffff:192.0.2.7", 22), 0);
	k1 = cidr_client_key(&a, 64);
	k2 = cidr_client_key(&b, 64);
	assert_true(net_addr_same_ip(&k1, &k2));
	net_addr_ip_string(&k2, ip, sizeof(ip));
	assert_string_equal(ip, "192.0.2.7");
}

static void test_overlap(void **state)
{
	const struct {
		const char *a, *b;
		bool overlap;
	} cases[] = {
		{ "10.0.0.0/8", "10.1.2.3", true },
		{ "10.1.2.3", "10.0.0.0/8", true },
		{ "10.0.0.0/24", "10.0.1.0/24", false },
		{ "10.0.0.0/23", "10.0.1.0/24", true },
		{ "0.0.0.0/0", "192.0.2.1", true },
		{ "2001:db8::/32", "2001:db8:1::/48", true },
		{ "2001:db8::/32", "2001:db9::/32", false },
		{ "10.0.0.0/8", "::/0", false }, /* families never overlap */
	};
	struct cidr a, b;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cidr_parse(&a, cases[i].a), 0);
		assert_int_equal(cidr_parse(&b, cases[i].b), 0);
		if (cidr_overlap(&a, &b) != cases[i].overlap)
			fail_msg("%s ~ %s", cases[i].a, cases[i].b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),      cmocka_unit_test(test_match),
		cmocka_unit_test(test_list),       cmocka_unit_test(test_private),
		cmocka_unit_test(test_client_key), cmocka_unit_test(test_overlap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
