/* The one clock for deadlines and timeouts: CLOCK_MONOTONIC, so a wall
 * clock step (NTP, an operator's date) never shortens or stretches one. */
#ifndef FTPSD_COMMON_CLOCK_H
#define FTPSD_COMMON_CLOCK_H

/* Milliseconds since an arbitrary fixed point. */
long long clock_ms(void);

#endif
