/* Data connections: the engine never creates sockets; it accepts on the
 * passive listener the monitor handed it. */
#ifndef FTPSD_DATA_H
#define FTPSD_DATA_H

#include <stddef.h>

#include "daemon/session.h"

/* Ask the monitor for a passive listener. Returns 0 (listener in
 * s->pasv_fd, advertised address in *ADVERTISE) or the monitor's
 * PASV_* status. */
int data_pasv_request(struct session *s, uint32_t kind,
		      struct net_addr *advertise);

/* Accept the data connection on the passive listener, from the control
 * client's address only (unless pasv_promiscuous). Consumes the listener.
 * Returns the connected fd, or -1 after replying 425 itself. */
int data_open(struct session *s);

/* Write all of BUF to the data connection. 0 or -1. */
int data_write_all(int fd, const void *buf, size_t len);

#endif
