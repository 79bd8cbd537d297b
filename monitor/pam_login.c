#include "monitor/pam_login.h"

#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/crypt_once.h"

struct conv_data {
	const char *user;
	const char *pass;
};

static void free_responses(struct pam_response *r, int n)
{
	for (int i = 0; i < n; i++) {
		if (r[i].resp) {
			explicit_bzero(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	}
	free(r);
}

/* Answers every password prompt with the password the client sent and
 * every visible prompt with the user name; messages need no answer. */
static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *appdata)
{
	const struct conv_data *d = appdata;
	struct pam_response *r;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		const char *answer = NULL;
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			answer = d->pass;
		else if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			answer = d->user;
		if (answer && !(r[i].resp = strdup(answer))) {
			free_responses(r, n);
			return PAM_BUF_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static int conv_refuse(int n, const struct pam_message **msg, struct pam_response **resp,
		       void *appdata)
{
	(void)n;
	(void)msg;
	(void)resp;
	(void)appdata;
	return PAM_CONV_ERR;
}

static const struct pam_conv refusing_conv = { .conv = conv_refuse };

/* pam_unix adds its own ~2 s delay after a failure; the monitor applies
 * delay_failed_login itself, so the operator's number is the only one. */
static void no_fail_delay(int retval, unsigned usec_delay, void *appdata)
{
	(void)retval;
	(void)usec_delay;
	(void)appdata;
}

static int fail(struct pam_login *l, int rc, const char *step, char *reason, size_t size)
{
	snprintf(reason, size, "%s: %s", step, pam_strerror(l->pamh, rc));
	pam_login_close(l);
	return -1;
}

int pam_login_open(struct pam_login *l, const char *service, const char *user, const char *pass,
		   const char *rhost, char *reason, size_t reason_size)
{
	struct conv_data data = { .user = user, .pass = pass };
	struct pam_conv pc = { .conv = conv, .appdata_ptr = &data };
	const void *item = NULL;
	int rc;

	memset(l, 0, sizeof(*l));
	rc = pam_start(service, user, &pc, &l->pamh);
	if (rc != PAM_SUCCESS) {
		snprintf(reason, reason_size, "pam_start: %s", pam_strerror(l->pamh, rc));
		l->pamh = NULL;
		return -1;
	}
	if ((rc = pam_set_item(l->pamh, PAM_RHOST, rhost)) != PAM_SUCCESS ||
	    (rc = pam_set_item(l->pamh, PAM_TTY, "ftp")) != PAM_SUCCESS ||
	    (rc = pam_set_item(l->pamh, PAM_FAIL_DELAY, (const void *)no_fail_delay)) !=
		    PAM_SUCCESS)
		return fail(l, rc, "pam_set_item", reason, reason_size);
	rc = pam_authenticate(l->pamh, PAM_DISALLOW_NULL_AUTHTOK);
	crypt_once_forget();
	if (rc != PAM_SUCCESS)
		return fail(l, rc, "auth", reason, reason_size);
	/* The password is not needed past this point; do not let the
	 * handle (inherited by later forks) keep it. */
	pam_set_item(l->pamh, PAM_AUTHTOK, NULL);
	if ((rc = pam_acct_mgmt(l->pamh, 0)) != PAM_SUCCESS)
		return fail(l, rc, "account", reason, reason_size);
	if ((rc = pam_setcred(l->pamh, PAM_ESTABLISH_CRED)) != PAM_SUCCESS)
		return fail(l, rc, "setcred", reason, reason_size);
	l->cred_set = true;
	if ((rc = pam_open_session(l->pamh, 0)) != PAM_SUCCESS)
		return fail(l, rc, "session", reason, reason_size);
	l->session_open = true;
	if (pam_get_item(l->pamh, PAM_USER, &item) != PAM_SUCCESS || !item ||
	    strlen(item) >= sizeof(l->user))
		return fail(l, PAM_USER_UNKNOWN, "user", reason, reason_size);
	memcpy(l->user, item, strlen(item) + 1);
	/* The conversation points at DATA on this stack, gone once we
	 * return: closing the session later must not reach it. */
	pam_set_item(l->pamh, PAM_CONV, &refusing_conv);
	return 0;
}

void pam_login_close(struct pam_login *l)
{
	if (!l->pamh)
		return;
	if (l->session_open)
		pam_close_session(l->pamh, 0);
	if (l->cred_set)
		pam_setcred(l->pamh, PAM_DELETE_CRED);
	pam_end(l->pamh, PAM_SUCCESS);
	memset(l, 0, sizeof(*l));
}

void pam_login_forget(struct pam_login *l)
{
	/* Nothing to forget (an engine forked before the login): its pages
	 * stay untouched, and so shared. */
	if (l->pamh || l->cred_set || l->session_open || l->user[0])
		memset(l, 0, sizeof(*l));
}
