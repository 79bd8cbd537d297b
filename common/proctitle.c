/* Process titles (common/proctitle.h). The kernel shows a process's
 * command line from the memory its argv strings were in; the environment
 * strings follow them, and together they are the room for a title. The
 * roles are exec'd with a padding variable (sandbox/role.c) so that a
 * session's title has space. No system call: nothing for the sandbox to
 * allow. */
#include "common/proctitle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *title_start;
static size_t title_room;

void proctitle_init(int argc, char **argv)
{
	extern char **environ;
	char *end;
	size_t n = 0;
	char **copy;

	if (argc < 1 || argv[0] == NULL)
		return;
	end = argv[0] + strlen(argv[0]) + 1;
	for (int i = 1; i < argc && argv[i] == end; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	for (char **e = environ; *e; e++, n++)
		if (*e == end)
			end = *e + strlen(*e) + 1;
	/* The environment moves to the heap before its strings are reused. */
	copy = calloc(n + 1, sizeof(*copy));
	if (copy == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		if ((copy[i] = strdup(environ[i])) == NULL)
			return; /* no title rather than a broken environment */
	environ = copy;
	title_start = argv[0];
	title_room = (size_t)(end - argv[0]);
	/* And the arguments, so that what main() keeps of them (the config
	 * path) is not overwritten by a title. */
	for (int i = 0; i < argc; i++) {
		char *a = strdup(argv[i]);

		if (a == NULL) {
			title_start = NULL;
			return;
		}
		argv[i] = a;
	}
}

void proctitle_set(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (title_start == NULL || title_room < 2)
		return;
	va_start(ap, fmt);
	n = vsnprintf(title_start, title_room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* The rest is cleared: ps shows up to the last non-zero byte. */
	if ((size_t)n + 1 < title_room)
		memset(title_start + n + 1, 0, title_room - (size_t)n - 1);
}
