#include "daemon/commands.h"

#include <ctype.h>
#include <string.h>

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
	{ "LIST", true, ARG_OPTIONAL, cmd_list },
	{ "NLST", true, ARG_OPTIONAL, cmd_nlst },
	{ "MLSD", true, ARG_OPTIONAL, cmd_mlsd },
	{ "RETR", true, ARG_REQUIRED, cmd_retr },
	{ "STOR", true, ARG_REQUIRED, cmd_stor },
	/* Known to RFC 959 and its extensions, not offered (502). */
	{ "ACCT", false, ARG_OPTIONAL, cmd_not_implemented },
	{ "SMNT", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "REIN", false, ARG_OPTIONAL, cmd_not_implemented },
	{ "PORT", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "EPRT", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "APPE", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "STOU", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "ALLO", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "REST", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "RNFR", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "RNTO", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "ABOR", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "DELE", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "RMD", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "MKD", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "SITE", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "STAT", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "HELP", false, ARG_OPTIONAL, cmd_not_implemented },
	{ "SIZE", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "MDTM", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "MLST", true, ARG_OPTIONAL, cmd_not_implemented },
	{ "AUTH", false, ARG_REQUIRED, cmd_auth },
	{ "PBSZ", false, ARG_REQUIRED, cmd_pbsz },
	{ "PROT", false, ARG_REQUIRED, cmd_prot },
	{ "CCC", false, ARG_NONE, cmd_ccc },
};

const struct command *command_find(const char *verb)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, verb) == 0)
			return &commands[i];
	return NULL;
}

int command_parse(const char *line, char *verb, unsigned verb_size,
		  const char **arg)
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
