/* gen.c - AST -> block graph: the generator's core.
 *
 * Memory, blocks, the and/or/not algebra on open edges (libpcap's
 * backpatch/merge), scratch registers, the walk over the AST and cb_gen().
 * The walk is left to right because libpcap generates code in its parser's
 * reduction order and some primitives (vlan, mpls, pppoes, geneve) change the
 * offsets every later primitive uses.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gen.h"

/* Scratch memory (long statement lists, the and/or spine, the walk in
 * unwritten_reads) comes from the graph's arena: no malloc of its own, and
 * cb_graph_free() releases it with the blocks, on success and on error. */
void *gen_alloc_raw(struct gen *s, size_t n)
{
	struct cb_graph *g = s->g;
	void *p = NULL;

	if (g->arena || (g->arena = arena_new()))
		p = arena_alloc_raw(g->arena, n);
	if (!p)
		gen_fail(s, "out of memory");
	return p;
}

void *gen_alloc(struct gen *s, size_t n)
{
	void *p = gen_alloc_raw(s, n);

	memset(p, 0, n);
	return p;
}

static _Noreturn void gen_vfail(struct gen *s, int pos, int len, const char *fmt, va_list ap)
{
	char msg[sizeof(s->err->msg)];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (s->err)
		filter_error(s->err, pos, len, "%s", msg);
	longjmp(s->jb, 1);
}

void gen_fail(struct gen *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gen_vfail(s, s->pos, s->len, fmt, ap);
}

void gen_fail_at(struct gen *s, int pos, int len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gen_vfail(s, pos, len, fmt, ap);
}

void gsl_grow(struct gen *s, struct gsl *l)
{
	unsigned cap = 2 * l->n;
	struct cb_stmt *h = gen_alloc_raw(s, cap * sizeof(*h));

	memcpy(h, gsl_stmts(l), l->n * sizeof(*h));
	l->heap = h;
	l->cap = cap;
}

void gsl_cat(struct gen *s, struct gsl *l, const struct gsl *m)
{
	const struct cb_stmt *v = gsl_stmts(m);

	for (unsigned i = 0; i < m->n; i++)
		gsl_add(s, l, v[i].code, v[i].k);
}

/* See struct gen_list: the slot itself links to the next slot. */
static struct cb_block **edge_next(struct cb_block **slot)
{
	return (struct cb_block **)(void *)*slot;
}

struct gen_list gen_edge(struct gen *s, struct cb_block **slot)
{
	(void)s;
	*slot = NULL;
	return (struct gen_list){ slot, slot };
}

struct gen_list gen_list_cat(struct gen_list a, struct gen_list b)
{
	if (!a.head)
		return b;
	if (!b.head)
		return a;
	*a.tail = (struct cb_block *)(void *)b.head;
	a.tail = b.tail;
	return a;
}

static void patch(struct gen_list l, struct cb_block *to)
{
	struct cb_block **slot, **next;

	for (slot = l.head; slot; slot = next) {
		next = edge_next(slot);
		*slot = to;
	}
}

static struct cb_block *new_block(struct gen *s, unsigned cap)
{
	struct cb_block *b = cb_block_new_cap(s->g, cap);

	if (!b)
		gen_fail(s, "out of memory");
	b->pos = s->pos;
	b->len = s->len;
	return b;
}

/* Append L to B's statements; the array is sized exactly, in one go.
 * Inline, and a short list copied by hand: nearly every list is a load or
 * two, for which the calls to reserve and to memcpy were most of the cost. */
static inline void block_stmts(struct gen *s, struct cb_block *b, const struct gsl *l)
{
	const struct cb_stmt *v;
	struct cb_stmt *d;
	unsigned n;

	if (!l || !(n = l->n))
		return;
	if (b->nstmts + n > b->capstmts && cb_block_reserve(b, b->nstmts + n) < 0)
		gen_fail(s, "out of memory");
	v = gsl_stmts(l);
	d = b->stmts + b->nstmts;
	b->nstmts += n;
	if (n > GSL_INLINE) {
		memcpy(d, v, n * sizeof(*d));
		return;
	}
	switch (n) {
	case 4:
		d[3] = v[3];
		/* fall through */
	case 3:
		d[2] = v[2];
		/* fall through */
	case 2:
		d[1] = v[1];
		/* fall through */
	default:
		d[0] = v[0];
	}
}

