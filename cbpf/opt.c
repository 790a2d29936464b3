/* cbpf/opt.c: the optimizer's driver and its graph clean-ups (see opt.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cbpf/opt.h"

#define MAX_ROUNDS 32
#define BIG_GRAPH 16384

static int is_ret(const struct cb_block *b)
{
	return BPF_CLASS(b->code) == BPF_RET;
}

static int is_goto(const struct cb_block *b)
{
	return !is_ret(b) && b->jt == b->jf;
}

void *opt_alloc(struct opt_ctx *o, size_t n)
{
	return arena_alloc(o->arena, n);
}

void *opt_alloc_raw(struct opt_ctx *o, size_t n)
{
	return arena_alloc_raw(o->arena, n);
}

/* The per-block tables, for NB blocks; the optimizer makes none, so this
 * runs once.  Each pass writes what it reads (topo, live_in and ant_in by
 * index before use; pending, stopped and mhash cleared by their pass). */
static int ctx_size(struct opt_ctx *o, unsigned nb)
{
	unsigned hcap = 16;

	o->topo = opt_alloc_raw(o, nb * sizeof(*o->topo));
	o->live_in = opt_alloc_raw(o, nb * sizeof(*o->live_in));
	o->ant_in = opt_alloc_raw(o, nb * sizeof(*o->ant_in));
	o->stack = opt_alloc_raw(o, nb * sizeof(*o->stack));
	o->pending = opt_alloc_raw(o, nb * sizeof(*o->pending));
	o->stopped = opt_alloc_raw(o, nb);
	while (hcap < 2 * nb)
		hcap *= 2;
	o->mhash = opt_alloc_raw(o, hcap * sizeof(*o->mhash));
	if (!o->topo || !o->live_in || !o->ant_in || !o->stack || !o->pending || !o->stopped ||
	    !o->mhash)
		return -ENOMEM;
	o->mhcap = hcap;
	o->cap = nb;
	return 0;
}

/* Reachable blocks in topological order; block->offset = index.
 * Iterative: filters can be tens of thousands of blocks deep. */
int opt_topo(struct opt_ctx *o)
{
	struct cb_block *b, *c, **post;
	unsigned sp = 0, p, n, i, seen = 1, nb = o->g->nblocks + 1, gen;

	if (nb > o->cap && ctx_size(o, nb))
		return -ENOMEM;
	/* a fresh generation instead of clearing every block: far above any
	 * predecessor count a pass may leave in mark */
	gen = ++o->gen;
	/* the post-order fills the table from its end, so that it reads in
	 * reverse post-order where it ends; returns are placed when first met */
	post = o->topo;
	p = o->cap;
	b = o->g->entry;
	b->mark = gen;
	if (is_ret(b))
		post[--p] = b;
	else
		o->stack[sp++] = (struct topo_frame){ b, 0 };
	while (sp) {
		struct topo_frame *f = &o->stack[sp - 1];

		b = f->b;
		if (f->state == 0) {
			f->state = 1;
			c = b->jt;
		} else if (f->state == 1 && b->jf != b->jt) {
			f->state = 2;
			c = b->jf;
		} else {
			post[--p] = b;
			sp--;
			continue;
		}
		if (!c)
			return -EINVAL;	/* a test without a successor */
		if (c->mark == gen)
			continue;
		/* every block is placed once and stacked at most once */
		if (++seen >= o->cap)
			return -EINVAL;	/* a block cb_block_new did not count */
		c->mark = gen;
		if (is_ret(c)) {
			post[--p] = c;
			continue;
		}
		o->stack[sp++] = (struct topo_frame){ c, 0 };
	}
	n = o->cap - p;
	for (i = 0; i < n; i++) {
		b = post[p + i];
		o->topo[i] = b;
		b->offset = (int)i;
	}
	o->n = n;
	o->topo_ok = 1;
	return 0;
}

#ifdef SNIFF_OPT_CHECK
/* The order a pass kept instead of a new opt_topo() must be one: the
 * entry first, every edge going down the table to a block in it, and every
 * other block with a predecessor above it (so every one is reachable). */
