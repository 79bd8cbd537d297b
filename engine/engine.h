/* The engine: speaks FTP on the control connection, asks the monitor for
 * what it may not do itself. */
#ifndef FTPSD_ENGINE_H
#define FTPSD_ENGINE_H

#include "engine/session.h"

/* Serve commands until QUIT, EOF or a timeout. Never returns. */
__attribute__((noreturn)) void engine_run(struct session *s);

/* Ask the monitor to log LINE (a sandboxed engine has no log of its own). */
void engine_log_forward(int level, const char *line, void *ctx);

#endif
