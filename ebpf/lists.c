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
 * the set tests (shape.c finds them) and anything else differing means we
 * stay classic. keys.c fills the maps. Only
 * whole subtrees are replaced: reordering an `or` changes which load fails
 * first on a short packet (except across families: see split_families).
 * The program is not optimized: libpcap's optimizer concludes "A == s1, so
 * A != s2" on a true edge, which is wrong for sets.
 *
 * An IPv6 address is four words, and eb_translate_sets tests a set on A:
 * an IPv6 list becomes "ip6 src host S" (or dst) whatever its direction;
 * the first word's `jeq` is the set test (its true edge moved to where the
 * last word's went), and sets.c swaps the lookup for a block of its own that
 * tests every field of the list. On a packet cut inside the addresses the
 * order of a classic list decides: that block finds the first member
 * matching the present words with lookups in a second map, the list's cut
 * map (keys.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <arpa/inet.h>

#include "ebpf.h"
#include "../cbpf/cbpf.h"

#define MAX_LISTS EB_MAX_SETS

/* An IPv6 leaf: "[ip6] [dir] [host] ADDR", "[ip6] [dir] net ADDR/LEN". */
static enum eb_member classify6(const struct node *n, uint8_t a6[16], uint8_t *plen)
{
	unsigned len = n->id.kind == ID_IPV6_LEN ? n->id.num : 128;

	if (n->q.proto != QP_DEFAULT && n->q.proto != QP_IPV6)
		return EB_M_NONE;
	if (n->q.dir > QD_AND || !n->id.s || inet_pton(AF_INET6, n->id.s, a6) != 1)
		return EB_M_NONE;
	if (n->q.type == QT_NET ? len < 1 || len > 128 : n->q.type != QT_HOST &&
	    n->q.type != QT_DEFAULT)
		return EB_M_NONE;
	if (n->q.type != QT_NET && len != 128)
		return EB_M_NONE; /* the generator reports it */
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > 8 * i ? len - 8 * i : 0;
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);

		if (a6[i] & ~m)
			return EB_M_NONE; /* the generator reports it */
	}
	*plen = (uint8_t)len;
	return len == 128 ? EB_M_HOST6 : EB_M_NET6;
}

/* One leaf: what it is, its value and prefix length. */
static enum eb_member classify(const struct node *n, uint32_t *val, uint8_t *a6, uint8_t *plen)
{
	struct in_addr in;

	if (n->kind != ND_PRIM)
		return EB_M_NONE;
	if (n->id.kind == ID_IPV6 || n->id.kind == ID_IPV6_LEN)
		return classify6(n, a6, plen);
	if (n->id.kind == ID_MAC) {
		unsigned m[6];
		char sep, tail;

		/* "ether [dir] host aa:bb:cc:dd:ee:ff" (or with '-'); the other
		 * spellings stay classic */
		if (n->q.proto != QP_LINK || (n->q.type != QT_HOST && n->q.type != QT_DEFAULT) ||
		    n->q.dir > QD_AND || !n->id.s || strlen(n->id.s) != 17)
			return EB_M_NONE;
		sep = n->id.s[2];
		if ((sep != ':' && sep != '-') ||
		    sscanf(n->id.s, sep == ':' ? "%2x:%2x:%2x:%2x:%2x:%2x%c" :
			   "%2x-%2x-%2x-%2x-%2x-%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4],
			   &m[5], &tail) != 6)
			return EB_M_NONE;
		for (int i = 0; i < 6; i++)
			a6[i] = (uint8_t)m[i];
		*plen = 48;
		return EB_M_ETHER;
	}
	if (n->q.type == QT_PORT) {
		if (n->id.kind != ID_NUM || n->id.num > 65535)
			return EB_M_NONE;
		if (n->q.proto != QP_DEFAULT && n->q.proto != QP_TCP && n->q.proto != QP_UDP &&
		    n->q.proto != QP_SCTP)
			return EB_M_NONE;
		if (n->q.dir > QD_OR || n->q.dir == QD_AND)
			return EB_M_NONE;
		*val = n->id.num;
		*plen = 32;
		return EB_M_PORT;
	}
	/* "src and dst host a or ...": sets.c tests both fields per member */
	if (n->q.dir > QD_AND)
		return EB_M_NONE;
	if (n->q.proto != QP_DEFAULT && n->q.proto != QP_IP && n->q.proto != QP_ARP &&
	    n->q.proto != QP_RARP)
		return EB_M_NONE;
	/* four dotted parts only: "10.1.2" alone is a net in libpcap */
	if (!n->id.s || inet_pton(AF_INET, n->id.s, &in) != 1)
		return EB_M_NONE;
	*val = ntohl(in.s_addr);
	if ((n->q.type == QT_HOST || n->q.type == QT_DEFAULT) && n->id.kind == ID_IPV4) {
		*plen = 32;
		return EB_M_HOST;
	}
	/* /0 tests nothing and loads nothing: not the path of the others */
	if (n->q.type == QT_NET && n->id.kind == ID_IPV4_LEN && n->id.num >= 1 &&
	    n->id.num <= 32) {
		uint32_t m = n->id.num ? 0xffffffffu << (32 - n->id.num) : 0;

		if (*val & ~m)
			return EB_M_NONE; /* the generator reports it */
		*plen = (uint8_t)n->id.num;
		return EB_M_NET;
	}
	return EB_M_NONE;
}

