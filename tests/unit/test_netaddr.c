/* Unit tests for common/netaddr.c: parsing, ports, strings, IPv4-mapped
 * addresses, and which listeners could not both bind. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/netaddr.h"

static struct net_addr addr(const char *ip, unsigned port)
{
	struct net_addr a;

	if (net_addr_parse(&a, ip, port) != 0)
		fail_msg("net_addr_parse(\"%s\", %u) failed", ip, port);
	return a;
}

static void test_netaddr_parse(void **state)
{
	const struct {
		const char *ip;
		unsigned port;
		int rc;
		int family;
	} cases[] = {
		{ "127.0.0.1", 21, 0, AF_INET },
		{ "0.0.0.0", 0, 0, AF_INET },
		{ "255.255.255.255", 65535, 0, AF_INET },
		{ "::1", 21, 0, AF_INET6 },
		{ "::", 0, 0, AF_INET6 },
		{ "2001:db8::1", 990, 0, AF_INET6 },
		{ "::ffff:10.1.2.3", 21, 0, AF_INET6 },
		{ "fe80::1", 21, 0, AF_INET6 },
		/* garbage */
		{ "", 21, -1, 0 },
		{ "localhost", 21, -1, 0 },
		{ "1.2.3", 21, -1, 0 },
		{ "1.2.3.4.5", 21, -1, 0 },
		{ "256.1.1.1", 21, -1, 0 },
		{ "1.2.3.4 ", 21, -1, 0 },
		{ " 1.2.3.4", 21, -1, 0 },
		{ "1.2.3.4:21", 21, -1, 0 },
		{ "[::1]", 21, -1, 0 },
		{ "::1%lo", 21, -1, 0 },
		{ ":::", 21, -1, 0 },
		{ "0x7f.0.0.1", 21, -1, 0 },
		/* port out of range */
		{ "127.0.0.1", 65536, -1, 0 },
		{ "::1", 65536, -1, 0 },
		{ "127.0.0.1", 100000, -1, 0 },
		{ "127.0.0.1", 0xffffffffu, -1, 0 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct net_addr a;
		int rc = net_addr_parse(&a, cases[i].ip, cases[i].port);
		if (rc != cases[i].rc)
			print_error("case %zu: \"%s\" port %u\n", i, cases[i].ip, cases[i].port);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 0) {
			assert_int_equal(net_addr_family(&a), cases[i].family);
			assert_int_equal(net_addr_port(&a), cases[i].port);
			assert_int_equal(a.len, cases[i].family == AF_INET
							? sizeof(struct sockaddr_in)
							: sizeof(struct sockaddr_in6));
		}
	}
}

static void test_netaddr_port(void **state)
{
	struct net_addr a = addr("10.0.0.1", 21);
	struct net_addr b = addr("::1", 21);
	struct net_addr none;
	(void)state;

	net_addr_set_port(&a, 65535);
	net_addr_set_port(&b, 1);
	assert_int_equal(net_addr_port(&a), 65535);
	assert_int_equal(net_addr_port(&b), 1);
	memset(&none, 0, sizeof(none));
	assert_int_equal(net_addr_port(&none), 0);
}

static void test_netaddr_same_ip(void **state)
{
	const struct {
		const char *a, *b;
		bool same;
	} cases[] = {
		{ "10.1.2.3", "10.1.2.3", true },
		{ "10.1.2.3", "::ffff:10.1.2.3", true },
		{ "::ffff:10.1.2.3", "10.1.2.3", true },
		{ "::ffff:10.1.2.3", "::ffff:10.1.2.3", true },
		{ "10.1.2.3", "10.1.2.4", false },
		{ "10.1.2.3", "::ffff:10.1.2.4", false },
		{ "::1", "::1", true },
		{ "::1", "::2", false },
		{ "::1", "127.0.0.1", false },
		{ "127.0.0.1", "::ffff:127.0.0.1", true },
		/* IPv4-compatible (deprecated), not mapped: different. */
		{ "::10.1.2.3", "10.1.2.3", false },
		{ "2001:db8::1", "2001:db8::1", true },
		{ "0.0.0.0", "::", false },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* Ports never matter. */
		struct net_addr a = addr(cases[i].a, 21);
		struct net_addr b = addr(cases[i].b, 50000);
		if (net_addr_same_ip(&a, &b) != cases[i].same)
			print_error("case %zu: %s vs %s\n", i, cases[i].a, cases[i].b);
		assert_int_equal(net_addr_same_ip(&a, &b), cases[i].same);
		assert_int_equal(net_addr_same_ip(&b, &a), cases[i].same);
	}
}

