/* systemd socket activation with Accept=no (sd_listen_fds(3) without
 * libsystemd): the listening sockets systemd opened arrive at fds
 * 3..3+LISTEN_FDS-1 when LISTEN_PID is ours, named by LISTEN_FDNAMES. The
 * master matches them to the configured listen addresses by their bound
 * address (master/listeners.c); a configured address without one is
 * opened as usual, a socket no vhost wants is closed with a warning. */
#ifndef FTPSD_ACTIVATION_H
#define FTPSD_ACTIVATION_H

#include "master/listeners.h"

#define ACTIVATION_FD_START 3

/* Before anything closes fds above 2: take the passed listening stream
 * sockets into IN (close-on-exec, non-blocking) and unset the LISTEN_*
 * variables. Other passed fds (Accept=yes's connection) are skipped. The
 * number of fds passed (0 without activation: fds from 3 + that number up
 * are not systemd's), or -1 with ERR when the variables are wrong. */
int activation_take(struct inherited_fds *in, char *err, size_t errsize);

/* Close and log the sockets no listener claimed. */
void activation_close_unclaimed(struct inherited_fds *in);

#endif
