/* cbpf/opt-fwd.c: the forward pass (see opt.h): value numbering, folding,
 * removal of recomputations, jump threading.
 *
 * Blocks are visited in topological order and every edge pushes its state
 * into its target, so a block's entry state is complete when its turn comes.
 * Threading only moves an edge further down the graph, which keeps the order
 * valid while the pass runs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cbpf/opt.h"

#define SKF_RANDOM_K 0xfffff038u /* SKF_AD_OFF + SKF_AD_RANDOM: differs every read */
#define SANE_OFFSET 0x10000000u  /* past this an absolute load is ancillary data */
#define MAX_THREAD_STEPS 256

/* Why a threaded edge stopped at a block (fwd.stopped). */
enum { STOP_UNDECIDED = 1, STOP_FAULT = 2 };

struct fwd {
	struct opt_ctx *o;      /* its pending, pool and stopped serve this pass */
	int changes;
	int oom;
	int open;               /* a second run might find more (see opt_forward) */
	int dels;               /* changes that deleted a recomputation */
	struct state reached;   /* stands for the state of a bare return */
	unsigned char *stopped; /* by topo index: why a threaded edge stopped there */
};

static int is_ret(const struct cb_block *b)
{
	return BPF_CLASS(b->code) == BPF_RET;
}

static uint32_t load_size(uint16_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_H: return 2;
	case BPF_B: return 1;
	}
	return 4;
}

/* Bytes the packet must hold for this statement not to fail, 0 if unknown. */
static uint64_t needs_len(uint16_t code, uint32_t k)
{
	if (k >= SANE_OFFSET)
		return 0;
	if (BPF_CLASS(code) == BPF_LD && BPF_MODE(code) == BPF_ABS)
		return (uint64_t)k + load_size(code);
	if (BPF_CLASS(code) == BPF_LDX && BPF_MODE(code) == BPF_MSH)
		return (uint64_t)k + 1;
	return 0;
}

/* Value a statement stores and where: 0 when it only fails (constant 0 divisor).
 * Inlined into its two loops: its call was a fifth of its cost. */
static inline __attribute__((always_inline)) uint32_t
eval_stmt(struct vn_table *t, const struct state *s, uint16_t code, uint32_t k, unsigned *dest)
{
	uint32_t v = 0;

	switch (BPF_CLASS(code)) {
	case BPF_LD:
	case BPF_LDX:
		*dest = BPF_CLASS(code) == BPF_LD ? LOC_A : LOC_X;
		switch (BPF_MODE(code)) {
		case BPF_IMM: v = vn_const(t, k); break;
		case BPF_MEM: v = k < BPF_MEMWORDS ? s->loc[k] : 0; break;
		case BPF_LEN: v = vn_make(t, VN_LEN, 0, 0, 0, 0); break;
		case BPF_ABS:
			v = k == SKF_RANDOM_K ? vn_opaque(t) : vn_abs(t, BPF_SIZE(code), k);
			break;
		case BPF_IND:
			v = s->loc[LOC_X] ? vn_make(t, VN_IND, BPF_SIZE(code), s->loc[LOC_X], 0, k) : 0;
			break;
		case BPF_MSH: v = vn_make(t, VN_MSH, 0, 0, 0, k); break;
		}
		break;
	case BPF_ST:
		*dest = k;
		v = s->loc[LOC_A];
		break;
	case BPF_STX:
		*dest = k;
		v = s->loc[LOC_X];
		break;
	case BPF_ALU:
		*dest = LOC_A;
		if (BPF_OP(code) == BPF_NEG)
			v = vn_alu(t, BPF_NEG, s->loc[LOC_A], 0);
		else
			v = vn_alu(t, BPF_OP(code), s->loc[LOC_A],
				   BPF_SRC(code) == BPF_X ? s->loc[LOC_X] : vn_const(t, k));
		break;
	case BPF_MISC:
		if (BPF_MISCOP(code) == BPF_TAX) {
			*dest = LOC_X;
			v = s->loc[LOC_A];
		} else {
			*dest = LOC_A;
			v = s->loc[LOC_X];
		}
		break;
	default:
		*dest = LOC_A;
		break;
	}
	if (*dest >= NLOC)
		*dest = LOC_A;	/* bad scratch index: the validator rejects it */
	return v ? v : vn_opaque(t);
}

/* Compared four scratch slots at a time: threading asks this for nearly
 * every load it passes, and a value is seldom held anywhere, so the early
 * exit of a loop saved nothing (1.5% of compiling the mix). */
typedef uint32_t loc4 __attribute__((vector_size(16)));

