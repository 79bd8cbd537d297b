/* ftpsd --import-vsftpd. Each vsftpd.conf is read by ftpsd's own parser
 * (which accepts every vsftpd key and says at its line what ftpsd does with
 * it); what the parser cannot know is what the file leaves out. A key a
 * file does not set means vsftpd's default there, so where the two
 * defaults differ the import writes vsftpd's, or says why it keeps
 * ftpsd's. Each file becomes a [vhost]; ftpsd's global-only keys come
 * from the first file, and a later file that disagrees is told.
 * hosts.allow files carry tcp_wrappers' per-client overlays
 * (config/vsftpd_wrappers.c). */
#include "config/vsftpd_import.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/vsftpd_wrappers.h"

#define IMPORT_MAX_FILES CFG_MAX_VHOSTS

/* A default that differs. WRITE: vsftpd's value is written, so the
 * instance means what it meant. Otherwise ftpsd's is kept and WHY says
 * what that changes (vsftpd's value would be unsafe, or is not there). */
struct import_default {
	const char *key;
	const char *vsftpd;
	bool write;
	const char *why;
	const char *only_if; /* a boolean key without which it means nothing */
};

static const struct import_default import_defaults[] = {
	{ "listen", "NO", true, NULL, NULL },
	{ "anonymous_enable", "YES", true, NULL, NULL },
	{ "local_enable", "NO", true, NULL, NULL },
	{ "pam_service_name", "ftp", true, NULL, NULL },
	{ "isolate_network", "YES", true, NULL, NULL },
	{ "xferlog_file", "/var/log/xferlog", true, NULL, "xferlog_enable" },
	{ "chroot_list_file", "/etc/vsftpd.chroot_list", true, NULL, "chroot_list_enable" },
	{ "userlist_file", "/etc/vsftpd.user_list", true, NULL, "userlist_enable" },
	{ "syslog_enable", "NO", false,
	  "ftpsd logs to syslog; vsftpd (syslog_enable unset) did not", NULL },
	{ "max_clients", "0", false, "ftpsd keeps its limit of 2000 sessions; vsftpd had none",
	  NULL },
	{ "max_per_ip", "0", false,
	  "ftpsd keeps its limit of 50 sessions per client; vsftpd had none", NULL },
	{ "xferlog_std_format", "NO", true, NULL, "xferlog_enable" },
};

/* Not a vsftpd key, and it changes what a failed upload leaves. */
static const char import_atomic_note[] =
	"uploads go to a temporary name and are renamed when complete "
	"(atomic_uploads=YES); vsftpd wrote in place";

struct import_file {
	const char *path;
	char name[CFG_NAME_MAX]; /* its vhost */
	struct ftpsd_config *cfg;
	struct cfg_settings set; /* what the instance means, for ftpsd */
};

