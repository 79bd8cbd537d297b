/* Unit tests for engine/args.c: the TYPE, MFMT and SITE argument parsers.
 * Each argument is also placed so that its NUL is the last byte before an
 * unmapped page: a parser that reads past the end faults here in any
 * build, not only under ASan (issue 10: `MFMT 1`, `TYPE` with no
 * argument). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/args.h"

static char *guard_base;
static size_t page;

static int setup(void **state)
{
	(void)state;
	page = (size_t)sysconf(_SC_PAGESIZE);
	guard_base = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			  0);
	if (guard_base == MAP_FAILED)
		return -1;
	return mprotect(guard_base + page, page, PROT_NONE);
}

static int teardown(void **state)
{
	(void)state;
	return munmap(guard_base, 2 * page);
}

/* TEXT copied so that its terminating NUL is the last readable byte. */
static const char *at_edge(const char *text)
{
	size_t n = strlen(text) + 1;
	char *p = guard_base + page - n;

	memcpy(p, text, n);
	return p;
}

static void test_type(void **state)
{
	const struct {
		const char *arg;
		enum type_arg want;
	} cases[] = {
		{ "I", TYPE_ARG_BINARY },        { "i", TYPE_ARG_BINARY },
		{ "L 8", TYPE_ARG_BINARY },      { "A", TYPE_ARG_ASCII },
		{ "a n", TYPE_ARG_ASCII },       { "E", TYPE_ARG_UNSUPPORTED },
		{ "A T", TYPE_ARG_UNSUPPORTED }, { "L 7", TYPE_ARG_UNSUPPORTED },
		{ "X", TYPE_ARG_BAD },           { "AB", TYPE_ARG_BAD },
		{ " ", TYPE_ARG_BAD },           { "", TYPE_ARG_BAD },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(args_parse_type(cases[i].arg), cases[i].want);
		assert_int_equal(args_parse_type(at_edge(cases[i].arg)), cases[i].want);
	}
}

/* An empty argument followed in memory by " ": the byte after the NUL is
 * not part of the argument and must not make it a known type. */
static void test_type_empty_reads_nothing_past_it(void **state)
{
	const char buf[] = { '\0', ' ', '\0' };
	(void)state;

	assert_int_equal(args_parse_type(buf), TYPE_ARG_BAD);
	assert_int_equal(args_parse_type(at_edge("")), TYPE_ARG_BAD);
}

static void test_time(void **state)
{
	const struct {
		const char *arg;
		const char *rest; /* NULL: refused */
		time_t when;
	} cases[] = {
		{ "20200229123456 t.txt", "t.txt", 1582979696 },
		{ "19700101000000 x", "x", 0 },
		{ "20200101000000.123 a b", "a b", 1577836800 },
		{ "20200101000060 x", "x", 1577836859 }, /* leap second */
		{ "20210229000000 x", NULL, 0 },         /* no 29 February */
		{ "20200101000000", NULL, 0 },           /* no path */
		{ "20200101000000 ", NULL, 0 },
		{ "20200101000000x", NULL, 0 },
		{ "19691231235959 x", NULL, 0 },
		{ "20201301000000 x", NULL, 0 },
		{ "2020010100000 x", NULL, 0 },
		{ "+0200101000000 x", NULL, 0 },
		{ "2020", NULL, 0 },
		{ "1", NULL, 0 },
		{ "", NULL, 0 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int edge = 0; edge < 2; edge++) {
			const char *arg = edge ? at_edge(cases[i].arg) : cases[i].arg;
			time_t t = 12345;
			const char *rest = args_parse_time(arg, &t);

			if (!cases[i].rest) {
				assert_null(rest);
				assert_int_equal(t, 12345);
				continue;
			}
			assert_non_null(rest);
			assert_string_equal(rest, cases[i].rest);
			assert_int_equal(t, cases[i].when);
		}
	}
}

/* Every prefix of a good argument, each ending at the guard page. */
static void test_time_short_prefixes(void **state)
{
	const char *full = "20200229123456.5 name";
	char buf[64];
	time_t t;
	(void)state;

	for (size_t n = 0; n < strlen(full); n++) {
		memcpy(buf, full, n);
		buf[n] = '\0';
		(void)args_parse_time(at_edge(buf), &t);
	}
}

static void test_octal(void **state)
{
	unsigned v = 99;
	(void)state;

	assert_int_equal(args_parse_octal("755", 3, 0777, &v), 0);
	assert_int_equal(v, 0755);
	assert_int_equal(args_parse_octal("0644", 4, 0777, &v), 0);
	assert_int_equal(v, 0644);
	assert_int_equal(args_parse_octal("0", 1, 0777, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(args_parse_octal("1000", 4, 0777, &v), -1);
	assert_int_equal(args_parse_octal("4755", 4, 0777, &v), -1);
	assert_int_equal(args_parse_octal("00755", 5, 0777, &v), -1);
	assert_int_equal(args_parse_octal("8", 1, 0777, &v), -1);
	assert_int_equal(args_parse_octal("", 0, 0777, &v), -1);
	assert_int_equal(args_parse_octal("-1", 2, 0777, &v), -1);
	assert_int_equal(v, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type),
		cmocka_unit_test(test_type_empty_reads_nothing_past_it),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_time_short_prefixes),
		cmocka_unit_test(test_octal),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
