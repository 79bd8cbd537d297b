/* The zygote: one per configuration generation, started by fork+execve in
 * a clean image (sandbox/role.c) before anything else of the generation.
 * It builds the TLS contexts from the certificates the key holder sends
 * (public; the keys stay there), compiles the seccomp filters, and then
 * forks every spare session the master asks for: so each monitor, relay
 * and engine starts from an image that holds the configuration, the
 * certificates and nothing else (no private key, nothing of the master's
 * heap, no other session's data). Each spare gets its own link to the key
 * holder. The zygote reaps its children and tells the master; retired by
 * a reload, it exits, and the master (a subreaper) inherits the sessions.
 * Its link to the master carries PRIV_ZYG_* and PRIV_KEYS_STATUS. */
#ifndef FTPSD_ZYGOTE_H
#define FTPSD_ZYGOTE_H

#include "config/config.h"
#include "config/resolver.h"
#include "privsep/codec.h"
#include "sandbox/role.h"
#include "tls/tls.h"

/* Read the certificates from the key holder on KEYS_FD until its status,
 * and build the TLS contexts of every vhost. NULL with a reason in ERR. */
struct tls_vhost *zygote_receive_certs(int keys_fd, const struct ftpsd_config *cfg, char *err,
				       size_t errsize);

/* A new link to the key holder on KEYS_FD: our end, or -1. */
int zygote_key_link(int keys_fd);

/* A PRIV_ZYG_MASQ into MASQ (NVHOSTS entries). 0, or -1 if malformed. */
int zygote_apply_masq(struct pasv_masq *masq, size_t nvhosts, struct priv_msg *m);

__attribute__((noreturn)) void zygote_run(const struct ftpsd_config *cfg,
					  const struct role_env *env, int master_fd, int keys_fd);

#endif
