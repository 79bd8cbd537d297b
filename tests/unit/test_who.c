/* Unit tests for `ftpsd -w`: the monitor's check of the engine's progress
 * reports (monitor/who_state.c), the WHO_STATE codec (privsep/proto_who.c)
 * and the output formats (master/who_client.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "master/who_client.h"
#include "monitor/who_state.h"
#include "privsep/proto.h"

static struct priv_xfer_progress report(uint32_t dir, uint64_t bytes, const char *path)
{
	struct priv_xfer_progress p = { .direction = dir, .bytes = bytes };

	strcpy(p.path, path);
	return p;
}

static void test_progress_first_report_starts_a_transfer(void **state)
{
	struct who_xfer w = { 0 };
	struct priv_xfer_progress p = report(XFER_DOWNLOAD, 0, "/big.bin");
	const char *why = NULL;

	(void)state;
	assert_int_equal(who_progress_take(&w, &p, 10000, &why), 0);
	assert_int_equal(w.direction, XFER_DOWNLOAD);
	assert_int_equal(w.started_ms, 10000);
	assert_string_equal(w.path, "/big.bin");
	p.bytes = 4096;
	assert_int_equal(who_progress_take(&w, &p, 11000, &why), 0);
	assert_int_equal(w.bytes, 4096);
	assert_int_equal(w.started_ms, 10000);
}

static void test_progress_too_often_is_a_violation(void **state)
{
	struct who_xfer w = { 0 };
	struct priv_xfer_progress p = report(XFER_UPLOAD, 1, "/up");
	const char *why = NULL;

	(void)state;
	assert_int_equal(who_progress_take(&w, &p, 5000, &why), 0);
	p.bytes = 2;
	assert_int_equal(who_progress_take(&w, &p, 5000 + WHO_PROGRESS_MIN_MS - 1, &why), -1);
	assert_non_null(strstr(why, "once a second"));
	assert_int_equal(who_progress_take(&w, &p, 5000 + WHO_PROGRESS_MIN_MS, &why), 0);
}

static void test_progress_backwards_or_turning_is_a_violation(void **state)
{
	struct who_xfer w = { 0 };
	struct priv_xfer_progress p = report(XFER_DOWNLOAD, 100, "/f");
	const char *why = NULL;

	(void)state;
	assert_int_equal(who_progress_take(&w, &p, 0, &why), 0);
	p.bytes = 99;
	assert_int_equal(who_progress_take(&w, &p, 2000, &why), -1);
	assert_non_null(strstr(why, "backwards"));
	p = report(XFER_UPLOAD, 200, "/f");
	assert_int_equal(who_progress_take(&w, &p, 4000, &why), -1);
	assert_non_null(strstr(why, "direction"));
	/* After the end (PRIV_XFER) anything starts afresh, at once. */
	who_xfer_end(&w);
	assert_int_equal(who_progress_take(&w, &p, 4001, &why), 0);
	assert_int_equal(w.direction, XFER_UPLOAD);
}

static void test_progress_path_is_cut_at_control_bytes(void **state)
{
	struct who_xfer w = { 0 };
	struct priv_xfer_progress p = report(XFER_DOWNLOAD, 0, "/a\nforged\x7f");
	const char *why = NULL;

	(void)state;
	assert_int_equal(who_progress_take(&w, &p, 0, &why), 0);
	assert_string_equal(w.path, "/a");
}

