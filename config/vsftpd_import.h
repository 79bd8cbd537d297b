/* ftpsd --import-vsftpd: vsftpd.conf files into one ftpsd.conf. */
#ifndef FTPSD_VSFTPD_IMPORT_H
#define FTPSD_VSFTPD_IMPORT_H

#include <stddef.h>
#include <stdio.h>

/* FILES are vsftpd.conf files, one per vsftpd instance (a LAN and a WAN
 * instance are two files), and hosts.allow files whose
 * VSFTPD_LOAD_CONF overlays apply to the instances that set
 * tcp_wrappers=YES. Writes one ftpsd.conf with a [vhost] per instance to
 * OUT, and to ERR every problem as "file:line: message" and what changes
 * in meaning. Returns the number of problems that make OUT unusable
 * (0 = OUT is complete). */
int vsftpd_import(const char *const *files, size_t nfiles, FILE *out, FILE *err);

#endif
