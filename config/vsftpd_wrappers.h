/* tcp_wrappers' per-client vsftpd configs (hosts.allow lines with
 * "setenv VSFTPD_LOAD_CONF FILE") as ftpsd settings, for the import. */
#ifndef FTPSD_VSFTPD_WRAPPERS_H
#define FTPSD_VSFTPD_WRAPPERS_H

#include <stddef.h>
#include <stdio.h>

#include "config/config.h"

/* Each vsftpd rule of the hosts.allow FILES, in order, onto SET (the
 * instance read from INSTANCE): an overlay's pasv_address becomes a
 * pasv_address_rule for the rule's clients; what has no per-client form
 * in ftpsd is said on ERR. Returns the number of problems that stop the
 * import (an unreadable file, a bad overlay). */
int wrappers_apply(struct cfg_settings *set, const char *instance, const char *const *files,
		   size_t nfiles, FILE *err);

/* One hosts.allow client pattern ("192.168.1.", "10.0.0.0/255.0.0.0",
 * "[2001:db8::]/32", "ALL") as a pasv_address_rule network into OUT.
 * Pure, unit-tested. 0, or -1 when ftpsd has no form for it (names,
 * EXCEPT, wildcards). */
int wrappers_client_network(const char *pattern, char *out, size_t size);

#endif
