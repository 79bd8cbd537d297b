/* Working directory commands. The engine's idea of the working directory
 * is s->eng.cwd; chdir keeps the kernel's in step and checks permission. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/commands.h"
#include "engine/fsops.h"
#include "engine/path.h"
#include "engine/perm.h"

int cmd_pwd(struct session *s, const char *arg)
{
	char quoted[SESSION_PATH_MAX * 2 + 1];

	(void)arg;
	path_quote(quoted, sizeof(quoted), s->eng.cwd);
	return ctrl_reply(&s->ctrl, 257, "\"%s\" is the current directory", quoted);
}

/* FNV-1a: the directories seen need no more than telling apart. */
static uint64_t path_hash(const char *p)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

/* True the first time DIR is asked about in this session. Past
 * SESSION_MESSAGES_MAX directories every one counts as new: a message
 * shown twice is better than one never shown. */
static bool first_visit(struct session *s, const char *dir)
{
	uint64_t h = path_hash(dir);

	for (unsigned i = 0; i < s->eng.nmessage_seen; i++)
		if (s->eng.message_seen[i] == h)
			return false;
	if (s->eng.nmessage_seen < SESSION_MESSAGES_MAX)
		s->eng.message_seen[s->eng.nmessage_seen++] = h;
	return true;
}

/* vsftpd's dirmessage_enable: the directory's message_file, at most
 * MESSAGE_MAX bytes of it, into BUF, the first time the session enters
 * DIR. Returns its length, 0 when none. */
#define MESSAGE_MAX 4096
static size_t read_dir_message(struct session *s, const char *dir, char *buf)
{
	char path[SESSION_PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	if (!s->given.set->dirmessage_enable ||
	    path_resolve(path, sizeof(path), dir, s->given.set->message_file) < 0 ||
	    !first_visit(s, dir))
		return 0;
	/* Non-blocking: a FIFO named .message must not hang the session. */
	if (!fs_ok(fsops_open_regular(path, &fd, &st)))
		return 0;
	n = read(fd, buf, MESSAGE_MAX);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

static int change_dir(struct session *s, const char *arg)
{
	char message[MESSAGE_MAX];
	size_t mlen;
	char target[SESSION_PATH_MAX];
	struct fs_result r = perm_resolve(s, arg, target, sizeof(target));

	if (!fs_ok(r))
		return fs_reply(s, FS_FOR_CHANGE, 550, r);
	/* vsftpd's text whatever the reason: CWD tells no more than that. */
	if (!fs_ok(fsops_chdir(target)))
		return ctrl_reply(&s->ctrl, 550, "Failed to change directory.");
	memcpy(s->eng.cwd, target, strlen(target) + 1);
	mlen = read_dir_message(s, target, message);
	if (mlen > 0)
		return ctrl_reply_text(&s->ctrl, 250, message, mlen,
				       "Directory successfully changed.");
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
