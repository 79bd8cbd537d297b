/* Configuration parser. Every tunable is one row of cfg_tunables; defaults,
 * parsing, checking and dumping all walk that table.
 *
 * The reader is our own, one physical line at a time: it reports every
 * error with its line, sees sections that have no keys, keeps long lines
 * (vsftpd.conf files carry long comments and command lists) and splits
 * "key = value ; comment" itself. It used to hand key=value lines to inih,
 * whose 200-byte line buffer refused many real vsftpd.conf files. */
#include "config/config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cidr.h"
#include "common/log.h"
#include "config/pasv.h"

#define CFG_LINE_MAX 16384 /* long comments and lists are common */
#define CFG_WHY_MAX 256
#define CFG_ADDR_MAX 64
#define CFG_PAM_DIR "/etc/pam.d/"

/* CFG_LIST: a repeatable key. Each line in a section adds an entry (kept
 * one per line in the field); the first line in a vhost section replaces
 * the inherited entries; an empty value clears them. */
enum cfg_type { CFG_BOOL, CFG_UINT, CFG_OCTAL, CFG_STRING, CFG_LIST };

/* What ftpsd does with a key it shares with vsftpd (issue 12). NATIVE: it
 * means what it says. NOOP: accepted, no effect; the note, printed whenever
 * the key is set, says what ftpsd does instead. REFUSE: the feature is not
 * there, and serving without it would weaken what the operator asked for,
 * so a value other than the default is an error with the note. */
enum cfg_compat { CFG_NATIVE, CFG_NOOP, CFG_REFUSE };

/* Extra validation of a string value; writes why it is refused. */
typedef int (*cfg_check_fn)(const char *value, char *why, size_t whysize);

struct cfg_tunable {
	const char *name;
	enum cfg_type type;
	size_t offset;
	size_t size;
	unsigned min; /* numbers: smallest value; strings: shortest */
	unsigned max; /* numbers only; a string is bounded by size */
	bool global_only;
	unsigned def_num;    /* default of a bool or a number */
	const char *def_str; /* default of a string */
	cfg_check_fn check;
	enum cfg_compat compat;
	const char *note; /* NOOP, REFUSE: what ftpsd does */
};

static int cfg_check_path(const char *value, char *why, size_t whysize);
static int cfg_check_addresses(const char *value, char *why, size_t whysize);
static int cfg_check_pam_name(const char *value, char *why, size_t whysize);
static int cfg_check_tls_version(const char *value, char *why, size_t whysize);
static int cfg_check_host(const char *value, char *why, size_t whysize);
static int cfg_check_names(const char *value, char *why, size_t whysize);
static int cfg_check_cidrs(const char *value, char *why, size_t whysize);
static int cfg_check_rule(const char *value, char *why, size_t whysize);
static int cfg_check_facility(const char *value, char *why, size_t whysize);
static int cfg_check_log_format(const char *value, char *why, size_t whysize);
static int cfg_check_nat_protocols(const char *value, char *why, size_t whysize);
static int cfg_check_commands(const char *value, char *why, size_t whysize);
static int cfg_check_addresses6(const char *value, char *why, size_t whysize);
static char *cfg_trim(char *s);

/* clang-format 14 mangles a # inside braces */
/* clang-format off */
#define CFG_MEMBER(n) (((struct cfg_settings *)0)->n)
/* offset and size of field N; fails to compile when N is not of CTYPE, so a
 * row can never write a bool into an unsigned or a number into a string. */
#define CFG_FIELD(n, ctype)                                                 \
	offsetof(struct cfg_settings, n) +                                  \
		0 * sizeof(char[_Generic(CFG_MEMBER(n), ctype: 1, default: -1)]), \
		sizeof(CFG_MEMBER(n))

