/* PAM, run by the monitor: authenticate, check the account, establish
 * credentials and open the session; close it when the session ends. */
#ifndef FTPSD_PRIVSEP_PAM_LOGIN_H
#define FTPSD_PRIVSEP_PAM_LOGIN_H

#include <stdbool.h>
#include <stddef.h>

struct pam_handle;

struct pam_login {
	struct pam_handle *pamh;
	bool cred_set;
	bool session_open;
	char user[256]; /* PAM_USER after authentication (modules may map it) */
};

/* Run auth, account, setcred and open_session for USER/PASS. Returns 0 on
 * success (L holds an open session) or -1 with a short reason for the log
 * in REASON. Nothing is left open on failure. */
int pam_login_open(struct pam_login *l, const char *service, const char *user, const char *pass,
		   const char *rhost, char *reason, size_t reason_size);

/* Close the session and credentials, end the handle. Safe to call twice. */
void pam_login_close(struct pam_login *l);

/* In a child about to become something else: forget the handle without
 * closing the session (the parent will close it). */
void pam_login_forget(struct pam_login *l);

#endif
