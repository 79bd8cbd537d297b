/* hosts.allow for the import. vsftpd with tcp_wrappers=YES asks libwrap
 * about each client; a matching line's "setenv VSFTPD_LOAD_CONF FILE"
 * makes that session read FILE over the instance's config. ftpsd decides
 * per client only what PASV advertises (pasv_address_rule), so that is
 * what an overlay can carry; the rest is reported, not guessed at. */
#include "config/vsftpd_wrappers.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/cidr.h"
#include "common/netaddr.h"

#define WRAP_LINE_MAX 4096
#define WRAP_FIELDS 8

/* "255.255.255.0" -> 24; -1 unless the ones are contiguous. */
static int wrappers_mask_bits(const char *mask)
{
	struct in_addr a;
	uint32_t m;
	int bits = 0;

	if (inet_pton(AF_INET, mask, &a) != 1)
		return -1;
	m = ntohl(a.s_addr);
	while (m & 0x80000000u) {
		bits++;
		m <<= 1;
	}
	return m == 0 ? bits : -1;
}

static int wrappers_checked(const char *text, char *out, size_t size)
{
	struct cidr c;

	if (cidr_parse(&c, text) < 0 || strlen(text) >= size)
		return -1;
	memcpy(out, text, strlen(text) + 1);
	return 0;
}

/* "192.168.1." -> "192.168.1.0/24". */
static int wrappers_prefix(const char *p, char *out, size_t size)
{
	unsigned dots = 0;
	char net[INET_ADDRSTRLEN], cidr[INET_ADDRSTRLEN + 4];
	size_t len = strlen(p);

	for (const char *c = p; *c; c++) {
		if (*c == '.')
			dots++;
		else if (*c < '0' || *c > '9')
			return -1;
	}
	/* "10." grows by "0.0.0" */
	if (dots < 1 || dots > 3 || len + 6 > sizeof net)
		return -1;
	memcpy(net, p, len + 1);
	for (unsigned d = dots; d < 4; d++)
		strcat(net, d == 3 ? "0" : "0.");
	(void)snprintf(cidr, sizeof cidr, "%s/%u", net, dots * 8);
	return wrappers_checked(cidr, out, size);
}

int wrappers_client_network(const char *pattern, char *out, size_t size)
{
	char buf[CIDR_STRLEN + 4];
	const char *slash;
	int bits;

	if (strcmp(pattern, "ALL") == 0)
		return snprintf(out, size, "any") < (int)size ? 0 : -1;
	if (strlen(pattern) >= sizeof buf)
		return -1;
	if (pattern[0] == '[') { /* "[2001:db8::]/32" */
		const char *end = strchr(pattern, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != '/'))
			return -1;
		snprintf(buf, sizeof buf, "%.*s%s", (int)(end - pattern - 1), pattern + 1, end + 1);
		return wrappers_checked(buf, out, size);
	}
	if (pattern[strlen(pattern) - 1] == '.')
		return wrappers_prefix(pattern, out, size);
	slash = strchr(pattern, '/');
	if (slash != NULL && strchr(slash, '.') != NULL) {
		if ((bits = wrappers_mask_bits(slash + 1)) < 0)
			return -1;
		snprintf(buf, sizeof buf, "%.*s/%d", (int)(slash - pattern), pattern, bits);
		return wrappers_checked(buf, out, size);
	}
	return wrappers_checked(pattern, out, size);
}

/* Splits LINE at the colons that separate hosts_access fields (not those
 * inside [IPv6] brackets). Returns the number of fields. */
static size_t wrappers_fields(char *line, char **field, size_t max)
{
	size_t n = 0;
	int depth = 0;

	field[n++] = line;
	for (char *c = line; *c && n < max; c++) {
		if (*c == '[')
			depth++;
		else if (*c == ']' && depth > 0)
			depth--;
		else if (*c == ':' && depth == 0) {
			*c = '\0';
			field[n++] = c + 1;
		}
	}
	return n;
}

static bool wrappers_names_vsftpd(char *daemons)
{
	char *save = NULL;

	for (char *tok = strtok_r(daemons, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save))
		if (strcmp(tok, "vsftpd") == 0 || strcmp(tok, "ALL") == 0)
			return true;
	return false;
}

/* The FILE of a "setenv VSFTPD_LOAD_CONF FILE" option, or NULL. */
static const char *wrappers_overlay(char *option)
{
	char *save = NULL;
	char *w = strtok_r(option, " \t", &save);

	if (w == NULL || strcmp(w, "setenv") != 0)
		return NULL;
	w = strtok_r(NULL, " \t", &save);
	if (w == NULL || strcmp(w, "VSFTPD_LOAD_CONF") != 0)
		return NULL;
	return strtok_r(NULL, " \t", &save);
}

