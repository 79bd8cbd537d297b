/* Working directory commands. The engine's idea of the working directory
 * is s->cwd; chdir keeps the kernel's in step and checks permission. */
#include <string.h>
#include <unistd.h>

#include "engine/commands.h"
#include "engine/path.h"

int cmd_pwd(struct session *s, const char *arg)
{
	char quoted[SESSION_PATH_MAX * 2 + 1];

	(void)arg;
	path_quote(quoted, sizeof(quoted), s->cwd);
	return ctrl_reply(&s->ctrl, 257, "\"%s\" is the current directory", quoted);
}

static int change_dir(struct session *s, const char *arg)
{
	char target[SESSION_PATH_MAX];

	if (path_resolve(target, sizeof(target), s->cwd, arg) < 0)
		return ctrl_reply(&s->ctrl, 550, "Path too long.");
	if (chdir(target) < 0)
		return ctrl_reply(&s->ctrl, 550, "Failed to change directory.");
	memcpy(s->cwd, target, strlen(target) + 1);
	return ctrl_reply(&s->ctrl, 250, "Directory successfully changed.");
}

int cmd_cwd(struct session *s, const char *arg)
{
	return change_dir(s, arg);
}

int cmd_cdup(struct session *s, const char *arg)
{
	(void)arg;
	return change_dir(s, "..");
}
