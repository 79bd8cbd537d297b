/* Configuration: one table of tunables, parsed from a key=value file into a
 * global section and any number of [vhost NAME] sections. */
#ifndef FTPSD_CONFIG_H
#define FTPSD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CFG_STR_MAX 512
#define CFG_NAME_MAX 64
#define CFG_LIST_MAX 2048 /* a repeatable key: one entry per line */
#define CFG_MAX_VHOSTS 64
#define CFG_MAX_TUNABLES 224 /* room for the table in tunables.c */
#define CFG_BANNER_MAX 2048  /* banner_file's text */

/* Every tunable lives in this one struct. The global section fills one copy;
 * each [vhost NAME] section starts as a copy of the global values and
 * overrides what it names. Keys marked global-only in the table are refused
 * inside a vhost section. */
struct cfg_settings {
	/* global only */
	bool listen; /* YES: standalone master; NO: inetd mode */
	char pid_file[CFG_STR_MAX];
	char who_socket[CFG_STR_MAX]; /* ftpsd -w's socket; "" = none */
	char log_file[CFG_STR_MAX];   /* "" = no log file */
	bool syslog_enable;
	char syslog_facility[CFG_NAME_MAX]; /* ftp, daemon, local0..local7... */
	char log_format[CFG_NAME_MAX];      /* text or json (log_file only) */
	bool xferlog_enable;
	char xferlog_file[CFG_STR_MAX];
	char nopriv_user[CFG_NAME_MAX];
	char secure_chroot_dir[CFG_STR_MAX];
	unsigned max_clients;             /* 0 = unlimited */
	bool log_ftp_protocol;            /* log every command and reply (debug) */
	bool seccomp_sandbox;             /* NO only for debugging: logs a warning */
	unsigned prefork_spares;          /* sessions forked ahead of demand */
	bool isolate_network;             /* sandboxed processes in an empty netns */
	unsigned login_throttle_fails;    /* per address within the window; 0 = off */
	unsigned login_throttle_window;   /* seconds */
	unsigned ipv6_client_prefix;      /* IPv6 clients counted per this prefix */
	char nat_protocols[CFG_NAME_MAX]; /* router protocols to try, in order */
	unsigned nat_mapping_lifetime;    /* seconds a router mapping is asked for */

	/* per vhost (a global value is every vhost's default) */
	char listen_address[CFG_STR_MAX]; /* comma list of IPv4/IPv6 literals */
	unsigned listen_port;
	char ftpd_banner[CFG_STR_MAX]; /* "" = built-in banner */
	char pam_service_name[CFG_NAME_MAX];
	bool local_enable;
	bool write_enable;
	bool chroot_local_user;
	unsigned local_umask; /* written and read in octal */
	bool pasv_enable;
	unsigned pasv_min_port; /* 0 = kernel chooses */
	unsigned pasv_max_port;
	bool pasv_promiscuous;
	/* NAT (DESIGN §3): what PASV advertises, to whom. */
	char pasv_address[CFG_STR_MAX];        /* "" = none; IP literal, DNS name or "auto" */
	unsigned pasv_address_refresh;         /* seconds between DNS lookups; 0 = once */
	char pasv_address_exempt[CFG_STR_MAX]; /* CIDR list, "private" */
	char pasv_address_rule[CFG_LIST_MAX];  /* "NETWORK ADDRESS" lines */
	bool pasv_port_fallback;               /* range exhausted: kernel port */
	unsigned pasv_port_offset;             /* advertised = bound + offset */
	bool nat_port_mapping;                 /* ask the gateway to map our ports */
	char server_name[CFG_STR_MAX];         /* names for HOST and SNI, comma list */
	unsigned max_per_ip;                   /* 0 = unlimited */
	/* Behind an L4 proxy (DESIGN §3): connections from proxy_trusted
	 * start with a PROXY header naming the real client. */
	bool proxy_protocol;
	char proxy_trusted[CFG_STR_MAX];     /* CIDR list of the proxies */
	bool proxy_protocol_data;            /* passive data connections carry one too */
	char proxy_destination[CFG_STR_MAX]; /* CIDR list: a header's destination
					      * there selects this vhost */
	unsigned login_timeout;              /* seconds from connect to login; 0 = none */
	unsigned max_login_fails;
	unsigned delay_failed_login;      /* seconds */
	unsigned idle_session_timeout;    /* seconds */
	unsigned data_connection_timeout; /* seconds */
	unsigned accept_timeout;          /* seconds to wait for a data peer */
	bool hide_ids;
	bool atomic_uploads; /* STOR to a temp name, rename on success */
	bool ssl_enable;
	char rsa_cert_file[CFG_STR_MAX];
	char rsa_private_key_file[CFG_STR_MAX];
	char ecdsa_cert_file[CFG_STR_MAX];
	char ecdsa_private_key_file[CFG_STR_MAX];
	unsigned implicit_ssl_port; /* 0 = no implicit FTPS listener */
	bool require_ssl_reuse;     /* data TLS must resume the control session */
	bool force_local_logins_ssl;
	bool force_local_data_ssl;
	char ssl_min_protocol[CFG_NAME_MAX]; /* TLSv1.2 or TLSv1.3 */
	char ssl_ciphers[CFG_STR_MAX];       /* TLS <= 1.2, OpenSSL syntax */
	char ssl_ciphersuites[CFG_STR_MAX];  /* TLS 1.3 */
	char ca_certs_file[CFG_STR_MAX];     /* client certificate CAs */
	bool require_cert;                   /* ask for a client certificate */
	bool validate_cert;                  /* and refuse one that does not verify */

