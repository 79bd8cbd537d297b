/* The shape of what the key holder is asked to sign. A TLS server signs
 * only digests: a DigestInfo (PKCS#1 v1.5), a PSS-encoded block, or an
 * ECDSA digest, for SHA-256, SHA-384 or SHA-512. Anything else (a raw RSA
 * block that would decrypt a ciphertext, a digest of another length) is
 * refused, so a compromised relay gets no general-purpose RSA oracle.
 * Pure functions: unit-tested in tests/unit/test_sigcheck.c. */
#ifndef FTPSD_PRIVSEP_SIGCHECK_H
#define FTPSD_PRIVSEP_SIGCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IN is a DER DigestInfo of a SHA-256/384/512 digest. */
bool sigcheck_digest_info(const uint8_t *in, size_t len);

/* IN is the block RSA_padding_add_PKCS1_PSS_mgf1 makes for a key of
 * MODBITS bits (LEN = the modulus' byte length): an EMSA-PSS encoding with
 * MGF1 and salt length = digest length, for SHA-256/384/512. */
bool sigcheck_pss_block(const uint8_t *in, size_t len, unsigned modbits);

/* IN is an ECDSA digest: 32, 48 or 64 bytes. */
bool sigcheck_ecdsa_digest(size_t len);

#endif
