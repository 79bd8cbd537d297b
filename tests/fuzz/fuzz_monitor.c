/* The monitor's handlers after decoding: a session in any state (before or
 * after login, with or without the TLS relay's link, either of two
 * configurations) fed a sequence of datagrams on the engine's and the
 * relay's links, through mon_dispatch as the loop calls it. Side effects
 * are fakes (monitor_state.h's struct monitor_ops): no fork, no PAM, no
 * bind or connect; replies go to real socketpairs and are drained, so the
 * one-request-in-flight rule holds as in the daemon.
 *
 * Input: one setup byte, then records of
 *   u8 flags (bit 0: the relay's link; bit 1: an fd rides along;
 *             bits 2-3: what the fake broker does next), u16 length, datagram
 * What must hold: a message the rules refuse ends the session; the only
 * answer is the reply the table names, on the link the request came by; a
 * session never goes back from after login to before; every fd a run
 * opened is closed at its end. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "common/log.h"
#include "config/config.h"
#include "monitor/monitor_state.h"
#include "privsep/rules.h"

#define NCONF 2
#define FD_SCAN 256

enum setup_bits {
	SETUP_POSTAUTH = 1u << 0, /* logged in already */
	SETUP_ANON = 1u << 1,     /* ... anonymously (else a local user) */
	SETUP_RELAY = 1u << 2,    /* AUTH TLS done: a relay link exists */
	SETUP_CONF_B = 1u << 3,   /* the restrictive configuration */
	SETUP_IPV6 = 1u << 4,     /* the session is on ::1 */
	SETUP_VHOST_1 = 1u << 5,  /* the session arrived for the second vhost */
};

enum broker_mode { BROKER_OK, BROKER_IN_USE, BROKER_ERROR, BROKER_NO_PROCESS };

static const char *const confs[NCONF] = {
	"listen_address=127.0.0.1\n"
	"delay_failed_login=0\nmax_login_fails=3\nlocal_enable=YES\n"
	"anonymous_enable=YES\nchown_uploads=YES\nchown_username=root\n"
	"pasv_port_fallback=YES\nport_enable=YES\nssl_enable=YES\n"
	"rsa_cert_file=/nonexistent/cert.pem\nrequire_ssl_reuse=NO\n"
	"[vhost a]\nlisten_address=127.0.0.1\nserver_name=a.example\n"
	"[vhost b]\nlisten_address=127.0.0.1\nserver_name=b.example\n",

	"listen_address=127.0.0.1\n"
	"delay_failed_login=0\nmax_login_fails=1\nlocal_enable=NO\n"
	"anonymous_enable=YES\npasv_enable=NO\nport_enable=NO\n"
	"[vhost a]\nlisten_address=127.0.0.1\nserver_name=a.example\n",
};

static struct ftpsd_config cfg[NCONF];
static struct tls_vhost tls[NCONF][CFG_MAX_VHOSTS];
static struct monitor_env env[NCONF];
static struct monitor mon;
static struct priv_msg msg, drained;
static int devnull = -1, engine_peer = -1, relay_peer = -1;
static bool open_before[FD_SCAN];
static enum broker_mode broker = BROKER_OK;

static void replace(int *fd, int with)
{
	if (*fd >= 0)
		close(*fd);
	*fd = with;
}

static pid_t fake_spawn_engine(struct monitor *m, const char *name, mon_become_fn become,
			       const void *pending, size_t npending, int *link)
{
	int sv[2];

	(void)m, (void)name, (void)become, (void)pending, (void)npending;
	if (broker == BROKER_NO_PROCESS ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	replace(&engine_peer, sv[1]);
	*link = sv[0];
	return 0; /* no process to signal: stop_engine leaves it be */
}

/* The user's engine forked before the login: the fuzzer's engine side
 * from its start on (drain reads its PRIV_ENGINE_START). */
static pid_t fake_spawn_standby(struct monitor *m, int *link)
{
	return fake_spawn_engine(m, "standby", NULL, NULL, 0, link);
}

static pid_t fake_spawn_relay(struct monitor *m, int *relay_link, int *plain_fd)
{
	int link[2], plain[2];

	(void)m;
	if (broker == BROKER_NO_PROCESS ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, link) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, plain) < 0) {
		close(link[0]);
		close(link[1]);
		return -1;
	}
	close(plain[1]);
	replace(&relay_peer, link[1]);
	*relay_link = link[0];
	*plain_fd = plain[0];
	return 0;
}

/* "secret" is the password; "mapped" is one PAM maps to another name. */
static int fake_pam_open(struct pam_login *l, const char *service, const char *user,
			 const char *pass, const char *rhost, char *reason, size_t size)
{
	(void)service, (void)rhost;
	if (strcmp(pass, "secret") == 0) {
		snprintf(l->user, sizeof(l->user), "%s", user);
		return 0;
	}
	if (strcmp(pass, "mapped") == 0) {
		snprintf(l->user, sizeof(l->user), "root");
		return 0;
	}
	snprintf(reason, size, "fake PAM: wrong password");
	return -1;
}

