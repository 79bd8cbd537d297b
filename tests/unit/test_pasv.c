/* Unit tests for config/pasv.c: the 227/229 reply texts, the
 * pasv_address_rule syntax and the address to advertise (rules,
 * exemptions, masquerade, families, offsets). */
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

/* ---- the decision as one table (DESIGN §3), and the rule syntax ------- */

struct nat_case {
	const char *masq;   /* resolved pasv_address, NULL = none */
	const char *exempt; /* pasv_address_exempt */
	const char *rules;  /* pasv_address_rule lines */
	const char *client;
	const char *local;
	const char *want; /* "ip:port" advertised */
	enum pasv_why why;
	int rule;
};

static const struct nat_case nat_cases[] = {
	/* No masquerade: always the local address. */
	{ NULL, "", "", "203.0.113.7", "10.99.0.10", "10.99.0.10:21", PASV_WHY_NO_MASQ, -1 },
	{ NULL, "private", "", "10.99.0.20", "10.99.0.10", "10.99.0.10:21", PASV_WHY_EXEMPT, -1 },
	/* Masquerade for outside clients, local for exempt ones (case 1, 2). */
	{ "198.51.100.10", "private", "", "203.0.113.7", "10.99.0.10", "198.51.100.10:21",
	  PASV_WHY_MASQ, -1 },
	{ "198.51.100.10", "private", "", "10.99.0.20", "10.99.0.10", "10.99.0.10:21",
	  PASV_WHY_EXEMPT, -1 },
	{ "198.51.100.10", "private", "", "100.64.3.4", "10.99.0.10", "10.99.0.10:21",
	  PASV_WHY_EXEMPT, -1 },
	{ "198.51.100.10", "private", "", "127.0.0.1", "127.0.0.1", "127.0.0.1:21", PASV_WHY_EXEMPT,
	  -1 },
	/* Without the exemption the inside client is told the public one (case 3). */
	{ "198.51.100.10", "", "", "10.99.0.20", "10.99.0.10", "198.51.100.10:21", PASV_WHY_MASQ,
	  -1 },
	/* Explicit CIDR lists. */
	{ "198.51.100.10", "10.99.0.0/24", "", "10.99.1.20", "10.99.0.10", "198.51.100.10:21",
	  PASV_WHY_MASQ, -1 },
	{ "198.51.100.10", "10.99.0.0/24, 192.0.2.0/24", "", "192.0.2.9", "10.99.0.10",
	  "10.99.0.10:21", PASV_WHY_EXEMPT, -1 },
	/* Rules: first match wins, before exemptions. */
	{ "198.51.100.10", "private", "10.1.0.0/16 10.99.0.77\n10.0.0.0/8 10.99.0.88", "10.1.2.3",
	  "10.99.0.10", "10.99.0.77:21", PASV_WHY_RULE, 0 },
	{ "198.51.100.10", "private", "10.1.0.0/16 10.99.0.77\n10.0.0.0/8 10.99.0.88", "10.2.2.3",
	  "10.99.0.10", "10.99.0.88:21", PASV_WHY_RULE, 1 },
	{ "198.51.100.10", "private", "10.1.0.0/16 10.99.0.77", "192.168.1.1", "10.99.0.10",
	  "10.99.0.10:21", PASV_WHY_EXEMPT, -1 },
	{ "198.51.100.10", "", "203.0.113.0/24 local", "203.0.113.5", "10.99.0.10", "10.99.0.10:21",
	  PASV_WHY_RULE, 0 },
	{ NULL, "", "any 192.0.2.1", "203.0.113.5", "10.99.0.10", "192.0.2.1:21", PASV_WHY_RULE,
	  0 },
	/* "private" as a rule network expands to several rules. */
	{ "198.51.100.10", "", "private local\nany 192.0.2.1", "172.16.0.1", "10.99.0.10",
	  "10.99.0.10:21", PASV_WHY_RULE, 1 },
	{ "198.51.100.10", "", "private local\nany 192.0.2.1", "8.8.8.8", "10.99.0.10",
	  "192.0.2.1:21", PASV_WHY_RULE, 9 },
	/* Families: an IPv4 masquerade is never advertised on IPv6. */
	{ "198.51.100.10", "", "", "2001:db8::7", "2001:db8::1", "[2001:db8::1]:21",
	  PASV_WHY_FAMILY, -1 },
	{ "2001:db8::100", "", "", "203.0.113.7", "10.99.0.10", "10.99.0.10:21", PASV_WHY_FAMILY,
	  -1 },
	{ "2001:db8::100", "", "", "2001:db8:1::7", "2001:db8::1", "[2001:db8::100]:21",
	  PASV_WHY_MASQ, -1 },
	{ NULL, "", "2001:db8:1::/48 2001:db8::99", "2001:db8:1::7", "2001:db8::1",
	  "[2001:db8::99]:21", PASV_WHY_RULE, 0 },
	{ NULL, "", "2001:db8:1::/48 10.0.0.1", "2001:db8:1::7", "2001:db8::1", "[2001:db8::1]:21",
	  PASV_WHY_FAMILY, 0 },
	/* Dual-stack socket: mapped addresses count as IPv4. */
	{ "198.51.100.10", "private", "", "::ffff:203.0.113.7", "::ffff:10.99.0.10",
	  "198.51.100.10:21", PASV_WHY_MASQ, -1 },
	{ "198.51.100.10", "private", "", "::ffff:10.99.0.20", "::ffff:10.99.0.10", "10.99.0.10:21",
	  PASV_WHY_EXEMPT, -1 },
	{ "198.51.100.10", "fd00::/8", "", "fd00::5", "2001:db8::1", "[2001:db8::1]:21",
	  PASV_WHY_EXEMPT, -1 },
};