#define G true  /* global only */
#define V false /* per vhost */
#define CFG_XBOOL(n, g, d, st, note) \
	{ #n, CFG_BOOL, CFG_FIELD(n, bool), 0, 1, g, d, NULL, NULL, st, note }
#define CFG_XUINT(n, g, lo, hi, d, st, note) \
	{ #n, CFG_UINT, CFG_FIELD(n, unsigned), lo, hi, g, d, NULL, NULL, st, note }
#define CFG_XOCTAL(n, g, lo, hi, d, st, note) \
	{ #n, CFG_OCTAL, CFG_FIELD(n, unsigned), lo, hi, g, d, NULL, NULL, st, note }
#define CFG_XSTR(n, g, minlen, d, chk, st, note) \
	{ #n, CFG_STRING, CFG_FIELD(n, char *), minlen, 0, g, 0, d, chk, st, note }
#define CFG_BOOL_ROW(n, g, d) CFG_XBOOL(n, g, d, CFG_NATIVE, NULL)
#define CFG_UINT_ROW(n, g, lo, hi, d) CFG_XUINT(n, g, lo, hi, d, CFG_NATIVE, NULL)
#define CFG_OCTAL_ROW(n, g, lo, hi, d) CFG_XOCTAL(n, g, lo, hi, d, CFG_NATIVE, NULL)
#define CFG_STR_ROW(n, g, minlen, d, chk) \
	CFG_XSTR(n, g, minlen, d, chk, CFG_NATIVE, NULL)
#define CFG_LIST_ROW(n, g, chk) \
	{ #n, CFG_LIST, CFG_FIELD(n, char *), 0, 0, g, 0, "", chk, CFG_NATIVE, NULL }
#define NOOP CFG_NOOP
#define REFUSE CFG_REFUSE
/* clang-format on */

/* The order here is the order of `ftpsd -T`. Bounds: timeouts of at least
 * a second, because 0 would mean "never" to one reader and "at once" to
 * another; at most a day, which no real client needs more than. */
static const struct cfg_tunable cfg_tunables[] = {
	CFG_BOOL_ROW(listen, G, true),
	CFG_STR_ROW(pid_file, G, 1, "/run/ftpsd.pid", cfg_check_path),
	CFG_STR_ROW(who_socket, G, 0, "/run/ftpsd/who.sock", cfg_check_path),
	CFG_STR_ROW(log_file, G, 0, "", cfg_check_path),
	CFG_BOOL_ROW(syslog_enable, G, true),
	CFG_STR_ROW(syslog_facility, G, 1, "ftp", cfg_check_facility),
	CFG_STR_ROW(log_format, G, 1, "text", cfg_check_log_format),
	CFG_BOOL_ROW(xferlog_enable, G, false),
	CFG_STR_ROW(xferlog_file, G, 1, "/var/log/ftpsd-xfer.log", cfg_check_path),
	CFG_STR_ROW(nopriv_user, G, 1, "nobody", NULL),
	CFG_STR_ROW(secure_chroot_dir, G, 1, "/run/ftpsd/empty", cfg_check_path),
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
	CFG_STR_ROW(pam_service_name, V, 1, "ftpsd", cfg_check_pam_name),
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
	CFG_STR_ROW(rsa_cert_file, V, 0, "", cfg_check_path),
	CFG_STR_ROW(rsa_private_key_file, V, 0, "", cfg_check_path),
	CFG_STR_ROW(ecdsa_cert_file, V, 0, "", cfg_check_path),
	CFG_STR_ROW(ecdsa_private_key_file, V, 0, "", cfg_check_path),
	CFG_UINT_ROW(implicit_ssl_port, V, 0, 65535, 0),
	CFG_BOOL_ROW(require_ssl_reuse, V, true),
	CFG_BOOL_ROW(force_local_logins_ssl, V, true),
	CFG_BOOL_ROW(force_local_data_ssl, V, true),
	CFG_STR_ROW(ssl_min_protocol, V, 1, "TLSv1.2", cfg_check_tls_version),
	CFG_STR_ROW(ssl_ciphers, V, 0, "", NULL),
	CFG_STR_ROW(ssl_ciphersuites, V, 0, "", NULL),
	CFG_STR_ROW(ca_certs_file, V, 0, "", cfg_check_path),
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
	CFG_STR_ROW(ftp_username, V, 1, "ftp", NULL),
	CFG_BOOL_ROW(anon_upload_enable, V, false),
	CFG_BOOL_ROW(anon_mkdir_write_enable, V, false),
	CFG_BOOL_ROW(anon_other_write_enable, V, false),
	CFG_OCTAL_ROW(anon_umask, V, 0, 0777, 077),
	CFG_BOOL_ROW(chown_uploads, V, false),
	CFG_STR_ROW(chown_username, V, 1, "root", NULL),
	CFG_BOOL_ROW(guest_enable, V, false),
	CFG_STR_ROW(guest_username, V, 1, "ftp", NULL),
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
	CFG_XSTR(dsa_cert_file, V, 0, "", cfg_check_path, REFUSE,
		 "DSA certificates are not supported: use rsa_cert_file or "
		 "ecdsa_cert_file"),
	CFG_XSTR(dsa_private_key_file, V, 0, "", cfg_check_path, REFUSE,
		 "DSA keys are not supported: use rsa_private_key_file or "
		 "ecdsa_private_key_file"),
	CFG_XSTR(dh_param_file, V, 0, "", cfg_check_path, NOOP,
		 "no effect: OpenSSL's built-in groups are used"),
	CFG_XSTR(ecdh_param_file, V, 0, "", cfg_check_path, NOOP,
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

#define CFG_NTUNABLES (sizeof cfg_tunables / sizeof cfg_tunables[0])
_Static_assert(CFG_NTUNABLES <= CFG_MAX_TUNABLES, "raise CFG_MAX_TUNABLES");

/* ---- values ---------------------------------------------------------- */

/* A reason that does not fit is cut and marked, never silently wrong. */
__attribute__((format(printf, 3, 4))) static void cfg_why(char *why, size_t size, const char *fmt,
							  ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(why, size, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= size && size > 4)
		memcpy(why + size - 4, "...", 4);
}

static void *cfg_field(const struct cfg_tunable *t, struct cfg_settings *s)
{
	return (char *)s + t->offset;
}

static const void *cfg_cfield(const struct cfg_tunable *t, const struct cfg_settings *s)
{
	return (const char *)s + t->offset;
}

/* Copies SRC whole into DST and clears the rest, or fails: never truncates. */
static int cfg_copy_string(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size)
		return -1;
	memset(dst, 0, size);
	memcpy(dst, src, len);
	return 0;
}

/* Digits only, in BASE, no sign or spaces, at most MAX. */
static int cfg_parse_unsigned(const char *s, unsigned base, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (*s < '0' || d >= base || v > (max - d) / base)
			return -1;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

static int cfg_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "YES", "TRUE", "1" };
	static const char *const no[] = { "NO", "FALSE", "0" };

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int cfg_set_number(const struct cfg_tunable *t, unsigned *field, const char *value,
			  char *why, size_t whysize)
{
	bool octal = t->type == CFG_OCTAL;
	unsigned v;

	if (cfg_parse_unsigned(value, octal ? 8 : 10, t->max, &v) < 0 || v < t->min) {
		if (octal)
			cfg_why(why, whysize, "expected an octal number from %03o to %03o", t->min,
				t->max);
		else
			cfg_why(why, whysize, "expected a decimal number from %u to %u", t->min,
				t->max);
		return -1;
	}
	*field = v;
	return 0;
}

static int cfg_set_string(const struct cfg_tunable *t, char *field, const char *value, char *why,
			  size_t whysize)
{
	if (strlen(value) >= t->size) {
		cfg_why(why, whysize, "longer than %zu characters", t->size - 1);
		return -1;
	}
	if (strlen(value) < t->min) {
		cfg_why(why, whysize, "must not be empty");
		return -1;
	}
	if (t->check && t->check(value, why, whysize) < 0)
		return -1;
	return cfg_copy_string(field, t->size, value);
}

/* Adds VALUE as a line of list FIELD (or makes it the only one when
 * APPEND is false; an empty VALUE clears). FIELD is untouched on refusal. */
static int cfg_set_list(const struct cfg_tunable *t, char *field, const char *value, bool append,
			char *why, size_t whysize)
{
	size_t have = append ? strlen(field) : 0;
	size_t len = strlen(value);

	if (len == 0) {
		memset(field, 0, t->size);
		return 0;
	}
	if (strchr(value, '\n') != NULL) {
		cfg_why(why, whysize, "newline in value");
		return -1;
	}
	if (t->check && t->check(value, why, whysize) < 0)
		return -1;
	if (have + (have ? 1 : 0) + len >= t->size) {
		cfg_why(why, whysize,
			"too many entries (at most %zu characters "
			"in all)",
			t->size - 1);
		return -1;
	}
	if (!append)
		memset(field, 0, t->size);
	else if (have)
		field[have++] = '\n';
	memcpy(field + have, value, len + 1);
	return 0;
}

/* Sets row T of S from VALUE; S is untouched when VALUE is refused. */
static int cfg_set_value(const struct cfg_tunable *t, struct cfg_settings *s, const char *value,
			 char *why, size_t whysize)
{
	bool b;

	switch (t->type) {
	case CFG_BOOL:
		if (cfg_parse_bool(value, &b) < 0) {
			cfg_why(why, whysize, "expected YES or NO");
			return -1;
		}
		*(bool *)cfg_field(t, s) = b;
		return 0;
	case CFG_UINT:
	case CFG_OCTAL: return cfg_set_number(t, cfg_field(t, s), value, why, whysize);
	case CFG_STRING: return cfg_set_string(t, cfg_field(t, s), value, why, whysize);
	case CFG_LIST: return cfg_set_list(t, cfg_field(t, s), value, true, why, whysize);
	}
	cfg_why(why, whysize, "internal error: bad tunable type");
	return -1;
}

static bool cfg_values_equal(const struct cfg_tunable *t, const struct cfg_settings *a,
			     const struct cfg_settings *b)
{
	const void *fa = cfg_cfield(t, a);
	const void *fb = cfg_cfield(t, b);

	switch (t->type) {
	case CFG_BOOL: return *(const bool *)fa == *(const bool *)fb;
	case CFG_UINT:
	case CFG_OCTAL: return *(const unsigned *)fa == *(const unsigned *)fb;
	case CFG_STRING:
	case CFG_LIST: return strcmp(fa, fb) == 0;
	}
	return false;
}

static void cfg_print_value(const struct cfg_tunable *t, const struct cfg_settings *s, FILE *out)
{
	const void *f = cfg_cfield(t, s);

	switch (t->type) {
	case CFG_BOOL: fprintf(out, "%s=%s\n", t->name, *(const bool *)f ? "YES" : "NO"); break;
	case CFG_UINT: fprintf(out, "%s=%u\n", t->name, *(const unsigned *)f); break;
	case CFG_OCTAL: fprintf(out, "%s=%03o\n", t->name, *(const unsigned *)f); break;
	case CFG_STRING: fprintf(out, "%s=%s\n", t->name, (const char *)f); break;
	case CFG_LIST: {
		const char *e = f;
		/* Empty: one empty line, which clears what a vhost inherits. */
		do {
			size_t len = strcspn(e, "\n");
			fprintf(out, "%s=%.*s\n", t->name, (int)len, e);
			e += len;
		} while (*e++ == '\n');
		break;
	}
	}
}

void config_set_defaults(struct cfg_settings *s)
{
	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < CFG_NTUNABLES; i++) {
		const struct cfg_tunable *t = &cfg_tunables[i];
		void *f = cfg_field(t, s);

		if (t->type == CFG_BOOL)
			*(bool *)f = t->def_num != 0;
		else if (t->type == CFG_STRING || t->type == CFG_LIST)
			/* Defaults are short literals; a test pins them. */
			(void)cfg_copy_string(f, t->size, t->def_str);
		else
			*(unsigned *)f = t->def_num;
	}
}

static const struct cfg_tunable *cfg_find(const char *name)
{
	for (size_t i = 0; i < CFG_NTUNABLES; i++)
		if (strcmp(cfg_tunables[i].name, name) == 0)
			return &cfg_tunables[i];
	return NULL;
}

static size_t cfg_index_of(size_t offset)
{
	size_t i;

	for (i = 0; i < CFG_NTUNABLES; i++)
		if (cfg_tunables[i].offset == offset)
			break;
	return i;
}

#define CFG_KEY(n) cfg_index_of(offsetof(struct cfg_settings, n))

/* ---- string checks --------------------------------------------------- */

static int cfg_check_path(const char *value, char *why, size_t whysize)
{
	if (value[0] != '\0' && value[0] != '/') {
		cfg_why(why, whysize, "expected an absolute path");
		return -1;
	}
	return 0;
}

/* The name becomes a path under /etc/pam.d, so no '/' and no leading dot. */
static int cfg_check_pam_name(const char *value, char *why, size_t whysize)
{
	if (value[0] == '.' || strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					     "0123456789._-") != strlen(value)) {
		cfg_why(why, whysize, "expected a PAM service name (A-Z a-z 0-9 . _ -)");
		return -1;
	}
	return 0;
}

struct cfg_ip {
	int family;
	unsigned char addr[16];
};

static int cfg_ip_parse(const char *s, struct cfg_ip *ip)
{
	memset(ip, 0, sizeof *ip);
	if (inet_pton(AF_INET, s, ip->addr) == 1)
		ip->family = AF_INET;
	else if (inet_pton(AF_INET6, s, ip->addr) == 1)
		ip->family = AF_INET6;
	else
		return -1;
	return 0;
}

static bool cfg_ip_is_any(const struct cfg_ip *ip)
{
	static const unsigned char zero[16];

	return memcmp(ip->addr, zero, sizeof zero) == 0;
}

/* Two listeners on these addresses (same port) could not both bind: the
 * same address, or a wildcard and anything of its family. */
static bool cfg_ip_overlap(const struct cfg_ip *a, const struct cfg_ip *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->addr, b->addr, sizeof a->addr) == 0 || cfg_ip_is_any(a) ||
	       cfg_ip_is_any(b);
}

/* Next entry of a comma list at *CURSOR, spaces around it dropped.
 * Returns 1 with an entry, 0 at the end, -1 if the entry does not fit. */
static int cfg_list_next(const char **cursor, char *out, size_t size)
{
	const char *s = *cursor;
	size_t len;

	if (s == NULL)
		return 0;
	s += strspn(s, " \t");
	len = strcspn(s, ",");
	*cursor = s[len] == ',' ? s + len + 1 : NULL;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len >= size)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 1;
}

/* True if an entry of LIST overlaps IP; HIT gets that entry. */
static bool cfg_list_find_overlap(const char *list, const struct cfg_ip *ip, char *hit, size_t size)
{
	struct cfg_ip other;
	int rc;

	while ((rc = cfg_list_next(&list, hit, size)) != 0)
		if (rc == 1 && cfg_ip_parse(hit, &other) == 0 && cfg_ip_overlap(ip, &other))
			return true;
	return false;
}

static int cfg_check_addresses(const char *value, char *why, size_t whysize)
{
	char a[CFG_ADDR_MAX], b[CFG_ADDR_MAX];
	struct cfg_ip ip;
	int rc;

	while ((rc = cfg_list_next(&value, a, sizeof a)) != 0) {
		if (rc < 0) {
			cfg_why(why, whysize,
				"an address is longer than %d "
				"characters",
				CFG_ADDR_MAX - 1);
			return -1;
		}
		if (cfg_ip_parse(a, &ip) < 0) {
			cfg_why(why, whysize, "\"%s\" is not an IPv4 or IPv6 address", a);
			return -1;
		}
		/* VALUE now points past A: compare with the entries after it. */
		if (cfg_list_find_overlap(value, &ip, b, sizeof b)) {
			cfg_why(why, whysize,
				"%s and %s overlap: they cannot "
				"both be listened on",
				a, b);
			return -1;
		}
	}
	return 0;
}

/* listen_address6: empty (then "::"), or IPv6 literals. */
static int cfg_check_addresses6(const char *value, char *why, size_t whysize)
{
	char a[CFG_ADDR_MAX];
	struct cfg_ip ip;
	const char *v = value;

	if (value[0] == '\0')
		return 0;
	if (cfg_check_addresses(value, why, whysize) < 0)
		return -1;
	while (cfg_list_next(&v, a, sizeof a) == 1) {
		if (cfg_ip_parse(a, &ip) == 0 && ip.family != AF_INET6) {
			cfg_why(why, whysize, "\"%s\" is not an IPv6 address", a);
			return -1;
		}
	}
	return 0;
}

/* ---- parser state and reports ---------------------------------------- */

/* Where the lines come from: a FILE or a string. */
struct cfg_source {
	FILE *fp;
	const char *text;
	size_t pos;
};

struct cfg_section {
	struct cfg_settings *set;
	const char *vhost; /* NULL: the global section */
	unsigned header_line;
	unsigned key_line[CFG_NTUNABLES]; /* 0: not set in this section */
	bool is_vhost;                    /* global-only keys are refused */
};

struct cfg_parser {
	struct ftpsd_config *cfg;
	const char *name;
	FILE *err;
	int errors;
	struct cfg_source src;
	unsigned lineno;
	struct cfg_section *cur;
	struct cfg_section global;
	struct cfg_section vhost[CFG_MAX_VHOSTS];
	/* Keys after a broken section header are still checked, then dropped. */
	struct cfg_section scratch;
	struct cfg_settings scratch_set;
	bool user_file; /* config_apply_user_file: no sections */
};

__attribute__((format(printf, 5, 0))) static void cfg_vreport(struct cfg_parser *p, unsigned line,
							      const struct cfg_section *sec,
							      bool inherited, const char *fmt,
							      va_list ap)
{
	p->errors++;
	if (p->err == NULL)
		return;
	fprintf(p->err, "%s:%u: ", p->name, line);
	if (sec != NULL && sec->vhost != NULL)
		fprintf(p->err, "vhost \"%s\": ", sec->vhost);
	vfprintf(p->err, fmt, ap);
	if (inherited)
		fputs(" (inherited from the global section)", p->err);
	fputc('\n', p->err);
}

__attribute__((format(printf, 3, 4))) static void cfg_report(struct cfg_parser *p, unsigned line,
							     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vreport(p, line, NULL, false, fmt, ap);
	va_end(ap);
}

/* Printed, not counted: the config still loads. KIND: "warning" for what
 * the operator should act on, "note" for what only changed name. */
__attribute__((format(printf, 4, 0))) static void
cfg_vsay(struct cfg_parser *p, const char *kind, unsigned line, const char *fmt, va_list ap)
{
	if (p->err == NULL)
		return;
	fprintf(p->err, "%s:%u: %s: ", p->name, line, kind);
	if (p->cur != NULL && p->cur->vhost != NULL)
		fprintf(p->err, "vhost \"%s\": ", p->cur->vhost);
	vfprintf(p->err, fmt, ap);
	fputc('\n', p->err);
}

__attribute__((format(printf, 3, 4))) static void cfg_warn(struct cfg_parser *p, unsigned line,
							   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vsay(p, "warning", line, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void cfg_note(struct cfg_parser *p, unsigned line,
							   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vsay(p, "note", line, fmt, ap);
	va_end(ap);
}

static bool cfg_is_default(const struct cfg_tunable *t, const struct cfg_settings *s)
{
	const void *f = cfg_cfield(t, s);

	switch (t->type) {
	case CFG_BOOL: return *(const bool *)f == (t->def_num != 0);
	case CFG_UINT:
	case CFG_OCTAL: return *(const unsigned *)f == t->def_num;
	case CFG_STRING:
	case CFG_LIST: return strcmp(f, t->def_str) == 0;
	}
	return true;
}

/* What a vsftpd key that ftpsd does not implement does here (see enum
 * cfg_compat), said on the line that set it. */
static void cfg_warn_compat(struct cfg_parser *p, const struct cfg_tunable *t,
			    const struct cfg_settings *s, const char *value)
{
	switch (t->compat) {
	case CFG_NATIVE: return;
	case CFG_NOOP: cfg_note(p, p->lineno, "%s is vsftpd's: %s", t->name, t->note); return;
	case CFG_REFUSE:
		if (!cfg_is_default(t, s))
			cfg_report(p, p->lineno, "%s=%.64s is not supported: %s", t->name, value,
				   t->note);
		return;
	}
}

/* A value a template (shell, Jinja, ERB, autoconf, Docker entrypoint)
 * was meant to replace: "${PASV_ADDRESS}", "{{ ftp_port }}", "<your-ip>",
 * "%PASV_MIN%", "@PORT@". "$USER" alone is local_root's own token. */
static bool cfg_placeholder(const char *v)
{
	size_t len = strlen(v);

	if (strstr(v, "${") != NULL || strstr(v, "{{") != NULL || strstr(v, "<%") != NULL)
		return true;
	if (len < 3)
		return false;
	return (v[0] == '<' && v[len - 1] == '>') || (v[0] == '%' && v[len - 1] == '%') ||
	       (v[0] == '@' && v[len - 1] == '@');
}

/* A section-level problem made of keys A and B: blamed on the later of
 * them set in SEC, else on SEC's header (the values were inherited). */
__attribute__((format(printf, 5, 6))) static void cfg_report_keys(struct cfg_parser *p,
								  const struct cfg_section *sec,
								  size_t a, size_t b,
								  const char *fmt, ...)
{
	unsigned la = sec->key_line[a], lb = sec->key_line[b];
	unsigned line = la > lb ? la : lb;
	bool inherited = line == 0 && sec->vhost != NULL;
	va_list ap;

	if (line == 0)
		line = sec->header_line;
	va_start(ap, fmt);
	cfg_vreport(p, line, sec, inherited, fmt, ap);
	va_end(ap);
}

static void cfg_section_init(struct cfg_section *sec, struct cfg_settings *set, const char *vhost,
			     unsigned line, bool is_vhost)
{
	memset(sec, 0, sizeof *sec);
	sec->set = set;
	sec->vhost = vhost;
	sec->header_line = line;
	sec->is_vhost = is_vhost;
}

/* ---- key=value lines ------------------------------------------------ */

static void cfg_apply_pair(struct cfg_parser *p, const char *name, const char *value)
{
	const struct cfg_tunable *t = cfg_find(name);
	char why[CFG_WHY_MAX];
	size_t idx;

	if (name[0] == '\0') {
		cfg_report(p, p->lineno, "missing key before '='");
		return;
	}
	if (t == NULL) {
		cfg_report(p, p->lineno, "unknown key \"%s\"", name);
		return;
	}
	idx = (size_t)(t - cfg_tunables);
	if (t->global_only && p->cur->is_vhost) {
		cfg_report(p, p->lineno,
			   "%s is global only: set it before the "
			   "first [vhost] section",
			   name);
		return;
	}
	if (cfg_placeholder(value)) {
		cfg_report(p, p->lineno,
			   "%s=%.64s: the value looks like a "
			   "template placeholder that was never filled in",
			   name, value);
		return;
	}
	if (t->type == CFG_LIST ? cfg_set_list(t, cfg_field(t, p->cur->set), value,
					       p->cur->key_line[idx] != 0, why, sizeof why) < 0
				: cfg_set_value(t, p->cur->set, value, why, sizeof why) < 0) {
		cfg_report(p, p->lineno, "bad value \"%.64s%s\" for %s: %s", value,
			   strlen(value) > 64 ? "..." : "", name, why);
		return;
	}
	if (t->type != CFG_LIST && p->cur->key_line[idx] != 0)
		cfg_warn(p, p->lineno,
			 "%s is set again (first at line %u): "
			 "the last value wins",
			 name, p->cur->key_line[idx]);
	cfg_warn_compat(p, t, p->cur->set, value);
	p->cur->key_line[idx] = p->lineno;
}

/* "key = value ; comment": the key and value trimmed, an inline comment
 * (a ';' after a blank) dropped. Splits LINE in place. */
static void cfg_split_pair(struct cfg_parser *p, char *line)
{
	char *eq = strchr(line, '=');
	char *value;

	if (eq == NULL) {
		cfg_report(p, p->lineno, "expected key=value");
		return;
	}
	*eq = '\0';
	value = eq + 1;
	for (char *c = value; *c; c++) {
		if (*c == ';' && c > value && (c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	}
	cfg_apply_pair(p, cfg_trim(line), cfg_trim(value));
}

/* ---- section headers ------------------------------------------------- */

static char *cfg_trim(char *s)
{
	size_t len;

	s += strspn(s, " \t\r\n\f\v");
	len = strlen(s);
	while (len > 0 && strchr(" \t\r\n\f\v", s[len - 1]) != NULL)
		s[--len] = '\0';
	return s;
}

static bool cfg_vhost_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len >= 1 && len < CFG_NAME_MAX &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789._-") == len;
}

/* Splits "[vhost NAME] ; comment" in place. Returns 0 with *NAME set,
 * -1 after reporting; *IS_VHOST says whether it was meant as a vhost. */
static int cfg_parse_header(struct cfg_parser *p, char *line, char **name, bool *is_vhost)
{
	char *close = strchr(line, ']');
	char *inner, *tail;

	*is_vhost = false;
	if (close == NULL) {
		cfg_report(p, p->lineno, "section header without ']'");
		return -1;
	}
	tail = close + 1 + strspn(close + 1, " \t");
	if (*tail != '\0' && *tail != ';' && *tail != '#') {
		cfg_report(p, p->lineno, "unexpected text after ']'");
		return -1;
	}
	*close = '\0';
	inner = cfg_trim(line + 1);
	if (strncmp(inner, "vhost", 5) != 0 ||
	    (inner[5] != '\0' && inner[5] != ' ' && inner[5] != '\t')) {
		cfg_report(p, p->lineno,
			   "unknown section [%s]: only "
			   "[vhost NAME] sections are allowed",
			   inner);
		return -1;
	}
	*is_vhost = true;
	*name = cfg_trim(inner + 5);
	return 0;
}

/* Refuses a vhost name with a report, or returns 0. */
static int cfg_vhost_check_name(struct cfg_parser *p, const char *name)
{
	struct ftpsd_config *cfg = p->cfg;

	if (!cfg_vhost_name_ok(name)) {
		cfg_report(p, p->lineno,
			   "bad vhost name \"%s\": expected 1 to "
			   "%d characters of A-Z a-z 0-9 . _ -",
			   name, CFG_NAME_MAX - 1);
		return -1;
	}
	for (size_t i = 0; i < cfg->nvhosts; i++) {
		if (strcmp(cfg->vhosts[i].name, name) == 0) {
			cfg_report(p, p->lineno,
				   "duplicate vhost \"%s\" "
				   "(first at line %u)",
				   name, p->vhost[i].header_line);
			return -1;
		}
	}
	if (cfg->nvhosts >= CFG_MAX_VHOSTS) {
		cfg_report(p, p->lineno, "too many vhosts (at most %d)", CFG_MAX_VHOSTS);
		return -1;
	}
	return 0;
}

static void cfg_section_start(struct cfg_parser *p, char *line)
{
	struct ftpsd_config *cfg = p->cfg;
	struct cfg_vhost *v;
	char *name;
	bool is_vhost;

	if (cfg_parse_header(p, line, &name, &is_vhost) < 0 || cfg_vhost_check_name(p, name) < 0) {
		p->scratch_set = cfg->global;
		cfg_section_init(&p->scratch, &p->scratch_set, NULL, p->lineno, is_vhost);
		p->cur = &p->scratch;
		return;
	}
	v = &cfg->vhosts[cfg->nvhosts];
	(void)cfg_copy_string(v->name, sizeof v->name, name); /* checked */
	v->set = cfg->global;
	cfg_section_init(&p->vhost[cfg->nvhosts], &v->set, v->name, p->lineno, true);
	p->cur = &p->vhost[cfg->nvhosts];
	cfg->nvhosts++;
}

/* ---- the line reader ------------------------------------------------- */

static int cfg_source_getc(struct cfg_source *src)
{
	if (src->fp != NULL)
		return getc(src->fp);
	if (src->text[src->pos] == '\0')
		return EOF;
	return (unsigned char)src->text[src->pos++];
}

/* Reads one physical line, newline dropped, into BUF. *LEN is its length,
 * counted up to SIZE (so *LEN >= SIZE means it did not fit). */
static int cfg_source_getline(struct cfg_source *src, char *buf, size_t size, size_t *len,
			      bool *has_nul)
{
	int c = EOF;
	size_t n = 0;

	*has_nul = false;
	while ((c = cfg_source_getc(src)) != EOF && c != '\n') {
		if (c == '\0')
			*has_nul = true;
		if (n + 1 < size)
			buf[n] = (char)c;
		if (n < size)
			n++;
	}
	if (c == EOF && n == 0)
		return -1;
	buf[n < size ? n : size - 1] = '\0';
	*len = n;
	return 0;
}

/* One physical line at a time, so the line count is exact. */
static void cfg_parse_line(struct cfg_parser *p, char *line, size_t len)
{
	char *s = line;

	if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3; /* UTF-8 byte order mark */
	/* Leading space dropped: an indented line is a key of its own, never
	 * the continuation of the previous value. */
	s = cfg_trim(s);
	if (len >= CFG_LINE_MAX) {
		cfg_report(p, p->lineno, "line longer than %d characters", CFG_LINE_MAX - 1);
		return;
	}
	if (s[0] == '\0' || s[0] == '#' || s[0] == ';')
		return;
	if (s[0] == '[' && p->user_file) {
		cfg_report(p, p->lineno, "no sections in a per-user file");
		return;
	}
	if (s[0] == '[') {
		cfg_section_start(p, s);
		return;
	}
	cfg_split_pair(p, s);
}

static void cfg_parse_lines(struct cfg_parser *p)
{
	char *line = malloc(CFG_LINE_MAX);
	size_t len;
	bool has_nul;

	if (line == NULL) {
		cfg_report(p, p->lineno, "out of memory");
		return;
	}
	while (cfg_source_getline(&p->src, line, CFG_LINE_MAX, &len, &has_nul) == 0) {
		p->lineno++;
		if (has_nul)
			cfg_report(p, p->lineno, "NUL byte in line");
		else
			cfg_parse_line(p, line, len);
	}
	free(line);
}

/* ---- checks over whole sections -------------------------------------- */

static void cfg_check_pasv(struct cfg_parser *p, const struct cfg_section *sec)
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

static int cfg_check_facility(const char *value, char *why, size_t whysize)
{
	if (log_facility_from_name(value) < 0) {
		cfg_why(why, whysize,
			"expected a syslog facility (ftp, daemon, "
			"auth, authpriv, user, local0 ... local7)");
		return -1;
	}
	return 0;
}

static int cfg_check_log_format(const char *value, char *why, size_t whysize)
{
	if (strcmp(value, "text") != 0 && strcmp(value, "json") != 0) {
		cfg_why(why, whysize, "expected text or json");
		return -1;
	}
	return 0;
}

/* cmds_allowed, cmds_denied: a comma list of FTP command names. */
static int cfg_check_commands(const char *value, char *why, size_t whysize)
{
	char name[16];
	int rc;

	if (value[0] == '\0')
		return 0;
	while ((rc = cfg_list_next(&value, name, sizeof name)) != 0) {
		size_t len = rc > 0 ? strlen(name) : 0;

		if (rc < 0 || len < 3 || len > 4 ||
		    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "abcdefghijklmnopqrstuvwxyz") != len) {
			cfg_why(why, whysize,
				"expected a comma list of FTP "
				"commands (3 or 4 letters each)");
			return -1;
		}
	}
	return 0;
}

/* TLS 1.0 and 1.1 are broken (RFC 8996); only 1.2 and 1.3 may be chosen. */
static int cfg_check_tls_version(const char *value, char *why, size_t whysize)
{
	if (strcmp(value, "TLSv1.2") != 0 && strcmp(value, "TLSv1.3") != 0) {
		cfg_why(why, whysize, "expected TLSv1.2 or TLSv1.3");
		return -1;
	}
	return 0;
}

/* A DNS name as getaddrinfo takes it: labels of letters, digits and '-',
 * joined by dots. */
static bool cfg_hostname_ok(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len < 254 && s[0] != '.' && s[0] != '-' &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789.-") == len &&
	       strstr(s, "..") == NULL;
}

/* pasv_address: an IP literal or a DNS name (resolved by the master). */
static int cfg_check_host(const char *value, char *why, size_t whysize)
{
	struct cfg_ip ip;

	if (value[0] == '\0' || cfg_ip_parse(value, &ip) == 0 || cfg_hostname_ok(value))
		return 0;
	cfg_why(why, whysize, "expected an IPv4 or IPv6 address or a DNS name");
	return -1;
}

/* nat_protocols: a comma list of pcp, natpmp and upnp, each at most once
 * (the NAT helper tries them in this order). */
static int cfg_check_nat_protocols(const char *value, char *why, size_t whysize)
{
	char name[16];
	bool seen_pcp = false, seen_natpmp = false, seen_upnp = false;
	int rc;

	while ((rc = cfg_list_next(&value, name, sizeof name)) != 0) {
		bool *seen = rc < 0                        ? NULL
			     : strcmp(name, "pcp") == 0    ? &seen_pcp
			     : strcmp(name, "natpmp") == 0 ? &seen_natpmp
			     : strcmp(name, "upnp") == 0   ? &seen_upnp
							   : NULL;
		if (!seen || *seen) {
			cfg_why(why, whysize,
				"expected a comma list of pcp, natpmp and "
				"upnp, each at most once");
			return -1;
		}
		*seen = true;
	}
	return 0;
}

/* server_name: a comma list of DNS names, as sent in HOST and SNI. */
static int cfg_check_names(const char *value, char *why, size_t whysize)
{
	char name[256];
	int rc;

	if (value[0] == '\0')
		return 0;
	while ((rc = cfg_list_next(&value, name, sizeof name)) != 0) {
		if (rc < 0 || !cfg_hostname_ok(name)) {
			cfg_why(why, whysize, "expected a comma list of DNS names");
			return -1;
		}
	}
	return 0;
}

static int cfg_check_cidrs(const char *value, char *why, size_t whysize)
{
	struct cidr_list *l = malloc(sizeof(*l));
	char bad[CIDR_STRLEN];
	int rc;

	if (!l) {
		cfg_why(why, whysize, "out of memory");
		return -1;
	}
	rc = cidr_list_parse(l, value, bad, sizeof bad);
	free(l);
	if (rc < 0)
		cfg_why(why, whysize,
			"\"%s\" is not a network (ADDRESS/PREFIX "
			"without host bits, an address, or \"private\")",
			bad);
	return rc;
}

static int cfg_check_rule(const char *value, char *why, size_t whysize)
{
	struct pasv_policy *pol = malloc(sizeof(*pol));
	char bad[CFG_STR_MAX];
	int rc;

	if (!pol) {
		cfg_why(why, whysize, "out of memory");
		return -1;
	}
	rc = pasv_rules_parse(pol, value, bad, sizeof bad);
	free(pol);
	if (rc < 0)
		cfg_why(why, whysize,
			"expected \"NETWORK ADDRESS\": NETWORK a "
			"CIDR prefix, \"private\" or \"any\"; ADDRESS an IP "
			"address or \"local\"");
	return rc;
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

static void cfg_check_ssl(struct cfg_parser *p, const struct cfg_section *sec)
{
	const struct cfg_settings *s = sec->set;

	if (s->ssl_enable && !s->rsa_cert_file[0] && !s->ecdsa_cert_file[0])
		cfg_report_keys(p, sec, CFG_KEY(ssl_enable), CFG_KEY(rsa_cert_file),
				"ssl_enable=YES needs rsa_cert_file or ecdsa_cert_file");
	if (s->validate_cert && !s->ca_certs_file[0])
		cfg_report_keys(p, sec, CFG_KEY(validate_cert), CFG_KEY(ca_certs_file),
				"validate_cert=YES needs ca_certs_file");
}

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

static void cfg_resolve_vsftpd(struct cfg_parser *p, struct cfg_section *sec)
{
	cfg_resolve_listen(p, sec);
	cfg_resolve_implicit(p, sec);
	cfg_resolve_sub_token(p, sec);
}

/* Vhost B may not listen where an earlier vhost A already does. Returns
 * true after reporting a clash. */
static bool cfg_check_clash(struct cfg_parser *p, const struct cfg_section *a,
			    const struct cfg_section *b)
{
	const char *list = b->set->listen_address;
	char mine[CFG_ADDR_MAX], theirs[CFG_ADDR_MAX];
	struct cfg_ip ip;

	if (a->set->listen_port != b->set->listen_port)
		return false;
	if (cfg_may_share_address(b->set))
		return false;
	while (cfg_list_next(&list, mine, sizeof mine) == 1) {
		if (cfg_ip_parse(mine, &ip) == 0 &&
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
	for (size_t i = 0; i < CFG_NTUNABLES; i++)
		vh->key_line[i] = own->key_line[i] ? own->key_line[i] : global->key_line[i];
}

static void cfg_finish(struct cfg_parser *p)
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
		cfg_check_pasv(p, &p->global);
		cfg_check_proxy(p, &p->global);
		cfg_check_offset(p, &p->global);
		cfg_check_ssl(p, &p->global);
		(void)cfg_copy_string(cfg->vhosts[0].name, sizeof cfg->vhosts[0].name, "default");
		cfg->vhosts[0].set = cfg->global;
		cfg->nvhosts = 1;
		return;
	}
	/* With vhosts, the global section is only their defaults: an
	 * incomplete global section is fine if every vhost completes it. */
	for (size_t i = 0; i < cfg->nvhosts; i++) {
		cfg_check_pasv(p, &p->vhost[i]);
		cfg_check_proxy(p, &p->vhost[i]);
		cfg_check_offset(p, &p->vhost[i]);
		cfg_check_ssl(p, &p->vhost[i]);
		/* The first clash is enough to point at the vhost. */
		for (size_t j = 0; j < i; j++)
			if (cfg_check_clash(p, &p->vhost[j], &p->vhost[i]))
				break;
	}
}

/* ---- entry points ---------------------------------------------------- */

static int cfg_parse(struct ftpsd_config *cfg, const char *name, struct cfg_source *src, FILE *err)
{
	struct cfg_parser p;

	memset(&p, 0, sizeof p);
	p.cfg = cfg;
	p.name = name;
	p.err = err;
	p.src = *src;
	cfg_section_init(&p.global, &cfg->global, NULL, 1, false);
	p.cur = &p.global;
	cfg_parse_lines(&p);
	if (src->fp != NULL && ferror(src->fp))
		cfg_report(&p, p.lineno, "read error");
	cfg_finish(&p);
	return p.errors;
}

/* Clean slate: defaults, no vhost, NAME as the path. */
static int cfg_reset(struct ftpsd_config *cfg, const char *name, FILE *err)
{
	memset(cfg, 0, sizeof *cfg);
	config_set_defaults(&cfg->global);
	if (cfg_copy_string(cfg->path, sizeof cfg->path, name) < 0) {
		if (err != NULL)
			fprintf(err, "%.64s...: path longer than %d characters\n", name,
				CFG_STR_MAX - 1);
		return -1;
	}
	return 0;
}

int config_load(struct ftpsd_config *cfg, const char *path, FILE *err)
{
	struct cfg_source src = { 0 };
	int n;

	if (cfg_reset(cfg, path, err) < 0)
		return -1;
	src.fp = fopen(path, "re");
	if (src.fp == NULL) {
		if (err != NULL)
			fprintf(err, "%s: cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	n = cfg_parse(cfg, path, &src, err);
	/* Only read from: a failing close loses nothing. */
	(void)fclose(src.fp);
	return n;
}

int config_load_string(struct ftpsd_config *cfg, const char *name, const char *text, FILE *err)
{
	struct cfg_source src = { .text = text };

	if (cfg_reset(cfg, name, err) < 0)
		return -1;
	return cfg_parse(cfg, name, &src, err);
}

/* The parser in user-file mode: its one section is a copy of SET marked
 * as a vhost, so global-only keys are refused as they are in [vhost]. */
int config_apply_user_file(struct cfg_settings *set, const char *path, FILE *err)
{
	struct cfg_parser *p;
	struct cfg_settings *copy;
	int errors;
	FILE *fp = fopen(path, "re");

	if (fp == NULL)
		return -1;
	p = calloc(1, sizeof *p);
	copy = malloc(sizeof *copy);
	if (p == NULL || copy == NULL) {
		free(p);
		free(copy);
		(void)fclose(fp);
		if (err != NULL)
			fprintf(err, "%s: out of memory\n", path);
		return 1;
	}
	*copy = *set;
	p->name = path;
	p->err = err;
	p->src.fp = fp;
	p->user_file = true;
	cfg_section_init(&p->global, copy, NULL, 1, true);
	p->cur = &p->global;
	cfg_parse_lines(p);
	if (ferror(fp))
		cfg_report(p, p->lineno, "read error");
	cfg_check_pasv(p, &p->global);
	cfg_check_ssl(p, &p->global);
	(void)fclose(fp); /* only read from */
	errors = p->errors;
	if (errors == 0)
		*set = *copy;
	free(copy);
	free(p);
	return errors;
}

/* ---- environment ----------------------------------------------------- */

/* The line that set OFFSET's key for vhost I (0 when it is a default). */
static unsigned cfg_env_line(const struct ftpsd_config *cfg, size_t i, size_t offset)
{
	return cfg->vhosts[i].key_line[cfg_index_of(offset)];
}

__attribute__((format(printf, 4, 5))) static int
cfg_env_error(const struct ftpsd_config *cfg, FILE *err, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return 1;
	if (line)
		fprintf(err, "%s:%u: ", cfg->path, line);
	else
		fprintf(err, "%s: ", cfg->path);
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputc('\n', err);
	return 1;
}

static int cfg_env_user(const struct ftpsd_config *cfg, FILE *err)
{
	const char *user = cfg->global.nopriv_user;

	if (getpwnam(user) == NULL)
		return cfg_env_error(
			cfg, err, cfg_env_line(cfg, 0, offsetof(struct cfg_settings, nopriv_user)),
			"nopriv_user \"%s\" does not "
			"exist",
			user);
	return 0;
}

static bool cfg_env_seen(const struct ftpsd_config *cfg, size_t i, size_t offset);

/* Accounts the sessions switch to: without them every anonymous or guest
 * login, or every chowned upload, would fail only when it happens. */
static int cfg_env_accounts(const struct ftpsd_config *cfg, FILE *err, size_t i)
{
	const struct cfg_settings *s = &cfg->vhosts[i].set;
	struct {
		bool used;
		size_t offset;
		const char *key, *what;
	} acct[] = {
		{ s->anonymous_enable, offsetof(struct cfg_settings, ftp_username), "ftp_username",
		  "anonymous logins" },
		{ s->guest_enable, offsetof(struct cfg_settings, guest_username), "guest_username",
		  "guest logins" },
		{ s->chown_uploads, offsetof(struct cfg_settings, chown_username), "chown_username",
		  "chown_uploads" },
	};
	int errors = 0;

	for (size_t a = 0; a < sizeof acct / sizeof acct[0]; a++) {
		const char *name = (const char *)s + acct[a].offset;

		if (!acct[a].used || cfg_env_seen(cfg, i, acct[a].offset) || getpwnam(name) != NULL)
			continue;
		errors += cfg_env_error(cfg, err, cfg_env_line(cfg, i, acct[a].offset),
					"%s \"%s\" does not exist (%s need it)", acct[a].key, name,
					acct[a].what);
	}
	return errors;
}

/* The pre-login engine is chrooted here: nobody but root may plant files
 * in it. A missing directory is fine, the daemon creates it. */
static int cfg_env_chroot_dir(const struct ftpsd_config *cfg, FILE *err)
{
	const char *dir = cfg->global.secure_chroot_dir;
	unsigned line = cfg_env_line(cfg, 0, offsetof(struct cfg_settings, secure_chroot_dir));
	struct stat st;

	if (stat(dir, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return cfg_env_error(cfg, err, line, "secure_chroot_dir %s: %s", dir,
				     strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return cfg_env_error(cfg, err, line,
				     "secure_chroot_dir %s is not a "
				     "directory",
				     dir);
	if (st.st_uid != 0)
		return cfg_env_error(cfg, err, line,
				     "secure_chroot_dir %s is not "
				     "owned by root",
				     dir);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return cfg_env_error(cfg, err, line,
				     "secure_chroot_dir %s is "
				     "writable by group or others",
				     dir);
	return 0;
}

/* Opened, not access()ed: what counts is what the daemon itself can read.
 * O_NONBLOCK so that a FIFO given by mistake cannot hang the check. */
static int cfg_env_readable(const struct ftpsd_config *cfg, FILE *err, size_t i, size_t offset)
{
	const char *file = (const char *)&cfg->vhosts[i].set + offset;
	int fd;

	if (file[0] == '\0')
		return 0;
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return cfg_env_error(cfg, err, cfg_env_line(cfg, i, offset), "cannot read %s: %s",
				     file, strerror(errno));
	(void)close(fd); /* only opened to test: nothing to lose */
	return 0;
}

static void cfg_env_pam(const struct ftpsd_config *cfg, FILE *err, const char *service)
{
	char path[sizeof CFG_PAM_DIR + CFG_NAME_MAX];
	struct stat st;
	int n = snprintf(path, sizeof path, "%s%s", CFG_PAM_DIR, service);

	if (n < 0 || (size_t)n >= sizeof path || err == NULL)
		return;
	if (stat(path, &st) < 0)
		fprintf(err,
			"%s: warning: %s: %s (PAM will use its \"other\" "
			"service)\n",
			cfg->path, path, strerror(errno));
}

/* True if an earlier vhost has the same value at OFFSET: check it once. */
static bool cfg_env_seen(const struct ftpsd_config *cfg, size_t i, size_t offset)
{
	const char *mine = (const char *)&cfg->vhosts[i].set + offset;

	for (size_t j = 0; j < i; j++)
		if (strcmp((const char *)&cfg->vhosts[j].set + offset, mine) == 0)
			return true;
	return false;
}

int config_check_environment(const struct ftpsd_config *cfg, FILE *err)
{
	static const size_t files[] = {
		offsetof(struct cfg_settings, rsa_cert_file),
		offsetof(struct cfg_settings, rsa_private_key_file),
		offsetof(struct cfg_settings, ecdsa_cert_file),
		offsetof(struct cfg_settings, ecdsa_private_key_file),
		offsetof(struct cfg_settings, ca_certs_file),
	};
	size_t pam = offsetof(struct cfg_settings, pam_service_name);
	int errors = 0;

	errors += cfg_env_user(cfg, err);
	errors += cfg_env_chroot_dir(cfg, err);
	for (size_t i = 0; i < cfg->nvhosts; i++) {
		const struct cfg_settings *s = &cfg->vhosts[i].set;

		for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++)
			if (!cfg_env_seen(cfg, i, files[f]))
				errors += cfg_env_readable(cfg, err, i, files[f]);
		if (!cfg_env_seen(cfg, i, pam))
			cfg_env_pam(cfg, err, s->pam_service_name);
		errors += cfg_env_accounts(cfg, err, i);
	}
	return errors;
}

/* ---- files keys name ------------------------------------------------ */

/* banner_file into SET->banner_text, whole or not at all. */
static int cfg_read_banner(const struct ftpsd_config *cfg, size_t i, struct cfg_settings *set,
			   FILE *err)
{
	unsigned line = cfg_env_line(cfg, i, offsetof(struct cfg_settings, banner_file));
	char *buf = set->banner_text;
	size_t have = 0;
	ssize_t n;
	int fd;

	memset(buf, 0, sizeof set->banner_text);
	if (!set->banner_file[0])
		return 0;
	fd = open(set->banner_file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return cfg_env_error(cfg, err, line, "cannot read banner_file %s: %s",
				     set->banner_file, strerror(errno));
	while ((n = read(fd, buf + have, sizeof set->banner_text - have)) > 0 &&
	       (have += (size_t)n) < sizeof set->banner_text)
		;
	(void)close(fd); /* only read from */
	if (n < 0 || have >= sizeof set->banner_text) {
		memset(buf, 0, sizeof set->banner_text);
		return cfg_env_error(cfg, err, line, "banner_file %s: %s", set->banner_file,
				     n < 0 ? strerror(errno) : "longer than 2047 bytes");
	}
	return 0;
}

int config_read_files(struct ftpsd_config *cfg, FILE *err)
{
	int errors = 0;

	for (size_t i = 0; i < cfg->nvhosts; i++)
		errors += cfg_read_banner(cfg, i, &cfg->vhosts[i].set, err);
	return errors;
}

/* ---- dump ------------------------------------------------------------ */

static bool cfg_settings_equal(const struct cfg_settings *a, const struct cfg_settings *b)
{
	for (size_t i = 0; i < CFG_NTUNABLES; i++)
		if (!cfg_values_equal(&cfg_tunables[i], a, b))
			return false;
	return true;
}

/* A file without [vhost] sections got one "default" vhost equal to the
 * global section; printing it would add a section the file never had. */
static bool cfg_has_vhost_sections(const struct ftpsd_config *cfg)
{
	return !(cfg->nvhosts == 1 && strcmp(cfg->vhosts[0].name, "default") == 0 &&
		 cfg_settings_equal(&cfg->vhosts[0].set, &cfg->global));
}

void config_dump(const struct ftpsd_config *cfg, FILE *out)
{
	for (size_t i = 0; i < CFG_NTUNABLES; i++) {
		const struct cfg_tunable *t = &cfg_tunables[i];

		/* vsftpd's keys that ftpsd does not act on: only if set. */
		if (t->compat == CFG_NATIVE || !cfg_is_default(t, &cfg->global))
			cfg_print_value(t, &cfg->global, out);
	}
	if (!cfg_has_vhost_sections(cfg))
		return;
	for (size_t v = 0; v < cfg->nvhosts; v++) {
		fprintf(out, "\n[vhost %s]\n", cfg->vhosts[v].name);
		for (size_t i = 0; i < CFG_NTUNABLES; i++)
			if (!cfg_values_equal(&cfg_tunables[i], &cfg->vhosts[v].set, &cfg->global))
				cfg_print_value(&cfg_tunables[i], &cfg->vhosts[v].set, out);
	}
}

/* ---- the table, for tools that walk it (config/vsftpd_import.c) ------ */

size_t config_key_count(void)
{
	return CFG_NTUNABLES;
}

size_t config_key_index(const char *name)
{
	const struct cfg_tunable *t = cfg_find(name);

	return t ? (size_t)(t - cfg_tunables) : CFG_NTUNABLES;
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

bool config_key_is_default(size_t i, const struct cfg_settings *s)
{
	return cfg_is_default(&cfg_tunables[i], s);
}

bool config_key_equal(size_t i, const struct cfg_settings *a, const struct cfg_settings *b)
{
	return cfg_values_equal(&cfg_tunables[i], a, b);
}

void config_key_print(size_t i, const struct cfg_settings *s, FILE *out)
{
	cfg_print_value(&cfg_tunables[i], s, out);
}

int config_key_set(size_t i, struct cfg_settings *s, const char *value, char *why, size_t whysize)
{
	return cfg_set_value(&cfg_tunables[i], s, value, why, whysize);
}
