/* engine/namefilter.c: vsftpd's deny_file / hide_file patterns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/namefilter.h"

static void test_single_and_braces(void **state)
{
	(void)state;
	assert_false(namefilter_match("", "/a/b.mp3"));
	assert_true(namefilter_match("*.mp3", "/music/song.mp3"));
	assert_false(namefilter_match("*.mp3", "/music/song.ogg"));
	assert_true(namefilter_match("{*.mp3,*.mov,.private}", "/x/clip.mov"));
	assert_true(namefilter_match("{*.mp3,*.mov,.private}", "/.private"));
	assert_false(namefilter_match("{*.mp3,*.mov,.private}", "/x/.privatex"));
}

/* A denied directory denies what is inside it. */
static void test_every_component(void **state)
{
	(void)state;
	assert_true(namefilter_match("{.private}", "/home/.private/notes.txt"));
	assert_true(namefilter_match("secret*", "/secret-stuff/a/b"));
	assert_false(namefilter_match("secret*", "/a/not-secret"));
	assert_false(namefilter_match("{,}", "/a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_and_braces),
		cmocka_unit_test(test_every_component),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