static int holds(const struct state *s, uint32_t v)
{
	loc4 m[BPF_MEMWORDS / 4], any = { 0, 0, 0, 0 };
	unsigned i;

	if (!v)
		return 0;
	if (s->loc[LOC_A] == v || s->loc[LOC_X] == v)
		return 1;
	memcpy(m, s->loc, sizeof(m));
	for (i = 0; i < BPF_MEMWORDS / 4; i++)
		any |= m[i] == v;
	return (any[0] | any[1] | any[2] | any[3]) != 0;
}

/* Rewrites that keep the value and never make a statement worse. */
static void simplify_stmt(struct fwd *F, const struct state *s, struct cb_stmt *st)
{
	struct vn_table *t = &F->o->vn;
	uint16_t code = st->code;
	uint32_t c;

	/* ld [x + k] with X known: an absolute load of the same bytes (the sum
	 * stays far from wrapping, where libpcap and the kernel would differ) */
	if (BPF_CLASS(code) == BPF_LD && BPF_MODE(code) == BPF_IND &&
	    vn_is_const(t, s->loc[LOC_X], &c) && c < SANE_OFFSET && st->k < SANE_OFFSET) {
		st->code = (uint16_t)(BPF_LD | BPF_SIZE(code) | BPF_ABS);
		st->k += c;
		F->changes++;
		F->open = 1;	/* the load has a new value number */
		return;
	}
	if (BPF_CLASS(code) == BPF_ALU && BPF_OP(code) != BPF_NEG && BPF_SRC(code) == BPF_X &&
	    vn_is_const(t, s->loc[LOC_X], &c)) {
		unsigned op = BPF_OP(code);

		if (!((op == BPF_DIV || op == BPF_MOD) && c == 0) &&
		    !((op == BPF_LSH || op == BPF_RSH) && c >= 32)) {
			st->code = (uint16_t)(BPF_ALU | op | BPF_K);
			st->k = c;
			F->changes++;
		}
	}
}

/* Locations live after statement J of B (its successors are not visited
 * yet, so their live_in still holds).  Only the tcp[k] fold asks, rarely:
 * a walk back from the exit is cheaper than a table for every block. */
static uint32_t live_after(const struct opt_ctx *o, const struct cb_block *b, unsigned j)
{
	uint32_t live;
	unsigned i;

	if (BPF_CLASS(b->code) == BPF_RET) {
		live = BPF_RVAL(b->code) == BPF_A ? LOC_BIT(LOC_A) : 0;
	} else {
		live = o->live_in[b->jt->offset] | o->live_in[b->jf->offset];
		if (b->jt != b->jf)
			live |= LOC_BIT(LOC_A) | (BPF_SRC(b->code) == BPF_X ? LOC_BIT(LOC_X) : 0);
	}
	for (i = b->nstmts; i-- > j + 1;) {
		uint32_t use, def;

		stmt_uses_defs(b->stmts[i].code, b->stmts[i].k, &use, &def);
		live = (live & ~def) | use;
	}
	return live;
}

/* libpcap's tcp[k] pattern, by value: `tax; ld [x + k]` where A = X' + c and
 * X' is a header length (4*([n]&0xf), at most 60) becomes `ld [x + k + c]`
 * on X' when nothing reads X afterwards.  Both sums are far from wrapping. */
static int fold_index(struct fwd *F, struct cb_block *b, unsigned i, const struct state *s)
{
	const struct vn_table *t = &F->o->vn;
	struct cb_stmt *ld = &b->stmts[i + 1];
	const struct vn *a;
	uint32_t c;

	if (i + 1 >= b->nstmts || b->stmts[i].code != (BPF_MISC | BPF_TAX) ||
	    BPF_CLASS(ld->code) != BPF_LD || BPF_MODE(ld->code) != BPF_IND ||
	    !s->loc[LOC_A] || !s->loc[LOC_X])
		return 0;
	a = &t->v[s->loc[LOC_A]];
	if (a->kind != VN_ALU || a->op != BPF_ADD || a->a != s->loc[LOC_X] ||
	    t->v[s->loc[LOC_X]].kind != VN_MSH || !vn_is_const(t, a->b, &c) ||
	    c >= 0x10000 || ld->k >= 0x10000)
		return 0;
	/* either way a second run may differ: liveness is from before this
	 * pass, and the folded load has a new value number */
	F->open = 1;
	if (live_after(F->o, b, i + 1) & LOC_BIT(LOC_X))
		return 0;
	ld->k += c;
	return 1;
}

