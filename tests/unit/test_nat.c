/* Unit tests for the passive address decision (config/pasv.c, DESIGN §3):
 * rules, exemptions, masquerade, families, offsets; one table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/pasv.h"

static struct net_addr addr(const char *ip, unsigned port)
{
	struct net_addr a;

	if (net_addr_parse(&a, ip, port) != 0)
		fail_msg("net_addr_parse(\"%s\") failed", ip);
	return a;
}

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
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_decision_then_227),
		cmocka_unit_test(test_rules_parse),
		cmocka_unit_test(test_port_offset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
