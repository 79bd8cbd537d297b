/* The parts of a session (session.h): the monitor fills what it decides
 * and what LOGIN and HOST carry; each new engine starts its own FTP state
 * from them. */
#include "engine/session.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine/listing.h"

void session_given_init(struct session_given *g, const struct ftpsd_config *cfg)
{
	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
}

void session_given_vhost(struct session_given *g, const struct cfg_vhost *vhost,
			 const struct tls_vhost *tls)
{
	g->vhost = vhost;
	g->set = &vhost->set;
	g->tls = tls;
}

void session_given_connect(struct session_given *g, const struct cfg_vhost *vhost,
			   const struct tls_vhost *tls, const struct net_addr *peer,
			   const struct net_addr *local, const struct net_addr *proxy)
{
	session_given_vhost(g, vhost, tls);
	g->peer = *peer;
	g->local = *local;
	if (proxy)
		g->proxy = *proxy;
	else
		memset(&g->proxy, 0, sizeof(g->proxy));
	net_addr_ip_string(&g->peer, g->peer_ip, sizeof(g->peer_ip));
}

void session_login_init(struct session_login *l)
{
	l->carry.mlst_facts = FACT_DEFAULT;
}

void session_login_carry(struct session_login *l, const struct session_given *g, uint32_t carry,
			 unsigned mlst_facts)
{
	l->carry.pbsz_done = (carry & CARRY_PBSZ) && g->tls_control;
	l->carry.prot_private = (carry & CARRY_PROT_P) && l->carry.pbsz_done;
	l->carry.mlst_facts = mlst_facts & FACT_DEFAULT;
}

void session_login_account(struct session_login *l, const char *user, const char *home,
			   bool chrooted, bool anonymous, bool anon_privs)
{
	l->logged_in = true;
	l->chrooted = chrooted;
	l->anonymous = anonymous;
	l->anon_privs = anon_privs;
	snprintf(l->user, sizeof(l->user), "%s", user);
	snprintf(l->home, sizeof(l->home), "%s", home);
}

/* Field by field, the strings as long as they are: a page of the
 * session that nothing uses stays one the process never touched. */
static void login_copy(struct session_login *to, const struct session_login *from)
{
	to->logged_in = from->logged_in;
	to->host_done = from->host_done;
	snprintf(to->user, sizeof(to->user), "%s", from->user);
	to->chrooted = from->chrooted;
	snprintf(to->home, sizeof(to->home), "%s", from->home);
	to->anonymous = from->anonymous;
	to->anon_privs = from->anon_privs;
	to->ctrl_tls = from->ctrl_tls;
	to->carry = from->carry;
}

void session_start(struct session *s, const struct session_given *g, const struct session_login *l,
		   int priv_fd, int ctrl_fd, const void *pending, size_t npending)
{
	s->given = *g;
	login_copy(&s->login, l);
	s->priv_fd = priv_fd;
	ctrl_init(&s->ctrl, ctrl_fd, pending, npending);
	snprintf(s->eng.cwd, sizeof(s->eng.cwd), "%s", l->logged_in ? l->home : "/");
	s->eng.pasv_fd = -1;
	s->eng.pbsz_done = l->carry.pbsz_done;
	s->eng.prot_private = l->carry.prot_private;
	s->eng.mlst_facts = l->carry.mlst_facts;
}

int session_take_ctrl_tls(struct session *s)
{
	int rc = 0;

	if (s->login.ctrl_tls.suite)
		rc = ctrl_start_tls(&s->ctrl, &s->login.ctrl_tls);
	OPENSSL_cleanse(&s->login.ctrl_tls, sizeof(s->login.ctrl_tls));
	return rc;
}

uint32_t session_carry_bits(const struct session *s)
{
	return (s->eng.pbsz_done ? CARRY_PBSZ : 0) | (s->eng.prot_private ? CARRY_PROT_P : 0);
}