/* Value numbering of block B's statements from state S; S becomes the exit state. */
static void number_block(struct fwd *F, struct cb_block *b, struct state *s)
{
	struct vn_table *t = &F->o->vn;
	unsigned i = 0;

	while (i < b->nstmts) {
		struct cb_stmt *st = &b->stmts[i];
		unsigned dest;
		uint32_t v, c;

		if (fold_index(F, b, i, s)) {
			block_del_stmt(b, i);
			F->changes++;
			continue;
		}
		if ((BPF_CLASS(st->code) == BPF_ST || BPF_CLASS(st->code) == BPF_STX) &&
		    st->k >= BPF_MEMWORDS) {
			i++;	/* invalid: left for the validator to reject */
			continue;
		}
		simplify_stmt(F, s, st);
		v = eval_stmt(t, s, st->code, st->k, &dest);
		if (v && s->loc[dest] == v) {
			/* already there: a repeated load was done (and succeeded) on every path */
			block_del_stmt(b, i);
			F->changes++;
			F->dels++;
			continue;
		}
		if (vn_is_const(t, v, &c) && !stmt_may_fault(st->code) &&
		    (dest == LOC_A || dest == LOC_X)) {
			uint16_t imm = dest == LOC_A ? (BPF_LD | BPF_W | BPF_IMM)
						     : (BPF_LDX | BPF_W | BPF_IMM);

			if (st->code != imm || st->k != c) {
				st->code = imm;
				st->k = c;
				F->changes++;
			}
		} else if (dest == LOC_A && s->loc[LOC_X] == v &&
			   st->code != (BPF_MISC | BPF_TXA) && BPF_CLASS(st->code) != BPF_ALU) {
			st->code = BPF_MISC | BPF_TXA;
			st->k = 0;
			F->changes++;
		} else if (dest == LOC_X && s->loc[LOC_A] == v &&
			   st->code != (BPF_MISC | BPF_TAX)) {
			st->code = BPF_MISC | BPF_TAX;
			st->k = 0;
			F->changes++;
		}
		{
			uint64_t need = needs_len(st->code, st->k);

			if (need > s->known_len)
				s->known_len = need;
		}
		s->loc[dest] = v;
		i++;
	}
}

/* What block T leaves in A and X when entered with state S, and which
 * locations it changed (*DIRTY); 0 when one of its statements may fail where
 * S does not know it succeeds (or stores out of range). */
static int pass_through(struct fwd *F, const struct state *S, const struct cb_block *t,
			uint32_t *a, uint32_t *x, uint32_t *dirty)
{
	struct vn_table *vn = &F->o->vn;
	const struct cb_stmt *st = t->stmts;
	struct state tmp;
	uint32_t wrote = 0;
	unsigned i, l;

	/* most blocks are `ld [k]; j.. #c`: this is the loop below for them */
	if (t->nstmts == 1 && BPF_CLASS(st->code) == BPF_LD && BPF_MODE(st->code) == BPF_ABS &&
	    st->k < SANE_OFFSET) {
		uint32_t v = vn_abs(vn, BPF_SIZE(st->code), st->k);

		if (!v || (S->loc[LOC_A] != v &&
			   (uint64_t)st->k + load_size(st->code) > S->known_len && !holds(S, v)))
			return 0;
		*a = v;
		*x = S->loc[LOC_X];
		*dirty = v != S->loc[LOC_A] ? LOC_BIT(LOC_A) : 0;
		return 1;
	}
	tmp = *S;	/* shares S's facts: statements do not change them */
	for (i = 0; i < t->nstmts; i++, st++) {
		unsigned dest;
		uint32_t v;

		if ((BPF_CLASS(st->code) == BPF_ST || BPF_CLASS(st->code) == BPF_STX) &&
		    st->k >= BPF_MEMWORDS)
			return 0;
		v = eval_stmt(vn, &tmp, st->code, st->k, &dest);
		if (stmt_may_fault(st->code) && tmp.loc[dest] != v) {
			uint64_t need = needs_len(st->code, st->k);

			if ((!need || need > tmp.known_len) && !holds(S, v))
				return 0;
		}
		tmp.loc[dest] = v;
		wrote |= LOC_BIT(dest);
	}
	if (vn->oom)
		return 0;
	*dirty = 0;
	for (; wrote; wrote &= wrote - 1) {
		l = (unsigned)__builtin_ctz(wrote);
		if (tmp.loc[l] != S->loc[l])
			*dirty |= LOC_BIT(l);
	}
	*a = tmp.loc[LOC_A];
	*x = tmp.loc[LOC_X];
	return 1;
}

