/* ftpsd: parse the command line and config, then become the master
 * (standalone) or the session's monitor (inetd). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "master/activation.h"
#include "master/cmdline.h"
#include "config/config.h"
#include "common/log.h"
#include "common/proctitle.h"
#include "master/master.h"
#include "master/who_client.h"
#include "config/resolver.h"
#include "config/proxytrust.h"
#include "config/vsftpd_import.h"
#include "sandbox/role.h"
#include "zygote/zygote.h"
#include "keys/keys.h"
#include "natmap/natmap.h"
#include "natmap/plan.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp.h"

#define FTPSD_VERSION "0.1.0"

static int open_log(const char *path)
{
	if (!path[0])
		return -1;
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

/* What the master and every monitor may ever need: PAM (shadow, audit),
 * the uid/gid/chroot switch of each engine, dropping the bounding set in
 * children, binding port 20, killing engines, chown of uploads. The rest
 * (module loading, raw sockets, ptrace, mounts...) is gone for good. */
static const cap_value_t session_caps[] = {
	CAP_CHOWN,
	CAP_DAC_OVERRIDE,
	CAP_DAC_READ_SEARCH,
	CAP_FOWNER,
	CAP_KILL,
	CAP_SETGID,
	CAP_SETUID,
	CAP_SETPCAP,
	CAP_NET_BIND_SERVICE,
	CAP_SYS_CHROOT,
	CAP_AUDIT_WRITE,
	CAP_SYS_ADMIN, /* last: kept only for isolate_network (unshare) */
};

static int load(struct ftpsd_config *cfg, const struct cmdline *cl)
{
	int errors = config_load(cfg, cl->config_path, stderr);

	/* -w only reads who_socket: certificates and directories are the
	 * running server's business. */
	if (errors == 0 && cl->action != CMDLINE_WHO)
		errors = config_check_environment(cfg, stderr);
	if (errors == 0)
		errors = config_read_files(cfg, stderr);
	return errors;
}

static int run(struct ftpsd_config *cfg, const struct cmdline *cl, struct inherited_fds *inherited)
{
	const struct cfg_settings *g = &cfg->global;
	/* vsftpd's rule: standalone if either listen or listen_ipv6. */
	bool inetd = cl->inetd || !(g->listen || g->listen_ipv6);
	struct role_env env = { .xferlog_fd = -1, .vsftpd_log_fd = -1, .report_fd = -1 };
	struct log_sinks sinks = {
		.use_syslog = g->syslog_enable,
		.file_fd = open_log(g->log_file),
		/* In inetd mode fds 0-2 are the client: never log there. */
		.use_stderr = cl->foreground && !inetd,
		.debug = g->log_ftp_protocol,
		.facility = log_facility_from_name(g->syslog_facility),
		.json = strcmp(g->log_format, "json") == 0,
	};
	struct master_opts opts = { .config_path = cl->config_path,
				    .foreground = cl->foreground,
				    .inherited = inherited };

	if (geteuid() != 0) {
		fprintf(stderr, "ftpsd: must be started as root\n");
		return 1;
	}
	if (g->log_file[0] && sinks.file_fd < 0) {
		fprintf(stderr, "ftpsd: log_file %s: %s\n", g->log_file, strerror(errno));
		return 1;
	}
	if (cfg_logs_xferlog(g) && (env.xferlog_fd = open_log(g->xferlog_file)) < 0) {
		fprintf(stderr, "ftpsd: xferlog_file %s: %s\n", g->xferlog_file, strerror(errno));
		return 1;
	}
	if (cfg_logs_vsftpd(g) && (env.vsftpd_log_fd = open_log(g->vsftpd_log_file)) < 0) {
		fprintf(stderr, "ftpsd: vsftpd_log_file %s: %s\n", g->vsftpd_log_file,
			strerror(errno));
		return 1;
	}
	env.log_fd = sinks.file_fd;
	env.foreground = sinks.use_stderr;
	log_init(&sinks);
	if (!g->seccomp_sandbox)
		log_msg(LOG_LVL_WARN, "seccomp_sandbox=NO: sandboxed processes run "
				      "without syscall filters (for debugging only)");
	else if (sandbox_seccomp_prepare() < 0) {
		log_msg(LOG_LVL_ERR, "cannot compile the seccomp filters");
		return 1;
	}
	if (sandbox_limit_bounding_set(session_caps,
				       sizeof(session_caps) / sizeof(session_caps[0]) -
					       (g->isolate_network ? 0 : 1)) < 0) {
		log_msg(LOG_LVL_ERR, "cannot limit capabilities: %s", strerror(errno));
		return 1;
	}
	if (inetd)
		inetd_run(cfg, &env);
	return master_run(cfg, &opts, &env);
}

