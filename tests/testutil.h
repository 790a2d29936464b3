/* testutil.h - what several unit tests share: the CI rule for skips, the
 * "can we load eBPF here" probe and a small seeded random generator. */
#ifndef SNIFF_TESTUTIL_H
#define SNIFF_TESTUTIL_H

#include <stdint.h>

/* 1 when CI=true: a test that would skip must fail instead. */
int test_ci_mode(void);

/* 1 when BPF_PROG_LOAD works here (and, with need_root, we are root); else
 * print a visible SKIP line for TEST and return 0, or abort the check under
 * CI=true. */
int test_have_bpf(const char *test, int need_root);

/* xorshift64*: repeatable from a printed seed (s must not be 0). */
struct test_rng {
	uint64_t s;
};

static inline uint32_t test_rnd(struct test_rng *g)
{
	g->s ^= g->s >> 12;
	g->s ^= g->s << 25;
	g->s ^= g->s >> 27;
	return (uint32_t)((g->s * 0x2545F4914F6CDD1DULL) >> 32);
}

static inline uint32_t test_below(struct test_rng *g, uint32_t n)
{
	return n ? test_rnd(g) % n : 0;
}

#endif