static void test_decision_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(nat_cases) / sizeof(nat_cases[0]); i++) {
		const struct nat_case *c = &nat_cases[i];
		static struct cfg_settings set;
		static struct pasv_policy pol;
		struct net_addr masq, out, client = addr(c->client, 40000);
		struct net_addr local = addr(c->local, 21);
		char err[256], buf[NETADDR_STRLEN];
		enum pasv_why why;
		int rule;

		config_set_defaults(&set);
		snprintf(set.pasv_address_exempt, sizeof(set.pasv_address_exempt), "%s", c->exempt);
		snprintf(set.pasv_address_rule, sizeof(set.pasv_address_rule), "%s", c->rules);
		if (c->masq)
			masq = addr(c->masq, 0);
		if (pasv_policy_build(&pol, &set, c->masq ? &masq : NULL, err, sizeof(err)) < 0)
			fail_msg("case %zu: %s", i, err);
		why = pasv_choose_address(&pol, &client, &local, &out, &rule);
		net_addr_string(&out, buf, sizeof(buf));
		if (strcmp(buf, c->want) != 0 || why != c->why || rule != c->rule)
			fail_msg("case %zu: client %s got %s (%s, rule %d), want %s (%s, rule %d)",
				 i, c->client, buf, pasv_why_string(why), rule, c->want,
				 pasv_why_string(c->why), c->rule);
	}
}

/* The decision, then the reply text a client obeys. */
static void test_decision_then_227(void **state)
{
	static struct cfg_settings set;
	static struct pasv_policy pol;
	struct net_addr masq = addr("198.51.100.10", 0), out;
	struct net_addr client = addr("203.0.113.7", 1), local = addr("10.99.0.10", 21);
	char err[128], reply[128];
	int rule;
	(void)state;

	config_set_defaults(&set);
	assert_int_equal(pasv_policy_build(&pol, &set, &masq, err, sizeof(err)), 0);
	assert_int_equal(pasv_choose_address(&pol, &client, &local, &out, &rule), PASV_WHY_MASQ);
	net_addr_set_port(&out, pasv_advertised_port(50001, 0));
	assert_true(pasv_format_227(reply, sizeof(reply), &out) > 0);
	assert_string_equal(reply, "227 Entering Passive Mode (198,51,100,10,195,81).");
}

static void test_rules_parse(void **state)
{
	static struct pasv_policy pol;
	const struct {
		const char *text;
		int rc;
		size_t n;
	} cases[] = {
		{ "", 0, 0 },
		{ "10.0.0.0/8 10.99.0.5", 0, 1 },
		{ "10.0.0.0/8 local", 0, 1 },
		{ "any local", 0, 2 },
		{ "private 192.0.2.1", 0, 9 },
		{ "10.0.0.0/8 10.99.0.5\n2001:db8::/32 2001:db8::1", 0, 2 },
		{ "10.0.0.0/8", -1, 0 },
		{ "10.0.0.0/8 example.com", -1, 0 },
		{ "10.0.0.1/8 10.99.0.5", -1, 0 },
		{ "10.0.0.0/8 10.99.0.5 extra", -1, 0 },
		{ "nonsense 10.99.0.5", -1, 0 },
		{ "10.0.0.0/8,11.0.0.0/8 10.99.0.5", -1, 0 },
	};
	char bad[CFG_STR_MAX];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = pasv_rules_parse(&pol, cases[i].text, bad, sizeof(bad));
		if (rc != cases[i].rc)
			fail_msg("case %zu \"%s\": rc %d", i, cases[i].text, rc);
		if (rc == 0)
			assert_int_equal(pol.nrules, cases[i].n);
	}
}

static void test_port_offset(void **state)
{
	(void)state;
	assert_int_equal(pasv_advertised_port(40000, 0), 40000);
	assert_int_equal(pasv_advertised_port(40000, 10000), 50000);
	assert_int_equal(pasv_advertised_port(65535, 0), 65535);
	assert_int_equal(pasv_advertised_port(65535, 1), -1);
	assert_int_equal(pasv_advertised_port(0, 5), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_227_format),
		cmocka_unit_test(test_227_port_arithmetic),
		cmocka_unit_test(test_227_ipv6_refused),
		cmocka_unit_test(test_227_small_buffer),
		cmocka_unit_test(test_229_format),
		cmocka_unit_test(test_choose_address),
		cmocka_unit_test(test_choose_then_format),
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_decision_then_227),
		cmocka_unit_test(test_rules_parse),
		cmocka_unit_test(test_port_offset),
	};

	return cmocka_run_group_tests_name("pasv", tests, NULL, NULL);
}
