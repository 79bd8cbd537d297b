/* setproctitle_enable: process titles in ps and top, as vsftpd sets them
 * ("ftpsd: 192.0.2.7: alice: RETR file"). */
#ifndef FTPSD_PROCTITLE_H
#define FTPSD_PROCTITLE_H

/* At the start of main(), before anything reads the environment: the
 * title goes where ARGV's and the environment's strings are (what Linux
 * shows as /proc/PID/cmdline), so the environment is moved to the heap
 * first. */
void proctitle_init(int argc, char **argv);

/* Set the title, cut to the room there is. A process whose parent called
 * proctitle_init may call it; before that it does nothing. */
__attribute__((format(printf, 1, 2))) void proctitle_set(const char *fmt, ...);

#endif
