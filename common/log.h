/* Logging: syslog and/or a file, and stderr in the foreground. A sandboxed
 * process cannot reach either, so it installs a forwarder that sends each
 * line to its monitor instead. */
#ifndef FTPSD_LOG_H
#define FTPSD_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

struct log_sinks {
	bool use_syslog;
	int file_fd; /* -1: none */
	bool use_stderr;
	bool debug;   /* keep LOG_LVL_DEBUG lines */
	int facility; /* syslog facility (LOG_FTP when 0) */
	bool json;    /* file_fd gets JSON lines (log_format=json) */
};

/* A syslog facility by its name (ftp, daemon, auth, authpriv, user,
 * local0..local7), or -1. */
int log_facility_from_name(const char *name);

/* The structured fields of an event; NULL or negative: absent. The text
 * line stays the same whatever the format, so fail2ban and people read
 * what they always read; log_format=json writes the fields to log_file. */
struct log_fields {
	const char *event; /* session_start, login_failed, ... */
	const char *vhost;
	const char *client;
	const char *user;
	const char *reason;
	long long bytes;
	long long duration_ms;
};
#define LOG_FIELDS(ev)                                        \
	(struct log_fields)                                   \
	{                                                     \
		.event = (ev), .bytes = -1, .duration_ms = -1 \
	}

void log_event(int level, const struct log_fields *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void log_init(const struct log_sinks *sinks);

/* Route every later line through FN instead of the sinks (sandboxed side). */
typedef void (*log_forward_fn)(int level, const char *line, void *ctx);
void log_set_forward(log_forward_fn fn, void *ctx);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* IN as one line: control bytes and DEL become \xNN, so a line from a
 * sandboxed process cannot start a forged line of its own. */
void log_escape(const char *in, char *out, size_t size);

/* S as a JSON string, quotes included, at *POS in BUF (ASCII only: other
 * bytes are \u00XX). False when it does not fit. */
bool log_json_str(char *buf, size_t size, size_t *pos, const char *s);

/* Write a preformatted line to the real sinks (the monitor uses this for
 * lines forwarded by its engine). */
void log_line(int level, const char *line);

#endif
