/* ebpf/keys.c - the keys and values of an IPv6 list's two maps (lists.c
 * fills them, sets.c's block looks them up; see sets.c for why).
 *
 * Both answer "which member comes first in the list's order among those
 * matching these bits", so a value is a member index (u32, host order):
 *   - the list's own map (a hash of addresses, or an LPM trie of prefixes):
 *     key i is member i's, its value the lowest index of a member whose
 *     prefix holds member i's (equal keys get equal values);
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

int eb_v6_values(const uint8_t *a6, const uint8_t *plen, unsigned n, struct sniff_ebpf_map *m)
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

int eb_v6_cut_map(const uint8_t *a6, const uint8_t *plen, unsigned n, int lpm, int index,
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
