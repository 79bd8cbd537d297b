/* Unit tests for engine/path.c: path_resolve turns a client path and the
 * virtual working directory into an absolute, normalised path that never
 * climbs above "/". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/path.h"
#include "engine/tilde.h"

#define OUT_MAX 4096

struct path_case {
	const char *cwd;
	const char *arg;
	const char *want;
};

static const struct path_case cases[] = {
	/* absolute and relative */
	{ "/", "/etc", "/etc" },
	{ "/home/alice", "/etc/passwd", "/etc/passwd" },
	{ "/", "pub", "/pub" },
	{ "/home/alice", "pub", "/home/alice/pub" },
	{ "/home/alice", "pub/sub/f.txt", "/home/alice/pub/sub/f.txt" },
	/* empty argument: the working directory */
	{ "/", "", "/" },
	{ "/home/alice", "", "/home/alice" },
	/* "." */
	{ "/", ".", "/" },
	{ "/a/b", ".", "/a/b" },
	{ "/a/b", "./c", "/a/b/c" },
	{ "/a/b", "c/./d/.", "/a/b/c/d" },
	{ "/a/b", "/.", "/" },
	/* ".." */
	{ "/", "..", "/" },
	{ "/a", "..", "/" },
	{ "/a/b", "..", "/a" },
	{ "/a/b", "../c", "/a/c" },
	{ "/a/b/c", "../..", "/a" },
	{ "/", "../../..", "/" },
	{ "/a", "../../..", "/" },
	{ "/a/b/c", "../../..", "/" },
	{ "/a/b/c/d", "../../..", "/a" },
	{ "/", "a/../../b", "/b" },
	{ "/x/y", "a/../../b", "/x/b" },
	{ "/x", "/../../etc/passwd", "/etc/passwd" },
	{ "/", "../etc/../../etc/./shadow", "/etc/shadow" },
	{ "/a", "b/..", "/a" },
	{ "/a", "b/../", "/a" },
	{ "/a", "/..", "/" },
	/* repeated and trailing slashes */
	{ "/", "//a///b/", "/a/b" },
	{ "/c", "//a///b/", "/a/b" },
	{ "/c", "a///b//", "/c/a/b" },
	{ "/", "/", "/" },
	{ "/", "///", "/" },
	{ "/a", "b/", "/a/b" },
	{ "/a", "/", "/" },
	/* names that only look special */
	{ "/", "...", "/..." },
	{ "/a", ".../..", "/a" },
	{ "/a", "..a", "/a/..a" },
	{ "/a", "a..", "/a/a.." },
	{ "/a", ".hidden", "/a/.hidden" },
	{ "/a", "b/.../c", "/a/b/.../c" },
	{ "/a", "....", "/a/...." },
	{ "/", " ", "/ " },
	{ "/", " a", "/ a" },
	{ "/", "a b/c d", "/a b/c d" },
	/* deep working directory */
	{ "/1/2/3/4/5/6/7/8/9", "x", "/1/2/3/4/5/6/7/8/9/x" },
	{ "/1/2/3/4/5/6/7/8/9", "../../../../../../../../..", "/" },
	{ "/1/2/3/4/5/6/7/8/9", "../../../../../../../../../..", "/" },
	{ "/1/2/3/4/5/6/7/8/9", "../../../../../../../..", "/1" },
	{ "/1/2/3/4/5/6/7/8/9", "/", "/" },
	{ "/1/2/3/4/5/6/7/8/9", "", "/1/2/3/4/5/6/7/8/9" },
};

/* Properties every result has. */
static void assert_normalised(const char *p)
{
	size_t n = strlen(p);

	assert_true(n >= 1);
	assert_int_equal(p[0], '/');
	if (n > 1)
		assert_int_not_equal(p[n - 1], '/');
	assert_null(strstr(p, "//"));
	assert_null(strstr(p, "/./"));
	assert_null(strstr(p, "/../"));
	assert_false(n >= 2 && strcmp(p + n - 2, "/.") == 0);
	assert_false(n >= 3 && strcmp(p + n - 3, "/..") == 0);
}

