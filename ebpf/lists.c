/* ebpf/lists.c - sniff_ebpf_compile(): long `or` lists as one map lookup.
 *
 * "host a or host b or ..." costs one comparison per host in classic BPF. An
 * eBPF program can look the address up in a hash map (an LPM trie when nets
 * are in the list) instead, at a cost that does not grow with the list.
 *
 * The decisions must stay those of the classic program on every packet (ARP
 * and RARP for `host`, fragments and IPv6 for `port`, loads past the end):
 * so the generator itself writes the code around the lookup. An `or` subtree
 * whose leaves are all list members with the same qualifiers is replaced by
 * one primitive on a sentinel value ("host S" tests exactly what "host a or
 * host b" tests, with S for the address: the loads, protocol checks and their
 * order are the same for every member, so "any member matches" is "the
 * value is in the set"). The program is generated twice with two different
 * sentinels; the `jeq` instructions whose constant follows the sentinel are
 * the set tests and anything else differing means we stay classic. Only
 * whole subtrees are replaced: reordering an `or` changes which load fails
 * first on a short packet. The program is not optimized: libpcap's optimizer
 * concludes "A == s1, so A != s2" on a true edge, which is wrong for sets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <arpa/inet.h>

#include "ebpf.h"
#include "../cbpf/cbpf.h"

#define SENT_V4_A 0xf00d0000u
#define SENT_V4_B 0xf10e0000u
#define SENT_PORT_A 60000u
#define SENT_PORT_B 62000u
#define MAX_LISTS EB_MAX_SETS

enum member { M_NONE, M_HOST, M_NET, M_PORT };

struct list {
	enum member kind;       /* M_HOST (every member a host), M_NET (some net), M_PORT */
	struct qual q;
	unsigned n, cap;
	uint32_t *vals;         /* host order */
	uint8_t *plen;          /* prefix lengths (32 for hosts) */
};

struct lists {
	struct list *v;
	unsigned n;
	int pass;               /* 0 or 1: which sentinel */
	struct arena *a;
	int err;
};

/* One leaf: what it is, its value and prefix length. */
static enum member classify(const struct node *n, uint32_t *val, uint8_t *plen)
{
	struct in_addr in;

	if (n->kind != ND_PRIM)
		return M_NONE;
	if (n->q.type == QT_PORT) {
		if (n->id.kind != ID_NUM || n->id.num > 65535)
			return M_NONE;
		if (n->q.proto != QP_DEFAULT && n->q.proto != QP_TCP && n->q.proto != QP_UDP &&
		    n->q.proto != QP_SCTP)
			return M_NONE;
		if (n->q.dir > QD_OR || n->q.dir == QD_AND)
			return M_NONE;
		*val = n->id.num;
		*plen = 32;
		return M_PORT;
	}
	/* "src and dst host a or ..." is not "src in S and dst in S" */
	if (n->q.dir == QD_AND || n->q.dir > QD_OR)
		return M_NONE;
	if (n->q.proto != QP_DEFAULT && n->q.proto != QP_IP && n->q.proto != QP_ARP &&
	    n->q.proto != QP_RARP)
		return M_NONE;
	/* four dotted parts only: "10.1.2" alone is a net in libpcap */
	if (!n->id.s || inet_pton(AF_INET, n->id.s, &in) != 1)
		return M_NONE;
	*val = ntohl(in.s_addr);
	if ((n->q.type == QT_HOST || n->q.type == QT_DEFAULT) && n->id.kind == ID_IPV4) {
		*plen = 32;
		return M_HOST;
	}
	/* /0 tests nothing and loads nothing: not the path of the others */
	if (n->q.type == QT_NET && n->id.kind == ID_IPV4_LEN && n->id.num >= 1 &&
	    n->id.num <= 32) {
		uint32_t m = n->id.num ? 0xffffffffu << (32 - n->id.num) : 0;

		if (*val & ~m)
			return M_NONE; /* the generator reports it */
		*plen = (uint8_t)n->id.num;
		return M_NET;
	}
	return M_NONE;
}

static int same_list(enum member a, enum member b)
{
	return (a == M_PORT) == (b == M_PORT);
}

/* Every leaf of the `or` subtree N qualifies with the qualifiers of the first
 * leaf: count them (0 if one does not). */
