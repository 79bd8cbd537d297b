/* The per-session privileged monitor. */
#ifndef FTPSD_PRIVSEP_MONITOR_H
#define FTPSD_PRIVSEP_MONITOR_H

#include <stdbool.h>

#include "config/config.h"
#include "config/resolver.h"
#include "privsep/rules.h"
#include "tls/tls.h"

struct monitor_env {
	int xferlog_fd;    /* -1: no xferlog */
	int vsftpd_log_fd; /* -1: no vsftpd_log_file (monitor/vsftpd_log.h) */
	bool keep_stderr;  /* foreground standalone: stderr is a log sink */
	/* TLS contexts, one per cfg->vhosts[] entry. They hold certificates
	 * only: signatures come from the key holder (tls/tls_proxy.c). */
	const struct tls_vhost *tls;
	/* This session's link to the key holder (keys/keys.c), -1: none. */
	int key_fd;
	/* Masquerade addresses, one per cfg->vhosts[] entry, as the master
	 * last resolved them (NULL: none known). */
	const struct pasv_masq *masq;
	/* Failed logins are reported here (to the master's throttle); -1
	 * in inetd mode. */
	int report_fd;
};

/* Serve the session on CLIENT_FD (a connected TCP socket) for VHOST: fork
 * the pre-auth engine (behind a TLS relay at once when A->implicit_tls),
 * run PAM on LOGIN, fork the user's engine, broker its sockets, log. The
 * peer is A->client when A->proxied (a trusted proxy's header named it),
 * else the socket's. Never returns. */
__attribute__((noreturn)) void monitor_run(const struct ftpsd_config *cfg,
					   const struct cfg_vhost *vhost, int client_fd,
					   const struct priv_assign *a,
					   const struct monitor_env *env);

/* A pre-forked spare: fork the pre-auth engine now, sandboxed and
 * waiting; then wait for the master's PRIV_ASSIGN on MASTER_FD (a client
 * connection and its vhost) and serve it as monitor_run does. Never
 * returns. */
__attribute__((noreturn)) void monitor_spare_run(const struct ftpsd_config *cfg,
						 const struct monitor_env *env, int master_fd);

/* Whether the dispatch has a handler for TYPE on LINK (the rules say
 * whether it may come at all). tests/unit/test_rules.c holds the two to
 * each other: a row no handler takes, or a handler no row admits, fails. */
bool monitor_handles(enum priv_link link, uint16_t type);

/* Create secure_chroot_dir if missing (root-owned, 0555). 0 or -1. */
int monitor_prepare_empty_dir(const char *path);

#endif
