/* The entry points of config/config.h that read a config: a file, a
 * string (tests, the fuzzer), a per-user file. Each is the parser of
 * ini.c on one source, then the checks across keys (section_checks.c).
 * The parts are listed in config/config_internal.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"

static int cfg_parse(struct ftpsd_config *cfg, const char *name, struct cfg_source *src, FILE *err)
{
	struct cfg_parser p;

	memset(&p, 0, sizeof p);
	p.cfg = cfg;
	p.name = name;
	p.err = err;
	p.src = *src;
	cfg_section_init(&p.global, &cfg->global, NULL, 1, false);
	p.cur = &p.global;
	cfg_parse_lines(&p);
	if (src->fp != NULL && ferror(src->fp))
		cfg_report(&p, p.lineno, "read error");
	cfg_finish(&p);
	return p.errors;
}

/* Clean slate: defaults, no vhost, NAME as the path. */
static int cfg_reset(struct ftpsd_config *cfg, const char *name, FILE *err)
{
	memset(cfg, 0, sizeof *cfg);
	config_set_defaults(&cfg->global);
	if (cfg_copy_string(cfg->path, sizeof cfg->path, name) < 0) {
		if (err != NULL)
			fprintf(err, "%.64s...: path longer than %d characters\n", name,
				CFG_STR_MAX - 1);
		return -1;
	}
	return 0;
}

int config_load(struct ftpsd_config *cfg, const char *path, FILE *err)
{
	struct cfg_source src = { 0 };
	int n;

	if (cfg_reset(cfg, path, err) < 0)
		return -1;
	src.fp = fopen(path, "re");
	if (src.fp == NULL) {
		if (err != NULL)
			fprintf(err, "%s: cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	n = cfg_parse(cfg, path, &src, err);
	/* Only read from: a failing close loses nothing. */
	(void)fclose(src.fp);
	return n;
}

int config_load_string(struct ftpsd_config *cfg, const char *name, const char *text, FILE *err)
{
	struct cfg_source src = { .text = text };

	if (cfg_reset(cfg, name, err) < 0)
		return -1;
	return cfg_parse(cfg, name, &src, err);
}

/* The parser in user-file mode: its one section is a copy of SET marked
 * as a vhost, so global-only keys are refused as they are in [vhost]. */
int config_apply_user_file(struct cfg_settings *set, const struct cfg_settings *base,
			   const char *path, FILE *err)
{
	struct cfg_parser *p;
	struct cfg_settings *copy;
	int errors;
	FILE *fp = fopen(path, "re");

	if (fp == NULL)
		return -1;
	p = calloc(1, sizeof *p);
	copy = malloc(sizeof *copy);
	if (p == NULL || copy == NULL) {
		free(p);
		free(copy);
		(void)fclose(fp);
		if (err != NULL)
			fprintf(err, "%s: out of memory\n", path);
		return 1;
	}
	*copy = *base;
	p->name = path;
	p->err = err;
	p->src.fp = fp;
	p->user_file = true;
	cfg_section_init(&p->global, copy, NULL, 1, true);
	p->cur = &p->global;
	cfg_parse_lines(p);
	if (ferror(fp))
		cfg_report(p, p->lineno, "read error");
	cfg_check_pasv(p, &p->global);
	cfg_check_ssl(p, &p->global);
	(void)fclose(fp); /* only read from */
	errors = p->errors;
	if (errors == 0)
		*set = *copy;
	free(copy);
	free(p);
	return errors;
}
