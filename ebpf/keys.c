/* ebpf/keys.c - the keys and values of the lists' maps (lists.c finds the
 * lists, sets.c and the translator look them up): one map per set (hash of
 * addresses or ports, or an LPM trie when nets are in the list), and for
 * each IPv6 list a second one, its cut map (see sets.c for why).
 *
 * For IPv6 both answer "which member comes first in the list's order among
 * those matching these bits", so a value is a member index (u32, host order):
 *   - the list's own map: key i is member i's, its value the lowest index of
 *     a member whose prefix holds member i's (equal keys get equal values;
 *     only `src or dst` lists need them);
 *   - the cut map, for a packet cut after P (1-3) words of a field: member m
 *     compares the first min(plen, 32P) bits there, so its key is those bits
 *     tagged with P: hash [u32 P][16 address bytes, zero past 32P bits] for
 *     hosts, LPM trie [u32 32 + bits][u32 P][16 bytes] when some member is a
 *     net. A lookup with the packet's P words finds the longest key holding
 *     them; its value must be the lowest index of every key holding them,
 *     and those are that key's prefixes: only keys lower than all their
 *     prefixes are kept (an entry with a lower prefix would answer as that
 *     prefix does), and their own index is their value.
 * In both, "the prefixes of a key" come from one sweep over the keys sorted
 * by (tag, bytes, length): a key's prefixes sort before it and its
 * descendants right after it, so a stack holds the chain of prefixes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "ebpf.h"

struct pent {
	uint32_t tag;
	uint8_t a[16];          /* masked to bits */
	unsigned bits, idx;
	unsigned low;           /* lowest index among the entry and its prefixes */
};

