/* What a config meets on the machine. config_check_environment checks the
 * keys whose table row names a kind of check (enum cfg_env): files the
 * daemon must open, accounts that must exist, the PAM service, the empty
 * chroot directory. config_read_files reads what the sandboxed processes
 * cannot open themselves. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_internal.h"

#define CFG_PAM_DIR "/etc/pam.d/"

/* The line that set row K for vhost I (0 when it is a default). */
static unsigned cfg_env_line(const struct ftpsd_config *cfg, size_t i, size_t k)
{
	return cfg->vhosts[i].key_line[k];
}

__attribute__((format(printf, 4, 5))) static int
cfg_env_error(const struct ftpsd_config *cfg, FILE *err, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return 1;
	if (line)
		fprintf(err, "%s:%u: ", cfg->path, line);
	else
		fprintf(err, "%s: ", cfg->path);
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputc('\n', err);
	return 1;
}

static const char *cfg_env_value(const struct ftpsd_config *cfg, size_t i, size_t k)
{
	return cfg_cfield(&cfg_tunables[k], &cfg->vhosts[i].set);
}

/* Does vhost I use row K's value? An account only when what needs it is
 * on (an anonymous login, a chowned upload); everything else always. */
static bool cfg_env_wanted(const struct ftpsd_config *cfg, size_t i, size_t k)
{
	const struct cfg_tunable *t = &cfg_tunables[k];

	if (t->env != CFG_ENV_ACCOUNT || t->env_for == NULL)
		return true;
	return *(const bool *)((const char *)&cfg->vhosts[i].set + t->env_if);
}

/* True if an earlier vhost had row K checked with the same value: check
 * it once. */
static bool cfg_env_seen(const struct ftpsd_config *cfg, size_t i, size_t k)
{
	for (size_t j = 0; j < i; j++)
		if (cfg_env_wanted(cfg, j, k) &&
		    strcmp(cfg_env_value(cfg, j, k), cfg_env_value(cfg, i, k)) == 0)
			return true;
	return false;
}

/* Accounts the processes switch to: without them every anonymous or guest
 * login, or every chowned upload, would fail only when it happens. */
static int cfg_env_account(const struct ftpsd_config *cfg, FILE *err, size_t i, size_t k)
{
	const struct cfg_tunable *t = &cfg_tunables[k];
	const char *name = cfg_env_value(cfg, i, k);
	unsigned line = cfg_env_line(cfg, i, k);

	if (getpwnam(name) != NULL)
		return 0;
	if (t->env_for == NULL)
		return cfg_env_error(cfg, err, line, "%s \"%s\" does not exist", t->name, name);
	return cfg_env_error(cfg, err, line, "%s \"%s\" does not exist (%s need it)", t->name, name,
			     t->env_for);
}

/* The pre-login engine is chrooted here: nobody but root may plant files
 * in it. A missing directory is fine, the daemon creates it. */
