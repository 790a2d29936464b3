/* ebpf/shape.c - where the program generated for an expression tests each
 * of its lists (lists.c put a placeholder primitive there), and what the
 * translator and sets.c need to know about it.
 *
 * lists.c generates the program twice, with two sets of sentinel constants
 * in the placeholders: the `jeq`s whose constants differ only as the
 * sentinels do are the set tests (eb_find_marks); anything else differing
 * means the program is not shaped as expected, and the expression stays
 * classic (-EAGAIN). For a list tested on A alone (IPv4 hosts and nets,
 * ports) the translator turns each test into a lookup (eb_find_sets gives
 * its exits); for the others (IPv6, `src and dst`, `ether host`),
 * eb_shape_lists keeps the placeholder's first test, points its true edge
 * where the whole placeholder's went, and describes the list for sets.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "ebpf.h"
#include "../cbpf/cbpf.h"

/* The set tests: where the two programs differ, and only by the sentinels. */
static int find_marks(const struct sniff_prog *p0, const struct sniff_prog *p1,
		      struct eb_lists *ls, uint16_t *marks)
{
	if (p0->len != p1->len)
		return -EAGAIN;
	for (unsigned pc = 0; pc < p0->len; pc++) {
		const struct sniff_insn *a = &p0->insns[pc], *b = &p1->insns[pc];
		uint32_t i;

		marks[pc] = 0;
		if (a->code != b->code || a->jt != b->jt || a->jf != b->jf)
			return -EAGAIN;
		if (a->k == b->k)
			continue;
		if (a->code != (BPF_JMP | BPF_JEQ | BPF_K))
			return -EAGAIN;
		if ((a->k & 0xffff0000u) == EB_SENT_E_A && b->k == (a->k ^ EB_SENT_E_A ^ EB_SENT_E_B) &&
		    (a->k & 0xffffu) < ls->n) {
			struct eb_list *l = &ls->v[a->k & 0xffffu];

			if (l->kind != EB_M_ETHER || l->pce)
				return -EAGAIN;
			l->pce = pc + 1;
			marks[pc] = (uint16_t)((a->k & 0xffffu) + 1);
			continue;
		}
		if (a->k == EB_SENT_E_HA && b->k == EB_SENT_E_HB)
			continue; /* the other half: shape_ether finds it next to its word */
		if ((a->k & 0xff000000u) == EB_SENT_AND_A && b->k == (a->k ^ EB_SENT_AND_A ^ EB_SENT_AND_B) &&
		    (a->k & 0xffffu) < ls->n && ((a->k >> 16) & 0xffu) < 3) {
			struct eb_list *l = &ls->v[a->k & 0xffffu];
			unsigned pb = (a->k >> 16) & 0xffu, si;

			if (!eb_list_engine(l) || eb_member_v6(l->kind) || l->pcb[pb])
				return -EAGAIN;
			/* the first protocol's set is the list's own */
			si = l->pcb[0] || l->pcb[1] || l->pcb[2] ? ls->nsets++ : a->k & 0xffffu;
			if (si >= EB_MAX_SETS)
				return -EAGAIN;
			l->pcb[pb] = pc + 1;
			l->setb[pb] = si;
			marks[pc] = (uint16_t)(si + 1);
			continue;
		}
		if ((a->k & 0xff000000u) == EB_SENT_V6_A && b->k == (a->k ^ EB_SENT_V6_A ^ EB_SENT_V6_B) &&
		    (a->k & 0xffffu) < ls->n && ((a->k >> 16) & 0xffu) < 4) {
			struct eb_list *l = &ls->v[a->k & 0xffffu];
			unsigned j = (a->k >> 16) & 0xffu;

			if (!eb_member_v6(l->kind) || l->pc6[j])
				return -EAGAIN;
			l->pc6[j] = pc + 1;
			if (j == 0)
				marks[pc] = (uint16_t)((a->k & 0xffffu) + 1);
			continue;
		}
		if (a->k - EB_SENT_V4_A < ls->n && b->k - EB_SENT_V4_B == a->k - EB_SENT_V4_A)
			i = a->k - EB_SENT_V4_A;
		else if (a->k - EB_SENT_PORT_A < ls->n && b->k - EB_SENT_PORT_B == a->k - EB_SENT_PORT_A)
			i = a->k - EB_SENT_PORT_A;
		else
			return -EAGAIN;
		if ((ls->v[i].kind == EB_M_PORT) != (a->k - EB_SENT_PORT_A < ls->n))
			return -EAGAIN;
		marks[pc] = (uint16_t)((i + 1) | (ls->v[i].kind == EB_M_NET ? EB_SET_LPM : 0));
	}
	return 0;
}

