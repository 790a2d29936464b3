/* ebpf/cache.c - which packet loads of a classic program can share one
 * helper call (the plan; translate.c emits it).
 *
 * Why: the verifier turns every eBPF LD_ABS / LD_IND into a helper call, and
 * on this machine (SRSO "Safe RET") a call costs ~12 ns, more than everything
 * else a filter does; bpf_skb_load_bytes (~35 ns) and a dynptr slice (~53 ns:
 * bpf_dynptr_from_skb alone ~40) cost more than three LD_ABS. So the lever is
 * fewer LD_ABS: a load whose bytes an earlier load on every path already read
 * takes them from that load's stack slot (a "hit"), and a load is widened to
 * 4 bytes when later loads fall inside the wider word (`ldh [12]` then
 * `ldxb 4*([14]&0xf)` share `ld [12]`; `ldb [23]` then `ldh [20]` share
 * `ld [20]`; both ports after `ldxb` share `ld [x + 14]`).
 *
 * Why a wider load keeps the classic verdicts exactly: a load past the end
 * ends the filter with 0, so widening changes a verdict only on packets too
 * short for the wide word but long enough for the narrow one. Two cases:
 *  - need(pc), the required length: the least packet length every path from
 *    pc to a non-zero return needs (the max of the ends k + size of its
 *    absolute loads; a path to `ret #0` needs nothing: it is 0 anyway). When
 *    the wide word ends within need(pc), a packet too short for it returns 0
 *    whatever path it takes: the wide load may fail, as the classic one would
 *    later. LD_IND counts for nothing here (X + k wraps at 32 bits in the
 *    kernel, and negative sums read the SKF_NET_OFF / SKF_LL_OFF ranges).
 *  - otherwise the wide load is guarded: `skb->len >= end` (a context read,
 *    no call) or the original narrow load. A later hit on a guarded word
 *    checks the same condition and falls back to its own load, so a slot is
 *    read only where it was written (the slots start at 0 all the same: the
 *    verifier cannot see that correlation).
 * X-relative words ([x + k]) die when X is written. Classic jumps only go
 * forward, so one forward sweep computes what is available (intersection
 * over the predecessors) and one backward sweep computes need().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>

#include "ebpf.h"

#define NEED_NONE UINT32_MAX   /* no path from here returns non-zero */
#define OFF_MAX 0xfff0u        /* cache header offsets only */
#define SCORE_LOOKAHEAD 256    /* later loads a widening choice looks at */

static int size_bytes(uint16_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_W: return 4;
	case BPF_H: return 2;
	default: return 1;
	}
}

/* Whether the instruction is a packet load the cache can serve: sets *ind
 * (X-relative), *k and *s. */
static int cacheable(const struct sniff_insn *in, int *ind, uint32_t *k, int *s)
{
	if (in->code == (BPF_LDX | BPF_B | BPF_MSH)) {
		*ind = 0;
		*s = 1;
	} else if (BPF_CLASS(in->code) == BPF_LD &&
		   (BPF_MODE(in->code) == BPF_ABS || BPF_MODE(in->code) == BPF_IND)) {
		*ind = BPF_MODE(in->code) == BPF_IND;
		*s = size_bytes(in->code);
	} else {
		return 0;
	}
	*k = in->k;
	return in->k < OFF_MAX;
}

static int writes_x(const struct sniff_insn *in)
{
	return BPF_CLASS(in->code) == BPF_LDX ||
	       in->code == (BPF_MISC | BPF_TAX);
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* need[] (see the top of the file), one backward sweep. */
static void required_length(const struct sniff_insn *p, unsigned len, uint32_t *need)
{
	for (unsigned pc = len; pc-- > 0;) {
		const struct sniff_insn *in = &p[pc];
		uint16_t c = in->code;
		uint32_t next = pc + 1 < len ? need[pc + 1] : NEED_NONE;

		switch (BPF_CLASS(c)) {
		case BPF_RET:
			need[pc] = BPF_RVAL(c) == BPF_K && in->k == 0 ? NEED_NONE : 0;
			continue;
		case BPF_JMP:
			if (BPF_OP(c) == BPF_JA) {
				need[pc] = need[pc + 1 + in->k];
			} else {
				uint32_t a = need[pc + 1 + in->jt], b = need[pc + 1 + in->jf];

				need[pc] = a < b ? a : b;
			}
			continue;
		}
		need[pc] = next;
		if (c == (BPF_LD | BPF_W | BPF_ABS) || c == (BPF_LD | BPF_H | BPF_ABS) ||
		    c == (BPF_LD | BPF_B | BPF_ABS) || c == (BPF_LDX | BPF_B | BPF_MSH)) {
			if (in->k == (uint32_t)(SKF_AD_OFF + SKF_AD_IFINDEX))
				need[pc] = 0; /* may end the filter returning A */
			else if (in->k < 0x80000000u && next != NEED_NONE)
				need[pc] = max_u32(next, in->k + (uint32_t)size_bytes(c));
		}
	}
}

static int find_entry(const struct eb_cache *c, int ind, uint32_t start, int width)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->ent[i].ind == ind && c->ent[i].start == start && c->ent[i].width == width)
			return (int)i;
	return -1;
}

