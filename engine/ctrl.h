/* The control connection as the engine sees it: a byte stream (a TCP socket,
 * the plaintext side of the TLS relay, or TLS 1.3 records the engine
 * protects itself after the relay handed them over) read line by line into
 * a bounded buffer, and replies written whole. */
#ifndef FTPSD_CTRL_H
#define FTPSD_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "privsep/proto.h"

#define CTRL_BUF 4096 /* longest accepted command line, CRLF included */

struct tls13_conn;

struct ctrl {
	int fd;
	struct tls13_conn *tls; /* records on fd, or NULL: fd is plaintext */
	size_t len;             /* bytes buffered */
	bool discarding;        /* inside an over-long line: drop to its end */
	bool log_protocol;      /* log every command and reply at debug level */
	uint8_t buf[CTRL_BUF];
};

enum ctrl_read {
	CTRL_LINE = 1, /* a command line is in LINE */
	CTRL_TOO_LONG, /* an over-long line was dropped whole */
	CTRL_EOF,      /* peer closed */
	CTRL_TIMEOUT,  /* no complete line within the idle timeout */
	CTRL_ERROR,
	CTRL_NUL, /* a line holding a NUL byte was dropped whole */
};

void ctrl_init(struct ctrl *c, int fd, const void *pending, size_t npending);
/* Speak TLS 1.3 records on the connection from now on (tls/tls13_record.h).
 * 0 or -1. */
int ctrl_start_tls(struct ctrl *c, const struct priv_tls_keys *k);
/* The session is over: close_notify when we speak TLS. */
void ctrl_finish(struct ctrl *c);

/* Read the next line (without CRLF, Telnet IAC sequences removed) into
 * LINE, which has room for CTRL_BUF bytes. TIMEOUT_S bounds the wait for
 * the whole line, not each read, so a client that trickles bytes cannot
 * hold the session; 0 waits forever. */
enum ctrl_read ctrl_read_line(struct ctrl *c, char *line, unsigned timeout_s);

/* True if a whole line is already buffered (client pipelined). */
bool ctrl_has_line(const struct ctrl *c);

/* For the transfer loop, which must see ABOR without blocking: read once
 * from the connection (the caller polled it readable). Returns the bytes
 * read, 0 at EOF, -1 on error, -2 when nothing could be read or the buffer
 * is full. */
int ctrl_fill(struct ctrl *c);
/* Copy the first buffered line into LINE like ctrl_read_line, without
 * taking it out of the buffer. Returns 0 if no whole line is buffered. */
int ctrl_peek_line(struct ctrl *c, char *line);
/* Take out the line ctrl_peek_line returned. */
void ctrl_drop_line(struct ctrl *c);

/* "CODE text\r\n". Returns 0 or -1 (peer gone). */
int ctrl_reply(struct ctrl *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* TEXT (LEN bytes, from a file: banner_file, message_file) as a
 * multi-line reply: every line "CODE-line", then "CODE LAST". Control
 * characters become '?', so no line can end the reply early or carry a
 * Telnet command; each line is cut to fit. Returns 0 or -1. */
int ctrl_reply_text(struct ctrl *c, int code, const char *text, size_t len, const char *last);
/* Raw bytes, for multi-line replies assembled by the caller. */
int ctrl_write(struct ctrl *c, const char *text, size_t len);

/* Remove Telnet IAC sequences from LINE in place (RFC 959 §4.1.3 says the
 * control connection speaks Telnet). IAC IAC becomes one 0xFF. Returns the
 * new length. Exposed for tests. */
size_t ctrl_strip_telnet(char *line, size_t len);

#endif
