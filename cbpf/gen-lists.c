/* gen-lists.c - `or` lists of like terms ("port 22 or port 23 or ...",
 * "host a or host b or ..."), when the program is to be optimized.
 *
 * Generated term by term, such a list repeats its protocol tests for every
 * member (`port N` alone is ip/ip6 x tcp/udp/sctp x src/dst), and the
 * optimizer spends most of a compile merging them back. Here one member's
 * code is generated with a placeholder value, and every placeholder test
 * later becomes the chain of the members' tests. Every member reads the
 * same fields after the same protocol tests, so "one member matches" is
 * "the field is one of the values".
 *
 * Decisions stay libpcap's unoptimized ones on every packet, cut ones too.
 * With one field (`src port`) the first member's test reads it, and only
 * comparisons follow. With two (`port`, `host`) the first member reads the
 * source, compares, and only then reads the destination, which may fail
 * and reject the packet although a later member's source matches. So
 * "a1 or ... or an" becomes "src a1 or dst {a1..an} or src {a2..an}": the
 * same reads in the same order, and past them only comparisons. That is
 * one test and one load more per protocol than libpcap's optimized program
 * (which reads both fields first, so it accepts such a cut packet), as our
 * optimizer gives term by term.
 *
 * Inside a list, gen-ports.c tests tcp, udp and sctp once for the ports,
 * and gen-ip.c ARP and RARP once for the addresses (see in_list there):
 * the protocols exclude each other, so that only saves the optimizer work.
 */
#include <errno.h>
#include "gen.h"

/* above any port, and no constant the protocol tests around it use */
#define PLACEHOLDER_PORT 0x15e7au
#define PLACEHOLDER_HOST 0xf00dfeedu

enum member { M_NONE, M_PORT, M_HOST };

/* A set expanded before the optimizer runs: its placeholder tests, by
 * block (other tests of the filter may use the placeholder's value). */
struct gen_olist {
	struct gen_olist *next;
	struct cb_block **tests;
	unsigned ntests;
	struct cb_list l;
};

/* What leaf N is as a list member: `[tcp|udp|sctp] [dir] port NUM` or
 * `[ip|arp|rarp] [dir] [host] A.B.C.D`, with one field per direction (not
 * `src and dst`, which tests both fields for the same member). */
static enum member member(const struct node *n, uint32_t *v)
{
	int p = n->q.proto;

	if (n->kind != ND_PRIM || (n->q.dir != QD_DEFAULT && n->q.dir != QD_SRC &&
				   n->q.dir != QD_DST && n->q.dir != QD_OR))
		return M_NONE;
	if (n->q.type == QT_PORT) {
		if (n->id.kind != ID_NUM || n->id.num > 65535 ||
		    (p != QP_DEFAULT && p != QP_TCP && p != QP_UDP && p != QP_SCTP))
			return M_NONE;
		*v = n->id.num;
		return M_PORT;
	}
	if (n->q.type != QT_HOST && n->q.type != QT_DEFAULT)
		return M_NONE;
	if (p != QP_DEFAULT && p != QP_IP && p != QP_ARP && p != QP_RARP)
		return M_NONE;
	/* four dotted parts: "10.1.2" alone is a net */
	if (n->id.kind != ID_IPV4 || !n->id.s || gen_atoin(n->id.s, v) != 32)
		return M_NONE;
	return M_HOST;
}

/* Same qualifiers, but for ports, where each may name its own protocol
 * (see by_protocol) when both do. */
static int same_qual(const struct node *a, const struct node *b)
{
	if (a->q.dir != b->q.dir || a->q.type != b->q.type)
		return 0;
	if (a->q.proto == b->q.proto)
		return 1;
	return a->q.type == QT_PORT && a->q.proto != QP_DEFAULT && b->q.proto != QP_DEFAULT;
}

/* A placeholder value no member has, nor any other placeholder of the
 * filter (late lists are found by value). */
static uint32_t placeholder(struct gen *s, enum member kind, const uint32_t *vals, unsigned n)
{
	uint32_t base = kind == M_PORT ? PLACEHOLDER_PORT : PLACEHOLDER_HOST;
	uint32_t v = base + s->placeholders;

	for (unsigned i = 0; i < n; i++)
		if (vals[i] == v) {
			v++;
			i = (unsigned)-1;
		}
	s->placeholders = v - base + 1;
	return v;
}

/* A list's code with placeholders for its sets, DIR GEN_DIR_LIST or one
 * field; each set is put on the graph's lists when LATE, else on the
 * generator's with its tests. */
