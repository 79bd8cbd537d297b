/* Client paths with vsftpd's tilde forms: "~" and "~/x" are the login
 * directory (always, as in vsftpd); "~user/x" is USER's home with
 * tilde_user_enable, when the user database can be read where the session
 * is (outside a chroot, or a chroot with its own /etc/passwd). */
#ifndef FTPSD_TILDE_H
#define FTPSD_TILDE_H

#include <stddef.h>

#include "engine/session.h"

/* ARG resolved for S as path_resolve() does, after the tilde forms.
 * 0, or -1 if OUT is too small. */
int tilde_resolve(const struct session *s, char *out, size_t size, const char *arg);

/* "~alice/pub" -> USER "alice", *REST "/pub"; "~" and "~/x" -> USER "".
 * -1 when ARG is no tilde form (or the name does not fit). Pure. */
int tilde_split(const char *arg, char *user, size_t usersize, const char **rest);

#endif