/* A `host NAME` leaf is the `or` of the name's addresses, in the
 * generator's order (gen_host_name): members of one family only (the
 * qualifier picks one, or the name has one). Returns how many; appends them
 * to OUT if given. */
static unsigned name_members(const struct node *n, const struct names_ctx *nc,
			     enum eb_member *kind, struct eb_list *out)
{
	uint8_t *a4 = NULL, *a6 = NULL;
	int n4 = 0, n6 = 0, p = n->q.proto;
	unsigned cnt = 0;

	if (n->id.kind != ID_NAME || !n->id.s || !nc ||
	    (n->q.type != QT_HOST && n->q.type != QT_DEFAULT))
		return 0;
	if (p != QP_DEFAULT && p != QP_IP && p != QP_ARP && p != QP_RARP && p != QP_IPV6)
		return 0;
	if (p != QP_IPV6 && names_host(nc, n->id.s, AF_INET, &a4, &n4) < 0)
		n4 = 0;
	if (p != QP_IP && p != QP_ARP && p != QP_RARP &&
	    names_host(nc, n->id.s, AF_INET6, &a6, &n6) < 0)
		n6 = 0;
	if ((n4 > 0) == (n6 > 0))
		goto out; /* unknown (the generator says so), or both families */
	if (n4 && n->q.dir > QD_AND)
		goto out;
	if (n6 && n->q.dir > QD_AND)
		goto out;
	*kind = n4 ? EB_M_HOST : EB_M_HOST6;
	cnt = (unsigned)(n4 + n6);
	for (unsigned i = 0; out && i < cnt; i++, out->n++) {
		out->plen[out->n] = n4 ? 32 : 128;
		if (n4) {
			uint32_t be;

			memcpy(&be, a4 + 4 * i, 4);
			out->vals[out->n] = ntohl(be);
		} else {
			memcpy(out->a6 + 16 * (size_t)out->n, a6 + 16 * i, 16);
		}
	}
out:
	free(a4);
	free(a6);
	return cnt;
}

/* The members of leaf N (see name_members), 0 if it is not one. */
static unsigned leaf_members(const struct node *n, const struct names_ctx *nc,
			     enum eb_member *kind, struct eb_list *out)
{
	uint32_t v;
	uint8_t l, a6[16];

	if (n->kind != ND_PRIM)
		return 0;
	if (n->id.kind == ID_NAME)
		return name_members(n, nc, kind, out);
	*kind = classify(n, &v, a6, &l);
	if (*kind == EB_M_NONE)
		return 0;
	if (out) {
		out->vals[out->n] = v;
		memcpy(out->a6 + 16 * (size_t)out->n, a6, 16);
		out->plen[out->n] = l;
		out->n++;
	}
	return 1;
}

static int same_list(enum eb_member a, enum eb_member b)
{
	return (a == EB_M_PORT) == (b == EB_M_PORT) && eb_member_v6(a) == eb_member_v6(b) &&
	       (a == EB_M_ETHER) == (b == EB_M_ETHER);
}

