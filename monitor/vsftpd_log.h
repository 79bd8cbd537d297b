/* vsftpd's own log format, for vsftpd_log_file (xferlog_std_format=NO,
 * or dual_log_enable=YES beside the wu-ftpd xferlog):
 *   Wed Dec  2 03:00:00 2026 [pid 4242] [alice] OK DOWNLOAD: Client
 *   "192.0.2.7", "/pub/f.txt", 1234 bytes, 56.78Kbyte/sec
 * (one line), as log tools written for vsftpd.log parse it. */
#ifndef FTPSD_VSFTPD_LOG_H
#define FTPSD_VSFTPD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum vsftpd_log_event {
	VSFTPD_LOG_CONNECT,
	VSFTPD_LOG_LOGIN,
	VSFTPD_LOG_DOWNLOAD,
	VSFTPD_LOG_UPLOAD,
};

struct vsftpd_log_entry {
	enum vsftpd_log_event event;
	bool ok; /* OK or FAIL (a login refused, a transfer cut) */
	time_t when;
	pid_t pid;
	const char *user;   /* NULL before USER (CONNECT) */
	const char *client; /* the client's IP address */
	const char *path;   /* transfers only */
	uint64_t bytes;
	uint64_t msecs;
};

/* One line, newline included, into OUT: its length, or -1 when it does
 * not fit. Control bytes in USER and PATH become '?'. Pure. */
int vsftpd_log_format(const struct vsftpd_log_entry *e, char *out, size_t size);

/* Format E and append it to FD (-1: nothing to do). */
void vsftpd_log_write(int fd, const struct vsftpd_log_entry *e);

#endif
