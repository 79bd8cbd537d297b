/* crypt_r with one answer remembered (monitor/crypt_once.h says why). */
#include "monitor/crypt_once.h"

#include "monitor/hash_memory.h"

#include <crypt.h>
#include <dlfcn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>

typedef char *crypt_r_fn(const char *, const char *, struct crypt_data *);

/* Remembered while DATA is set. */
static struct {
	const struct crypt_data *data;
	unsigned char phrase_mac[32];
	char setting[CRYPT_OUTPUT_SIZE];
	char output[CRYPT_OUTPUT_SIZE];
} memo;

static unsigned char mac_key[32];
static bool mac_keyed;

void crypt_once_forget(void)
{
	OPENSSL_cleanse(&memo, sizeof(memo));
}

/* The library's crypt_r: the next one after this binary's in the lookup
 * order (the binary links libcrypt, so it is there from the start). */
static crypt_r_fn *library_crypt_r(void)
{
	static crypt_r_fn *fn;

	if (!fn)
		fn = (crypt_r_fn *)dlsym(RTLD_NEXT, "crypt_r");
	return fn;
}

static bool mac_of(const char *phrase, unsigned char out[32])
{
	unsigned int len = 0;

	if (!mac_keyed) {
		if (getrandom(mac_key, sizeof(mac_key), 0) != (ssize_t)sizeof(mac_key))
			return false;
		mac_keyed = true;
	}
	return HMAC(EVP_sha256(), mac_key, sizeof(mac_key), (const unsigned char *)phrase,
		    strlen(phrase), out, &len) &&
	       len == 32;
}

static bool remembered(const char *setting, const struct crypt_data *data,
		       const unsigned char mac[32])
{
	return memo.data == data && strcmp(memo.setting, setting) == 0 &&
	       CRYPTO_memcmp(memo.phrase_mac, mac, 32) == 0 &&
	       strcmp(memo.output, data->output) == 0;
}

static void remember(const char *setting, const struct crypt_data *data,
		     const unsigned char mac[32])
{
	if (strlen(setting) >= sizeof(memo.setting) || data->output[0] == '*')
		return; /* too long to keep, or a failure token */
	memo.data = data;
	memcpy(memo.phrase_mac, mac, 32);
	memcpy(memo.setting, setting, strlen(setting) + 1);
	memcpy(memo.output, data->output, strlen(data->output) + 1);
}

char *crypt_r(const char *phrase, const char *setting, struct crypt_data *data)
{
	crypt_r_fn *real = library_crypt_r();
	unsigned char mac[32];
	bool have_mac = phrase && setting && data && mac_of(phrase, mac);
	char *out;

	if (have_mac && remembered(setting, data, mac)) {
		crypt_once_forget();
		OPENSSL_cleanse(mac, sizeof(mac));
		return data->output;
	}
	crypt_once_forget();
	if (!real) {
		OPENSSL_cleanse(mac, sizeof(mac));
		return NULL;
	}
	hash_memory_begin();
	out = real(phrase, setting, data);
	hash_memory_end();
	if (have_mac && out == data->output)
		remember(setting, data, mac);
	OPENSSL_cleanse(mac, sizeof(mac));
	return out;
}
