/* cbpf/graph.c: the block graph, and its conversion from and to flat programs.
 *
 * Layout follows libpcap's convert_code_r(): a depth-first walk that visits the
 * false successor before the true one and places each block in front of
 * everything placed so far.  The result is "block, its jt side, its jf side",
 * which is what makes our -d text byte-identical to tcpdump's whenever the
 * graphs agree.
 *
 * A conditional exit whose jt and jf are the same block is an unconditional
 * edge: the emitter writes a `ja` for it, or nothing when the target is laid
 * out next.  cb_graph_from_prog() uses that form for a `ja` that follows
 * statements and for a fall-through into a jump target.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cbpf/cbpf.h"

/* Blocks and their statements live in the graph's arena: a compile makes
 * thousands of them and frees them all at once.  A statement array that
 * grows moves to a new place in the arena and leaves its old one unused.
 * Inline in both callers: the optimizer and the lists make most blocks
 * through cb_block_new(), and a call more was 1% of a list's compile. */
static inline __attribute__((always_inline)) struct cb_block *block_new(struct cb_graph *g,
									 unsigned cap)
{
	struct cb_block *b;

	if (!g->arena && !(g->arena = arena_new())) {
		errno = ENOMEM;
		return NULL;
	}
	b = arena_alloc_raw(g->arena, sizeof(*b) + cap * sizeof(struct cb_stmt));
	if (!b) {
		errno = ENOMEM;
		return NULL;
	}
	/* one assignment, which the compiler writes inline, not a memset call
	 * and stores: a 10,000-host filter makes 120,000 blocks */
	*b = (struct cb_block){
		.id = g->nblocks++,
		.code = BPF_RET | BPF_K,
		.pos = -1,
		.len = -1,
		.next_alloc = g->blocks,
		.arena = g->arena,
		.stmts = cap ? (struct cb_stmt *)(void *)(b + 1) : NULL,
		.capstmts = cap,
	};
	g->blocks = b;
	return b;
}

struct cb_block *cb_block_new(struct cb_graph *g)
{
	return block_new(g, 0);
}

/* The statement array comes in the same allocation, right after the block:
 * the generator knows every block's statements when it makes it. */
struct cb_block *cb_block_new_cap(struct cb_graph *g, unsigned cap)
{
	return block_new(g, cap);
}

