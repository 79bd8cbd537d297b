/* The key holder: the only process of ftpsd that ever reads a private key
 * (OpenBSD relayd's "ca" process). One per configuration generation,
 * started by fork+execve in a clean image (sandbox/role.c). As root it
 * loads every vhost's certificate chain and key, sends the certificates
 * (public) to the zygote, then becomes nopriv in the empty chroot under
 * its own seccomp filter and signs for the sessions' monitors, each over
 * its own link: only handshake-shaped inputs (keys/sigcheck.h), a
 * bounded number per link. It exits when the zygote has gone and the last
 * link has closed, so sessions started before a reload keep signing with
 * the keys they started with. */
#ifndef FTPSD_PRIVSEP_KEYS_H
#define FTPSD_PRIVSEP_KEYS_H

#include "config/config.h"

/* Signatures one session's link may ask for over its whole life: its
 * control handshake, and full data handshakes when require_ssl_reuse=NO
 * (the monitor allows one per data connection it brokered). */
#define KEYS_SIGNS_PER_LINK 100000

/* Serve as the key holder; ZYGOTE_FD is the link to this generation's
 * zygote. Never returns. */
__attribute__((noreturn)) void keys_run(const struct ftpsd_config *cfg, int zygote_fd);

#endif
