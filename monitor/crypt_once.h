/* The monitor's crypt_r (crypt_once.c): the C library's, except that
 * asking it the same thing twice in a row costs one hash, not two.
 *
 * pam_unix of Linux-PAM 1.5.2 (Debian 12) verifies a password with
 * x_strdup(crypt_r(p, hash, cdata)), and x_strdup is a macro that
 * evaluates its argument twice: every password is hashed twice, and with
 * Debian's default yescrypt that is 15 ms of CPU a login for nothing
 * (bench/README.md, *The password hashed once*). The ftpsd binary exports
 * its own crypt_r (the Makefile), so a PAM module's call comes here:
 * the next call with the same passphrase, setting and data, whose output
 * the data still holds, returns that output without hashing again, and
 * the answer is then forgotten. The passphrase is kept only as an HMAC
 * under a key of this process. */
#ifndef FTPSD_MONITOR_CRYPT_ONCE_H
#define FTPSD_MONITOR_CRYPT_ONCE_H

/* Wipe the remembered answer: after an authentication, nothing of the
 * password stays behind. */
void crypt_once_forget(void);

#endif