static void topo_check(struct opt_ctx *o)
{
	unsigned char *has_pred = opt_alloc(o, o->n ? o->n : 1);
	unsigned i;

	if (!has_pred)
		return;
	if (!o->n || o->topo[0] != o->g->entry)
		abort();
	for (i = 0; i < o->n; i++) {
		const struct cb_block *b = o->topo[i];
		const struct cb_block *s[2];
		unsigned j;

		if (b->offset != (int)i || (i && !has_pred[i]))
			abort();
		if (is_ret(b))
			continue;
		s[0] = b->jt;
		s[1] = b->jf;
		for (j = 0; j < 2; j++) {
			unsigned t = (unsigned)s[j]->offset;

			if (s[j]->offset <= (int)i || t >= o->n || o->topo[t] != s[j])
				abort();
			has_pred[t] = 1;
		}
	}
}
#endif

/* ---- identical blocks ---------------------------------------------------- */

static uint64_t block_hash(const struct cb_block *b)
{
	uint64_t h = 1469598103934665603ull;
	unsigned i;

#define MIX(x) (h = (h ^ (uint64_t)(x)) * 1099511628211ull)
	MIX(b->code);
	MIX(b->k);
	MIX(b->nstmts);
	for (i = 0; i < b->nstmts; i++) {
		MIX(b->stmts[i].code);
		MIX(b->stmts[i].k);
	}
	if (!is_ret(b)) {
		MIX(b->jt->id);
		MIX(b->jf->id);
	}
#undef MIX
	return h;
}

static int same_block(const struct cb_block *a, const struct cb_block *b)
{
	unsigned i;

	if (a->code != b->code || a->nstmts != b->nstmts)
		return 0;
	if (is_ret(a) ? (BPF_RVAL(a->code) == BPF_K && a->k != b->k)
		      : (a->k != b->k || a->jt != b->jt || a->jf != b->jf))
		return 0;
	for (i = 0; i < a->nstmts; i++)
		if (a->stmts[i].code != b->stmts[i].code || a->stmts[i].k != b->stmts[i].k)
			return 0;
	return 1;
}

/* Bottom-up: point every edge past empty unconditional blocks and at one
 * representative of each set of identical blocks; a block that only goes on
 * to a bare return takes that return itself. */
static int merge_blocks(struct opt_ctx *o)
{
	unsigned hcap = o->mhcap, i, changes = 0;
	struct cb_block **h = o->mhash;

	/* a table for the reachable blocks only: the graph may hold many dead */
	while (hcap / 2 >= 2 * o->n && hcap > 16)
		hcap /= 2;
	memset(h, 0, hcap * sizeof(*h));
	o->keeps_fwd = 1;
	for (i = o->n; i-- > 0;) {
		struct cb_block *b = o->topo[i];
		unsigned j;

		if (!is_ret(b)) {
			struct cb_block *t = b->jt->aux, *f = b->jf->aux;

			if (t != b->jt || f != b->jf)
				changes++;
			b->jt = t;
			b->jf = f;
			if (is_goto(b) && b->nstmts == 0) {
				b->aux = b->jt;
				continue;
			}
			if (is_goto(b) && is_ret(b->jt) && b->jt->nstmts == 0) {
				b->code = b->jt->code;
				b->k = b->jt->k;
				b->jt = b->jf = NULL;
				changes++;
			}
		}
		b->aux = b;
		for (j = (unsigned)block_hash(b) & (hcap - 1); h[j]; j = (j + 1) & (hcap - 1))
			if (same_block(h[j], b)) {
				/* counted where an edge or the entry moves: B may
				 * be a block that nothing reachable points to */
				b->aux = h[j];
				o->keeps_fwd &= is_ret(b) || is_goto(b);
				break;
			}
		if (b->aux == b)
			h[j] = b;
	}
	if (o->g->entry->aux != o->g->entry) {
		o->g->entry = o->g->entry->aux;
		changes++;
	}
	return (int)changes;
}

