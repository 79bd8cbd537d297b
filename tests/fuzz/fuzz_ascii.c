/* engine/ascii.c: TYPE A conversion both ways, fed in chunks whose sizes
 * come from the input, as the transfer loop feeds it. The output sizes
 * are the documented worst cases (twice the input to the network, one
 * more than the input from it), and ascii_network_extra (SIZE in TYPE A)
 * must count exactly the bytes ascii_to_network adds. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ascii.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk, off = 0, nout = 0, nback = 0, extra = 0;
	bool prev_cr = false, pending_cr = false, extra_cr = false;
	char *net, *back;

	if (size < 1 || size > 65536)
		return 0;
	chunk = data[0] % 17 + 1;
	data++;
	size--;
	net = malloc(2 * size + 1);
	back = malloc(2 * size + 2);
	if (!net || !back)
		goto out;
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		char *tmp = malloc(2 * n);
		size_t got;

		if (!tmp)
			goto out;
		extra += ascii_network_extra((const char *)data + off, n, &extra_cr);
		got = ascii_to_network((const char *)data + off, n, tmp, &prev_cr);
		if (got > 2 * n)
			__builtin_trap();
		memcpy(net + nout, tmp, got);
		nout += got;
		free(tmp);
		off += n;
	}
	if (nout != size + extra)
		__builtin_trap();
	/* Back, in chunks of another size. */
	chunk = chunk * 3 % 13 + 1;
	for (off = 0; off < nout;) {
		size_t n = nout - off < chunk ? nout - off : chunk;
		char *tmp = malloc(n + 1);
		size_t got;

		if (!tmp)
			goto out;
		got = ascii_from_network(net + off, n, tmp, &pending_cr);
		if (got > n + 1)
			__builtin_trap();
		memcpy(back + nback, tmp, got);
		nback += got;
		free(tmp);
		off += n;
	}
	nback += ascii_from_network_end(back + nback, &pending_cr);
	(void)nback;
out:
	free(net);
	free(back);
	return 0;
}
