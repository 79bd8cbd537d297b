/* SITE CHMOD / UMASK / HELP, and HELP. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "engine/args.h"
#include "engine/commands.h"
#include "engine/fsops.h"
#include "engine/path.h"
#include "engine/perm.h"

/* SITE CHMOD mode path. Permission bits only: a set-uid, set-gid or
 * sticky bit is refused (550), never set. */
static int site_chmod(struct session *s, const char *arg)
{
	const char *space = strchr(arg, ' ');
	char path[SESSION_PATH_MAX];
	struct fs_result r;
	unsigned mode;

	if (!perm_modify(s) || !s->given.set->chmod_enable)
		return ctrl_reply(&s->ctrl, 550, "Permission denied.");
	if (!space || !space[1] || args_parse_octal(arg, (size_t)(space - arg), 07777, &mode) < 0)
		return ctrl_reply(&s->ctrl, 501, "Syntax: SITE CHMOD <octal mode> <path>.");
	if (mode & ~0777u)
		return ctrl_reply(
			&s->ctrl, 550,
			"SITE CHMOD: set-uid, set-gid and sticky bits are not allowed (mode 0 to 0777).");
	r = perm_resolve(s, space + 1, path, sizeof(path));
	if (!fs_ok(r))
		return fs_reply(s, FS_FOR_CHANGE, 550, r);
	if (!fs_ok(fsops_chmod(path, (mode_t)mode)))
		return ctrl_reply(&s->ctrl, 550, "SITE CHMOD command failed.");
	return ctrl_reply(&s->ctrl, 200, "SITE CHMOD command ok.");
}

/* SITE UMASK [mode]: without a mode, show it. */
static int site_umask(struct session *s, const char *arg)
{
	unsigned mask;
	mode_t old;

	if (!arg[0]) {
		old = umask(0);
		umask(old);
		return ctrl_reply(&s->ctrl, 200, "Your current UMASK is %04o", (unsigned)old);
	}
	if (!perm_modify(s))
		return ctrl_reply(&s->ctrl, 550, "Permission denied.");
	if (args_parse_octal(arg, strlen(arg), 0777, &mask) < 0)
		return ctrl_reply(&s->ctrl, 501, "Syntax: SITE UMASK <octal mask>.");
	umask((mode_t)mask);
	return ctrl_reply(&s->ctrl, 200, "UMASK set to %04o", mask);
}

int cmd_site(struct session *s, const char *arg)
{
	const char *space = strchr(arg, ' ');
	size_t n = space ? (size_t)(space - arg) : strlen(arg);
	const char *rest = space ? space + 1 : "";

	bool chmod_cmd = n == 5 && strncasecmp(arg, "CHMOD", 5) == 0;
	bool umask_cmd = n == 5 && strncasecmp(arg, "UMASK", 5) == 0;

	/* Anonymous sessions (and guests with anonymous rights) share one
	 * account for every upload: no mode changes at all (as vsftpd). */
	if ((chmod_cmd || umask_cmd) && s->login.anon_privs)
		return ctrl_reply(&s->ctrl, 550, "Permission denied.");
	if (chmod_cmd)
		return site_chmod(s, rest);
	if (umask_cmd)
		return site_umask(s, rest);
	if (n == 4 && strncasecmp(arg, "HELP", 4) == 0)
		return ctrl_reply(&s->ctrl, 214, "CHMOD UMASK HELP");
	return ctrl_reply(&s->ctrl, 500, "Unknown SITE command.");
}

/* HELP: the commands of the table that are implemented, eight a line. */
int cmd_help(struct session *s, const char *arg)
{
	char text[2048];
	size_t off = 0;
	unsigned col = 0;
	const struct command *c;

	if (arg[0]) {
		char verb[16];
		size_t i;

		for (i = 0; arg[i] && i + 1 < sizeof(verb); i++)
			verb[i] = (char)(arg[i] >= 'a' && arg[i] <= 'z' ? arg[i] - 32 : arg[i]);
		verb[i] = '\0';
		c = command_find(verb);
		if (!c || c->handler == cmd_unsupported || arg[i])
			return ctrl_reply(&s->ctrl, 502, "Unknown command %.16s.", arg);
		return ctrl_reply(&s->ctrl, 214, "%s is supported%s.", c->name,
				  c->arg == ARG_REQUIRED ? " and takes an argument" : "");
	}
	off = (size_t)snprintf(text, sizeof(text),
			       "214-The following commands are recognized.\r\n");
	for (size_t i = 0; (c = command_at(i)) != NULL; i++) {
		int n;

		if (c->handler == cmd_unsupported || c->handler == cmd_proxy)
			continue;
		n = snprintf(text + off, sizeof(text) - off, "%s%-5s", col == 0 ? " " : " ",
			     c->name);
		if (n < 0 || (size_t)n >= sizeof(text) - off - 32)
			break;
		off += (size_t)n;
		if (++col == 8) {
			text[off++] = '\r';
			text[off++] = '\n';
			col = 0;
		}
	}
	if (col != 0) {
		text[off++] = '\r';
		text[off++] = '\n';
	}
	off += (size_t)snprintf(text + off, sizeof(text) - off, "214 Help OK.\r\n");
	return ctrl_write(&s->ctrl, text, off);
}