static struct gb list_code(struct gen *s, enum member kind, const struct node *first,
			   int proto, int dir, struct cb_list *sets, unsigned nsets, int late)
{
	struct cb_block *mark = s->g->blocks, *b;
	struct gb r;

	if (kind == M_PORT)
		r = gen_port_num(s, sets[0].sent, proto, dir);
	else
		r = gen_host(s, sets[0].sent, 0xffffffff, first->q.proto, dir, first->q.type);
	for (unsigned k = 0; k < nsets; k++) {
		struct gen_olist *ol = gen_alloc(s, sizeof(*ol));
		uint32_t sent = sets[k].sent;
		unsigned i = 0;

		ol->l = sets[k];
		if (late) {
			ol->l.next = s->g->lists;
			s->g->lists = &ol->l;
			continue;
		}
		/* blocks are listed newest first: the primitive's are before MARK */
		for (b = s->g->blocks; b != mark; b = b->next_alloc)
			ol->ntests += b->code == (BPF_JMP | BPF_JEQ | BPF_K) && b->k == sent;
		ol->tests = gen_alloc(s, (ol->ntests + 1) * sizeof(*ol->tests));
		for (b = s->g->blocks; b != mark; b = b->next_alloc)
			if (b->code == (BPF_JMP | BPF_JEQ | BPF_K) && b->k == sent)
				ol->tests[i++] = b;
		ol->next = s->olists;
		s->olists = ol;
	}
	return r;
}

/* The list VALS[0..cnt) of members like FIRST but with protocol PROTO. */
static struct gb one_list(struct gen *s, enum member kind, const struct node *first, int proto,
			  const uint32_t *vals, unsigned cnt, int late)
{
	struct cb_list sets[2] = { { 0 } };
	int dir = first->q.dir;

	if (cnt == 1 && kind == M_PORT)
		return gen_port_num(s, vals[0], proto, dir);
	sets[0] = (struct cb_list){ .sent = placeholder(s, kind, vals, cnt), .vals = vals,
				    .n = cnt };
	if (dir == QD_SRC || dir == QD_DST)
		return list_code(s, kind, first, proto, dir, sets, 1, late);
	sets[1] = (struct cb_list){ .sent = placeholder(s, kind, vals, cnt),
				    .vals = vals + 1, .n = cnt - 1 };
	s->list_v[0] = vals[0];
	s->list_v[1] = sets[0].sent;
	s->list_v[2] = sets[1].sent;
	return list_code(s, kind, first, proto, GEN_DIR_LIST, sets, 2, late);
}

/* Port members with tcp, udp and sctp qualifiers mixed: the protocols
 * exclude each other, and every member reads the protocol field before
 * its ports, so the members of one protocol may go first: one list per
 * protocol, in the order of their first members, each in its order. */
static struct gb by_protocol(struct gen *s, const struct node *first, const int *protos,
			     uint32_t *vals, unsigned cnt, int late)
{
	static const int order_of[] = { QP_TCP, QP_UDP, QP_SCTP };
	uint32_t *sub = gen_alloc_raw(s, cnt * sizeof(*sub));
	int seen[3] = { 0 }, nseen = 0, order[3];
	struct gb r = { 0 };

	for (unsigned i = 0; i < cnt; i++)
		for (int k = 0; k < 3; k++)
			if (protos[i] == order_of[k] && !seen[k]) {
				seen[k] = 1;
				order[nseen++] = order_of[k];
			}
	for (int k = 0; k < nseen; k++) {
		unsigned n = 0;
		struct gb b;

		for (unsigned i = 0; i < cnt; i++)
			if (protos[i] == order[k])
				sub[n++] = vals[i];
		b = one_list(s, M_PORT, first, order[k], sub, n, late);
		r = k ? gen_or(s, r, b) : b;
		sub += n;
	}
	return r;
}

/* N is a left-deep `or` chain (as the parser builds it) of members of one
 * kind with the same qualifiers: generate it as a list into *R. Returns 0,
 * generating nothing, when it is not one.
 *
 * LATE (N is the whole filter): the optimizer sees the placeholder tests
 * and cb_graph_emit expands them, so it works on the few blocks of one
 * member. That is sound because every placeholder test's true edge goes
 * straight to the accepting return: the optimizer's only wrong belief,
 * "the field equals the placeholder" on that edge, is never used, and "it
 * does not" on the false edge holds for every member. Nested in a larger
 * filter, a list is expanded before the optimizer runs. */