static void test_netaddr_strings(void **state)
{
	const struct {
		const char *ip;
		unsigned port;
		const char *ipstr;
		const char *full;
	} cases[] = {
		{ "1.2.3.4", 21, "1.2.3.4", "1.2.3.4:21" },
		{ "::1", 21, "::1", "[::1]:21" },
		{ "::ffff:10.1.2.3", 990, "10.1.2.3", "10.1.2.3:990" },
		{ "2001:db8:0:0:0:0:0:1", 65535, "2001:db8::1", "[2001:db8::1]:65535" },
		{ "0.0.0.0", 0, "0.0.0.0", "0.0.0.0:0" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		  "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct net_addr a = addr(cases[i].ip, cases[i].port);
		char buf[NETADDR_STRLEN];
		net_addr_ip_string(&a, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].ipstr);
		net_addr_string(&a, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].full);
	}
	/* The longest form fits NETADDR_STRLEN. */
	assert_true(strlen("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535") <
		    NETADDR_STRLEN);

	/* An address of no known family prints "?", never garbage. */
	{
		struct net_addr none;
		char buf[NETADDR_STRLEN];
		memset(&none, 0, sizeof(none));
		net_addr_ip_string(&none, buf, sizeof(buf));
		assert_string_equal(buf, "?");
	}
	/* A small buffer is truncated and terminated. */
	{
		struct net_addr a = addr("::1", 21);
		char buf[8];
		memset(buf, 'Z', sizeof(buf));
		net_addr_string(&a, buf, 5);
		assert_int_equal(buf[4], '\0');
		assert_int_equal(buf[5], 'Z');
	}
}

static void test_netaddr_ipv4(void **state)
{
	struct in_addr v4;
	struct net_addr a;
	(void)state;

	a = addr("10.1.2.3", 1);
	assert_true(net_addr_ipv4(&a, &v4));
	assert_int_equal(ntohl(v4.s_addr), 0x0a010203);
	a = addr("::ffff:10.1.2.3", 1);
	assert_true(net_addr_ipv4(&a, &v4));
	assert_int_equal(ntohl(v4.s_addr), 0x0a010203);
	a = addr("::1", 1);
	assert_false(net_addr_ipv4(&a, &v4));
	a = addr("::10.1.2.3", 1);
	assert_false(net_addr_ipv4(&a, &v4));
}

static void test_netaddr_is_any(void **state)
{
	struct net_addr none;
	(void)state;

	assert_true(net_addr_is_any((struct net_addr[]){ addr("0.0.0.0", 21) }));
	assert_true(net_addr_is_any((struct net_addr[]){ addr("::", 21) }));
	assert_false(net_addr_is_any((struct net_addr[]){ addr("0.0.0.1", 21) }));
	assert_false(net_addr_is_any((struct net_addr[]){ addr("::1", 21) }));
	/* Mapped 0.0.0.0 is an address of IPv6, not its wildcard. */
	assert_false(net_addr_is_any((struct net_addr[]){ addr("::ffff:0.0.0.0", 21) }));
	memset(&none, 0, sizeof(none));
	assert_false(net_addr_is_any(&none));
}

/* listen_address and vhost clashes (config/validators.c) rest on this. */
static void test_netaddr_bind_overlap(void **state)
{
	const struct {
		const char *a, *b;
		bool overlap;
	} cases[] = {
		{ "10.0.0.1", "10.0.0.1", true },
		{ "10.0.0.1", "10.0.0.2", false },
		{ "0.0.0.0", "10.0.0.2", true },
		{ "0.0.0.0", "0.0.0.0", true },
		{ "::", "::1", true },
		{ "::", "2001:db8::1", true },
		{ "2001:db8::1", "2001:db8::1", true },
		{ "2001:db8::1", "2001:db8::2", false },
		/* Families as the sockets have them: never across. */
		{ "0.0.0.0", "::", false },
		{ "0.0.0.0", "::1", false },
		{ "::", "10.0.0.1", false },
		{ "10.0.0.1", "::ffff:10.0.0.1", false },
		{ "::", "::ffff:10.0.0.1", true },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* Ports never matter: the caller compares them. */
		struct net_addr a = addr(cases[i].a, 21), b = addr(cases[i].b, 2121);
		if (net_addr_bind_overlap(&a, &b) != cases[i].overlap ||
		    net_addr_bind_overlap(&b, &a) != cases[i].overlap)
			fail_msg("case %zu: %s vs %s", i, cases[i].a, cases[i].b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netaddr_parse),        cmocka_unit_test(test_netaddr_port),
		cmocka_unit_test(test_netaddr_same_ip),      cmocka_unit_test(test_netaddr_strings),
		cmocka_unit_test(test_netaddr_ipv4),         cmocka_unit_test(test_netaddr_is_any),
		cmocka_unit_test(test_netaddr_bind_overlap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
