/* cbpf/opt-chain.c: regroup the tests of an or-chain (or an and-chain) so
 * that tests of the same value sit together and share one load.
 *
 * A chain is blocks c1..cm where each ci leaves to one common exit E on one
 * outcome and to c(i+1) on the other (cm to F), and every ci but c1 has no
 * other predecessor.  "Any test says E" does not depend on the order of the
 * tests, except for loads past the end of the packet, which end the filter
 * where they happen.  libpcap's or_pullup ignores that and can turn a drop
 * into an accept on a truncated packet.  Here the chain is cut into segments
 * at each block whose loads might fail (given what earlier segments loaded):
 * such a block stays first in its segment and no test moves above it; inside
 * a segment the tests are grouped by the value they read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cbpf/opt.h"

#define SANE_OFFSET 0x10000000u
#define MIN_CHAIN 3

struct link {
	struct cb_block *b;
	struct cb_stmt *stmts;  /* saved copy */
	unsigned nstmts;
	uint16_t code;
	uint32_t k;
	int exit_on;            /* outcome that leaves to E */
	uint32_t value;         /* A at the test */
	int self_contained;     /* stmts do not read A before writing it */
	uint64_t need;          /* bytes its absolute loads need */
	uint64_t ind_need;      /* bytes past X its indirect loads need */
	int has_other_fault;    /* division by X: never moved above */
	int writes_other;       /* writes X or M[] (the head only) */
	int seg, group, order;
	int barrier;            /* first of its segment: nothing moves above it */
};

static int is_ret(const struct cb_block *b)
{
	return BPF_CLASS(b->code) == BPF_RET;
}

static uint64_t abs_need(uint16_t code, uint32_t k)
{
	if (k >= SANE_OFFSET)
		return 0;
	if (BPF_CLASS(code) == BPF_LD && BPF_MODE(code) == BPF_ABS)
		return (uint64_t)k + (BPF_SIZE(code) == BPF_B ? 1 : BPF_SIZE(code) == BPF_H ? 2 : 4);
	if (BPF_CLASS(code) == BPF_LDX && BPF_MODE(code) == BPF_MSH)
		return (uint64_t)k + 1;
	return 0;
}

/* Bytes every path to each block has loaded (by topo index), worked out
 * only as far down the order as a chain head asks: a block's predecessors
 * come before it.  Finished before any chain is rewritten (known_finish),
 * so that it is the graph's as opt_chains found it. */
struct known {
	uint64_t *in;
	unsigned done;	/* blocks whose entry is final and pushed on */
};

static int known_at(struct opt_ctx *o, struct known *K, unsigned head, uint64_t *out)
{
	unsigned i, j;

	if (!K->in) {
		K->in = opt_alloc_raw(o, o->n * sizeof(*K->in));
		if (!K->in)
			return -ENOMEM;
		for (i = 0; i < o->n; i++)
			K->in[i] = UINT64_MAX;
		K->in[0] = 0;
		K->done = 0;
	}
	for (; K->done <= head; K->done++) {
		const struct cb_block *b = o->topo[K->done];
		uint64_t *in = K->in, k = in[K->done] == UINT64_MAX ? 0 : in[K->done];

		for (j = 0; j < b->nstmts; j++) {
			uint64_t need = abs_need(b->stmts[j].code, b->stmts[j].k);

			if (need > k)
				k = need;
		}
		in[K->done] = k;
		if (is_ret(b))
			continue;
		if (k < in[b->jt->offset])
			in[b->jt->offset] = k;
		if (k < in[b->jf->offset])
			in[b->jf->offset] = k;
	}
	*out = K->in[head];
	return 0;
}

/* Before a rewrite: the chains still to come read the graph as it was. */
static void known_finish(struct opt_ctx *o, struct known *K)
{
	uint64_t unused;

	if (K->in && o->n)
		known_at(o, K, o->n - 1, &unused);
}

static int only_writes_a(const struct cb_block *b)
{
	unsigned i;

	for (i = 0; i < b->nstmts; i++) {
		uint32_t use, def;

		stmt_uses_defs(b->stmts[i].code, b->stmts[i].k, &use, &def);
		if (def & ~LOC_BIT(LOC_A))
			return 0;
	}
	return 1;
}

