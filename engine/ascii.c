#include "engine/ascii.h"

size_t ascii_to_network(const char *in, size_t n, char *out, bool *prev_cr)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\n' && !*prev_cr)
			out[o++] = '\r';
		out[o++] = in[i];
		*prev_cr = in[i] == '\r';
	}
	return o;
}

size_t ascii_from_network(const char *in, size_t n, char *out, bool *pending_cr)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (*pending_cr) {
			*pending_cr = false;
			if (in[i] != '\n')
				out[o++] = '\r';
		}
		if (in[i] == '\r')
			*pending_cr = true;
		else
			out[o++] = in[i];
	}
	return o;
}

size_t ascii_from_network_end(char *out, bool *pending_cr)
{
	if (!*pending_cr)
		return 0;
	*pending_cr = false;
	out[0] = '\r';
	return 1;
}

size_t ascii_network_extra(const char *in, size_t n, bool *prev_cr)
{
	size_t extra = 0;

	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\n' && !*prev_cr)
			extra++;
		*prev_cr = in[i] == '\r';
	}
	return extra;
}
