/* Unit tests for engine/ascii.c: TYPE A line-ending conversion, which
 * must give the same bytes however the stream is cut into buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/ascii.h"

#define MAXLEN 512

/* One whole-buffer conversion (upload side flushes at EOF). */
static size_t to_net(const char *in, size_t n, char *out)
{
	bool prev_cr = false;

	return ascii_to_network(in, n, out, &prev_cr);
}

static size_t from_net(const char *in, size_t n, char *out)
{
	bool pending = false;
	size_t o = ascii_from_network(in, n, out, &pending);

	return o + ascii_from_network_end(out + o, &pending);
}

#define assert_conv(fn, in, want)                         \
	do {                                              \
		char out_[2 * sizeof(in) + 2];            \
		size_t n_ = fn(in, sizeof(in) - 1, out_); \
		assert_int_equal(n_, sizeof(want) - 1);   \
		assert_memory_equal(out_, want, n_);      \
	} while (0)

static void test_to_network(void **state)
{
	(void)state;
	assert_conv(to_net, "", "");
	assert_conv(to_net, "abc", "abc");
	assert_conv(to_net, "\n", "\r\n");
	assert_conv(to_net, "a\nb\n", "a\r\nb\r\n");
	assert_conv(to_net, "\n\n\n", "\r\n\r\n\r\n");
	/* An existing CRLF is kept as is. */
	assert_conv(to_net, "a\r\nb", "a\r\nb");
	assert_conv(to_net, "a\r\n\n", "a\r\n\r\n");
	/* CR alone is kept. */
	assert_conv(to_net, "a\rb", "a\rb");
	assert_conv(to_net, "\r", "\r");
	assert_conv(to_net, "\r\r\n", "\r\r\n");
	assert_conv(to_net, "\r\rx\n", "\r\rx\r\n");
	/* Binary-ish bytes pass through. */
	assert_conv(to_net, "\0\xff\n\x7f", "\0\xff\r\n\x7f");
}

static void test_to_network_worst_case_size(void **state)
{
	char in[MAXLEN], out[2 * MAXLEN];
	(void)state;

	memset(in, '\n', sizeof(in));
	assert_int_equal(to_net(in, sizeof(in), out), 2 * sizeof(in));
	for (size_t i = 0; i < sizeof(out); i += 2) {
		assert_int_equal(out[i], '\r');
		assert_int_equal(out[i + 1], '\n');
	}
}

/* CR at the end of one buffer, LF at the start of the next: still one
 * CRLF, no CR inserted. */
static void test_to_network_split_crlf(void **state)
{
	char out[16];
	bool prev_cr = false;
	size_t n;
	(void)state;

	n = ascii_to_network("a\r", 2, out, &prev_cr);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "a\r", 2);
	assert_true(prev_cr);
	n = ascii_to_network("\nb", 2, out, &prev_cr);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "\nb", 2);
	assert_false(prev_cr);

	/* And a bare LF after a buffer not ending in CR still gets one. */
	n = ascii_to_network("\n", 1, out, &prev_cr);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "\r\n", 2);
}

static void test_from_network(void **state)
{
	(void)state;
	assert_conv(from_net, "", "");
	assert_conv(from_net, "abc", "abc");
	assert_conv(from_net, "a\r\nb\r\n", "a\nb\n");
	assert_conv(from_net, "\r\n\r\n", "\n\n");
	/* A lone LF is kept (lenient clients). */
	assert_conv(from_net, "a\nb", "a\nb");
	/* A lone CR is kept. */
	assert_conv(from_net, "a\rb", "a\rb");
	assert_conv(from_net, "\r\r\n", "\r\n");
	assert_conv(from_net, "\r\r\r", "\r\r\r");
	assert_conv(from_net, "\rx\r\n", "\rx\n");
	assert_conv(from_net, "\n\r", "\n\r");
	assert_conv(from_net, "\0\r\n\xff", "\0\n\xff");
}

