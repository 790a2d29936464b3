/* cbpf/opt-bwd.c: the backward pass (see opt.h): liveness, dead statements,
 * and the exit peepholes that need to know A is dead.
 *
 * "ant" is how many bytes every path from a point to a non-zero return is
 * sure to load: a dead load of at most that many bytes may go, because a
 * packet it would have failed on fails later anyway (or is dropped).
 */
#include <errno.h>
#include <stdlib.h>

#include "cbpf/opt.h"

#define ANT_ALL UINT64_MAX
#define SANE_OFFSET 0x10000000u

static uint64_t load_end(uint16_t code, uint32_t k)
{
	if (k >= SANE_OFFSET)
		return 0;
	if (BPF_CLASS(code) == BPF_LD && BPF_MODE(code) == BPF_ABS)
		return (uint64_t)k + (BPF_SIZE(code) == BPF_B ? 1 : BPF_SIZE(code) == BPF_H ? 2 : 4);
	if (BPF_CLASS(code) == BPF_LDX && BPF_MODE(code) == BPF_MSH)
		return (uint64_t)k + 1;
	return 0;
}

/* Fold the last statement into a `jeq #k` when A is dead after the block:
 * the test then reads the value before it. */
static int peephole_exit(struct cb_block *b, uint32_t live_out)
{
	int n = 0;

	while (b->nstmts && !(live_out & LOC_BIT(LOC_A)) && b->jt != b->jf &&
	       b->code == (BPF_JMP | BPF_JEQ | BPF_K)) {
		struct cb_stmt *last = &b->stmts[b->nstmts - 1];

		if (BPF_CLASS(last->code) != BPF_ALU) {
			break;	/* most blocks end with a load: none of the below */
		} else if (last->code == (BPF_ALU | BPF_SUB | BPF_K)) {
			b->k += last->k;	/* A - c == k  <=>  A == k + c (mod 2^32) */
		} else if (last->code == (BPF_ALU | BPF_ADD | BPF_K)) {
			b->k -= last->k;
		} else if (last->code == (BPF_ALU | BPF_XOR | BPF_K)) {
			b->k ^= last->k;
		} else if (last->code == (BPF_ALU | BPF_NEG)) {
			b->k = -b->k;
		} else if (last->code == (BPF_ALU | BPF_SUB | BPF_X) && b->k == 0) {
			b->code = BPF_JMP | BPF_JEQ | BPF_X;
		} else if (last->code == (BPF_ALU | BPF_XOR | BPF_X) && b->k == 0) {
			b->code = BPF_JMP | BPF_JEQ | BPF_X;
		} else if (last->code == (BPF_ALU | BPF_AND | BPF_K) && b->k == 0) {
			struct cb_block *s = b->jt;

			/* (A & m) == 0  <=>  !(A jset m) */
			b->code = BPF_JMP | BPF_JSET | BPF_K;
			b->k = last->k;
			b->jt = b->jf;
			b->jf = s;
		} else {
			break;
		}
		b->nstmts--;
		n++;
	}
	return n;
}

/* Does a reachable statement read or write a location in MASK? */
static int touches(const struct opt_ctx *o, uint32_t mask)
{
	unsigned i, j;

	for (i = 0; i < o->n; i++) {
		const struct cb_block *b = o->topo[i];

		for (j = 0; j < b->nstmts; j++) {
			uint32_t use, def;

			stmt_uses_defs(b->stmts[j].code, b->stmts[j].k, &use, &def);
			if ((use | def) & mask)
				return 1;
		}
	}
	return 0;
}

/* One run leaves every block as a second run would: what is live and
 * anticipated after a statement is counted over the statements that stay,
 * and a block whose dead tail went is visited again, since the exit
 * peephole may now reach the statement before it.  So the pass is closed
 * (passed() in opt.c). */
int opt_backward(struct opt_ctx *o)
{
	uint32_t deleted = 0;	/* locations whose definitions went */
	int changes = 0, peep = 0;
	unsigned i;

	for (i = o->n; i-- > 0;) {
		struct cb_block *b = o->topo[i];
		uint32_t live;
		uint64_t ant;
		unsigned j;
		int dels;

	again:
		dels = 0;
		if (BPF_CLASS(b->code) == BPF_RET) {
			live = BPF_RVAL(b->code) == BPF_A ? LOC_BIT(LOC_A) : 0;
			ant = BPF_RVAL(b->code) == BPF_K && b->k == 0 ? ANT_ALL : 0;
		} else {
			unsigned t = (unsigned)b->jt->offset, f = (unsigned)b->jf->offset;

			live = o->live_in[t] | o->live_in[f];
			ant = o->ant_in[t] < o->ant_in[f] ? o->ant_in[t] : o->ant_in[f];
			peep += peephole_exit(b, live);
			if (b->jt != b->jf) {
				live |= LOC_BIT(LOC_A);
				if (BPF_SRC(b->code) == BPF_X)
					live |= LOC_BIT(LOC_X);
			}
		}
		for (j = b->nstmts; j-- > 0;) {
			const struct cb_stmt *st = &b->stmts[j];
			uint64_t end = load_end(st->code, st->k);
			uint32_t use, def;

			stmt_uses_defs(st->code, st->k, &use, &def);
			if (def && !(def & live) &&
			    (!stmt_may_fault(st->code) || (end && end <= ant))) {
				deleted |= def;
				block_del_stmt(b, j);
				changes++;
				dels++;
				continue;
			}
			live = (live & ~def) | use;
			if (ant != ANT_ALL && end > ant)
				ant = end;
		}
		if (dels && b->code == (BPF_JMP | BPF_JEQ | BPF_K) && b->nstmts &&
		    BPF_CLASS(b->stmts[b->nstmts - 1].code) == BPF_ALU)
			goto again;
		o->live_in[i] = live;
		o->ant_in[i] = ant;
	}
	/* passed() in opt.c keeps the forward pass closed when the changes
	 * were all deleted stores to slots no kept statement reads or writes */
	o->keeps_fwd = !peep && !(deleted & (LOC_BIT(LOC_A) | LOC_BIT(LOC_X))) && deleted &&
		       !touches(o, deleted);
	return changes + peep;
}