/* A clean image for one role (sandbox/role.h). */
__attribute__((noreturn)) static void run_role(const char *name)
{
	struct role_env env;
	struct ftpsd_config *cfg = role_start(&env);

	if (strcmp(name, "keys") == 0)
		keys_run(cfg, ROLE_FD_LINKS);
	if (strcmp(name, "zygote") == 0)
		zygote_run(cfg, &env, ROLE_FD_LINKS, ROLE_FD_LINKS + 1);
	if (strcmp(name, "natmap") == 0)
		natmap_run(cfg, ROLE_FD_LINKS);
	_exit(126);
}

int main(int argc, char **argv)
{
	struct cmdline cl;
	struct ftpsd_config *cfg;
	char err[256];
	static struct inherited_fds inherited;
	int nact;

	proctitle_init(argc, argv);
	/* Whatever fds the parent left open are not ours to pass on to every
	 * session (inetd mode's client is fd 0). */
	if (argc == 3 && strcmp(argv[1], "--role") == 0)
		run_role(argv[2]);
	/* systemd's Accept=no sockets (fds 3...) are ours; anything above. */
	if ((nact = activation_take(&inherited, err, sizeof(err))) < 0) {
		fprintf(stderr, "ftpsd: socket activation: %s\n", err);
		return 1;
	}
	close_range(ACTIVATION_FD_START + (unsigned)nact, ~0U, 0);
	if (cmdline_parse(&cl, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "ftpsd: %s\n%s", err, cmdline_usage());
		return 2;
	}
	if (cl.action == CMDLINE_HELP) {
		fputs(cmdline_usage(), stdout);
		return 0;
	}
	if (cl.action == CMDLINE_VERSION) {
		printf("ftpsd %s\n", FTPSD_VERSION);
		return 0;
	}
	if (cl.action == CMDLINE_IMPORT)
		return vsftpd_import((const char *const *)cl.import_files, cl.nimport, stdout,
				     stderr) == 0
			       ? 0
			       : 1;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return 1;
	if (load(cfg, &cl) != 0) {
		fprintf(stderr, "ftpsd: %s: configuration has errors\n", cl.config_path);
		return 1;
	}
	if (cl.action == CMDLINE_TEST) {
		/* Warnings only: DNS may differ where the daemon runs. */
		(void)resolver_check(cfg, stderr);
		(void)natmap_check(cfg, stderr);
		(void)proxy_check(cfg, stderr);
		printf("ftpsd: %s: configuration OK\n", cl.config_path);
		return 0;
	}
	if (cl.action == CMDLINE_DUMP) {
		config_dump(cfg, stdout);
		/* What the running server learned from the gateway, as
		 * comments: the output stays a configuration file. */
		if (natmap_config_wanted(cfg) && cfg->global.listen) {
			fflush(stdout);
			printf("\n# live NAT state of the running server (who_socket %s):\n",
			       cfg->global.who_socket);
			if (who_client_nat(cfg->global.who_socket, "# ", stdout, stderr) != 0)
				printf("# (not available: see the message above)\n");
		}
		return 0;
	}
	if (cl.action == CMDLINE_WHO)
		return who_client_run(cfg->global.who_socket, cl.json, stdout, stderr);
	return run(cfg, &cl, &inherited);
}
