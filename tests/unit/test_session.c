/* Unit tests for engine/session.c: what the monitor lets a new engine
 * carry (PBSZ only under TLS, PROT P only after PBSZ, only known MLST
 * facts), what a new engine starts with before and after a login, the
 * round trip of LOGIN's and HOST's carry, and that the relay's keys are
 * wiped once the engine has looked at them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/listing.h"
#include "engine/session.h"

/* As a new monitor and a new engine have them: zero (session.h). */
static struct session_given given;
static struct session_login login;
static struct session s;

static int reset(void **state)
{
	static struct ftpsd_config cfg;
	(void)state;

	memset(&s, 0, sizeof(s));
	memset(&login, 0, sizeof(login));
	session_given_init(&given, &cfg);
	session_login_init(&login);
	return 0;
}

static void test_carry_needs_tls(void **state)
{
	(void)state;

	session_login_carry(&login, &given, CARRY_PBSZ | CARRY_PROT_P, FACT_SIZE);
	assert_false(login.carry.pbsz_done);
	assert_false(login.carry.prot_private);
	assert_int_equal(login.carry.mlst_facts, FACT_SIZE);

	given.tls_control = true;
	session_login_carry(&login, &given, CARRY_PBSZ | CARRY_PROT_P, ~0u);
	assert_true(login.carry.pbsz_done);
	assert_true(login.carry.prot_private);
	assert_int_equal(login.carry.mlst_facts, FACT_DEFAULT);

	/* PROT P without PBSZ is not carried: RFC 4217 wants PBSZ first. */
	session_login_carry(&login, &given, CARRY_PROT_P, 0);
	assert_false(login.carry.pbsz_done);
	assert_false(login.carry.prot_private);
	assert_int_equal(login.carry.mlst_facts, 0);
}

static void test_start_before_login(void **state)
{
	(void)state;

	session_start(&s, &given, &login, 7, 9, "NOOP\r\n", 6);
	assert_false(s.login.logged_in);
	assert_string_equal(s.eng.cwd, "/");
	assert_int_equal(s.eng.pasv_fd, -1);
	assert_int_equal(s.eng.mlst_facts, FACT_DEFAULT);
	assert_false(s.eng.pbsz_done);
	assert_int_equal(s.priv_fd, 7);
	assert_int_equal(s.ctrl.fd, 9);
	assert_int_equal(s.ctrl.len, 6);
	assert_memory_equal(s.ctrl.buf, "NOOP\r\n", 6);
	assert_ptr_equal(s.given.cfg, given.cfg);
}

static void test_start_after_login(void **state)
{
	(void)state;

	given.tls_control = true;
	session_login_carry(&login, &given, CARRY_PBSZ | CARRY_PROT_P, FACT_TYPE);
	session_login_account(&login, "alice", "/home/alice", true, false, false);
	session_start(&s, &given, &login, 7, 9, NULL, 0);
	assert_true(s.login.logged_in);
	assert_true(s.login.chrooted);
	assert_false(s.login.anonymous);
	assert_string_equal(s.login.user, "alice");
	assert_string_equal(s.login.home, "/home/alice");
	assert_string_equal(s.eng.cwd, "/home/alice"); /* "~" is where it starts */
	assert_true(s.eng.pbsz_done);
	assert_true(s.eng.prot_private);
	assert_int_equal(s.eng.mlst_facts, FACT_TYPE);
	assert_string_equal(s.eng.user, ""); /* USER's name was the last engine's */
}

/* What one engine hands on (session_carry_bits), the monitor lets
 * through, and the next engine starts with. */
static void test_carry_round_trip(void **state)
{
	static struct session next;
	(void)state;

	given.tls_control = true;
	s.eng.pbsz_done = true;
	s.eng.prot_private = false;
	assert_int_equal(session_carry_bits(&s), CARRY_PBSZ);
	s.eng.prot_private = true;
	assert_int_equal(session_carry_bits(&s), CARRY_PBSZ | CARRY_PROT_P);
	session_login_carry(&login, &given, session_carry_bits(&s), FACT_SIZE | FACT_TYPE);
	memset(&next, 0, sizeof(next));
	session_start(&next, &given, &login, -1, -1, NULL, 0);
	assert_true(next.eng.pbsz_done);
	assert_true(next.eng.prot_private);
	assert_int_equal(next.eng.mlst_facts, FACT_SIZE | FACT_TYPE);
}

/* No handoff (suite 0): nothing started, and no byte of the keys stays. */
static void test_take_ctrl_tls_wipes(void **state)
{
	static const struct priv_tls_keys zero;
	(void)state;

	session_start(&s, &given, &login, -1, -1, NULL, 0);
	memset(s.login.ctrl_tls.read_secret, 0xaa, sizeof(s.login.ctrl_tls.read_secret));
	s.login.ctrl_tls.read_seq = 3;
	assert_int_equal(session_take_ctrl_tls(&s), 0);
	assert_null(s.ctrl.tls);
	assert_memory_equal(&s.login.ctrl_tls, &zero, sizeof(zero));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_carry_needs_tls, reset),
		cmocka_unit_test_setup(test_start_before_login, reset),
		cmocka_unit_test_setup(test_start_after_login, reset),
		cmocka_unit_test_setup(test_carry_round_trip, reset),
		cmocka_unit_test_setup(test_take_ctrl_tls_wipes, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