	/* active mode (engine/port.c, monitor/active.c) */
	bool port_enable;          /* PORT and EPRT allowed */
	bool connect_from_port_20; /* active data from port 20 */
	unsigned connect_timeout;  /* seconds for an active connect */

	/* users (config/users.c) */
	char local_root[CFG_STR_MAX]; /* "" = home; "$USER" is replaced */
	bool chroot_list_enable;
	char chroot_list_file[CFG_STR_MAX];
	bool userlist_enable;
	bool userlist_deny; /* YES: listed users refused; NO: only they may */
	char userlist_file[CFG_STR_MAX];
	bool anonymous_enable;
	char anon_root[CFG_STR_MAX]; /* "" = ftp_username's home */
	char ftp_username[CFG_NAME_MAX];
	bool anon_upload_enable;
	bool anon_mkdir_write_enable;
	bool anon_other_write_enable;
	unsigned anon_umask;
	bool chown_uploads;
	char chown_username[CFG_NAME_MAX];
	bool guest_enable;
	char guest_username[CFG_NAME_MAX];
	bool virtual_use_local_privs;
	char user_config_dir[CFG_STR_MAX]; /* "" = no per-user files */
	bool force_anon_logins_ssl;
	bool force_anon_data_ssl;

	/* vsftpd keys (issue 12): ftpsd's own meaning where implemented; the
	 * others are accepted and flagged by the table's notes (tunables.c). */
	bool listen_ipv6;                  /* global: standalone on IPv6 too */
	char listen_address6[CFG_STR_MAX]; /* "" = "::" */
	bool implicit_ssl;                 /* listen_port speaks implicit FTPS */
	bool use_localtime;                /* listings in local time, not UTC */
	bool ascii_upload_enable;          /* NO: TYPE A uploads stored as sent */
	bool ascii_download_enable;        /* NO: TYPE A downloads sent as stored */
	unsigned ftp_data_port;            /* source port of active data */
	unsigned file_open_mode;           /* mode of new uploads, before umask */
	bool dirlist_enable;               /* LIST, NLST, MLSD, STAT path */
	bool download_enable;              /* RETR */
	bool chmod_enable;                 /* SITE CHMOD */
	bool anon_world_readable_only;     /* anonymous RETR only of o+r files */
	char cmds_allowed[CFG_STR_MAX];    /* "" = all; comma list of commands */
	char cmds_denied[CFG_STR_MAX];     /* comma list of commands */
	char user_sub_token[CFG_NAME_MAX]; /* replaced by the user in local_root */
	bool force_dot_files;              /* LIST shows dot files without -a */
	bool delete_failed_uploads;        /* remove what a failed upload created */
	bool mdtm_write;                   /* NO: MFMT refused (time changes) */
	unsigned delay_successful_login;   /* seconds before a login's 230 */
	unsigned chown_upload_mode;        /* mode of chown_uploads' files */
	bool allow_writeable_chroot;
	/* accepted, no effect in ftpsd (the note says what replaces them) */
	bool tcp_wrappers;
	bool one_process_model;
	bool session_support;
	bool background;
	bool isolate;
	bool ptrace_sandbox;
	bool use_sendfile;
	bool no_log_lock;
	bool async_abor_enable;
	bool check_shell;
	bool allow_anon_ssl;
	bool ssl_sslv2;
	bool ssl_sslv3;
	bool ssl_tlsv1;
	bool ssl_tlsv1_1;
	bool ssl_tlsv1_2;
	bool ssl_request_cert;
	bool strict_ssl_read_eof;
	bool strict_ssl_write_shutdown;
	bool debug_ssl;
	bool pasv_addr_resolve;
	bool reverse_lookup_enable;
	bool utf8_filesystem;
	bool ftp_enable;
	bool http_enable;
	bool run_as_launching_user;
	char dsa_cert_file[CFG_STR_MAX];
	char dsa_private_key_file[CFG_STR_MAX];
	char dh_param_file[CFG_STR_MAX];
	char ecdh_param_file[CFG_STR_MAX];
	/* accepted, not implemented yet: a value that asks for the feature is
	 * a warning (or, where ignoring it would weaken security, an error) */
	bool dirmessage_enable;
	char message_file[CFG_NAME_MAX];
	bool xferlog_std_format; /* NO: vsftpd's format, vsftpd_log_file */
	char vsftpd_log_file[CFG_STR_MAX];
	bool dual_log_enable; /* both logs */
	char banner_file[CFG_STR_MAX];
	/* Not a key: banner_file's text, read by config_read_files (the
	 * pre-login engine that sends it cannot open files). */
	char banner_text[CFG_BANNER_MAX];
	bool ls_recurse_enable;
	bool no_anon_password;
	bool lock_upload_files;
	bool text_userdb_names;
	bool passwd_chroot_enable;
	bool tilde_user_enable;
	bool setproctitle_enable;
	bool port_promiscuous;
	bool userlist_log;
	bool deny_email_enable;
	char banned_email_file[CFG_STR_MAX];
	bool secure_email_list_enable;
	char email_password_file[CFG_STR_MAX];
	char deny_file[CFG_STR_MAX];
	char hide_file[CFG_STR_MAX];
	unsigned local_max_rate; /* bytes per second; 0 = unlimited */
	unsigned anon_max_rate;
	unsigned trans_chunk_size;
};

