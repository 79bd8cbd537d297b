#include "zygote/prewarm.h"

#include <dlfcn.h>
#include <grp.h>
#include <openssl/err.h>
#include <link.h>
#include <malloc.h>
#include <pwd.h>
#include <shadow.h>
#include <security/pam_appl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "tls/tls13_record.h"
#include "tls/tls_proxy.h"
#include "tls/tls_warmup.h"
#include "zygote/zygote.h"

/* One handshake per vhost, signed by the key holder over a link of our
 * own that is closed again before any fork. */
static void warm_tls(const struct ftpsd_config *cfg, const struct tls_vhost *tls, int keys_fd)
{
	int link = zygote_key_link(keys_fd);

	if (link < 0)
		return;
	tls_proxy_set_channel(link);
	for (size_t v = 0; v < cfg->nvhosts; v++)
		if (tls[v].full && tls_warm_up(tls[v].full) < 0)
			log_msg(LOG_LVL_DEBUG, "vhost %s: TLS warm-up handshake failed: %s",
				cfg->vhosts[v].name, ERR_reason_error_string(ERR_get_error()));
	tls_proxy_set_channel(-1);
	close(link);
}

/* Every object pam_start loaded stays loaded (RTLD_NODELETE), so the
 * monitor's pam_start finds the modules mapped and relocated. */
static int keep_loaded(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size, (void)data;
	if (info->dlpi_name && info->dlpi_name[0] == '/')
		(void)dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
	return 0;
}

static int no_conversation(int n, const struct pam_message **msg, struct pam_response **resp,
			   void *data)
{
	(void)n, (void)msg, (void)resp, (void)data;
	return PAM_CONV_ERR;
}

/* pam_start reads the service's stack and loads its modules; nothing is
 * authenticated and no session is opened. */
static void load_pam_modules(const struct ftpsd_config *cfg)
{
	const struct pam_conv conv = { no_conversation, NULL };

	for (size_t v = 0; v < cfg->nvhosts; v++) {
		const char *service = cfg->vhosts[v].set.pam_service_name;
		pam_handle_t *pamh = NULL;

		if (!cfg->vhosts[v].set.local_enable || !service[0])
			continue;
		if (pam_start(service, NULL, &conv, &pamh) != PAM_SUCCESS)
			continue;
		(void)dl_iterate_phdr(keep_loaded, NULL);
		(void)pam_end(pamh, PAM_SUCCESS);
	}
}

/* The name service's modules (nsswitch.conf: "files systemd" on Debian)
 * are loaded on a database's first lookup and never unloaded. A name no
 * database has walks every module of each, so the monitor's lookups at
 * the login (getpwnam, pam_unix's shadow and group reads) find them
 * mapped and relocated, shared, instead of loading a private copy. */
static void load_nss_modules(void)
{
	static const char nobody_has_it[] = "ftpsd-prewarm-no-such-name";

	(void)getpwnam(nobody_has_it);
	(void)getgrnam(nobody_has_it);
	(void)getspnam(nobody_has_it);
}

/* Free bytes in the heap outside its top chunk: the holes. */
static size_t heap_holes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.fordblks > mi.keepcost ? mi.fordblks - mi.keepcost : 0;
}

/* Fill the holes (for good: this memory is shared by every child and
 * never written again), so that a child's allocations come from fresh
 * pages at the top instead of copying a zygote page for each one. A
 * size class ends after a run of allocations that did not shrink the
 * holes; the bound keeps a heap that lies about itself from looping. */
static void plug_heap_holes(void)
{
	size_t allocations = 0;

	for (size_t size = 65536; size >= 16; size /= 2) {
		for (int misses = 0; misses < 8 && allocations < 100000; allocations++) {
			size_t holes = heap_holes();

			if (!malloc(size))
				return;
			misses = heap_holes() < holes ? 0 : misses + 1;
		}
	}
}

void zygote_prewarm(const struct ftpsd_config *cfg, const struct tls_vhost *tls, int keys_fd)
{
	warm_tls(cfg, tls, keys_fd);
	tls13_warm_up();
	load_pam_modules(cfg);
	load_nss_modules();
	malloc_trim(0);
	plug_heap_holes();
}
