#include "engine/perm.h"
#include "engine/namefilter.h"
#include "engine/tilde.h"

#include <unistd.h>

#include "privsep/client.h"
#include "privsep/proto.h"

bool perm_upload(const struct session *s)
{
	return s->given.set->write_enable &&
	       (!s->login.anon_privs || s->given.set->anon_upload_enable);
}

bool perm_mkdir(const struct session *s)
{
	return s->given.set->write_enable &&
	       (!s->login.anon_privs || s->given.set->anon_mkdir_write_enable);
}

bool perm_modify(const struct session *s)
{
	return s->given.set->write_enable &&
	       (!s->login.anon_privs || s->given.set->anon_other_write_enable);
}

int perm_chown_upload(struct session *s, int fd)
{
	uint32_t status;

	if (!s->login.anonymous || !s->given.set->chown_uploads)
		return 0;
	if (priv_ask_chown_upload(s->priv_fd, fd, &status) < 0)
		_exit(1); /* the monitor is gone or broken */
	return status == 0 ? 0 : -1;
}

bool perm_name_denied(const struct session *s, const char *path)
{
	return namefilter_match(s->given.set->deny_file, path);
}

struct fs_result perm_resolve(const struct session *s, const char *arg, char *out, size_t size)
{
	if (tilde_resolve(s, out, size, arg) < 0)
		return fs_because(FS_PATHMAX);
	if (perm_name_denied(s, out))
		return fs_because(FS_DENIED);
	return fs_because(FS_OK);
}
