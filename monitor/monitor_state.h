/* The monitor's own state and the calls its files share (monitor.c holds
 * the loop and the dispatch; each other file of monitor/ one concern).
 * Private to monitor/: nothing outside it includes this. */
#ifndef FTPSD_MONITOR_STATE_H
#define FTPSD_MONITOR_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/session.h"
#include "monitor/monitor.h"
#include "monitor/pam_login.h"
#include "monitor/vsftpd_log.h"
#include "monitor/who_state.h"
#include "config/users.h"
#include "privsep/proto.h"
#include "privsep/rules.h"

/* Seconds a send to the engine or relay may block before the session ends. */
#define PRIV_SEND_TIMEOUT 10

struct monitor;

/* In a new engine's process, before it serves FTP: turns it into its role
 * (the pre-auth sandbox, the user's identity); S is its session. */
typedef void (*mon_become_fn)(struct monitor *mon, struct session *s);

/* Everything a handler does outside the monitor's own memory that a test
 * cannot let happen: processes, PAM, binding and connecting sockets, the
 * monitor's lock-down. The daemon runs with monitor_sys_ops (sys_ops.c);
 * tests/fuzz/fuzz_monitor.c with fakes, so every handler can be fed any
 * message in any state. Decisions stay in the handlers, never in these. */
struct monitor_ops {
	/* A new process for a role, our end of its link in *LINK (-1: none
	 * made). The pid, 0 for "no process to signal", or -1. */
	pid_t (*spawn_engine)(struct monitor *mon, const char *name, mon_become_fn become,
			      const void *pending, size_t npending, int *link);
	pid_t (*spawn_relay)(struct monitor *mon, int *relay_link, int *plain_fd);
	/* The user's engine, waiting for PRIV_ENGINE_START (standby.c). */
	pid_t (*spawn_standby)(struct monitor *mon, int *link);
	int (*pam_open)(struct pam_login *l, const char *service, const char *user,
			const char *pass, const char *rhost, char *reason, size_t size);
	void (*pam_close)(struct pam_login *l);
	/* monitor/broker.h and monitor/active.h */
	int (*pasv_listen)(const struct cfg_settings *set, const struct net_addr *local,
			   struct net_addr *bound, unsigned *in_use);
	int (*pasv_listen_any)(const struct net_addr *local, struct net_addr *bound);
	int (*active_connect)(const struct cfg_settings *set, const struct net_addr *local,
			      const struct net_addr *target);
	int (*lock_down)(struct monitor *mon);
};

extern const struct monitor_ops monitor_sys_ops;

struct monitor {
	const struct monitor_ops *ops;
	/* What the monitor decides and what LOGIN and HOST carry: each
	 * engine's session starts from these (session_start). No engine
	 * state: that is each engine's own (engine/session.h). */
	struct session_given given;
	struct session_login login;
	const struct monitor_env *env;
	int client_fd; /* the TCP control connection */
	int ctrl_fd;   /* what engines speak FTP on: client_fd, or the
				 * plaintext side of the TLS relay */
	pid_t relay;
	int relay_fd; /* privsep link to the relay, or -1 */
	/* The relay forked before AUTH TLS, sandboxed and waiting for
	 * PRIV_RELAY_START (relay_ctl.c): its pid, link and plaintext side;
	 * the link is -1 when there is none. */
	pid_t idle_relay;
	int idle_relay_fd;
	int idle_relay_plain;
	/* The user's engine, forked before the login and waiting for
	 * PRIV_ENGINE_START (standby.c): its pid and link (-1: none). */
	pid_t standby;
	int standby_fd;
	struct priv_tls_session tls_sess; /* control session, for resumption */
	pid_t pid;                        /* ours: children die with it */
	unsigned state;                   /* PRIV_ST_* */
	uint64_t taken;                   /* ONCE messages granted (privsep/rules.h) */
	pid_t engine;
	int priv_fd; /* monitor's end of the current link */
	unsigned fails;
	struct pam_login pam;
	struct users_account acct;    /* who the login became (config/users.c) */
	struct cfg_settings user_set; /* the vhost's settings + user_config_dir */
	/* What the login goes by: the vhost's settings, or user_set when a
	 * user_config_dir file applied (login.c). */
	const struct cfg_settings *login_set;
	bool done;
	bool quiet_start;         /* next pre-auth engine sends no 220 (SNI switch) */
	int key_fd;               /* link to the key holder, -1 once not needed */
	unsigned handshake_signs; /* signatures for the control handshake */
	bool data_sign_ok;        /* a brokered data connection may sign once */
	long long login_deadline; /* CLOCK_MONOTONIC ms; 0 = none */
	int master_fd;            /* the master's link (ftpsd -w), or -1 */
	long long started_ms;     /* CLOCK_MONOTONIC, when the session began */
	struct who_xfer who;      /* the transfer in progress, as reported */
	/* SIGKILLed on a login's path and not waited for there: reaped by
	 * the loop (mon_reap_ended) or at the session's end. */
	pid_t ended[2];
};

/* monitor.c: the loop, the dispatch and the rules it keeps. */
void mon_violation(struct monitor *mon, const char *what);
/* A ONCE message (privsep/messages.def) took effect: another is refused. */
void mon_grant(struct monitor *mon, uint16_t type);
bool mon_granted(const struct monitor *mon, uint16_t type);
long long mon_now_ms(void); /* CLOCK_MONOTONIC */
void mon_on_relay_log(struct monitor *mon, struct priv_msg *m);
/* Serve the session's links until it ends. */
void mon_serve(struct monitor *mon);