static void test_table(void **state)
{
	char out[OUT_MAX];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;
		memset(out, 'Z', sizeof(out));
		rc = path_resolve(out, sizeof(out), cases[i].cwd, cases[i].arg);
		if (rc != 0 || strcmp(out, cases[i].want) != 0)
			print_error("case %zu: cwd \"%s\" arg \"%s\": rc %d "
				    "got \"%s\" want \"%s\"\n",
				    i, cases[i].cwd, cases[i].arg, rc, rc == 0 ? out : "",
				    cases[i].want);
		assert_int_equal(rc, 0);
		assert_string_equal(out, cases[i].want);
		assert_normalised(out);
	}
}

/* The result of resolving is itself a valid cwd, and resolving "" or "."
 * against it is the identity. */
static void test_idempotent(void **state)
{
	char out[OUT_MAX], again[OUT_MAX];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(path_resolve(out, sizeof(out), cases[i].cwd, cases[i].arg), 0);
		assert_int_equal(path_resolve(again, sizeof(again), out, ""), 0);
		assert_string_equal(again, out);
		assert_int_equal(path_resolve(again, sizeof(again), out, "."), 0);
		assert_string_equal(again, out);
		assert_int_equal(path_resolve(again, sizeof(again), "/", out), 0);
		assert_string_equal(again, out);
	}
}