struct cb_block *gen_block(struct gen *s, const struct gsl *stmts)
{
	struct cb_block *b = new_block(s, stmts ? stmts->n : 0);

	block_stmts(s, b, stmts);
	return b;
}

/* An unconditional edge: graph.c reads jt == jf as one. */
void gen_goto(struct cb_block *from, struct cb_block *to)
{
	from->code = BPF_JMP | BPF_JEQ | BPF_K;
	from->k = 0;
	from->jt = from->jf = to;
}

void gen_prepend(struct gen *s, struct cb_block *b, const struct gsl *l)
{
	if (!l->n)
		return;
	if (cb_block_reserve(b, b->nstmts + l->n) < 0)
		gen_fail(s, "out of memory");
	memmove(b->stmts + l->n, b->stmts, b->nstmts * sizeof(*b->stmts));
	memcpy(b->stmts, gsl_stmts(l), l->n * sizeof(*b->stmts));
	b->nstmts += l->n;
}

/* A block running STMTS then `jOP #k` (jOP may carry BPF_X). */
struct gb gen_jmp(struct gen *s, const struct gsl *stmts, uint16_t jop, uint32_t k)
{
	struct cb_block *b = new_block(s, stmts ? stmts->n : 0);
	struct gb r;

	block_stmts(s, b, stmts);
	b->code = (uint16_t)(BPF_JMP | jop);
	b->k = k;
	r.head = b;
	r.t = gen_edge(s, &b->jt);
	r.f = gen_edge(s, &b->jf);
	return r;
}

struct gb gen_and(struct gen *s, struct gb a, struct gb b)
{
	(void)s;
	patch(a.t, b.head);
	return (struct gb){ a.head, b.t, gen_list_cat(a.f, b.f) };
}

struct gb gen_or(struct gen *s, struct gb a, struct gb b)
{
	(void)s;
	patch(a.f, b.head);
	return (struct gb){ a.head, gen_list_cat(a.t, b.t), b.f };
}

struct gb gen_not(struct gb a)
{
	return (struct gb){ a.head, a.f, a.t };
}

/* libpcap's gen_uncond: `ld #!sense; jeq #0`, kept as a test so that the
 * optimizer, not the generator, folds it. */
static struct gb gen_uncond(struct gen *s, int sense)
{
	struct gsl l = { 0 };

	gsl_add(s, &l, BPF_LD | BPF_IMM, !sense);
	return gen_jmp(s, &l, BPF_JEQ | BPF_K, 0);
}

struct gb gen_true(struct gen *s)
{
	return gen_uncond(s, 1);
}

struct gb gen_false(struct gen *s)
{
	return gen_uncond(s, 0);
}

int gen_alloc_reg(struct gen *s)
{
	for (int n = BPF_MEMWORDS; n-- > 0;) {
		if (s->regused[s->curreg])
			s->curreg = (s->curreg + 1) % BPF_MEMWORDS;
		else {
			s->regused[s->curreg] = 1;
			if ((unsigned)s->curreg + 1 > s->g->next_mem)
				s->g->next_mem = (unsigned)s->curreg + 1;
			return s->curreg;
		}
	}
	gen_fail(s, "too many registers needed to evaluate expression");
}

void gen_free_reg(struct gen *s, int r)
{
	if (r >= 0 && r < BPF_MEMWORDS)
		s->regused[r] = 0;
}

static void set_cur(struct gen *s, const struct node *n)
{
	s->cur = n;
	s->pos = n->pos;
	s->len = n->len;
}

/* and/or chains come from the parser left-deep ("a or b or c" is
 * ((a or b) or c)) and can be 100,000 terms long: walk down the left spine in
 * a loop instead of recursing, then combine bottom-up in the same order the
 * recursion would, so the code (and register use) is the same. */
static struct gb gen_chain(struct gen *s, const struct node *n)
{
	const struct node **spine;
	const struct node *m;
	size_t depth = 0, i;
	struct gb r;

	for (m = n; m->kind == ND_AND || m->kind == ND_OR; m = m->lhs)
		depth++;
	/* From the generator's arena: an error longjmps out of this loop. */
	spine = gen_alloc(s, depth * sizeof(*spine));
	for (m = n, i = 0; i < depth; m = m->lhs)
		spine[i++] = m;
	r = gen_expr(s, m);
	for (i = depth; i-- > 0;) {
		struct gb b;

		m = spine[i];
		b = gen_expr(s, m->rhs);
		set_cur(s, m);
		r = m->kind == ND_AND ? gen_and(s, r, b) : gen_or(s, r, b);
	}
	return r;
}

