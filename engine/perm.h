/* What a logged-in user may change. Local users (and guests with
 * virtual_use_local_privs) follow write_enable; anonymous users and guests
 * follow the anon_* keys as well, as in vsftpd. Commands that write ask
 * here instead of reading write_enable themselves. */
#ifndef FTPSD_PERM_H
#define FTPSD_PERM_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/fsops.h"
#include "engine/session.h"

bool perm_upload(const struct session *s); /* STOR, STOU, APPE */
bool perm_mkdir(const struct session *s);  /* MKD */
bool perm_modify(const struct session *s); /* DELE, RMD, RNFR/RNTO, SITE CHMOD, overwrite */

/* vsftpd's deny_file: PATH (resolved) may not be used at all. */
bool perm_name_denied(const struct session *s, const char *path);

/* A client's ARG resolved for S (engine/tilde.h) into OUT, and allowed by
 * deny_file: FS_OK, FS_PATHMAX (does not fit SIZE) or FS_DENIED. Every
 * command that names a path starts here. */
struct fs_result perm_resolve(const struct session *s, const char *arg, char *out, size_t size);

/* After creating an upload on FD: with chown_uploads, an anonymous
 * session asks the monitor to give the file to chown_username. 0 when
 * done or not needed, -1 when the monitor refused (the upload must fail). */
int perm_chown_upload(struct session *s, int fd);

#endif
