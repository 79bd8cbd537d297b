/* The data-socket broker. Untrusted: from the user's engine. Passive
 * listeners in the vhost's range with the address to advertise, active
 * connections to the client, chown_uploads of a new upload. */
#include "monitor/monitor_state.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include "engine/listing.h"
#include "common/log.h"
#include "engine/port.h"
#include "monitor/active.h"
#include "monitor/broker.h"
#include "config/pasv.h"

/* A passive listener in the vhost's range; with pasv_port_fallback, a
 * kernel-chosen port once the range is exhausted. Sets *STATUS. */
static int open_pasv_listener(struct monitor *mon, struct net_addr *bound, uint32_t *status)
{
	const struct cfg_settings *set = mon->given.set;
	unsigned in_use;
	int fd = mon->ops->pasv_listen(set, &mon->given.local, bound, &in_use);

	*status = PASV_OK;
	if (fd >= 0)
		return fd;
	if (errno != EADDRINUSE) {
		log_msg(LOG_LVL_ERR, "passive listener: %s", strerror(errno));
		*status = PASV_ERROR;
		return -1;
	}
	log_msg(LOG_LVL_WARN, "passive port range %u-%u exhausted (%u in use), client %s%s",
		set->pasv_min_port, set->pasv_max_port, in_use, mon->given.peer_ip,
		set->pasv_port_fallback ? "; pasv_port_fallback: kernel port" : "");
	if (!set->pasv_port_fallback) {
		*status = PASV_EXHAUSTED;
		return -1;
	}
	fd = mon->ops->pasv_listen_any(&mon->given.local, bound);
	if (fd < 0) {
		log_msg(LOG_LVL_ERR, "passive listener: %s", strerror(errno));
		*status = PASV_ERROR;
	}
	return fd;
}

/* The address and port to tell the client (DESIGN §3), logged at debug
 * level with the reason. 0, or -1 when the offset leaves the port range. */
static int choose_advertised(struct monitor *mon, uint32_t kind, const struct net_addr *bound,
			     struct net_addr *out)
{
	const struct cfg_settings *set = mon->given.set;
	size_t vi = (size_t)(mon->given.vhost - mon->given.cfg->vhosts);
	const struct pasv_masq *mq = mon->env->masq ? &mon->env->masq[vi] : NULL;
	struct pasv_policy *pol = malloc(sizeof(*pol));
	char err[256], adv[NETADDR_STRLEN];
	enum pasv_why why = PASV_WHY_NO_MASQ;
	int rule = -1, port = pasv_advertised_port(net_addr_port(bound), set->pasv_port_offset);

	if (!pol ||
	    pasv_policy_build(pol, set, mq && mq->ok ? &mq->addr : NULL, err, sizeof(err)) < 0) {
		/* The config check refuses such values: only memory fails. */
		*out = mon->given.local;
	} else {
		why = pasv_choose_address(pol, &mon->given.peer, &mon->given.local, out, &rule);
	}
	free(pol);
	if (port < 0) {
		log_msg(LOG_LVL_ERR,
			"passive port %u + pasv_port_offset %u is not "
			"a port",
			net_addr_port(bound), set->pasv_port_offset);
		return -1;
	}
	net_addr_set_port(out, (unsigned)port);
	net_addr_string(out, adv, sizeof(adv));
	if (kind == PASV_KIND_EPSV)
		log_msg(LOG_LVL_DEBUG, "EPSV: client %s told port %d (bound %u)",
			mon->given.peer_ip, port, net_addr_port(bound));
	else if (rule >= 0)
		log_msg(LOG_LVL_DEBUG,
			"PASV: client %s told %s (%s %d, bound "
			"port %u)",
			mon->given.peer_ip, adv, pasv_why_string(why), rule + 1,
			net_addr_port(bound));
	else
		log_msg(LOG_LVL_DEBUG, "PASV: client %s told %s (%s, bound port %u)",
			mon->given.peer_ip, adv, pasv_why_string(why), net_addr_port(bound));
	return 0;
}

