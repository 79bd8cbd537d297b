/* LIST -R and NLST -R (vsftpd's ls_recurse_enable): a directory's listing,
 * then each subdirectory's under a "PATH:" header, depth first. */
#ifndef FTPSD_LIST_RECURSE_H
#define FTPSD_LIST_RECURSE_H

#include "engine/listing.h"
#include "engine/session.h"

/* At most this many subdirectories in one listing, this many levels deep:
 * a recursive listing of a mirror's root must not become a denial of
 * service (the reason vsftpd's default is NO). */
#define RECURSE_DIRS_MAX 4096
#define RECURSE_DEPTH_MAX 32

/* List PATH (a real path, as listing_write takes it) and the directories
 * under it. Symbolic links are not followed; a directory the session may
 * not see (deny_file, hide_file, dot names without -a) is not entered,
 * nor is one that cannot be read (a header and nothing else, as ls -R
 * prints an error). Returns what listing_write returns; -1 with E2BIG
 * when a bound was reached (what fit was sent). */
int list_recurse_write(const struct session *s, const char *path, enum listing_kind kind,
		       const struct listing_opts *opts, listing_emit_fn emit, void *ctx);

#endif
