/* vsftpd's own log lines (monitor/vsftpd_log.h). The monitor writes them:
 * the engine only reports what it did (PRIV_XFER), and the monitor knows
 * the client and the login on its own. */
#include "monitor/vsftpd_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

#define VLOG_LINE_MAX 8800 /* two paths' worth and the rest */

static const char *const vlog_names[] = {
	[VSFTPD_LOG_CONNECT] = "CONNECT",
	[VSFTPD_LOG_LOGIN] = "LOGIN",
	[VSFTPD_LOG_DOWNLOAD] = "DOWNLOAD",
	[VSFTPD_LOG_UPLOAD] = "UPLOAD",
};

/* Appends S to OUT at *AT with control bytes shown as '?'. */
static int vlog_put_safe(char *out, size_t size, size_t *at, const char *s)
{
	for (; *s; s++) {
		if (*at + 1 >= size)
			return -1;
		out[(*at)++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	}
	out[*at] = '\0';
	return 0;
}

__attribute__((format(printf, 4, 5))) static int vlog_put(char *out, size_t size, size_t *at,
							  const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= size)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(out + *at, size - *at, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *at)
		return -1;
	*at += (size_t)n;
	return 0;
}

static int vlog_transfer(const struct vsftpd_log_entry *e, char *out, size_t size, size_t *at)
{
	/* vsftpd's rate: kilobytes a second, the time at least a millisecond. */
	double kbs = (double)e->bytes / 1024.0 / ((double)(e->msecs ? e->msecs : 1) / 1000.0);

	if (vlog_put(out, size, at, ", \"") < 0 ||
	    vlog_put_safe(out, size, at, e->path ? e->path : "") < 0)
		return -1;
	return vlog_put(out, size, at, "\", %llu bytes, %.2fKbyte/sec",
			(unsigned long long)e->bytes, kbs);
}

int vsftpd_log_format(const struct vsftpd_log_entry *e, char *out, size_t size)
{
	char stamp[32];
	struct tm tm;
	size_t at = 0;

	if (size == 0 || (unsigned)e->event >= sizeof vlog_names / sizeof vlog_names[0])
		return -1;
	out[0] = '\0';
	localtime_r(&e->when, &tm);
	strftime(stamp, sizeof stamp, "%a %b %e %H:%M:%S %Y", &tm);
	if (vlog_put(out, size, &at, "%s [pid %ld] ", stamp, (long)e->pid) < 0)
		return -1;
	if (e->user &&
	    (vlog_put(out, size, &at, "[") < 0 || vlog_put_safe(out, size, &at, e->user) < 0 ||
	     vlog_put(out, size, &at, "] ") < 0))
		return -1;
	if (e->event != VSFTPD_LOG_CONNECT &&
	    vlog_put(out, size, &at, "%s ", e->ok ? "OK" : "FAIL") < 0)
		return -1;
	if (vlog_put(out, size, &at, "%s: Client \"%s\"", vlog_names[e->event], e->client) < 0)
		return -1;
	if ((e->event == VSFTPD_LOG_DOWNLOAD || e->event == VSFTPD_LOG_UPLOAD) &&
	    vlog_transfer(e, out, size, &at) < 0)
		return -1;
	if (vlog_put(out, size, &at, "\n") < 0)
		return -1;
	return (int)at;
}

void vsftpd_log_write(int fd, const struct vsftpd_log_entry *e)
{
	char line[VLOG_LINE_MAX];
	int n;

	if (fd < 0)
		return;
	n = vsftpd_log_format(e, line, sizeof line);
	/* O_APPEND and one write() a line: lines of sessions side by side
	 * never interleave. */
	if (n > 0 && write(fd, line, (size_t)n) < 0)
		log_msg(LOG_LVL_ERR, "vsftpd_log_file: %s", strerror(errno));
}
