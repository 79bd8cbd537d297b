/* vsftpd's keys that say what one of ftpsd's keys says, in another way,
 * folded into ftpsd's key once a section is read: listen/listen_ipv6 into
 * listen_address, implicit_ssl into implicit_ssl_port, user_sub_token
 * into local_root's "$USER". */
#include <stdio.h>
#include <string.h>

#include "config/config_internal.h"

/* The line that set key K for SEC: its own, else the global section's. */
static unsigned cfg_line_of(const struct cfg_parser *p, const struct cfg_section *sec, size_t k)
{
	return sec->key_line[k] ? sec->key_line[k] : p->global.key_line[k];
}

/* vsftpd's listen / listen_ipv6 pair, folded into listen_address. vsftpd's
 * IPv6 socket on "::" also takes IPv4 clients (Linux's default
 * bindv6only=0); ftpsd's IPv6 sockets are IPv6 only, so the same clients
 * need "0.0.0.0,::". */
static void cfg_resolve_listen(struct cfg_parser *p, struct cfg_section *sec)
{
	struct cfg_settings *s = sec->set;
	const char *v6 = s->listen_address6[0] ? s->listen_address6 : "::";
	size_t a4 = CFG_KEY(listen_address), a6 = CFG_KEY(listen_address6);
	char list[CFG_STR_MAX], why[CFG_WHY_MAX];
	int n;

	if (!s->listen_ipv6) {
		if (s->listen_address6[0] && sec->key_line[a6])
			cfg_warn(p, sec->key_line[a6],
				 "listen_address6 is ignored "
				 "without listen_ipv6=YES");
		return;
	}
	if (s->listen) {
		n = snprintf(list, sizeof list, "%s,%s", s->listen_address, v6);
		if (sec == &p->global)
			cfg_warn(p, cfg_line_of(p, sec, CFG_KEY(listen_ipv6)),
				 "listen=YES and listen_ipv6=YES: vsftpd refuses "
				 "both; ftpsd listens on listen_address and "
				 "listen_address6");
	} else {
		n = snprintf(list, sizeof list, "%s", s->listen_address6[0] ? v6 : "0.0.0.0,::");
		if (cfg_line_of(p, sec, a4))
			cfg_warn(p, cfg_line_of(p, sec, a4),
				 "listen_address is "
				 "ignored with listen=NO (listen_ipv6=YES uses "
				 "listen_address6)");
	}
	if (n < 0 || (size_t)n >= sizeof list || cfg_check_addresses(list, why, sizeof why) < 0) {
		cfg_report_keys(p, sec, a4, a6,
				"listen_address and "
				"listen_address6 together: %s",
				n >= 0 && (size_t)n < sizeof list ? why : "too long");
		return;
	}
	(void)cfg_copy_string(s->listen_address, sizeof s->listen_address, list);
}

/* implicit_ssl=YES: listen_port itself speaks implicit FTPS, as in
 * vsftpd. implicit_ssl_port is ftpsd's extra implicit listener. */
static void cfg_resolve_implicit(struct cfg_parser *p, struct cfg_section *sec)
{
	struct cfg_settings *s = sec->set;
	size_t k = CFG_KEY(implicit_ssl), port = CFG_KEY(implicit_ssl_port);

	if (!s->implicit_ssl)
		return;
	if (!s->ssl_enable)
		cfg_report_keys(p, sec, k, CFG_KEY(ssl_enable),
				"implicit_ssl=YES needs ssl_enable=YES");
	else if (s->implicit_ssl_port != 0 && s->implicit_ssl_port != s->listen_port)
		cfg_report_keys(p, sec, k, port,
				"implicit_ssl=YES makes "
				"listen_port implicit; implicit_ssl_port=%u would "
				"be a second implicit port",
				s->implicit_ssl_port);
	else
		s->implicit_ssl_port = s->listen_port;
}

/* user_sub_token: vsftpd's name for the user in local_root; ftpsd's is
 * "$USER", so the token is rewritten to it. */
static void cfg_resolve_sub_token(struct cfg_parser *p, struct cfg_section *sec)
{
	struct cfg_settings *s = sec->set;
	const char *tok = s->user_sub_token;
	size_t tlen = strlen(tok);
	char out[CFG_STR_MAX];
	size_t o = 0;

	if (tlen == 0 || strcmp(tok, "$USER") == 0 || !strstr(s->local_root, tok))
		return;
	for (const char *c = s->local_root; *c;) {
		const char *piece = strncmp(c, tok, tlen) == 0 ? "$USER" : NULL;
		size_t plen = piece ? 5 : 1;

		if (o + plen >= sizeof out) {
			cfg_report_keys(p, sec, CFG_KEY(local_root), CFG_KEY(user_sub_token),
					"local_root is "
					"too long once user_sub_token is replaced");
			return;
		}
		memcpy(out + o, piece ? piece : c, plen);
		o += plen;
		c += piece ? tlen : 1;
	}
	out[o] = '\0';
	(void)cfg_copy_string(s->local_root, sizeof s->local_root, out);
}

void cfg_resolve_vsftpd(struct cfg_parser *p, struct cfg_section *sec)
{
	cfg_resolve_listen(p, sec);
	cfg_resolve_implicit(p, sec);
	cfg_resolve_sub_token(p, sec);
}