int cb_block_reserve(struct cb_block *b, unsigned n)
{
	struct cb_stmt *s;

	if (n <= b->capstmts)
		return 0;
	s = arena_alloc_raw(b->arena, n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (b->nstmts)
		memcpy(s, b->stmts, b->nstmts * sizeof(*s));
	b->stmts = s;
	b->capstmts = n;
	return 0;
}

int cb_block_add(struct cb_block *b, uint16_t code, uint32_t k)
{
	if (b->nstmts == b->capstmts &&
	    cb_block_reserve(b, b->capstmts ? 2 * b->capstmts : 4) < 0)
		return -ENOMEM;
	b->stmts[b->nstmts].code = code;
	b->stmts[b->nstmts].k = k;
	b->nstmts++;
	return 0;
}

void cb_graph_free(struct cb_graph *g)
{
	if (!g)
		return;
	arena_delete(g->arena);
	memset(g, 0, sizeof(*g));
}

/* ---- graph -> program ---------------------------------------------------- */

static int is_ret(const struct cb_block *b)
{
	return BPF_CLASS(b->code) == BPF_RET;
}

/* Return blocks without statements are interchangeable when they return the
 * same thing; the emitter keeps the first one the walk meets. */
struct ret_table {
	struct cb_block **v;
	unsigned n, cap;
	struct cb_block **inline_v; /* the caller's first V, not to be freed */
};

/* A return not seen before: it becomes the one its kind maps to. */
static struct cb_block *ret_add(struct ret_table *t, struct cb_block *b, int *err)
{
	if (t->n == t->cap) {
		unsigned cap = 2 * t->cap;
		struct cb_block **v = malloc(cap * sizeof(*v));

		if (!v) {
			*err = -ENOMEM;
			return b;
		}
		memcpy(v, t->v, t->n * sizeof(*v));
		if (t->v != t->inline_v)
			free(t->v);
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = b;
	return b;
}

/* Called for every edge; a filter has a few distinct returns, so the scan
 * stays inline (a call for it was a tenth of the emitter). */
static inline struct cb_block *ret_canon(struct ret_table *t, struct cb_block *b, int *err)
{
	unsigned i;

	if (!b || !is_ret(b) || b->nstmts)
		return b;
	/* a canonical return is its own: lists send an edge per member to one */
	if ((t->n > 0 && t->v[0] == b) || (t->n > 1 && t->v[1] == b))
		return b;
	for (i = 0; i < t->n; i++)
		if (t->v[i]->code == b->code &&
		    (BPF_RVAL(b->code) == BPF_A || t->v[i]->k == b->k))
			return t->v[i];
	return ret_add(t, b, err);
}

struct layout_frame {
	struct cb_block *b;
	struct cb_block *jt, *jf;  /* its exits after return sharing */
	int state;                 /* 0, 1: exits taken; 2: done (a return is done at once) */
};

struct layout {
	struct cb_block **order;   /* blocks in program order */
	unsigned n;
	struct cb_block **jt, **jf; /* successors after return sharing, by order index */
	unsigned *start;            /* first instruction of each block */
	unsigned char *longjt, *longjf;
	/* all of the above in one allocation, on the stack for small graphs */
	void *mem;
	struct layout_frame *stack;
	struct cb_block **post, **postjt, **postjf;
};

#define LAYOUT_STACK_BLOCKS 64
#define LAYOUT_BYTES_PER_BLOCK (sizeof(struct layout_frame) + 6 * sizeof(struct cb_block *) + \
				sizeof(unsigned) + 2)

/* Carve the tables for NB blocks out of BUF (LAYOUT_STACK_BLOCKS blocks) or
 * one malloc. */
static int layout_alloc(struct layout *L, unsigned nb, void *buf)
{
	char *p;

	nb++;
	L->mem = nb <= LAYOUT_STACK_BLOCKS ? NULL : malloc(nb * LAYOUT_BYTES_PER_BLOCK);
	p = L->mem ? L->mem : buf;
	if (!p)
		return -ENOMEM;
	L->stack = (struct layout_frame *)p;
	p += nb * sizeof(*L->stack);
	L->post = (struct cb_block **)p;
	p += nb * sizeof(*L->post);
	L->postjt = (struct cb_block **)p;
	p += nb * sizeof(*L->postjt);
	L->postjf = (struct cb_block **)p;
	p += nb * sizeof(*L->postjf);
	L->order = (struct cb_block **)p;
	p += nb * sizeof(*L->order);
	L->jt = (struct cb_block **)p;
	p += nb * sizeof(*L->jt);
	L->jf = (struct cb_block **)p;
	p += nb * sizeof(*L->jf);
	L->start = (unsigned *)p;
	p += nb * sizeof(*L->start);
	L->longjt = (unsigned char *)p;
	p += nb;
	L->longjf = (unsigned char *)p;
	return 0;
}

/* Lay out post[k], the block placed in front of everything settled so far
 * (*AFTER instructions): its targets are among those, so their distances are
 * known and its long jumps are the least set that reaches them, as
 * fix_long_jumps() finds for the whole program.  Its offset becomes the
 * instructions from its start to the end.  0 when a target is still on the
 * walk's stack (a loop), which only the general layout handles. */
static inline int settle(struct layout *L, unsigned k, unsigned *after)
{
	struct cb_block *b = L->post[k];
	const struct cb_block *jt = L->postjt[k], *jf = L->postjf[k];
	unsigned a = *after, len = b->nstmts + 1, lt = 0, lf = 0, dt, df, grew;

	if (!is_ret(b)) {
		if (jt->offset < 0 || jf->offset < 0)
			return 0;
		if (jt == jf) {
			if (k && L->post[k - 1] == jt)
				len--;
		} else {
			dt = a - (unsigned)jt->offset;
			df = a - (unsigned)jf->offset;
			do {
				grew = 0;
				if (!lt && lt + lf + dt > 255)
					lt = grew = 1;
				if (!lf && lt + lf + df > 255)
					lf = grew = 1;
			} while (grew);
			len += lt + lf;
		}
	}
	L->longjt[k] = (unsigned char)lt;
	L->longjf[k] = (unsigned char)lf;
	*after = a + len;
	b->offset = (int)*after;
	return 1;
}

static unsigned emit_epoch;

/* Reverse post-order of a walk that takes jf before jt (see the file comment).
 * Iterative: a 10,000-host filter is a chain tens of thousands of blocks deep. */
static int layout_order(const struct cb_graph *g, struct layout *L, int *fast)
{
	struct layout_frame *stack = L->stack;
	struct cb_block *rbuf[8];
	struct ret_table rets = { rbuf, 0, 8, rbuf };
	struct cb_block *b, **post = L->post;
	unsigned sp = 0, npost = 0, nb, i, epoch, after = 0;
	int err = 0;

	/* a fresh epoch marks what is laid out, instead of clearing every block
	 * of a graph that may hold many dead ones */
	epoch = __atomic_add_fetch(&emit_epoch, 1, __ATOMIC_RELAXED) | 0x80000000u;
	nb = g->nblocks;
	b = ret_canon(&rets, g->entry, &err);
	b->mark = epoch;
	b->offset = -1;
	*fast = 1;
	stack[sp++] = (struct layout_frame){ b, NULL, NULL, is_ret(b) ? 2 : 0 };
	/* each exit is made canonical once, here, in the order that decides
	 * which of equal returns is kept, and remembered for the layout */
	while (sp && !err) {
		struct layout_frame *f = &stack[sp - 1];
		struct cb_block *child;

		if (f->state == 2) {
			post[npost] = f->b;
			L->postjt[npost] = f->jt;
			L->postjf[npost] = f->jf;
			if (*fast)
				*fast = settle(L, npost, &after);
			npost++;
			sp--;
			continue;
		}
		if (f->state == 0) {
			child = ret_canon(&rets, BPF_OP(f->b->code) == BPF_JA ? f->b->jt : f->b->jf,
					  &err);
			f->jf = child;
			f->state = 1;
		} else {
			child = ret_canon(&rets, f->b->jt, &err);
			f->jt = child;
			/* a `ja` exit is unconditional whatever jf says */
			if (BPF_OP(f->b->code) == BPF_JA)
				f->jf = child;
			f->state = 2;
		}
		if (!child) {
			err = -EINVAL;
			break;
		}
		if (child->mark != epoch) {
			if (sp > nb) {
				err = -EINVAL;	/* more blocks than the graph counts */
				break;
			}
			child->mark = epoch;
			child->offset = -1;
			stack[sp++] = (struct layout_frame){ child, NULL, NULL,
							     is_ret(child) ? 2 : 0 };
		}
	}
	if (err)
		goto out;
	L->n = npost;
	if (*fast)
		goto out;
	memset(L->longjt, 0, npost);
	memset(L->longjf, 0, npost);
	for (i = 0; i < npost; i++) {
		L->order[i] = post[npost - 1 - i];
		L->order[i]->offset = (int)i;
		L->jt[i] = L->postjt[npost - 1 - i];
		L->jf[i] = L->postjf[npost - 1 - i];
	}
out:
	if (rets.v != rets.inline_v)
		free(rets.v);
	return err;
}

/* Instructions the exit of block i takes. */
static unsigned exit_len(const struct layout *L, unsigned i)
{
	const struct cb_block *b = L->order[i];

	if (is_ret(b))
		return 1;
	if (L->jt[i] == L->jf[i])
		return (unsigned)L->jt[i]->offset == i + 1 ? 0 : 1;
	return 1u + L->longjt[i] + L->longjf[i];
}

static void place(struct layout *L)
{
	unsigned i, pc = 0;

	for (i = 0; i < L->n; i++) {
		L->start[i] = pc;
		pc += L->order[i]->nstmts + exit_len(L, i);
	}
	L->start[L->n] = pc;
}

/* Mark the conditionals whose targets are out of reach of 8 bits, for a
 * graph with a loop (settle() does the others block by block).  Adding a
 * `ja` only lengthens other jumps, so marks only grow and this terminates. */
static void fix_long_jumps(struct layout *L)
{
	int changed = 1;
	unsigned i;

	place(L);
	while (changed) {
		changed = 0;
		for (i = 0; i < L->n; i++) {
			const struct cb_block *b = L->order[i];
			unsigned from;

			if (is_ret(b) || L->jt[i] == L->jf[i])
				continue;
			from = L->start[i] + b->nstmts + 1;
			if (!L->longjt[i] && L->start[L->jt[i]->offset] - from > 255) {
				L->longjt[i] = 1;
				changed = 1;
			}
			if (!L->longjf[i] && L->start[L->jf[i]->offset] - from > 255) {
				L->longjf[i] = 1;
				changed = 1;
			}
		}
		if (changed)
			place(L);
	}
}

/* Write block B at D.  AFTER instructions follow it; its targets start ST
 * and SF instructions before the end; NEXT says its unconditional target is
 * laid out right after it; LT and LF mark the jumps that go through a `ja`. */
static inline __attribute__((always_inline)) void
emit_block(struct sniff_insn *d, const struct cb_block *b, const struct cb_block *jt,
	   const struct cb_block *jf, int next, unsigned lt, unsigned lf, unsigned after,
	   unsigned st, unsigned sf)
{
	unsigned s;

	for (s = 0; s < b->nstmts; s++)
		*d++ = CB_STMT(b->stmts[s].code, b->stmts[s].k);
	if (is_ret(b)) {
		*d = CB_STMT(b->code, b->k);
		return;
	}
	if (jt == jf) {
		if (!next)
			*d = CB_JA(after - st);
		return;
	}
	*d = CB_JUMP(b->code, b->k, 0, 0);
	/* libpcap's order: the jt trampoline first, then the jf one */
	if (lt) {
		d->jt = 0;
		d[1] = CB_JA(lf + after - st);
	} else {
		d->jt = (uint8_t)(lt + lf + after - st);
	}
	if (lf) {
		d->jf = (uint8_t)lt;
		d[1 + lt] = CB_JA(after - sf);
	} else {
		d->jf = (uint8_t)(lt + lf + after - sf);
	}
}

static void layout_free(struct layout *L)
{
	free(L->mem);
}

int cb_graph_emit(struct cb_graph *g, struct sniff_prog *out)
{
	struct layout L = { 0 };
	max_align_t buf[(LAYOUT_STACK_BLOCKS * LAYOUT_BYTES_PER_BLOCK + sizeof(max_align_t) - 1) /
			sizeof(max_align_t)];
	struct sniff_insn *insns;
	unsigned k, total;
	int err, fast;

	out->len = 0;
	out->insns = NULL;
	if (!g || !g->entry)
		return -EINVAL;
	if (g->lists && cb_lists_expand(g) < 0)
		return -ENOMEM;
	if (layout_alloc(&L, g->nblocks, buf))
		return -ENOMEM;
	err = layout_order(g, &L, &fast);
	if (err)
		goto out;
	if (fast) {
		/* each block's offset counts the instructions from it to the end */
		total = L.n ? (unsigned)L.post[L.n - 1]->offset : 0;
	} else {
		fix_long_jumps(&L);
		total = L.start[L.n];
	}
	insns = malloc((total ? total : 1) * sizeof(*insns));
	if (!insns) {
		err = -ENOMEM;
		goto out;
	}
	if (fast) {
		for (k = L.n; k-- > 0;) {
			const struct cb_block *b = L.post[k], *jt = L.postjt[k], *jf = L.postjf[k];
			const struct cb_block *prev = k ? L.post[k - 1] : NULL;
			int ret = is_ret(b);

			emit_block(insns + total - (unsigned)b->offset, b, jt, jf, prev == jt,
				   L.longjt[k], L.longjf[k], prev ? (unsigned)prev->offset : 0,
				   ret ? 0 : (unsigned)jt->offset, ret ? 0 : (unsigned)jf->offset);
		}
	} else {
		for (k = 0; k < L.n; k++) {
			int ret = is_ret(L.order[k]);

			emit_block(insns + L.start[k], L.order[k], L.jt[k], L.jf[k],
				   !ret && (unsigned)L.jt[k]->offset == k + 1, L.longjt[k],
				   L.longjf[k], total - L.start[k + 1],
				   ret ? 0 : total - L.start[L.jt[k]->offset],
				   ret ? 0 : total - L.start[L.jf[k]->offset]);
		}
	}
	out->insns = insns;
	out->len = total;
out:
	layout_free(&L);
	return err;
}

/* ---- program -> graph ---------------------------------------------------- */

static int is_jump(uint16_t code)
{
	return BPF_CLASS(code) == BPF_JMP;
}

/* Follow blocks that are nothing but an unconditional edge. */
static struct cb_block *skip_gotos(struct cb_block *b)
{
	while (b && !is_ret(b) && b->nstmts == 0 && b->jt == b->jf)
		b = b->jt;
	return b;
}

int cb_graph_from_prog(const struct sniff_prog *p, struct cb_graph *g)
{
	struct cb_block **at;    /* block starting at each pc, NULL if none */
	struct cb_block *b = NULL;
	unsigned n, i, maxmem = 0;
	int err = 0;

	memset(g, 0, sizeof(*g));
	if (!p || !p->insns || p->len == 0)
		return -EINVAL;
	n = p->len;
	at = calloc(n, sizeof(*at));
	if (!at)
		return -ENOMEM;
	/* leaders: the entry, jump targets, whatever follows a jump or return */
	for (i = 0; i < n && !err; i++) {
		const struct sniff_insn *in = &p->insns[i];
		uint64_t t1, t2;

		if (BPF_CLASS(in->code) == BPF_RET) {
			if (i + 1 < n)
				at[i + 1] = (struct cb_block *)1;
			continue;
		}
		if (!is_jump(in->code))
			continue;
		if (BPF_OP(in->code) == BPF_JA) {
			t1 = t2 = (uint64_t)i + 1 + in->k;
		} else {
			t1 = (uint64_t)i + 1 + in->jt;
			t2 = (uint64_t)i + 1 + in->jf;
		}
		if (t1 >= n || t2 >= n) {
			err = -EINVAL;
			break;
		}
		at[t1] = at[t2] = (struct cb_block *)1;
		if (i + 1 < n)
			at[i + 1] = (struct cb_block *)1;
	}
	at[0] = (struct cb_block *)1;
	for (i = 0; i < n && !err; i++) {
		if (!at[i])
			continue;
		at[i] = cb_block_new(g);
		if (!at[i])
			err = -ENOMEM;
	}
	for (i = 0; i < n && !err; i++) {
		const struct sniff_insn *in = &p->insns[i];

		if (at[i])
			b = at[i];
		if ((BPF_CLASS(in->code) == BPF_LD || BPF_CLASS(in->code) == BPF_LDX ||
		     BPF_CLASS(in->code) == BPF_ST || BPF_CLASS(in->code) == BPF_STX) &&
		    BPF_MODE(in->code) == BPF_MEM && in->k + 1 > maxmem && in->k < BPF_MEMWORDS)
			maxmem = in->k + 1;
		if (BPF_CLASS(in->code) == BPF_RET) {
			b->code = in->code;
			b->k = in->k;
			continue;
		}
		if (is_jump(in->code)) {
			if (BPF_OP(in->code) == BPF_JA) {
				b->code = BPF_JMP | BPF_JEQ | BPF_K;
				b->k = 0;
				b->jt = b->jf = at[i + 1 + in->k];
			} else {
				b->code = in->code;
				b->k = in->k;
				b->jt = at[i + 1 + in->jt];
				b->jf = at[i + 1 + in->jf];
			}
			continue;
		}
		err = cb_block_add(b, in->code, in->k);
		if (err)
			break;
		if (i + 1 == n) {
			err = -EINVAL;	/* runs off the end without a return */
		} else if (at[i + 1]) {
			b->code = BPF_JMP | BPF_JEQ | BPF_K;
			b->k = 0;
			b->jt = b->jf = at[i + 1];
		}
	}
	if (!err) {
		for (b = g->blocks; b; b = b->next_alloc) {
			if (is_ret(b))
				continue;
			b->jt = skip_gotos(b->jt);
			b->jf = skip_gotos(b->jf);
		}
		g->entry = skip_gotos(at[0]);
		g->next_mem = maxmem;
	}
	free(at);
	if (err)
		cb_graph_free(g);
	return err;
}
