/* Unit tests for config/config.c and the parts behind it (the table, the
 * line reader, the checks; config/config_internal.h lists them): defaults,
 * every error with its line, vhost inheritance, the environment checks,
 * and the dump round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/proxytrust.h"

/* struct ftpsd_config is large (64 vhosts): keep it off the stack. */
static struct ftpsd_config cfg;
static struct ftpsd_config cfg2;
static char *errtext;
static size_t errlen;

static void err_free(void)
{
	free(errtext);
	errtext = NULL;
	errlen = 0;
}

static int load_into(struct ftpsd_config *c, const char *text)
{
	FILE *err;
	int n;

	err_free();
	err = open_memstream(&errtext, &errlen);
	assert_non_null(err);
	n = config_load_string(c, "t.conf", text, err);
	assert_int_equal(fclose(err), 0);
	return n;
}

static int load(const char *text)
{
	return load_into(&cfg, text);
}

/* Loads TEXT and expects exactly the error lines EXPECTED. */
static void expect_errors(const char *text, int count, const char *expected)
{
	assert_int_equal(load(text), count);
	assert_string_equal(errtext, expected);
}

static int teardown(void **state)
{
	(void)state;
	err_free();
	return 0;
}

/* clang-format 14 does not settle on X-macro lists */
/* clang-format off */
#define BOOL_FIELDS(X)                                                  \
	X(listen) X(syslog_enable) X(xferlog_enable) X(log_ftp_protocol) \
	X(local_enable) X(write_enable) X(chroot_local_user)             \
	X(pasv_enable) X(pasv_promiscuous) X(hide_ids) X(ssl_enable)
#define UINT_FIELDS(X)                                                     \
	X(max_clients) X(listen_port) X(local_umask) X(pasv_min_port)      \
	X(pasv_max_port) X(max_login_fails) X(delay_failed_login)          \
	X(idle_session_timeout) X(data_connection_timeout) X(accept_timeout)
#define STR_FIELDS(X)                                                   \
	X(pid_file) X(log_file) X(xferlog_file) X(nopriv_user)           \
	X(secure_chroot_dir) X(listen_address) X(ftpd_banner)            \
	X(pam_service_name) X(rsa_cert_file) X(rsa_private_key_file)
/* clang-format on */

static void assert_settings_equal(const struct cfg_settings *a, const struct cfg_settings *b)
{
#define CMP_BOOL(f) assert_int_equal(a->f, b->f);
#define CMP_UINT(f) assert_int_equal(a->f, b->f);
#define CMP_STR(f) assert_string_equal(a->f, b->f);
	BOOL_FIELDS(CMP_BOOL)
	UINT_FIELDS(CMP_UINT)
	STR_FIELDS(CMP_STR)
#undef CMP_BOOL
#undef CMP_UINT
#undef CMP_STR
}

static void assert_config_equal(const struct ftpsd_config *a, const struct ftpsd_config *b)
{
	assert_settings_equal(&a->global, &b->global);
	assert_int_equal(a->nvhosts, b->nvhosts);
	for (size_t i = 0; i < a->nvhosts; i++) {
		assert_string_equal(a->vhosts[i].name, b->vhosts[i].name);
		assert_settings_equal(&a->vhosts[i].set, &b->vhosts[i].set);
	}
}

/* ---- defaults and syntax --------------------------------------------- */

static void test_defaults(void **state)
{
	const struct cfg_settings *s = &cfg.global;

	(void)state;
	expect_errors("", 0, "");
	assert_true(s->listen);
	assert_string_equal(s->pid_file, "/run/ftpsd.pid");
	assert_string_equal(s->log_file, "");
	assert_true(s->syslog_enable);
	assert_false(s->xferlog_enable);
	assert_string_equal(s->xferlog_file, "/var/log/ftpsd-xfer.log");
	assert_string_equal(s->nopriv_user, "nobody");
	assert_string_equal(s->secure_chroot_dir, "/run/ftpsd/empty");
	assert_int_equal(s->max_clients, 2000);
	assert_int_equal(s->max_per_ip, 50);
	assert_int_equal(s->login_timeout, 120);
	assert_int_equal(s->ipv6_client_prefix, 64);
	assert_false(s->log_ftp_protocol);
	assert_string_equal(s->listen_address, "0.0.0.0");
	assert_int_equal(s->listen_port, 21);
	assert_string_equal(s->ftpd_banner, "");
	assert_string_equal(s->pam_service_name, "ftpsd");
	assert_true(s->local_enable);
	assert_false(s->write_enable);
	assert_false(s->chroot_local_user);
	assert_int_equal(s->local_umask, 077);
	assert_true(s->pasv_enable);
	assert_int_equal(s->pasv_min_port, 0);
	assert_int_equal(s->pasv_max_port, 0);
	assert_false(s->pasv_promiscuous);
	assert_int_equal(s->max_login_fails, 3);
	assert_int_equal(s->delay_failed_login, 1);
	assert_int_equal(s->idle_session_timeout, 300);
	assert_int_equal(s->data_connection_timeout, 300);
	assert_int_equal(s->accept_timeout, 60);
	assert_false(s->hide_ids);
	assert_false(s->ssl_enable);
	assert_string_equal(s->rsa_cert_file, "");
	assert_string_equal(s->rsa_private_key_file, "");
	assert_int_equal(cfg.nvhosts, 1);
	assert_string_equal(cfg.vhosts[0].name, "default");
	assert_settings_equal(&cfg.vhosts[0].set, s);
	assert_string_equal(cfg.path, "t.conf");
}

static void test_set_defaults_matches_empty_file(void **state)
{
	struct cfg_settings s;

	(void)state;
	config_set_defaults(&s);
	assert_int_equal(load(""), 0);
	assert_settings_equal(&s, &cfg.global);
}

static void test_whitespace_comments_crlf(void **state)
{
	(void)state;
	expect_errors("# comment\r\n"
		      "; another\n"
		      "\n"
		      "   listen_port = 2121   \r\n"
		      "ftpd_banner = Hello world ; inline comment\n"
		      "\tlocal_umask=0022\n"
		      "pid_file=/run/x.pid", /* no final newline */
		      0, "");
	assert_int_equal(cfg.global.listen_port, 2121);
	assert_string_equal(cfg.global.ftpd_banner, "Hello world");
	assert_int_equal(cfg.global.local_umask, 022);
	assert_string_equal(cfg.global.pid_file, "/run/x.pid");
}