/* Nothing outside [lo, hi] jumps into (lo, hi]. */
static int jumped_into(const struct sniff_prog *p, unsigned lo, unsigned hi)
{
	for (unsigned pc = 0; pc < p->len; pc++) {
		const struct sniff_insn *in = &p->insns[pc];
		unsigned t[2];

		if (BPF_CLASS(in->code) != BPF_JMP || (pc >= lo && pc <= hi))
			continue;
		t[0] = pc + 1 + (BPF_OP(in->code) == BPF_JA ? in->k : in->jt);
		t[1] = pc + 1 + (BPF_OP(in->code) == BPF_JA ? in->k : in->jf);
		for (int i = 0; i < 2; i++)
			if (t[i] > lo && t[i] <= hi)
				return 1;
	}
	return 0;
}

/* The IPv6 placeholder of list I is "ld [o]; jeq w0; ld [o+4]; jeq w1; ...":
 * keep its first load, let its first `jeq` go where the last one did when
 * true (sets.c does the rest), describe the list for sets.c. */
static int shape_v6(struct sniff_prog *p, struct eb_list *l, unsigned i, struct eb_set *set,
		    struct eb_alist *al)
{
	unsigned pc0 = l->pc6[0] - 1, t, f;
	const struct sniff_insn *ld;

	for (unsigned j = 0; j < 4; j++)
		if (l->pc6[j] != l->pc6[0] + 2 * j)
			return -EAGAIN;
	if (pc0 < 1)
		return -EAGAIN;
	ld = &p->insns[pc0 - 1];
	if (ld->code != (BPF_LD | BPF_W | BPF_ABS))
		return -EAGAIN;
	f = pc0 + 1 + p->insns[pc0].jf;
	for (unsigned j = 0; j < 4; j++) {
		const struct sniff_insn *in = &p->insns[pc0 + 2 * j];

		if (p->insns[pc0 + 2 * j - 1].code != (BPF_LD | BPF_W | BPF_ABS) ||
		    p->insns[pc0 + 2 * j - 1].k != ld->k + 4 * j ||
		    pc0 + 2 * j + 1 + in->jf != f || (j < 3 && in->jt != 0))
			return -EAGAIN;
	}
	t = pc0 + 7 + p->insns[pc0 + 6].jt;
	if (t == f || t - pc0 - 1 > 255 || t >= p->len || jumped_into(p, pc0 - 1, pc0 + 6))
		return -EAGAIN;
	/* the block hands "true" back in A: A must be dead there */
	if (BPF_CLASS(p->insns[t].code) != BPF_LD &&
	    p->insns[t].code != (BPF_RET | BPF_K))
		return -EAGAIN;
	p->insns[pc0].jt = (uint8_t)(t - pc0 - 1);
	*set = (struct eb_set){ .lpm = 0, .first = EB_SIG_HIT, .first_mask = 0xffffffffu,
				.lo = pc0, .hi = pc0, .t = t, .f = f };
	*al = (struct eb_alist){
		.map = i,
		.lookup_map = i,
		.lpm = l->kind == EB_M_NET6,
		.and_mode = l->q.dir == QD_AND,
		.nseg = l->q.dir == QD_SRC || l->q.dir == QD_DST ? 1 : 2,
		.off = { ld->k, ld->k + 16 },
		.alen = 16,
		.sig = EB_SIG_HIT,
	};
	return 0;
}

/* Protocol PB's placeholder of IPv4 `src and dst` list I: "ld [o]; jeq S"
 * (the source address); its destination is 4 (ip) or 10 (arp, rarp) bytes
 * further. */
