/* The password hash's memory on huge pages (monitor/hash_memory.c): inside
 * a hash, a large anonymous private mapping is 2 MiB-aligned, advised
 * MADV_HUGEPAGE and exactly as long as asked; every other mapping, and
 * every mapping outside a hash, is the C library's. What the kernel makes
 * of the advice is read off a real yescrypt hash's page faults. */
#include <crypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "monitor/crypt_once.h"
#include "monitor/hash_memory.h"

#define MIB ((size_t)1 << 20)
#define YESCRYPT_LEN (16 * MIB + 24640) /* what libcrypt asks for $y$j9T$ */

/* The smaps entry that holds P: where it starts, its size in kB and
 * whether its VmFlags has "hg" (MADV_HUGEPAGE). */
struct mapping {
	uintptr_t start;
	long kb;
	bool advised;
};

static struct mapping mapping_of(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	struct mapping m = { 0 };
	char line[512];
	bool in = false, found = false;
	unsigned long lo, hi;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = lo <= (uintptr_t)p && (uintptr_t)p < hi;
			if (in) {
				found = true;
				m.start = lo;
			}
		} else if (in && sscanf(line, "Size: %ld kB", &m.kb) == 1) {
			continue;
		} else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			m.advised = strstr(line, " hg") != NULL;
		}
	}
	fclose(f);
	assert_true(found);
	return m;
}

static long vm_size_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void *map_anon(size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

static void test_inside_a_hash_the_region_is_aligned_advised_and_exact(void **state)
{
	long before = vm_size_kb();
	struct mapping m;
	char *p;

	(void)state;
	hash_memory_begin();
	p = map_anon(YESCRYPT_LEN, MAP_PRIVATE);
	hash_memory_end();
	assert_int_equal((uintptr_t)p % (2 * MIB), 0);
	m = mapping_of(p);
	assert_int_equal(m.start, (uintptr_t)p);
	assert_true(m.advised);
	assert_int_equal(m.kb, (long)((YESCRYPT_LEN + 4095) / 4096 * 4));
	memset(p, 0x5a, YESCRYPT_LEN); /* all of it is there and writable */
	assert_int_equal(vm_size_kb() - before, m.kb);
	assert_int_equal(munmap(p, YESCRYPT_LEN), 0);
	/* The trimmed head and tail were given back: nothing is left over. */
	assert_int_equal(vm_size_kb(), before);
}

static void test_outside_a_hash_mmap_is_unchanged(void **state)
{
	char *p;

	(void)state;
	p = map_anon(YESCRYPT_LEN, MAP_PRIVATE);
	assert_false(mapping_of(p).advised);
	assert_int_equal(munmap(p, YESCRYPT_LEN), 0);
}

/* Inside a hash, but not the hash's kind of mapping. */
static void assert_not_advised(void *p, size_t len)
{
	assert_false(mapping_of(p).advised);
	assert_int_equal(munmap(p, len), 0);
}

static void test_other_mappings_inside_a_hash_pass_through(void **state)
{
	int fd = memfd_create("hash-memory-test", MFD_CLOEXEC);
	void *p;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(4 * MIB)), 0);
	hash_memory_begin();
	assert_not_advised(map_anon(64 * 1024, MAP_PRIVATE), 64 * 1024);
	assert_not_advised(map_anon(YESCRYPT_LEN, MAP_SHARED), YESCRYPT_LEN);
	p = mmap(NULL, 4 * MIB, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(p != MAP_FAILED);
	assert_not_advised(p, 4 * MIB);
	hash_memory_end();
	close(fd);
}

static bool huge_pages_possible(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char line[128] = "";

	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return strstr(line, "[never]") == NULL && line[0] != '\0';
}

/* libcrypt's own mmap call reaches the binary's (the Makefile exports it),
 * and a yescrypt hash through the monitor's crypt_r then takes a few
 * huge-page faults, not 4,096. crypt_once_forget() names crypt_once.o, so
 * that crypt_r is the monitor's even where a shared library linked first
 * defines one (ASan's interceptor would satisfy the link, and libcrypt's
 * crypt_r knows nothing of hash_memory). */
static void test_a_yescrypt_hash_faults_a_few_huge_pages(void **state)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *ref = calloc(1, sizeof(*ref)), *data = calloc(1, sizeof(*data));
	struct rusage a, b;

	(void)state;
	if (!huge_pages_possible())
		skip();
	assert_non_null(ref);
	assert_non_null(data);
	assert_non_null(crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)));
	assert_non_null(crypt_rn("secret", setting, ref, sizeof(*ref)));
	crypt_once_forget();
	assert_int_equal(getrusage(RUSAGE_SELF, &a), 0);
	assert_string_equal(crypt_r("secret", setting, data), ref->output);
	assert_int_equal(getrusage(RUSAGE_SELF, &b), 0);
	printf("page faults of one yescrypt hash: %ld\n", b.ru_minflt - a.ru_minflt);
	assert_true(b.ru_minflt - a.ru_minflt < 1000);
	free(ref);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inside_a_hash_the_region_is_aligned_advised_and_exact),
		cmocka_unit_test(test_outside_a_hash_mmap_is_unchanged),
		cmocka_unit_test(test_other_mappings_inside_a_hash_pass_through),
		cmocka_unit_test(test_a_yescrypt_hash_faults_a_few_huge_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