static void fake_pam_close(struct pam_login *l)
{
	memset(l, 0, sizeof(*l));
}

static int fake_fd(int err)
{
	if (broker == BROKER_OK)
		return fcntl(devnull, F_DUPFD_CLOEXEC, 3);
	errno = broker == BROKER_IN_USE ? err : EIO;
	return -1;
}

static int fake_pasv_listen(const struct cfg_settings *set, const struct net_addr *local,
			    struct net_addr *bound, unsigned *in_use)
{
	*bound = *local;
	net_addr_set_port(bound, set->pasv_min_port ? set->pasv_min_port : 40000);
	*in_use = 1;
	return fake_fd(EADDRINUSE);
}

static int fake_pasv_listen_any(const struct net_addr *local, struct net_addr *bound)
{
	*bound = *local;
	net_addr_set_port(bound, 61000);
	return fake_fd(EADDRINUSE);
}

static int fake_active_connect(const struct cfg_settings *set, const struct net_addr *local,
			       const struct net_addr *target)
{
	(void)set, (void)local, (void)target;
	return fake_fd(ECONNREFUSED);
}

static int fake_lock_down(struct monitor *m)
{
	(void)m;
	return broker == BROKER_ERROR ? -1 : 0;
}

static const struct monitor_ops fake_ops = {
	.spawn_engine = fake_spawn_engine,
	.spawn_relay = fake_spawn_relay,
	.spawn_standby = fake_spawn_standby,
	.pam_open = fake_pam_open,
	.pam_close = fake_pam_close,
	.pasv_listen = fake_pasv_listen,
	.pasv_listen_any = fake_pasv_listen_any,
	.active_connect = fake_active_connect,
	.lock_down = fake_lock_down,
};

static void init(void)
{
	/* FUZZ_MONITOR_LOG=1: the monitor's log on stderr, to see a run. */
	const struct log_sinks sinks = { .file_fd = -1,
					 .use_stderr = getenv("FUZZ_MONITOR_LOG") != NULL };
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	log_init(&sinks);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || !ctx)
		__builtin_trap();
	for (int c = 0; c < NCONF; c++) {
		if (config_load_string(&cfg[c], "fuzz", confs[c], NULL) != 0)
			__builtin_trap();
		for (size_t v = 0; v < cfg[c].nvhosts && cfg[c].vhosts[v].set.ssl_enable; v++)
			tls[c][v].full = ctx; /* never used for a handshake here */
		env[c] = (struct monitor_env){ .xferlog_fd = devnull,
					       .vsftpd_log_fd = -1,
					       .tls = tls[c],
					       .key_fd = -1,
					       .report_fd = -1 };
	}
}

/* Which fds are open: a run must leave them as it found them (taken per
 * run, since libFuzzer opens files of its own between runs). */
static void open_fds(bool *open)
{
	for (int fd = 0; fd < FD_SCAN; fd++)
		open[fd] = fcntl(fd, F_GETFD) >= 0;
}

/* The relay's side of mon_start_relay: its PRIV_RELAY_START read, as a
 * real relay reads it before anything else, so the link starts empty. */
static void take_relay_start(void)
{
	struct priv_msg m;

	if (priv_recv(relay_peer, &m) != 1 || m.type != PRIV_RELAY_START || m.fd < 0)
		__builtin_trap();
	close(m.fd);
}

