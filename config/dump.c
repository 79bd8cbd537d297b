/* ftpsd -T: the effective configuration in config file syntax. */
#include <stdio.h>
#include <string.h>

#include "config/config_internal.h"

static void cfg_print_value(const struct cfg_tunable *t, const struct cfg_settings *s, FILE *out)
{
	const void *f = cfg_cfield(t, s);

	switch (t->type) {
	case CFG_BOOL: fprintf(out, "%s=%s\n", t->name, *(const bool *)f ? "YES" : "NO"); break;
	case CFG_UINT: fprintf(out, "%s=%u\n", t->name, *(const unsigned *)f); break;
	case CFG_OCTAL: fprintf(out, "%s=%03o\n", t->name, *(const unsigned *)f); break;
	case CFG_STRING: fprintf(out, "%s=%s\n", t->name, (const char *)f); break;
	case CFG_LIST: {
		const char *e = f;
		/* Empty: one empty line, which clears what a vhost inherits. */
		do {
			size_t len = strcspn(e, "\n");
			fprintf(out, "%s=%.*s\n", t->name, (int)len, e);
			e += len;
		} while (*e++ == '\n');
		break;
	}
	}
}

static bool cfg_settings_equal(const struct cfg_settings *a, const struct cfg_settings *b)
{
	for (size_t i = 0; i < cfg_ntunables; i++)
		if (!cfg_values_equal(&cfg_tunables[i], a, b))
			return false;
	return true;
}

/* A file without [vhost] sections got one "default" vhost equal to the
 * global section; printing it would add a section the file never had. */
static bool cfg_has_vhost_sections(const struct ftpsd_config *cfg)
{
	return !(cfg->nvhosts == 1 && strcmp(cfg->vhosts[0].name, "default") == 0 &&
		 cfg_settings_equal(&cfg->vhosts[0].set, &cfg->global));
}

void config_dump(const struct ftpsd_config *cfg, FILE *out)
{
	for (size_t i = 0; i < cfg_ntunables; i++) {
		const struct cfg_tunable *t = &cfg_tunables[i];

		/* vsftpd's keys that ftpsd does not act on: only if set. */
		if (t->compat == CFG_NATIVE || !cfg_is_default(t, &cfg->global))
			cfg_print_value(t, &cfg->global, out);
	}
	if (!cfg_has_vhost_sections(cfg))
		return;
	for (size_t v = 0; v < cfg->nvhosts; v++) {
		fprintf(out, "\n[vhost %s]\n", cfg->vhosts[v].name);
		for (size_t i = 0; i < cfg_ntunables; i++)
			if (!cfg_values_equal(&cfg_tunables[i], &cfg->vhosts[v].set, &cfg->global))
				cfg_print_value(&cfg_tunables[i], &cfg->vhosts[v].set, out);
	}
}

void config_key_print(size_t i, const struct cfg_settings *s, FILE *out)
{
	cfg_print_value(&cfg_tunables[i], s, out);
}
