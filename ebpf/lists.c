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

#define SENT_V4_A 0xf00d0000u
#define SENT_V4_B 0xf10e0000u
#define SENT_PORT_A 60000u
#define SENT_PORT_B 62000u
#define MAX_LISTS EB_MAX_SETS

/* IPv6 placeholders: word j of list i's address is SENT_V6_A | j << 16 | i */
#define SENT_V6_A 0xfa000000u
#define SENT_V6_B 0xfb000000u
#define SIG_HIT 0x5e75u    /* A after a hit in a block of sets.c */
/* IPv4 `src and dst` placeholders, one per protocol B (ip, arp, rarp):
 * SENT_AND_A | B << 16 | i */
#define SENT_AND_A 0xf2000000u
#define SENT_AND_B 0xf3000000u

enum member { M_NONE, M_HOST, M_NET, M_PORT, M_HOST6, M_NET6, M_ETHER };

/* `ether host` placeholders: bytes 2-5 SENT_E_A | i, bytes 0-1 SENT_E_HA */
#define SENT_E_A 0xfc000000u
#define SENT_E_B 0xfd000000u
#define SENT_E_HA 0x02fcu
#define SENT_E_HB 0x02fdu

struct list {
	enum member kind;       /* M_HOST (every member a host), M_NET (some net), M_PORT,
				   M_HOST6, M_NET6 (IPv6: every member a host, some net) */
	struct qual q;
	unsigned n, cap;
	uint32_t *vals;         /* host order (IPv4, ports) */
	uint8_t *a6;            /* IPv6: 16 bytes each, network order */
	uint8_t *plen;          /* prefix lengths (32 / 128 for hosts) */
	unsigned pc6[4];        /* IPv6: the placeholder's four `jeq`s (+1; 0 = none) */
	unsigned pcb[3];        /* IPv4 `src and dst`: the ip, arp, rarp `jeq`s (+1) */
	unsigned pce;           /* `ether host`: the placeholder's first `jeq` (+1) */
	unsigned setb[3];       /* ... and their set indices */
	uint8_t *a4;            /* ... the addresses in network order */
	unsigned cut_map;       /* IPv6: the index of its cut map (keys.c) */
};

static const int and_protos[3] = { QP_IP, QP_ARP, QP_RARP };

/* Whether sets.c tests the list (IPv6, or IPv4 `src and dst`). */
static int engine(const struct list *l)
{
	return l->kind == M_HOST6 || l->kind == M_NET6 || l->kind == M_ETHER ||
	       ((l->kind == M_HOST || l->kind == M_NET) && l->q.dir == QD_AND);
}

struct lists {
	struct list *v;
	unsigned n;
	int pass;               /* 0 or 1: which sentinel */
	struct arena *a;
	const struct names_ctx *names;
	int linktype;
	unsigned nsets;         /* sets (maps): one per list, + protocols of `src and dst` */
	int err;
};

static int is_v6(enum member m)
{
	return m == M_HOST6 || m == M_NET6;
}

/* An IPv6 leaf: "[ip6] [dir] [host] ADDR", "[ip6] [dir] net ADDR/LEN". */
static enum member classify6(const struct node *n, uint8_t a6[16], uint8_t *plen)
{
	unsigned len = n->id.kind == ID_IPV6_LEN ? n->id.num : 128;

	if (n->q.proto != QP_DEFAULT && n->q.proto != QP_IPV6)
		return M_NONE;
	if (n->q.dir > QD_AND || !n->id.s || inet_pton(AF_INET6, n->id.s, a6) != 1)
		return M_NONE;
	if (n->q.type == QT_NET ? len < 1 || len > 128 : n->q.type != QT_HOST &&
	    n->q.type != QT_DEFAULT)
		return M_NONE;
	if (n->q.type != QT_NET && len != 128)
		return M_NONE; /* the generator reports it */
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > 8 * i ? len - 8 * i : 0;
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);

		if (a6[i] & ~m)
			return M_NONE; /* the generator reports it */
	}
	*plen = (uint8_t)len;
	return len == 128 ? M_HOST6 : M_NET6;
}