/* 1 true, 0 false, -1 unknown: B's test on A and X, with S's facts. */
static int decide(struct fwd *F, const struct state *S, const struct cb_block *b, uint32_t a,
		  uint32_t x)
{
	if (BPF_SRC(b->code) == BPF_X)
		return state_decide(S, &F->o->vn, b->code, a, x);
	return state_decide_k(S, &F->o->vn, BPF_OP(b->code), a, b->k);
}

/* Record in S that B's test on A and X came out VAL. */
static void refine(struct fwd *F, struct state *S, const struct cb_block *b, uint32_t a,
		   uint32_t x, int val)
{
	if (BPF_SRC(b->code) == BPF_X)
		state_refine(S, &F->o->vn, b->code, a, x, val);
	else
		state_refine_k(S, &F->o->vn, BPF_OP(b->code), a, b->k, val);
}

/* Where an edge carrying state S into T can go instead: past every block
 * whose test S decides, as long as the skipped statements cannot fail and
 * what they write is dead where the edge lands.
 * Why it stops matters to a second run (see opt_forward): an undecided test
 * or a statement that may fail is marked on the block, to be looked at when
 * the block is visited; a limit or liveness (from before this pass) may
 * give way on a second run. */
static struct cb_block *thread(struct fwd *F, const struct state *S, struct cb_block *t)
{
	unsigned steps = 0;

	for (;;) {
		struct cb_block *next;
		uint32_t a, x, dirty;
		int d;

		if (!t || is_ret(t))
			break;
		if (steps++ >= MAX_THREAD_STEPS) {
			F->open = 1;
			break;
		}
		if (!pass_through(F, S, t, &a, &x, &dirty)) {
			F->stopped[t->offset] |= STOP_FAULT;
			break;
		}
		d = t->jt == t->jf ? 1 : decide(F, S, t, a, x);
		if (d < 0) {
			F->stopped[t->offset] |= STOP_UNDECIDED;
			break;
		}
		next = d ? t->jt : t->jf;
		if (dirty & F->o->live_in[next->offset]) {
			F->open = 1;
			break;
		}
		t = next;
	}
	return t;
}

/* States come from a pool that keeps their fact arrays: a big filter moves
 * one state along every edge. */
static struct state *state_get(struct fwd *F)
{
	struct opt_ctx *o = F->o;
	struct state *s;

	if (o->npool)
		return o->pool[--o->npool];
	s = opt_alloc(o, sizeof(*s));
	if (!s)
		F->oom = 1;
	else
		s->arena = o->arena;
	return s;
}

static void state_put(struct fwd *F, struct state *s)
{
	struct opt_ctx *o = F->o;

	if (o->npool == o->cappool) {
		unsigned cap = o->cappool ? 2 * o->cappool : 64;
		struct state **p = opt_alloc_raw(o, cap * sizeof(*p));

		if (!p)
			return;	/* S stays in the arena, unused */
		if (o->npool)
			memcpy(p, o->pool, o->npool * sizeof(*p));
		o->pool = p;
		o->cappool = cap;
	}
	o->pool[o->npool++] = s;
}

/* A return without statements does nothing with the state it gets: half
 * the edges of an or-list go to one.  It is only marked as reached. */
static int bare_ret(const struct cb_block *b)
{
	return is_ret(b) && !b->nstmts;
}

/* Hand state S (consumed; NULL for a bare return) to block T. */
static void send(struct fwd *F, struct state *S, struct cb_block *t)
{
	struct state **p = &F->o->pending[t->offset];

	if (bare_ret(t)) {
		*p = &F->reached;
		if (S)
			state_put(F, S);
		return;
	}
	if (!*p) {
		*p = S;
		return;
	}
	state_meet(*p, S);
	state_put(F, S);
}

