#include "engine/args.h"

#include <string.h>
#include <strings.h>

enum type_arg args_parse_type(const char *arg)
{
	if (strcasecmp(arg, "I") == 0 || strcasecmp(arg, "L 8") == 0)
		return TYPE_ARG_BINARY;
	if (strcasecmp(arg, "A") == 0 || strcasecmp(arg, "A N") == 0)
		return TYPE_ARG_ASCII;
	/* arg[0] first: strchr finds the NUL of "" too. */
	if (arg[0] != '\0' && strchr("AaEeIiLl", arg[0]) && (arg[1] == '\0' || arg[1] == ' '))
		return TYPE_ARG_UNSUPPORTED;
	return TYPE_ARG_BAD;
}

static int digits(const char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

const char *args_parse_time(const char *arg, time_t *out)
{
	struct tm tm = { 0 };
	const char *p = arg + 14;
	int year, mon, day, hour, min, sec;
	time_t t;

	/* The length first: the fields below are read at fixed offsets. */
	if (strnlen(arg, 14) < 14)
		return NULL;
	year = digits(arg, 4);
	mon = digits(arg + 4, 2);
	day = digits(arg + 6, 2);
	hour = digits(arg + 8, 2);
	min = digits(arg + 10, 2);
	sec = digits(arg + 12, 2);
	if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
	    min < 0 || min > 59 || sec < 0 || sec > 60)
		return NULL;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if (*p != ' ' || p[1] == '\0')
		return NULL;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec == 60 ? 59 : sec;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != day) /* 31 February */
		return NULL;
	*out = t;
	return p + 1;
}

int args_parse_octal(const char *p, size_t len, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 4)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '7')
			return -1;
		v = v * 8 + (unsigned)(p[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}