/* One leaf: what it is, its value and prefix length. */
static enum member classify(const struct node *n, uint32_t *val, uint8_t *a6, uint8_t *plen)
{
	struct in_addr in;

	if (n->kind != ND_PRIM)
		return M_NONE;
	if (n->id.kind == ID_IPV6 || n->id.kind == ID_IPV6_LEN)
		return classify6(n, a6, plen);
	if (n->id.kind == ID_MAC) {
		unsigned m[6];
		char sep, tail;

		/* "ether [dir] host aa:bb:cc:dd:ee:ff" (or with '-'); the other
		 * spellings stay classic */
		if (n->q.proto != QP_LINK || (n->q.type != QT_HOST && n->q.type != QT_DEFAULT) ||
		    n->q.dir > QD_AND || !n->id.s || strlen(n->id.s) != 17)
			return M_NONE;
		sep = n->id.s[2];
		if ((sep != ':' && sep != '-') ||
		    sscanf(n->id.s, sep == ':' ? "%2x:%2x:%2x:%2x:%2x:%2x%c" :
			   "%2x-%2x-%2x-%2x-%2x-%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4],
			   &m[5], &tail) != 6)
			return M_NONE;
		for (int i = 0; i < 6; i++)
			a6[i] = (uint8_t)m[i];
		*plen = 48;
		return M_ETHER;
	}
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
	/* "src and dst host a or ...": sets.c tests both fields per member */
	if (n->q.dir > QD_AND)
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

/* A `host NAME` leaf is the `or` of the name's addresses, in the
 * generator's order (gen_host_name): members of one family only (the
 * qualifier picks one, or the name has one). Returns how many; appends them
 * to OUT if given. */
static unsigned name_members(const struct node *n, const struct names_ctx *nc,
			     enum member *kind, struct list *out)
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
	*kind = n4 ? M_HOST : M_HOST6;
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
			     enum member *kind, struct list *out)
{
	uint32_t v;
	uint8_t l, a6[16];

	if (n->kind != ND_PRIM)
		return 0;
	if (n->id.kind == ID_NAME)
		return name_members(n, nc, kind, out);
	*kind = classify(n, &v, a6, &l);
	if (*kind == M_NONE)
		return 0;
	if (out) {
		out->vals[out->n] = v;
		memcpy(out->a6 + 16 * (size_t)out->n, a6, 16);
		out->plen[out->n] = l;
		out->n++;
	}
	return 1;
}

static int same_list(enum member a, enum member b)
{
	return (a == M_PORT) == (b == M_PORT) && is_v6(a) == is_v6(b) &&
	       (a == M_ETHER) == (b == M_ETHER);
}

/* Every leaf of the `or` subtree N qualifies with the qualifiers of the first
 * leaf: count them (0 if one does not). */
static unsigned chain_count(const struct node *n, const struct names_ctx *nc,
			    enum member *kind, struct qual *q)
{
	enum member m = M_NONE;
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
	if (*kind == M_NONE) {
		*kind = m;
		*q = n->q;
		return a;
	}
	if (!same_list(*kind, m) || n->q.proto != q->proto || n->q.dir != q->dir)
		return 0;
	if (m == M_NET || m == M_NET6)
		*kind = m;
	return a;
}

