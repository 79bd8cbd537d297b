/* RFC 4217 commands: AUTH TLS, PBSZ, PROT, CCC. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine/commands.h"
#include "common/log.h"
#include "privsep/client.h"
#include "privsep/proto.h"
#include "config/users.h"

/* Decided on the name given with USER: anonymous names follow
 * force_anon_logins_ssl when anonymous FTP is on (as in vsftpd). */
bool tls_login_refused(const struct session *s)
{
	bool anon = s->given.set->anonymous_enable && users_is_anon_name(s->eng.user);

	return s->given.set->ssl_enable && !s->given.tls_control &&
	       (anon ? s->given.set->force_anon_logins_ssl : s->given.set->force_local_logins_ssl);
}

/* The monitor starts the relay and hands us the plaintext side. Bytes the
 * client pipelined after AUTH arrived in plaintext before TLS: dropped, so
 * nobody can inject commands into the protected session. */
int cmd_auth(struct session *s, const char *arg)
{
	uint32_t status;
	int old_fd = s->ctrl.fd, plain_fd;

	if (!s->given.set->ssl_enable)
		return ctrl_reply(&s->ctrl, 502, "TLS is not enabled on this server.");
	if (strcasecmp(arg, "TLS") != 0 && strcasecmp(arg, "SSL") != 0 &&
	    strcasecmp(arg, "TLS-C") != 0 && strcasecmp(arg, "TLS-P") != 0)
		return ctrl_reply(&s->ctrl, 504, "Unknown security mechanism.");
	if (s->given.tls_control)
		return ctrl_reply(&s->ctrl, 503, "Already using TLS.");
	if (s->login.logged_in)
		return ctrl_reply(&s->ctrl, 503, "AUTH must come before login.");
	if (priv_ask_auth_tls(s->priv_fd, &status, &plain_fd) < 0)
		_exit(1);
	if (status != 0)
		return ctrl_reply(&s->ctrl, 431, "Unable to start TLS.");
	if (ctrl_reply(&s->ctrl, 234, "Proceed with negotiation.") < 0) {
		close(plain_fd);
		return -1;
	}
	ctrl_init(&s->ctrl, plain_fd, NULL, 0);
	close(old_fd);
	s->given.tls_control = true;
	/* RFC 4217 §4: AUTH resets the transfer protection state. */
	s->eng.pbsz_done = false;
	s->eng.prot_private = false;
	return 0;
}

int cmd_pbsz(struct session *s, const char *arg)
{
	char *end;
	unsigned long v;

	if (!s->given.tls_control)
		return ctrl_reply(&s->ctrl, 503, "PBSZ needs AUTH TLS first.");
	v = strtoul(arg, &end, 10);
	if (*end || arg[0] < '0' || arg[0] > '9')
		return ctrl_reply(&s->ctrl, 501, "Bad PBSZ argument.");
	(void)v; /* TLS is a stream: the only buffer size is 0 (RFC 4217 §9) */
	s->eng.pbsz_done = true;
	return ctrl_reply(&s->ctrl, 200, "PBSZ=0");
}

int cmd_prot(struct session *s, const char *arg)
{
	if (!s->given.tls_control)
		return ctrl_reply(&s->ctrl, 503, "PROT needs AUTH TLS first.");
	/* PROT C without PBSZ only restates the default (clear data), and
	 * Python's ftplib prot_c() sends it so; vsftpd accepts it too. */
	if (!s->eng.pbsz_done && strcasecmp(arg, "C") != 0)
		return ctrl_reply(&s->ctrl, 503, "PROT needs PBSZ first.");
	if (strcasecmp(arg, "P") == 0) {
		s->eng.prot_private = true;
		return ctrl_reply(&s->ctrl, 200, "Protection level set to Private.");
	}
	if (strcasecmp(arg, "C") == 0) {
		if (s->login.anonymous ? s->given.set->force_anon_data_ssl
				       : s->given.set->force_local_data_ssl)
			return ctrl_reply(&s->ctrl, 534, "Data connections must be encrypted.");
		s->eng.prot_private = false;
		return ctrl_reply(&s->ctrl, 200, "Protection level set to Clear.");
	}
	if (strcasecmp(arg, "S") == 0 || strcasecmp(arg, "E") == 0)
		return ctrl_reply(&s->ctrl, 536, "Protection level not supported by TLS.");
	return ctrl_reply(&s->ctrl, 504, "Unknown protection level.");
}

/* Clearing the control channel would expose commands to a NAT helper,
 * which is a reason some ask for it; we refuse, as vsftpd does. */
int cmd_ccc(struct session *s, const char *arg)
{
	(void)arg;
	if (!s->given.tls_control)
		return ctrl_reply(&s->ctrl, 533, "Control channel is not protected.");
	return ctrl_reply(&s->ctrl, 534, "CCC refused by policy.");
}
