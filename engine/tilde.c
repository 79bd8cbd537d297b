/* The tilde forms of client paths (engine/tilde.h). */
#include "engine/tilde.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "engine/path.h"

int tilde_split(const char *arg, char *user, size_t usersize, const char **rest)
{
	size_t n;

	if (arg[0] != '~')
		return -1;
	n = strcspn(arg + 1, "/");
	if (n >= usersize)
		return -1;
	memcpy(user, arg + 1, n);
	user[n] = '\0';
	*rest = arg + 1 + n;
	return 0;
}

/* The directory "~USER" stands for, or NULL when there is none to use. */
static const char *tilde_home(const struct session *s, const char *user)
{
	struct passwd *pw;

	if (user[0] == '\0')
		return s->login.home[0] ? s->login.home : NULL;
	if (!s->given.set->tilde_user_enable)
		return NULL;
	/* NSS is "files" only (monitor/become_user): /etc/passwd as the
	 * session sees it, or nothing. */
	pw = getpwnam(user);
	return pw && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
}

int tilde_resolve(const struct session *s, char *out, size_t size, const char *arg)
{
	char user[256], expanded[SESSION_PATH_MAX];
	const char *rest, *home;
	int n;

	if (tilde_split(arg, user, sizeof(user), &rest) < 0 || (home = tilde_home(s, user)) == NULL)
		return path_resolve(out, size, s->eng.cwd, arg);
	n = snprintf(expanded, sizeof(expanded), "%s%s", home, rest);
	if (n < 0 || (size_t)n >= sizeof(expanded))
		return -1;
	return path_resolve(out, size, s->eng.cwd, expanded);
}