/* Value numbers of the chain, from A_in and X_in at its head.  Only the head
 * may write X (or M[]): after it X holds one value for the whole chain, so
 * indirect loads only differ by their offsets. */
static void number_chain(struct opt_ctx *o, struct link *L, unsigned m, uint32_t a_in,
			 uint32_t x)
{
	uint32_t a = a_in;
	unsigned i, j;

	for (i = 0; i < m; i++) {
		int read_a = 0, wrote_a = 0;

		L[i].need = 0;
		L[i].ind_need = 0;
		L[i].has_other_fault = 0;
		L[i].writes_other = 0;
		for (j = 0; j < L[i].nstmts; j++) {
			const struct cb_stmt *st = &L[i].stmts[j];
			uint32_t use, def, nv = 0;
			uint64_t need = abs_need(st->code, st->k);

			stmt_uses_defs(st->code, st->k, &use, &def);
			if ((use & LOC_BIT(LOC_A)) && !wrote_a)
				read_a = 1;
			if (def & LOC_BIT(LOC_A))
				wrote_a = 1;
			if (need > L[i].need)
				L[i].need = need;
			if (BPF_CLASS(st->code) == BPF_LD && BPF_MODE(st->code) == BPF_IND) {
				uint64_t end = (uint64_t)st->k +
					(BPF_SIZE(st->code) == BPF_B ? 1 : BPF_SIZE(st->code) == BPF_H ? 2 : 4);

				if (st->k >= SANE_OFFSET)
					L[i].has_other_fault = 1;
				else if (end > L[i].ind_need)
					L[i].ind_need = end;
			} else if (stmt_may_fault(st->code) && !need) {
				L[i].has_other_fault = 1;
			}
			if (def & ~LOC_BIT(LOC_A)) {
				/* the head only: what it loaded through the old X says
				 * nothing about the new one */
				L[i].writes_other = 1;
				if (def & LOC_BIT(LOC_X))
					L[i].ind_need = 0;
			}
			switch (BPF_CLASS(st->code)) {
			case BPF_LD:
				switch (BPF_MODE(st->code)) {
				case BPF_IMM: nv = vn_const(&o->vn, st->k); break;
				case BPF_ABS:
					nv = st->k >= SANE_OFFSET ? vn_opaque(&o->vn)
						: vn_abs(&o->vn, BPF_SIZE(st->code), st->k);
					break;
				case BPF_IND:
					nv = vn_make(&o->vn, VN_IND, BPF_SIZE(st->code), x, 0, st->k);
					break;
				case BPF_LEN: nv = vn_make(&o->vn, VN_LEN, 0, 0, 0, 0); break;
				default: nv = vn_opaque(&o->vn); break;	/* M[]: left alone */
				}
				break;
			case BPF_LDX:
				switch (BPF_MODE(st->code)) {
				case BPF_IMM: x = vn_const(&o->vn, st->k); break;
				case BPF_MSH: x = vn_make(&o->vn, VN_MSH, 0, 0, 0, st->k); break;
				case BPF_LEN: x = vn_make(&o->vn, VN_LEN, 0, 0, 0, 0); break;
				default: x = vn_opaque(&o->vn); break;
				}
				break;
			case BPF_ALU:
				nv = BPF_OP(st->code) == BPF_NEG ? vn_alu(&o->vn, BPF_NEG, a, 0)
					: vn_alu(&o->vn, BPF_OP(st->code), a,
						 BPF_SRC(st->code) == BPF_X ? x : vn_const(&o->vn, st->k));
				break;
			case BPF_MISC:
				if (BPF_MISCOP(st->code) == BPF_TAX)
					x = a;
				else
					nv = x;
				break;
			}
			if (def & LOC_BIT(LOC_A))
				a = nv ? nv : vn_opaque(&o->vn);
			if ((def & LOC_BIT(LOC_X)) && !x)
				x = vn_opaque(&o->vn);
		}
		L[i].self_contained = L[i].nstmts > 0 && !read_a && wrote_a && !L[i].writes_other;
		L[i].value = a;
	}
}