/* Every leaf of the `or` subtree N qualifies with the qualifiers of the first
 * leaf: count them (0 if one does not). */
static unsigned chain_count(const struct node *n, const struct names_ctx *nc,
			    enum eb_member *kind, struct qual *q)
{
	enum eb_member m = EB_M_NONE;
	unsigned a, b;

	if (n->kind == ND_OR) {
		a = chain_count(n->lhs, nc, kind, q);
		if (!a)
			return 0;
		b = chain_count(n->rhs, nc, kind, q);
		return b ? a + b : 0;
	}
	a = leaf_members(n, nc, &m, NULL);
	if (!a)
		return 0;
	if (*kind == EB_M_NONE) {
		*kind = m;
		*q = n->q;
		return a;
	}
	if (!same_list(*kind, m) || n->q.proto != q->proto || n->q.dir != q->dir)
		return 0;
	if (m == EB_M_NET || m == EB_M_NET6)
		*kind = m;
	return a;
}

static void collect(const struct node *n, const struct names_ctx *nc, struct eb_list *l)
{
	enum eb_member m;

	if (n->kind == ND_OR) {
		collect(n->lhs, nc, l);
		collect(n->rhs, nc, l);
		return;
	}
	(void)leaf_members(n, nc, &m, l);
}

/* The leaves of the `or` subtree N, in order, into V (N at most). */
static unsigned leaves(struct node *n, struct node **v, unsigned max, unsigned k)
{
	if (n->kind == ND_OR) {
		k = leaves(n->lhs, v, max, k);
		return leaves(n->rhs, v, max, k);
	}
	if (k < max)
		v[k] = n;
	return k + 1;
}

/* The `or` of V[0..n) (n >= 1), left-deep as the parser builds it. */
static struct node *or_chain(struct arena *a, struct node **v, unsigned n, const struct node *at)
{
	struct node *t = v[0];

	for (unsigned i = 1; i < n && t; i++) {
		struct node *o = arena_alloc(a, sizeof(*o));

		if (!o)
			return NULL;
		o->kind = ND_OR;
		o->pos = at->pos;
		o->len = at->len;
		o->lhs = t;
		o->rhs = v[i];
		t = o;
	}
	return t;
}

/* "host a4 or host b6 or ...": libpcap tests each address in its family's
 * protocol, and the protocols exclude each other (a packet is IPv4, ARP,
 * RARP or IPv6 by one field every member reads first), so the members of
 * one family may go first: N becomes (IPv6 members) or (IPv4 members), each
 * in its order. Link types where that field is one fixed load only. */
static int split_families(struct node *n, struct eb_lists *ls)
{
	enum eb_member first = EB_M_NONE, m;
	struct qual q = { 0 };
	struct node **v;
	unsigned cnt, n4 = 0, n6 = 0;
	struct node *c4, *c6;

	if (ls->linktype != SNIFF_DLT_EN10MB && ls->linktype != SNIFF_DLT_LINUX_SLL)
		return 0;
	cnt = leaves(n, NULL, 0, 0);
	if (cnt < EB_LIST_MIN)
		return 0;
	v = malloc(2 * (size_t)cnt * sizeof(*v));
	if (!v)
		return 0;
	leaves(n, v, cnt, 0);
	for (unsigned i = 0; i < cnt; i++) {
		m = EB_M_NONE;
		if (!leaf_members(v[i], ls->names, &m, NULL) || m == EB_M_PORT || m == EB_M_ETHER ||
		    (first != EB_M_NONE && (v[i]->q.proto != q.proto || v[i]->q.dir != q.dir)) ||
		    (v[i]->q.proto != QP_DEFAULT)) {
			free(v);
			return 0;
		}
		if (first == EB_M_NONE) {
			first = m;
			q = v[i]->q;
		}
		if (eb_member_v6(m))
			v[cnt + n6++] = v[i];
		else
			v[n4++] = v[i]; /* n4 <= i: in place */
	}
	if (!n4 || !n6) {
		free(v);
		return 0;
	}
	c4 = or_chain(ls->a, v, n4, n);
	c6 = or_chain(ls->a, v + cnt, n6, n);
	free(v);
	if (!c4 || !c6) {
		ls->err = -ENOMEM;
		return 0;
	}
	/* IPv6 first: the IPv4 set then does not end right before other code
	 * (see eb_find_sets, shape.c) */
	n->lhs = c6;
	n->rhs = c4;
	return 1;
}

