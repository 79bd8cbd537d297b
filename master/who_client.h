/* `ftpsd -w`: ask the running master (who_socket) who is on, and print
 * it as a table or as JSON. */
#ifndef FTPSD_MASTER_WHO_CLIENT_H
#define FTPSD_MASTER_WHO_CLIENT_H

#include <stdbool.h>
#include <stdio.h>

/* Print the sessions of the master listening on PATH to OUT. Returns the
 * exit status: 0, or 1 with a reason on ERR. */
int who_client_run(const char *path, bool json, FILE *out, FILE *err);

/* `ftpsd -T`: the live NAT state of the master on PATH, one line per vhost
 * with NAT settings, each after PREFIX, to OUT. 0, or 1 with a reason on
 * ERR. */
int who_client_nat(const char *path, const char *prefix, FILE *out, FILE *err);

/* One session as a table row / a JSON object (no newline); pure, for the
 * unit tests. BUF of SIZE; false when it does not fit. */
struct priv_who_state;
bool who_format_row(const struct priv_who_state *s, char *buf, size_t size);
bool who_format_json(const struct priv_who_state *s, char *buf, size_t size);
/* The table's header line. */
const char *who_format_header(void);

#endif
