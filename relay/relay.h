/* The TLS relay: owns the control connection's TLS state for the whole
 * session and passes plaintext to and from the engine over a socketpair,
 * so the engine can be replaced at login without losing the TLS session.
 * Data-channel bytes never pass through it. */
#ifndef FTPSD_PRIVSEP_RELAY_H
#define FTPSD_PRIVSEP_RELAY_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config/config.h"
#include "common/netaddr.h"
#include "tls/tls.h"

/* A relay is forked before its session has a connection (a spare's)
 * and sandboxes itself at once; CTX, CLIENT_FD, HANDSHAKE_TIMEOUT and
 * LOCAL come later, with PRIV_RELAY_START. */
struct relay_args {
	SSL_CTX *ctx;   /* the vhost's full context */
	int client_fd;  /* the TCP control connection */
	int plain_fd;   /* our end of the plaintext socketpair */
	int monitor_fd; /* privsep link: LOG, TLS_SESSION */
	const char *nopriv_user;
	const char *empty_dir;
	unsigned handshake_timeout;
	pid_t parent;         /* the monitor: we die with it */
	bool seccomp;         /* seccomp_sandbox */
	bool isolate_network; /* an empty network namespace */
	/* TLS SNI: a name that selects another vhost serving LOCAL switches
	 * the handshake to that vhost's full context (ALL_TLS, parallel to
	 * cfg->vhosts); the monitor is told the name and decides again. */
	const struct ftpsd_config *cfg;
	const struct tls_vhost *all_tls;
	struct net_addr local;
};

/* The relay's whole life, in a freshly forked child: the sandbox, the
 * wait for PRIV_RELAY_START, the handshake, the records. */
__attribute__((noreturn)) void relay_run(struct relay_args *a);

#endif
