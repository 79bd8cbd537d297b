/* Unit tests for config/pasv.c (the 227/229 reply texts and the address
 * to advertise) and common/netaddr.c, which they are built on. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "common/netaddr.h"
#include "config/pasv.h"

static struct net_addr addr(const char *ip, unsigned port)
{
	struct net_addr a;

	if (net_addr_parse(&a, ip, port) != 0)
		fail_msg("net_addr_parse(\"%s\", %u) failed", ip, port);
	return a;
}

/* ---- netaddr ---------------------------------------------------------- */

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

/* ---- 227 -------------------------------------------------------------- */

static void test_227_format(void **state)
{
	const struct {
		const char *ip;
		unsigned port;
		const char *want;
	} cases[] = {
		{ "10.1.2.3", 0, "227 Entering Passive Mode (10,1,2,3,0,0)." },
		{ "10.1.2.3", 1, "227 Entering Passive Mode (10,1,2,3,0,1)." },
		{ "10.1.2.3", 255, "227 Entering Passive Mode (10,1,2,3,0,255)." },
		{ "10.1.2.3", 256, "227 Entering Passive Mode (10,1,2,3,1,0)." },
		{ "10.1.2.3", 257, "227 Entering Passive Mode (10,1,2,3,1,1)." },
		{ "10.1.2.3", 50000, "227 Entering Passive Mode (10,1,2,3,195,80)." },
		{ "10.1.2.3", 65535, "227 Entering Passive Mode (10,1,2,3,255,255)." },
		{ "::ffff:10.1.2.3", 21, "227 Entering Passive Mode (10,1,2,3,0,21)." },
		{ "::ffff:192.168.254.255", 65534,
		  "227 Entering Passive Mode (192,168,254,255,255,254)." },
		{ "0.0.0.0", 0, "227 Entering Passive Mode (0,0,0,0,0,0)." },
		{ "255.255.255.255", 65535,
		  "227 Entering Passive Mode (255,255,255,255,255,255)." },
	};
	char buf[128];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct net_addr a = addr(cases[i].ip, cases[i].port);
		int n = pasv_format_227(buf, sizeof(buf), &a);
		assert_int_equal(n, (int)strlen(cases[i].want));
		assert_string_equal(buf, cases[i].want);
	}
}

/* p1 * 256 + p2 gives back every port. */
static void test_227_port_arithmetic(void **state)
{
	char buf[128];
	(void)state;

	for (unsigned port = 0; port <= 65535; port += (port < 1024 ? 1 : 97)) {
		struct net_addr a = addr("192.0.2.1", port);
		unsigned h1, h2, h3, h4, p1, p2;
		char tail;
		assert_true(pasv_format_227(buf, sizeof(buf), &a) > 0);
		assert_int_equal(sscanf(buf,
					"227 Entering Passive Mode "
					"(%u,%u,%u,%u,%u,%u)%c",
					&h1, &h2, &h3, &h4, &p1, &p2, &tail),
				 7);
		assert_int_equal(tail, '.');
		assert_true(p1 <= 255 && p2 <= 255);
		assert_int_equal(p1 * 256 + p2, port);
		assert_int_equal(h1, 192);
		assert_int_equal(h4, 1);
	}
}

static void test_227_ipv6_refused(void **state)
{
	const char *v6[] = { "::1", "2001:db8::1", "::", "::10.1.2.3", "fe80::ffff:10.1.2.3" };
	char buf[128];
	(void)state;

	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		struct net_addr a = addr(v6[i], 21);
		assert_int_equal(pasv_format_227(buf, sizeof(buf), &a), -1);
	}
	/* No family at all. */
	{
		struct net_addr none;
		memset(&none, 0, sizeof(none));
		assert_int_equal(pasv_format_227(buf, sizeof(buf), &none), -1);
	}
}

static void test_227_small_buffer(void **state)
{
	const char *want = "227 Entering Passive Mode (10,1,2,3,195,80).";
	size_t len = strlen(want);
	struct net_addr a = addr("10.1.2.3", 50000);
	char buf[128];
	(void)state;

	assert_int_equal(pasv_format_227(buf, len + 1, &a), (int)len);
	assert_string_equal(buf, want);
	for (size_t size = 0; size <= len; size++) {
		memset(buf, 'Z', sizeof(buf));
		assert_int_equal(pasv_format_227(buf, size, &a), -1);
		/* Never a byte past SIZE. */
		for (size_t j = size; j < sizeof(buf); j++)
			assert_int_equal(buf[j], 'Z');
	}
}

