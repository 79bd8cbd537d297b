/* The table of tunables: one row per key (name, type, field, bounds,
 * where it may appear, default, value check, vsftpd compatibility, what
 * the machine is checked for). Defaults, parsing, checking and dumping all
 * walk it; what a value of each type means is values.c. */
#include <stddef.h>
#include <string.h>

#include "config/config_internal.h"

/* clang-format 14 mangles a # inside braces */
/* clang-format off */
#define CFG_MEMBER(n) (((struct cfg_settings *)0)->n)
/* offset of field N; fails to compile when N is not of CTYPE, so a row
 * can never write a bool into an unsigned or a number into a string. */
#define CFG_OFFSET(n, ctype)                                                \
	(offsetof(struct cfg_settings, n) +                                 \
	 0 * sizeof(char[_Generic(CFG_MEMBER(n), ctype: 1, default: -1)]))
#define CFG_FIELD(n, ctype) .offset = CFG_OFFSET(n, ctype), .size = sizeof(CFG_MEMBER(n))

#define G true  /* global only */
#define V false /* per vhost */
#define CFG_XBOOL(n, g, d, st, nt)                                          \
	{ .name = #n, .type = CFG_BOOL, CFG_FIELD(n, bool), .min = 0, .max = 1, \
	  .global_only = g, .def_num = d, .compat = st, .note = nt }
#define CFG_XUINT(n, g, lo, hi, d, st, nt)                                  \
	{ .name = #n, .type = CFG_UINT, CFG_FIELD(n, unsigned), .min = lo,  \
	  .max = hi, .global_only = g, .def_num = d, .compat = st, .note = nt }
#define CFG_XOCTAL(n, g, lo, hi, d, st, nt)                                 \
	{ .name = #n, .type = CFG_OCTAL, CFG_FIELD(n, unsigned), .min = lo, \
	  .max = hi, .global_only = g, .def_num = d, .compat = st, .note = nt }
#define CFG_XSTR(n, g, minlen, d, chk, st, nt, ev, ei, ef)                  \
	{ .name = #n, .type = CFG_STRING, CFG_FIELD(n, char *), .min = minlen, \
	  .global_only = g, .def_str = d, .check = chk, .compat = st,       \
	  .note = nt, .env = ev, .env_if = ei, .env_for = ef }
#define CFG_BOOL_ROW(n, g, d) CFG_XBOOL(n, g, d, CFG_NATIVE, NULL)
#define CFG_UINT_ROW(n, g, lo, hi, d) CFG_XUINT(n, g, lo, hi, d, CFG_NATIVE, NULL)
#define CFG_OCTAL_ROW(n, g, lo, hi, d) CFG_XOCTAL(n, g, lo, hi, d, CFG_NATIVE, NULL)
#define CFG_STR_ROW(n, g, minlen, d, chk) \
	CFG_XSTR(n, g, minlen, d, chk, CFG_NATIVE, NULL, CFG_ENV_NONE, 0, NULL)
#define CFG_NOTE_STR_ROW(n, g, minlen, d, chk, st, nt) \
	CFG_XSTR(n, g, minlen, d, chk, st, nt, CFG_ENV_NONE, 0, NULL)
/* A string the machine must agree with (enum cfg_env). */
#define CFG_ENV_STR_ROW(n, g, minlen, d, chk, ev) \
	CFG_XSTR(n, g, minlen, d, chk, CFG_NATIVE, NULL, ev, 0, NULL)
/* An account that must exist when bool IF is YES, for what FOR names. */
#define CFG_ACCOUNT_ROW(n, g, d, if_key, for_what)                          \
	CFG_XSTR(n, g, 1, d, NULL, CFG_NATIVE, NULL, CFG_ENV_ACCOUNT,       \
		 CFG_OFFSET(if_key, bool), for_what)
#define CFG_LIST_ROW(n, g, chk)                                             \
	{ .name = #n, .type = CFG_LIST, CFG_FIELD(n, char *), .global_only = g, \
	  .def_str = "", .check = chk, .compat = CFG_NATIVE }
#define NOOP CFG_NOOP
#define REFUSE CFG_REFUSE
/* clang-format on */

/* The order here is the order of `ftpsd -T`. Bounds: timeouts of at least
 * a second, because 0 would mean "never" to one reader and "at once" to
 * another; at most a day, which no real client needs more than. */
