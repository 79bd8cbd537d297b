/* keys/sigcheck.c: what the key holder agrees to sign; the input comes
 * from a relay or an engine that may be hostile. Byte 0-1 pick the
 * modulus size for the PSS check. */
#include <stdint.h>
#include <string.h>

#include "keys/sigcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned modbits;

	if (size < 2)
		return 0;
	modbits = ((unsigned)data[0] << 8 | data[1]) % 8500;
	(void)sigcheck_digest_info(data + 2, size - 2);
	(void)sigcheck_pss_block(data + 2, size - 2, modbits);
	(void)sigcheck_ecdsa_digest(size - 2);
	return 0;
}