/* "/etc/vsftpd/vsftpd-wan.conf" -> "wan": the vhost's name. */
static void import_vhost_name(const char *path, char *out, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t o = 0;

	base = base ? base + 1 : path;
	if (strncmp(base, "vsftpd", 6) == 0 && (base[6] == '-' || base[6] == '_'))
		base += 7;
	for (const char *c = base; *c && o + 1 < size; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			  (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.';

		if (strcmp(c, ".conf") == 0)
			break;
		out[o++] = ok ? *c : '_';
	}
	if (o == 0)
		out[o++] = 'v';
	out[o] = '\0';
}

/* Names stay unique: a second "ftp" becomes "ftp-2". */
static void import_unique_name(struct import_file *f, size_t n)
{
	char base[CFG_NAME_MAX];

	memcpy(base, f[n].name, sizeof base);
	for (unsigned k = 2;; k++) {
		bool taken = false;

		for (size_t i = 0; i < n; i++)
			taken = taken || strcmp(f[i].name, f[n].name) == 0;
		if (!taken)
			return;
		snprintf(f[n].name, sizeof f[n].name, "%.50s-%u", base, k);
	}
}

static void import_set(struct cfg_settings *s, const char *key, const char *value)
{
	char why[128];

	/* The table's own keys and values: cannot fail. */
	(void)config_key_set(config_key_index(key), s, value, why, sizeof why);
}

static bool import_key_on(const struct cfg_settings *s, const char *key)
{
	struct cfg_settings off = *s;

	import_set(&off, key, "NO");
	return !config_key_equal(config_key_index(key), s, &off);
}

/* vsftpd's defaults for what F's file leaves out. FIRST: F's global keys
 * are the ones used. */
static void import_vsftpd_defaults(struct import_file *f, bool first, FILE *err)
{
	const struct cfg_vhost *v = &f->cfg->vhosts[0];

	for (size_t i = 0; i < sizeof import_defaults / sizeof import_defaults[0]; i++) {
		const struct import_default *d = &import_defaults[i];
		size_t k = config_key_index(d->key);

		if (v->key_line[k] != 0 || (d->only_if && !import_key_on(&f->set, d->only_if)))
			continue;
		if (d->write)
			import_set(&f->set, d->key, d->vsftpd);
		else if (first || !config_key_global(k))
			fprintf(err, "%s: %s unset: %s\n", f->path, d->key, d->why);
	}
	fprintf(err, "%s: %s\n", f->path, import_atomic_note);
}

/* The parser folded vsftpd's spellings into ftpsd's (listen_ipv6 into
 * listen_address, user_sub_token into local_root); written that way, the
 * file reads back to the same thing. */
static void import_normalise(struct import_file *f, FILE *err)
{
	struct cfg_settings *s = &f->set;

	if (s->listen_ipv6) {
		fprintf(err,
			"%s: listen_ipv6=YES written as listen=YES and "
			"listen_address=%s (ftpsd's IPv6 sockets take IPv6 "
			"clients only, so IPv4 needs its own address)\n",
			f->path, s->listen_address);
		s->listen = true;
		s->listen_ipv6 = false;
		s->listen_address6[0] = '\0';
	}
	s->user_sub_token[0] = '\0';
}

static int import_load(struct import_file *f, bool first, FILE *err)
{
	int errors;

	f->cfg = calloc(1, sizeof *f->cfg);
	if (f->cfg == NULL) {
		fprintf(err, "%s: out of memory\n", f->path);
		return 1;
	}
	errors = config_load(f->cfg, f->path, err);
	if (errors != 0)
		return errors < 0 ? 1 : errors;
	if (f->cfg->nvhosts != 1 || strcmp(f->cfg->vhosts[0].name, "default") != 0) {
		fprintf(err,
			"%s: has [vhost] sections: an ftpsd.conf, not a "
			"vsftpd.conf\n",
			f->path);
		return 1;
	}
	f->set = f->cfg->vhosts[0].set;
	import_vsftpd_defaults(f, first, err);
	import_normalise(f, err);
	return 0;
}

/* ftpsd has one value of a global key for every vhost: the first file's. */
static void import_print_global(const struct import_file *f, size_t n, FILE *out, FILE *err)
{
	for (size_t k = 0; k < config_key_count(); k++) {
		if (!config_key_global(k) || !config_key_has_effect(k))
			continue;
		if (!config_key_is_default(k, &f[0].set))
			config_key_print(k, &f[0].set, out);
		for (size_t i = 1; i < n; i++) {
			if (config_key_equal(k, &f[i].set, &f[0].set))
				continue;
			fprintf(err,
				"%s: %s differs from %s's, whose value is "
				"used: ftpsd has one for all vhosts\n",
				f[i].path, config_key_name(k), f[0].path);
		}
	}
}

static void import_print_vhost(const struct import_file *f, FILE *out)
{
	fprintf(out, "\n# from %s\n[vhost %s]\n", f->path, f->name);
	for (size_t k = 0; k < config_key_count(); k++)
		if (!config_key_global(k) && config_key_has_effect(k) &&
		    !config_key_is_default(k, &f->set))
			config_key_print(k, &f->set, out);
}

static bool import_is_wrappers(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strncmp(base, "hosts.allow", 11) == 0;
}

int vsftpd_import(const char *const *files, size_t nfiles, FILE *out, FILE *err)
{
	struct import_file *f = calloc(IMPORT_MAX_FILES, sizeof *f);
	const char *wrappers[IMPORT_MAX_FILES];
	size_t n = 0, nw = 0;
	int errors = 0;

	if (f == NULL)
		return 1;
	for (size_t i = 0; i < nfiles; i++) {
		if (import_is_wrappers(files[i]) ? nw >= IMPORT_MAX_FILES : n >= IMPORT_MAX_FILES) {
			fprintf(err, "%s: too many files (at most %d of each kind)\n", files[i],
				IMPORT_MAX_FILES);
			errors++;
			break;
		}
		if (import_is_wrappers(files[i])) {
			wrappers[nw++] = files[i];
			continue;
		}
		f[n].path = files[i];
		import_vhost_name(files[i], f[n].name, sizeof f[n].name);
		import_unique_name(f, n);
		errors += import_load(&f[n], n == 0, err);
		n++;
	}
	if (n == 0 && errors == 0) {
		fprintf(err, "no vsftpd.conf file given\n");
		errors++;
	}
	for (size_t i = 0; i < n && errors == 0; i++)
		if (f[i].set.tcp_wrappers)
			errors += wrappers_apply(&f[i].set, f[i].path, wrappers, nw, err);
	if (errors == 0) {
		fprintf(out, "# ftpsd.conf imported from vsftpd by ftpsd --import-vsftpd\n");
		import_print_global(f, n, out, err);
		for (size_t i = 0; i < n; i++)
			import_print_vhost(&f[i], out);
	}
	for (size_t i = 0; i < n; i++)
		free(f[i].cfg);
	free(f);
	return errors;
}
