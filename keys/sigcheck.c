#include "keys/sigcheck.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

/* DigestInfo = SEQUENCE { AlgorithmIdentifier { OID, NULL }, OCTET STRING }:
 * 19 fixed bytes, then the digest. Byte 14 is the OID's last arc. */
static const uint8_t DI_PREFIX[] = {
	0x30, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x02, 0x00, 0x05, 0x00, 0x04, 0x00,
};

bool sigcheck_digest_info(const uint8_t *in, size_t len)
{
	static const struct {
		uint8_t arc;
		size_t hlen;
	} kinds[] = {
		{ 1, 32 },
		{ 2, 48 },
		{ 3, 64 },
	};

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		uint8_t want[sizeof(DI_PREFIX)];
		memcpy(want, DI_PREFIX, sizeof(want));
		want[1] = (uint8_t)(17 + kinds[k].hlen);
		want[14] = kinds[k].arc;
		want[18] = (uint8_t)kinds[k].hlen;
		if (len == sizeof(want) + kinds[k].hlen && memcmp(in, want, sizeof(want)) == 0)
			return true;
	}
	return false;
}

/* MGF1 (RFC 8017 B.2.1): OUT ^= the mask of SEED. 0 or -1. */
static int mgf1_xor(uint8_t *out, size_t len, const uint8_t *seed, size_t slen, const EVP_MD *md)
{
	uint8_t block[EVP_MAX_MD_SIZE + 4], digest[EVP_MAX_MD_SIZE];
	unsigned dlen;

	if (slen > EVP_MAX_MD_SIZE)
		return -1;
	memcpy(block, seed, slen);
	for (uint32_t c = 0, done = 0; done < len; c++) {
		block[slen] = (uint8_t)(c >> 24);
		block[slen + 1] = (uint8_t)(c >> 16);
		block[slen + 2] = (uint8_t)(c >> 8);
		block[slen + 3] = (uint8_t)c;
		if (EVP_Digest(block, slen + 4, digest, &dlen, md, NULL) != 1)
			return -1;
		for (unsigned i = 0; i < dlen && done < len; i++)
			out[done++] ^= digest[i];
	}
	return 0;
}

/* EM (EMLEN bytes, EMBITS significant) unmasks to PS (zeros) || 0x01 ||
 * salt, with a salt as long as MD's digest, and ends in 0xbc. */
static bool pss_fits(const uint8_t *em, size_t emlen, size_t embits, const EVP_MD *md)
{
	size_t hlen = (size_t)EVP_MD_get_size(md), dblen, pslen;
	uint8_t db[1024];
	bool ok = true;

	if (emlen < 2 * hlen + 2 || emlen - hlen - 1 > sizeof(db))
		return false;
	dblen = emlen - hlen - 1;
	memcpy(db, em, dblen);
	if (mgf1_xor(db, dblen, em + dblen, hlen, md) < 0)
		return false;
	db[0] &= (uint8_t)(0xff >> (8 * emlen - embits));
	pslen = dblen - hlen - 1;
	for (size_t i = 0; i < pslen; i++)
		ok &= db[i] == 0;
	ok &= db[pslen] == 0x01;
	OPENSSL_cleanse(db, dblen);
	return ok;
}

bool sigcheck_pss_block(const uint8_t *in, size_t len, unsigned modbits)
{
	size_t embits, emlen;
	const EVP_MD *mds[] = { EVP_sha256(), EVP_sha384(), EVP_sha512() };

	if (modbits < 1024 || len != (modbits + 7) / 8)
		return false;
	embits = modbits - 1;
	emlen = (embits + 7) / 8;
	if (emlen < len) { /* the top byte is all padding: zero */
		if (in[0] != 0)
			return false;
		in++;
	}
	if (in[emlen - 1] != 0xbc || (in[0] & (uint8_t) ~(0xff >> (8 * emlen - embits))))
		return false;
	for (size_t i = 0; i < sizeof(mds) / sizeof(mds[0]); i++)
		if (pss_fits(in, emlen, embits, mds[i]))
			return true;
	return false;
}

bool sigcheck_ecdsa_digest(size_t len)
{
	return len == 32 || len == 48 || len == 64;
}
