/* lock_upload_files (engine/filelock.h). vsftpd waits for the lock as long
 * as it takes; here the wait is bounded by data_connection_timeout, so a
 * reader that never finishes costs a writer a 450, not its session. */
#include "engine/filelock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>

#include "common/clock.h"

#define LOCK_RETRY_MS 50

int file_lock(int fd, bool write, unsigned timeout_s)
{
	long long deadline = clock_ms() + (long long)timeout_s * 1000;
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = write ? F_WRLCK : F_RDLCK;
	fl.l_whence = SEEK_SET; /* l_start 0, l_len 0: the whole file */
	for (;;) {
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return -1;
		if (clock_ms() >= deadline) {
			errno = EAGAIN;
			return -1;
		}
		(void)poll(NULL, 0, LOCK_RETRY_MS);
	}
}
