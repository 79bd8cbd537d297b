/* Unit tests for engine/port.c: PORT and EPRT arguments (hostile ones
 * included) and the bounce-protection rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/netaddr.h"
#include "engine/port.h"

static struct net_addr addr(const char *ip, unsigned port)
{
	struct net_addr a;

	if (net_addr_parse(&a, ip, port) != 0)
		fail_msg("net_addr_parse(\"%s\", %u) failed", ip, port);
	return a;
}

static void expect_ip_port(const struct net_addr *a, const char *ip, unsigned port)
{
	char got[NETADDR_STRLEN];

	net_addr_ip_string(a, got, sizeof(got));
	assert_string_equal(got, ip);
	assert_int_equal(net_addr_port(a), port);
}

static void test_port_good(void **state)
{
	struct net_addr a;
	(void)state;

	assert_int_equal(port_parse_port("127,0,0,1,4,1", &a), PORT_PARSE_OK);
	assert_int_equal(net_addr_family(&a), AF_INET);
	expect_ip_port(&a, "127.0.0.1", 1025);
	assert_int_equal(port_parse_port("10,1,2,3,255,255", &a), PORT_PARSE_OK);
	expect_ip_port(&a, "10.1.2.3", 65535);
	assert_int_equal(port_parse_port("0,0,0,0,0,0", &a), PORT_PARSE_OK);
	expect_ip_port(&a, "0.0.0.0", 0);
	/* leading zeros up to three digits, as some clients send */
	assert_int_equal(port_parse_port("127,000,000,001,004,001", &a), PORT_PARSE_OK);
	expect_ip_port(&a, "127.0.0.1", 1025);
}

static void test_port_hostile(void **state)
{
	const char *bad[] = {
		"",
		"127,0,0,1,4",     /* five fields */
		"127,0,0,1,4,1,7", /* seven */
		"256,0,0,1,4,1",   /* 256 in the address */
		"127,0,0,1,256,1", /* 256 in the port */
		"127,0,0,1,4,256",
		"-1,0,0,1,4,1", /* negative */
		"127,0,0,1,-4,1",
		"+127,0,0,1,4,1",                      /* sign */
		"127,0,0,1,0004,1",                    /* four digits */
		"1270000000000000000000000,0,0,1,4,1", /* overlong */
		"4294967297,0,0,1,4,1",                /* wraps 32 bits */
		"127,0,0,1,4,1 ",                      /* trailing space */
		" 127,0,0,1,4,1",
		"127, 0,0,1,4,1",
		"127,0,0,1,4,1\r",
		"127,,0,1,4,1",
		"127,0,0,1,4,",
		",127,0,0,1,4,1",
		"127.0.0.1,4,1",      /* dots */
		"0x7f,0,0,1,4,1",     /* hex */
		"a,b,c,d,e,f",        /* garbage */
		"|1|127.0.0.1|1025|", /* EPRT syntax */
	};
	struct net_addr a;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (port_parse_port(bad[i], &a) != PORT_PARSE_BAD)
			fail_msg("PORT \"%s\" accepted", bad[i]);
	}
}

static void test_eprt_good(void **state)
{
	struct net_addr a;
	(void)state;

	assert_int_equal(port_parse_eprt("|1|127.0.0.1|1025|", &a), PORT_PARSE_OK);
	assert_int_equal(net_addr_family(&a), AF_INET);
	expect_ip_port(&a, "127.0.0.1", 1025);
	assert_int_equal(port_parse_eprt("|2|::1|65535|", &a), PORT_PARSE_OK);
	assert_int_equal(net_addr_family(&a), AF_INET6);
	expect_ip_port(&a, "::1", 65535);
	assert_int_equal(port_parse_eprt("!2!2001:db8::5!2000!", &a), PORT_PARSE_OK);
	expect_ip_port(&a, "2001:db8::5", 2000);
	/* RFC 2428 example */
	assert_int_equal(port_parse_eprt("|1|132.235.1.2|6275|", &a), PORT_PARSE_OK);
	expect_ip_port(&a, "132.235.1.2", 6275);
}

static void test_eprt_hostile(void **state)
{
	const char *bad[] = {
		"",
		"|",
		"||||",
		"|1|127.0.0.1|1025",   /* no closing delimiter */
		"|1|127.0.0.1|1025||", /* extra */
		"|1|127.0.0.1|1025| ",
		"|1|127.0.0.1|65536|", /* port too big */
		"|1|127.0.0.1|-1|",    /* negative */
		"|1|127.0.0.1|+1025|",
		"|1|127.0.0.1|000001025|", /* overlong */
		"|1|127.0.0.1||",
		"|1||1025|",          /* no address */
		"|1|::1|1025|",       /* IPv6 under 1 */
		"|2|127.0.0.1|1025|", /* IPv4 under 2 */
		"|1|256.0.0.1|1025|",
		"|1|127.0.0.1 |1025|",
		"|1|localhost|1025|", /* names are not addresses */
		"|1|0x7f.1|1025|",
		"|2|::1%lo|1025|", /* no scope ids */
		"|2|[::1]|1025|",
		"1|1|127.0.0.1|1025|1", /* a digit as delimiter */
		" 1 127.0.0.1 1025 ",   /* space as delimiter */
		"|x|127.0.0.1|1025|",
		"||127.0.0.1|1025|",
		"|01234567|127.0.0.1|1025|", /* protocol overlong */
		"|1|1111111111111111111111111111111111111111111111111111111111|1|",
	};
	struct net_addr a;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (port_parse_eprt(bad[i], &a) != PORT_PARSE_BAD)
			fail_msg("EPRT \"%s\" not refused as malformed", bad[i]);
	}
}

