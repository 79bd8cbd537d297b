/* mmap with huge pages for a password hash (monitor/hash_memory.h says why). */
#include "monitor/hash_memory.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HUGE_PAGE ((size_t)2 << 20)

typedef void *mmap_fn(void *, size_t, int, int, int, off_t);

/* The monitor hashes on one thread; a hash inside a hash does not happen. */
static bool hashing;

void hash_memory_begin(void)
{
	hashing = true;
}

void hash_memory_end(void)
{
	hashing = false;
}

/* The C library's mmap: the next one after this binary's. Until it is
 * found (or if it is not), the system call itself. */
static void *library_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static mmap_fn *fn;

	if (!fn)
		fn = (mmap_fn *)dlsym(RTLD_NEXT, "mmap");
	if (fn)
		return fn(addr, len, prot, flags, fd, off);
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static bool is_hash_region(void *addr, size_t len, int flags, int fd, off_t off)
{
	return hashing && !addr && fd == -1 && off == 0 && len >= HUGE_PAGE &&
	       len <= SIZE_MAX / 2 &&
	       (flags & (MAP_ANONYMOUS | MAP_PRIVATE | MAP_SHARED | MAP_FIXED |
			 MAP_FIXED_NOREPLACE | MAP_HUGETLB | MAP_GROWSDOWN)) ==
		       (MAP_ANONYMOUS | MAP_PRIVATE);
}

/* LEN bytes on a HUGE_PAGE boundary: map a huge page more and unmap what
 * lies outside, so that the caller's munmap(start, len) (which rounds LEN
 * up to a page, as the trimming does) is exact. */
static void *map_aligned(size_t len, int prot, int flags)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = (len + page - 1) & ~(page - 1), total = span + HUGE_PAGE;
	char *base = library_mmap(NULL, total, prot, flags, -1, 0);
	char *start, *end;
	int saved = errno;

	if (base == MAP_FAILED)
		return MAP_FAILED;
	start = (char *)(((uintptr_t)base + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	end = start + span;
	if (start > base && munmap(base, (size_t)(start - base)) != 0)
		goto unmap;
	if (base + total > end && munmap(end, (size_t)(base + total - end)) != 0)
		goto unmap;
	/* Advice only: without it the region is what it would have been. */
	(void)madvise(start, span, MADV_HUGEPAGE);
	errno = saved;
	return start;
unmap:
	/* Whatever of the mapping is still there goes; the hash fails cleanly. */
	(void)munmap(base, total);
	errno = ENOMEM;
	return MAP_FAILED;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (is_hash_region(addr, len, flags, fd, off))
		return map_aligned(len, prot, flags);
	return library_mmap(addr, len, prot, flags, fd, off);
}