/* inih read an indented line as a continuation of the previous value;
 * we must not let it overwrite the banner with "listen_port=99". */
static void test_indented_line_is_not_continuation(void **state)
{
	(void)state;
	expect_errors("ftpd_banner=Hi\n  listen_port=99\n", 0, "");
	assert_string_equal(cfg.global.ftpd_banner, "Hi");
	assert_int_equal(cfg.global.listen_port, 99);
}

static void test_bool_spellings(void **state)
{
	static const char *const yes[] = { "YES", "yes", "True", "1" };
	static const char *const no[] = { "NO", "no", "false", "0" };
	char text[64];

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		snprintf(text, sizeof text, "hide_ids=%s\n", yes[i]);
		assert_int_equal(load(text), 0);
		assert_true(cfg.global.hide_ids);
		snprintf(text, sizeof text, "listen=%s\n", no[i]);
		assert_int_equal(load(text), 0);
		assert_false(cfg.global.listen);
	}
}

static void test_utf8_bom(void **state)
{
	(void)state;
	expect_errors("\xEF\xBB\xBF[vhost a]\nlisten_port=2121\n", 0, "");
	assert_int_equal(cfg.nvhosts, 1);
	assert_string_equal(cfg.vhosts[0].name, "a");
}

/* ---- key and value errors -------------------------------------------- */

static void test_unknown_key(void **state)
{
	(void)state;
	expect_errors("listen=YES\n\nlisten_prot=21\n", 1,
		      "t.conf:3: unknown key \"listen_prot\"\n");
}

static void test_keys_are_case_sensitive(void **state)
{
	(void)state;
	expect_errors("Listen=YES\n", 1, "t.conf:1: unknown key \"Listen\"\n");
}

/* Keys that take one of two words say both. */
static void test_bad_words_named(void **state)
{
	(void)state;
	expect_errors("log_format=xml\nssl_min_protocol=TLSv1.1\n", 2,
		      "t.conf:1: bad value \"xml\" for log_format: expected text or json\n"
		      "t.conf:2: bad value \"TLSv1.1\" for ssl_min_protocol: expected "
		      "TLSv1.2 or TLSv1.3\n");
}

static void test_bad_values_all_reported(void **state)
{
	(void)state;
	expect_errors("listen=maybe\n"
		      "listen_port=0\n"
		      "listen_port=65536\n"
		      "listen_port=21x\n"
		      "listen_port=-1\n"
		      "listen_port=\n"
		      "max_clients=99999999999999999999\n"
		      "local_umask=0888\n"
		      "local_umask=1000\n"
		      "idle_session_timeout=0\n"
		      "pid_file=relative.pid\n"
		      "nopriv_user=\n"
		      "pam_service_name=../passwd\n",
		      13,
		      "t.conf:1: bad value \"maybe\" for listen: expected YES or NO\n"
		      "t.conf:2: bad value \"0\" for listen_port: expected a decimal "
		      "number from 1 to 65535\n"
		      "t.conf:3: bad value \"65536\" for listen_port: expected a "
		      "decimal number from 1 to 65535\n"
		      "t.conf:4: bad value \"21x\" for listen_port: expected a "
		      "decimal number from 1 to 65535\n"
		      "t.conf:5: bad value \"-1\" for listen_port: expected a "
		      "decimal number from 1 to 65535\n"
		      "t.conf:6: bad value \"\" for listen_port: expected a decimal "
		      "number from 1 to 65535\n"
		      "t.conf:7: bad value \"99999999999999999999\" for max_clients: "
		      "expected a decimal number from 0 to 100000\n"
		      "t.conf:8: bad value \"0888\" for local_umask: expected an "
		      "octal number from 000 to 777\n"
		      "t.conf:9: bad value \"1000\" for local_umask: expected an "
		      "octal number from 000 to 777\n"
		      "t.conf:10: bad value \"0\" for idle_session_timeout: expected "
		      "a decimal number from 1 to 86400\n"
		      "t.conf:11: bad value \"relative.pid\" for pid_file: expected "
		      "an absolute path\n"
		      "t.conf:12: bad value \"\" for nopriv_user: must not be empty\n"
		      "t.conf:13: bad value \"../passwd\" for pam_service_name: "
		      "expected a PAM service name (A-Z a-z 0-9 . _ -)\n");
	/* A refused value leaves the default in place. */
	assert_true(cfg.global.listen);
	assert_int_equal(cfg.global.listen_port, 21);
	assert_int_equal(cfg.global.local_umask, 077);
}

static void test_umask_octal(void **state)
{
	(void)state;
	assert_int_equal(load("local_umask=022\n"), 0);
	assert_int_equal(cfg.global.local_umask, 022);
	assert_int_equal(load("local_umask=0\n"), 0);
	assert_int_equal(cfg.global.local_umask, 0);
	assert_int_equal(load("local_umask=777\n"), 0);
	assert_int_equal(cfg.global.local_umask, 0777);
}

static void test_string_must_fit(void **state)
{
	char text[128], name[CFG_NAME_MAX + 1];

	(void)state;
	memset(name, 'u', CFG_NAME_MAX - 1);
	name[CFG_NAME_MAX - 1] = '\0';
	snprintf(text, sizeof text, "nopriv_user=%s\n", name);
	expect_errors(text, 0, "");
	assert_string_equal(cfg.global.nopriv_user, name);

	strcat(name, "u"); /* one too many */
	snprintf(text, sizeof text, "\nnopriv_user=%s\n", name);
	assert_int_equal(load(text), 1);
	assert_non_null(strstr(errtext, "t.conf:2: bad value \"uuuu"));
	assert_non_null(strstr(errtext, "for nopriv_user: longer than 63 "
					"characters\n"));
	assert_string_equal(cfg.global.nopriv_user, "nobody");
}