/* A block whose unconditional successor has no other predecessor absorbs it. */
static int join_blocks(struct opt_ctx *o)
{
	unsigned i, changes = 0;

	for (i = 0; i < o->n; i++)
		o->topo[i]->mark = 0;	/* predecessor count */
	for (i = 0; i < o->n; i++) {
		struct cb_block *b = o->topo[i];

		if (is_ret(b))
			continue;
		b->jt->mark++;
		if (b->jf != b->jt)
			b->jf->mark++;
	}
	for (i = 0; i < o->n; i++) {
		struct cb_block *b = o->topo[i];

		while (is_goto(b) && b->jt->mark == 1 && b->jt != o->g->entry) {
			struct cb_block *s = b->jt;
			unsigned j;

			if (block_reserve(b, b->nstmts + s->nstmts))
				return -ENOMEM;
			for (j = 0; j < s->nstmts; j++)
				cb_block_add(b, s->stmts[j].code, s->stmts[j].k);
			b->code = s->code;
			b->k = s->k;
			b->jt = s->jt;
			b->jf = s->jf;
			b->pos = s->pos;
			b->len = s->len;
			s->mark = 0;
			s->nstmts = 0;
			s->code = BPF_RET | BPF_K;	/* now unreachable: keep it inert */
			s->jt = s->jf = NULL;
			changes++;
		}
	}
	return (int)changes;
}

/* A `ja` exit (outside the contract, but cheap to accept) becomes the
 * graph's own unconditional form: a test whose two edges agree. */
static void normalize(struct cb_graph *g)
{
	struct cb_block *b;

	for (b = g->blocks; b; b = b->next_alloc)
		if (BPF_CLASS(b->code) == BPF_JMP && BPF_OP(b->code) == BPF_JA) {
			b->code = BPF_JMP | BPF_JEQ | BPF_K;
			b->k = 0;
			b->jf = b->jt;
		}
}

static void ctx_free(struct opt_ctx *o)
{
	arena_delete(o->arena);
}

/* The passes of a round, as bits of the set that left the graph alone. */
enum { P_BWD = 1, P_CHAINS = 2, P_FWD = 4, P_MERGE = 8, P_JOIN = 16, P_ALL = 31 };

static unsigned passed(struct opt_ctx *o, unsigned ok, unsigned pass, int rc, int *changes)
{
	unsigned holds = rc == 0 ? o->holds : 0;

#ifdef SNIFF_OPT_CHECK
	/* built with -DSNIFF_OPT_CHECK, no pass is skipped for holding;
	 * instead a pass said to have nothing to do must find nothing */
	if (rc > 0 && (o->holds & pass))
		abort();
#endif
	/* Which passes would find nothing on the graph this one leaves?
	 *  - the forward pass after one that found nothing or was closed
	 *    (opt-fwd.c), and after merges of returns and unconditional blocks:
	 *    a merged block's entry state is the meet of the two, which decides
	 *    and removes nothing the two did not, and its exit state is what its
	 *    successors already met.  Not after merges of tests: the meet of two
	 *    refined states can know less than the refined meet;
	 *  - the forward pass after a backward pass that only deleted stores to
	 *    scratch slots no kept statement reads or writes (opt-bwd.c):
	 *    such a slot then holds its entry value everywhere, an unknown no
	 *    other location holds and no statement computes, and it was dead
	 *    wherever the stores had put something else.  The forward pass looks
	 *    at a dead location's value only to find a store to it redundant
	 *    (none is left) or a value held somewhere (none equals the entry
	 *    value), so every other location and fact is as before;
	 *  - the merge after itself: it leaves no two reachable blocks alike and
	 *    no edge to an empty unconditional block;
	 *  - the backward pass after itself (opt-bwd.c).
	 * Any other change starts afresh. */
	if (rc > 0 && (pass & (P_MERGE | P_BWD)) && o->keeps_fwd)
		holds |= o->holds & P_FWD;
	if (pass == P_FWD && (rc == 0 || o->fwd_closed))
		holds |= P_FWD;
	if (pass == P_MERGE)
		holds |= P_MERGE;
	if (pass == P_BWD)
		holds |= P_BWD;
	o->holds = holds;
	if (rc == 0) {
		ok |= pass;
	} else {
		*changes += rc;
		/* the forward pass leaves the order a topological one of just
		 * the blocks it reached (opt-fwd.c): only the others lose it */
		if (pass != P_FWD)
			o->topo_ok = 0;
		ok = 0;	/* a new graph: nothing has been checked on it yet */
	}
#ifndef SNIFF_OPT_CHECK
	ok |= o->holds;
#endif
	return ok;
}