struct gb gen_expr(struct gen *s, const struct node *n)
{
	const struct node *saved = s->cur;
	struct gb r;

	set_cur(s, n);
	switch (n->kind) {
	case ND_OR:
		if (s->o->optimize && gen_or_list(s, n, 0, &r))
			break;
		/* fall through */
	case ND_AND:
		r = gen_chain(s, n);
		break;
	case ND_NOT:
		r = gen_not(gen_expr(s, n->lhs));
		break;
	case ND_PRIM:
		r = gen_prim(s, n);
		break;
	case ND_PROTO:
		r = gen_proto_abbrev(s, n->q.proto);
		break;
	case ND_REL:
		r = gen_relation_node(s, n);
		break;
	case ND_LESS:
		r = gen_len(s, BPF_JGT, n->num);
		r = gen_not(r);
		break;
	case ND_GREATER:
		r = gen_len(s, BPF_JGE, n->num);
		break;
	case ND_BROADCAST:
		r = gen_broadcast(s, n);
		break;
	case ND_MULTICAST:
		r = gen_multicast(s, n);
		break;
	case ND_INBOUND:
		r = gen_inbound(s, 0);
		break;
	case ND_OUTBOUND:
		r = gen_inbound(s, 1);
		break;
	case ND_IFINDEX:
		r = gen_ifindex(s, n->num);
		break;
	case ND_VLAN:
		r = gen_vlan(s, n);
		break;
	case ND_MPLS:
		r = gen_mpls(s, n);
		break;
	case ND_PPPOED:
		r = gen_pppoed(s);
		break;
	case ND_PPPOES:
		r = gen_pppoes(s, n);
		break;
	case ND_GENEVE:
		r = gen_geneve(s, n);
		break;
	case ND_VXLAN:
		r = gen_vxlan(s, n);
		break;
	case ND_LLC:
		r = gen_llc_prim(s, n);
		break;
	case ND_BYTE:
		r = gen_byteop(s, n);
		break;
	case ND_OTHER_LT:
		gen_fail(s, "'%s' is not supported for link type %s",
			 n->s ? n->s : "primitive", gen_linktype_name(s->linktype));
	default:
		gen_fail(s, "arithmetic expression used as a filter: add a comparison");
	}
	if (saved)
		set_cur(s, saved);
	return r;
}

/* ---- scratch memory read before written
 * After geneve, vxlan or vlan (Linux mode), later primitives read their
 * offsets from M[]; on a path where the encapsulation test failed ("geneve or
 * port 80") libpcap's program reads M[] it never wrote, which the kernel
 * refuses. Such registers get a 0 on entry: the program is valid and decides
 * as libpcap's does when its scratch memory starts zeroed. */

/* Post-order (jf, then jt, then the block) with an explicit stack: a long
 * host list is tens of thousands of blocks deep. */
static void topo(struct gen *s, struct cb_graph *g, struct cb_block **order, unsigned *n)
{
	struct frame {
		struct cb_block *b;
		int state;
	} *st = gen_alloc(s, (g->nblocks + 1) * sizeof(*st));
	unsigned sp = 0;

	g->entry->offset = 1;
	st[sp++] = (struct frame){ g->entry, 0 };
	while (sp) {
		struct frame *f = &st[sp - 1];
		struct cb_block *c;

		if (f->state == 2) {
			order[(*n)++] = f->b;
			sp--;
			continue;
		}
		c = f->state++ == 0 ? f->b->jf : f->b->jt;
		if (c && !c->offset) {
			c->offset = 1;
			st[sp++] = (struct frame){ c, 0 };
		}
	}
}