struct wrap_ctx {
	struct cfg_settings *set;
	const char *instance;
	FILE *err;
	const char *where; /* "file:line" */
};

/* The overlay's keys that differ from the instance: pasv_address becomes
 * a rule per client network, the others are reported. */
static int wrappers_carry(struct wrap_ctx *w, const struct cfg_settings *over, char *clients)
{
	size_t rule = config_key_index("pasv_address_rule");
	size_t addr = config_key_index("pasv_address");
	char why[256], net[CIDR_STRLEN + 8], line[CFG_STR_MAX + sizeof net + 2];
	struct net_addr literal;
	int errors = 0;

	for (size_t k = 0; k < config_key_count(); k++)
		if (k != addr && !config_key_equal(k, over, w->set))
			fprintf(w->err,
				"%s: %s: %s in the per-client config is "
				"not carried: ftpsd decides per client only "
				"pasv_address (per user: user_config_dir)\n",
				w->where, w->instance, config_key_name(k));
	if (config_key_equal(addr, over, w->set))
		return 0;
	if (strstr(clients, "EXCEPT") != NULL) {
		/* Rules cannot leave clients out of a network: carrying the
		 * rest would give the excepted ones the overlay's address. */
		fprintf(w->err, "%s: %s: a client list with EXCEPT is not carried\n", w->where,
			w->instance);
		return 0;
	}
	if (net_addr_parse(&literal, over->pasv_address, 0) < 0) {
		fprintf(w->err,
			"%s: %s: pasv_address=%s is not an IP address, "
			"which pasv_address_rule needs: not carried\n",
			w->where, w->instance, over->pasv_address);
		return 0;
	}
	char *save = NULL;

	for (char *tok = strtok_r(clients, " \t,", &save); tok;
	     tok = strtok_r(NULL, " \t,", &save)) {
		if (wrappers_client_network(tok, net, sizeof net) < 0) {
			fprintf(w->err,
				"%s: %s: client \"%s\" has no CIDR form: "
				"not carried\n",
				w->where, w->instance, tok);
			continue;
		}
		(void)snprintf(line, sizeof line, "%s %s", net, over->pasv_address);
		if (config_key_set(rule, w->set, line, why, sizeof why) < 0) {
			fprintf(w->err, "%s: %s: pasv_address_rule \"%s\": %s\n", w->where,
				w->instance, line, why);
			errors++;
		}
	}
	return errors;
}

static int wrappers_line(struct wrap_ctx *w, char *text)
{
	char *field[WRAP_FIELDS];
	size_t n = wrappers_fields(text, field, WRAP_FIELDS);
	const char *conf = NULL;
	struct cfg_settings *over;
	int errors;

	if (n < 2 || !wrappers_names_vsftpd(field[0]))
		return 0;
	for (size_t i = 2; i < n && conf == NULL; i++) {
		if (strstr(field[i], "DENY") || strstr(field[i], "deny"))
			fprintf(w->err,
				"%s: a DENY rule is not carried: refuse "
				"those clients in the firewall\n",
				w->where);
		conf = wrappers_overlay(field[i]);
	}
	if (conf == NULL)
		return 0;
	over = malloc(sizeof *over);
	if (over == NULL)
		return 1;
	errors = config_apply_user_file(over, w->set, conf, w->err);
	if (errors < 0)
		fprintf(w->err, "%s: cannot read %s\n", w->where, conf);
	else if (errors == 0)
		errors = wrappers_carry(w, over, field[1]);
	free(over);
	return errors < 0 ? 1 : errors;
}

int wrappers_apply(struct cfg_settings *set, const char *instance, const char *const *files,
		   size_t nfiles, FILE *err)
{
	struct wrap_ctx w = { set, instance, err, NULL };
	char where[CFG_STR_MAX + 16];
	int errors = 0;

	if (nfiles == 0)
		fprintf(err,
			"%s: tcp_wrappers=YES: give the hosts.allow file too "
			"to carry its per-client configs\n",
			instance);
	for (size_t i = 0; i < nfiles; i++) {
		FILE *fp = fopen(files[i], "re");
		char *line = malloc(WRAP_LINE_MAX);
		unsigned lineno = 0;

		if (fp == NULL || line == NULL) {
			fprintf(err, "%s: cannot read\n", files[i]);
			if (fp)
				(void)fclose(fp);
			free(line);
			errors++;
			continue;
		}
		while (fgets(line, WRAP_LINE_MAX, fp)) {
			lineno++;
			line[strcspn(line, "\r\n")] = '\0';
			if (line[strspn(line, " \t")] == '#')
				continue;
			snprintf(where, sizeof where, "%s:%u", files[i], lineno);
			w.where = where;
			errors += wrappers_line(&w, line);
		}
		(void)fclose(fp);
		free(line);
	}
	return errors;
}