static int covers(const struct eb_cache_entry *e, int ind, uint32_t k, int s)
{
	return e->ind == ind && e->start <= k && k + (uint32_t)s <= e->start + e->width;
}

/* The 4-byte word [a, a + 4) for a fresh load of [k, k + s) at PC: the one
 * holding the most later loads (LOOKAHEAD of them), preferring a word
 * within need(pc) (no guard). Returns the width, 4 or s (not widened). */
static int choose_word(const struct sniff_insn *p, unsigned len, const unsigned char *reach,
		       unsigned pc, int ind, uint32_t k, int s, uint32_t need, uint32_t *start)
{
	uint32_t lo = k + (uint32_t)s >= 4 ? k + (uint32_t)s - 4 : 0;
	int best = 0, best_free = 0;

	*start = k;
	if (s == 4)
		return 4;
	for (uint32_t a = lo; a <= k; a++) {
		int score = 0, seen = 0, is_free = need != NEED_NONE && a + 4 <= need;

		for (unsigned q = pc + 1; q < len && seen < SCORE_LOOKAHEAD; q++) {
			int ind2, s2;
			uint32_t k2;

			if (!reach[q] || !cacheable(&p[q], &ind2, &k2, &s2))
				continue;
			seen++;
			if (ind2 == ind && a <= k2 && k2 + (uint32_t)s2 <= a + 4 &&
			    !(k2 >= k && k2 + (uint32_t)s2 <= k + (uint32_t)s))
				score++;
		}
		if (score > best || (score == best && score && is_free && !best_free)) {
			best = score;
			best_free = is_free;
			*start = a;
		}
	}
	return best ? 4 : s;
}

struct avail {
	uint64_t any, sure;    /* entries loaded on every path; without a guard */
};

int eb_cache_plan(const struct sniff_insn *p, unsigned len, const unsigned char *reach,
		  struct eb_cache *c)
{
	uint32_t *need = calloc(len, sizeof(*need));
	struct avail *in = calloc(len, sizeof(*in));
	unsigned char *seen = calloc(len, 1);
	uint64_t ind_mask = 0;

	memset(c, 0, sizeof(*c));
	c->use = calloc(len, sizeof(*c->use));
	if (!need || !in || !seen || !c->use) {
		free(need);
		free(in);
		free(seen);
		free(c->use);
		c->use = NULL;
		return -ENOMEM;
	}
	required_length(p, len, need);
	seen[0] = 1;
	for (unsigned pc = 0; pc < len; pc++) {
		const struct sniff_insn *ins = &p[pc];
		struct avail a = in[pc];
		struct eb_load_use *u = &c->use[pc];
		uint32_t k;
		int ind, s;

		if (!reach[pc] || !seen[pc])
			continue;
		if (cacheable(ins, &ind, &k, &s)) {
			int hit = -1;

			for (unsigned e = 0; e < c->nent && hit < 0; e++)
				if ((a.any >> e & 1) && covers(&c->ent[e], ind, k, s))
					hit = (int)e;
			if (hit >= 0) {
				u->kind = EB_LU_HIT;
				u->entry = (uint8_t)hit;
				u->guard = !(a.sure >> hit & 1);
				if (u->guard)
					c->ent[hit].init = 1;
			} else {
				uint32_t start;
				int w = choose_word(p, len, reach, pc, ind, k, s, need[pc], &start);
				int e = find_entry(c, ind, start, w);

				if (e < 0 && c->nent < EB_CACHE_MAX) {
					e = (int)c->nent++;
					c->ent[e] = (struct eb_cache_entry){ .ind = (uint8_t)ind,
						.width = (uint8_t)w, .start = start };
					if (ind)
						ind_mask |= 1ull << e;
				}
				if (e >= 0) {
					u->kind = EB_LU_FRESH;
					u->entry = (uint8_t)e;
					/* widened beyond what every path needs (or
					 * X-relative): only when the packet has the bytes */
					u->guard = w != s && (ind || need[pc] == NEED_NONE ||
							      start + 4 > need[pc]);
					a.any |= 1ull << e;
					if (!u->guard)
						a.sure |= 1ull << e;
				}
			}
		}
		if (writes_x(ins)) {
			a.any &= ~ind_mask;
			a.sure &= ~ind_mask;
		}
		/* to the successors: what every predecessor has */
		{
			unsigned succ[2], ns = 0;

			if (BPF_CLASS(ins->code) == BPF_RET)
				continue;
			if (BPF_CLASS(ins->code) == BPF_JMP) {
				if (BPF_OP(ins->code) == BPF_JA) {
					succ[ns++] = pc + 1 + ins->k;
				} else {
					succ[ns++] = pc + 1 + ins->jt;
					succ[ns++] = pc + 1 + ins->jf;
				}
			} else {
				succ[ns++] = pc + 1;
			}
			for (unsigned i = 0; i < ns; i++) {
				unsigned q = succ[i];

				if (q >= len)
					continue;
				if (!seen[q]) {
					seen[q] = 1;
					in[q] = a;
				} else {
					in[q].any &= a.any;
					in[q].sure &= a.sure;
				}
			}
		}
	}
	free(need);
	free(in);
	free(seen);
	return 0;
}

void eb_cache_free(struct eb_cache *c)
{
	free(c->use);
	c->use = NULL;
	c->nent = 0;
}