static void test_from_network_split_crlf(void **state)
{
	char out[16];
	bool pending = false;
	size_t n;
	(void)state;

	/* CR at the end of the first call is held back. */
	n = ascii_from_network("ab\r", 3, out, &pending);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "ab", 2);
	assert_true(pending);
	/* LF next: the pair becomes one LF. */
	n = ascii_from_network("\ncd", 3, out, &pending);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "\ncd", 3);
	assert_false(pending);

	/* CR then a non-LF in the next buffer: the CR is released. */
	n = ascii_from_network("x\r", 2, out, &pending);
	assert_int_equal(n, 1);
	n = ascii_from_network("y", 1, out, &pending);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "\ry", 2);
	assert_false(pending);

	/* N+1 output bytes: a held CR plus a full buffer of data. */
	n = ascii_from_network("\r", 1, out, &pending);
	assert_int_equal(n, 0);
	n = ascii_from_network("abcd", 4, out, &pending);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "\rabcd", 5);

	/* A held CR survives an empty buffer. */
	n = ascii_from_network("\r", 1, out, &pending);
	assert_int_equal(n, 0);
	n = ascii_from_network("", 0, out, &pending);
	assert_int_equal(n, 0);
	assert_true(pending);
	n = ascii_from_network("\n", 1, out, &pending);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], '\n');
}

static void test_from_network_cr_at_eof(void **state)
{
	char out[16];
	bool pending = false;
	size_t n;
	(void)state;

	n = ascii_from_network("end\r", 4, out, &pending);
	assert_int_equal(n, 3);
	assert_true(pending);
	n = ascii_from_network_end(out, &pending);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], '\r');
	assert_false(pending);
	/* Flushing twice gives nothing more. */
	assert_int_equal(ascii_from_network_end(out, &pending), 0);

	/* Nothing pending: nothing written. */
	pending = false;
	out[0] = 'Z';
	assert_int_equal(ascii_from_network_end(out, &pending), 0);
	assert_int_equal(out[0], 'Z');
}

/* ---- property: buffer boundaries do not matter ----------------------- */

static uint64_t xs = UINT64_C(0x853c49e6748fea9b);

static uint64_t xorshift64(void)
{
	xs ^= xs << 13;
	xs ^= xs >> 7;
	xs ^= xs << 17;
	return xs;
}

/* Bytes drawn mostly from CR, LF and a letter, so every pairing occurs. */
static size_t random_input(char *buf, size_t max)
{
	static const char alphabet[] = { '\r', '\n', 'a', '\r', '\n', '\0' };
	size_t n = xorshift64() % (max + 1);

	for (size_t i = 0; i < n; i++)
		buf[i] = alphabet[xorshift64() % sizeof(alphabet)];
	return n;
}

/* Convert IN in pieces cut at the given points. */
static size_t to_net_pieces(const char *in, size_t n, const size_t *cuts, size_t ncuts, char *out)
{
	bool prev_cr = false;
	size_t o = 0, start = 0;

	for (size_t c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : n;
		o += ascii_to_network(in + start, end - start, out + o, &prev_cr);
		start = end;
	}
	return o;
}

static size_t from_net_pieces(const char *in, size_t n, const size_t *cuts, size_t ncuts, char *out)
{
	bool pending = false;
	size_t o = 0, start = 0;

	for (size_t c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : n;
		size_t got = ascii_from_network(in + start, end - start, out + o, &pending);
		/* OUT needs N+1 bytes per call, never more. */
		assert_true(got <= end - start + 1);
		o += got;
		start = end;
	}
	return o + ascii_from_network_end(out + o, &pending);
}