static unsigned chain_count(const struct node *n, enum member *kind, struct qual *q)
{
	uint32_t v;
	uint8_t l;
	enum member m;
	unsigned a, b;

	if (n->kind == ND_OR) {
		a = chain_count(n->lhs, kind, q);
		if (!a)
			return 0;
		b = chain_count(n->rhs, kind, q);
		return b ? a + b : 0;
	}
	m = classify(n, &v, &l);
	if (m == M_NONE)
		return 0;
	if (*kind == M_NONE) {
		*kind = m;
		*q = n->q;
		return 1;
	}
	if (!same_list(*kind, m) || n->q.proto != q->proto || n->q.dir != q->dir)
		return 0;
	if (m == M_NET)
		*kind = M_NET;
	return 1;
}

static void collect(const struct node *n, struct list *l)
{
	if (n->kind == ND_OR) {
		collect(n->lhs, l);
		collect(n->rhs, l);
		return;
	}
	(void)classify(n, &l->vals[l->n], &l->plen[l->n]);
	l->n++;
}

/* Replace qualifying subtrees of N (post-order: the same numbering both
 * passes). */
static void rewrite(struct node *n, struct lists *ls)
{
	enum member kind = M_NONE;
	struct qual q = { 0 };
	unsigned cnt;
	char text[16];
	uint32_t s;

	if (!n || ls->err)
		return;
	if (n->kind == ND_OR) {
		cnt = chain_count(n, &kind, &q);
		if (cnt >= EB_LIST_MIN && ls->n < MAX_LISTS) {
			unsigned i = ls->n;

			if (ls->pass == 0) {
				struct list *l = &ls->v[i];

				l->kind = kind;
				l->q = q;
				l->vals = malloc(cnt * sizeof(*l->vals));
				l->plen = malloc(cnt);
				if (!l->vals || !l->plen) {
					ls->err = -ENOMEM;
					return;
				}
				collect(n, l);
			}
			ls->n++;
			memset(&n->id, 0, sizeof(n->id));
			n->kind = ND_PRIM;
			n->lhs = n->rhs = NULL;
			n->q = q;
			n->id.pos = n->pos;
			n->id.len = n->len;
			if (kind == M_PORT) {
				n->q.type = QT_PORT;
				n->id.kind = ID_NUM;
				n->id.num = (ls->pass ? SENT_PORT_B : SENT_PORT_A) + i;
			} else {
				s = (ls->pass ? SENT_V4_B : SENT_V4_A) + i;
				n->q.type = QT_HOST;
				n->id.kind = ID_IPV4;
				snprintf(text, sizeof(text), "%u.%u.%u.%u", s >> 24, (s >> 16) & 0xff,
					 (s >> 8) & 0xff, s & 0xff);
				n->id.s = arena_strndup(ls->a, text, strlen(text));
				if (!n->id.s)
					ls->err = -ENOMEM;
			}
			return;
		}
	}
	switch (n->kind) {
	case ND_AND:
	case ND_OR:
		rewrite(n->lhs, ls);
		rewrite(n->rhs, ls);
		break;
	case ND_NOT:
		rewrite(n->lhs, ls);
		break;
	default:
		break;
	}
}

/* Parse, rewrite with sentinel set PASS, generate (unoptimized), lay out. */
static int gen_pass(const char *expr, int linktype, const struct sniff_compile_opts *o,
		    struct lists *ls, int pass, struct sniff_prog *prog, struct sniff_error *err)
{
	struct arena a = { 0 };
	struct names_ctx names = { .dir = o->names_dir };
	struct gen_opts go = {
		.linktype = linktype,
		.snaplen = o->snaplen ? o->snaplen : SNIFF_DEFAULT_SNAPLEN,
		.netmask = o->netmask ? o->netmask : SNIFF_NETMASK_UNKNOWN,
		.mode = o->mode,
		.names = &names,
	};
	struct node *ast = NULL;
	struct cb_graph g;
	int rc;

	prog->len = 0;
	prog->insns = NULL;
	rc = filter_parse(expr, &a, &ast, err);
	if (rc < 0)
		goto out;
	ls->n = 0;
	ls->pass = pass;
	ls->a = &a;
	rewrite(ast, ls);
	rc = ls->err;
	if (rc < 0 || ls->n == 0)
		goto out;
	rc = cb_gen(ast, &go, &g, err);
	if (rc < 0)
		goto out;
	rc = cb_graph_emit(&g, prog);
	cb_graph_free(&g);
out:
	arena_free(&a);
	return rc;
}

