/* The environment every role starts with (sandbox/role.c): glibc's cache
 * of freed small chunks off, the sanitizers' settings kept, nothing else
 * of the parent's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sandbox/role.h"

static size_t count(char **env, const char *prefix)
{
	size_t n = 0;

	for (char **e = env; *e; e++)
		n += strncmp(*e, prefix, strlen(prefix)) == 0;
	return n;
}

static void test_roles_run_without_the_chunk_cache(void **state)
{
	char **env;

	(void)state;
	setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=7", 1);
	env = role_environment();
	/* Ours, once: the parent's own setting does not come along. */
	assert_int_equal(count(env, "GLIBC_TUNABLES="), 1);
	assert_int_equal(count(env, "GLIBC_TUNABLES=glibc.malloc.tcache_count=0"), 1);
}

static void test_only_the_sanitizers_settings_are_kept(void **state)
{
	char **env;

	(void)state;
	setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
	setenv("NOTIFY_SOCKET", "/run/x", 1);
	setenv("PATH", "/usr/bin", 1);
	env = role_environment();
	assert_int_equal(count(env, "ASAN_OPTIONS=detect_leaks=0"), 1);
	assert_int_equal(count(env, "NOTIFY_SOCKET="), 0);
	assert_int_equal(count(env, "PATH="), 0);
	assert_int_equal(count(env, "FTPSD_TITLE_ROOM="), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles_run_without_the_chunk_cache),
		cmocka_unit_test(test_only_the_sanitizers_settings_are_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