void mon_on_pasv(struct monitor *mon, struct priv_msg *m)
{
	const struct cfg_settings *set = mon->given.set;
	struct priv_pasv_result r = { .status = PASV_OK, .fd = -1 };
	struct net_addr bound;
	struct in_addr v4;
	struct priv_msg reply;
	uint32_t kind;

	if (priv_decode_pasv(m, &kind) < 0)
		return mon_violation(mon, "malformed PASV");
	/* RFC 2428: PASV cannot carry an IPv6 address; EPSV can. */
	if (!set->pasv_enable ||
	    (kind == PASV_KIND_PASV && !net_addr_ipv4(&mon->given.local, &v4))) {
		r.status = PASV_REFUSED;
	} else if ((r.fd = open_pasv_listener(mon, &bound, &r.status)) >= 0 &&
		   choose_advertised(mon, kind, &bound, &r.advertise) < 0) {
		close(r.fd);
		r.fd = -1;
		r.status = PASV_ERROR;
	}
	priv_encode_pasv_result(&reply, &r);
	if (priv_send(mon->priv_fd, &reply) < 0)
		mon->done = true;
	mon->data_sign_ok = r.fd >= 0;
	if (r.fd >= 0)
		close(r.fd);
}

/* Active mode. Untrusted: the engine checked all this before replying
 * 200 to PORT/EPRT, so a request that fails here is a hostile engine. */
void mon_on_port_connect(struct monitor *mon, struct priv_msg *m)
{
	struct net_addr target;
	struct priv_msg reply;
	uint32_t status = PORT_CONN_OK;
	char where[NETADDR_STRLEN];
	int fd;

	if (priv_decode_port_connect(m, &target) < 0)
		return mon_violation(mon, "malformed PORT_CONNECT");
	if (!mon->given.set->port_enable)
		return mon_violation(mon, "PORT_CONNECT with port_enable=NO");
	if (port_check_target(&target, &mon->given.peer, mon->given.set->port_promiscuous) !=
	    PORT_CHECK_OK)
		return mon_violation(mon, "PORT_CONNECT to another host or a port below 1024");
	fd = mon->ops->active_connect(mon->given.set, &mon->given.local, &target);
	if (fd < 0) {
		net_addr_string(&target, where, sizeof(where));
		log_msg(LOG_LVL_WARN, "active data connection to %s failed: %s", where,
			strerror(errno));
		status = PORT_CONN_FAILED;
	}
	mon->data_sign_ok = fd >= 0;
	priv_encode_port_result(&reply, status, fd);
	if (priv_send(mon->priv_fd, &reply) < 0)
		mon->done = true;
	if (fd >= 0)
		close(fd);
}

/* chown_uploads. Untrusted: the fd is whatever the engine chose to send,
 * so only a regular file that the session's own account owns, that it
 * opened for writing and that has one name is given away, with
 * chown_upload_mode (never set-id bits). */
void mon_on_chown_upload(struct monitor *mon, struct priv_msg *m)
{
	const struct cfg_settings *set = mon->given.set;
	struct priv_msg reply;
	struct passwd *pw;
	struct stat st;
	uint32_t status = 1;
	int fl;

	if (priv_decode_chown_upload(m) < 0)
		return mon_violation(mon, "malformed CHOWN_UPLOAD");
	if (mon->acct.kind != USERS_ANON || !set->chown_uploads)
		return mon_violation(mon,
				     "CHOWN_UPLOAD outside an anonymous chown_uploads session");
	fl = fcntl(m->fd, F_GETFL);
	if (fl < 0 || fstat(m->fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != mon->acct.uid ||
	    st.st_nlink != 1 || (fl & O_ACCMODE) == O_RDONLY)
		return mon_violation(mon,
				     "CHOWN_UPLOAD of a file that is not the session's upload");
	pw = getpwnam(set->chown_username);
	/* vsftpd's chown_upload_mode (0600): the new owner's mode. */
	if (pw && fchmod(m->fd, (mode_t)(set->chown_upload_mode & 0777)) == 0 &&
	    fchown(m->fd, pw->pw_uid, (gid_t)-1) == 0)
		status = 0;
	else
		log_msg(LOG_LVL_ERR, "chown_uploads: to %s: %s", set->chown_username,
			pw ? strerror(errno) : "no such user");
	priv_encode_chown_result(&reply, status);
	if (priv_send(mon->priv_fd, &reply) < 0)
		mon->done = true;
}
