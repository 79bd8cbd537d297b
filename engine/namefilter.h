/* vsftpd's deny_file and hide_file filters: one glob pattern, or several
 * in braces, "{*.mp3,*.mov,.private}", matched against each component of a
 * path (so a denied directory denies what is inside it too). */
#ifndef FTPSD_NAMEFILTER_H
#define FTPSD_NAMEFILTER_H

#include <stdbool.h>

/* True if a component of PATH matches an alternative of FILTER. An empty
 * FILTER matches nothing; a match too costly to finish counts as a match
 * (deny_file fails closed). */
bool namefilter_match(const char *filter, const char *path);

#endif