/* The session as monitor_prepare and init_session leave it. */
static void start_session(uint8_t setup)
{
	int c = setup & SETUP_CONF_B ? 1 : 0, sv[2];
	size_t vi = (setup & SETUP_VHOST_1) && cfg[c].nvhosts > 1 ? 1 : 0;
	const char *ip = setup & SETUP_IPV6 ? "::1" : "127.0.0.1";
	struct net_addr peer, local;

	open_fds(open_before);
	memset(&mon, 0, sizeof(mon));
	mon.ops = &fake_ops;
	mon.env = &env[c];
	mon.key_fd = -1;
	mon.engine = mon.relay = -1;
	mon.priv_fd = mon.relay_fd = mon.master_fd = -1;
	mon.idle_relay = mon.idle_relay_fd = mon.idle_relay_plain = -1;
	mon.standby = mon.standby_fd = -1;
	mon.state = PRIV_ST_PREAUTH;
	if (net_addr_parse(&peer, ip, 40001) < 0 || net_addr_parse(&local, ip, 21) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		__builtin_trap();
	session_given_init(&mon.given, &cfg[c]);
	session_given_connect(&mon.given, &cfg[c].vhosts[vi], &env[c].tls[vi], &peer, &local, NULL);
	session_login_init(&mon.login);
	close(sv[1]);
	mon.client_fd = mon.ctrl_fd = sv[0];
	broker = BROKER_OK;
	if (mon_fork_engine(&mon, "fuzz", NULL, NULL, 0) < 0)
		__builtin_trap();
	/* Conf B has no TLS: no session of it has a relay. */
	if ((setup & SETUP_RELAY) && (!mon.given.set->ssl_enable || mon_start_relay(&mon) < 0))
		mon.done = true;
	else if (setup & SETUP_RELAY)
		take_relay_start();
	if (setup & SETUP_POSTAUTH) {
		mon.state = PRIV_ST_POSTAUTH;
		mon.user_set = *mon.given.set;
		mon.given.set = &mon.user_set;
		mon.acct.kind = setup & SETUP_ANON ? USERS_ANON : USERS_LOCAL;
		mon.acct.uid = getuid();
		snprintf(mon.pam.user, sizeof(mon.pam.user), "%s",
			 setup & SETUP_ANON ? "ftp" : "alice");
	}
}

static void take_handoff(int peer)
{
	static uint8_t handoff[128 * 1024];
	uint32_t size;

	if (priv_decode_engine_start(&drained, &size) < 0 ||
	    recv(peer, handoff, sizeof(handoff), MSG_TRUNC | MSG_DONTWAIT) != (ssize_t)size)
		__builtin_trap();
}

/* Read whatever the monitor answered, as the engine or relay would: only
 * ever the reply the table names for the request (WANT), on its link. */
static void drain(int peer, uint16_t want)
{
	struct pollfd p = { .fd = peer, .events = POLLIN };

	while (peer >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN) &&
	       priv_recv(peer, &drained) == 1) {
		if (drained.fd >= 0)
			close(drained.fd);
		/* AUTH TLS starts the relay: its one unasked message. */
		if (peer == relay_peer && drained.type == PRIV_RELAY_START)
			continue;
		/* A login starts the user's engine: the start, then the
		 * handoff as one datagram of the size the start gave. */
		if (peer == engine_peer && drained.type == PRIV_ENGINE_START) {
			take_handoff(peer);
			continue;
		}
		if (want == PRIV_NONE || drained.type != want)
			__builtin_trap();
	}
}

static void end_session(void)
{
	if (mon.ctrl_fd >= 0 && mon.ctrl_fd != mon.client_fd)
		close(mon.ctrl_fd);
	replace(&mon.client_fd, -1);
	replace(&mon.priv_fd, -1);
	replace(&mon.relay_fd, -1);
	replace(&mon.standby_fd, -1);
	replace(&engine_peer, -1);
	replace(&relay_peer, -1);
	/* A handler that kept an fd it was given or opened: the next fd is
	 * not the one the process started with. */
	bool open_after[FD_SCAN];

	open_fds(open_after);
	if (memcmp(open_before, open_after, sizeof(open_after)) != 0)
		__builtin_trap();
}

static void one_message(uint8_t flags, const uint8_t *wire, size_t n)
{
	enum priv_link link = flags & 1 ? PRIV_LINK_RELAY : PRIV_LINK_ENGINE;
	unsigned before = mon.state;
	const struct priv_rule *r;
	enum priv_verdict v;

	broker = (enum broker_mode)((flags >> 2) & 3);
	if (link == PRIV_LINK_RELAY && mon.relay_fd < 0)
		return; /* no such link in this session */
	if (priv_msg_decode(&msg, wire, n) < 0) {
		mon.done = true; /* priv_recv's EPROTO: a violation */
		return;
	}
	msg.fd = flags & 2 ? fcntl(devnull, F_DUPFD_CLOEXEC, 3) : -1;
	v = priv_admit(link, mon.state, mon.taken, msg.type, msg.fd >= 0);
	mon_dispatch(&mon, link, &msg);
	if (msg.fd >= 0)
		close(msg.fd);
	if (v != PRIV_ADMIT && !mon.done)
		__builtin_trap(); /* the rules refused it, the session goes on */
	if (before == PRIV_ST_POSTAUTH && mon.state != PRIV_ST_POSTAUTH)
		__builtin_trap();
	r = priv_rule(msg.type);
	drain(engine_peer, link == PRIV_LINK_ENGINE && r ? r->reply : PRIV_NONE);
	drain(relay_peer, link == PRIV_LINK_RELAY && r ? r->reply : PRIV_NONE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 1;

	if (devnull < 0)
		init();
	if (size < 1)
		return 0;
	start_session(data[0]);
	while (!mon.done && pos + 3 <= size) {
		uint8_t flags = data[pos];
		size_t n = (size_t)data[pos + 1] | (size_t)data[pos + 2] << 8;

		pos += 3;
		if (n > size - pos)
			n = size - pos;
		one_message(flags, data + pos, n);
		pos += n;
	}
	end_session();
	return 0;
}