static int pent_cmp(const void *x, const void *y)
{
	const struct pent *a = x, *b = y;
	int c;

	if (a->tag != b->tag)
		return a->tag < b->tag ? -1 : 1;
	c = memcmp(a->a, b->a, 16);
	if (c)
		return c;
	if (a->bits != b->bits)
		return a->bits < b->bits ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static void mask(uint8_t *a, unsigned bits)
{
	unsigned i = bits / 8;

	if (i >= 16)
		return;
	if (bits % 8)
		a[i++] &= (uint8_t)(0xff00u >> (bits % 8));
	memset(a + i, 0, 16 - i);
}

/* P (same tag) holds E: its bits are E's first ones. */
static int holds(const struct pent *p, const struct pent *e)
{
	unsigned i = p->bits / 8;

	if (p->tag != e->tag || p->bits > e->bits || memcmp(p->a, e->a, i))
		return 0;
	return p->bits % 8 == 0 ||
	       !((p->a[i] ^ e->a[i]) & (uint8_t)(0xff00u >> (p->bits % 8)));
}

/* Sort V and set each entry's low (see the file comment). */
static int sweep(struct pent *v, unsigned n)
{
	unsigned *stack = malloc((n ? n : 1) * sizeof(*stack)), sp = 0;

	if (!stack)
		return -ENOMEM;
	qsort(v, n, sizeof(*v), pent_cmp);
	for (unsigned i = 0; i < n; i++) {
		while (sp && !holds(&v[stack[sp - 1]], &v[i]))
			sp--;
		v[i].low = v[i].idx;
		if (sp && v[stack[sp - 1]].low < v[i].low)
			v[i].low = v[stack[sp - 1]].low;
		stack[sp++] = i;
	}
	free(stack);
	return 0;
}

static int v6_values(const uint8_t *a6, const uint8_t *plen, unsigned n, struct sniff_ebpf_map *m)
{
	struct pent *v = calloc(n ? n : 1, sizeof(*v));
	uint32_t *val;
	int rc;

	m->values = calloc(n ? n : 1, sizeof(uint32_t));
	if (!v || !m->values) {
		free(v);
		return -ENOMEM;
	}
	m->value_size = sizeof(uint32_t);
	for (unsigned i = 0; i < n; i++) {
		memcpy(v[i].a, a6 + 16 * (size_t)i, 16);
		v[i].bits = plen[i];
		v[i].idx = i;
	}
	rc = sweep(v, n);
	val = (uint32_t *)(void *)m->values;
	for (unsigned i = 0; rc == 0 && i < n; i++)
		val[v[i].idx] = v[i].low;
	free(v);
	return rc;
}

static int v6_cut_map(const uint8_t *a6, const uint8_t *plen, unsigned n, int lpm, int index,
		      struct sniff_ebpf_map *m)
{
	size_t total = 3 * (size_t)n;
	struct pent *v = calloc(total ? total : 1, sizeof(*v));
	unsigned kept = 0, ksz = lpm ? 24 : 20;
	int rc;

	if (!v)
		return -ENOMEM;
	for (unsigned P = 1; P <= 3; P++)
		for (unsigned i = 0; i < n; i++) {
			struct pent *e = &v[(P - 1) * (size_t)n + i];

			e->tag = P;
			e->bits = plen[i] < 32 * P ? plen[i] : 32 * P;
			e->idx = i;
			memcpy(e->a, a6 + 16 * (size_t)i, 16);
			mask(e->a, e->bits);
		}
	rc = sweep(v, (unsigned)total);
	/* the kept ones, in place */
	for (size_t i = 0; rc == 0 && i < total; i++)
		if (v[i].low == v[i].idx)
			v[kept++] = v[i];
	m->type = lpm ? BPF_MAP_TYPE_LPM_TRIE : BPF_MAP_TYPE_HASH;
	m->key_size = ksz;
	m->nkeys = kept;
	m->keys = calloc(kept ? kept : 1, ksz);
	if (index) {
		m->value_size = sizeof(uint32_t);
		m->values = calloc(kept ? kept : 1, sizeof(uint32_t));
	}
	if (rc == 0 && (!m->keys || (index && !m->values)))
		rc = -ENOMEM;
	for (unsigned i = 0; rc == 0 && i < kept; i++) {
		uint8_t *k = m->keys + (size_t)i * ksz;
		uint32_t pl = 32 + v[i].bits;

		if (lpm) {
			memcpy(k, &pl, 4);
			k += 4;
		}
		memcpy(k, &v[i].tag, 4);
		memcpy(k + 4, v[i].a, 16);
		if (index)
			memcpy(m->values + 4 * (size_t)i, &v[i].idx, 4);
	}
	free(v);
	return rc;
}

/* The sets' maps, then the IPv6 lists' NCUT cut maps. */
int eb_make_maps(const struct eb_lists *ls, unsigned ncut, struct sniff_ebpf_prog *out)
{
	out->maps = calloc(ls->nsets + ncut, sizeof(*out->maps));
	if (!out->maps)
		return -ENOMEM;
	out->nmaps = ls->nsets + ncut;
	for (unsigned i = ls->n; i < ls->nsets; i++) {
		/* the other protocols' sets of a `src and dst` list: sets.c
		 * looks the list's own map up, these are never named */
		out->maps[i].type = BPF_MAP_TYPE_HASH;
		out->maps[i].key_size = 4;
	}
	for (unsigned i = 0; i < ls->n; i++) {
		const struct eb_list *l = &ls->v[i];
		struct sniff_ebpf_map *m = &out->maps[i];
		int lpm = l->kind == EB_M_NET;

		if (eb_list_engine(l)) {
			/* sets.c's keys: addresses in network order */
			unsigned alen = eb_member_v6(l->kind) ? 16 : l->kind == EB_M_ETHER ? 6 : 4;
			unsigned stride = l->kind == EB_M_ETHER ? 16 : alen;
			const uint8_t *a = eb_member_v6(l->kind) || l->kind == EB_M_ETHER ? l->a6 : l->a4;

			lpm = l->kind == EB_M_NET6 || l->kind == EB_M_NET;
			m->type = lpm ? BPF_MAP_TYPE_LPM_TRIE : BPF_MAP_TYPE_HASH;
			m->key_size = lpm ? 4 + alen : alen;
			m->nkeys = l->n;
			m->keys = calloc(l->n, m->key_size);
			if (!m->keys || !a)
				return -ENOMEM;
			for (unsigned j = 0; j < l->n; j++) {
				uint8_t *k = m->keys + (size_t)j * m->key_size;
				uint32_t plen = l->plen[j];

				if (lpm)
					memcpy(k, &plen, 4);
				memcpy(k + (lpm ? 4 : 0), a + stride * (size_t)j, alen);
			}
			if (eb_member_v6(l->kind)) {
				/* `src or dst` compares which member comes first
				 * on a cut packet (sets.c) */
				int index = l->q.dir != QD_SRC && l->q.dir != QD_DST &&
					    l->q.dir != QD_AND;
				int rc = index ? v6_values(l->a6, l->plen, l->n, m) : 0;

				if (rc == 0)
					rc = v6_cut_map(l->a6, l->plen, l->n, lpm, index,
							&out->maps[l->cut_map]);
				if (rc)
					return rc;
			}
			continue;
		}
		m->type = lpm ? BPF_MAP_TYPE_LPM_TRIE : BPF_MAP_TYPE_HASH;
		m->key_size = lpm ? 8 : 4;
		m->nkeys = l->n;
		m->keys = calloc(l->n, m->key_size);
		if (!m->keys)
			return -ENOMEM;
		for (unsigned j = 0; j < l->n; j++) {
			uint8_t *k = m->keys + (size_t)j * m->key_size;

			if (lpm) {
				uint32_t plen = l->plen[j], be = htonl(l->vals[j]);

				memcpy(k, &plen, 4);
				memcpy(k + 4, &be, 4);
			} else {
				memcpy(k, &l->vals[j], 4);
			}
		}
	}
	return 0;
}