static void test_line_too_long(void **state)
{
	static char text[20000];
	int n;

	(void)state;
	n = snprintf(text, sizeof text, "listen=YES\nftpd_banner=");
	memset(text + n, 'b', 17000);
	strcpy(text + n + 17000, "\nlisten_port=x\n");
	assert_int_equal(load(text), 2);
	assert_non_null(strstr(errtext, "t.conf:2: line longer than 16383 "));
	/* The next line is still line 3. */
	assert_non_null(strstr(errtext, "t.conf:3: bad value \"x\""));
}

/* vsftpd.conf files carry long comments and command lists: inih's
 * 200-byte limit refused them. */
static void test_long_lines_accepted(void **state)
{
	static char text[12000];
	int n;

	(void)state;
	n = snprintf(text, sizeof text, "# ");
	memset(text + n, 'c', 9000);
	n += 9000;
	n += snprintf(text + n, sizeof text - (size_t)n, "\ncmds_allowed=");
	for (int i = 0; i < 60; i++)
		n += snprintf(text + n, sizeof text - (size_t)n, "%sRETR", i ? "," : "");
	snprintf(text + n, sizeof text - (size_t)n, "\nlisten_port=2121");
	expect_errors(text, 0, "");
	assert_int_equal(cfg.global.listen_port, 2121);
	assert_int_equal(strlen(cfg.global.cmds_allowed), 60 * 5 - 1);
}

/* The last of two lines wins, and the second says so. */
static void test_duplicate_key_warns(void **state)
{
	(void)state;
	expect_errors("listen_port=2121\n\nlisten_port=2122\n", 0,
		      "t.conf:3: warning: listen_port is set again (first at "
		      "line 1): the last value wins\n");
	assert_int_equal(cfg.global.listen_port, 2122);
}

/* A template that was never filled in is named as such, with its line. */
static void test_placeholder_values(void **state)
{
	static const char *const bad[] = {
		"pasv_address=${PASV_ADDRESS}\n", "listen_port={{ ftp_port }}\n",
		"pasv_min_port=%PASV_MIN%\n",     "ftp_username=<your user>\n",
		"anon_root=@ANON_ROOT@\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(load(bad[i]), 1);
		assert_non_null(strstr(errtext, "t.conf:1: "));
		assert_non_null(strstr(errtext, "looks like a template placeholder"));
	}
	/* local_root's own token is no placeholder. */
	expect_errors("local_root=/srv/ftp/$USER\n", 0, "");
}

static char *dump_of(const struct ftpsd_config *c);

/* vsftpd's listen / listen_ipv6 pair, folded into listen_address. */
static void test_vsftpd_listen_ipv6(void **state)
{
	(void)state;
	assert_int_equal(load("listen=NO\nlisten_ipv6=YES\n"), 0);
	assert_string_equal(cfg.vhosts[0].set.listen_address, "0.0.0.0,::");
	assert_int_equal(load("listen=NO\nlisten_ipv6=YES\nlisten_address6=::1\n"), 0);
	assert_string_equal(cfg.vhosts[0].set.listen_address, "::1");
	assert_int_equal(load("listen_address=127.0.0.1\nlisten_ipv6=YES\n"
			      "listen_address6=::1\n"),
			 0);
	assert_string_equal(cfg.vhosts[0].set.listen_address, "127.0.0.1,::1");
	assert_non_null(strstr(errtext, "warning: listen=YES and listen_ipv6=YES"));
	expect_errors("listen_address6=127.0.0.1\n", 1,
		      "t.conf:1: bad value \"127.0.0.1\" for listen_address6: "
		      "\"127.0.0.1\" is not an IPv6 address\n");
	/* Without listen_ipv6 nothing changes. */
	assert_int_equal(load("listen_address=127.0.0.1\n"), 0);
	assert_string_equal(cfg.vhosts[0].set.listen_address, "127.0.0.1");
}

/* implicit_ssl: listen_port speaks implicit FTPS; no 990 by default. */
static void test_vsftpd_implicit_ssl(void **state)
{
	(void)state;
	assert_int_equal(load("ssl_enable=YES\nrsa_cert_file=/c.pem\n"), 0);
	assert_int_equal(cfg.vhosts[0].set.implicit_ssl_port, 0);
	assert_int_equal(load("ssl_enable=YES\nrsa_cert_file=/c.pem\n"
			      "listen_port=990\nimplicit_ssl=YES\n"),
			 0);
	assert_int_equal(cfg.vhosts[0].set.implicit_ssl_port, 990);
	assert_int_equal(load("implicit_ssl=YES\n"), 1);
	assert_non_null(strstr(errtext, "t.conf:1: implicit_ssl=YES needs ssl_enable=YES"));
	assert_int_equal(load("ssl_enable=YES\nrsa_cert_file=/c.pem\nimplicit_ssl=YES\n"
			      "implicit_ssl_port=990\n"),
			 1);
}

static void test_vsftpd_user_sub_token(void **state)
{
	(void)state;
	assert_int_equal(load("user_sub_token=%u\nlocal_root=/srv/%u/ftp/%u\n"), 0);
	assert_string_equal(cfg.vhosts[0].set.local_root, "/srv/$USER/ftp/$USER");
	assert_int_equal(load("user_sub_token=$USER\nlocal_root=/srv/$USER\n"), 0);
	assert_string_equal(cfg.vhosts[0].set.local_root, "/srv/$USER");
}

/* The four kinds of vsftpd key, each said at its line. */
static void test_vsftpd_key_kinds(void **state)
{
	(void)state;
	assert_int_equal(load("use_localtime=YES\n"), 0);
	assert_string_equal(errtext, "");
	assert_int_equal(load("background=YES\n"), 0);
	assert_non_null(strstr(errtext, "t.conf:1: note: background is vsftpd's: "));
	assert_int_equal(load("anon_max_rate=0\n"), 0);
	assert_string_equal(errtext, "");
	assert_int_equal(load("anon_max_rate=5000\n"), 0); /* implemented */
	assert_string_equal(errtext, "");
	assert_int_equal(load("run_as_launching_user=NO\n"), 0);
	assert_int_equal(load("\nrun_as_launching_user=YES\n"), 1);
	assert_non_null(strstr(errtext, "t.conf:2: run_as_launching_user=YES is not "
					"supported"));
	/* -T prints what a file set, not every vsftpd key at its default. */
	assert_int_equal(load("background=YES\n"), 0);
	{
		char *text = dump_of(&cfg);
		assert_non_null(strstr(text, "\nbackground=YES\n"));
		assert_null(strstr(text, "tcp_wrappers"));
		free(text);
	}
}