/* uint64 -> first index seen, open addressing. */
struct imap {
	uint64_t *key;
	int *val;
	unsigned cap;
};

static int imap_init(struct opt_ctx *o, struct imap *h, unsigned n)
{
	h->cap = 16;
	while (h->cap < 2 * n)
		h->cap *= 2;
	h->key = opt_alloc_raw(o, h->cap * sizeof(*h->key));
	h->val = opt_alloc_raw(o, h->cap * sizeof(*h->val));
	if (!h->key || !h->val)
		return -ENOMEM;
	memset(h->val, 0xff, h->cap * sizeof(*h->val));
	return 0;
}

static unsigned imap_slot(const struct imap *h, uint64_t key)
{
	unsigned j = (unsigned)((key * 0x9e3779b97f4a7c15ull) >> 40) & (h->cap - 1);

	while (h->val[j] >= 0 && h->key[j] != key)
		j = (j + 1) & (h->cap - 1);
	return j;
}

/* The index stored for KEY, storing V first if there is none. */
static int *imap_get(struct imap *h, uint64_t key, int v)
{
	unsigned j = imap_slot(h, key);

	if (h->val[j] < 0) {
		h->key[j] = key;
		h->val[j] = v;
	}
	return &h->val[j];
}

static int *imap_find(struct imap *h, uint64_t key)
{
	unsigned j = imap_slot(h, key);

	return h->val[j] < 0 ? NULL : &h->val[j];
}

/* Do two links test the same value?  Only then can regrouping share a load:
 * with every value different the order stays and each link keeps its own
 * statements, so the size would not change.  -1: too long to say cheaply. */
static int values_repeat(const struct link *L, unsigned m)
{
	unsigned i, j;

	if (m > 32)
		return -1;
	for (i = 1; i < m; i++)
		for (j = 0; j < i; j++)
			if (L[i].value == L[j].value)
				return 1;
	return 0;
}

/* Try the chain of M links headed by topo index HEAD; 1 if rewritten, 0 if
 * not worth it or not safe.  K: the bytes known loaded (known_at()).
 * ZERO_EXIT: E drops the packet, as a failing load does, so no order can tell
 * them apart; only the loads done when no test fires must stay as demanding. */
static int regroup(struct opt_ctx *o, struct link *L, unsigned m, struct cb_block *E,
		   struct cb_block *F, struct known *K, unsigned head, int zero_exit)
{
	struct cb_block **box;
	struct link *N;
	const struct link **mat;
	struct imap seen = { 0 }, first_mat = { 0 };
	uint64_t committed, seg_need = 0, committed_ind = 0, seg_ind = 0;
	unsigned i, j, old_size = 0, new_size = 0;
	uint32_t cur;
	int seg = 0, ok = 1;