/* ---- 229 -------------------------------------------------------------- */

static void test_229_format(void **state)
{
	const struct {
		unsigned port;
		const char *want;
	} cases[] = {
		{ 0, "229 Entering Extended Passive Mode (|||0|)" },
		{ 1, "229 Entering Extended Passive Mode (|||1|)" },
		{ 256, "229 Entering Extended Passive Mode (|||256|)" },
		{ 50000, "229 Entering Extended Passive Mode (|||50000|)" },
		{ 65535, "229 Entering Extended Passive Mode (|||65535|)" },
	};
	char buf[128];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = pasv_format_229(buf, sizeof(buf), cases[i].port);
		assert_int_equal(n, (int)strlen(cases[i].want));
		assert_string_equal(buf, cases[i].want);
	}

	/* Small buffer. */
	{
		const char *want = cases[3].want;
		size_t len = strlen(want);
		assert_int_equal(pasv_format_229(buf, len + 1, 50000), (int)len);
		assert_int_equal(pasv_format_229(buf, len, 50000), -1);
		assert_int_equal(pasv_format_229(buf, 1, 50000), -1);
		assert_int_equal(pasv_format_229(buf, 0, 50000), -1);
	}
}

/* ---- address choice --------------------------------------------------- */

struct choose_case {
	/* policy: pasv_address_rule lines, pasv_address_exempt, and the
	 * resolved pasv_address (NULL = none) */
	const char *rules;
	const char *exempt;
	const char *masq;
	/* the connection */
	const char *client;
	const char *local;
	unsigned local_port;
	/* expected */
	const char *want;
	enum pasv_why why;
	int rule;
};

static const struct choose_case choose_cases[] = {
	/* No NAT configured: always the control connection's local address,
	 * whatever the client. */
	{ "", "", NULL, "192.0.2.10", "10.0.0.1", 21, "10.0.0.1:21", PASV_WHY_NO_MASQ, -1 },
	{ "", "", NULL, "10.0.0.99", "10.0.0.1", 21, "10.0.0.1:21", PASV_WHY_NO_MASQ, -1 },
	{ "", "", NULL, "127.0.0.1", "127.0.0.1", 2121, "127.0.0.1:2121", PASV_WHY_NO_MASQ, -1 },
	{ "", "", NULL, "::1", "::1", 21, "[::1]:21", PASV_WHY_NO_MASQ, -1 },
	{ "", "", NULL, "2001:db8::99", "2001:db8::1", 990, "[2001:db8::1]:990", PASV_WHY_NO_MASQ,
	  -1 },
	/* Dual-stack socket: mapped local address, shown as IPv4. */
	{ "", "", NULL, "::ffff:192.0.2.10", "::ffff:10.0.0.1", 21, "10.0.0.1:21", PASV_WHY_NO_MASQ,
	  -1 },

	/* pasv_address: outside clients get it, with the local port. */
	{ "", "", "203.0.113.5", "198.51.100.7", "10.0.0.1", 21, "203.0.113.5:21", PASV_WHY_MASQ,
	  -1 },
	{ "", "", "203.0.113.5", "::ffff:198.51.100.7", "::ffff:10.0.0.1", 21, "203.0.113.5:21",
	  PASV_WHY_MASQ, -1 },
	/* ... except those in pasv_address_exempt. */
	{ "", "private", "203.0.113.5", "10.9.8.7", "10.0.0.1", 21, "10.0.0.1:21", PASV_WHY_EXEMPT,
	  -1 },
	{ "", "private", "203.0.113.5", "::ffff:192.168.1.5", "::ffff:10.0.0.1", 21, "10.0.0.1:21",
	  PASV_WHY_EXEMPT, -1 },
	{ "", "private", "203.0.113.5", "198.51.100.7", "10.0.0.1", 21, "203.0.113.5:21",
	  PASV_WHY_MASQ, -1 },
	{ "", "198.51.100.0/24", "203.0.113.5", "198.51.100.7", "10.0.0.1", 21, "10.0.0.1:21",
	  PASV_WHY_EXEMPT, -1 },
	/* An IPv4 pasv_address is never sent to an IPv6 control
	 * connection. */
	{ "", "", "203.0.113.5", "2001:db8::99", "2001:db8::1", 21, "[2001:db8::1]:21",
	  PASV_WHY_FAMILY, -1 },

	/* pasv_address_rule: first match wins, before the exemptions. */
	{ "10.0.0.0/8 192.168.0.1", "", NULL, "10.1.1.1", "10.0.0.1", 21, "192.168.0.1:21",
	  PASV_WHY_RULE, 0 },
	{ "10.0.0.0/8 192.168.0.1", "", NULL, "11.1.1.1", "10.0.0.1", 21, "10.0.0.1:21",
	  PASV_WHY_NO_MASQ, -1 },
	{ "10.0.0.0/8 192.168.0.1\n0.0.0.0/0 local", "private", "203.0.113.5", "198.51.100.7",
	  "10.0.0.1", 21, "10.0.0.1:21", PASV_WHY_RULE, 1 },
	{ "10.0.0.0/8 192.168.0.1", "private", "203.0.113.5", "10.2.3.4", "10.0.0.1", 2121,
	  "192.168.0.1:2121", PASV_WHY_RULE, 0 },
};

