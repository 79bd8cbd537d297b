/* The pure argument parsers of FTP commands, each on the same argument:
 * PORT and EPRT (engine/port.c) with the bounce check, REST
 * (xfer_parse_offset), MFMT's time, TYPE and SITE's octal modes
 * (engine/args.c), and HOST's name lookup (config/vhosts.c, what the
 * monitor does with the name). The argument is copied into a buffer of
 * its exact length, so ASan sees a read one byte past its NUL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/netaddr.h"
#include "config/config.h"
#include "config/vhosts.h"
#include "engine/args.h"
#include "engine/port.h"
#include "engine/xfer.h"

static struct ftpsd_config cfg;
static struct net_addr peer4, peer6, local4;
static int initialised;

static void init(void)
{
	static const char conf[] =
		"listen_address=127.0.0.1\n"
		"[vhost a]\nlisten_address=127.0.0.1\nserver_name=a.example,b.example\n"
		"[vhost c]\nlisten_address=127.0.0.1\nserver_name=c.example\n";

	if (config_load_string(&cfg, "fuzz", conf, NULL) != 0 ||
	    net_addr_parse(&peer4, "192.0.2.1", 0) < 0 ||
	    net_addr_parse(&peer6, "2001:db8::1", 0) < 0 ||
	    net_addr_parse(&local4, "127.0.0.1", 21) < 0)
		__builtin_trap();
	initialised = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_addr a;
	uint64_t off;
	time_t t;
	unsigned v;
	const char *rest;
	char *arg;

	if (!initialised)
		init();
	if (size > 4096)
		return 0;
	arg = malloc(size + 1);
	if (!arg)
		return 0;
	memcpy(arg, data, size);
	arg[size] = '\0';

	if (port_parse_port(arg, &a) == PORT_PARSE_OK) {
		if (net_addr_family(&a) != AF_INET)
			__builtin_trap();
		(void)port_check_target(&a, &peer4, false);
		(void)port_target_for_local(&a, &local4);
	}
	if (port_parse_eprt(arg, &a) == PORT_PARSE_OK) {
		(void)port_check_target(&a, &peer4, false);
		(void)port_check_target(&a, &peer6, false);
		(void)port_target_for_local(&a, &local4);
	}
	if (xfer_parse_offset(arg, &off) == 0 && off > INT64_MAX)
		__builtin_trap();
	rest = args_parse_time(arg, &t);
	if (rest && (rest < arg || rest > arg + size || !rest[0]))
		__builtin_trap();
	(void)args_parse_type(arg);
	if (args_parse_octal(arg, strlen(arg), 0777, &v) == 0 && v > 0777)
		__builtin_trap();
	(void)vhost_find_by_name(&cfg, &local4, arg);
	free(arg);
	return 0;
}