/* Trailing blanks, CRLF, no final newline: as people write them. */
static void test_trailing_blanks(void **state)
{
	(void)state;
	expect_errors("anonymous_enable=YES \t\r\nlocal_enable=no  \n"
		      "write_enable=true\t",
		      0, "");
	assert_true(cfg.global.anonymous_enable);
	assert_false(cfg.global.local_enable);
	assert_true(cfg.global.write_enable);
}

static void test_line_without_equals(void **state)
{
	(void)state;
	expect_errors("listen=YES\nthis is not a setting\n=5\nlisten_port=2\n", 2,
		      "t.conf:2: expected key=value\n"
		      "t.conf:3: missing key before '='\n");
	assert_int_equal(cfg.global.listen_port, 2);
}

static void test_nul_byte(void **state)
{
	static const char text[] = "listen_port=2\0\n";
	FILE *err;

	(void)state;
	/* Through a real file: a string cannot carry the NUL. */
	char path[] = "/tmp/ftpsd-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof text - 1), sizeof text - 1);
	assert_int_equal(close(fd), 0);
	err_free();
	err = open_memstream(&errtext, &errlen);
	assert_int_equal(config_load(&cfg, path, err), 1);
	assert_int_equal(fclose(err), 0);
	assert_non_null(strstr(errtext, ":1: NUL byte in line\n"));
	assert_int_equal(unlink(path), 0);
}

/* ---- sections -------------------------------------------------------- */

static void test_global_only_in_vhost(void **state)
{
	(void)state;
	expect_errors("listen_port=21\n"
		      "[vhost a]\n"
		      "listen_port=2121\n"
		      "nopriv_user=ftp\n"
		      "max_clients=5\n",
		      2,
		      "t.conf:4: nopriv_user is global only: set it before "
		      "the first [vhost] section\n"
		      "t.conf:5: max_clients is global only: set it before "
		      "the first [vhost] section\n");
	assert_string_equal(cfg.vhosts[0].set.nopriv_user, "nobody");
	assert_int_equal(cfg.vhosts[0].set.max_clients, 2000);
}

static void test_unknown_section(void **state)
{
	(void)state;
	expect_errors("[global]\nlisten=YES\n[vhosts a]\n", 2,
		      "t.conf:1: unknown section [global]: only [vhost NAME] "
		      "sections are allowed\n"
		      "t.conf:3: unknown section [vhosts a]: only [vhost NAME] "
		      "sections are allowed\n");
}

static void test_bad_headers(void **state)
{
	(void)state;
	expect_errors("[vhost a\n"
		      "[vhost a] trailing\n"
		      "[vhost]\n"
		      "[vhost a/b]\n"
		      "[vhost a b]\n"
		      "[ vhost  ok ] ; comment\n",
		      5,
		      "t.conf:1: section header without ']'\n"
		      "t.conf:2: unexpected text after ']'\n"
		      "t.conf:3: bad vhost name \"\": expected 1 to 63 "
		      "characters of A-Z a-z 0-9 . _ -\n"
		      "t.conf:4: bad vhost name \"a/b\": expected 1 to 63 "
		      "characters of A-Z a-z 0-9 . _ -\n"
		      "t.conf:5: bad vhost name \"a b\": expected 1 to 63 "
		      "characters of A-Z a-z 0-9 . _ -\n");
	assert_int_equal(cfg.nvhosts, 1);
	assert_string_equal(cfg.vhosts[0].name, "ok");
}

static void test_vhost_name_length(void **state)
{
	char text[256], name[CFG_NAME_MAX + 1];

	(void)state;
	memset(name, 'x', CFG_NAME_MAX - 1);
	name[CFG_NAME_MAX - 1] = '\0';
	snprintf(text, sizeof text, "[vhost %s]\n", name);
	expect_errors(text, 0, "");
	assert_string_equal(cfg.vhosts[0].name, name);
	strcat(name, "x");
	snprintf(text, sizeof text, "[vhost %s]\n", name);
	assert_int_equal(load(text), 1);
	assert_non_null(strstr(errtext, "t.conf:1: bad vhost name"));
}

static void test_duplicate_vhost(void **state)
{
	(void)state;
	expect_errors("[vhost a]\nlisten_port=1\n[vhost b]\nlisten_port=2\n"
		      "[vhost a]\nlisten_port=3\n",
		      1, "t.conf:5: duplicate vhost \"a\" (first at line 1)\n");
	assert_int_equal(cfg.nvhosts, 2);
	/* Keys of the refused section went nowhere. */
	assert_int_equal(cfg.vhosts[0].set.listen_port, 1);
}

static void test_keys_after_bad_header_still_checked(void **state)
{
	(void)state;
	expect_errors("[vhost a!]\nlisten_port=x\nbogus=1\nlisten=NO\n", 4,
		      "t.conf:1: bad vhost name \"a!\": expected 1 to 63 "
		      "characters of A-Z a-z 0-9 . _ -\n"
		      "t.conf:2: bad value \"x\" for listen_port: expected a "
		      "decimal number from 1 to 65535\n"
		      "t.conf:3: unknown key \"bogus\"\n"
		      "t.conf:4: listen is global only: set it before the "
		      "first [vhost] section\n");
	assert_true(cfg.global.listen);
}

static void test_too_many_vhosts(void **state)
{
	static char text[CFG_MAX_VHOSTS * 64 + 64];
	size_t len = 0;

	(void)state;
	for (int i = 0; i <= CFG_MAX_VHOSTS; i++)
		len += (size_t)snprintf(text + len, sizeof text - len,
					"[vhost v%d]\nlisten_port=%d\n", i, 1000 + i);
	assert_int_equal(load(text), 1);
	assert_string_equal(errtext, "t.conf:129: too many vhosts (at most 64)\n");
	assert_int_equal(cfg.nvhosts, CFG_MAX_VHOSTS);
}

