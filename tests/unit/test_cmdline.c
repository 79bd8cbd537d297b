/* Unit tests for master/cmdline.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "master/cmdline.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static char err[128];

static int parse(struct cmdline *c, int argc, char *const argv[])
{
	memset(err, 'x', sizeof err - 1);
	err[sizeof err - 1] = '\0';
	return cmdline_parse(c, argc, argv, err, sizeof err);
}

static void expect_failure(int argc, char *const argv[], const char *why)
{
	struct cmdline c;

	assert_int_equal(parse(&c, argc, argv), -1);
	assert_string_equal(err, why);
}

static void test_no_options(void **state)
{
	char *argv[] = { "ftpsd" };
	struct cmdline c;

	(void)state;
	assert_int_equal(parse(&c, ARGC(argv), argv), 0);
	assert_int_equal(c.action, CMDLINE_RUN);
	assert_string_equal(c.config_path, FTPSD_DEFAULT_CONFIG);
	assert_false(c.foreground);
	assert_false(c.inetd);
	assert_string_equal(err, "");
}

static void test_argc_zero(void **state)
{
	char *argv[] = { NULL };
	struct cmdline c;

	(void)state;
	assert_int_equal(parse(&c, 0, argv), 0);
	assert_int_equal(c.action, CMDLINE_RUN);
}

static void test_config_separate_and_attached(void **state)
{
	char *a1[] = { "ftpsd", "-c", "/tmp/a.conf" };
	char *a2[] = { "ftpsd", "-c/tmp/b.conf" };
	char *a3[] = { "ftpsd", "-fc", "/tmp/c.conf" };
	struct cmdline c;

	(void)state;
	assert_int_equal(parse(&c, ARGC(a1), a1), 0);
	assert_string_equal(c.config_path, "/tmp/a.conf");
	assert_int_equal(parse(&c, ARGC(a2), a2), 0);
	assert_string_equal(c.config_path, "/tmp/b.conf");
	assert_int_equal(parse(&c, ARGC(a3), a3), 0);
	assert_string_equal(c.config_path, "/tmp/c.conf");
	assert_true(c.foreground);
}

static void test_flags(void **state)
{
	char *a1[] = { "ftpsd", "-f", "-i" };
	char *a2[] = { "ftpsd", "-if" };
	struct cmdline c;

	(void)state;
	assert_int_equal(parse(&c, ARGC(a1), a1), 0);
	assert_true(c.foreground);
	assert_true(c.inetd);
	assert_int_equal(c.action, CMDLINE_RUN);
	assert_int_equal(parse(&c, ARGC(a2), a2), 0);
	assert_true(c.foreground);
	assert_true(c.inetd);
}

static void test_actions(void **state)
{
	char *t[] = { "ftpsd", "-t", "-c", "x.conf" };
	char *dump[] = { "ftpsd", "-T" };
	char *h[] = { "ftpsd", "-h" };
	char *v[] = { "ftpsd", "-v" };
	char *hv[] = { "ftpsd", "-vh" };
	struct cmdline c;

	(void)state;
	assert_int_equal(parse(&c, ARGC(t), t), 0);
	assert_int_equal(c.action, CMDLINE_TEST);
	assert_string_equal(c.config_path, "x.conf");
	assert_int_equal(parse(&c, ARGC(dump), dump), 0);
	assert_int_equal(c.action, CMDLINE_DUMP);
	assert_int_equal(parse(&c, ARGC(h), h), 0);
	assert_int_equal(c.action, CMDLINE_HELP);
	assert_int_equal(parse(&c, ARGC(v), v), 0);
	assert_int_equal(c.action, CMDLINE_VERSION);
	assert_int_equal(parse(&c, ARGC(hv), hv), 0);
	assert_int_equal(c.action, CMDLINE_HELP);
}

static void test_test_and_dump_exclusive(void **state)
{
	char *a1[] = { "ftpsd", "-t", "-T" };
	char *a2[] = { "ftpsd", "-Tt" };

	(void)state;
	expect_failure(ARGC(a1), a1, "options -t and -T exclude each other");
	expect_failure(ARGC(a2), a2, "options -t and -T exclude each other");
}

static void test_unknown_option(void **state)
{
	char *a1[] = { "ftpsd", "-x" };
	char *a2[] = { "ftpsd", "-fx" };
	char *a3[] = { "ftpsd", "--help" };

	(void)state;
	expect_failure(ARGC(a1), a1, "unknown option -x");
	expect_failure(ARGC(a2), a2, "unknown option -x");
	expect_failure(ARGC(a3), a3, "unknown option --help");
}

static void test_missing_argument(void **state)
{
	char *a1[] = { "ftpsd", "-c" };
	char *a2[] = { "ftpsd", "-f", "-c", "" };

	(void)state;
	expect_failure(ARGC(a1), a1, "option -c needs a FILE");
	expect_failure(ARGC(a2), a2, "option -c needs a non-empty FILE");
}

static void test_config_twice(void **state)
{
	char *a1[] = { "ftpsd", "-c", "a", "-c", "b" };

	(void)state;
	expect_failure(ARGC(a1), a1, "option -c given twice");
}

static void test_positional_arguments(void **state)
{
	char *a1[] = { "ftpsd", "extra" };
	char *a2[] = { "ftpsd", "-f", "/etc/ftpsd.conf", "-t" };
	char *a3[] = { "ftpsd", "--", "x" };
	char *a4[] = { "ftpsd", "-" };
	char *a5[] = { "ftpsd", "-f", "--" };
	struct cmdline c;

	(void)state;
	expect_failure(ARGC(a1), a1, "unexpected argument \"extra\"");
	expect_failure(ARGC(a2), a2, "unexpected argument \"/etc/ftpsd.conf\"");
	expect_failure(ARGC(a3), a3, "unexpected argument \"x\"");
	expect_failure(ARGC(a4), a4, "unexpected argument \"-\"");
	assert_int_equal(parse(&c, ARGC(a5), a5), 0);
	assert_true(c.foreground);
}

/* No hidden state: a failed call does not leak into the next one. */
static void test_repeatable(void **state)
{
	char *bad[] = { "ftpsd", "-t", "-c" };
	char *good[] = { "ftpsd", "-T" };
	struct cmdline c;

	(void)state;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(parse(&c, ARGC(bad), bad), -1);
		assert_int_equal(parse(&c, ARGC(good), good), 0);
		assert_int_equal(c.action, CMDLINE_DUMP);
		assert_string_equal(c.config_path, FTPSD_DEFAULT_CONFIG);
	}
}