static void test_split_anywhere_same_output(void **state)
{
	char in[64], whole[2 * 64 + 1], part[2 * 64 + 1];
	(void)state;

	for (int round = 0; round < 2000; round++) {
		size_t n = random_input(in, sizeof(in));
		size_t wn = to_net(in, n, whole);
		size_t fn_ = from_net(in, n, part);
		char fwhole[64 + 1];

		memcpy(fwhole, part, fn_);
		/* Every single cut point. */
		for (size_t cut = 0; cut <= n; cut++) {
			size_t cuts[1] = { cut };
			size_t pn = to_net_pieces(in, n, cuts, 1, part);
			assert_int_equal(pn, wn);
			assert_memory_equal(part, whole, wn);
			pn = from_net_pieces(in, n, cuts, 1, part);
			assert_int_equal(pn, fn_);
			assert_memory_equal(part, fwhole, fn_);
		}
		/* One byte at a time (every point at once). */
		{
			size_t cuts[64];
			for (size_t i = 0; i < n; i++)
				cuts[i] = i;
			size_t pn = to_net_pieces(in, n, cuts, n, part);
			assert_int_equal(pn, wn);
			assert_memory_equal(part, whole, wn);
			pn = from_net_pieces(in, n, cuts, n, part);
			assert_int_equal(pn, fn_);
			assert_memory_equal(part, fwhole, fn_);
		}
		/* Random cut sets, empty pieces included. */
		for (int k = 0; k < 5; k++) {
			size_t cuts[8], nc = xorshift64() % 8;
			for (size_t i = 0; i < nc; i++)
				cuts[i] = n ? xorshift64() % (n + 1) : 0;
			/* sort */
			for (size_t i = 1; i < nc; i++)
				for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
					size_t t = cuts[j];
					cuts[j] = cuts[j - 1];
					cuts[j - 1] = t;
				}
			size_t pn = to_net_pieces(in, n, cuts, nc, part);
			assert_int_equal(pn, wn);
			assert_memory_equal(part, whole, wn);
			pn = from_net_pieces(in, n, cuts, nc, part);
			assert_int_equal(pn, fn_);
			assert_memory_equal(part, fwhole, fn_);
		}
	}
}

/* Semantics checked against a simple model, and the round trip: a file
 * with no CR in it survives download then upload unchanged. */
static void test_round_trip_and_model(void **state)
{
	char in[MAXLEN], net[2 * MAXLEN], back[2 * MAXLEN + 1];
	char model[2 * MAXLEN + 1];
	(void)state;

	for (int round = 0; round < 2000; round++) {
		size_t n = random_input(in, sizeof(in));
		size_t nn, bn, mn = 0;

		/* to_network model: LF not preceded by CR gets a CR. */
		for (size_t i = 0; i < n; i++) {
			if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
				model[mn++] = '\r';
			model[mn++] = in[i];
		}
		nn = to_net(in, n, net);
		assert_int_equal(nn, mn);
		assert_memory_equal(net, model, mn);

		/* from_network model: CRLF becomes LF, nothing else changes. */
		mn = 0;
		for (size_t i = 0; i < n; i++) {
			if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')
				continue;
			model[mn++] = in[i];
		}
		bn = from_net(in, n, back);
		assert_int_equal(bn, mn);
		assert_memory_equal(back, model, mn);

		/* Round trip for CR-free text. */
		for (size_t i = 0; i < n; i++)
			if (in[i] == '\r')
				in[i] = 'r';
		nn = to_net(in, n, net);
		bn = from_net(net, nn, back);
		assert_int_equal(bn, n);
		assert_memory_equal(back, in, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_to_network),
		cmocka_unit_test(test_to_network_worst_case_size),
		cmocka_unit_test(test_to_network_split_crlf),
		cmocka_unit_test(test_from_network),
		cmocka_unit_test(test_from_network_split_crlf),
		cmocka_unit_test(test_from_network_cr_at_eof),
		cmocka_unit_test(test_split_anywhere_same_output),
		cmocka_unit_test(test_round_trip_and_model),
	};

	return cmocka_run_group_tests_name("ascii", tests, NULL, NULL);
}