static unsigned unwritten_reads(struct gen *s, struct cb_graph *g)
{
	struct cb_block **order = gen_alloc(s, (g->nblocks + 1) * sizeof(*order));
	unsigned n = 0, need = 0;

	for (struct cb_block *b = g->blocks; b; b = b->next_alloc) {
		b->offset = 0;
		b->mark = 0xffff;  /* registers written on every path so far */
	}
	topo(s, g, order, &n);
	g->entry->mark = 0;
	while (n--) {
		struct cb_block *b = order[n];
		unsigned w = b->mark;

		for (unsigned i = 0; i < b->nstmts; i++) {
			uint16_t c = b->stmts[i].code;
			uint32_t k = b->stmts[i].k;

			if ((c == (BPF_LD | BPF_MEM) || c == (BPF_LDX | BPF_MEM)) && k < 16 &&
			    !(w & (1u << k)))
				need |= 1u << k;
			if ((c == BPF_ST || c == BPF_STX) && k < 16)
				w |= 1u << k;
		}
		if (b->jt)
			b->jt->mark &= w;
		if (b->jf)
			b->jf->mark &= w;
	}
	for (struct cb_block *b = g->blocks; b; b = b->next_alloc)
		b->offset = 0, b->mark = 0;
	return need;
}

static struct cb_block *ret_block(struct gen *s, uint32_t k)
{
	struct cb_block *b = new_block(s, 0);

	b->code = BPF_RET | BPF_K;
	b->k = k;
	b->pos = -1;
	b->len = 0;
	return b;
}

static int count_protochains(const struct node *n)
{
	int c = 0;

	/* loop down the left spine of and/or chains, which can be very long */
	for (; n; n = n->lhs) {
		if (n->kind == ND_PRIM)
			return c + (n->q.type == QT_PROTOCHAIN);
		if (n->kind == ND_AND || n->kind == ND_OR)
			c += count_protochains(n->rhs);
		else if (n->kind != ND_NOT)
			break;
	}
	return c;
}

int cb_gen(const struct node *ast, const struct gen_opts *o, struct cb_graph *g,
	   struct sniff_error *err)
{
	/* on the stack (a calloc and free were 1% of a small compile): after
	 * a longjmp only s itself, never changed, and g are read */
	struct gen state = { 0 }, *const s = &state;
	uint32_t snaplen = o->snaplen ? o->snaplen : SNIFF_DEFAULT_SNAPLEN;
	int rc;

	memset(g, 0, sizeof(*g));
	s->o = o;
	s->g = g;
	s->err = err;
	s->pos = ast ? ast->pos : 0;
	s->len = ast ? ast->len : 0;
	s->protochains = count_protochains(ast);
	if (setjmp(s->jb)) {
		rc = -EINVAL;
		goto fail;
	}
	rc = gen_init_linktype(s, o->linktype);
	if (rc < 0)
		gen_fail_at(s, 0, 0, "filters are not supported for link type %s",
			    gen_linktype_name(o->linktype));
	if (!ast) {
		g->entry = ret_block(s, snaplen);
	} else {
		struct gb r;

		/* a list that is the whole filter: see gen_or_list */
		if (!o->optimize || ast->kind != ND_OR || !gen_or_list(s, ast, 1, &r))
			r = gen_expr(s, ast);

		patch(r.t, ret_block(s, snaplen));
		patch(r.f, ret_block(s, 0));
		g->entry = r.head;
		gen_or_lists_expand(s);
		if (s->is_vlan_vloffset) {
			/* VLAN offsets kept in M[] start at 0 (tag in metadata) */
			struct gsl l = { 0 };

			if (s->off_linkpl.reg < 0)
				s->off_linkpl.reg = gen_alloc_reg(s);
			if (s->off_linktype.reg < 0)
				s->off_linktype.reg = gen_alloc_reg(s);
			gsl_add(s, &l, BPF_LD | BPF_W | BPF_IMM, 0);
			gsl_add(s, &l, BPF_ST, (uint32_t)s->off_linkpl.reg);
			gsl_add(s, &l, BPF_ST, (uint32_t)s->off_linktype.reg);
			gen_prepend(s, g->entry, &l);
		}
		/* without a scratch register there is nothing to read */
		if (g->next_mem) {
			unsigned need = unwritten_reads(s, g);

			if (need) {
				struct gsl l = { 0 };

				gsl_add(s, &l, BPF_LD | BPF_IMM, 0);
				for (uint32_t k = 0; k < 16; k++)
					if (need & (1u << k))
						gsl_add(s, &l, BPF_ST, k);
				gen_prepend(s, g->entry, &l);
			}
		}
	}
	return 0;
fail:
	cb_graph_free(g);
	memset(g, 0, sizeof(*g));
	return rc;
}