static void test_vhost_inheritance(void **state)
{
	(void)state;
	expect_errors("listen_port=2121\n"
		      "ftpd_banner=global banner\n"
		      "write_enable=YES\n"
		      "[vhost a]\n"
		      "listen_address=192.0.2.1\n"
		      "ftpd_banner=banner of a\n"
		      "[vhost b]\n"
		      "listen_address=192.0.2.2\n"
		      "write_enable=NO\n",
		      0, "");
	assert_int_equal(cfg.nvhosts, 2);
	assert_string_equal(cfg.vhosts[0].name, "a");
	assert_string_equal(cfg.vhosts[0].set.ftpd_banner, "banner of a");
	assert_true(cfg.vhosts[0].set.write_enable);
	assert_int_equal(cfg.vhosts[0].set.listen_port, 2121);
	assert_string_equal(cfg.vhosts[1].name, "b");
	assert_string_equal(cfg.vhosts[1].set.ftpd_banner, "global banner");
	assert_false(cfg.vhosts[1].set.write_enable);
	assert_string_equal(cfg.vhosts[1].set.listen_address, "192.0.2.2");
	/* The global section keeps its own values. */
	assert_string_equal(cfg.global.ftpd_banner, "global banner");
	assert_string_equal(cfg.global.listen_address, "0.0.0.0");
}

static void test_reload_starts_clean(void **state)
{
	(void)state;
	assert_int_equal(load("[vhost a]\n[vhost b]\nlisten_port=2\n"), 0);
	assert_int_equal(cfg.nvhosts, 2);
	assert_int_equal(load("listen_port=3\n"), 0);
	assert_int_equal(cfg.nvhosts, 1);
	assert_string_equal(cfg.vhosts[0].name, "default");
	assert_int_equal(cfg.vhosts[0].set.listen_port, 3);
}

/* ---- section-level checks -------------------------------------------- */

static void test_pasv_inverted(void **state)
{
	(void)state;
	expect_errors("pasv_max_port=40000\nlisten=YES\npasv_min_port=40100\n", 1,
		      "t.conf:3: passive port range inverted "
		      "(pasv_min_port=40100 > pasv_max_port=40000)\n");
}

static void test_pasv_one_zero(void **state)
{
	(void)state;
	expect_errors("listen=YES\npasv_min_port=40000\n", 1,
		      "t.conf:2: pasv_min_port and pasv_max_port must both be "
		      "set, or both 0\n");
	expect_errors("pasv_max_port=40000\n", 1,
		      "t.conf:1: pasv_min_port and pasv_max_port must both be "
		      "set, or both 0\n");
	expect_errors("pasv_min_port=40000\npasv_max_port=40000\n", 0, "");
}

static void test_pasv_in_vhost(void **state)
{
	(void)state;
	/* Inherited from the global section: blamed on each vhost header. */
	expect_errors("pasv_min_port=5000\npasv_max_port=4000\n"
		      "[vhost a]\nlisten_port=1\n"
		      "[vhost b]\nlisten_port=2\npasv_max_port=6000\n",
		      1,
		      "t.conf:3: vhost \"a\": passive port range inverted "
		      "(pasv_min_port=5000 > pasv_max_port=4000) (inherited "
		      "from the global section)\n");
	/* Set in the vhost: blamed on the key's line. */
	expect_errors("[vhost a]\nlisten_port=1\npasv_min_port=7\n", 1,
		      "t.conf:3: vhost \"a\": pasv_min_port and pasv_max_port "
		      "must both be set, or both 0\n");
}

static void test_proxy_needs_trusted(void **state)
{
	(void)state;
	expect_errors("proxy_protocol=YES\n", 1,
		      "t.conf:1: proxy_protocol=YES needs proxy_trusted (the "
		      "proxies' addresses or networks)\n");
	expect_errors("proxy_protocol_data=YES\nproxy_trusted=10.0.0.1\n", 1,
		      "t.conf:1: proxy_protocol_data=YES needs proxy_protocol=YES\n");
	expect_errors("proxy_trusted=10.0.0.0/8 2001:db8::1\n[vhost a]\nlisten_port=1\n"
		      "proxy_protocol=YES\nproxy_protocol_data=YES\n",
		      0, "");
	assert_true(cfg.vhosts[0].set.proxy_protocol);
	assert_string_equal(cfg.vhosts[0].set.proxy_trusted, "10.0.0.0/8 2001:db8::1");
	expect_errors(
		"proxy_trusted=10.0.0.1/8\n", 1,
		"t.conf:1: bad value \"10.0.0.1/8\" for proxy_trusted: \"10.0.0.1/8\" is not a network "
		"(ADDRESS/PREFIX without host bits, an address, or \"private\")\n");
}

static const struct cfg_vhost *by_destination(const char *local, const char *proxy, const char *dst)
{
	struct net_addr l, p, d;

	assert_int_equal(net_addr_parse(&l, local, 2121), 0);
	assert_int_equal(net_addr_parse(&p, proxy, 40000), 0);
	if (dst)
		assert_int_equal(net_addr_parse(&d, dst, 21), 0);
	return proxy_vhost_for(&cfg, &cfg.vhosts[0], &l, &p, dst ? &d : NULL);
}

/* A trusted proxy's header names the address its client dialled; a vhost
 * that lists it in proxy_destination, listens here and trusts that proxy
 * is chosen, else the listener's own. */