int cb_optimize(struct cb_graph *g)
{
	struct opt_ctx o;
	unsigned ok;
	int round, rc = 0;

	if (!g || !g->entry)
		return -EINVAL;
	normalize(g);
	memset(&o, 0, sizeof(o));
	o.g = g;
	o.gen = 0x40000000u;
	o.arena = arena_new();
	if (!o.arena || ctx_size(&o, g->nblocks + 1) || vn_init(&o.vn, o.arena)) {
		ctx_free(&o);
		return -ENOMEM;
	}
	/* A pass that found nothing to do on a graph finds nothing on it again
	 * (the passes are functions of the graph), so each pass is skipped
	 * while the graph is still the one it last left unchanged, and the
	 * optimizer stops when every pass has left the current graph alone. */
	for (round = 0, ok = 0; round < MAX_ROUNDS && ok != P_ALL; round++) {
		int changes = 0;

		/* the order is a function of the graph: kept while it stands */
		if (!o.topo_ok && (rc = opt_topo(&o)) < 0)
			break;
#ifdef SNIFF_OPT_CHECK
		topo_check(&o);
#endif
		if (!(ok & P_BWD)) {
			if ((rc = opt_backward(&o)) < 0)
				break;
			ok = passed(&o, ok, P_BWD, rc, &changes);
		}
		/* chains show up once threading has linked the tests: not before */
		if (round > 0 && !(ok & P_CHAINS)) {
			if ((rc = opt_chains(&o)) < 0)
				break;
			ok = passed(&o, ok, P_CHAINS, rc, &changes);
			/* the chains' blocks changed: liveness again */
			if (rc > 0 && (rc = opt_backward(&o)) < 0)
				break;
		}
		/* blocks the chains (or the last round's joins) made identical
		 * are merged before the forward pass sees them: otherwise only
		 * the merge after it finds them, and the forward pass must then
		 * run once more on the merged graph */
		if (round > 0 && !(ok & P_MERGE) && !(ok & P_FWD)) {
			if ((rc = merge_blocks(&o)) < 0)
				break;
			ok = passed(&o, ok, P_MERGE, rc, &changes);
		}
		/* past the kernel's 4096 instructions a program is only ever a
		 * benchmark: the second round there only regroups chains and
		 * merges (stopping early costs size, not sense) */
		if (o.n > BIG_GRAPH && round >= 1)
			ok |= P_FWD;
		if (ok != P_ALL && !(ok & P_FWD)) {
			if ((rc = opt_forward(&o)) < 0)
				break;
			ok = passed(&o, ok, P_FWD, rc, &changes);
		}
		/* threading only moves edges down the order: it still holds */
		if (ok != P_ALL && !(ok & P_MERGE)) {
			if ((rc = merge_blocks(&o)) < 0)
				break;
			ok = passed(&o, ok, P_MERGE, rc, &changes);
		}
		if (ok != P_ALL && !(ok & P_JOIN)) {
			if (!o.topo_ok && (rc = opt_topo(&o)) < 0)
				break;
#ifdef SNIFF_OPT_CHECK
			topo_check(&o);
#endif
			if ((rc = join_blocks(&o)) < 0)
				break;
			ok = passed(&o, ok, P_JOIN, rc, &changes);
		}
		rc = 0;
		if (!changes || (o.n > BIG_GRAPH && round >= 1))
			break;
	}
	ctx_free(&o);
	return rc < 0 ? rc : 0;
}
