/* What every process of one FTP session knows about it, split by who may
 * change it:
 *  - given: what the monitor decides (the configuration, the vhost and its
 *    TLS contexts, the connection's addresses, whether the control
 *    connection is TLS). An engine only reads it; the monitor writes it.
 *  - login: what LOGIN and HOST carry across the engine change (who logged
 *    in and where, the relay's TLS records, the transfer parameters the
 *    last engine had). The monitor fills it for the next engine.
 *  - eng: the FTP state only the running engine changes (the directory,
 *    RNFR, REST, the passive listener, TYPE, PROT...). A new engine starts
 *    it afresh (session_start); the monitor never holds one.
 * The monitor keeps a given and a login of its own (monitor_state.h), no
 * struct session: it has no engine state to write. */
#ifndef FTPSD_SESSION_H
#define FTPSD_SESSION_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "engine/ctrl.h"
#include "common/netaddr.h"
#include "tls/tls.h"

#define SESSION_PATH_MAX 4096
#define SESSION_MESSAGES_MAX 256

/* The monitor decides. */
struct session_given {
	const struct ftpsd_config *cfg;
	const struct cfg_vhost *vhost;
	const struct cfg_settings *set; /* == &vhost->set, or the user's */
	const struct tls_vhost *tls;    /* this vhost's TLS contexts */
	struct net_addr peer;           /* control client */
	struct net_addr local;          /* where it connected to */
	struct net_addr proxy;          /* the trusted proxy that carried the
					 * control connection (a PROXY
					 * header named peer); len 0: none */
	char peer_ip[NETADDR_STRLEN];
	/* The control connection is TLS (via the relay, or its records after
	 * the handoff): the monitor's word, which a pre-auth engine also
	 * learns from its AUTH TLS answer. */
	bool tls_control;
};

/* The transfer parameters an engine hands on at LOGIN and HOST (their
 * carry and mlst_facts), as the monitor allows them. */
struct session_carry {
	bool pbsz_done;
	bool prot_private;
	unsigned mlst_facts;
};

/* What LOGIN and HOST carry across the engine change. */
struct session_login {
	bool logged_in;
	bool host_done; /* a HOST switched the vhost: no second */
	char user[256]; /* who logged in (the account's login name) */
	bool chrooted;
	char home[SESSION_PATH_MAX]; /* the login directory: "~" */
	bool anonymous;              /* anonymous login (force_anon_* apply) */
	bool anon_privs;             /* anon_* keys decide writes (engine/perm.c) */
	/* At login, the relay's TLS 1.3 record state for the user's engine
	 * (suite 0: the relay stays). Wiped once the engine has taken it. */
	struct priv_tls_keys ctrl_tls;
	struct session_carry carry; /* what the new engine starts with */
};

/* Only the engine changes. */
struct engine_state {
	bool quit;
	bool user_given;            /* USER seen, PASS may follow */
	char user[256];             /* USER's name, for PASS (before login) */
	char cwd[SESSION_PATH_MAX]; /* virtual, absolute, normalised */
	bool ascii;                 /* TYPE A */
	bool epsv_all;              /* EPSV ALL locks out PASV */
	int pasv_fd;                /* listener from the monitor, or -1 */
	unsigned mlst_facts;
	bool pbsz_done;              /* PBSZ 0 seen (RFC 4217 before PROT) */
	bool prot_private;           /* PROT P: data connections are TLS */
	bool active;                 /* PORT/EPRT given: connect to active_addr */
	struct net_addr active_addr; /* checked against peer (engine/port.c) */
	uint64_t rest_offset;        /* REST: where the next transfer starts */
	/* dirmessage_enable: directories whose message was shown (a hash of
	 * the path each), so each shows once a session, as in vsftpd. */
	uint64_t message_seen[SESSION_MESSAGES_MAX];
	unsigned nmessage_seen;
	bool rnfr_set;               /* RNFR seen; RNTO must come next */
	char rnfr[SESSION_PATH_MAX]; /* its resolved path */
};

/* An engine's session. */
struct session {
	struct session_given given;
	struct session_login login;
	struct engine_state eng;
	int priv_fd; /* privsep socket to the monitor */
	struct ctrl ctrl;
};

/* The monitor's side: each part is written through these. */

/* Before the connection: the configuration, nothing else. */
void session_given_init(struct session_given *g, const struct ftpsd_config *cfg);
/* The connection: from PEER (the client; a trusted PROXY header's when
 * PROXY is given, whose len 0 means none) to LOCAL, for VHOST. */
void session_given_connect(struct session_given *g, const struct cfg_vhost *vhost,
			   const struct tls_vhost *tls, const struct net_addr *peer,
			   const struct net_addr *local, const struct net_addr *proxy);
/* HOST or SNI chose another vhost (before login). */
void session_given_vhost(struct session_given *g, const struct cfg_vhost *vhost,
			 const struct tls_vhost *tls);
/* Nothing carried yet: the defaults a first engine starts with. L is
 * zero, as a new monitor's is (not cleared here: see session_start). */
void session_login_init(struct session_login *l);
/* LOGIN's or HOST's CARRY (CARRY_* bits) and MLST_FACTS, as far as the
 * session allows them: PBSZ only under TLS, PROT P only after PBSZ, only
 * facts the server knows. */
void session_login_carry(struct session_login *l, const struct session_given *g, uint32_t carry,
			 unsigned mlst_facts);
/* PAM said yes: the user's engine runs as USER in HOME. */
void session_login_account(struct session_login *l, const char *user, const char *home,
			   bool chrooted, bool anonymous, bool anon_privs);

/* The engine's side. */

/* In a new engine's process: the monitor's parts copied, the FTP state
 * fresh (in HOME after a login, with the carried transfer parameters), on
 * the privsep link PRIV_FD and the control connection CTRL_FD with
 * PENDING bytes read from it already. S is zero, as a new process finds
 * its static one: only what is not zero is written, so the pages of it
 * that the session never uses (RNFR's path, the message hashes) are
 * never the process's own (an idle session's memory, bench/README.md). */
void session_start(struct session *s, const struct session_given *g, const struct session_login *l,
		   int priv_fd, int ctrl_fd, const void *pending, size_t npending);
/* The user's engine takes the relay's TLS records (login.ctrl_tls) for
 * its control connection, if it was handed any; the keys are wiped
 * either way. 0 or -1. */
int session_take_ctrl_tls(struct session *s);
/* What LOGIN and HOST carry from this engine (CARRY_* bits). */
uint32_t session_carry_bits(const struct session *s);

#endif
