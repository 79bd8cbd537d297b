/* What the key holder agrees to sign (keys/sigcheck.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "keys/sigcheck.h"

static EVP_PKEY *rsa_key(unsigned bits)
{
	EVP_PKEY *k = EVP_RSA_gen(bits);
	assert_non_null(k);
	return k;
}

/* The block OpenSSL's PSS signing hands to the raw RSA operation, got back
 * from a real signature by a raw public-key operation. */
static size_t pss_block(EVP_PKEY *k, const EVP_MD *md, uint8_t *em, size_t size)
{
	uint8_t digest[64], sig[1024];
	size_t siglen = sizeof(sig), emlen = size;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);

	memset(digest, 0x5a, sizeof(digest));
	assert_int_equal(EVP_PKEY_sign_init(c), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING), 1);
	assert_int_equal(EVP_PKEY_CTX_set_signature_md(c, md), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(c, RSA_PSS_SALTLEN_DIGEST), 1);
	assert_int_equal(EVP_PKEY_sign(c, sig, &siglen, digest, (size_t)EVP_MD_get_size(md)), 1);
	EVP_PKEY_CTX_free(c);
	c = EVP_PKEY_CTX_new(k, NULL);
	assert_int_equal(EVP_PKEY_verify_recover_init(c), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING), 1);
	assert_int_equal(EVP_PKEY_verify_recover(c, em, &emlen, sig, siglen), 1);
	EVP_PKEY_CTX_free(c);
	/* The raw operation's input is as long as the modulus: zero-padded. */
	if (emlen < siglen) {
		memmove(em + (siglen - emlen), em, emlen);
		memset(em, 0, siglen - emlen);
	}
	return siglen;
}

static void test_pss_blocks_of_every_tls_digest(void **state)
{
	const EVP_MD *mds[] = { EVP_sha256(), EVP_sha384(), EVP_sha512() };
	unsigned sizes[] = { 2048, 3072, 4096 };

	(void)state;
	for (size_t s = 0; s < 3; s++) {
		EVP_PKEY *k = rsa_key(sizes[s]);
		for (size_t i = 0; i < 3; i++) {
			uint8_t em[512];
			size_t n = pss_block(k, mds[i], em, sizeof(em));
			unsigned bits = (unsigned)EVP_PKEY_get_bits(k);
			assert_true(sigcheck_pss_block(em, n, bits));
			em[1] ^= 1; /* the zero padding changed: refused */
			assert_false(sigcheck_pss_block(em, n, bits));
		}
		EVP_PKEY_free(k);
	}
}

static void test_random_blocks_are_refused(void **state)
{
	uint8_t block[256];

	(void)state;
	for (int i = 0; i < 200; i++) {
		assert_int_equal(RAND_bytes(block, sizeof(block)), 1);
		block[0] &= 0x7f;
		block[255] = 0xbc; /* even with the right trailer */
		assert_false(sigcheck_pss_block(block, sizeof(block), 2048));
	}
	assert_false(sigcheck_pss_block(block, 255, 2048)); /* wrong length */
	assert_false(sigcheck_pss_block(block, 64, 512));   /* too small a key */
}

static void test_digest_infos(void **state)
{
	static const uint8_t sha256_prefix[] = {
		0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
		0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
	};
	uint8_t di[19 + 64];

	(void)state;
	memcpy(di, sha256_prefix, sizeof(sha256_prefix));
	memset(di + 19, 0xab, 64);
	assert_true(sigcheck_digest_info(di, 19 + 32));
	assert_false(sigcheck_digest_info(di, 19 + 31));
	assert_false(sigcheck_digest_info(di, 19 + 48)); /* SHA-256 OID, 48 bytes */
	di[1] = 0x41, di[14] = 0x02, di[18] = 0x30;      /* SHA-384 */
	assert_true(sigcheck_digest_info(di, 19 + 48));
	di[1] = 0x51, di[14] = 0x03, di[18] = 0x40; /* SHA-512 */
	assert_true(sigcheck_digest_info(di, 19 + 64));
	di[14] = 0x04; /* SHA-224's arc: no */
	assert_false(sigcheck_digest_info(di, 19 + 64));
	assert_false(sigcheck_digest_info(di + 19, 32)); /* a bare digest */
}

static void test_ecdsa_digest_lengths(void **state)
{
	(void)state;
	assert_true(sigcheck_ecdsa_digest(32));
	assert_true(sigcheck_ecdsa_digest(48));
	assert_true(sigcheck_ecdsa_digest(64));
	assert_false(sigcheck_ecdsa_digest(20));
	assert_false(sigcheck_ecdsa_digest(33));
	assert_false(sigcheck_ecdsa_digest(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pss_blocks_of_every_tls_digest),
		cmocka_unit_test(test_random_blocks_are_refused),
		cmocka_unit_test(test_digest_infos),
		cmocka_unit_test(test_ecdsa_digest_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