int gen_or_list(struct gen *s, const struct node *n, int late, struct gb *r)
{
	const struct node *m, *first;
	enum member kind;
	uint32_t v, *vals;
	unsigned cnt = 1, i;
	int *protos, mixed = 0;

	for (m = n; m->kind == ND_OR; m = m->lhs)
		cnt++;
	first = m;
	kind = member(first, &v);
	if (kind == M_NONE)
		return 0;
	/* not zeroed: every slot is written before the list is used */
	vals = gen_alloc_raw(s, cnt * sizeof(*vals));
	protos = gen_alloc_raw(s, cnt * sizeof(*protos));
	vals[0] = v;
	protos[0] = first->q.proto;
	i = cnt;
	for (m = n; m->kind == ND_OR; m = m->lhs) {
		if (member(m->rhs, &vals[--i]) != kind || !same_qual(m->rhs, first))
			return 0;
		protos[i] = m->rhs->q.proto;
		mixed |= protos[i] != first->q.proto;
	}

	/* errors (a link type without IP) point at the first member, as
	 * term by term */
	s->cur = first;
	s->pos = first->pos;
	s->len = first->len;
	s->in_list = 1;
	if (mixed)
		*r = by_protocol(s, first, protos, vals, cnt, late);
	else
		*r = one_list(s, kind, first, first->q.proto, vals, cnt, late);
	s->in_list = 0;
	return 1;
}

/* Chains already made for list L: placeholders with the same two exits
 * share all but their first test (which keeps the placeholder block's
 * loads), as libpcap's optimizer leaves them. */
struct tails {
	struct cb_block **v;   /* jt, jf, second test: three per chain */
	unsigned n, cap;
};

/* Placeholder B of L becomes L's tests: B itself the first member's. */
static int expand(struct cb_graph *g, const struct cb_list *l, struct cb_block *b,
		  struct tails *t)
{
	struct cb_block *prev = NULL, *head = NULL;

	b->k = l->vals[0];
	if (l->n == 1)
		return 0;
	for (unsigned i = 0; i < t->n; i++)
		if (t->v[3 * i] == b->jt && t->v[3 * i + 1] == b->jf) {
			b->jf = t->v[3 * i + 2];
			return 0;
		}
	for (unsigned i = 1; i < l->n; i++) {
		struct cb_block *c = cb_block_new(g);

		if (!c)
			return -ENOMEM;
		c->code = BPF_JMP | BPF_JEQ | BPF_K;
		c->k = l->vals[i];
		c->jt = b->jt;
		c->jf = b->jf;
		c->pos = b->pos;
		c->len = b->len;
		if (prev)
			prev->jf = c;
		else
			head = c;
		prev = c;
	}
	if (t->n < t->cap) {
		t->v[3 * t->n] = b->jt;
		t->v[3 * t->n + 1] = b->jf;
		t->v[3 * t->n + 2] = head;
		t->n++;
	}
	b->jf = head;
	return 0;
}

/* Tests of list L: those in V, or (V NULL) every placeholder in G. */
static int expand_list(struct cb_graph *g, const struct cb_list *l, struct cb_block **v,
		       unsigned nv)
{
	struct cb_block *mem[3 * 16];
	struct tails t = { mem, 0, 16 };
	struct cb_block *b, *last = g->blocks;
	int rc = 0;

	if (v) {
		for (unsigned i = 0; i < nv && !rc; i++)
			rc = expand(g, l, v[i], &t);
		return rc;
	}
	/* the blocks made here go to the front of the list: stop at the first
	 * that was there before */
	for (b = last; b && !rc; b = b->next_alloc)
		if (b->code == (BPF_JMP | BPF_JEQ | BPF_K) && b->k == l->sent)
			rc = expand(g, l, b, &t);
	return rc;
}

int cb_lists_expand(struct cb_graph *g)
{
	int rc = 0;

	for (struct cb_list *l = g->lists; l && !rc; l = l->next)
		rc = expand_list(g, l, NULL, 0);
	g->lists = NULL;
	return rc;
}

/* Once every edge is patched: the lists to expand before the optimizer. */
void gen_or_lists_expand(struct gen *s)
{
	for (struct gen_olist *ol = s->olists; ol; ol = ol->next)
		if (expand_list(s->g, &ol->l, ol->tests, ol->ntests) < 0)
			gen_fail(s, "out of memory");
	s->olists = NULL;
}