static void test_choose_address(void **state)
{
	static struct cfg_settings set;
	static struct pasv_policy pol;
	(void)state;

	for (size_t i = 0; i < sizeof(choose_cases) / sizeof(choose_cases[0]); i++) {
		const struct choose_case *c = &choose_cases[i];
		struct net_addr client = addr(c->client, 40000);
		struct net_addr local = addr(c->local, c->local_port);
		struct net_addr masq, out;
		char buf[NETADDR_STRLEN], err[256];
		enum pasv_why why;
		int rule = 1234;

		memset(&set, 0, sizeof(set));
		snprintf(set.pasv_address_rule, sizeof(set.pasv_address_rule), "%s", c->rules);
		snprintf(set.pasv_address_exempt, sizeof(set.pasv_address_exempt), "%s", c->exempt);
		if (c->masq)
			masq = addr(c->masq, 0);
		if (pasv_policy_build(&pol, &set, c->masq ? &masq : NULL, err, sizeof(err)) != 0)
			fail_msg("case %zu: policy: %s", i, err);

		memset(&out, 0xa5, sizeof(out));
		why = pasv_choose_address(&pol, &client, &local, &out, &rule);
		net_addr_string(&out, buf, sizeof(buf));
		if (strcmp(buf, c->want) != 0 || why != c->why || rule != c->rule)
			print_error("case %zu: got %s why %d rule %d\n", i, buf, (int)why, rule);
		assert_string_equal(buf, c->want);
		assert_int_equal(why, c->why);
		assert_int_equal(rule, c->rule);
		/* Always the local port, and a 227 when local is IPv4. */
		assert_int_equal(net_addr_port(&out), c->local_port);
		{
			struct in_addr v4;
			char reply[128];
			if (net_addr_ipv4(&local, &v4))
				assert_true(pasv_format_227(reply, sizeof(reply), &out) > 0);
		}
	}
}

/* What the engine actually sends for a mapped local address: a valid 227. */
static void test_choose_then_format(void **state)
{
	static struct pasv_policy pol;
	struct net_addr client = addr("::ffff:192.0.2.10", 40000);
	struct net_addr local = addr("::ffff:10.0.0.1", 21);
	struct net_addr out;
	char buf[128];
	int rule;
	(void)state;

	memset(&pol, 0, sizeof(pol));
	assert_int_equal(pasv_choose_address(&pol, &client, &local, &out, &rule), PASV_WHY_NO_MASQ);
	net_addr_set_port(&out, 50001);
	assert_true(pasv_format_227(buf, sizeof(buf), &out) > 0);
	assert_string_equal(buf, "227 Entering Passive Mode (10,0,0,1,195,81).");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netaddr_parse),
		cmocka_unit_test(test_netaddr_port),
		cmocka_unit_test(test_netaddr_same_ip),
		cmocka_unit_test(test_netaddr_strings),
		cmocka_unit_test(test_netaddr_ipv4),
		cmocka_unit_test(test_227_format),
		cmocka_unit_test(test_227_port_arithmetic),
		cmocka_unit_test(test_227_ipv6_refused),
		cmocka_unit_test(test_227_small_buffer),
		cmocka_unit_test(test_229_format),
		cmocka_unit_test(test_choose_address),
		cmocka_unit_test(test_choose_then_format),
	};

	return cmocka_run_group_tests_name("pasv", tests, NULL, NULL);
}