/* N (list I of IPv4 `src and dst` members) becomes "ip src host S0 or arp
 * src host S1 or rarp src host S2" (the protocols the qualifier names): one
 * field each, sets.c tests both. Each protocol's members keep their order,
 * and the protocols exclude each other as in split_families. */
static void and_placeholder(struct node *n, struct eb_lists *ls, unsigned i)
{
	struct node *prim[3], *t = NULL;
	unsigned np = 0;
	int p = n->q.proto;

	for (unsigned b = 0; b < 3; b++) {
		uint32_t s = (ls->pass ? EB_SENT_AND_B : EB_SENT_AND_A) | b << 16 | i;
		char text[16];
		struct node *x;

		if (p != QP_DEFAULT && p != eb_and_proto(b))
			continue;
		x = arena_alloc(ls->a, sizeof(*x));
		snprintf(text, sizeof(text), "%u.%u.%u.%u", s >> 24, (s >> 16) & 0xff,
			 (s >> 8) & 0xff, s & 0xff);
		if (!x || !(x->id.s = arena_strndup(ls->a, text, strlen(text)))) {
			ls->err = -ENOMEM;
			return;
		}
		x->kind = ND_PRIM;
		x->pos = n->pos;
		x->len = n->len;
		x->q = n->q;
		x->q.proto = eb_and_proto(b);
		x->q.dir = QD_SRC;
		x->q.type = QT_HOST;
		x->id.kind = ID_IPV4;
		x->id.pos = n->pos;
		x->id.len = n->len;
		prim[np++] = x;
	}
	t = or_chain(ls->a, prim, np, n);
	if (!t) {
		ls->err = -ENOMEM;
		return;
	}
	*n = *t;
}

/* Replace qualifying subtrees of N (post-order: the same numbering both
 * passes). */