	number_chain(o, L, m, vn_opaque(&o->vn), vn_opaque(&o->vn));
	if (!values_repeat(L, m))
		return 0;
	if (known_at(o, K, head, &committed))
		return -ENOMEM;
	box = opt_alloc_raw(o, m * sizeof(*box));
	N = opt_alloc_raw(o, m * sizeof(*N));
	mat = opt_alloc_raw(o, m * sizeof(*mat));
	if (!box || !N || !mat)
		return -ENOMEM;
	/* segments: a block whose loads might fail starts a new one, and every
	 * load of the segments before it is done by then */
	for (i = 0; i < m; i++) {
		old_size += L[i].nstmts + 1;
		box[i] = L[i].b;
		L[i].order = (int)i;
		if (i > 0 && (L[i].has_other_fault ||
			      (!zero_exit && (L[i].need > committed ||
					      L[i].ind_need > committed_ind)))) {
			seg++;
			if (seg_need > committed)
				committed = seg_need;
			if (seg_ind > committed_ind)
				committed_ind = seg_ind;
			seg_need = seg_ind = 0;
			L[i].barrier = 1;
		}
		if (i == 0)
			L[i].barrier = 1;
		if (L[i].barrier && L[i].need > committed)
			committed = L[i].need;
		if (L[i].barrier && L[i].ind_need > committed_ind)
			committed_ind = L[i].ind_need;
		if (L[i].need > seg_need)
			seg_need = L[i].need;
		if (L[i].ind_need > seg_ind)
			seg_ind = L[i].ind_need;
		L[i].seg = seg;
	}
	/* groups: by value, in order of first appearance within the segment */
	if (imap_init(o, &seen, m) || imap_init(o, &first_mat, m)) {
		ok = 0;
		goto done;
	}
	for (i = 0; i < m; i++) {
		L[i].group = *imap_get(&seen, (uint64_t)L[i].seg << 32 | L[i].value, (int)i);
		if (L[i].self_contained)
			imap_get(&first_mat, L[i].value, (int)i);
	}
	/* stable order by (segment, group): a group's id is its first index and
	 * segments grow with the index, so walking groups by id is enough */
	{
		int *next = opt_alloc_raw(o, m * sizeof(*next)), *tail = opt_alloc_raw(o, m * sizeof(*tail));
		unsigned n = 0;

		if (!next || !tail) {
			ok = 0;
			goto done;
		}
		for (i = 0; i < m; i++) {
			next[i] = -1;
			tail[i] = (int)i;
		}
		for (i = 0; i < m; i++) {
			unsigned g = (unsigned)L[i].group;

			if (g != i) {
				next[tail[g]] = (int)i;
				tail[g] = (int)i;
			}
		}
		for (i = 0; i < m; i++) {
			int k;

			if ((unsigned)L[i].group != i)
				continue;
			for (k = (int)i; k >= 0; k = next[k])
				N[n++] = L[k];
		}
	}
	/* statements that put each value in A: a barrier its own (they are the
	 * loads that may fail), others the first self-contained ones computing
	 * it in the same or an earlier segment (done or safe by then) */
	cur = 0;
	for (i = 0; i < m && ok; i++) {
		mat[i] = NULL;
		if (i == 0) {
			/* the head keeps its statements: they may read A at the head */
			ok = N[0].order == 0;
			new_size += N[0].nstmts + 1;
			cur = N[0].value;
			continue;
		}
		if (N[i].barrier) {
			if (N[i].nstmts && !N[i].self_contained)
				ok = 0;
			mat[i] = &L[N[i].order];
		} else if (N[i].value != cur) {
			int *f = imap_find(&first_mat, N[i].value);

			if (f && L[*f].seg <= N[i].seg)
				mat[i] = &L[*f];
			else
				ok = 0;
		}
		if (mat[i] && N[i].value == cur && !N[i].barrier)
			mat[i] = NULL;
		if (N[i].barrier && N[i].value == cur && !N[i].nstmts)
			mat[i] = NULL;
		new_size += (mat[i] ? mat[i]->nstmts : 0) + 1;
		cur = N[i].value;
	}
	if (ok && zero_exit) {
		uint64_t on = 0, oi = 0, nn = N[0].need, ni = N[0].ind_need;

		for (i = 0; i < m; i++) {
			on = L[i].need > on ? L[i].need : on;
			oi = L[i].ind_need > oi ? L[i].ind_need : oi;
			if (i && mat[i]) {
				nn = mat[i]->need > nn ? mat[i]->need : nn;
				ni = mat[i]->ind_need > ni ? mat[i]->ind_need : ni;
			}
		}
		if (nn < on || ni < oi)
			return regroup(o, L, m, E, F, K, head, 0);
	}
done:
	if (!ok || new_size >= old_size)
		return 0;
	known_finish(o, K);
	/* rewrite the boxes in order, with room made first: no failure half way */
	for (i = 0; i < m && ok; i++) {
		const struct link *src = i == 0 ? &N[0] : mat[i];

		if (src && block_reserve(box[i], src->nstmts))
			ok = -1;
	}
	if (ok < 0)
		return -ENOMEM;
	for (i = 0; i < m; i++) {
		struct cb_block *b = box[i];
		struct cb_block *next = i + 1 < m ? box[i + 1] : F;

		const struct link *src = i == 0 ? &N[0] : mat[i];

		b->nstmts = 0;
		for (j = 0; src && j < src->nstmts; j++)
			if (cb_block_add(b, src->stmts[j].code, src->stmts[j].k))
				ok = 0;
		b->code = N[i].code;
		b->k = N[i].k;
		b->jt = N[i].exit_on ? E : next;
		b->jf = N[i].exit_on ? next : E;
	}
	return ok ? 1 : -ENOMEM;
}