static void test_proxy_destination(void **state)
{
	(void)state;
	expect_errors("proxy_destination=10.0.0.31\n", 1,
		      "t.conf:1: proxy_destination needs proxy_protocol=YES (only a "
		      "trusted proxy's header names a destination)\n");
	/* b and c share a's address: their destinations select them. */
	expect_errors("listen_address=10.0.0.5\nlisten_port=2121\nproxy_protocol=YES\n"
		      "proxy_trusted=10.0.0.30\n[vhost a]\n[vhost b]\n"
		      "proxy_destination=10.0.0.31,203.0.113.51\n[vhost c]\n"
		      "proxy_destination=10.0.0.32\nproxy_trusted=10.0.0.99\n",
		      0, "");
	static const struct {
		const char *local, *proxy, *dst;
		size_t vhost;
	} cases[] = {
		{ "10.0.0.5", "10.0.0.30", "10.0.0.31", 1 },
		{ "10.0.0.5", "10.0.0.30", "203.0.113.51", 1 },
		{ "10.0.0.5", "10.0.0.30", "10.0.0.40", 0 }, /* listed nowhere */
		{ "10.0.0.5", "10.0.0.30", NULL, 0 },        /* LOCAL: no destination */
		{ "10.0.0.5", "10.0.0.30", "10.0.0.32", 0 }, /* c does not trust it */
		{ "10.0.0.5", "10.0.0.99", "10.0.0.32", 2 },
		{ "10.0.0.6", "10.0.0.30", "10.0.0.31", 0 }, /* b does not listen there */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_ptr_equal(by_destination(cases[i].local, cases[i].proxy, cases[i].dst),
				 &cfg.vhosts[cases[i].vhost]);
	/* Without a selector, sharing an address is still a clash. */
	assert_int_equal(load("listen_address=10.0.0.5\n[vhost a]\n[vhost b]\n"), 1);
}

static void test_listen_address(void **state)
{
	(void)state;
	expect_errors("listen_address=127.0.0.1 , ::1,\t192.0.2.7\n", 0, "");
	assert_string_equal(cfg.global.listen_address, "127.0.0.1 , ::1,\t192.0.2.7");
	expect_errors("\nlisten_address=127.0.0.1, localhost\n", 1,
		      "t.conf:2: bad value \"127.0.0.1, localhost\" for "
		      "listen_address: \"localhost\" is not an IPv4 or IPv6 "
		      "address\n");
	expect_errors("listen_address=127.0.0.1,,::1\n", 1,
		      "t.conf:1: bad value \"127.0.0.1,,::1\" for "
		      "listen_address: \"\" is not an IPv4 or IPv6 address\n");
	expect_errors("listen_address=1.2.3\n", 1,
		      "t.conf:1: bad value \"1.2.3\" for listen_address: "
		      "\"1.2.3\" is not an IPv4 or IPv6 address\n");
	expect_errors("listen_address=\n", 1,
		      "t.conf:1: bad value \"\" for listen_address: must not "
		      "be empty\n");
	expect_errors("listen_address=::1, 0:0::1\n", 1,
		      "t.conf:1: bad value \"::1, 0:0::1\" for listen_address: "
		      "::1 and 0:0::1 overlap: they cannot both be listened "
		      "on\n");
}

static void test_vhost_address_clash(void **state)
{
	(void)state;
	expect_errors("[vhost a]\nlisten_address=192.0.2.1, ::1\n"
		      "[vhost b]\nlisten_address=192.0.2.2\n"
		      "[vhost c]\nlisten_port=21\nlisten_address=::1\n",
		      1,
		      "t.conf:7: vhost \"c\": listening on ::1 port 21 clashes "
		      "with vhost \"a\" on ::1\n");
	/* Same address, other port: fine. */
	expect_errors("[vhost a]\n[vhost b]\nlisten_port=2121\n", 0, "");
	/* Both inherit 0.0.0.0:21: blamed on the second header. */
	expect_errors("[vhost a]\n[vhost b]\n", 1,
		      "t.conf:2: vhost \"b\": listening on 0.0.0.0 port 21 "
		      "clashes with vhost \"a\" on 0.0.0.0 (inherited from the "
		      "global section)\n");
	/* A wildcard takes every address of its family. */
	expect_errors("[vhost a]\n[vhost b]\nlisten_address=192.0.2.9\n", 1,
		      "t.conf:3: vhost \"b\": listening on 192.0.2.9 port 21 "
		      "clashes with vhost \"a\" on 0.0.0.0\n");
	expect_errors("[vhost a]\n[vhost b]\nlisten_address=::\n", 0, "");
}

static void test_ssl_needs_cert(void **state)
{
	(void)state;
	expect_errors("ssl_enable=YES\n", 1,
		      "t.conf:1: ssl_enable=YES needs rsa_cert_file or ecdsa_cert_file\n");
	expect_errors("ssl_enable=YES\nrsa_cert_file=/etc/c.pem\n", 0, "");
	/* Global is only defaults when every vhost brings its own cert. */
	expect_errors("ssl_enable=YES\n"
		      "[vhost a]\nrsa_cert_file=/a.pem\n"
		      "[vhost b]\nlisten_port=990\nrsa_cert_file=/b.pem\n",
		      0, "");
	expect_errors("ssl_enable=YES\n"
		      "[vhost a]\nrsa_cert_file=/a.pem\n"
		      "[vhost b]\nlisten_port=990\n",
		      1,
		      "t.conf:4: vhost \"b\": ssl_enable=YES needs "
		      "rsa_cert_file or ecdsa_cert_file (inherited from the global section)\n");
	expect_errors("rsa_cert_file=/c.pem\n[vhost a]\nrsa_cert_file=\n"
		      "ssl_enable=YES\n",
		      1,
		      "t.conf:4: vhost \"a\": ssl_enable=YES needs "
		      "rsa_cert_file or ecdsa_cert_file\n");
}

/* ---- dump ------------------------------------------------------------ */

static char *dump_of(const struct ftpsd_config *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	config_dump(c, out);
	assert_int_equal(fclose(out), 0);
	return text;
}

/* Every key appears once with its default; the table grows with features,
 * so pin the format and a sample of defaults rather than the whole text. */
static void test_dump_defaults(void **state)
{
	static const char *const expected[] = {
		"listen=YES\n",         "pid_file=/run/ftpsd.pid\n", "log_file=\n",
		"nopriv_user=nobody\n", "listen_port=21\n",          "local_umask=077\n",
		"pasv_min_port=0\n",    "ssl_enable=NO\n",           "rsa_cert_file=\n",
		"accept_timeout=60\n",
	};
	char *text;

	(void)state;
	assert_int_equal(load(""), 0);
	text = dump_of(&cfg);
	assert_true(strncmp(text, "listen=YES\npid_file=", 20) == 0);
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		const char *hit = strstr(text, expected[i]);
		assert_non_null(hit);
		assert_true(hit == text || hit[-1] == '\n');
	}
	assert_null(strchr(text, '['));
	free(text);
}

