#include "master/throttle.h"

static struct throttle_entry *find(struct throttle *t, const struct net_addr *ip)
{
	for (size_t i = 0; i < t->n; i++)
		if (net_addr_same_ip(&t->e[i].ip, ip))
			return &t->e[i];
	return NULL;
}

/* Room for a new address: a free slot, else the entry whose window
 * started longest ago. */
static struct throttle_entry *slot(struct throttle *t)
{
	size_t oldest = 0;

	if (t->n < THROTTLE_MAX)
		return &t->e[t->n++];
	for (size_t i = 1; i < t->n; i++)
		if (t->e[i].since < t->e[oldest].since)
			oldest = i;
	return &t->e[oldest];
}

void throttle_record(struct throttle *t, const struct net_addr *ip, time_t now, unsigned window)
{
	struct throttle_entry *e = find(t, ip);

	if (!e) {
		e = slot(t);
		*e = (struct throttle_entry){ .ip = *ip, .fails = 0, .since = now };
	}
	if (now - e->since >= (time_t)window) {
		e->since = now;
		e->fails = 0;
	}
	e->fails++;
}

bool throttle_blocked(const struct throttle *t, const struct net_addr *ip, time_t now,
		      unsigned limit, unsigned window)
{
	if (limit == 0)
		return false;
	for (size_t i = 0; i < t->n; i++)
		if (net_addr_same_ip(&t->e[i].ip, ip))
			return now - t->e[i].since < (time_t)window && t->e[i].fails >= limit;
	return false;
}
