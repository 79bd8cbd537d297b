/* vsftpd's lock_upload_files: an upload holds a write lock on the file
 * it writes in place, a download a shared read lock on what it sends. */
#ifndef FTPSD_FILELOCK_H
#define FTPSD_FILELOCK_H

#include <stdbool.h>

/* Lock all of FD (write: exclusive; else shared), waiting at most
 * TIMEOUT_S seconds for a conflicting lock to go. Open-file-description
 * locks: they conflict with vsftpd's and other daemons' fcntl locks, and
 * go with the descriptor, not with any close() of the same file. 0, or
 * -1 with errno (EAGAIN: still locked when the time was up). */
int file_lock(int fd, bool write, unsigned timeout_s);

#endif
