#include "common/memtrim.h"

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* What the frames below ours may still use (this function's own calls). */
#define STACK_MARGIN 16384

/* The lowest address of the [stack] mapping, or 0. */
static uintptr_t stack_low_end(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	unsigned long lo = 0, hi = 0;

	while (f && fgets(line, sizeof(line), f)) {
		if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			break;
		lo = 0;
	}
	if (f)
		fclose(f);
	return (uintptr_t)lo;
}

__attribute__((noinline)) void mem_release_unused(void)
{
	volatile char here = 0;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t low = stack_low_end();
	uintptr_t keep = ((uintptr_t)&here - STACK_MARGIN) & ~(page - 1);

	malloc_trim(0);
	/* Only inside the stack mapping, and only below our frame. */
	if (low && keep > low && keep < (uintptr_t)&here)
		(void)madvise((void *)low, keep - low, MADV_DONTNEED);
}
