/* Unit tests for config/vsftpd_wrappers.c: hosts.allow client patterns as
 * pasv_address_rule networks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/vsftpd_wrappers.h"

static void test_client_network(void **state)
{
	const struct {
		const char *pattern;
		const char *net; /* NULL: no CIDR form */
	} cases[] = {
		{ "ALL", "any" },
		{ "192.0.2.7", "192.0.2.7" },
		{ "192.168.1.", "192.168.1.0/24" },
		{ "10.", "10.0.0.0/8" },
		{ "172.16.0.0/255.240.0.0", "172.16.0.0/12" },
		{ "10.0.0.0/8", "10.0.0.0/8" },
		{ "[2001:db8::]/32", "2001:db8::/32" },
		{ "[2001:db8::1]", "2001:db8::1" },
		{ "10.0.0.0/255.0.255.0", NULL }, /* not contiguous */
		{ "10.1.0.0/255.0.0.0", NULL },   /* host bits set */
		{ "host.example.org", NULL },
		{ ".example.org", NULL },
		{ "LOCAL", NULL },
		{ "192.168.x.", NULL },
		{ "1.2.3.4.", NULL },
		{ "[2001:db8::", NULL },
	};
	char out[96];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = wrappers_client_network(cases[i].pattern, out, sizeof out);

		if (cases[i].net == NULL) {
			if (rc != -1)
				fail_msg("\"%s\" gave \"%s\"", cases[i].pattern, out);
			continue;
		}
		if (rc != 0)
			fail_msg("\"%s\" refused", cases[i].pattern);
		assert_string_equal(out, cases[i].net);
	}
	/* an output buffer too small is a refusal, never a cut network */
	assert_int_equal(wrappers_client_network("192.168.1.", out, 8), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_network),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
