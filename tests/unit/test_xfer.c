/* Unit tests for the pure parts of engine/xfer.c: REST arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/ascii.h"
#include "engine/xfer.h"

static void test_parse_offset(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(xfer_parse_offset("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(xfer_parse_offset("1048576", &v), 0);
	assert_int_equal(v, 1048576);
	assert_int_equal(xfer_parse_offset("9223372036854775807", &v), 0);
	assert_true(v == INT64_MAX);
	v = 7;
	assert_int_equal(xfer_parse_offset("9223372036854775808", &v), -1);
	assert_int_equal(xfer_parse_offset("99999999999999999999999", &v), -1);
	assert_int_equal(xfer_parse_offset("", &v), -1);
	assert_int_equal(xfer_parse_offset("-1", &v), -1);
	assert_int_equal(xfer_parse_offset("+1", &v), -1);
	assert_int_equal(xfer_parse_offset(" 1", &v), -1);
	assert_int_equal(xfer_parse_offset("1 ", &v), -1);
	assert_int_equal(xfer_parse_offset("12abc", &v), -1);
	assert_int_equal(xfer_parse_offset("0x10", &v), -1);
	assert_int_equal(v, 7); /* untouched on failure */
}

static void test_offset_valid(void **state)
{
	uint64_t rem = 99;

	(void)state;
	assert_true(xfer_offset_valid(0, 100, &rem));
	assert_int_equal(rem, 100);
	assert_true(xfer_offset_valid(40, 100, &rem));
	assert_int_equal(rem, 60);
	assert_true(xfer_offset_valid(100, 100, &rem)); /* resume a complete file */
	assert_int_equal(rem, 0);
	assert_false(xfer_offset_valid(101, 100, &rem));
	assert_false(xfer_offset_valid(UINT64_MAX, 0, &rem));
	assert_true(xfer_offset_valid(0, 0, &rem));
	assert_int_equal(rem, 0);
}

static void test_rate_delay(void **state)
{
	(void)state;
	assert_int_equal(xfer_rate_delay_ms(1000000, 0, 0), 0); /* unlimited */
	assert_int_equal(xfer_rate_delay_ms(100000, 0, 100000), 1000);
	assert_int_equal(xfer_rate_delay_ms(100000, 400, 100000), 600);
	assert_int_equal(xfer_rate_delay_ms(100000, 1000, 100000), 0); /* on time */
	assert_int_equal(xfer_rate_delay_ms(100000, 5000, 100000), 0); /* behind */
	assert_int_equal(xfer_rate_delay_ms(1, 0, 3), 333);
	/* no overflow near the top of the byte count */
	assert_int_equal(xfer_rate_delay_ms(UINT64_MAX, 0, 1), INT64_MAX);
	assert_int_equal(xfer_rate_delay_ms(UINT64_MAX, 0, UINT64_MAX), 1000);
}

static void test_ascii_network_extra(void **state)
{
	bool prev = false;

	(void)state;
	assert_int_equal(ascii_network_extra("a\nb\n", 4, &prev), 2);
	prev = false;
	assert_int_equal(ascii_network_extra("a\r\nb", 4, &prev), 0);
	/* CR at the end of one buffer, LF at the start of the next */
	prev = false;
	assert_int_equal(ascii_network_extra("a\r", 2, &prev), 0);
	assert_int_equal(ascii_network_extra("\nb\n", 3, &prev), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_offset),
		cmocka_unit_test(test_offset_valid),
		cmocka_unit_test(test_rate_delay),
		cmocka_unit_test(test_ascii_network_extra),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