const struct cfg_tunable cfg_tunables[] = {
	CFG_BOOL_ROW(listen, G, true),
	CFG_STR_ROW(pid_file, G, 1, "/run/ftpsd.pid", cfg_check_path),
	CFG_STR_ROW(who_socket, G, 0, "/run/ftpsd/who.sock", cfg_check_path),
	CFG_STR_ROW(log_file, G, 0, "", cfg_check_path),
	CFG_BOOL_ROW(syslog_enable, G, true),
	CFG_STR_ROW(syslog_facility, G, 1, "ftp", cfg_check_facility),
	CFG_STR_ROW(log_format, G, 1, "text", cfg_check_log_format),
	CFG_BOOL_ROW(xferlog_enable, G, false),
	CFG_STR_ROW(xferlog_file, G, 1, "/var/log/ftpsd-xfer.log", cfg_check_path),
	CFG_ENV_STR_ROW(nopriv_user, G, 1, "nobody", NULL, CFG_ENV_ACCOUNT),
	CFG_ENV_STR_ROW(secure_chroot_dir, G, 1, "/run/ftpsd/empty", cfg_check_path,
			CFG_ENV_ROOT_DIR),
	CFG_UINT_ROW(max_clients, G, 0, 100000, 2000),
	CFG_BOOL_ROW(log_ftp_protocol, G, false),
	CFG_BOOL_ROW(seccomp_sandbox, G, true),
	CFG_UINT_ROW(prefork_spares, G, 0, 64, 4),
	CFG_BOOL_ROW(isolate_network, G, false),
	CFG_UINT_ROW(login_throttle_fails, G, 0, 100000, 10),
	CFG_UINT_ROW(login_throttle_window, G, 1, 86400, 60),
	CFG_UINT_ROW(ipv6_client_prefix, G, 1, 128, 64),
	CFG_STR_ROW(nat_protocols, G, 1, "pcp,natpmp,upnp", cfg_check_nat_protocols),
	CFG_UINT_ROW(nat_mapping_lifetime, G, 10, 86400, 3600),
	CFG_STR_ROW(listen_address, V, 1, "0.0.0.0", cfg_check_addresses),
	CFG_UINT_ROW(listen_port, V, 1, 65535, 21),
	CFG_STR_ROW(ftpd_banner, V, 0, "", NULL),
	CFG_ENV_STR_ROW(pam_service_name, V, 1, "ftpsd", cfg_check_pam_name, CFG_ENV_PAM),
	CFG_BOOL_ROW(local_enable, V, true),
	CFG_BOOL_ROW(write_enable, V, false),
	CFG_BOOL_ROW(chroot_local_user, V, false),
	CFG_OCTAL_ROW(local_umask, V, 0, 0777, 077),
	CFG_BOOL_ROW(pasv_enable, V, true),
	CFG_UINT_ROW(pasv_min_port, V, 0, 65535, 0),
	CFG_UINT_ROW(pasv_max_port, V, 0, 65535, 0),
	CFG_BOOL_ROW(pasv_promiscuous, V, false),
	CFG_STR_ROW(pasv_address, V, 0, "", cfg_check_host),
	CFG_UINT_ROW(pasv_address_refresh, V, 0, 86400, 300),
	CFG_STR_ROW(pasv_address_exempt, V, 0, "", cfg_check_cidrs),
	CFG_LIST_ROW(pasv_address_rule, V, cfg_check_rule),
	CFG_BOOL_ROW(pasv_port_fallback, V, false),
	CFG_UINT_ROW(pasv_port_offset, V, 0, 65534, 0),
	CFG_BOOL_ROW(nat_port_mapping, V, false),
	CFG_STR_ROW(server_name, V, 0, "", cfg_check_names),
	CFG_UINT_ROW(max_per_ip, V, 0, 100000, 50),
	CFG_BOOL_ROW(proxy_protocol, V, false),
	CFG_STR_ROW(proxy_trusted, V, 0, "", cfg_check_cidrs),
	CFG_BOOL_ROW(proxy_protocol_data, V, false),
	CFG_STR_ROW(proxy_destination, V, 0, "", cfg_check_cidrs),
	CFG_UINT_ROW(login_timeout, V, 0, 86400, 120),
	CFG_UINT_ROW(max_login_fails, V, 1, 1000, 3),
	CFG_UINT_ROW(delay_failed_login, V, 0, 600, 1),
	CFG_UINT_ROW(idle_session_timeout, V, 1, 86400, 300),
	CFG_UINT_ROW(data_connection_timeout, V, 1, 86400, 300),
	CFG_UINT_ROW(accept_timeout, V, 1, 3600, 60),
	CFG_BOOL_ROW(hide_ids, V, false),
	CFG_BOOL_ROW(atomic_uploads, V, true),
	CFG_BOOL_ROW(ssl_enable, V, false),
	CFG_ENV_STR_ROW(rsa_cert_file, V, 0, "", cfg_check_path, CFG_ENV_READABLE),
	CFG_ENV_STR_ROW(rsa_private_key_file, V, 0, "", cfg_check_path, CFG_ENV_READABLE),
	CFG_ENV_STR_ROW(ecdsa_cert_file, V, 0, "", cfg_check_path, CFG_ENV_READABLE),
	CFG_ENV_STR_ROW(ecdsa_private_key_file, V, 0, "", cfg_check_path, CFG_ENV_READABLE),
	CFG_UINT_ROW(implicit_ssl_port, V, 0, 65535, 0),
	CFG_BOOL_ROW(require_ssl_reuse, V, true),
	CFG_BOOL_ROW(force_local_logins_ssl, V, true),
	CFG_BOOL_ROW(force_local_data_ssl, V, true),
	CFG_STR_ROW(ssl_min_protocol, V, 1, "TLSv1.2", cfg_check_tls_version),
	CFG_STR_ROW(ssl_ciphers, V, 0, "", NULL),
	CFG_STR_ROW(ssl_ciphersuites, V, 0, "", NULL),
	CFG_ENV_STR_ROW(ca_certs_file, V, 0, "", cfg_check_path, CFG_ENV_READABLE),
	CFG_BOOL_ROW(require_cert, V, false),
	CFG_BOOL_ROW(validate_cert, V, false),
	CFG_BOOL_ROW(port_enable, V, true),
	CFG_BOOL_ROW(connect_from_port_20, V, false),
	CFG_UINT_ROW(connect_timeout, V, 1, 3600, 60),
	CFG_STR_ROW(local_root, V, 0, "", cfg_check_path),
	CFG_BOOL_ROW(chroot_list_enable, V, false),
	CFG_STR_ROW(chroot_list_file, V, 1, "/etc/ftpsd.chroot_list", cfg_check_path),
	CFG_BOOL_ROW(userlist_enable, V, false),
	CFG_BOOL_ROW(userlist_deny, V, true),
	CFG_STR_ROW(userlist_file, V, 1, "/etc/ftpsd.user_list", cfg_check_path),
	CFG_BOOL_ROW(anonymous_enable, V, false),
	CFG_STR_ROW(anon_root, V, 0, "", cfg_check_path),
	CFG_ACCOUNT_ROW(ftp_username, V, "ftp", anonymous_enable, "anonymous logins"),
	CFG_BOOL_ROW(anon_upload_enable, V, false),
	CFG_BOOL_ROW(anon_mkdir_write_enable, V, false),
	CFG_BOOL_ROW(anon_other_write_enable, V, false),
	CFG_OCTAL_ROW(anon_umask, V, 0, 0777, 077),
	CFG_BOOL_ROW(chown_uploads, V, false),
	CFG_ACCOUNT_ROW(chown_username, V, "root", chown_uploads, "chown_uploads"),
	CFG_BOOL_ROW(guest_enable, V, false),
	CFG_ACCOUNT_ROW(guest_username, V, "ftp", guest_enable, "guest logins"),
	CFG_BOOL_ROW(virtual_use_local_privs, V, false),
	CFG_STR_ROW(user_config_dir, V, 0, "", cfg_check_path),
	CFG_BOOL_ROW(force_anon_logins_ssl, V, false),
	CFG_BOOL_ROW(force_anon_data_ssl, V, false),

	/* ---- vsftpd keys (issue 12); see enum cfg_compat ---- */
	CFG_BOOL_ROW(listen_ipv6, G, false),
	CFG_STR_ROW(listen_address6, V, 0, "", cfg_check_addresses6),
	CFG_BOOL_ROW(implicit_ssl, V, false),
	CFG_BOOL_ROW(use_localtime, V, false),
	CFG_BOOL_ROW(ascii_upload_enable, V, false),
	CFG_BOOL_ROW(ascii_download_enable, V, false),
	CFG_UINT_ROW(ftp_data_port, V, 1, 65535, 20),
	CFG_OCTAL_ROW(file_open_mode, V, 0, 0777, 0666),
	CFG_BOOL_ROW(dirlist_enable, V, true),
	CFG_BOOL_ROW(download_enable, V, true),
	CFG_BOOL_ROW(chmod_enable, V, true),
	CFG_BOOL_ROW(anon_world_readable_only, V, true),
	CFG_STR_ROW(cmds_allowed, V, 0, "", cfg_check_commands),
	CFG_STR_ROW(cmds_denied, V, 0, "", cfg_check_commands),
	CFG_STR_ROW(user_sub_token, V, 0, "", NULL),
	CFG_XBOOL(allow_writeable_chroot, V, false, NOOP,
		  "no effect: ftpsd always allows a writable chroot root, as its "
		  "engine loads no library or file from the chroot"),
	CFG_XBOOL(tcp_wrappers, G, false, NOOP,
		  "no effect: /etc/hosts.allow and hosts.deny are not read; filter "
		  "clients in the firewall, and use pasv_address_rule and "
		  "user_config_dir for per-client settings"),
	CFG_XBOOL(one_process_model, G, false, NOOP,
		  "no effect: every session is privilege-separated"),
	CFG_XBOOL(session_support, V, false, NOOP,
		  "no effect: ftpsd always opens the PAM session and writes no "
		  "utmp/wtmp"),
	CFG_XBOOL(background, G, false, NOOP, "no effect: ftpsd detaches unless started with -f"),
	CFG_XBOOL(isolate, G, true, NOOP,
		  "no effect: the sandbox is seccomp, an empty chroot and dropped "
		  "capabilities (isolate_network adds an empty network namespace)"),
	CFG_XBOOL(ptrace_sandbox, G, false, NOOP,
		  "no effect: the sandbox is seccomp (seccomp_sandbox)"),
	CFG_XBOOL(use_sendfile, V, true, NOOP,
		  "no effect: plaintext downloads always use sendfile"),
	CFG_XBOOL(no_log_lock, G, false, NOOP, "no effect: log files are not locked"),
	CFG_XBOOL(async_abor_enable, V, false, NOOP, "no effect: ABOR is always accepted"),
	CFG_XBOOL(check_shell, V, true, NOOP,
		  "no effect: logins always go through PAM; use pam_shells there"),
	CFG_XBOOL(allow_anon_ssl, V, false, NOOP,
		  "no effect: anonymous sessions may always use TLS; "
		  "force_anon_logins_ssl and force_anon_data_ssl require it"),
	CFG_XBOOL(ssl_sslv2, V, false, NOOP,
		  "no effect: SSLv2 is never offered; see ssl_min_protocol"),
	CFG_XBOOL(ssl_sslv3, V, false, NOOP,
		  "no effect: SSLv3 is never offered; see ssl_min_protocol"),
	CFG_XBOOL(ssl_tlsv1, V, true, NOOP,
		  "no effect: TLS 1.0 is never offered; see ssl_min_protocol"),
	CFG_XBOOL(ssl_tlsv1_1, V, false, NOOP,
		  "no effect: TLS 1.1 is never offered; see ssl_min_protocol"),
	CFG_XBOOL(ssl_tlsv1_2, V, true, NOOP,
		  "no effect: TLS 1.2 and 1.3 are offered; ssl_min_protocol=TLSv1.3 "
		  "turns TLS 1.2 off"),
	CFG_XBOOL(ssl_request_cert, V, true, NOOP,
		  "no effect: require_cert asks for a client certificate"),
	CFG_XBOOL(strict_ssl_read_eof, V, false, NOOP,
		  "no effect: a TLS upload is stored only when it ends with the "
		  "client's close_notify (what YES asks for)"),
	CFG_XBOOL(strict_ssl_write_shutdown, V, false, NOOP,
		  "no effect: ftpsd always sends close_notify on data connections"),
	CFG_XBOOL(debug_ssl, G, false, NOOP, "no effect; log_ftp_protocol logs the protocol"),
	CFG_XBOOL(pasv_addr_resolve, V, false, NOOP,
		  "no effect: a DNS name in pasv_address is always resolved, and "
		  "again every pasv_address_refresh seconds"),
	CFG_XBOOL(reverse_lookup_enable, V, true, NOOP,
		  "no effect: client addresses are never resolved to names"),
	CFG_XBOOL(utf8_filesystem, V, false, NOOP, "no effect: file names pass through as bytes"),
	CFG_XBOOL(ftp_enable, G, true, REFUSE, "ftpsd serves FTP only; it cannot be turned off"),
	CFG_XBOOL(http_enable, G, false, REFUSE, "ftpsd does not serve HTTP"),
	CFG_XBOOL(run_as_launching_user, G, false, REFUSE,
		  "ftpsd must be started as root: its sandbox needs it"),
	CFG_NOTE_STR_ROW(dsa_cert_file, V, 0, "", cfg_check_path, REFUSE,
			 "DSA certificates are not supported: use rsa_cert_file or "
			 "ecdsa_cert_file"),
	CFG_NOTE_STR_ROW(dsa_private_key_file, V, 0, "", cfg_check_path, REFUSE,
			 "DSA keys are not supported: use rsa_private_key_file or "
			 "ecdsa_private_key_file"),
	CFG_NOTE_STR_ROW(dh_param_file, V, 0, "", cfg_check_path, NOOP,
			 "no effect: OpenSSL's built-in groups are used"),
	CFG_NOTE_STR_ROW(ecdh_param_file, V, 0, "", cfg_check_path, NOOP,
			 "no effect: OpenSSL's built-in groups are used"),
	CFG_BOOL_ROW(dirmessage_enable, V, false),
	CFG_STR_ROW(message_file, V, 1, ".message", NULL),
	/* vsftpd's default is NO (its own format); ftpsd's is the format it
	 * always wrote. */
	CFG_BOOL_ROW(xferlog_std_format, G, true),
	CFG_STR_ROW(vsftpd_log_file, G, 1, "/var/log/vsftpd.log", cfg_check_path),
	CFG_BOOL_ROW(dual_log_enable, G, false),
	CFG_STR_ROW(banner_file, V, 0, "", cfg_check_path),
	CFG_BOOL_ROW(ls_recurse_enable, V, false),
	CFG_BOOL_ROW(force_dot_files, V, false),
	CFG_BOOL_ROW(no_anon_password, V, false),
	CFG_BOOL_ROW(delete_failed_uploads, V, false),
	CFG_BOOL_ROW(lock_upload_files, V, true),
	CFG_BOOL_ROW(mdtm_write, V, true),
	CFG_XBOOL(text_userdb_names, V, false, NOOP,
		  "no effect: listings name owners outside a chroot (where the "
		  "user database is visible) and number them inside one; "
		  "hide_ids shows \"ftp\""),
	CFG_BOOL_ROW(passwd_chroot_enable, V, false),
	CFG_BOOL_ROW(tilde_user_enable, V, false),
	CFG_BOOL_ROW(setproctitle_enable, G, false),
	CFG_BOOL_ROW(port_promiscuous, V, false),
	CFG_XBOOL(userlist_log, V, false, NOOP,
		  "no effect: refusals by the user list are always logged as "
		  "failed logins"),
	CFG_BOOL_ROW(deny_email_enable, V, false),
	CFG_STR_ROW(banned_email_file, V, 1, "/etc/vsftpd.banned_emails", cfg_check_path),
	CFG_BOOL_ROW(secure_email_list_enable, V, false),
	CFG_STR_ROW(email_password_file, V, 1, "/etc/vsftpd.email_passwords", cfg_check_path),
	CFG_STR_ROW(deny_file, V, 0, "", NULL),
	CFG_STR_ROW(hide_file, V, 0, "", NULL),
	CFG_UINT_ROW(local_max_rate, V, 0, 4294967295u, 0),
	CFG_UINT_ROW(anon_max_rate, V, 0, 4294967295u, 0),
	CFG_XUINT(trans_chunk_size, V, 0, 4294967295u, 0, NOOP,
		  "no effect: ftpsd chooses its own transfer buffer sizes"),
	CFG_UINT_ROW(delay_successful_login, V, 0, 600, 0),
	CFG_OCTAL_ROW(chown_upload_mode, V, 0, 0777, 0600),
};

