/* Configuration: one table of tunables, parsed from an inih file into a
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
#define CFG_MAX_TUNABLES 128 /* room for the table in config.c */

/* Every tunable lives in this one struct. The global section fills one copy;
 * each [vhost NAME] section starts as a copy of the global values and
 * overrides what it names. Keys marked global-only in the table are refused
 * inside a vhost section. */
struct cfg_settings {
	/* global only */
	bool listen;             /* YES: standalone master; NO: inetd mode */
	char pid_file[CFG_STR_MAX];
	char log_file[CFG_STR_MAX]; /* "" = no log file */
	bool syslog_enable;
	char syslog_facility[CFG_NAME_MAX]; /* ftp, daemon, local0..local7... */
	char log_format[CFG_NAME_MAX];      /* text or json (log_file only) */
	bool xferlog_enable;
	char xferlog_file[CFG_STR_MAX];
	char nopriv_user[CFG_NAME_MAX];
	char secure_chroot_dir[CFG_STR_MAX];
	unsigned max_clients;    /* 0 = unlimited */
	bool log_ftp_protocol;   /* log every command and reply (debug) */
	bool seccomp_sandbox;    /* NO only for debugging: logs a warning */
	unsigned prefork_spares; /* sessions forked ahead of demand */
	bool isolate_network;    /* sandboxed processes in an empty netns */
	unsigned login_throttle_fails;  /* per address within the window; 0 = off */
	unsigned login_throttle_window; /* seconds */
	unsigned ipv6_client_prefix;    /* IPv6 clients counted per this prefix */

	/* per vhost (a global value is every vhost's default) */
	char listen_address[CFG_STR_MAX]; /* comma list of IPv4/IPv6 literals */
	unsigned listen_port;
	char ftpd_banner[CFG_STR_MAX];   /* "" = built-in banner */
	char pam_service_name[CFG_NAME_MAX];
	bool local_enable;
	bool write_enable;
	bool chroot_local_user;
	unsigned local_umask;            /* written and read in octal */
	bool pasv_enable;
	unsigned pasv_min_port;          /* 0 = kernel chooses */
	unsigned pasv_max_port;
	bool pasv_promiscuous;
	/* NAT (DESIGN §3): what PASV advertises, to whom. */
	char pasv_address[CFG_STR_MAX];  /* "" = none; IP literal or DNS name */
	unsigned pasv_address_refresh;   /* seconds between DNS lookups; 0 = once */
	char pasv_address_exempt[CFG_STR_MAX]; /* CIDR list, "private" */
	char pasv_address_rule[CFG_LIST_MAX];  /* "NETWORK ADDRESS" lines */
	bool pasv_port_fallback;         /* range exhausted: kernel port */
	unsigned pasv_port_offset;       /* advertised = bound + offset */
	char server_name[CFG_STR_MAX];   /* names for HOST and SNI, comma list */
	unsigned max_per_ip;             /* 0 = unlimited */
	/* Behind an L4 proxy (DESIGN §3): connections from proxy_trusted
	 * start with a PROXY header naming the real client. */
	bool proxy_protocol;
	char proxy_trusted[CFG_STR_MAX]; /* CIDR list of the proxies */
	bool proxy_protocol_data;        /* passive data connections carry one too */
	unsigned login_timeout;          /* seconds from connect to login; 0 = none */
	unsigned max_login_fails;
	unsigned delay_failed_login;     /* seconds */
	unsigned idle_session_timeout;   /* seconds */
	unsigned data_connection_timeout;/* seconds */
	unsigned accept_timeout;         /* seconds to wait for a data peer */
	bool hide_ids;
	bool atomic_uploads;             /* STOR to a temp name, rename on success */
	bool ssl_enable;
	char rsa_cert_file[CFG_STR_MAX];
	char rsa_private_key_file[CFG_STR_MAX];
	char ecdsa_cert_file[CFG_STR_MAX];
	char ecdsa_private_key_file[CFG_STR_MAX];
	unsigned implicit_ssl_port;      /* 0 = no implicit FTPS listener */
	bool require_ssl_reuse;          /* data TLS must resume the control session */
	bool force_local_logins_ssl;
	bool force_local_data_ssl;
	char ssl_min_protocol[CFG_NAME_MAX]; /* TLSv1.2 or TLSv1.3 */
	char ssl_ciphers[CFG_STR_MAX];       /* TLS <= 1.2, OpenSSL syntax */
	char ssl_ciphersuites[CFG_STR_MAX];  /* TLS 1.3 */
	char ca_certs_file[CFG_STR_MAX];     /* client certificate CAs */
	bool require_cert;                   /* ask for a client certificate */
	bool validate_cert;                  /* and refuse one that does not verify */

	/* active mode (engine/port.c, monitor/active.c) */
	bool port_enable;                /* PORT and EPRT allowed */
	bool connect_from_port_20;       /* active data from port 20 */
	unsigned connect_timeout;        /* seconds for an active connect */

	/* users (config/users.c) */
	char local_root[CFG_STR_MAX];    /* "" = home; "$USER" is replaced */
	bool chroot_list_enable;
	char chroot_list_file[CFG_STR_MAX];
	bool userlist_enable;
	bool userlist_deny;              /* YES: listed users refused; NO: only they may */
	char userlist_file[CFG_STR_MAX];
	bool anonymous_enable;
	char anon_root[CFG_STR_MAX];     /* "" = ftp_username's home */
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
};

struct cfg_vhost {
	char name[CFG_NAME_MAX];         /* "default" for the global section */
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
int config_load_string(struct ftpsd_config *cfg, const char *name,
		       const char *text, FILE *err);

/* Checks that need the file system or user database (nopriv_user exists,
 * cert files readable, ...). Reports like config_load; returns error count.
 * Warnings are printed with "warning:" and not counted. */
int config_check_environment(const struct ftpsd_config *cfg, FILE *err);

/* Print the effective configuration: global keys, then each vhost's
 * values that differ from the global ones, in config file syntax. */
void config_dump(const struct ftpsd_config *cfg, FILE *out);

/* Apply a per-user file (user_config_dir) of key=value lines onto SET:
 * only per-vhost keys, no sections. All or nothing: SET is changed only
 * when the whole file is good. Problems go to ERR as "file:line: message".
 * Returns the number of problems, -1 if the file cannot be opened (errno
 * kept; nothing reported, as a missing file is normal). */
int config_apply_user_file(struct cfg_settings *set, const char *path, FILE *err);

#endif
