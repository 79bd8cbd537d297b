/* LIST -R (engine/list_recurse.h). The subdirectories of one directory
 * are collected (names only) before any is entered, so at most
 * RECURSE_DEPTH_MAX directory streams are open at once. */
#include "engine/list_recurse.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/fsops.h"
#include "engine/namefilter.h"
#include "engine/perm.h"

struct recurse {
	const struct session *s;
	enum listing_kind kind;
	const struct listing_opts *opts;
	listing_emit_fn emit;
	void *ctx;
	unsigned dirs; /* entered so far */
};

struct names {
	char **v;
	size_t n, cap;
};

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

static int names_add(struct names *ns, const char *name)
{
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 16;
		char **v = realloc(ns->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		ns->v = v;
		ns->cap = cap;
	}
	if ((ns->v[ns->n] = strdup(name)) == NULL)
		return -1;
	ns->n++;
	return 0;
}

/* Would the listing show NAME, and is it a directory (not a link to one)? */
static bool enters(const struct recurse *r, DIR *d, const struct dirent *e)
{
	struct stat st;

	if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
		return false;
	if (e->d_name[0] == '.' && !r->opts->show_hidden && !r->opts->dot_files)
		return false;
	if (r->opts->hide && namefilter_match(r->opts->hide, e->d_name))
		return false;
	if (e->d_type != DT_UNKNOWN)
		return e->d_type == DT_DIR;
	return fs_ok(fsops_stat_at(dirfd(d), e->d_name, &st, false)) && S_ISDIR(st.st_mode);
}

/* The subdirectories of PATH to enter, at most what the budget leaves. */
static int subdirs(const struct recurse *r, const char *path, struct names *ns)
{
	struct dirent *e;
	DIR *d;

	if (!fs_ok(fsops_dir_open(path, &d)))
		return 0; /* its header said where; nothing under it */
	/* A read error ends the list: what was read is entered, as ls -R. */
	while (fs_ok(fsops_dir_read(d, &e)) && e != NULL && r->dirs + ns->n <= RECURSE_DIRS_MAX) {
		if (enters(r, d, e) && names_add(ns, e->d_name) < 0) {
			fsops_dir_close(d);
			errno = ENOMEM;
			return -1;
		}
	}
	fsops_dir_close(d);
	return 0;
}

static int header(const struct recurse *r, const char *path)
{
	char line[SESSION_PATH_MAX + 8];
	int n = snprintf(line, sizeof(line), "\r\n%s:\r\n", path);

	if (n < 0 || (size_t)n >= sizeof(line))
		return 0; /* cannot be: the path fits SESSION_PATH_MAX */
	return r->emit(r->ctx, line, (size_t)n) < 0 ? -2 : 0;
}

static int descend(struct recurse *r, const char *path, unsigned depth)
{
	struct names ns = { NULL, 0, 0 };
	int rc = subdirs(r, path, &ns);

	for (size_t i = 0; i < ns.n && rc == 0; i++) {
		char child[SESSION_PATH_MAX];
		int n = snprintf(child, sizeof(child), "%s%s%s", path,
				 strcmp(path, "/") == 0 ? "" : "/", ns.v[i]);

		if (n < 0 || (size_t)n >= sizeof(child) || perm_name_denied(r->s, child))
			continue;
		if (++r->dirs > RECURSE_DIRS_MAX || depth >= RECURSE_DEPTH_MAX) {
			errno = E2BIG;
			rc = -1;
			break;
		}
		rc = header(r, child);
		if (rc == 0) {
			rc = listing_write(child, r->kind, r->opts, r->emit, r->ctx);
			if (rc == -1)
				rc = 0; /* unreadable: the header alone, as ls -R */
		}
		if (rc == 0)
			rc = descend(r, child, depth + 1);
	}
	names_free(&ns);
	return rc;
}

int list_recurse_write(const struct session *s, const char *path, enum listing_kind kind,
		       const struct listing_opts *opts, listing_emit_fn emit, void *ctx)
{
	struct recurse r = { s, kind, opts, emit, ctx, 0 };
	struct stat st;
	int rc = listing_write(path, kind, opts, emit, ctx);

	if (rc != 0 || !fs_ok(fsops_stat(path, &st)) || !S_ISDIR(st.st_mode))
		return rc;
	return descend(&r, path, 1);
}