#undef G
#undef V
#undef NOOP
#undef REFUSE

const size_t cfg_ntunables = sizeof cfg_tunables / sizeof cfg_tunables[0];
_Static_assert(sizeof cfg_tunables / sizeof cfg_tunables[0] <= CFG_MAX_TUNABLES,
	       "raise CFG_MAX_TUNABLES");

const struct cfg_tunable *cfg_find(const char *name)
{
	for (size_t i = 0; i < cfg_ntunables; i++)
		if (strcmp(cfg_tunables[i].name, name) == 0)
			return &cfg_tunables[i];
	return NULL;
}

size_t cfg_index_of(size_t offset)
{
	size_t i;

	for (i = 0; i < cfg_ntunables; i++)
		if (cfg_tunables[i].offset == offset)
			break;
	return i;
}

/* ---- the table, for tools that walk it (config/vsftpd_import.c) ------ */

size_t config_key_count(void)
{
	return cfg_ntunables;
}

size_t config_key_index(const char *name)
{
	const struct cfg_tunable *t = cfg_find(name);

	return t ? (size_t)(t - cfg_tunables) : cfg_ntunables;
}

const char *config_key_name(size_t i)
{
	return cfg_tunables[i].name;
}

bool config_key_global(size_t i)
{
	return cfg_tunables[i].global_only;
}

bool config_key_has_effect(size_t i)
{
	return cfg_tunables[i].compat != CFG_NOOP;
}
