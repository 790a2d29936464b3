/* cbpf/opt-vn.c: value numbers and the facts known on an edge. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cbpf/opt.h"

/* ---- value numbers ------------------------------------------------------- */

static uint32_t vn_hash(const struct vn *v)
{
	uint64_t h = ((uint64_t)v->kind << 56 ^ (uint64_t)v->op << 48 ^ (uint64_t)v->a << 24 ^
		      v->b) * 0x9e3779b97f4a7c15ull;

	h = (h ^ v->k ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h >> 32);
}

int vn_init(struct vn_table *t, struct arena *a)
{
	t->arena = a;
	t->cap = 64;	/* small filters are the common case: grow on demand */
	t->hcap = 128;
	t->v = arena_alloc_raw(a, t->cap * sizeof(*t->v));
	t->hash = arena_alloc(a, t->hcap * sizeof(*t->hash));
	if (!t->v || !t->hash)
		return -ENOMEM;
	t->n = 1; /* 0 is "unknown" */
	return 0;
}

static int vn_rehash(struct vn_table *t)
{
	unsigned hcap = t->hcap * 2, i;
	uint32_t *h = arena_alloc(t->arena, hcap * sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (i = 1; i < t->n; i++) {
		unsigned j = vn_hash(&t->v[i]) & (hcap - 1);

		if (t->v[i].kind == VN_OPAQUE)
			continue;
		while (h[j])
			j = (j + 1) & (hcap - 1);
		h[j] = i;
	}
	t->hash = h;	/* the old table stays in the arena: growth doubles */
	t->hcap = hcap;
	return 0;
}

static uint32_t vn_push(struct vn_table *t, const struct vn *v)
{
	if (t->n == t->cap) {
		struct vn *nv = arena_alloc_raw(t->arena, 2 * t->cap * sizeof(*nv));

		if (!nv) {
			t->oom = 1;
			return 0;
		}
		memcpy(nv, t->v, t->n * sizeof(*nv));
		t->v = nv;
		t->cap *= 2;
	}
	t->v[t->n] = *v;
	return t->n++;
}

uint32_t vn_make(struct vn_table *t, enum vn_kind kind, unsigned op, uint32_t a, uint32_t b,
		 uint32_t k)
{
	struct vn v = { (uint8_t)kind, (uint8_t)op, a, b, k };
	unsigned j;
	uint32_t id;

	if (t->oom)
		return 0;
	if (2 * (t->n + 1) > t->hcap && vn_rehash(t)) {
		t->oom = 1;
		return 0;
	}
	for (j = vn_hash(&v) & (t->hcap - 1); t->hash[j]; j = (j + 1) & (t->hcap - 1)) {
		const struct vn *w = &t->v[t->hash[j]];

		if (w->kind == v.kind && w->op == v.op && w->a == a && w->b == b && w->k == k)
			return t->hash[j];
	}
	id = vn_push(t, &v);
	if (id)
		t->hash[j] = id;
	return id;
}

uint32_t vn_const(struct vn_table *t, uint32_t k)
{
	unsigned slot = (k * 0x9e3779b1u) >> (32 - VN_CCACHE_BITS);

	/* tests ask for their constant all the time: skip the hash table */
	if (t->ccache_id[slot] && t->ccache_k[slot] == k)
		return t->ccache_id[slot];
	t->ccache_k[slot] = k;
	return t->ccache_id[slot] = vn_make(t, VN_CONST, 0, 0, 0, k);
}

uint32_t vn_abs(struct vn_table *t, unsigned size, uint32_t k)
{
	uint32_t key = k * 4 + (size >> 3);	/* BPF_W/H/B are 0x00/0x08/0x10 */
	unsigned slot = (key * 0x9e3779b1u) >> (32 - VN_LCACHE_BITS);

	if (k >= 0x40000000u)	/* the key would wrap: ancillary loads are rare */
		return vn_make(t, VN_ABS, size, 0, 0, k);
	if (t->lcache_id[slot] && t->lcache_k[slot] == key)
		return t->lcache_id[slot];
	t->lcache_k[slot] = key;
	return t->lcache_id[slot] = vn_make(t, VN_ABS, size, 0, 0, k);
}

uint32_t vn_opaque(struct vn_table *t)
{
	struct vn v = { VN_OPAQUE, 0, 0, 0, ++t->opaque };

	return t->oom ? 0 : vn_push(t, &v);
}

static int commutes(unsigned op)
{
	return op == BPF_ADD || op == BPF_MUL || op == BPF_AND || op == BPF_OR || op == BPF_XOR;
}

uint32_t vn_alu(struct vn_table *t, unsigned op, uint32_t a, uint32_t b)
{
	uint32_t x, y, r;
	int ca, cb;

	if (!a || (op != BPF_NEG && !b))
		return 0;
	ca = vn_is_const(t, a, &x);
	if (op == BPF_NEG)
		return ca ? vn_const(t, -x) : vn_make(t, VN_ALU, op, a, 0, 0);
	cb = vn_is_const(t, b, &y);
	if (ca && cb) {
		switch (op) {
		case BPF_ADD: r = x + y; break;
		case BPF_SUB: r = x - y; break;
		case BPF_MUL: r = x * y; break;
		case BPF_OR:  r = x | y; break;
		case BPF_AND: r = x & y; break;
		case BPF_XOR: r = x ^ y; break;
		case BPF_DIV: if (!y) return 0; r = x / y; break;
		case BPF_MOD: if (!y) return 0; r = x % y; break;
		/* libpcap gives 0 for a count >= 32, the kernel masks it: no folding */
		case BPF_LSH: if (y >= 32) goto opaque; r = x << y; break;
		case BPF_RSH: if (y >= 32) goto opaque; r = x >> y; break;
		default: goto opaque;
		}
		return vn_const(t, r);
	}
	if (commutes(op) && (ca || (!cb && a > b))) {
		uint32_t s = a;

		a = b;
		b = s;
		ca = cb;
		cb = vn_is_const(t, b, &y);
	}
	if (cb) {
		switch (op) {
		case BPF_ADD: case BPF_SUB: case BPF_OR: case BPF_XOR:
		case BPF_LSH: case BPF_RSH:
			if (y == 0)
				return a;
			break;
		case BPF_MUL:
			if (y == 1)
				return a;
			if (y == 0)
				return vn_const(t, 0);
			break;
		case BPF_DIV:
			if (y == 1)
				return a;
			if (y == 0)
				return 0;
			break;
		case BPF_MOD:
			if (y == 1)
				return vn_const(t, 0);
			if (y == 0)
				return 0;
			break;
		case BPF_AND:
			if (y == 0xffffffffu)
				return a;
			if (y == 0)
				return vn_const(t, 0);
			break;
		}
	}
	if (a == b) {
		if (op == BPF_SUB || op == BPF_XOR)
			return vn_const(t, 0);
		if (op == BPF_AND || op == BPF_OR)
			return a;
	}
	return vn_make(t, VN_ALU, op, a, b, 0);
opaque:
	return vn_opaque(t);
}

/* ---- facts --------------------------------------------------------------- */

static void fact_default(struct fact *f, uint32_t v)
{
	memset(f, 0, sizeof(*f));
	f->v = v;
	f->hi = 0xffffffffu;
}

static int fact_trivial(const struct fact *f)
{
	return f->lo == 0 && f->hi == 0xffffffffu && !f->zeros && !f->ones && !f->nexcl &&
	       !f->nany;
}

static const struct fact *fact_find(const struct state *s, uint32_t v)
{
	unsigned lo = 0, hi = s->nf;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (s->f[mid].v < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nf && s->f[lo].v == v ? &s->f[lo] : NULL;
}

/* Room for N facts; the arrays grow in the optimizer's arena, so a state
 * never frees them (a grown one leaves its old array behind). */
static int facts_reserve(struct state *s, unsigned n)
{
	struct fact *f;

	if (n <= s->capf)
		return 0;
	f = arena_alloc_raw(s->arena, n * sizeof(*f));
	if (!f)
		return -ENOMEM;
	if (s->nf)
		memcpy(f, s->f, s->nf * sizeof(*f));
	s->f = f;
	s->capf = n;
	return 0;
}

static int xfacts_reserve(struct state *s, unsigned n)
{
	struct xfact *xf;

	if (n <= s->capxf)
		return 0;
	xf = arena_alloc_raw(s->arena, n * sizeof(*xf));
	if (!xf)
		return -ENOMEM;
	if (s->nxf)
		memcpy(xf, s->xf, s->nxf * sizeof(*xf));
	s->xf = xf;
	s->capxf = n;
	return 0;
}

/* The fact for V, inserted when missing; NULL when the state is full. */
static struct fact *fact_get(struct state *s, uint32_t v)
{
	unsigned lo = 0, hi = s->nf;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (s->f[mid].v < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->nf && s->f[lo].v == v)
		return &s->f[lo];
	if (s->nf >= STATE_MAXF)
		return NULL;
	if (s->nf == s->capf && facts_reserve(s, s->capf ? 2 * s->capf : 8))
		return NULL;	/* forgetting is always safe */
	memmove(&s->f[lo + 1], &s->f[lo], (s->nf - lo) * sizeof(*s->f));
	s->nf++;
	fact_default(&s->f[lo], v);
	return &s->f[lo];
}

void state_init_entry(struct state *s, struct vn_table *t)
{
	unsigned i;

	/* S may be a spare state: its arrays are kept for reuse */
	s->arena = t->arena;
	s->known_len = 0;
	s->holes = 0;
	s->nf = 0;
	s->nxf = 0;
	/* A and X start at 0 in the kernel and in bpf_filter; M[] is never read
	 * before it is written in a valid program.  Every forward pass starts
	 * from the same unknowns: numbered once per optimization. */
	if (!t->entry_mem[0] && t->n + BPF_MEMWORDS <= t->cap) {
		/* vn_opaque() sixteen times, in one go: every compile does it */
		for (i = 0; i < BPF_MEMWORDS; i++) {
			t->v[t->n] = (struct vn){ VN_OPAQUE, 0, 0, 0, ++t->opaque };
			t->entry_mem[i] = t->n++;
		}
	}
	if (!t->entry_mem[0])
		for (i = 0; i < BPF_MEMWORDS; i++)
			t->entry_mem[i] = vn_opaque(t);
	memcpy(s->loc, t->entry_mem, sizeof(t->entry_mem));
	s->loc[LOC_A] = vn_const(t, 0);
	s->loc[LOC_X] = vn_const(t, 0);
}

int state_assign(struct state *dst, const struct state *src)
{
	memcpy(dst->loc, src->loc, sizeof(dst->loc));
	dst->known_len = src->known_len;
	dst->holes = src->holes;
	if (facts_reserve(dst, src->nf) || xfacts_reserve(dst, src->nxf))
		return -ENOMEM;
	if (src->nf)
		memcpy(dst->f, src->f, src->nf * sizeof(*dst->f));
	dst->nf = src->nf;
	if (src->nxf)
		memcpy(dst->xf, src->xf, src->nxf * sizeof(*dst->xf));
	dst->nxf = src->nxf;
	return 0;
}

static void fact_meet(struct fact *d, const struct fact *s)
{
	unsigned i, j, n = 0;

	if (s->lo < d->lo)
		d->lo = s->lo;
	if (s->hi > d->hi)
		d->hi = s->hi;
	d->zeros &= s->zeros;
	d->ones &= s->ones;
	for (i = 0; i < d->nexcl; i++)
		for (j = 0; j < s->nexcl; j++)
			if (d->excl[i] == s->excl[j]) {
				d->excl[n++] = d->excl[i];
				break;
			}
	d->nexcl = (uint8_t)n;
	n = 0;
	for (i = 0; i < d->nany; i++)
		for (j = 0; j < s->nany; j++)
			if (d->any[i] == s->any[j]) {
				d->any[n++] = d->any[i];
				break;
			}
	d->nany = (uint8_t)n;
}

void state_meet(struct state *d, const struct state *s)
{
	unsigned i, j, n;

	for (i = 0; i < NLOC; i++)
		if (d->loc[i] != s->loc[i]) {
			d->loc[i] = 0;
			d->holes = 1;
		}
	if (s->known_len < d->known_len)
		d->known_len = s->known_len;
	for (i = j = n = 0; i < d->nf && j < s->nf;) {
		if (d->f[i].v < s->f[j].v) {
			i++;
		} else if (d->f[i].v > s->f[j].v) {
			j++;
		} else {
			struct fact f = d->f[i];

			fact_meet(&f, &s->f[j]);
			if (!fact_trivial(&f))
				d->f[n++] = f;
			i++;
			j++;
		}
	}
	d->nf = n;
	for (i = n = 0; i < d->nxf; i++)
		for (j = 0; j < s->nxf; j++)
			if (d->xf[i].a == s->xf[j].a && d->xf[i].b == s->xf[j].b &&
			    d->xf[i].code == s->xf[j].code && d->xf[i].val == s->xf[j].val) {
				d->xf[n++] = d->xf[i];
				break;
			}
	d->nxf = n;
}

static int eval_test(unsigned op, uint32_t a, uint32_t b)
{
	switch (op) {
	case BPF_JEQ: return a == b;
	case BPF_JGT: return a > b;
	case BPF_JGE: return a >= b;
	case BPF_JSET: return (a & b) != 0;
	}
	return -1;
}

static int fact_decide(const struct fact *f, unsigned op, uint32_t c)
{
	unsigned i;

	if (f->lo == f->hi)
		return eval_test(op, f->lo, c);
	switch (op) {
	case BPF_JEQ:
		if (c < f->lo || c > f->hi || (c & f->zeros) || (c & f->ones) != f->ones)
			return 0;
		for (i = 0; i < f->nexcl; i++)
			if (f->excl[i] == c)
				return 0;
		return -1;
	case BPF_JGT:
		if (f->lo > c)
			return 1;
		if (f->hi <= c)
			return 0;
		return -1;
	case BPF_JGE:
		if (f->lo >= c)
			return 1;
		if (f->hi < c)
			return 0;
		return -1;
	case BPF_JSET:
		if (c & f->ones)
			return 1;
		if (!(c & ~f->zeros))
			return 0;
		if ((uint64_t)f->hi < (uint64_t)(c & -c))
			return 0;
		for (i = 0; i < f->nany; i++)
			if (!(f->any[i] & ~c))
				return 1;
		return -1;
	}
	return -1;
}

int state_decide_k(const struct state *s, const struct vn_table *t, unsigned op, uint32_t a,
		   uint32_t y)
{
	const struct fact *f;
	uint32_t x;

	if (!a)
		return -1;
	if (vn_is_const(t, a, &x))
		return eval_test(op, x, y);
	f = fact_find(s, a);
	if (!f) {
		/* nothing known: only the tests no value can fail or pass */
		if (op == BPF_JGE && y == 0)
			return 1;
		if ((op == BPF_JGT && y == 0xffffffffu) || (op == BPF_JSET && y == 0))
			return 0;
		return -1;
	}
	return fact_decide(f, op, y);
}

int state_decide(const struct state *s, const struct vn_table *t, uint16_t code, uint32_t a,
		 uint32_t b)
{
	unsigned op = BPF_OP(code), i;
	uint32_t y;

	if (!a || !b)
		return -1;
	if (vn_is_const(t, b, &y))
		return state_decide_k(s, t, op, a, y);
	if (a == b) {
		if (op == BPF_JEQ || op == BPF_JGE)
			return 1;
		if (op == BPF_JGT)
			return 0;
	}
	for (i = 0; i < s->nxf; i++)
		if (s->xf[i].a == a && s->xf[i].b == b && s->xf[i].code == code)
			return s->xf[i].val;
	return -1;
}

static void fact_refine(struct fact *f, unsigned op, uint32_t c, int val)
{
	switch (op) {
	case BPF_JEQ:
		if (val) {
			f->lo = f->hi = c;
			f->ones = c;
			f->zeros = ~c;
			f->nexcl = 0;
			f->nany = 0;
		} else if (c == f->lo && f->lo < f->hi) {
			f->lo++;
		} else if (c == f->hi && f->lo < f->hi) {
			f->hi--;
		} else if (f->nexcl < FACT_EXCL) {
			f->excl[f->nexcl++] = c;
		} else {
			memmove(f->excl, f->excl + 1, (FACT_EXCL - 1) * sizeof(f->excl[0]));
			f->excl[FACT_EXCL - 1] = c;
		}
		break;
	case BPF_JGT:
		if (val) {
			if (c != 0xffffffffu && f->lo < c + 1)
				f->lo = c + 1;
		} else if (f->hi > c) {
			f->hi = c;
		}
		break;
	case BPF_JGE:
		if (val) {
			if (f->lo < c)
				f->lo = c;
		} else if (c && f->hi > c - 1) {
			f->hi = c - 1;
		}
		break;
	case BPF_JSET:
		if (!val)
			f->zeros |= c;
		else if (c && !(c & (c - 1)))
			f->ones |= c;
		else if (f->nany < FACT_ANY)
			f->any[f->nany++] = c;
		break;
	}
}

void state_refine_k(struct state *s, const struct vn_table *t, unsigned op, uint32_t a,
		    uint32_t y, int val)
{
	struct fact *f;

	if (!a || vn_is_const(t, a, NULL))
		return;
	f = fact_get(s, a);
	if (f)
		fact_refine(f, op, y, val);
}

void state_refine(struct state *s, const struct vn_table *t, uint16_t code, uint32_t a,
		  uint32_t b, int val)
{
	uint32_t y;

	if (!a || !b || vn_is_const(t, a, NULL))
		return;
	if (vn_is_const(t, b, &y)) {
		state_refine_k(s, t, BPF_OP(code), a, y, val);
		return;
	}
	if (s->nxf == s->capxf) {
		unsigned cap = s->capxf ? 2 * s->capxf : 4;

		if (cap > 32 || xfacts_reserve(s, cap))
			return;
	}
	s->xf[s->nxf++] = (struct xfact){ a, b, code, (uint8_t)val };
}

/* ---- statements ---------------------------------------------------------- */

int block_reserve(struct cb_block *b, unsigned n)
{
	return cb_block_reserve(b, n);
}

void block_del_stmt(struct cb_block *b, unsigned i)
{
	memmove(&b->stmts[i], &b->stmts[i + 1], (b->nstmts - i - 1) * sizeof(*b->stmts));
	b->nstmts--;
}