static void test_dump_vhost_differences(void **state)
{
	char *text;

	(void)state;
	assert_int_equal(load("local_umask=022\n[vhost a]\nlisten_port=2121\n"
			      "hide_ids=yes\n[vhost b]\n"
			      "listen_address=::1\n"),
			 0);
	text = dump_of(&cfg);
	assert_non_null(strstr(text, "local_umask=022\n"));
	assert_non_null(strstr(text, "\n[vhost a]\nlisten_port=2121\n"
				     "hide_ids=YES\n\n[vhost b]\n"
				     "listen_address=::1\n"));
	assert_int_equal(text[strlen(text) - 1], '\n');
	assert_null(strstr(strstr(text, "[vhost b]"), "local_umask"));
	free(text);
}

static void roundtrip(const char *text)
{
	char *dumped;

	assert_int_equal(load_into(&cfg, text), 0);
	dumped = dump_of(&cfg);
	assert_int_equal(load_into(&cfg2, dumped), 0);
	assert_config_equal(&cfg, &cfg2);
	free(dumped);
}

static void test_dump_roundtrip(void **state)
{
	(void)state;
	roundtrip("");
	roundtrip("listen=NO\nlog_file=/var/log/ftpsd.log\nmax_clients=50\n"
		  "local_umask=002\nwrite_enable=YES\nchroot_local_user=1\n"
		  "pasv_min_port=40000\npasv_max_port=40100\n"
		  "ftpd_banner=Welcome: no #comments, = signs ok\n"
		  "listen_address=127.0.0.1, ::1\n");
	roundtrip("ssl_enable=YES\nftpd_banner=shared\n"
		  "[vhost a.example]\nrsa_cert_file=/a.pem\nlisten_port=2121\n"
		  "[vhost b-2]\nrsa_cert_file=/b.pem\nlisten_port=990\n"
		  "ftpd_banner=\nlocal_umask=0\n"
		  "[vhost same_as_global]\nlisten_port=2122\n"
		  "rsa_cert_file=/c.pem\n");
	/* A single vhost named "default" equal to global needs no section. */
	roundtrip("[vhost default]\n");
}

