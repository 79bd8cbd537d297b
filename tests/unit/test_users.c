/* Unit tests for config/users.c (lists, $USER, per-user file names) and
 * config_apply_user_file (config/config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/users.h"

static void test_anon_names(void **state)
{
	(void)state;
	assert_true(users_is_anon_name("ftp"));
	assert_true(users_is_anon_name("FTP"));
	assert_true(users_is_anon_name("anonymous"));
	assert_true(users_is_anon_name("AnOnYmOuS"));
	assert_false(users_is_anon_name("ftp "));
	assert_false(users_is_anon_name("ftpuser"));
	assert_false(users_is_anon_name(""));
}

static void test_list_has(void **state)
{
	const char *text = "# comment\nalice\n  bob \t\r\n\ncarol";
	(void)state;

	assert_true(users_list_has(text, "alice"));
	assert_true(users_list_has(text, "bob"));
	assert_true(users_list_has(text, "carol"));
	assert_false(users_list_has(text, "al"));
	assert_false(users_list_has(text, "alice2"));
	assert_false(users_list_has(text, "# comment"));
	assert_false(users_list_has(text, "comment"));
	assert_false(users_list_has("", "alice"));
	assert_false(users_list_has("ALICE\n", "alice"));
}

static void test_expand(void **state)
{
	char out[32];
	(void)state;

	assert_int_equal(users_expand(out, sizeof(out), "/srv/$USER", "bob"), 0);
	assert_string_equal(out, "/srv/bob");
	assert_int_equal(users_expand(out, sizeof(out), "/$USER/x/$USER", "a"), 0);
	assert_string_equal(out, "/a/x/a");
	assert_int_equal(users_expand(out, sizeof(out), "/srv/$USE", "bob"), 0);
	assert_string_equal(out, "/srv/$USE");
	assert_int_equal(users_expand(out, 9, "/srv/$USER", "bob"), 0);
	assert_int_equal(users_expand(out, 8, "/srv/$USER", "bob"), -1);
	assert_int_equal(
		users_expand(out, sizeof(out), "/$USER", "a-very-long-user-name-indeed-yes"), -1);
}

static void test_config_path(void **state)
{
	struct cfg_settings set;
	char out[64];
	(void)state;

	config_set_defaults(&set);
	assert_int_equal(users_config_path(&set, "bob", out, sizeof(out)), -1);
	strcpy(set.user_config_dir, "/etc/ftpsd/users");
	assert_int_equal(users_config_path(&set, "bob", out, sizeof(out)), 0);
	assert_string_equal(out, "/etc/ftpsd/users/bob");
	assert_int_equal(users_config_path(&set, "../shadow", out, sizeof(out)), -1);
	assert_int_equal(users_config_path(&set, "..", out, sizeof(out)), -1);
	assert_int_equal(users_config_path(&set, ".hidden", out, sizeof(out)), -1);
	assert_int_equal(users_config_path(&set, "a/b", out, sizeof(out)), -1);
	assert_int_equal(users_config_path(&set, "", out, sizeof(out)), -1);
}

static int write_tmp(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/ftpsd-test-users-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void test_apply_user_file(void **state)
{
	struct cfg_settings set, before;
	char path[64], *msgs = NULL;
	size_t len = 0;
	FILE *err;
	(void)state;

	config_set_defaults(&set);
	assert_int_equal(write_tmp(path, "write_enable=YES\nlocal_root=/srv/x\n"
					 "# comment\nlocal_umask=022\n"),
			 0);
	assert_int_equal(config_apply_user_file(&set, &set, path, NULL), 0);
	assert_true(set.write_enable);
	assert_string_equal(set.local_root, "/srv/x");
	assert_int_equal(set.local_umask, 022);
	unlink(path);

	/* all or nothing: a bad line leaves SET as it was */
	before = set;
	assert_int_equal(write_tmp(path, "write_enable=NO\nmax_clients=3\n"
					 "nonsense\n[vhost a]\nbogus_key=1\n"),
			 0);
	err = open_memstream(&msgs, &len);
	assert_non_null(err);
	assert_int_equal(config_apply_user_file(&set, &set, path, err), 4);
	fclose(err);
	assert_memory_equal(&set, &before, sizeof(set));
	assert_non_null(strstr(msgs, ":2: max_clients is global only"));
	assert_non_null(strstr(msgs, ":3: expected key=value"));
	assert_non_null(strstr(msgs, ":4: no sections in a per-user file"));
	assert_non_null(strstr(msgs, ":5: unknown key \"bogus_key\""));
	free(msgs);
	unlink(path);

	assert_int_equal(config_apply_user_file(&set, &set, "/nonexistent/ftpsd", NULL), -1);
}

static void test_split_chroot(void **state)
{
	const struct {
		const char *home, *root, *start; /* root NULL: no mark */
	} cases[] = {
		{ "/home/./ftp/alice", "/home", "/ftp/alice" },
		{ "/srv/ftp/./", "/srv/ftp", "/" },
		{ "/./jail", "/", "/jail" },
		{ "/a/./b/./c", "/a", "/b/./c" }, /* the first mark */
		{ "/home/alice", NULL, NULL },
		{ "/home/.alice/x", NULL, NULL },
	};
	char root[64], start[64];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool split = users_split_chroot(cases[i].home, root, sizeof root, start,
						sizeof start);

		assert_int_equal(split, cases[i].root != NULL);
		if (!split)
			continue;
		assert_string_equal(root, cases[i].root);
		assert_string_equal(start, cases[i].start);
	}
	/* a part that does not fit: no split rather than a cut path */
	assert_false(users_split_chroot("/home/./x", root, 4, start, sizeof start));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anon_names),  cmocka_unit_test(test_list_has),
		cmocka_unit_test(test_expand),      cmocka_unit_test(test_split_chroot),
		cmocka_unit_test(test_config_path), cmocka_unit_test(test_apply_user_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
