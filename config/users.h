/* Who a login becomes: local users, guests (a PAM-authenticated name mapped
 * to one account) and anonymous FTP, with vsftpd's rules for roots, chroot
 * lists and user lists. Used by the monitor; the list and root rules are
 * pure functions of the settings and file contents. */
#ifndef FTPSD_PRIVSEP_USERS_H
#define FTPSD_PRIVSEP_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/config.h"

#define USERS_NAME_MAX 256
#define USERS_PATH_MAX 4096

enum users_kind { USERS_LOCAL = 1, USERS_GUEST, USERS_ANON };

struct users_account {
	enum users_kind kind;
	char login[USERS_NAME_MAX];   /* the name the client logged in with */
	char account[USERS_NAME_MAX]; /* the system account it runs as */
	uid_t uid;
	gid_t gid;
	bool chroot;
	char root[USERS_PATH_MAX];     /* chroot here when CHROOT */
	char work_dir[USERS_PATH_MAX]; /* start here ("/" inside the chroot) */
	unsigned umask;
	bool anon_privs; /* anon_* keys decide what may be written */
};

/* "anonymous" or "ftp", any case (vsftpd's names). */
bool users_is_anon_name(const char *name);

/* Is NAME a line of the text TEXT (one name per line, surrounding blanks
 * ignored, '#' comments)? */
bool users_list_has(const char *text, const char *name);

/* Does the file PATH list NAME? -1 when it cannot be read (errno). */
int users_file_has(const char *path, const char *name);

/* userlist_enable: may NAME log in? A user list that cannot be read
 * refuses everybody (fail closed); *WHY says why for the log. */
bool users_userlist_allows(const struct cfg_settings *set, const char *name, const char **why);

/* vsftpd's checks of an anonymous password (the e-mail address given):
 * deny_email_enable refuses those in banned_email_file,
 * secure_email_list_enable admits only those in email_password_file. A
 * list that cannot be read refuses (fail closed); *WHY says why. */
bool users_anon_password_ok(const struct cfg_settings *set, const char *password, const char **why);

/* TMPL with every "$USER" replaced by USER. -1 if it does not fit. */
int users_expand(char *out, size_t size, const char *tmpl, const char *user);

/* passwd_chroot_enable: a "/./" in HOME marks the chroot point:
 * "/home/./ftp/alice" is the root "/home" and the start "/ftp/alice".
 * false (and nothing written) when HOME has none or a part does not fit. */
bool users_split_chroot(const char *home, char *root, size_t rootsize, char *start,
			size_t startsize);

/* Fill A for a login of KIND by LOGIN (for local users, the name PAM
 * settled on), from SET. 0, or -1 with a reason for the log in WHY. */
int users_resolve(const struct cfg_settings *set, enum users_kind kind, const char *login,
		  struct users_account *a, char *why, size_t whysize);

/* Path of LOGIN's file in user_config_dir, or -1 when there is none to
 * look for (no directory set, or a name that is not a plain file name). */
int users_config_path(const struct cfg_settings *set, const char *login, char *out, size_t size);

#endif