static int cfg_env_root_dir(const struct ftpsd_config *cfg, FILE *err, size_t i, size_t k)
{
	const char *key = cfg_tunables[k].name;
	const char *dir = cfg_env_value(cfg, i, k);
	unsigned line = cfg_env_line(cfg, i, k);
	struct stat st;

	if (stat(dir, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return cfg_env_error(cfg, err, line, "%s %s: %s", key, dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return cfg_env_error(cfg, err, line, "%s %s is not a directory", key, dir);
	if (st.st_uid != 0)
		return cfg_env_error(cfg, err, line, "%s %s is not owned by root", key, dir);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return cfg_env_error(cfg, err, line, "%s %s is writable by group or others", key,
				     dir);
	return 0;
}

/* Opened, not access()ed: what counts is what the daemon itself can read.
 * O_NONBLOCK so that a FIFO given by mistake cannot hang the check. */
static int cfg_env_readable(const struct ftpsd_config *cfg, FILE *err, size_t i, size_t k)
{
	const char *file = cfg_env_value(cfg, i, k);
	int fd;

	if (file[0] == '\0')
		return 0;
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return cfg_env_error(cfg, err, cfg_env_line(cfg, i, k), "cannot read %s: %s", file,
				     strerror(errno));
	(void)close(fd); /* only opened to test: nothing to lose */
	return 0;
}

/* A warning, not counted: PAM falls back to its "other" service. */
static int cfg_env_pam(const struct ftpsd_config *cfg, FILE *err, size_t i, size_t k)
{
	char path[sizeof CFG_PAM_DIR + CFG_NAME_MAX];
	struct stat st;
	int n = snprintf(path, sizeof path, "%s%s", CFG_PAM_DIR, cfg_env_value(cfg, i, k));

	if (n < 0 || (size_t)n >= sizeof path || err == NULL)
		return 0;
	if (stat(path, &st) < 0)
		fprintf(err,
			"%s: warning: %s: %s (PAM will use its \"other\" "
			"service)\n",
			cfg->path, path, strerror(errno));
	return 0;
}

static int cfg_env_check(const struct ftpsd_config *cfg, FILE *err, size_t i, size_t k)
{
	switch (cfg_tunables[k].env) {
	case CFG_ENV_NONE: return 0;
	case CFG_ENV_READABLE: return cfg_env_readable(cfg, err, i, k);
	case CFG_ENV_PAM: return cfg_env_pam(cfg, err, i, k);
	case CFG_ENV_ACCOUNT: return cfg_env_account(cfg, err, i, k);
	case CFG_ENV_ROOT_DIR: return cfg_env_root_dir(cfg, err, i, k);
	}
	return 0;
}

/* Vhost I's global-only keys (GLOBAL) or its own, kind by kind. */
static int cfg_env_vhost(const struct ftpsd_config *cfg, FILE *err, size_t i, bool global)
{
	int errors = 0;

	for (enum cfg_env kind = CFG_ENV_READABLE; kind < CFG_ENV_KINDS; kind++)
		for (size_t k = 0; k < cfg_ntunables; k++)
			if (cfg_tunables[k].env == kind && cfg_tunables[k].global_only == global &&
			    cfg_env_wanted(cfg, i, k) && !cfg_env_seen(cfg, i, k))
				errors += cfg_env_check(cfg, err, i, k);
	return errors;
}

int config_check_environment(const struct ftpsd_config *cfg, FILE *err)
{
	/* A global-only key has the global value in every vhost: vhost 0's
	 * is checked, blamed on its line. */
	int errors = cfg_env_vhost(cfg, err, 0, true);

	for (size_t i = 0; i < cfg->nvhosts; i++)
		errors += cfg_env_vhost(cfg, err, i, false);
	return errors;
}

/* ---- files keys name ------------------------------------------------ */

/* banner_file into SET->banner_text, whole or not at all. */
static int cfg_read_banner(const struct ftpsd_config *cfg, size_t i, struct cfg_settings *set,
			   FILE *err)
{
	unsigned line = cfg_env_line(cfg, i, CFG_KEY(banner_file));
	char *buf = set->banner_text;
	size_t have = 0;
	ssize_t n;
	int fd;

	memset(buf, 0, sizeof set->banner_text);
	if (!set->banner_file[0])
		return 0;
	fd = open(set->banner_file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return cfg_env_error(cfg, err, line, "cannot read banner_file %s: %s",
				     set->banner_file, strerror(errno));
	while ((n = read(fd, buf + have, sizeof set->banner_text - have)) > 0 &&
	       (have += (size_t)n) < sizeof set->banner_text)
		;
	(void)close(fd); /* only read from */
	if (n < 0 || have >= sizeof set->banner_text) {
		memset(buf, 0, sizeof set->banner_text);
		return cfg_env_error(cfg, err, line, "banner_file %s: %s", set->banner_file,
				     n < 0 ? strerror(errno) : "longer than 2047 bytes");
	}
	return 0;
}

int config_read_files(struct ftpsd_config *cfg, FILE *err)
{
	int errors = 0;

	for (size_t i = 0; i < cfg->nvhosts; i++)
		errors += cfg_read_banner(cfg, i, &cfg->vhosts[i].set, err);
	return errors;
}