int opt_chains(struct opt_ctx *o)
{
	struct known known = { NULL, 0 };	/* made when a chain needs it */
	unsigned *npred = opt_alloc(o, o->n * sizeof(*npred));
	unsigned char *used = opt_alloc(o, o->n);
	struct link *L = NULL;
	struct cb_stmt *sbuf = NULL;
	unsigned i, cap = 0, nst, capst = 0;
	int changes = 0, rc = 0;

	if (!npred || !used) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < o->n; i++) {
		const struct cb_block *b = o->topo[i];

		if (is_ret(b))
			continue;
		npred[b->jt->offset]++;
		if (b->jf != b->jt)
			npred[b->jf->offset]++;
	}
	for (i = 0; i < o->n && rc >= 0; i++) {
		struct cb_block *h = o->topo[i];
		int side;

		if (used[i] || is_ret(h) || h->jt == h->jf)
			continue;
		for (side = 1; side >= 0; side--) {
			struct cb_block *E = side ? h->jt : h->jf, *c = h, *F;
			unsigned m = 1, j;

			/* walked before any link is filled in: most chains are
			 * too short, or feed A to their exits */
			for (;;) {
				struct cb_block *next = c->jt == E ? c->jf : c->jt;

				if (is_ret(next) || next->jt == next->jf || npred[next->offset] != 1 ||
				    used[next->offset] || !only_writes_a(next) ||
				    (next->jt != E && next->jf != E))
					break;
				/* a suffix of a chain fails where the chain does:
				 * walk each once */
				used[next->offset] = 1;
				c = next;
				m++;
			}
			F = c->jt == E ? c->jf : c->jt;
			if (m < MIN_CHAIN || (o->live_in[E->offset] | o->live_in[F->offset]) &
					     LOC_BIT(LOC_A))
				continue;
			if (m > cap) {
				unsigned ncap = cap ? 2 * cap : 16;

				while (ncap < m)
					ncap *= 2;
				L = opt_alloc_raw(o, ncap * sizeof(*L));
				if (!L) {
					rc = -ENOMEM;
					break;
				}
				cap = ncap;
			}
			for (j = 0, c = h; j < m; j++) {
				L[j] = (struct link){ .b = c, .stmts = c->stmts, .nstmts = c->nstmts,
						      .code = c->code, .k = c->k,
						      .exit_on = c->jt == E };
				c = c->jt == E ? c->jf : c->jt;
			}
			/* regroup() overwrites the blocks: keep their statements */
			nst = 0;
			for (j = 0; j < m; j++)
				nst += L[j].nstmts;
			if (nst > capst) {
				struct cb_stmt *ns = opt_alloc_raw(o, nst * sizeof(*ns));

				if (!ns) {
					rc = -ENOMEM;
					break;
				}
				sbuf = ns;
				capst = nst;
			}
			for (j = 0, nst = 0; j < m; j++) {
				if (L[j].nstmts)
					memcpy(sbuf + nst, L[j].b->stmts, L[j].nstmts * sizeof(*sbuf));
				L[j].stmts = sbuf ? sbuf + nst : NULL;
				nst += L[j].nstmts;
			}
			rc = regroup(o, L, m, E, F, &known, i,
				     is_ret(E) && !E->nstmts && BPF_RVAL(E->code) == BPF_K &&
				     E->k == 0);
			for (j = 0; j < m; j++)
				used[L[j].b->offset] = 1;
			if (rc > 0) {
				changes++;
				rc = 0;
				break;
			}
		}
	}
out:
	return rc < 0 ? rc : changes;
}