static int shape_and4(const struct sniff_prog *p, struct eb_list *l, unsigned i, unsigned pb,
		      struct eb_set *set, struct eb_alist *al)
{
	unsigned pc0 = l->pcb[pb] - 1, t, f;
	const struct sniff_insn *ld;

	if (pc0 < 1 || p->insns[pc0 - 1].code != (BPF_LD | BPF_W | BPF_ABS))
		return -EAGAIN;
	ld = &p->insns[pc0 - 1];
	t = pc0 + 1 + p->insns[pc0].jt;
	f = pc0 + 1 + p->insns[pc0].jf;
	if (t == f || t >= p->len)
		return -EAGAIN;
	if (BPF_CLASS(p->insns[t].code) != BPF_LD && p->insns[t].code != (BPF_RET | BPF_K))
		return -EAGAIN;
	if (!l->a4) {
		l->a4 = malloc(4 * (size_t)l->n);
		if (!l->a4)
			return -ENOMEM;
		for (unsigned m = 0; m < l->n; m++) {
			uint32_t be = htonl(l->vals[m]);

			memcpy(l->a4 + 4 * m, &be, 4);
		}
	}
	*set = (struct eb_set){ .lpm = 0, .first = EB_SIG_HIT, .first_mask = 0xffffffffu,
				.lo = pc0, .hi = pc0, .t = t, .f = f };
	*al = (struct eb_alist){
		.map = l->setb[pb],
		.lookup_map = i,
		.lpm = l->kind == EB_M_NET,
		.and_mode = 1,
		.nseg = 2,
		.off = { ld->k, ld->k + (eb_and_proto(pb) == QP_IP ? 4 : 10) },
		.alen = 4,
		.sig = EB_SIG_HIT,
	};
	return 0;
}

/* The `ether host` placeholder of list I: "ld [w]; jeq S_lo; ldh [w-2];
 * jeq S_hi", w = 8 (source) or 2 (destination alone); the half-word test
 * becomes unreachable once the first `jeq` goes where it went. */
static int shape_ether(struct sniff_prog *p, struct eb_list *l, unsigned i, struct eb_set *set,
		       struct eb_alist *al)
{
	unsigned pc0 = l->pce - 1, t, f;
	const struct sniff_insn *in = p->insns;

	if (pc0 < 1 || pc0 + 2 >= p->len || in[pc0 - 1].code != (BPF_LD | BPF_W | BPF_ABS) ||
	    (in[pc0 - 1].k != 8 && in[pc0 - 1].k != 2) ||
	    in[pc0 + 1].code != (BPF_LD | BPF_H | BPF_ABS) || in[pc0 + 1].k != in[pc0 - 1].k - 2 ||
	    in[pc0 + 2].code != (BPF_JMP | BPF_JEQ | BPF_K) || in[pc0 + 2].k != EB_SENT_E_HA ||
	    in[pc0].jt != 0)
		return -EAGAIN;
	f = pc0 + 1 + in[pc0].jf;
	t = pc0 + 3 + in[pc0 + 2].jt;
	if (pc0 + 3 + in[pc0 + 2].jf != f || t == f || t - pc0 - 1 > 255 || t >= p->len ||
	    jumped_into(p, pc0 - 1, pc0 + 2))
		return -EAGAIN;
	if (BPF_CLASS(in[t].code) != BPF_LD && in[t].code != (BPF_RET | BPF_K))
		return -EAGAIN;
	p->insns[pc0].jt = (uint8_t)(t - pc0 - 1);
	*set = (struct eb_set){ .lpm = 0, .first = EB_SIG_HIT, .first_mask = 0xffffffffu,
				.lo = pc0, .hi = pc0, .t = t, .f = f };
	*al = (struct eb_alist){
		.map = i,
		.lookup_map = i,
		.and_mode = l->q.dir == QD_AND,
		.nseg = l->q.dir == QD_SRC || l->q.dir == QD_DST ? 1 : 2,
		.off = { in[pc0 - 1].k == 8 ? 6 : 0, 0 },
		.alen = 6,
		.sig = EB_SIG_HIT,
	};
	return 0;
}

