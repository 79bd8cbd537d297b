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

static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{ "ftp", LOG_FTP },           { "daemon", LOG_DAEMON }, { "auth", LOG_AUTH },
	{ "authpriv", LOG_AUTHPRIV }, { "user", LOG_USER },     { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 },     { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 },     { "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};

int log_facility_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(name, facilities[i].name) == 0)
			return facilities[i].facility;
	return -1;
}

void log_init(const struct log_sinks *s)
{
	sinks = *s;
	if (sinks.use_syslog)
		openlog("ftpsd", LOG_PID | LOG_NDELAY, sinks.facility ? sinks.facility : LOG_FTP);
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

static const char *level_name(int level)
{
	switch (level) {
	case LOG_LVL_ERR: return "error";
	case LOG_LVL_WARN: return "warning";
	case LOG_LVL_INFO: return "info";
	default: return "debug";
	}
}

static void write_line(int fd, const char *buf, int n)
{
	while (write(fd, buf, (size_t)n) < 0 && errno == EINTR)
		;
}

static void stamp(char *out, size_t size)
{
	struct tm tm;
	time_t now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One write() per line so lines from many sessions never interleave. */
static void write_stamped(int fd, const char *line)
{
	char buf[1200], t[32];
	int n;

	stamp(t, sizeof(t));
	n = snprintf(buf, sizeof(buf), "%s ftpsd[%d]: %s\n", t, (int)getpid(), line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		n = sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	write_line(fd, buf, n);
}

/* S as a JSON string (quotes included) at *POS in BUF; control bytes and
 * bytes that are not ASCII are escaped (\u00XX: the log stays ASCII and
 * valid JSON whatever a client sent). Returns false when it does not fit. */
static bool json_str(char *buf, size_t size, size_t *pos, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	if (*pos + 1 >= size)
		return false;
	buf[(*pos)++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*pos + 8 >= size)
			return false;
		if (*p == '"' || *p == '\\') {
			buf[(*pos)++] = '\\';
			buf[(*pos)++] = (char)*p;
		} else if (*p < 0x20 || *p >= 0x7f) {
			memcpy(buf + *pos, "\\u00", 4);
			*pos += 4;
			buf[(*pos)++] = hex[*p >> 4];
			buf[(*pos)++] = hex[*p & 15];
		} else {
			buf[(*pos)++] = (char)*p;
		}
	}
	buf[(*pos)++] = '"';
	return true;
}

bool log_json_str(char *buf, size_t size, size_t *pos, const char *s)
{
	return json_str(buf, size, pos, s);
}

static bool json_key(char *buf, size_t size, size_t *pos, const char *key, const char *value)
{
	int n;

	if (!value)
		return true;
	n = snprintf(buf + *pos, size - *pos, ",\"%s\":", key);
	if (n < 0 || (size_t)n >= size - *pos)
		return false;
	*pos += (size_t)n;
	return json_str(buf, size, pos, value);
}

static bool json_num(char *buf, size_t size, size_t *pos, const char *key, long long v, bool millis)
{
	int n;

	if (v < 0)
		return true;
	n = millis ? snprintf(buf + *pos, size - *pos, ",\"%s\":%lld.%03lld", key, v / 1000,
			      v % 1000)
		   : snprintf(buf + *pos, size - *pos, ",\"%s\":%lld", key, v);
	if (n < 0 || (size_t)n >= size - *pos)
		return false;
	*pos += (size_t)n;
	return true;
}

/* {"time":...,"level":...,"pid":...,"event":...,fields...,"message":...} */
static void write_json(int fd, int level, const struct log_fields *f, const char *line)
{
	char buf[4096], t[32];
	size_t pos;
	int n;

	stamp(t, sizeof(t));
	n = snprintf(buf, sizeof(buf), "{\"time\":\"%s\",\"level\":\"%s\",\"pid\":%d", t,
		     level_name(level), (int)getpid());
	if (n < 0)
		return;
	pos = (size_t)n;
	if (!json_key(buf, sizeof(buf), &pos, "event", f && f->event ? f->event : "message") ||
	    (f && (!json_key(buf, sizeof(buf), &pos, "vhost", f->vhost) ||
		   !json_key(buf, sizeof(buf), &pos, "client", f->client) ||
		   !json_key(buf, sizeof(buf), &pos, "user", f->user) ||
		   !json_num(buf, sizeof(buf), &pos, "bytes", f->bytes, false) ||
		   !json_num(buf, sizeof(buf), &pos, "duration", f->duration_ms, true) ||
		   !json_key(buf, sizeof(buf), &pos, "reason", f->reason))) ||
	    !json_key(buf, sizeof(buf), &pos, "message", line) || pos + 2 >= sizeof(buf))
		return;
	buf[pos++] = '}';
	buf[pos++] = '\n';
	write_line(fd, buf, (int)pos);
}

static void emit(int level, const struct log_fields *f, const char *line)
{
	if (level == LOG_LVL_DEBUG && !sinks.debug)
		return;
	if (sinks.use_syslog)
		syslog(level_to_syslog(level), "%s", line);
	if (sinks.file_fd >= 0) {
		if (sinks.json)
			write_json(sinks.file_fd, level, f, line);
		else
			write_stamped(sinks.file_fd, line);
	}
	if (sinks.use_stderr)
		write_stamped(STDERR_FILENO, line);
}

void log_line(int level, const char *line)
{
	emit(level, NULL, line);
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

void log_event(int level, const struct log_fields *f, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (forward_fn) /* the fields do not cross privsep: text only */
		forward_fn(level, line, forward_ctx);
	else
		emit(level, f, line);
}
