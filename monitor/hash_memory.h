/* The password hash's working memory on huge pages (hash_memory.c).
 *
 * yescrypt, Debian 12's default password hash, maps 16 MiB afresh for each
 * hash, fills it and unmaps it. In 4 KiB pages that is 4,096 page faults,
 * each zeroing a page the hash overwrites at once, and 4,096 TLB entries
 * for a walk that jumps around the whole region: on this machine 16-17 ms
 * a hash, 7 of them in the kernel. On 2 MiB pages the same hash takes
 * 10 ms (bench/README.md, *The hash on huge pages*). libcrypt has no way
 * to be given its memory, so the binary exports mmap (the Makefile), and
 * between hash_memory_begin() and hash_memory_end() an anonymous private
 * mapping of 2 MiB or more with no address asked for is placed on a 2 MiB
 * boundary and advised MADV_HUGEPAGE. Every other mapping, and every
 * mapping outside those two calls, is the C library's mmap unchanged.
 * Whether the kernel then gives huge pages is its setting
 * (/sys/kernel/mm/transparent_hugepage/enabled: "madvise" or "always"). */
#ifndef FTPSD_MONITOR_HASH_MEMORY_H
#define FTPSD_MONITOR_HASH_MEMORY_H

void hash_memory_begin(void);
void hash_memory_end(void);

#endif
