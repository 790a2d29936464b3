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

int vn_init(struct vn_table *t)
{
	memset(t, 0, sizeof(*t));
	t->cap = 64;	/* small filters are the common case: grow on demand */
	t->hcap = 128;
	t->v = malloc(t->cap * sizeof(*t->v));
	t->hash = calloc(t->hcap, sizeof(*t->hash));
	if (!t->v || !t->hash) {
		vn_free(t);
		return -ENOMEM;
	}
	t->n = 1; /* 0 is "unknown" */
	return 0;
}

void vn_free(struct vn_table *t)
{
	free(t->v);
	free(t->hash);
	memset(t, 0, sizeof(*t));
}

static int vn_rehash(struct vn_table *t)
{
	unsigned hcap = t->hcap * 2, i;
	uint32_t *h = calloc(hcap, sizeof(*h));

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
	free(t->hash);
	t->hash = h;
	t->hcap = hcap;
	return 0;
}

static uint32_t vn_push(struct vn_table *t, const struct vn *v)
{
	if (t->n == t->cap) {
		struct vn *nv = realloc(t->v, 2 * t->cap * sizeof(*nv));

		if (!nv) {
			t->oom = 1;
			return 0;
		}
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

uint32_t vn_opaque(struct vn_table *t)
{
	struct vn v = { VN_OPAQUE, 0, 0, 0, ++t->opaque };

	return t->oom ? 0 : vn_push(t, &v);
}

int vn_is_const(const struct vn_table *t, uint32_t v, uint32_t *k)
{
	if (!v || t->v[v].kind != VN_CONST)
		return 0;
	if (k)
		*k = t->v[v].k;
	return 1;
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
	if (s->nf == s->capf) {
		unsigned cap = s->capf ? 2 * s->capf : 4;
		struct fact *f = realloc(s->f, cap * sizeof(*f));

		if (!f)
			return NULL;	/* forgetting is always safe */
		s->f = f;
		s->capf = cap;
	}
	memmove(&s->f[lo + 1], &s->f[lo], (s->nf - lo) * sizeof(*s->f));
	s->nf++;
	fact_default(&s->f[lo], v);
	return &s->f[lo];
}

void state_init_entry(struct state *s, struct vn_table *t)
{
	unsigned i;

	memset(s, 0, sizeof(*s));
	/* A and X start at 0 in the kernel and in bpf_filter; M[] is never read
	 * before it is written in a valid program. */
	for (i = 0; i < BPF_MEMWORDS; i++)
		s->loc[i] = vn_opaque(t);
	s->loc[LOC_A] = vn_const(t, 0);
	s->loc[LOC_X] = vn_const(t, 0);
}

int state_copy(struct state *dst, const struct state *src)
{
	*dst = *src;
	dst->f = NULL;
	dst->xf = NULL;
	dst->capf = dst->capxf = 0;
	if (src->nf) {
		dst->f = malloc(src->nf * sizeof(*dst->f));
		if (!dst->f) {
			dst->nf = 0;
			dst->nxf = 0;
			return -ENOMEM;
		}
		memcpy(dst->f, src->f, src->nf * sizeof(*dst->f));
		dst->capf = src->nf;
	}
	if (src->nxf) {
		dst->xf = malloc(src->nxf * sizeof(*dst->xf));
		if (!dst->xf) {
			dst->nxf = 0;
			return -ENOMEM;
		}
		memcpy(dst->xf, src->xf, src->nxf * sizeof(*dst->xf));
		dst->capxf = src->nxf;
	}
	return 0;
}

int state_assign(struct state *dst, const struct state *src)
{
	memcpy(dst->loc, src->loc, sizeof(dst->loc));
	dst->known_len = src->known_len;
	if (src->nf > dst->capf) {
		struct fact *f = realloc(dst->f, src->nf * sizeof(*f));

		if (!f)
			return -ENOMEM;
		dst->f = f;
		dst->capf = src->nf;
	}
	if (src->nf)
		memcpy(dst->f, src->f, src->nf * sizeof(*dst->f));
	dst->nf = src->nf;
	if (src->nxf > dst->capxf) {
		struct xfact *xf = realloc(dst->xf, src->nxf * sizeof(*xf));

		if (!xf)
			return -ENOMEM;
		dst->xf = xf;
		dst->capxf = src->nxf;
	}
	if (src->nxf)
		memcpy(dst->xf, src->xf, src->nxf * sizeof(*dst->xf));
	dst->nxf = src->nxf;
	return 0;
}

void state_free(struct state *s)
{
	free(s->f);
	free(s->xf);
	memset(s, 0, sizeof(*s));
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
		if (d->loc[i] != s->loc[i])
			d->loc[i] = 0;
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

int state_decide(const struct state *s, const struct vn_table *t, uint16_t code, uint32_t a,
		 uint32_t b)
{
	unsigned op = BPF_OP(code), i;
	uint32_t x, y;
	const struct fact *f;
	int ca, cb;

	if (!a || !b)
		return -1;
	ca = vn_is_const(t, a, &x);
	cb = vn_is_const(t, b, &y);
	if (ca && cb)
		return eval_test(op, x, y);
	if (!cb) {
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

void state_refine(struct state *s, const struct vn_table *t, uint16_t code, uint32_t a,
		  uint32_t b, int val)
{
	uint32_t y;
	struct fact *f;

	if (!a || !b || vn_is_const(t, a, NULL))
		return;
	if (vn_is_const(t, b, &y)) {
		f = fact_get(s, a);
		if (f)
			fact_refine(f, BPF_OP(code), y, val);
		return;
	}
	if (s->nxf == s->capxf) {
		unsigned cap = s->capxf ? 2 * s->capxf : 4;
		struct xfact *xf;

		if (cap > 32)
			return;
		xf = realloc(s->xf, cap * sizeof(*xf));
		if (!xf)
			return;
		s->xf = xf;
		s->capxf = cap;
	}
	s->xf[s->nxf++] = (struct xfact){ a, b, code, (uint8_t)val };
}

/* ---- statements ---------------------------------------------------------- */

void stmt_uses_defs(uint16_t code, uint32_t k, uint32_t *use, uint32_t *def)
{
	uint32_t u = 0, d = 0;

	switch (BPF_CLASS(code)) {
	case BPF_LD:
		d = LOC_BIT(LOC_A);
		if (BPF_MODE(code) == BPF_IND)
			u = LOC_BIT(LOC_X);
		else if (BPF_MODE(code) == BPF_MEM && k < BPF_MEMWORDS)
			u = LOC_BIT(k);
		break;
	case BPF_LDX:
		d = LOC_BIT(LOC_X);
		if (BPF_MODE(code) == BPF_MEM && k < BPF_MEMWORDS)
			u = LOC_BIT(k);
		break;
	case BPF_ST:
		u = LOC_BIT(LOC_A);
		d = k < BPF_MEMWORDS ? LOC_BIT(k) : 0;
		break;
	case BPF_STX:
		u = LOC_BIT(LOC_X);
		d = k < BPF_MEMWORDS ? LOC_BIT(k) : 0;
		break;
	case BPF_ALU:
		u = LOC_BIT(LOC_A);
		d = LOC_BIT(LOC_A);
		if (BPF_OP(code) != BPF_NEG && BPF_SRC(code) == BPF_X)
			u |= LOC_BIT(LOC_X);
		break;
	case BPF_MISC:
		if (BPF_MISCOP(code) == BPF_TAX) {
			u = LOC_BIT(LOC_A);
			d = LOC_BIT(LOC_X);
		} else {
			u = LOC_BIT(LOC_X);
			d = LOC_BIT(LOC_A);
		}
		break;
	}
	*use = u;
	*def = d;
}

int stmt_may_fault(uint16_t code)
{
	switch (BPF_CLASS(code)) {
	case BPF_LD:
		return BPF_MODE(code) == BPF_ABS || BPF_MODE(code) == BPF_IND;
	case BPF_LDX:
		return BPF_MODE(code) == BPF_MSH;
	case BPF_ALU:
		return BPF_SRC(code) == BPF_X &&
		       (BPF_OP(code) == BPF_DIV || BPF_OP(code) == BPF_MOD);
	}
	return 0;
}

int block_reserve(struct cb_block *b, unsigned n)
{
	struct cb_stmt *s;

	if (n <= b->capstmts)
		return 0;
	s = realloc(b->stmts, n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	b->stmts = s;
	b->capstmts = n;
	return 0;
}

void block_del_stmt(struct cb_block *b, unsigned i)
{
	memmove(&b->stmts[i], &b->stmts[i + 1], (b->nstmts - i - 1) * sizeof(*b->stmts));
	b->nstmts--;
}
