/* config/config.c and its parts (config_internal.h): the whole file
 * parser (the line reader, every key's value parser, [vhost] sections,
 * CIDR lists, pasv_address_rule, listen addresses), then the
 * effective-config printer on what it accepted. No file system or DNS:
 * config_load_string only parses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

static struct ftpsd_config cfg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	FILE *sink;
	int n;

	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	sink = fopen("/dev/null", "w");
	n = config_load_string(&cfg, "fuzz.conf", text, sink);
	if (n == 0) {
		if (cfg.nvhosts < 1 || cfg.nvhosts > CFG_MAX_VHOSTS)
			__builtin_trap();
		if (sink)
			config_dump(&cfg, sink);
	}
	if (sink)
		fclose(sink);
	free(text);
	return 0;
}
