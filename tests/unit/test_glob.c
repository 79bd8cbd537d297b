/* Unit tests for engine/glob.c: the bounded LIST/NLST pattern matcher. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/glob.h"

static int m(const char *pattern, const char *name)
{
	unsigned long budget = 1000000;

	return glob_match(pattern, name, &budget);
}

static void test_literals_and_star(void **state)
{
	(void)state;
	assert_int_equal(m("a.txt", "a.txt"), GLOB_MATCH);
	assert_int_equal(m("a.txt", "b.txt"), GLOB_NOMATCH);
	assert_int_equal(m("*.txt", "notes.txt"), GLOB_MATCH);
	assert_int_equal(m("*.txt", ".txt"), GLOB_MATCH);
	assert_int_equal(m("*.txt", "notes.txt.bak"), GLOB_NOMATCH);
	assert_int_equal(m("*", "x"), GLOB_MATCH);
	assert_int_equal(m("**", "x"), GLOB_MATCH);
	assert_int_equal(m("a*b*c", "aXXbYYc"), GLOB_MATCH);
	assert_int_equal(m("a*b*c", "aXXbYY"), GLOB_NOMATCH);
	assert_int_equal(m("*ab", "aab"), GLOB_MATCH); /* needs the backtrack */
	assert_int_equal(m("", "x"), GLOB_NOMATCH);
}

static void test_question_and_utf8(void **state)
{
	(void)state;
	assert_int_equal(m("?.txt", "a.txt"), GLOB_MATCH);
	assert_int_equal(m("?.txt", "ab.txt"), GLOB_NOMATCH);
	/* "é" is two bytes but one character */
	assert_int_equal(m("caf?", "caf\xc3\xa9"), GLOB_MATCH);
	assert_int_equal(m("caf??", "caf\xc3\xa9"), GLOB_NOMATCH);
	assert_int_equal(m("*\xc3\xa9", "caf\xc3\xa9"), GLOB_MATCH);
	/* malformed UTF-8 counts byte by byte */
	assert_int_equal(m("??", "\xc3\x41"), GLOB_MATCH);
}

static void test_classes(void **state)
{
	(void)state;
	assert_int_equal(m("[abc].txt", "b.txt"), GLOB_MATCH);
	assert_int_equal(m("[abc].txt", "d.txt"), GLOB_NOMATCH);
	assert_int_equal(m("[a-c]x", "cx"), GLOB_MATCH);
	assert_int_equal(m("[!a-c]x", "cx"), GLOB_NOMATCH);
	assert_int_equal(m("[^a-c]x", "dx"), GLOB_MATCH);
	assert_int_equal(m("[]]", "]"), GLOB_MATCH);
	assert_int_equal(m("[a-]", "-"), GLOB_MATCH);
	/* no closing bracket: '[' is literal */
	assert_int_equal(m("[ab", "[ab"), GLOB_MATCH);
	assert_int_equal(m("[", "["), GLOB_MATCH);
}

static void test_escapes(void **state)
{
	(void)state;
	assert_int_equal(m("\\*", "*"), GLOB_MATCH);
	assert_int_equal(m("\\*", "a"), GLOB_NOMATCH);
	assert_int_equal(m("a\\?", "a?"), GLOB_MATCH);
	assert_int_equal(m("a\\", "a\\"), GLOB_MATCH);
	assert_int_equal(glob_has_magic("a.txt"), 0);
	assert_int_equal(glob_has_magic("a*.txt"), 1);
	assert_int_equal(glob_has_magic("[x]"), 1);
}

/* The classic exponential case for backtracking matchers. */
static void test_pathological_is_bounded(void **state)
{
	char pattern[GLOB_PATTERN_MAX + 1], name[256];
	unsigned long budget = 100000000;
	size_t i;

	(void)state;
	for (i = 0; i + 2 < 200; i += 2)
		memcpy(pattern + i, "a*", 2);
	pattern[i++] = 'b';
	pattern[i] = '\0';
	memset(name, 'a', 255);
	name[255] = '\0';
	assert_int_equal(glob_match(pattern, name, &budget), GLOB_NOMATCH);
	/* at most |pattern| * |name| steps */
	assert_true(100000000 - budget <= 200ul * 256);

	/* The quadratic case of the one-backtrack matcher: every start
	 * position of the star re-tries 100 characters. */
	pattern[0] = '*';
	memset(pattern + 1, 'a', 100);
	pattern[101] = 'b';
	pattern[102] = '\0';
	budget = 100000000;
	assert_int_equal(glob_match(pattern, name, &budget), GLOB_NOMATCH);
	assert_true(100000000 - budget <= 103ul * 256);
	budget = 1000;
	assert_int_equal(glob_match(pattern, name, &budget), GLOB_TOO_COSTLY);
	assert_int_equal(budget, 0);
}

static void test_overlong_pattern(void **state)
{
	char pattern[GLOB_PATTERN_MAX + 2];

	(void)state;
	memset(pattern, '*', sizeof(pattern) - 1);
	pattern[sizeof(pattern) - 1] = '\0';
	assert_int_equal(m(pattern, "x"), GLOB_NOMATCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals_and_star),
		cmocka_unit_test(test_question_and_utf8),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_pathological_is_bounded),
		cmocka_unit_test(test_overlong_pattern),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