static void collect(const struct node *n, const struct names_ctx *nc, struct list *l)
{
	enum member m;

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
static int split_families(struct node *n, struct lists *ls)
{
	enum member first = M_NONE, m;
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
		m = M_NONE;
		if (!leaf_members(v[i], ls->names, &m, NULL) || m == M_PORT || m == M_ETHER ||
		    (first != M_NONE && (v[i]->q.proto != q.proto || v[i]->q.dir != q.dir)) ||
		    (v[i]->q.proto != QP_DEFAULT)) {
			free(v);
			return 0;
		}
		if (first == M_NONE) {
			first = m;
			q = v[i]->q;
		}
		if (is_v6(m))
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
	 * (see find_sets) */
	n->lhs = c6;
	n->rhs = c4;
	return 1;
}

/* N (list I of IPv4 `src and dst` members) becomes "ip src host S0 or arp
 * src host S1 or rarp src host S2" (the protocols the qualifier names): one
 * field each, sets.c tests both. Each protocol's members keep their order,
 * and the protocols exclude each other as in split_families. */
static void and_placeholder(struct node *n, struct lists *ls, unsigned i)
{
	struct node *prim[3], *t = NULL;
	unsigned np = 0;
	int p = n->q.proto;

	for (unsigned b = 0; b < 3; b++) {
		uint32_t s = (ls->pass ? SENT_AND_B : SENT_AND_A) | b << 16 | i;
		char text[16];
		struct node *x;

		if (p != QP_DEFAULT && p != and_protos[b])
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
		x->q.proto = and_protos[b];
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
		cnt = chain_count(n, ls->names, &kind, &q);
		if (cnt == 0 && split_families(n, ls)) {
			rewrite(n->lhs, ls);
			rewrite(n->rhs, ls);
			return;
		}
		if (cnt >= EB_LIST_MIN && ls->n < MAX_LISTS) {
			unsigned i = ls->n;

			if (ls->pass == 0) {
				struct list *l = &ls->v[i];

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
			if (kind == M_ETHER) {
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
			} else if (!is_v6(kind) && kind != M_PORT && q.dir == QD_AND) {
				and_placeholder(n, ls, i);
			} else if (is_v6(kind)) {
				/* one field: sets.c tests the list's fields itself */
				uint32_t w = (ls->pass ? SENT_V6_B : SENT_V6_A) | i;
				char t6[64];

				n->q.type = QT_HOST;
				n->q.dir = q.dir == QD_DST ? QD_DST : QD_SRC;
				n->id.kind = ID_IPV6;
				snprintf(t6, sizeof(t6), "%x:%x:%x:%x:%x:%x:%x:%x", w >> 16, i,
					 (w >> 16) | 1, i, (w >> 16) | 2, i, (w >> 16) | 3, i);
				n->id.s = arena_strndup(ls->a, t6, strlen(t6));
				if (!n->id.s)
					ls->err = -ENOMEM;
			} else if (kind == M_PORT) {
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

/* The set tests: where the two programs differ, and only by the sentinels. */
static int find_marks(const struct sniff_prog *p0, const struct sniff_prog *p1,
		      struct lists *ls, uint16_t *marks)
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
		if ((a->k & 0xffff0000u) == SENT_E_A && b->k == (a->k ^ SENT_E_A ^ SENT_E_B) &&
		    (a->k & 0xffffu) < ls->n) {
			struct list *l = &ls->v[a->k & 0xffffu];

			if (l->kind != M_ETHER || l->pce)
				return -EAGAIN;
			l->pce = pc + 1;
			marks[pc] = (uint16_t)((a->k & 0xffffu) + 1);
			continue;
		}
		if (a->k == SENT_E_HA && b->k == SENT_E_HB)
			continue; /* the other half: shape_ether finds it next to its word */
		if ((a->k & 0xff000000u) == SENT_AND_A && b->k == (a->k ^ SENT_AND_A ^ SENT_AND_B) &&
		    (a->k & 0xffffu) < ls->n && ((a->k >> 16) & 0xffu) < 3) {
			struct list *l = &ls->v[a->k & 0xffffu];
			unsigned pb = (a->k >> 16) & 0xffu, si;

			if (!engine(l) || is_v6(l->kind) || l->pcb[pb])
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
		if ((a->k & 0xff000000u) == SENT_V6_A && b->k == (a->k ^ SENT_V6_A ^ SENT_V6_B) &&
		    (a->k & 0xffffu) < ls->n && ((a->k >> 16) & 0xffu) < 4) {
			struct list *l = &ls->v[a->k & 0xffffu];
			unsigned j = (a->k >> 16) & 0xffu;

			if (!is_v6(l->kind) || l->pc6[j])
				return -EAGAIN;
			l->pc6[j] = pc + 1;
			if (j == 0)
				marks[pc] = (uint16_t)((a->k & 0xffffu) + 1);
			continue;
		}
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
static int shape_v6(struct sniff_prog *p, struct list *l, unsigned i, struct eb_set *set,
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
	*set = (struct eb_set){ .lpm = 0, .first = SIG_HIT, .first_mask = 0xffffffffu,
				.lo = pc0, .hi = pc0, .t = t, .f = f };
	*al = (struct eb_alist){
		.map = i,
		.lookup_map = i,
		.lpm = l->kind == M_NET6,
		.and_mode = l->q.dir == QD_AND,
		.nseg = l->q.dir == QD_SRC || l->q.dir == QD_DST ? 1 : 2,
		.off = { ld->k, ld->k + 16 },
		.alen = 16,
		.sig = SIG_HIT,
	};
	return 0;
}

/* Protocol PB's placeholder of IPv4 `src and dst` list I: "ld [o]; jeq S"
 * (the source address); its destination is 4 (ip) or 10 (arp, rarp) bytes
 * further. */
static int shape_and4(const struct sniff_prog *p, struct list *l, unsigned i, unsigned pb,
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
	*set = (struct eb_set){ .lpm = 0, .first = SIG_HIT, .first_mask = 0xffffffffu,
				.lo = pc0, .hi = pc0, .t = t, .f = f };
	*al = (struct eb_alist){
		.map = l->setb[pb],
		.lookup_map = i,
		.lpm = l->kind == M_NET,
		.and_mode = 1,
		.nseg = 2,
		.off = { ld->k, ld->k + (and_protos[pb] == QP_IP ? 4 : 10) },
		.alen = 4,
		.sig = SIG_HIT,
	};
	return 0;
}

/* The `ether host` placeholder of list I: "ld [w]; jeq S_lo; ldh [w-2];
 * jeq S_hi", w = 8 (source) or 2 (destination alone); the half-word test
 * becomes unreachable once the first `jeq` goes where it went. */
static int shape_ether(struct sniff_prog *p, struct list *l, unsigned i, struct eb_set *set,
		       struct eb_alist *al)
{
	unsigned pc0 = l->pce - 1, t, f;
	const struct sniff_insn *in = p->insns;

	if (pc0 < 1 || pc0 + 2 >= p->len || in[pc0 - 1].code != (BPF_LD | BPF_W | BPF_ABS) ||
	    (in[pc0 - 1].k != 8 && in[pc0 - 1].k != 2) ||
	    in[pc0 + 1].code != (BPF_LD | BPF_H | BPF_ABS) || in[pc0 + 1].k != in[pc0 - 1].k - 2 ||
	    in[pc0 + 2].code != (BPF_JMP | BPF_JEQ | BPF_K) || in[pc0 + 2].k != SENT_E_HA ||
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
	*set = (struct eb_set){ .lpm = 0, .first = SIG_HIT, .first_mask = 0xffffffffu,
				.lo = pc0, .hi = pc0, .t = t, .f = f };
	*al = (struct eb_alist){
		.map = i,
		.lookup_map = i,
		.and_mode = l->q.dir == QD_AND,
		.nseg = l->q.dir == QD_SRC || l->q.dir == QD_DST ? 1 : 2,
		.off = { in[pc0 - 1].k == 8 ? 6 : 0, 0 },
		.alen = 6,
		.sig = SIG_HIT,
	};
	return 0;
}

/* Every half-word placeholder test is its list's (none is left over). */
static int ether_halves_paired(const struct sniff_prog *p0, const struct sniff_prog *p1,
			       const struct lists *ls)
{
	unsigned halves = 0, lists = 0;

	for (unsigned pc = 0; pc < p0->len; pc++)
		if (p0->insns[pc].k == SENT_E_HA && p1->insns[pc].k == SENT_E_HB)
			halves++;
	for (unsigned i = 0; i < ls->n; i++)
		if (ls->v[i].kind == M_ETHER) {
			if (!ls->v[i].pce || p0->insns[ls->v[i].pce + 1].k != SENT_E_HA)
				return 0;
			lists++;
		}
	return halves == lists;
}

/* Where each list's set tests are, and its exits (see struct eb_set). */
static int find_sets(const struct sniff_prog *p, const uint16_t *marks,
		     const struct lists *ls, struct eb_set *sets)
{
	for (unsigned i = 0; i < ls->n; i++) {
		const struct list *l = &ls->v[i];
		struct eb_set *set = &sets[i];
		int seen = 0;

		if (engine(l))
			continue; /* shape_v6, shape_and4 */
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
		/* with one field per member a hit is true at once: nothing of
		 * the first member is left to load */
		if (set->f == set->hi + 1 && (l->q.dir == QD_SRC || l->q.dir == QD_DST)) {
			set->first = 0;
			set->first_mask = 0;
		}
	}
	return 0;
}

/* The sets' maps, then the IPv6 lists' NCUT cut maps. */
static int make_maps(const struct lists *ls, unsigned ncut, struct sniff_ebpf_prog *out)
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
		const struct list *l = &ls->v[i];
		struct sniff_ebpf_map *m = &out->maps[i];
		int lpm = l->kind == M_NET;

		if (engine(l)) {
			/* sets.c's keys: addresses in network order */
			unsigned alen = is_v6(l->kind) ? 16 : l->kind == M_ETHER ? 6 : 4;
			unsigned stride = l->kind == M_ETHER ? 16 : alen;
			const uint8_t *a = is_v6(l->kind) || l->kind == M_ETHER ? l->a6 : l->a4;

			lpm = l->kind == M_NET6 || l->kind == M_NET;
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
			if (is_v6(l->kind)) {
				/* `src or dst` compares which member comes first
				 * on a cut packet (sets.c) */
				int index = l->q.dir != QD_SRC && l->q.dir != QD_DST &&
					    l->q.dir != QD_AND;
				int rc = index ? eb_v6_values(l->a6, l->plen, l->n, m) : 0;

				if (rc == 0)
					rc = eb_v6_cut_map(l->a6, l->plen, l->n, lpm, index,
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
	struct lists ls = { 0 };
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
	rc = marks ? find_marks(&p0, &p1, &ls, marks) : -ENOMEM;
	if (rc == 0 && !ether_halves_paired(&p0, &p1, &ls))
		rc = -EAGAIN;
	for (unsigned i = 0; i < ls.n && rc == 0; i++) {
		struct list *l = &ls.v[i];

		if (!engine(l))
			continue;
		if (l->kind == M_ETHER) {
			rc = l->pce ? shape_ether(&p0, l, i, &sets[i], &al[nal++]) : -EAGAIN;
			continue;
		}
		if (!is_v6(l->kind)) {
			if (!l->pcb[0] && !l->pcb[1] && !l->pcb[2])
				rc = -EAGAIN;
			for (unsigned pb = 0; pb < 3 && rc == 0; pb++)
				if (l->pcb[pb])
					rc = shape_and4(&p0, l, i, pb, &sets[l->setb[pb]],
							&al[nal++]);
			continue;
		}
		rc = l->pc6[0] ? shape_v6(&p0, l, i, &sets[i], &al[nal]) : -EAGAIN;
		l->cut_map = ls.nsets + ncut++;
		al[nal++].cut_map = l->cut_map;
	}
	if (rc == 0)
		rc = cb_validate_max(p0.insns, p0.len, SNIFF_MAX_INSNS, err);
	if (rc == 0)
		rc = find_sets(&p0, marks, &ls, sets);
	if (rc == 0)
		rc = eb_translate_sets(p0.insns, p0.len, eb_compile_flags(&o), marks, sets, ls.nsets,
				       out, err);
	if (rc == 0)
		rc = eb_splice_alists(out, al, nal);
	if (rc == 0)
		rc = make_maps(&ls, ncut, out);
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
