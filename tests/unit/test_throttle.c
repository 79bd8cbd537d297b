#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "master/throttle.h"

static struct net_addr ip(const char *s)
{
	struct net_addr a;
	assert_int_equal(net_addr_parse(&a, s, 0), 0);
	return a;
}

static void test_blocks_at_limit_within_window(void **state)
{
	struct throttle *t = calloc(1, sizeof(*t));
	struct net_addr a = ip("192.0.2.1"), b = ip("192.0.2.2");

	(void)state;
	for (int i = 0; i < 2; i++)
		throttle_record(t, &a, 100 + i, 60);
	assert_false(throttle_blocked(t, &a, 102, 3, 60));
	throttle_record(t, &a, 103, 60);
	assert_true(throttle_blocked(t, &a, 104, 3, 60));
	assert_false(throttle_blocked(t, &b, 104, 3, 60));
	/* The window ends; the address is welcome again. */
	assert_false(throttle_blocked(t, &a, 160, 3, 60));
	/* A failure after the window starts a new count. */
	throttle_record(t, &a, 161, 60);
	assert_false(throttle_blocked(t, &a, 162, 3, 60));
	free(t);
}

static void test_limit_zero_never_blocks(void **state)
{
	struct throttle *t = calloc(1, sizeof(*t));
	struct net_addr a = ip("2001:db8::1");

	(void)state;
	for (int i = 0; i < 50; i++)
		throttle_record(t, &a, 10, 60);
	assert_false(throttle_blocked(t, &a, 10, 0, 60));
	free(t);
}

static void test_mapped_and_plain_ipv4_are_one_client(void **state)
{
	struct throttle *t = calloc(1, sizeof(*t));
	struct net_addr a = ip("::ffff:198.51.100.7"), b = ip("198.51.100.7");

	(void)state;
	throttle_record(t, &a, 5, 60);
	throttle_record(t, &b, 5, 60);
	assert_true(throttle_blocked(t, &b, 6, 2, 60));
	free(t);
}

static void test_table_full_forgets_the_stalest(void **state)
{
	struct throttle *t = calloc(1, sizeof(*t));
	char buf[32];

	(void)state;
	for (unsigned i = 0; i < THROTTLE_MAX; i++) {
		struct net_addr a;
		snprintf(buf, sizeof(buf), "10.%u.%u.1", i / 256, i % 256);
		a = ip(buf);
		throttle_record(t, &a, 1000 + i, 100000);
	}
	struct net_addr first = ip("10.0.0.1"), last = ip("10.15.255.1"), fresh = ip("203.0.113.9");
	throttle_record(t, &fresh, 9000, 100000);
	assert_int_equal(t->n, THROTTLE_MAX);
	assert_false(throttle_blocked(t, &first, 9001, 1, 100000)); /* evicted */
	assert_true(throttle_blocked(t, &last, 9001, 1, 100000));
	assert_true(throttle_blocked(t, &fresh, 9001, 1, 100000));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_at_limit_within_window),
		cmocka_unit_test(test_limit_zero_never_blocks),
		cmocka_unit_test(test_mapped_and_plain_ipv4_are_one_client),
		cmocka_unit_test(test_table_full_forgets_the_stalest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