static void test_eprt_family(void **state)
{
	struct net_addr a;
	(void)state;

	assert_int_equal(port_parse_eprt("|3|127.0.0.1|1025|", &a), PORT_PARSE_FAMILY);
	assert_int_equal(port_parse_eprt("|0|127.0.0.1|1025|", &a), PORT_PARSE_FAMILY);
	assert_int_equal(port_parse_eprt("|99|x|1025|", &a), PORT_PARSE_FAMILY);
}

static void test_check_target(void **state)
{
	struct net_addr peer4 = addr("127.0.0.1", 50000);
	struct net_addr peer6 = addr("::1", 50000);
	struct net_addr mapped = addr("::ffff:127.0.0.1", 50000);
	struct net_addr t;
	(void)state;

	t = addr("127.0.0.1", 1024);
	assert_int_equal(port_check_target(&t, &peer4, false), PORT_CHECK_OK);
	assert_int_equal(port_check_target(&t, &mapped, false), PORT_CHECK_OK);
	t = addr("127.0.0.1", 65535);
	assert_int_equal(port_check_target(&t, &peer4, false), PORT_CHECK_OK);
	/* RFC 2577: never below 1024 */
	for (unsigned p = 0; p < 1024; p += (p < 30 ? 1 : 97)) {
		t = addr("127.0.0.1", p);
		assert_int_equal(port_check_target(&t, &peer4, false), PORT_CHECK_LOW_PORT);
	}
	t = addr("127.0.0.1", 19); /* chargen */
	assert_int_equal(port_check_target(&t, &peer4, false), PORT_CHECK_LOW_PORT);
	t = addr("127.0.0.1", 1023);
	assert_int_equal(port_check_target(&t, &peer4, false), PORT_CHECK_LOW_PORT);
	/* foreign addresses, however close */
	t = addr("127.0.0.2", 2000);
	assert_int_equal(port_check_target(&t, &peer4, false), PORT_CHECK_FOREIGN);
	t = addr("0.0.0.0", 2000);
	assert_int_equal(port_check_target(&t, &peer4, false), PORT_CHECK_FOREIGN);
	t = addr("10.0.0.1", 80);
	assert_int_equal(port_check_target(&t, &peer4, false), PORT_CHECK_FOREIGN);
	t = addr("::2", 2000);
	assert_int_equal(port_check_target(&t, &peer6, false), PORT_CHECK_FOREIGN);
	/* port_promiscuous: any host and port, never another family */
	assert_int_equal(port_check_target(&t, &peer6, true), PORT_CHECK_OK);
	t = addr("10.0.0.1", 25);
	assert_int_equal(port_check_target(&t, &peer4, true), PORT_CHECK_OK);
	assert_int_equal(port_check_target(&t, &peer6, true), PORT_CHECK_FAMILY);
	/* families */
	t = addr("::1", 2000);
	assert_int_equal(port_check_target(&t, &peer6, false), PORT_CHECK_OK);
	assert_int_equal(port_check_target(&t, &peer4, false), PORT_CHECK_FAMILY);
	t = addr("127.0.0.1", 2000);
	assert_int_equal(port_check_target(&t, &peer6, false), PORT_CHECK_FAMILY);
}

static void test_target_for_local(void **state)
{
	struct net_addr local4 = addr("127.0.0.1", 21);
	struct net_addr local6 = addr("::", 21);
	struct net_addr t;
	char s[NETADDR_STRLEN];
	(void)state;

	t = addr("127.0.0.1", 2000);
	assert_int_equal(port_target_for_local(&t, &local4), 0);
	assert_int_equal(net_addr_family(&t), AF_INET);
	assert_int_equal(port_target_for_local(&t, &local6), 0);
	assert_int_equal(net_addr_family(&t), AF_INET6);
	net_addr_string(&t, s, sizeof(s));
	assert_int_equal(net_addr_port(&t), 2000);
	assert_true(net_addr_same_ip(&t, &local4));
	assert_int_equal(port_target_for_local(&t, &local4), 0);
	assert_int_equal(net_addr_family(&t), AF_INET);
	expect_ip_port(&t, "127.0.0.1", 2000);
	t = addr("::1", 2000);
	assert_int_equal(port_target_for_local(&t, &local4), -1);
}

static void test_family_number(void **state)
{
	struct net_addr a = addr("127.0.0.1", 1), b = addr("::1", 1),
			c = addr("::ffff:10.0.0.1", 1);
	(void)state;

	assert_int_equal(port_family_number(&a), 1);
	assert_int_equal(port_family_number(&b), 2);
	assert_int_equal(port_family_number(&c), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_good),        cmocka_unit_test(test_port_hostile),
		cmocka_unit_test(test_eprt_good),        cmocka_unit_test(test_eprt_hostile),
		cmocka_unit_test(test_eprt_family),      cmocka_unit_test(test_check_target),
		cmocka_unit_test(test_target_for_local), cmocka_unit_test(test_family_number),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
