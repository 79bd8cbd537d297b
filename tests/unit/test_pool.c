/* The master's pool of spares: spawn requests are not waited for, each
 * answer is matched by its ticket, and only answered spares are assigned.
 * A socketpair stands in for the zygote's link; the test reads the
 * requests (and the spares' links they carry) from its other end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <unistd.h>

#include "master/pool.h"
#include "privsep/proto.h"

struct fake_zygote {
	struct generation g;
	int end;          /* the zygote's side of the link */
	uint32_t *ticket; /* of each request read, in order */
	int *spare;       /* the spare's side of its link, in order */
	size_t n;
};

static struct fake_zygote *zygote_new(void)
{
	struct fake_zygote *z = calloc(1, sizeof(*z));
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	z->g = (struct generation){ .link = sv[0] };
	z->end = sv[1];
	z->ticket = calloc(POOL_MAX, sizeof(*z->ticket));
	z->spare = calloc(POOL_MAX, sizeof(*z->spare));
	return z;
}

/* Every request sent so far. */
static void read_requests(struct fake_zygote *z)
{
	struct priv_msg m;

	while (recv(z->end, NULL, 0, MSG_PEEK | MSG_DONTWAIT) >= 0 && z->n < POOL_MAX) {
		assert_int_equal(priv_recv(z->end, &m), 1);
		assert_int_equal(m.type, PRIV_ZYG_SPAWN);
		assert_int_equal(priv_decode_zyg_spawn(&m, &z->ticket[z->n]), 0);
		assert_true(m.fd >= 0);
		z->spare[z->n++] = m.fd;
	}
}

static void zygote_free(struct fake_zygote *z)
{
	for (size_t i = 0; i < z->n; i++)
		close(z->spare[i]);
	close(z->end);
	close(z->g.link);
	free(z->ticket);
	free(z->spare);
	free(z);
}

static struct ftpsd_config *config(struct listener *l)
{
	struct ftpsd_config *cfg = calloc(1, sizeof(*cfg));

	cfg->nvhosts = 1;
	*l = (struct listener){ .fd = -1, .vhost = &cfg->vhosts[0] };
	return cfg;
}

/* Whether the spare's side of link I got a PRIV_ASSIGN. */
static bool assigned(struct fake_zygote *z, size_t i)
{
	struct priv_msg m;

	if (recv(z->spare[i], NULL, 0, MSG_PEEK | MSG_DONTWAIT) < 0)
		return false;
	assert_int_equal(priv_recv(z->spare[i], &m), 1);
	if (m.fd >= 0)
		close(m.fd);
	return m.type == PRIV_ASSIGN;
}

static pid_t assign(struct pool *p, const struct ftpsd_config *cfg, const struct listener *l)
{
	int sv[2], link = -1;
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = pool_assign(p, cfg, l, sv[0], NULL, NULL, &link);
	close(sv[0]);
	close(sv[1]);
	if (link >= 0)
		close(link);
	return pid;
}

static void test_requests_are_not_waited_for_and_answers_match_tickets(void **state)
{
	struct fake_zygote *z = zygote_new();
	struct pool *p = calloc(1, sizeof(*p));
	struct listener l;
	struct ftpsd_config *cfg = config(&l);

	(void)state;
	/* Nobody answers, and pool_fill returns all the same. */
	pool_fill(p, 3, &z->g);
	read_requests(z);
	assert_int_equal(z->n, 3);
	assert_true(z->ticket[0] != z->ticket[1] && z->ticket[1] != z->ticket[2] &&
		    z->ticket[0] != z->ticket[2]);
	assert_int_equal(pool_pending(p), 3);
	/* No answer yet: nothing to assign, and nothing sent to any spare. */
	assert_int_equal(assign(p, cfg, &l), -1);
	for (size_t i = 0; i < 3; i++)
		assert_false(assigned(z, i));
	/* Answers in another order than the requests (a new spawner's may
	 * come before an old one's): each goes to its own request. */
	pool_spawned(p, z->ticket[2], 300);
	pool_spawned(p, z->ticket[0], 100);
	pool_spawned(p, 12345, 999); /* no such request: ignored */
	assert_int_equal(p->n, 3);
	assert_int_equal(pool_pending(p), 1);
	/* Oldest answered first; the unanswered one is skipped, not lost. */
	assert_int_equal(assign(p, cfg, &l), 100);
	assert_true(assigned(z, 0));
	assert_int_equal(assign(p, cfg, &l), 300);
	assert_true(assigned(z, 2));
	assert_int_equal(assign(p, cfg, &l), -1);
	assert_false(assigned(z, 1));
	assert_int_equal(p->n, 1);
	/* The answer that says the fork failed forgets that spare. */
	pool_spawned(p, z->ticket[1], 0);
	assert_int_equal(p->n, 0);
	assert_int_equal(pool_pending(p), 0);
	/* A refill asks again, with new tickets. */
	pool_fill(p, 1, &z->g);
	read_requests(z);
	assert_int_equal(z->n, 4);
	assert_true(z->ticket[3] != z->ticket[0] && z->ticket[3] != z->ticket[1] &&
		    z->ticket[3] != z->ticket[2]);
	pool_drain(p);
	zygote_free(z);
	free(cfg);
	free(p);
}

static void test_drain_closes_unanswered_spares_links(void **state)
{
	struct fake_zygote *z = zygote_new();
	struct pool *p = calloc(1, sizeof(*p));
	char c;

	(void)state;
	pool_fill(p, 2, &z->g);
	read_requests(z);
	pool_spawned(p, z->ticket[0], 0x7ffffff0); /* no such process: kill fails */
	/* The unanswered one has no pid to kill (kill(0) would be our own
	 * process group): its link closes, which ends that monitor. */
	pool_drain(p);
	assert_int_equal(p->n, 0);
	assert_int_equal(recv(z->spare[1], &c, 1, MSG_DONTWAIT), 0);
	assert_int_equal(recv(z->spare[0], &c, 1, MSG_DONTWAIT), 0);
	zygote_free(z);
	free(p);
}

static void test_forgetting_pending_keeps_answered_spares(void **state)
{
	struct fake_zygote *z = zygote_new();
	struct pool *p = calloc(1, sizeof(*p));
	struct listener l;
	struct ftpsd_config *cfg = config(&l);
	char c;

	(void)state;
	pool_fill(p, 3, &z->g);
	read_requests(z);
	pool_spawned(p, z->ticket[1], 200);
	pool_forget_pending(p);
	assert_int_equal(p->n, 1);
	assert_int_equal(pool_pending(p), 0);
	/* The forgotten ones' links are closed: a spare forked late ends. */
	assert_int_equal(recv(z->spare[0], &c, 1, MSG_DONTWAIT), 0);
	assert_int_equal(recv(z->spare[2], &c, 1, MSG_DONTWAIT), 0);
	/* Their late answers are ignored; the answered spare still serves. */
	pool_spawned(p, z->ticket[0], 100);
	pool_spawned(p, z->ticket[2], 300);
	assert_int_equal(p->n, 1);
	assert_int_equal(assign(p, cfg, &l), 200);
	assert_true(assigned(z, 1));
	/* And a refill asks the zygote again. */
	pool_fill(p, 1, &z->g);
	read_requests(z);
	assert_int_equal(z->n, 4);
	assert_int_equal(pool_pending(p), 1);
	pool_drain(p);
	zygote_free(z);
	free(cfg);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests_are_not_waited_for_and_answers_match_tickets),
		cmocka_unit_test(test_drain_closes_unanswered_spares_links),
		cmocka_unit_test(test_forgetting_pending_keeps_answered_spares),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