static void visit(struct fwd *F, struct cb_block *b, struct state *S)
{
	struct vn_table *t = &F->o->vn;
	struct cb_block *tt, *tf;
	struct state *T;
	uint32_t a, c;
	unsigned l;
	int d, before = F->changes - F->dels;

	if (S->holes) {
		for (l = 0; l < NLOC; l++)
			if (!S->loc[l])
				S->loc[l] = vn_opaque(t);	/* paths disagree: a new unknown */
		S->holes = 0;
	}
	number_block(F, b, S);
	/* an edge that stopped here saw the block as it was (see opt_forward) */
	if (F->changes - F->dels != before && (F->stopped[b->offset] & STOP_FAULT))
		F->open = 1;
	if (is_ret(b) || F->oom) {
		state_put(F, S);
		return;
	}
	if (BPF_SRC(b->code) == BPF_X && vn_is_const(t, S->loc[LOC_X], &c)) {
		b->code = (uint16_t)((b->code & ~BPF_X) | BPF_K);
		b->k = c;
		F->changes++;
	}
	a = S->loc[LOC_A];
	if (b->jt != b->jf) {
		d = decide(F, S, b, a, S->loc[LOC_X]);
		if (d >= 0) {
			b->jt = b->jf = d ? b->jt : b->jf;
			F->changes++;
			if (F->stopped[b->offset])
				F->open = 1;
		}
	}
	if (b->jt == b->jf) {
		tt = thread(F, S, b->jt);
		if (tt != b->jt)
			F->changes++;
		b->jt = b->jf = tt;
		send(F, S, tt);
		return;
	}
	T = NULL;
	if (!bare_ret(b->jt)) {
		T = state_get(F);
		if (!T || state_assign(T, S)) {
			F->oom = 1;
			if (T)
				state_put(F, T);
			state_put(F, S);
			return;
		}
		refine(F, T, b, a, S->loc[LOC_X], 1);
	}
	if (!bare_ret(b->jf))
		refine(F, S, b, a, S->loc[LOC_X], 0);
	tt = T ? thread(F, T, b->jt) : b->jt;
	tf = thread(F, S, b->jf);
	if (tt != b->jt || tf != b->jf)
		F->changes++;
	/* both outcomes now meet in one block: a second run sees an
	 * unconditional edge and sends the state as it is, not the meet of
	 * the two refined ones */
	if (tt == tf)
		F->open = 1;
	b->jt = tt;
	b->jf = tf;
	send(F, T, tt);
	send(F, S, tf);
}

/* A pass is "closed" when running it again on its own output would change
 * nothing; the driver then does not run it again unless another pass changes
 * the graph (it was half of the optimizer's time on small filters).  A second
 * run starts every block from the same state as this one did: each edge now
 * points where this run sent its state, and the rewrites keep every value
 * number.  It can only differ where this run looked at something that was
 * to change after it looked, or at something it does not recompute:
 *   - a threaded edge that stopped at a block whose visit then decided its
 *     test, or that stopped at a statement that may fail in a block whose
 *     visit then rewrote it (deleting a recomputation is harmless: the state
 *     that stopped there is part of the block's entry state, so it held the
 *     value too; the other rewrites keep values, so a test left undecided
 *     stays undecided);
 *   - a thread stopped by the step limit or by liveness (from before the pass);
 *   - both outcomes of a test threaded to one block (a second run sends the
 *     unrefined state, which may know more than the meet of the two);
 *   - a rewrite that gives a load a new value number (ld [x+k] with X known,
 *     the tcp[k] fold), and the fold's own liveness test.
 * Any of these sets F->open.  (Which other passes keep a closed pass closed:
 * passed() in opt.c.)  A build with -DSNIFF_OPT_CHECK runs the second pass
 * anyway and aborts if a closed pass was wrong. */

/* Move reachable block I to topo index N (N <= I), keeping its tables. */
static void keep(struct opt_ctx *o, unsigned i, unsigned n)
{
	if (i == n)
		return;
	o->topo[n] = o->topo[i];
	o->topo[n]->offset = (int)n;
	o->live_in[n] = o->live_in[i];
	o->ant_in[n] = o->ant_in[i];
}

int opt_forward(struct opt_ctx *o)
{
	struct fwd F;
	struct state *S;
	unsigned i, n;

	memset(&F, 0, sizeof(F));
	F.o = o;
	F.stopped = o->stopped;
	memset(o->pending, 0, o->n * sizeof(*o->pending));
	memset(o->stopped, 0, o->n);
	S = state_get(&F);
	if (!S)
		return -ENOMEM;
	state_init_entry(S, &o->vn);
	o->pending[o->g->entry->offset] = S;
	for (i = 0, n = 0; i < o->n; i++) {
		S = o->pending[i];
		if (!S)
			continue;	/* every edge into it was threaded away */
		o->pending[i] = NULL;
		if (S == &F.reached) {
			keep(o, i, n++);
			continue;
		}
		if (!F.oom)
			visit(&F, o->topo[i], S);
		else
			state_put(&F, S);
		keep(o, i, n++);
	}
	if (F.oom || o->vn.oom)
		return -ENOMEM;
	/* Only the blocks a state reached are still reachable: the passes
	 * until the next opt_topo() see just those (a merge that rewired dead
	 * blocks would report changes the program never shows). */
	o->n = n;
	o->fwd_closed = !F.open;
	return F.changes;
}
