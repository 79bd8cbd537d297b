/* TYPE A conversion between the local LF convention and the network's
 * CRLF (RFC 959 §3.1.1.1). Streaming: state carries across buffers. */
#ifndef FTPSD_ASCII_H
#define FTPSD_ASCII_H

#include <stdbool.h>
#include <stddef.h>

/* LF → CRLF for downloads. OUT needs 2*N bytes. A CRLF already in the file
 * is kept as is (*PREV_CR carries "last byte was CR" across calls). */
size_t ascii_to_network(const char *in, size_t n, char *out, bool *prev_cr);

/* CRLF → LF for uploads. OUT needs N+1 bytes. A CR at the end of a buffer
 * is held in *PENDING_CR until the next byte shows whether LF follows; call
 * ascii_from_network_end at EOF to flush it. */
size_t ascii_from_network(const char *in, size_t n, char *out, bool *pending_cr);
size_t ascii_from_network_end(char *out, bool *pending_cr);

/* How many bytes ascii_to_network would add to these N (the CRs it puts
 * before bare LFs): SIZE in TYPE A. *PREV_CR as for ascii_to_network. */
size_t ascii_network_extra(const char *in, size_t n, bool *prev_cr);

#endif
