/* Whole writes on blocking fds: the one loop every role needs. */
#ifndef FTPSD_FDIO_H
#define FTPSD_FDIO_H

#include <stddef.h>

/* Write all LEN bytes, retrying on EINTR and short writes. 0, or -1 with
 * errno from write(). */
int fd_write_all(int fd, const void *buf, size_t len);

#endif
