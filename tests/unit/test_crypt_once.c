/* The monitor's crypt_r (monitor/crypt_once.c): what libcrypt answers,
 * with the hash computed once where pam_unix asks twice. Whether a call
 * hashed is read off the page faults it took: a yescrypt hash ($y$, what
 * Debian's chpasswd makes) maps and touches 16 MiB, an answer given from
 * memory touches nothing new. The 16 MiB are 4,096 faults in 4 KiB pages,
 * so huge pages (monitor/hash_memory.h) are off for this process. */
#include <crypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <cmocka.h>

#include "monitor/crypt_once.h"

#define HASHED_FAULTS 1000 /* a 16 MiB yescrypt region is 4,096 pages */

static char setting[CRYPT_GENSALT_OUTPUT_SIZE];
static char expected[CRYPT_OUTPUT_SIZE];

static long faults(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_minflt;
}

/* Our crypt_r on DATA; *FAULTED: the page faults it took. */
static char *timed_crypt(const char *phrase, struct crypt_data *data, long *faulted)
{
	long before = faults();
	char *out = crypt_r(phrase, setting, data);

	*faulted = faults() - before;
	return out;
}

static int setup(void **state)
{
	struct crypt_data *ref = calloc(1, sizeof(*ref));

	(void)state;
	assert_int_equal(prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0), 0);
	assert_non_null(ref);
	assert_non_null(crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)));
	/* crypt_rn is libcrypt's own, not the binary's crypt_r. */
	assert_non_null(crypt_rn("secret", setting, ref, sizeof(*ref)));
	memcpy(expected, ref->output, sizeof(expected));
	free(ref);
	crypt_once_forget();
	return 0;
}

static void test_a_repeated_question_is_hashed_once(void **state)
{
	struct crypt_data *data = calloc(1, sizeof(*data));
	long first, second, third;

	(void)state;
	assert_string_equal(timed_crypt("secret", data, &first), expected);
	assert_string_equal(timed_crypt("secret", data, &second), expected);
	assert_true(first >= HASHED_FAULTS);
	assert_true(second < HASHED_FAULTS / 4);
	/* Remembered for one repeat only. */
	assert_string_equal(timed_crypt("secret", data, &third), expected);
	assert_true(third >= HASHED_FAULTS);
	crypt_once_forget();
	free(data);
}

static void test_another_passphrase_is_hashed_again(void **state)
{
	struct crypt_data *data = calloc(1, sizeof(*data));
	long faulted;
	char *out;

	(void)state;
	assert_string_equal(timed_crypt("secret", data, &faulted), expected);
	out = timed_crypt("secrets", data, &faulted);
	assert_true(faulted >= HASHED_FAULTS);
	assert_non_null(out);
	assert_string_not_equal(out, expected);
	/* And the right one after the wrong one is right again. */
	assert_string_equal(timed_crypt("secret", data, &faulted), expected);
	crypt_once_forget();
	free(data);
}

static void test_other_data_or_changed_output_is_hashed_again(void **state)
{
	struct crypt_data *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	long faulted;

	(void)state;
	assert_string_equal(timed_crypt("secret", a, &faulted), expected);
	assert_string_equal(timed_crypt("secret", b, &faulted), expected);
	assert_true(faulted >= HASHED_FAULTS);
	b->output[5] ^= 1; /* the caller's copy is not the answer any more */
	assert_string_equal(timed_crypt("secret", b, &faulted), expected);
	assert_true(faulted >= HASHED_FAULTS);
	crypt_once_forget();
	free(a);
	free(b);
}

static void test_forgetting_wipes_the_answer(void **state)
{
	struct crypt_data *data = calloc(1, sizeof(*data));
	long faulted;

	(void)state;
	assert_string_equal(timed_crypt("secret", data, &faulted), expected);
	crypt_once_forget();
	assert_string_equal(timed_crypt("secret", data, &faulted), expected);
	assert_true(faulted >= HASHED_FAULTS);
	crypt_once_forget();
	free(data);
}

static void test_a_failure_is_not_remembered(void **state)
{
	struct crypt_data *data = calloc(1, sizeof(*data));
	long faulted;
	char *out;

	(void)state;
	out = crypt_r("secret", "$y$", data); /* not a valid setting */
	assert_true(out == NULL || out[0] == '*');
	out = timed_crypt("secret", data, &faulted);
	assert_string_equal(out, expected);
	assert_true(faulted >= HASHED_FAULTS);
	crypt_once_forget();
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_repeated_question_is_hashed_once),
		cmocka_unit_test(test_another_passphrase_is_hashed_again),
		cmocka_unit_test(test_other_data_or_changed_output_is_hashed_again),
		cmocka_unit_test(test_forgetting_wipes_the_answer),
		cmocka_unit_test(test_a_failure_is_not_remembered),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
