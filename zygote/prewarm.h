/* What the zygote does once, before its first fork, so that every session
 * shares it instead of building a private copy.
 *
 * A forked page stays shared until someone writes it. What a session's
 * processes build on first use (OpenSSL's fetched algorithms and caches
 * in the relay's handshake, the PAM modules and their relocations in the
 * monitor) would otherwise be private memory in each of them, and the
 * zygote's heap holes would be reused by each child, copying the page
 * around every small allocation. */
#ifndef FTPSD_ZYGOTE_PREWARM_H
#define FTPSD_ZYGOTE_PREWARM_H

#include "config/config.h"
#include "tls/tls.h"

void zygote_prewarm(const struct ftpsd_config *cfg, const struct tls_vhost *tls, int keys_fd);

#endif
