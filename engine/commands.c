#include "engine/commands.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const struct command commands[] = {
	/* name    login  argument      handler */
	{ "USER", false, ARG_REQUIRED, cmd_user },
	{ "PASS", false, ARG_OPTIONAL, cmd_pass },
	{ "QUIT", false, ARG_NONE, cmd_quit },
	{ "SYST", false, ARG_NONE, cmd_syst },
	{ "FEAT", false, ARG_NONE, cmd_feat },
	{ "OPTS", false, ARG_REQUIRED, cmd_opts },
	{ "NOOP", false, ARG_NONE, cmd_noop },
	{ "PWD", true, ARG_NONE, cmd_pwd },
	{ "XPWD", true, ARG_NONE, cmd_pwd },
	{ "CWD", true, ARG_REQUIRED, cmd_cwd },
	{ "XCWD", true, ARG_REQUIRED, cmd_cwd },
	{ "CDUP", true, ARG_NONE, cmd_cdup },
	{ "XCUP", true, ARG_NONE, cmd_cdup },
	{ "TYPE", true, ARG_REQUIRED, cmd_type },
	{ "MODE", true, ARG_REQUIRED, cmd_mode },
	{ "STRU", true, ARG_REQUIRED, cmd_stru },
	{ "PASV", true, ARG_NONE, cmd_pasv },
	{ "EPSV", true, ARG_OPTIONAL, cmd_epsv },
	{ "PORT", true, ARG_REQUIRED, cmd_port },
	{ "EPRT", true, ARG_REQUIRED, cmd_eprt },
	{ "LIST", true, ARG_OPTIONAL, cmd_list },
	{ "NLST", true, ARG_OPTIONAL, cmd_nlst },
	{ "MLSD", true, ARG_OPTIONAL, cmd_mlsd },
	{ "RETR", true, ARG_REQUIRED, cmd_retr },
	{ "STOR", true, ARG_REQUIRED, cmd_stor },
	/* Known to RFC 959 and its extensions, not offered (502). */
	{ "ACCT", false, ARG_OPTIONAL, cmd_unsupported },
	{ "SMNT", true, ARG_OPTIONAL, cmd_unsupported },
	{ "REIN", false, ARG_OPTIONAL, cmd_unsupported },
	/* Files and directories: cmd_xfer.c, cmd_file.c, cmd_list.c, cmd_site.c. */
	{ "APPE", true, ARG_REQUIRED, cmd_appe },
	{ "STOU", true, ARG_OPTIONAL, cmd_stou },
	{ "ALLO", true, ARG_OPTIONAL, cmd_allo },
	{ "REST", true, ARG_REQUIRED, cmd_rest },
	{ "RNFR", true, ARG_REQUIRED, cmd_rnfr },
	{ "RNTO", true, ARG_REQUIRED, cmd_rnto },
	{ "ABOR", true, ARG_NONE, cmd_abor },
	{ "DELE", true, ARG_REQUIRED, cmd_dele },
	{ "RMD", true, ARG_REQUIRED, cmd_rmd },
	{ "XRMD", true, ARG_REQUIRED, cmd_rmd },
	{ "MKD", true, ARG_REQUIRED, cmd_mkd },
	{ "XMKD", true, ARG_REQUIRED, cmd_mkd },
	{ "SITE", true, ARG_REQUIRED, cmd_site },
	{ "STAT", true, ARG_OPTIONAL, cmd_stat },
	{ "HELP", false, ARG_OPTIONAL, cmd_help },
	{ "SIZE", true, ARG_REQUIRED, cmd_size },
	{ "MDTM", true, ARG_REQUIRED, cmd_mdtm },
	{ "MFMT", true, ARG_REQUIRED, cmd_mfmt },
	{ "MLST", true, ARG_OPTIONAL, cmd_mlst },
	{ "HOST", false, ARG_REQUIRED, cmd_host },
	{ "AUTH", false, ARG_REQUIRED, cmd_auth },
	{ "PBSZ", false, ARG_REQUIRED, cmd_pbsz },
	{ "PROT", false, ARG_REQUIRED, cmd_prot },
	{ "CCC", false, ARG_NONE, cmd_ccc },
	/* Not a command: a forged PROXY header, refused and logged. */
	{ "PROXY", false, ARG_OPTIONAL, cmd_proxy },
#ifdef FTPSD_TEST_HOOKS
	{ "XSBX", false, ARG_REQUIRED, cmd_xsbx },
	{ "XPRIV", false, ARG_REQUIRED, cmd_xpriv },
#endif
};

const struct command *command_at(size_t i)
{
	return i < sizeof(commands) / sizeof(commands[0]) ? &commands[i] : NULL;
}

const struct command *command_find(const char *verb)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, verb) == 0)
			return &commands[i];
	return NULL;
}

/* True if the comma list LIST names VERB. */
static bool list_has(const char *list, const char *verb)
{
	size_t vlen = strlen(verb);

	while (*list) {
		size_t skip = strspn(list, ", \t");
		size_t len;

		list += skip;
		len = strcspn(list, ", \t");
		if (len == vlen && strncasecmp(list, verb, len) == 0)
			return true;
		list += len;
	}
	return false;
}

bool command_permitted(const char *allowed, const char *denied, const char *verb)
{
	if (allowed[0] && !list_has(allowed, verb))
		return false;
	return !list_has(denied, verb);
}

int command_parse(const char *line, char *verb, unsigned verb_size, const char **arg)
{
	unsigned n = 0;

	while (line[n] && line[n] != ' ') {
		if (n + 1 >= verb_size)
			return -1;
		verb[n] = (char)toupper((unsigned char)line[n]);
		n++;
	}
	verb[n] = '\0';
	if (n == 0)
		return -1;
	*arg = line[n] == ' ' ? line + n + 1 : line + n;
	return 0;
}
