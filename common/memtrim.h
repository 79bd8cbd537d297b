/* Give the kernel back the memory a process no longer uses before it forks
 * a long-lived child: a page both still map stays shared only until one
 * of them writes it, and freed heap or stack below the current frame is
 * garbage either way. */
#ifndef FTPSD_MEMTRIM_H
#define FTPSD_MEMTRIM_H

/* malloc_trim, then the main thread's stack below the caller's frame
 * (with a margin) is dropped: it reads back as zeros when used again. */
void mem_release_unused(void);

#endif