static void test_who(void **state)
{
	char *a1[] = { "ftpsd", "-w" };
	char *a2[] = { "ftpsd", "-wj", "-c", "/tmp/w.conf" };
	char *bad1[] = { "ftpsd", "-j" };
	char *bad2[] = { "ftpsd", "-w", "-t" };
	struct cmdline c;

	(void)state;
	assert_int_equal(parse(&c, ARGC(a1), a1), 0);
	assert_int_equal(c.action, CMDLINE_WHO);
	assert_false(c.json);
	assert_int_equal(parse(&c, ARGC(a2), a2), 0);
	assert_int_equal(c.action, CMDLINE_WHO);
	assert_true(c.json);
	assert_string_equal(c.config_path, "/tmp/w.conf");
	expect_failure(ARGC(bad1), bad1, "option -j goes with -w");
	expect_failure(ARGC(bad2), bad2, "option -w excludes -t and -T");
}

static void test_small_error_buffer(void **state)
{
	char *argv[] = { "ftpsd", "-x" };
	char small[8];
	struct cmdline c;

	(void)state;
	assert_int_equal(cmdline_parse(&c, ARGC(argv), argv, small, sizeof small), -1);
	assert_string_equal(small, "unknown");
	assert_int_equal(cmdline_parse(&c, ARGC(argv), argv, NULL, 0), -1);
}

static void test_usage_mentions_every_option(void **state)
{
	static const char *const opts[] = { "-c FILE", "-f", "-i", "-t", "-T",
					    "-h",      "-v", "-w", "-j" };
	const char *u = cmdline_usage();

	(void)state;
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		assert_non_null(strstr(u, opts[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_options),
		cmocka_unit_test(test_argc_zero),
		cmocka_unit_test(test_config_separate_and_attached),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_test_and_dump_exclusive),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_missing_argument),
		cmocka_unit_test(test_config_twice),
		cmocka_unit_test(test_positional_arguments),
		cmocka_unit_test(test_repeatable),
		cmocka_unit_test(test_who),
		cmocka_unit_test(test_small_error_buffer),
		cmocka_unit_test(test_usage_mentions_every_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
