/* What every process of one FTP session knows about it: the connection,
 * its vhost's settings, and the engine's FTP state. */
#ifndef FTPSD_SESSION_H
#define FTPSD_SESSION_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "engine/ctrl.h"
#include "common/netaddr.h"
#include "tls/tls.h"

#define SESSION_PATH_MAX 4096
#define SESSION_MESSAGES_MAX 256

struct session {
	const struct ftpsd_config *cfg;
	const struct cfg_vhost *vhost;
	const struct cfg_settings *set; /* == &vhost->set */
	const struct tls_vhost *tls;    /* this vhost's TLS contexts */
	struct net_addr peer;           /* control client */
	struct net_addr local;          /* where it connected to */
	struct net_addr proxy;          /* the trusted proxy that carried the
					 * control connection (a PROXY
					 * header named peer); len 0: none */
	char peer_ip[NETADDR_STRLEN];
	int priv_fd; /* privsep socket to the monitor */
	struct ctrl ctrl;

	/* FTP state of the engine */
	bool logged_in;
	bool quit;
	bool user_given; /* USER seen, PASS may follow */
	bool host_done;  /* a HOST switched the vhost: no second */
	char user[256];
	bool chrooted;
	char cwd[SESSION_PATH_MAX];  /* virtual, absolute, normalised */
	char home[SESSION_PATH_MAX]; /* the login directory: "~" */
	bool ascii;                  /* TYPE A */
	bool epsv_all;               /* EPSV ALL locks out PASV */
	int pasv_fd;                 /* listener from the monitor, or -1 */
	unsigned mlst_facts;
	bool tls_control; /* control connection is TLS (via relay) */
	/* At login, the relay's TLS 1.3 record state for the user's engine
	 * (suite 0: the relay stays). Wiped once the engine has taken it. */
	struct priv_tls_keys ctrl_tls;
	bool pbsz_done;              /* PBSZ 0 seen (RFC 4217 before PROT) */
	bool prot_private;           /* PROT P: data connections are TLS */
	bool active;                 /* PORT/EPRT given: connect to active_addr */
	struct net_addr active_addr; /* checked against peer (engine/port.c) */
	bool anonymous;              /* anonymous login (force_anon_* apply) */
	bool anon_privs;             /* anon_* keys decide writes (engine/perm.c) */
	uint64_t rest_offset;        /* REST: where the next transfer starts */
	/* dirmessage_enable: directories whose message was shown (a hash of
	 * the path each), so each shows once a session, as in vsftpd. */
	uint64_t message_seen[SESSION_MESSAGES_MAX];
	unsigned nmessage_seen;
	bool rnfr_set;               /* RNFR seen; RNTO must come next */
	char rnfr[SESSION_PATH_MAX]; /* its resolved path */
};

#endif