/* ---- files and environment ------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/ftpsd-test-XXXXXX";
	char expect[128];
	FILE *err;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	write_file(path, "listen_port=2121\n\nbogus=1\n");
	err_free();
	err = open_memstream(&errtext, &errlen);
	assert_int_equal(config_load(&cfg, path, err), 1);
	assert_int_equal(fclose(err), 0);
	snprintf(expect, sizeof expect, "%s:3: unknown key \"bogus\"\n", path);
	assert_string_equal(errtext, expect);
	assert_string_equal(cfg.path, path);
	assert_int_equal(cfg.global.listen_port, 2121);
	assert_int_equal(unlink(path), 0);
}

static void test_load_missing_file(void **state)
{
	FILE *err;

	(void)state;
	err_free();
	err = open_memstream(&errtext, &errlen);
	assert_int_equal(config_load(&cfg, "/nonexistent/ftpsd.conf", err), -1);
	assert_int_equal(fclose(err), 0);
	assert_string_equal(errtext, "/nonexistent/ftpsd.conf: cannot open: "
				     "No such file or directory\n");
}

static int check_env(const char *text)
{
	FILE *err;
	int n;

	assert_int_equal(load(text), 0);
	err_free();
	err = open_memstream(&errtext, &errlen);
	n = config_check_environment(&cfg, err);
	assert_int_equal(fclose(err), 0);
	return n;
}

/* Lines of errtext that are not warnings. */
static int count_errors(void)
{
	int n = 0;

	for (const char *p = errtext; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	for (const char *p = errtext; (p = strstr(p, ": warning: ")); p++)
		n--;
	return n;
}

static void test_env_user_and_certs(void **state)
{
	char text[512], cert[] = "/tmp/ftpsd-cert-XXXXXX";
	int fd = mkstemp(cert);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	snprintf(text, sizeof text,
		 "nopriv_user=root\nsecure_chroot_dir=/nonexistent/empty\n"
		 "ssl_enable=YES\nrsa_cert_file=%s\n"
		 "rsa_private_key_file=/nonexistent/key.pem\n",
		 cert);
	assert_int_equal(check_env(text), 1);
	/* The message names the line of the key that set the file. */
	assert_non_null(strstr(errtext, "t.conf:5: cannot read "
					"/nonexistent/key.pem: No such file or "
					"directory\n"));
	assert_int_equal(count_errors(), 1);

	assert_int_equal(check_env("nopriv_user=ftpsd-no-such-user\n"
				   "secure_chroot_dir=/nonexistent\n"),
			 1);
	assert_non_null(strstr(errtext, "t.conf:1: nopriv_user "
					"\"ftpsd-no-such-user\" does not "
					"exist\n"));
	assert_int_equal(unlink(cert), 0);
}

static void test_env_same_cert_checked_once(void **state)
{
	(void)state;
	assert_int_equal(check_env("nopriv_user=root\n"
				   "secure_chroot_dir=/nonexistent\n"
				   "ssl_enable=YES\nrsa_cert_file=/nonexistent/c\n"
				   "[vhost a]\n[vhost b]\nlisten_port=2\n"),
			 1);
}

/* An account is checked where it is needed: the same name unused in an
 * earlier vhost does not excuse a vhost that uses it. */
static void test_env_account_checked_where_needed(void **state)
{
	(void)state;
	assert_int_equal(check_env("nopriv_user=root\n"
				   "secure_chroot_dir=/nonexistent\n"
				   "ftp_username=ftpsd-no-such-user\n"
				   "[vhost a]\n"
				   "[vhost b]\nlisten_port=2\nanonymous_enable=YES\n"
				   "[vhost c]\nlisten_port=3\nanonymous_enable=YES\n"),
			 1);
	assert_non_null(strstr(errtext, "t.conf:3: ftp_username \"ftpsd-no-such-user\" does not "
					"exist (anonymous logins need it)\n"));
	assert_int_equal(count_errors(), 1);
	/* Not needed anywhere: not checked. */
	assert_int_equal(check_env("nopriv_user=root\n"
				   "secure_chroot_dir=/nonexistent\n"
				   "guest_username=ftpsd-no-such-user\n"),
			 0);
}

static void test_env_chroot_dir(void **state)
{
	char dir[] = "/tmp/ftpsd-empty-XXXXXX", text[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(text, sizeof text, "nopriv_user=root\nsecure_chroot_dir=%s\n", dir);
	if (geteuid() == 0) {
		assert_int_equal(check_env(text), 0);
		assert_int_equal(chmod(dir, 0777), 0);
		assert_int_equal(check_env(text), 1);
		assert_non_null(strstr(errtext, "is writable by group or "
						"others\n"));
		assert_int_equal(chmod(dir, 0755), 0);
		assert_int_equal(chown(dir, 65534, 65534), 0);
		assert_int_equal(check_env(text), 1);
		assert_non_null(strstr(errtext, "is not owned by root\n"));
	} else {
		assert_int_equal(check_env(text), 1);
		assert_non_null(strstr(errtext, "is not owned by root\n"));
	}
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(check_env("nopriv_user=root\n"
				   "secure_chroot_dir=/etc/passwd\n"),
			 1);
	assert_non_null(strstr(errtext, "t.conf:2: secure_chroot_dir "
					"/etc/passwd is not a directory\n"));
}

static void test_env_pam_warning_not_counted(void **state)
{
	(void)state;
	assert_int_equal(check_env("nopriv_user=root\n"
				   "secure_chroot_dir=/nonexistent\n"
				   "pam_service_name=ftpsd-no-such-service\n"),
			 0);
	assert_string_equal(errtext, "t.conf: warning: /etc/pam.d/ftpsd-no-such-service: "
				     "No such file or directory (PAM will use its "
				     "\"other\" service)\n");
}

/* The shipped sample must always be a valid config. */
static void test_sample_config(void **state)
{
	FILE *err;

	(void)state;
	if (access("etc/ftpsd.conf", R_OK) != 0)
		skip();
	err_free();
	err = open_memstream(&errtext, &errlen);
	assert_int_equal(config_load(&cfg, "etc/ftpsd.conf", err), 0);
	assert_int_equal(fclose(err), 0);
	assert_string_equal(errtext, "");
	assert_true(cfg.global.chroot_local_user);
	assert_true(cfg.global.write_enable);
	assert_int_equal(cfg.global.local_umask, 022);
	assert_int_equal(cfg.global.pasv_min_port, 40000);
	assert_int_equal(cfg.global.pasv_max_port, 40100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_defaults, teardown),
		cmocka_unit_test_teardown(test_set_defaults_matches_empty_file, teardown),
		cmocka_unit_test_teardown(test_whitespace_comments_crlf, teardown),
		cmocka_unit_test_teardown(test_indented_line_is_not_continuation, teardown),
		cmocka_unit_test_teardown(test_bool_spellings, teardown),
		cmocka_unit_test_teardown(test_utf8_bom, teardown),
		cmocka_unit_test_teardown(test_unknown_key, teardown),
		cmocka_unit_test_teardown(test_keys_are_case_sensitive, teardown),
		cmocka_unit_test_teardown(test_bad_values_all_reported, teardown),
		cmocka_unit_test_teardown(test_bad_words_named, teardown),
		cmocka_unit_test_teardown(test_umask_octal, teardown),
		cmocka_unit_test_teardown(test_string_must_fit, teardown),
		cmocka_unit_test_teardown(test_line_too_long, teardown),
		cmocka_unit_test_teardown(test_long_lines_accepted, teardown),
		cmocka_unit_test_teardown(test_duplicate_key_warns, teardown),
		cmocka_unit_test_teardown(test_placeholder_values, teardown),
		cmocka_unit_test_teardown(test_trailing_blanks, teardown),
		cmocka_unit_test_teardown(test_vsftpd_listen_ipv6, teardown),
		cmocka_unit_test_teardown(test_vsftpd_implicit_ssl, teardown),
		cmocka_unit_test_teardown(test_vsftpd_user_sub_token, teardown),
		cmocka_unit_test_teardown(test_vsftpd_key_kinds, teardown),
		cmocka_unit_test_teardown(test_line_without_equals, teardown),
		cmocka_unit_test_teardown(test_nul_byte, teardown),
		cmocka_unit_test_teardown(test_global_only_in_vhost, teardown),
		cmocka_unit_test_teardown(test_unknown_section, teardown),
		cmocka_unit_test_teardown(test_bad_headers, teardown),
		cmocka_unit_test_teardown(test_vhost_name_length, teardown),
		cmocka_unit_test_teardown(test_duplicate_vhost, teardown),
		cmocka_unit_test_teardown(test_keys_after_bad_header_still_checked, teardown),
		cmocka_unit_test_teardown(test_too_many_vhosts, teardown),
		cmocka_unit_test_teardown(test_vhost_inheritance, teardown),
		cmocka_unit_test_teardown(test_reload_starts_clean, teardown),
		cmocka_unit_test_teardown(test_pasv_inverted, teardown),
		cmocka_unit_test_teardown(test_pasv_one_zero, teardown),
		cmocka_unit_test_teardown(test_pasv_in_vhost, teardown),
		cmocka_unit_test_teardown(test_proxy_needs_trusted, teardown),
		cmocka_unit_test_teardown(test_proxy_destination, teardown),
		cmocka_unit_test_teardown(test_listen_address, teardown),
		cmocka_unit_test_teardown(test_vhost_address_clash, teardown),
		cmocka_unit_test_teardown(test_ssl_needs_cert, teardown),
		cmocka_unit_test_teardown(test_dump_defaults, teardown),
		cmocka_unit_test_teardown(test_dump_vhost_differences, teardown),
		cmocka_unit_test_teardown(test_dump_roundtrip, teardown),
		cmocka_unit_test_teardown(test_load_file, teardown),
		cmocka_unit_test_teardown(test_load_missing_file, teardown),
		cmocka_unit_test_teardown(test_env_user_and_certs, teardown),
		cmocka_unit_test_teardown(test_env_same_cert_checked_once, teardown),
		cmocka_unit_test_teardown(test_env_account_checked_where_needed, teardown),
		cmocka_unit_test_teardown(test_env_chroot_dir, teardown),
		cmocka_unit_test_teardown(test_env_pam_warning_not_counted, teardown),
		cmocka_unit_test_teardown(test_sample_config, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