/* The dispatch of one message from the engine's or the relay's link (the
 * master's has its own reader): the loop's way in, and the fuzz harness's. */
void mon_dispatch(struct monitor *mon, enum priv_link link, struct priv_msg *m);

/* engines.c: the pre-auth and the user's engine processes. */
/* In a new engine's process: its session, from G and L, on its privsep
 * LINK and the control connection CTRL_FD with PENDING bytes read from it
 * already; then BECOME makes it its role, and it serves FTP. */
struct session *mon_engine_session(const struct session_given *g, const struct session_login *l,
				   int link, int ctrl_fd, const void *pending, size_t npending);
__attribute__((noreturn)) void mon_engine_run(struct monitor *mon, mon_become_fn become,
					      struct session *s);
pid_t mon_sys_spawn_engine(struct monitor *mon, const char *name, mon_become_fn become,
			   const void *pending, size_t npending, int *link);
void mon_bound_sends(int link);
int mon_fork_engine(struct monitor *mon, const char *name, mon_become_fn become,
		    const void *pending, size_t npending);
void mon_stop_engine(struct monitor *mon);
/* At login: the pre-auth engine is killed and reaped later, on TLS
 * sessions (DESIGN.md §1); plain FTP still waits (mon_stop_engine). */
void mon_end_engine_at_login(struct monitor *mon);
/* Kill PID and leave its reaping to mon_reap_ended. */
void mon_end_unwaited(struct monitor *mon, pid_t pid);
/* Reap what mon_end_unwaited killed (BLOCK: wait for it, at the session's
 * end); true while some is left. */
bool mon_reap_ended(struct monitor *mon, bool block);
/* Reap PID, a child that should be exiting by itself; after GRACE_MS it
 * is SIGKILLed (a hostile one may just stay). waitpid's result. */
pid_t mon_wait_or_kill(pid_t pid, int grace_ms, int *status);
void mon_log_engine_end(struct monitor *mon);
void mon_become_preauth(struct monitor *mon, struct session *s);
/* The user's engine (standby.c) becomes account A. */
void mon_become_user(struct monitor *mon, struct session *s, const struct users_account *a);

/* standby.c: the user's engine, forked before the login. */
pid_t mon_sys_spawn_standby(struct monitor *mon, int *link);
/* Fork it if there is none (0: done). */
int mon_prefork_standby(struct monitor *mon);
/* End a waiting one that will not be used, and wait for it. */
void mon_end_standby(struct monitor *mon);
/* At the login: it becomes the session's engine (mon->engine, priv_fd),
 * given the control connection and PENDING bytes read from it. 0 or -1. */
int mon_start_user_engine(struct monitor *mon, const void *pending, size_t npending);

/* login.c: LOGIN, PAM, the account, the login deadline. */
void mon_on_login(struct monitor *mon, struct priv_msg *m);
/* After login: fewer capabilities, and the monitor's seccomp filter. */
int mon_sys_lock_down(struct monitor *mon);
int mon_login_time_left(const struct monitor *mon);
void mon_login_expired(struct monitor *mon);

/* relay_ctl.c: the control connection's TLS relay. */
pid_t mon_sys_spawn_relay(struct monitor *mon, int *relay_link, int *plain_fd);
/* Fork the waiting relay, when some vhost has TLS (0: done, or no TLS). */
int mon_prefork_relay(struct monitor *mon);
/* End a waiting relay that will not be used: WAIT for it (the session's
 * end), or leave its reaping to mon_reap_ended (a login's path). */
void mon_end_idle_relay(struct monitor *mon, bool wait);
int mon_start_relay(struct monitor *mon);
void mon_stop_relay(struct monitor *mon);
void mon_on_auth_tls(struct monitor *mon, struct priv_msg *m);
void mon_on_tls_session(struct monitor *mon, struct priv_msg *m);
void mon_on_tls_ready(struct monitor *mon, struct priv_msg *m);

/* relay_handoff.c: the relay's TLS records to the user's engine at login. */
void mon_take_over_relay(struct monitor *mon, struct priv_login *l);

/* signing.c: private-key operations relayed to the key holder. */
void mon_on_relay_sign(struct monitor *mon, struct priv_msg *m);
void mon_on_engine_sign(struct monitor *mon, struct priv_msg *m);

/* vhost_switch.c: HOST and SNI select another vhost before login. */
void mon_switch_vhost(struct monitor *mon, int vi, const char *how);
void mon_on_host(struct monitor *mon, struct priv_msg *m);

/* data_broker.c: passive listeners, active connections, chown_uploads. */
void mon_on_pasv(struct monitor *mon, struct priv_msg *m);
void mon_on_port_connect(struct monitor *mon, struct priv_msg *m);
void mon_on_chown_upload(struct monitor *mon, struct priv_msg *m);

/* xferlog.c: transfer records and progress. */
/* A vsftpd_log_file line (xferlog_std_format=NO, dual_log_enable); X may be NULL. */
void mon_vsftpd_log(struct monitor *mon, enum vsftpd_log_event ev, bool ok, const char *user,
		    const struct priv_xfer *x);
void mon_on_xfer(struct monitor *mon, struct priv_msg *m);
void mon_on_xfer_progress(struct monitor *mon, struct priv_msg *m);

#endif
