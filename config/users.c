#include "config/users.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define USERS_LIST_MAX (1024 * 1024)

bool users_is_anon_name(const char *name)
{
	return strcasecmp(name, "anonymous") == 0 || strcasecmp(name, "ftp") == 0;
}

bool users_list_has(const char *text, const char *name)
{
	size_t nlen = strlen(name);

	while (*text) {
		size_t len = strcspn(text, "\n");
		const char *line = text, *end;

		text += len + (text[len] == '\n');
		while (len && (*line == ' ' || *line == '\t'))
			line++, len--;
		end = line + len;
		while (end > line && strchr(" \t\r", end[-1]))
			end--;
		if (end == line || *line == '#')
			continue;
		if ((size_t)(end - line) == nlen && memcmp(line, name, nlen) == 0)
			return true;
	}
	return false;
}

int users_file_has(const char *path, const char *name)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	char *buf;
	size_t got = 0;
	bool has;

	if (fd < 0)
		return -1;
	buf = malloc(USERS_LIST_MAX + 1);
	if (!buf) {
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, USERS_LIST_MAX - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			free(buf);
			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0 || (got += (size_t)n) == USERS_LIST_MAX)
			break;
	}
	close(fd);
	buf[got] = '\0';
	/* A NUL inside would hide the names after it: refuse the file. */
	if (strlen(buf) != got) {
		free(buf);
		errno = EINVAL;
		return -1;
	}
	has = users_list_has(buf, name);
	free(buf);
	return has;
}

bool users_userlist_allows(const struct cfg_settings *set, const char *name, const char **why)
{
	int listed;

	*why = "";
	if (!set->userlist_enable)
		return true;
	listed = users_file_has(set->userlist_file, name);
	if (listed < 0) {
		*why = "userlist_file cannot be read";
		return false;
	}
	if (set->userlist_deny && listed) {
		*why = "in userlist_file (userlist_deny=YES)";
		return false;
	}
	if (!set->userlist_deny && !listed) {
		*why = "not in userlist_file (userlist_deny=NO)";
		return false;
	}
	return true;
}

int users_expand(char *out, size_t size, const char *tmpl, const char *user)
{
	size_t o = 0, ulen = strlen(user);

	for (const char *p = tmpl; *p;) {
		if (strncmp(p, "$USER", 5) == 0) {
			if (o + ulen >= size)
				return -1;
			memcpy(out + o, user, ulen);
			o += ulen;
			p += 5;
			continue;
		}
		if (o + 1 >= size)
			return -1;
		out[o++] = *p++;
	}
	if (o >= size)
		return -1;
	out[o] = '\0';
	return 0;
}

static int copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

/* The chroot list turns chroot_local_user around for the users it names. */
static int local_chroot(const struct cfg_settings *set, const char *user, bool *chroot, char *why,
			size_t whysize)
{
	int listed;

	*chroot = set->chroot_local_user;
	if (!set->chroot_list_enable)
		return 0;
	listed = users_file_has(set->chroot_list_file, user);
	if (listed < 0) {
		snprintf(why, whysize, "chroot_list_file %s: %s", set->chroot_list_file,
			 strerror(errno));
		return -1;
	}
	if (listed)
		*chroot = !*chroot;
	return 0;
}

int users_resolve(const struct cfg_settings *set, enum users_kind kind, const char *login,
		  struct users_account *a, char *why, size_t whysize)
{
	const char *account = kind == USERS_ANON    ? set->ftp_username
			      : kind == USERS_GUEST ? set->guest_username
						    : login;
	struct passwd *pw;
	char base[USERS_PATH_MAX];

	memset(a, 0, sizeof(*a));
	a->kind = kind;
	if (copy(a->login, sizeof(a->login), login) < 0 ||
	    copy(a->account, sizeof(a->account), account) < 0) {
		snprintf(why, whysize, "name too long");
		return -1;
	}
	pw = getpwnam(account);
	if (!pw) {
		snprintf(why, whysize, "no such account \"%s\"", account);
		return -1;
	}
	a->uid = pw->pw_uid;
	a->gid = pw->pw_gid;
	if (kind == USERS_ANON && set->anon_root[0]) {
		if (copy(base, sizeof(base), set->anon_root) < 0)
			goto too_long;
	} else if (kind != USERS_ANON && set->local_root[0]) {
		/* For a guest, $USER is the name it logged in with: one
		 * account, one directory per guest. */
		if (users_expand(base, sizeof(base), set->local_root, login) < 0)
			goto too_long;
	} else if (copy(base, sizeof(base), pw->pw_dir) < 0) {
		goto too_long;
	}
	if (base[0] != '/') {
		snprintf(why, whysize, "root \"%s\" is not an absolute path", base);
		return -1;
	}
	if (kind == USERS_LOCAL) {
		if (local_chroot(set, login, &a->chroot, why, whysize) < 0)
			return -1;
	} else {
		a->chroot = true; /* anonymous and guests are always locked in */
	}
	a->anon_privs = kind == USERS_ANON ||
			(kind == USERS_GUEST && !set->virtual_use_local_privs);
	a->umask = a->anon_privs ? set->anon_umask : set->local_umask;
	if (a->chroot && set->passwd_chroot_enable &&
	    users_split_chroot(base, a->root, sizeof(a->root), a->work_dir, sizeof(a->work_dir))) {
		return 0; /* vsftpd's "/./": the jail is above the home */
	} else if (a->chroot) {
		memcpy(a->root, base, strlen(base) + 1);
		memcpy(a->work_dir, "/", 2);
	} else {
		memcpy(a->work_dir, base, strlen(base) + 1);
	}
	return 0;
too_long:
	snprintf(why, whysize, "root directory path too long");
	return -1;
}

bool users_anon_password_ok(const struct cfg_settings *set, const char *password, const char **why)
{
	int listed;

	if (set->deny_email_enable) {
		listed = users_file_has(set->banned_email_file, password);
		if (listed != 0) {
			*why = listed < 0 ? "banned_email_file cannot be read"
					  : "a banned e-mail address (banned_email_file)";
			return false;
		}
	}
	if (set->secure_email_list_enable) {
		listed = users_file_has(set->email_password_file, password);
		if (listed != 1) {
			*why = listed < 0 ? "email_password_file cannot be read"
					  : "not in email_password_file";
			return false;
		}
	}
	return true;
}

bool users_split_chroot(const char *home, char *root, size_t rootsize, char *start,
			size_t startsize)
{
	const char *mark = strstr(home, "/./");
	size_t rlen, slen;

	if (mark == NULL)
		return false;
	rlen = mark == home ? 1 : (size_t)(mark - home); /* "/./x": root "/" */
	slen = strlen(mark + 2);                         /* "/ftp/alice" */
	if (rlen >= rootsize || slen + 1 >= startsize)
		return false;
	memcpy(root, home, rlen);
	root[rlen] = '\0';
	memcpy(start, mark + 2, slen + 1);
	if (slen == 1) /* "/srv/ftp/./": the start is the root */
		start[0] = '/';
	return true;
}

int users_config_path(const struct cfg_settings *set, const char *login, char *out, size_t size)
{
	int n;

	/* The name is the client's: it must not climb out of the directory. */
	if (!set->user_config_dir[0] || !login[0] || login[0] == '.' || strchr(login, '/'))
		return -1;
	n = snprintf(out, size, "%s/%s", set->user_config_dir, login);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}
