/* Who's on (`ftpsd -w`): the master serves a root-only unix socket
 * (who_socket). Each query gets the master's session table, every entry
 * completed by that session's monitor over the link the spare was
 * assigned on: the privileged side's word, never an engine's. */
#ifndef FTPSD_MASTER_WHO_H
#define FTPSD_MASTER_WHO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/netaddr.h"

/* A session in progress: for max_clients and max_per_ip, and for who. */
struct master_session {
	pid_t pid;            /* its monitor */
	struct net_addr peer; /* the client, as counted for the limits */
	int link;             /* to its monitor (non-blocking), or -1 */
};

/* How long a query waits for the monitors' answers: the master accepts
 * nothing meanwhile, and a monitor answers in microseconds unless it is
 * inside PAM (which may sleep), when it is listed as not answering. */
#define WHO_ANSWER_MS 300

/* Listen on PATH (mode 0600, its directory created 0755 if missing; a
 * stale socket there is replaced, any other file is not). Returns the
 * non-blocking listener, or -1 with ERR set. */
int who_listen(const char *path, char *err, size_t errsize);

/* How long a connected client has to ask its question (PRIV_WHO or
 * PRIV_NAT_SHOW): the master waits for nothing else meanwhile. */
#define WHO_REQUEST_MS 500

/* A client is waiting on LFD: accept it if it is root and asks a question
 * within WHO_REQUEST_MS. The connection, and *REQUEST the question's type;
 * -1 (closed) otherwise. */
int who_accept(int lfd, uint16_t *request);

/* Answer PRIV_WHO on C: the N sessions S, each completed by its monitor. */
void who_send_sessions(int c, const struct master_session *s, size_t n);

/* One line of text on the connection *CTX (an int): the answer to
 * PRIV_NAT_SHOW, a line at a time. */
void who_send_line(const char *line, void *ctx);

/* The end of every answer. */
void who_send_end(int c);

/* The master keeps one link per session: raise its soft RLIMIT_NOFILE
 * (systemd's default is 1024) to fit MAX_CLIENTS of them (0: unlimited,
 * taken as 65536) besides what it needs anyway. 0, or -1 when the hard
 * limit is lower (the limit is raised as far as it goes). */
int who_reserve_fds(unsigned max_clients);

/* Stop listening and remove PATH. */
void who_close(int lfd, const char *path);

#endif