static void test_state_fill(void **state)
{
	struct who_xfer w = { 0 };
	struct priv_xfer_progress p = report(XFER_DOWNLOAD, 0, "/big.bin");
	struct who_session s = { .vhost = "main",
				 .client = "192.0.2.7",
				 .user = NULL,
				 .started_ms = 1000,
				 .client_fd = -1 };
	struct priv_who_state st;
	const char *why;

	(void)state;
	who_state_fill(&st, &s, &w, 3000);
	assert_int_equal(st.state, WHO_LOGIN);
	assert_int_equal(st.connected_ms, 2000);
	assert_string_equal(st.user, "");
	s.user = "alice";
	s.kind = WHO_KIND_LOCAL;
	who_state_fill(&st, &s, &w, 3000);
	assert_int_equal(st.state, WHO_IDLE);
	assert_int_equal(who_progress_take(&w, &p, 3000, &why), 0);
	p.bytes = 1 << 20;
	assert_int_equal(who_progress_take(&w, &p, 5000, &why), 0);
	who_state_fill(&st, &s, &w, 5000);
	assert_int_equal(st.state, WHO_DOWNLOAD);
	assert_int_equal(st.xfer_bytes, 1 << 20);
	assert_int_equal(st.xfer_ms, 2000);
	assert_string_equal(st.path, "/big.bin");
}

static void test_codec_round_trip_and_bounds(void **state)
{
	struct priv_who_state a = { .pid = 4242,
				    .state = WHO_UPLOAD,
				    .kind = WHO_KIND_ANON,
				    .connected_ms = 7,
				    .idle_ms = 8,
				    .xfer_bytes = 9,
				    .xfer_ms = 10 };
	struct priv_who_state b;
	struct priv_msg m;

	(void)state;
	strcpy(a.vhost, "v");
	strcpy(a.client, "::1");
	strcpy(a.user, "ftp");
	strcpy(a.path, "/incoming/x");
	priv_encode_who_state(&m, &a);
	m.pos = 0;
	assert_int_equal(priv_decode_who_state(&m, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	a.state = WHO_NO_ANSWER + 1;
	priv_encode_who_state(&m, &a);
	m.pos = 0;
	assert_int_equal(priv_decode_who_state(&m, &b), -1);
}

static void test_json_and_row(void **state)
{
	struct priv_who_state s = { .pid = 77,
				    .state = WHO_DOWNLOAD,
				    .kind = WHO_KIND_LOCAL,
				    .connected_ms = 65000,
				    .idle_ms = 3000,
				    .xfer_bytes = 2048,
				    .xfer_ms = 2000 };
	char buf[2048];

	(void)state;
	strcpy(s.vhost, "main");
	strcpy(s.client, "127.0.0.1");
	strcpy(s.user, "al\"ice");
	strcpy(s.path, "/big.bin");
	assert_true(who_format_json(&s, buf, sizeof(buf)));
	assert_string_equal(
		buf,
		"{\"state\":\"download\",\"pid\":77,\"vhost\":\"main\",\"client\":\"127.0.0.1\","
		"\"user\":\"al\\\"ice\",\"login\":\"local\",\"connected_ms\":65000,\"idle_ms\":3000,"
		"\"transfer\":{\"direction\":\"download\",\"path\":\"/big.bin\",\"bytes\":2048,"
		"\"elapsed_ms\":2000,\"rate_bps\":1024}}");
	assert_false(who_format_json(&s, buf, 40));
	assert_true(who_format_row(&s, buf, sizeof(buf)));
	assert_non_null(strstr(buf, "RETR /big.bin 2.0 KiB 1.0 KiB/s"));
	assert_non_null(strstr(buf, "1m05s"));
	s.state = WHO_NO_ANSWER;
	s.user[0] = '\0';
	s.kind = WHO_KIND_NONE;
	assert_true(who_format_json(&s, buf, sizeof(buf)));
	assert_string_equal(buf, "{\"state\":\"busy\",\"pid\":77,\"vhost\":\"main\","
				 "\"client\":\"127.0.0.1\",\"user\":null,\"login\":null,"
				 "\"transfer\":null}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_progress_first_report_starts_a_transfer),
		cmocka_unit_test(test_progress_too_often_is_a_violation),
		cmocka_unit_test(test_progress_backwards_or_turning_is_a_violation),
		cmocka_unit_test(test_progress_path_is_cut_at_control_bytes),
		cmocka_unit_test(test_state_fill),
		cmocka_unit_test(test_codec_round_trip_and_bounds),
		cmocka_unit_test(test_json_and_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