static void rewrite(struct node *n, struct eb_lists *ls)
{
	enum eb_member kind = EB_M_NONE;
	struct qual q = { 0 };
	unsigned cnt;
	char text[16];
	uint32_t s;

	if (!n || ls->err)
		return;
	if (n->kind == ND_OR) {
		cnt = chain_count(n, ls->names, &kind, &q);
		if (cnt == 0 && split_families(n, ls)) {
			rewrite(n->lhs, ls);
			rewrite(n->rhs, ls);
			return;
		}
		if (cnt >= EB_LIST_MIN && ls->n < MAX_LISTS) {
			unsigned i = ls->n;

			if (ls->pass == 0) {
				struct eb_list *l = &ls->v[i];

				l->kind = kind;
				l->q = q;
				l->vals = malloc(cnt * sizeof(*l->vals));
				l->a6 = malloc(cnt * (size_t)16);
				l->plen = malloc(cnt);
				if (!l->vals || !l->a6 || !l->plen) {
					ls->err = -ENOMEM;
					return;
				}
				collect(n, ls->names, l);
			}
			ls->n++;
			memset(&n->id, 0, sizeof(n->id));
			n->kind = ND_PRIM;
			n->lhs = n->rhs = NULL;
			n->q = q;
			n->id.pos = n->pos;
			n->id.len = n->len;
			if (kind == EB_M_ETHER) {
				char tm[24];

				n->q.type = QT_HOST;
				n->q.dir = q.dir == QD_DST ? QD_DST : QD_SRC;
				n->id.kind = ID_MAC;
				snprintf(tm, sizeof(tm), "02:%02x:%02x:00:%02x:%02x",
					 ls->pass ? 0xfd : 0xfc, ls->pass ? 0xfd : 0xfc,
					 (i >> 8) & 0xff, i & 0xff);
				n->id.s = arena_strndup(ls->a, tm, strlen(tm));
				if (!n->id.s)
					ls->err = -ENOMEM;
			} else if (!eb_member_v6(kind) && kind != EB_M_PORT && q.dir == QD_AND) {
				and_placeholder(n, ls, i);
			} else if (eb_member_v6(kind)) {
				/* one field: sets.c tests the list's fields itself */
				uint32_t w = (ls->pass ? EB_SENT_V6_B : EB_SENT_V6_A) | i;
				char t6[64];

				n->q.type = QT_HOST;
				n->q.dir = q.dir == QD_DST ? QD_DST : QD_SRC;
				n->id.kind = ID_IPV6;
				snprintf(t6, sizeof(t6), "%x:%x:%x:%x:%x:%x:%x:%x", w >> 16, i,
					 (w >> 16) | 1, i, (w >> 16) | 2, i, (w >> 16) | 3, i);
				n->id.s = arena_strndup(ls->a, t6, strlen(t6));
				if (!n->id.s)
					ls->err = -ENOMEM;
			} else if (kind == EB_M_PORT) {
				n->q.type = QT_PORT;
				n->id.kind = ID_NUM;
				n->id.num = (ls->pass ? EB_SENT_PORT_B : EB_SENT_PORT_A) + i;
			} else {
				s = (ls->pass ? EB_SENT_V4_B : EB_SENT_V4_A) + i;
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
		    struct eb_lists *ls, int pass, struct sniff_prog *prog, struct sniff_error *err)
{
	struct arena a = { 0 };
	struct names_ctx names = { .dir = o->names_dir };
	struct gen_opts go = cb_gen_opts(o, linktype, &names);
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
	ls->names = &names;
	ls->linktype = linktype;
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

unsigned eb_compile_flags(const struct sniff_compile_opts *opts)
{
	struct sniff_compile_opts o;

	if (cb_copy_compile_opts(opts, &o) < 0)
		return 0;
	return o.wirelen_in_cb ? EB_F_WIRELEN_CB : 0;
}

static int plain(const char *expr, int linktype, const struct sniff_compile_opts *opts,
		 struct sniff_ebpf_prog *out, struct sniff_error *err)
{
	struct sniff_prog p = { 0 };
	int rc = sniff_compile(expr, linktype, opts, &p, err);

	if (rc)
		return rc;
	rc = eb_translate_ex(p.insns, p.len, eb_compile_flags(opts), out, err);
	sniff_prog_free(&p);
	return rc;
}

SNIFF_API int sniff_ebpf_compile(const char *expr, int linktype,
				 const struct sniff_compile_opts *opts,
				 struct sniff_ebpf_prog *out, struct sniff_error *err)
{
	struct sniff_compile_opts o;
	struct eb_lists ls = { 0 };
	struct sniff_prog p0 = { 0 }, p1 = { 0 };
	uint16_t *marks = NULL;
	struct eb_set sets[EB_MAX_SETS];
	struct eb_alist al[EB_MAX_SETS];
	unsigned nal = 0, ncut = 0;
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
	/* protochain walks in a bounded loop (ebpf/loop.c), which the
	 * list rewriting below does not know: such filters take that path */
	rc = eb_protochain_compile(expr, linktype, opts, out, err);
	if (rc != -ENOENT)
		return rc;
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
	ls.nsets = ls.n;
	marks = calloc(p0.len, sizeof(*marks));
	rc = marks ? eb_find_marks(&p0, &p1, &ls, marks) : -ENOMEM;
	if (rc == 0)
		rc = eb_shape_lists(&p0, &ls, sets, al, &nal, &ncut);
	if (rc == 0)
		rc = cb_validate_max(p0.insns, p0.len, SNIFF_MAX_INSNS, err);
	if (rc == 0)
		rc = eb_find_sets(&p0, marks, &ls, sets);
	if (rc == 0)
		rc = eb_translate_sets(p0.insns, p0.len, eb_compile_flags(&o), marks, sets, ls.nsets,
				       out, err);
	if (rc == 0)
		rc = eb_splice_alists(out, al, nal);
	if (rc == 0)
		rc = eb_make_maps(&ls, ncut, out);
	if (rc)
		sniff_ebpf_free(out);
	if (rc == -EAGAIN)
		rc = plain(expr, linktype, opts, out, err);
out:
	for (unsigned i = 0; i < MAX_LISTS; i++) {
		free(ls.v[i].vals);
		free(ls.v[i].a6);
		free(ls.v[i].a4);
		free(ls.v[i].plen);
	}
	free(ls.v);
	free(marks);
	sniff_prog_free(&p0);
	sniff_prog_free(&p1);
	return rc;
}