static void test_exact_size_buffer(void **state)
{
	const struct path_case exact[] = {
		{ "/", "", "/" },
		{ "/", "a", "/a" },
		{ "/a", "b", "/a/b" },
		{ "/home/alice", "pub/f.txt", "/home/alice/pub/f.txt" },
		{ "/x", "/etc/../etc/passwd", "/etc/passwd" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		size_t need = strlen(exact[i].want) + 1;
		char *out = malloc(need);
		char *small = malloc(need - 1 ? need - 1 : 1);

		assert_non_null(out);
		assert_non_null(small);
		/* Exactly big enough. */
		assert_int_equal(path_resolve(out, need, exact[i].cwd, exact[i].arg), 0);
		assert_string_equal(out, exact[i].want);
		/* One byte too small. */
		assert_int_equal(path_resolve(small, need - 1, exact[i].cwd, exact[i].arg), -1);
		free(out);
		free(small);
	}
}

/* A too-small buffer is never written past its end. */
static void test_small_buffer_not_overrun(void **state)
{
	char buf[64];
	(void)state;

	for (size_t size = 0; size < 24; size++) {
		int rc;
		memset(buf, 'Z', sizeof(buf));
		rc = path_resolve(buf, size, "/home/alice", "pub/file.txt");
		/* "/home/alice/pub/file.txt" is 24 chars + NUL */
		assert_int_equal(rc, -1);
		for (size_t j = size; j < sizeof(buf); j++)
			assert_int_equal(buf[j], 'Z');
	}
}

static void test_very_long_inputs(void **state)
{
	enum { LONG = 100000 };
	char *arg = malloc(LONG + 1);
	char *cwd = malloc(OUT_MAX);
	char out[OUT_MAX];
	size_t n;
	(void)state;

	assert_non_null(arg);
	assert_non_null(cwd);

	/* One huge component: does not fit. */
	memset(arg, 'a', LONG);
	arg[LONG] = '\0';
	memset(out, 'Z', sizeof(out));
	assert_int_equal(path_resolve(out, sizeof(out), "/", arg), -1);

	/* Many short components: too long overall. */
	for (n = 0; n + 2 <= LONG; n += 2) {
		arg[n] = 'b';
		arg[n + 1] = '/';
	}
	arg[n] = '\0';
	assert_int_equal(path_resolve(out, sizeof(out), "/", arg), -1);

	/* Thousands of ".." never climb above "/". */
	for (n = 0; n + 3 <= LONG; n += 3)
		memcpy(arg + n, "../", 3);
	arg[n] = '\0';
	assert_int_equal(path_resolve(out, sizeof(out), "/a/b/c", arg), 0);
	assert_string_equal(out, "/");

	/* Lots of "." and slashes collapse to nothing. */
	for (n = 0; n + 2 <= LONG; n += 2)
		memcpy(arg + n, "./", 2);
	arg[n] = '\0';
	assert_int_equal(path_resolve(out, sizeof(out), "/a", arg), 0);
	assert_string_equal(out, "/a");
	memset(arg, '/', LONG);
	arg[LONG] = '\0';
	assert_int_equal(path_resolve(out, sizeof(out), "/a", arg), 0);
	assert_string_equal(out, "/");

	/* A longest-possible result: 4095 characters. */
	cwd[0] = '/';
	memset(cwd + 1, 'c', OUT_MAX - 2);
	cwd[OUT_MAX - 1] = '\0';
	assert_int_equal(path_resolve(out, sizeof(out), cwd, ""), 0);
	assert_int_equal(strlen(out), OUT_MAX - 1);
	assert_int_equal(path_resolve(out, sizeof(out), cwd, "x"), -1);
	assert_int_equal(path_resolve(out, sizeof(out), cwd, ".."), 0);
	assert_string_equal(out, "/");
	/* Absolute arg ignores the long cwd. */
	assert_int_equal(path_resolve(out, sizeof(out), cwd, "/x"), 0);
	assert_string_equal(out, "/x");

	free(arg);
	free(cwd);
}

/* Random mixes of components: the result is always normalised and
 * never escapes "/"; compared with a simple stack model. */
static uint64_t xs = UINT64_C(0x2545f4914f6cdd1d);

static uint64_t xorshift64(void)
{
	xs ^= xs << 13;
	xs ^= xs >> 7;
	xs ^= xs << 17;
	return xs;
}

static void model_resolve(char *out, const char *cwd, const char *arg)
{
	char stack[64][16];
	int depth = 0;
	char tmp[1024];
	const char *parts[2] = { arg[0] == '/' ? "" : cwd, arg };

	for (int k = 0; k < 2; k++) {
		char *save = NULL, *tok;
		snprintf(tmp, sizeof(tmp), "%s", parts[k]);
		for (tok = strtok_r(tmp, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
			if (strcmp(tok, ".") == 0)
				continue;
			if (strcmp(tok, "..") == 0) {
				if (depth > 0)
					depth--;
				continue;
			}
			snprintf(stack[depth++], sizeof(stack[0]), "%s", tok);
		}
	}
	out[0] = '\0';
	for (int i = 0; i < depth; i++) {
		strcat(out, "/");
		strcat(out, stack[i]);
	}
	if (depth == 0)
		strcpy(out, "/");
}

static void test_random_against_model(void **state)
{
	static const char *comps[] = { "a", "bb", ".", "..", "", "...", "c.d", ".e" };
	char arg[512], cwd[512], out[OUT_MAX], want[1024];
	(void)state;

	for (int round = 0; round < 5000; round++) {
		size_t depth = xorshift64() % 5;

		strcpy(cwd, "/");
		for (size_t i = 0; i < depth; i++) {
			if (i)
				strcat(cwd, "/");
			strcat(cwd, (xorshift64() & 1) ? "x" : "yy");
		}
		arg[0] = '\0';
		if (xorshift64() % 3 == 0)
			strcat(arg, "/");
		for (size_t i = 0, n = xorshift64() % 10; i < n; i++) {
			if (i)
				strcat(arg, "/");
			strcat(arg, comps[xorshift64() % 8]);
		}
		if (xorshift64() % 4 == 0)
			strcat(arg, "/");
		model_resolve(want, cwd, arg);
		assert_int_equal(path_resolve(out, sizeof(out), cwd, arg), 0);
		if (strcmp(out, want) != 0)
			print_error("cwd \"%s\" arg \"%s\"\n", cwd, arg);
		assert_string_equal(out, want);
		assert_normalised(out);
	}
}

static void test_tilde_split(void **state)
{
	char user[16];
	const char *rest;

	(void)state;
	assert_int_equal(tilde_split("~alice/pub", user, sizeof user, &rest), 0);
	assert_string_equal(user, "alice");
	assert_string_equal(rest, "/pub");
	assert_int_equal(tilde_split("~", user, sizeof user, &rest), 0);
	assert_string_equal(user, "");
	assert_string_equal(rest, "");
	assert_int_equal(tilde_split("~/x", user, sizeof user, &rest), 0);
	assert_string_equal(user, "");
	assert_string_equal(rest, "/x");
	assert_int_equal(tilde_split("a~b", user, sizeof user, &rest), -1);
	assert_int_equal(tilde_split("~averyveryverylongname", user, sizeof user, &rest), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tilde_split),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_exact_size_buffer),
		cmocka_unit_test(test_small_buffer_not_overrun),
		cmocka_unit_test(test_very_long_inputs),
		cmocka_unit_test(test_random_against_model),
	};

	return cmocka_run_group_tests_name("path", tests, NULL, NULL);
}