struct cfg_vhost {
	char name[CFG_NAME_MAX]; /* "default" for the global section */
	struct cfg_settings set;
	/* Per tunable, the line that set it (in this section, else in the
	 * global section); 0 = default. For messages about values. */
	unsigned key_line[CFG_MAX_TUNABLES];
};

struct ftpsd_config {
	char path[CFG_STR_MAX];
	struct cfg_settings global;
	/* When the file has no [vhost] section, vhosts[0] is the global section
	 * under the name "default". */
	struct cfg_vhost vhosts[CFG_MAX_VHOSTS];
	size_t nvhosts;
};

/* Fill every field with its default value. */
void config_set_defaults(struct cfg_settings *s);

/* Parse PATH into CFG. Every problem is written to ERR as
 * "file:line: message" (one line each). Returns the number of errors
 * (0 = usable config); -1 if the file cannot be opened (reported too). */
int config_load(struct ftpsd_config *cfg, const char *path, FILE *err);

/* Same as config_load but from a string; NAME is used in messages. For tests. */
int config_load_string(struct ftpsd_config *cfg, const char *name, const char *text, FILE *err);

/* Checks that need the file system or user database (nopriv_user exists,
 * cert files readable, ...). Reports like config_load; returns error count.
 * Warnings are printed with "warning:" and not counted. */
int config_check_environment(const struct ftpsd_config *cfg, FILE *err);

/* Read what keys name and the sandboxed processes cannot open themselves
 * (banner_file) into CFG. Reports like config_load; returns error count. */
int config_read_files(struct ftpsd_config *cfg, FILE *err);

/* Print the effective configuration: global keys, then each vhost's
 * values that differ from the global ones, in config file syntax. */
void config_dump(const struct ftpsd_config *cfg, FILE *out);

/* Apply a per-user file (user_config_dir) of key=value lines onto BASE,
 * into SET (which may be BASE): only per-vhost keys, no sections. All or
 * nothing: SET is written only when the whole file is good, so a caller
 * without a file keeps pointing at BASE and never writes a copy. Problems
 * go to ERR as "file:line: message". Returns the number of problems, -1 if
 * the file cannot be opened (errno kept; nothing reported, as a missing
 * file is normal). */
int config_apply_user_file(struct cfg_settings *set, const struct cfg_settings *base,
			   const char *path, FILE *err);

/* The table of tunables, walked by tools (config/vsftpd_import.c): keys
 * are numbered 0..config_key_count()-1 in `ftpsd -T` order. */
size_t config_key_count(void);
/* NAME's number, or config_key_count() for an unknown key. */
size_t config_key_index(const char *name);
const char *config_key_name(size_t i);
bool config_key_global(size_t i);
/* false for vsftpd's keys that ftpsd accepts and ignores */
bool config_key_has_effect(size_t i);
bool config_key_is_default(size_t i, const struct cfg_settings *s);
bool config_key_equal(size_t i, const struct cfg_settings *a, const struct cfg_settings *b);
/* "key=value\n" lines as the parser reads them back. */
void config_key_print(size_t i, const struct cfg_settings *s, FILE *out);
/* Parse VALUE into key I of S (the table's checks of the type only). */
int config_key_set(size_t i, struct cfg_settings *s, const char *value, char *why, size_t whysize);

/* The transfer logs vsftpd's keys ask for: wu-ftpd's xferlog in
 * xferlog_file, vsftpd's own lines in vsftpd_log_file, or both. */
static inline bool cfg_logs_xferlog(const struct cfg_settings *s)
{
	return (s->xferlog_enable && s->xferlog_std_format) || s->dual_log_enable;
}

static inline bool cfg_logs_vsftpd(const struct cfg_settings *s)
{
	return (s->xferlog_enable && !s->xferlog_std_format) || s->dual_log_enable;
}

/* pasv_address=auto: learned from the gateway by the NAT helper
 * (natmap/), not resolved as a DNS name. */
static inline bool cfg_pasv_address_auto(const struct cfg_settings *s)
{
	return s->pasv_address[0] == 'a' && __builtin_strcmp(s->pasv_address, "auto") == 0;
}

/* May a vhost with SET listen where an earlier one does? Then something
 * else selects it there: a name (server_name, for HOST and TLS SNI) or a
 * trusted proxy's header (proxy_destination). */
static inline bool cfg_may_share_address(const struct cfg_settings *s)
{
	return s->server_name[0] || s->proxy_destination[0];
}

#endif
