/* The privsep wire format: one SOCK_SEQPACKET datagram per message,
 *   u16 type | u16 zero | u32 body length | body
 * with at most one fd passed alongside (SCM_RIGHTS). Bodies are built and
 * read with the bounded put/get calls below; any overrun marks the message
 * bad instead of touching memory outside the buffer. */
#ifndef FTPSD_PRIVSEP_CODEC_H
#define FTPSD_PRIVSEP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PRIV_HDR_LEN 8
#define PRIV_BODY_MAX 8192

struct priv_msg {
	uint16_t type;
	size_t len; /* body bytes written / received */
	size_t pos; /* read cursor */
	int fd;     /* passed fd, -1 for none */
	bool bad;   /* overrun or malformed field */
	uint8_t body[PRIV_BODY_MAX];
};

void priv_msg_init(struct priv_msg *m, uint16_t type);

void priv_put_u32(struct priv_msg *m, uint32_t v);
void priv_put_u64(struct priv_msg *m, uint64_t v);
void priv_put_bytes(struct priv_msg *m, const void *p, size_t n); /* u32 len + bytes */
void priv_put_str(struct priv_msg *m, const char *s);

uint32_t priv_get_u32(struct priv_msg *m);
uint64_t priv_get_u64(struct priv_msg *m);
/* Copy a length-prefixed field of at most SIZE bytes into OUT; returns its
 * length (0 when bad). */
size_t priv_get_bytes(struct priv_msg *m, void *out, size_t size);
/* As above, NUL-terminated; a field with an embedded NUL or longer than
 * SIZE-1 marks the message bad. */
void priv_get_str(struct priv_msg *m, char *out, size_t size);

/* 0 if every read stayed in bounds and consumed the whole body, and an
 * fd came with it exactly where privsep/messages.def has one. */
int priv_msg_check(const struct priv_msg *m);

/* Serialise into WIRE (at least PRIV_HDR_LEN + PRIV_BODY_MAX). Returns the
 * datagram length, or -1 if the message is bad. */
int priv_msg_encode(const struct priv_msg *m, uint8_t *wire, size_t size);
/* Parse a received datagram of N bytes. 0, or -1 if malformed. */
int priv_msg_decode(struct priv_msg *m, const uint8_t *wire, size_t n);

/* Send M (and M->fd when >= 0). 0 or -1. */
int priv_send(int sock, const struct priv_msg *m);
/* Receive one message. 1 ok, 0 peer closed, -1 error or malformed (a
 * truncated datagram or an unexpected control message counts as malformed;
 * any fd received with a malformed message is closed). */
int priv_recv(int sock, struct priv_msg *m);

#endif
