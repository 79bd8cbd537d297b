/* Checks over whole sections, after the last line: keys that only make
 * sense together (a port range, a proxy and whom to trust, TLS and its
 * certificate), and vhosts that would listen where another does. Each
 * problem is blamed on the line of the later key (cfg_report_keys). */
#include <string.h>

#include "common/netaddr.h"
#include "config/config_internal.h"

void cfg_check_pasv(struct cfg_parser *p, const struct cfg_section *sec)
{
	const struct cfg_settings *s = sec->set;
	size_t lo = CFG_KEY(pasv_min_port), hi = CFG_KEY(pasv_max_port);

	if ((s->pasv_min_port == 0) != (s->pasv_max_port == 0))
		cfg_report_keys(p, sec, lo, hi,
				"pasv_min_port and "
				"pasv_max_port must both be set, or both 0");
	else if (s->pasv_min_port > s->pasv_max_port)
		cfg_report_keys(p, sec, lo, hi,
				"passive port range inverted "
				"(pasv_min_port=%u > pasv_max_port=%u)",
				s->pasv_min_port, s->pasv_max_port);
}

/* A header is believed only from the proxies named: without them every
 * connection would be refused, or (worse, if we guessed) anyone believed. */
static void cfg_check_proxy(struct cfg_parser *p, const struct cfg_section *sec)
{
	const struct cfg_settings *s = sec->set;

	if (s->proxy_protocol && !s->proxy_trusted[0])
		cfg_report_keys(p, sec, CFG_KEY(proxy_protocol), CFG_KEY(proxy_trusted),
				"proxy_protocol=YES needs proxy_trusted (the proxies' "
				"addresses or networks)");
	else if (s->proxy_protocol_data && !s->proxy_protocol)
		cfg_report_keys(p, sec, CFG_KEY(proxy_protocol_data), CFG_KEY(proxy_protocol),
				"proxy_protocol_data=YES needs proxy_protocol=YES");
	else if (s->proxy_destination[0] && !s->proxy_protocol)
		cfg_report_keys(p, sec, CFG_KEY(proxy_destination), CFG_KEY(proxy_protocol),
				"proxy_destination needs proxy_protocol=YES (only a "
				"trusted proxy's header names a destination)");
}

/* The advertised port must stay a port. */
static void cfg_check_offset(struct cfg_parser *p, const struct cfg_section *sec)
{
	const struct cfg_settings *s = sec->set;

	if (s->pasv_port_offset && s->pasv_max_port &&
	    s->pasv_max_port + s->pasv_port_offset > 65535)
		cfg_report_keys(p, sec, CFG_KEY(pasv_max_port), CFG_KEY(pasv_port_offset),
				"pasv_max_port=%u + pasv_port_offset=%u is above 65535",
				s->pasv_max_port, s->pasv_port_offset);
}

void cfg_check_ssl(struct cfg_parser *p, const struct cfg_section *sec)
{
	const struct cfg_settings *s = sec->set;

	if (s->ssl_enable && !s->rsa_cert_file[0] && !s->ecdsa_cert_file[0])
		cfg_report_keys(p, sec, CFG_KEY(ssl_enable), CFG_KEY(rsa_cert_file),
				"ssl_enable=YES needs rsa_cert_file or ecdsa_cert_file");
	if (s->validate_cert && !s->ca_certs_file[0])
		cfg_report_keys(p, sec, CFG_KEY(validate_cert), CFG_KEY(ca_certs_file),
				"validate_cert=YES needs ca_certs_file");
}

/* Every check of the keys of one served section. */
static void cfg_check_section(struct cfg_parser *p, const struct cfg_section *sec)
{
	cfg_check_pasv(p, sec);
	cfg_check_proxy(p, sec);
	cfg_check_offset(p, sec);
	cfg_check_ssl(p, sec);
}

/* Vhost B may not listen where an earlier vhost A already does. Returns
 * true after reporting a clash. */
static bool cfg_check_clash(struct cfg_parser *p, const struct cfg_section *a,
			    const struct cfg_section *b)
{
	const char *list = b->set->listen_address;
	char mine[CFG_ADDR_MAX], theirs[CFG_ADDR_MAX];
	struct net_addr ip;

	if (a->set->listen_port != b->set->listen_port)
		return false;
	if (cfg_may_share_address(b->set))
		return false;
	while (cfg_list_next(&list, mine, sizeof mine) == 1) {
		if (net_addr_parse(&ip, mine, 0) == 0 &&
		    cfg_list_find_overlap(a->set->listen_address, &ip, theirs, sizeof theirs)) {
			cfg_report_keys(p, b, CFG_KEY(listen_address), CFG_KEY(listen_port),
					"listening on %s port %u clashes with "
					"vhost \"%s\" on %s",
					mine, b->set->listen_port, a->vhost, theirs);
			return true;
		}
	}
	return false;
}

/* Keep where each value of VH came from, for later messages. */
static void cfg_keep_lines(struct cfg_vhost *vh, const struct cfg_section *own,
			   const struct cfg_section *global)
{
	for (size_t i = 0; i < cfg_ntunables; i++)
		vh->key_line[i] = own->key_line[i] ? own->key_line[i] : global->key_line[i];
}

void cfg_finish(struct cfg_parser *p)
{
	struct ftpsd_config *cfg = p->cfg;

	for (size_t i = 0; i < cfg->nvhosts; i++) {
		cfg_keep_lines(&cfg->vhosts[i], &p->vhost[i], &p->global);
		cfg_resolve_vsftpd(p, &p->vhost[i]);
	}
	cfg_resolve_vsftpd(p, &p->global);
	if (cfg->nvhosts == 0) {
		cfg_keep_lines(&cfg->vhosts[0], &p->global, &p->global);
		/* No vhost: the global section is the one served. */
		cfg_check_section(p, &p->global);
		(void)cfg_copy_string(cfg->vhosts[0].name, sizeof cfg->vhosts[0].name, "default");
		cfg->vhosts[0].set = cfg->global;
		cfg->nvhosts = 1;
		return;
	}
	/* With vhosts, the global section is only their defaults: an
	 * incomplete global section is fine if every vhost completes it. */
	for (size_t i = 0; i < cfg->nvhosts; i++) {
		cfg_check_section(p, &p->vhost[i]);
		/* The first clash is enough to point at the vhost. */
		for (size_t j = 0; j < i; j++)
			if (cfg_check_clash(p, &p->vhost[j], &p->vhost[i]))
				break;
	}
}