/* The set tests: where the two programs differ, and only by the sentinels. */
static int find_marks(const struct sniff_prog *p0, const struct sniff_prog *p1,
		      const struct lists *ls, uint16_t *marks)
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
		if (a->k - SENT_V4_A < ls->n && b->k - SENT_V4_B == a->k - SENT_V4_A)
			i = a->k - SENT_V4_A;
		else if (a->k - SENT_PORT_A < ls->n && b->k - SENT_PORT_B == a->k - SENT_PORT_A)
			i = a->k - SENT_PORT_A;
		else
			return -EAGAIN;
		if ((ls->v[i].kind == M_PORT) != (a->k - SENT_PORT_A < ls->n))
			return -EAGAIN;
		marks[pc] = (uint16_t)((i + 1) | (ls->v[i].kind == M_NET ? EB_SET_LPM : 0));
	}
	return 0;
}

/* Where each list's set tests are, and its exits (see struct eb_set). */
static int find_sets(const struct sniff_prog *p, const uint16_t *marks,
		     const struct lists *ls, struct eb_set *sets)
{
	for (unsigned i = 0; i < ls->n; i++) {
		const struct list *l = &ls->v[i];
		struct eb_set *set = &sets[i];
		int seen = 0;

		set->lpm = l->kind == M_NET;
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
	}
	return 0;
}

static int make_maps(const struct lists *ls, struct sniff_ebpf_prog *out)
{
	out->maps = calloc(ls->n, sizeof(*out->maps));
	if (!out->maps)
		return -ENOMEM;
	out->nmaps = ls->n;
	for (unsigned i = 0; i < ls->n; i++) {
		const struct list *l = &ls->v[i];
		struct sniff_ebpf_map *m = &out->maps[i];
		int lpm = l->kind == M_NET;

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

static int plain(const char *expr, int linktype, const struct sniff_compile_opts *opts,
		 struct sniff_ebpf_prog *out, struct sniff_error *err)
{
	struct sniff_prog p = { 0 };
	int rc = sniff_compile(expr, linktype, opts, &p, err);

	if (rc)
		return rc;
	rc = eb_translate_ex(p.insns, p.len, 0, out, err);
	sniff_prog_free(&p);
	return rc;
}

SNIFF_API int sniff_ebpf_compile(const char *expr, int linktype,
				 const struct sniff_compile_opts *opts,
				 struct sniff_ebpf_prog *out, struct sniff_error *err)
{
	struct sniff_compile_opts o;
	struct lists ls = { 0 };
	struct sniff_prog p0 = { 0 }, p1 = { 0 };
	uint16_t *marks = NULL;
	struct eb_set sets[EB_MAX_SETS];
	int rc;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (err)
		memset(err, 0, sizeof(*err));
	if (!expr)
		expr = "";
	if (cb_copy_compile_opts(opts, &o) < 0)
		return plain(expr, linktype, opts, out, err); /* reports it */
	ls.v = calloc(MAX_LISTS, sizeof(*ls.v));
	if (!ls.v)
		return -ENOMEM;
	rc = gen_pass(expr, linktype, &o, &ls, 0, &p0, err);
	if (rc == 0 && ls.n)
		rc = gen_pass(expr, linktype, &o, &ls, 1, &p1, err);
	if (rc < 0 || ls.n == 0) {
		/* no list, or an error: the classic path says it with its words */
		rc = plain(expr, linktype, opts, out, err);
		goto out;
	}
	marks = calloc(p0.len, sizeof(*marks));
	rc = marks ? find_marks(&p0, &p1, &ls, marks) : -ENOMEM;
	if (rc == 0)
		rc = cb_validate_max(p0.insns, p0.len, SNIFF_MAX_INSNS, err);
	if (rc == 0)
		rc = find_sets(&p0, marks, &ls, sets);
	if (rc == -EAGAIN) {
		rc = plain(expr, linktype, opts, out, err);
		goto out;
	}
	if (rc == 0)
		rc = eb_translate_sets(p0.insns, p0.len, 0, marks, sets, ls.n, out, err);
	if (rc == 0)
		rc = make_maps(&ls, out);
	if (rc)
		sniff_ebpf_free(out);
out:
	for (unsigned i = 0; i < MAX_LISTS; i++) {
		free(ls.v[i].vals);
		free(ls.v[i].plen);
	}
	free(ls.v);
	free(marks);
	sniff_prog_free(&p0);
	sniff_prog_free(&p1);
	return rc;
}