/* Every half-word placeholder test is its list's (none is left over). */
static int ether_halves_paired(const struct sniff_prog *p0, const struct sniff_prog *p1,
			       const struct eb_lists *ls)
{
	unsigned halves = 0, lists = 0;

	for (unsigned pc = 0; pc < p0->len; pc++)
		if (p0->insns[pc].k == EB_SENT_E_HA && p1->insns[pc].k == EB_SENT_E_HB)
			halves++;
	for (unsigned i = 0; i < ls->n; i++)
		if (ls->v[i].kind == EB_M_ETHER) {
			if (!ls->v[i].pce || p0->insns[ls->v[i].pce + 1].k != EB_SENT_E_HA)
				return 0;
			lists++;
		}
	return halves == lists;
}

/* Where each list's set tests are, and its exits (see struct eb_set). */
int eb_find_sets(const struct sniff_prog *p, const uint16_t *marks, const struct eb_lists *ls,
		 struct eb_set *sets)
{
	for (unsigned i = 0; i < ls->n; i++) {
		const struct eb_list *l = &ls->v[i];
		struct eb_set *set = &sets[i];
		int seen = 0;

		if (eb_list_engine(l))
			continue; /* shape_v6, shape_and4 */
		set->lpm = l->kind == EB_M_NET;
		set->first_mask = l->plen[0] ? 0xffffffffu << (32 - l->plen[0]) : 0;
		set->first = l->vals[0] & set->first_mask;
		for (unsigned pc = 0; pc < p->len; pc++) {
			const struct sniff_insn *in = &p->insns[pc];

			if ((marks[pc] & ~EB_SET_LPM) != i + 1)
				continue;
			if (!seen) {
				set->lo = pc;
				set->t = pc + 1 + in->jt;
				seen = 1;
			} else if (pc + 1 + in->jt != set->t) {
				return -EAGAIN;
			}
			set->hi = pc;
			set->f = pc + 1 + in->jf;
		}
		if (!seen)
			continue; /* no test left: the list is never looked at */
		if (set->t == set->f || set->t <= set->hi || set->f <= set->hi)
			return -EAGAIN;
		/* with one field per member a hit is true at once: nothing of
		 * the first member is left to load */
		if (set->f == set->hi + 1 && (l->q.dir == QD_SRC || l->q.dir == QD_DST)) {
			set->first = 0;
			set->first_mask = 0;
		}
	}
	return 0;
}

int eb_find_marks(const struct sniff_prog *p0, const struct sniff_prog *p1, struct eb_lists *ls,
		  uint16_t *marks)
{
	int rc = find_marks(p0, p1, ls, marks);

	return rc == 0 && !ether_halves_paired(p0, p1, ls) ? -EAGAIN : rc;
}

int eb_shape_lists(struct sniff_prog *p0, struct eb_lists *ls, struct eb_set *sets,
		   struct eb_alist *al, unsigned *nal, unsigned *ncut)
{
	int rc = 0;

	for (unsigned i = 0; i < ls->n && rc == 0; i++) {
		struct eb_list *l = &ls->v[i];

		if (!eb_list_engine(l))
			continue;
		if (l->kind == EB_M_ETHER) {
			rc = l->pce ? shape_ether(p0, l, i, &sets[i], &al[(*nal)++]) : -EAGAIN;
			continue;
		}
		if (!eb_member_v6(l->kind)) {
			if (!l->pcb[0] && !l->pcb[1] && !l->pcb[2])
				rc = -EAGAIN;
			for (unsigned pb = 0; pb < 3 && rc == 0; pb++)
				if (l->pcb[pb])
					rc = shape_and4(p0, l, i, pb, &sets[l->setb[pb]],
							&al[(*nal)++]);
			continue;
		}
		rc = l->pc6[0] ? shape_v6(p0, l, i, &sets[i], &al[*nal]) : -EAGAIN;
		l->cut_map = ls->nsets + (*ncut)++;
		al[(*nal)++].cut_map = l->cut_map;
	}
	return rc;
}
