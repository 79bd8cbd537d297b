/* Logging sinks. The sinks are process-wide state on purpose: a process has
 * exactly one place its log lines go, chosen once at start. */
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static struct log_sinks sinks = { .file_fd = -1, .use_stderr = true };
static log_forward_fn forward_fn;
static void *forward_ctx;

void log_init(const struct log_sinks *s)
{
	sinks = *s;
	if (sinks.use_syslog)
		openlog("ftpsd", LOG_PID | LOG_NDELAY, LOG_FTP);
}

void log_set_forward(log_forward_fn fn, void *ctx)
{
	forward_fn = fn;
	forward_ctx = ctx;
}

static int level_to_syslog(int level)
{
	switch (level) {
	case LOG_LVL_ERR: return LOG_ERR;
	case LOG_LVL_WARN: return LOG_WARNING;
	case LOG_LVL_INFO: return LOG_INFO;
	default: return LOG_DEBUG;
	}
}

/* One write() per line so lines from many sessions never interleave. */
static void write_stamped(int fd, const char *line)
{
	char buf[1200];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	gmtime_r(&now, &tm);
	n = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ ftpsd[%d]: %s\n",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, (int)getpid(), line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		n = sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	while (write(fd, buf, (size_t)n) < 0 && errno == EINTR)
		;
}

void log_line(int level, const char *line)
{
	if (level == LOG_LVL_DEBUG && !sinks.debug)
		return;
	if (sinks.use_syslog)
		syslog(level_to_syslog(level), "%s", line);
	if (sinks.file_fd >= 0)
		write_stamped(sinks.file_fd, line);
	if (sinks.use_stderr)
		write_stamped(STDERR_FILENO, line);
}

void log_msg(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (forward_fn)
		forward_fn(level, line, forward_ctx);
	else
		log_line(level, line);
}

void log_escape(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	if (size == 0)
		return;
	for (; *in && n + 1 < size; in++) {
		unsigned char c = (unsigned char)*in;
		if (c >= 0x20 && c != 0x7f) {
			out[n++] = (char)c;
			continue;
		}
		if (n + 5 > size)
			break;
		out[n++] = '\\';
		out[n++] = 'x';
		out[n++] = hex[c >> 4];
		out[n++] = hex[c & 15];
	}
	out[n] = '\0';
}
