/* gen.h - private to the code generator (cbpf/gen*.c).
 *
 * The generator follows libpcap's gencode.c: every primitive becomes a small
 * chain of blocks, each with statements and one conditional jump whose two
 * edges are left open. An expression (struct gb) is its first block plus the
 * lists of open edges taken when it is true and when it is false; `and`, `or`
 * and `not` only patch and swap those lists, as libpcap's backpatch/merge do.
 * Errors longjmp back to cb_gen(), which owns every allocation made here.
 */
#ifndef SNIFF_CBPF_GEN_H
#define SNIFF_CBPF_GEN_H

#include <setjmp.h>
#include "cbpf.h"

/* libpcap's bpf_abs_offset: constant part plus, when is_variable, M[reg]. */
struct goff {
	uint32_t c;
	int var;
	int reg;     /* -1 until a scratch slot is given */
	int unset;   /* OFFSET_NOT_SET (no link-type field: raw IP) */
};

/* A list of open edges, threaded through the open slots themselves as
 * libpcap threads its backpatch lists through JT/JF: until it is patched, an
 * open slot holds the address of the next open slot of its list (NULL after
 * the last), so building an expression allocates nothing for its edges.  A
 * slot in a list must therefore not be read or written until patched, and a
 * list is used (patched or concatenated) once. */
struct gen_list {
	struct cb_block **head, **tail;
};

/* A boolean expression: entry block and its open true/false edges. */
struct gb {
	struct cb_block *head;
	struct gen_list t, f;
};

/* A statement list (libpcap's struct slist chain).  Most lists hold one to
 * three statements: those stay in the struct itself, longer ones move to the
 * generator's arena (heap).  Read them through gsl_stmts(). */
#define GSL_INLINE 4
struct gsl {
	struct cb_stmt *heap;     /* NULL while n <= GSL_INLINE */
	unsigned n, cap;
	struct cb_stmt in[GSL_INLINE];
};

static inline const struct cb_stmt *gsl_stmts(const struct gsl *l)
{
	return l->heap ? l->heap : l->in;
}

/* An arithmetic value: statements leaving it in M[reg] (libpcap's struct arth). */
struct garth {
	struct gsl s;
	int reg;
};

/* Relative-offset bases (libpcap's enum e_offrel). */
enum goffrel {
	OR_PACKET, OR_LINKHDR, OR_PREVLINKHDR, OR_LLC, OR_PREVMPLSHDR,
	OR_LINKTYPE, OR_LINKPL, OR_LINKPL_NOSNAP, OR_TRAN_IPV4, OR_TRAN_IPV6,
};

#define PROTO_UNDEF (-1)
/* inside `pppoes` the link layer becomes PPP (DLT_PPP) */
#define GEN_DLT_PPP 9

struct gen {
	const struct gen_opts *o;
	struct cb_graph *g;
	struct sniff_error *err;
	jmp_buf jb;
	const struct node *cur;       /* node whose code is being generated */
	int pos, len;                 /* its text, for blocks and errors */

	int linktype;                 /* may change inside pppoes */
	int outermostlinktype;
	int linux_ext;                /* SNIFF_MODE_LINUX */
	struct goff off_linkhdr, off_prevlinkhdr, off_outermostlinkhdr;
	struct goff off_linktype, off_linkpl;
	uint32_t off_nl, off_nl_nosnap;
	int label_stack_depth, vlan_stack_depth;
	int is_geneve, is_vxlan;
	int is_vlan_vloffset;         /* M[] offsets start at 0: set them on entry */
	int protochains;              /* protochain primitives in the filter */
	int prevlinktype;
	int regused[BPF_MEMWORDS];
	int curreg;
	struct gen_olist *olists;     /* gen-lists.c: lists to expand at the end */
	int in_list;                  /* generating a list's placeholder member */
	uint32_t list_v[3];           /* GEN_DIR_LIST's values: src, dst, src */
	unsigned placeholders;        /* placeholder values given out */
};

/* gen.c: memory, blocks, boolean algebra, errors */
void *gen_alloc(struct gen *s, size_t n);
void *gen_alloc_raw(struct gen *s, size_t n);   /* not zeroed */
_Noreturn void gen_fail(struct gen *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
_Noreturn void gen_fail_at(struct gen *s, int pos, int len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* gsl_add's slow path: L is full, move it to a larger array in the arena. */
void gsl_grow(struct gen *s, struct gsl *l);
static inline void gsl_add(struct gen *s, struct gsl *l, uint16_t code, uint32_t k)
{
	struct cb_stmt *v;

	if (l->n == (l->heap ? l->cap : GSL_INLINE))
		gsl_grow(s, l);
	v = l->heap ? l->heap : l->in;
	v[l->n].code = code;
	v[l->n].k = k;
	l->n++;
}
void gsl_cat(struct gen *s, struct gsl *l, const struct gsl *m);
struct gb gen_jmp(struct gen *s, const struct gsl *stmts, uint16_t jop, uint32_t k);
/* Lower level, for code with jumps inside what libpcap keeps as one
 * statement list (VLAN metadata, Geneve): a block with STMTS and no exit
 * yet, an edge list of one slot, patching, and prepending statements. */
struct cb_block *gen_block(struct gen *s, const struct gsl *stmts);
void gen_goto(struct cb_block *from, struct cb_block *to);
struct gen_list gen_edge(struct gen *s, struct cb_block **slot);
struct gen_list gen_list_cat(struct gen_list a, struct gen_list b);
void gen_prepend(struct gen *s, struct cb_block *b, const struct gsl *l);
struct gb gen_and(struct gen *s, struct gb a, struct gb b);
struct gb gen_or(struct gen *s, struct gb a, struct gb b);
struct gb gen_not(struct gb a);
struct gb gen_true(struct gen *s);
struct gb gen_false(struct gen *s);
int gen_alloc_reg(struct gen *s);
void gen_free_reg(struct gen *s, int r);
struct gb gen_expr(struct gen *s, const struct node *n);

/* gen-load.c: loads relative to the link layers, comparisons */
struct gsl gen_load_a(struct gen *s, enum goffrel rel, uint32_t off, uint16_t size);
struct gsl gen_loadx_iphdrlen(struct gen *s);
struct gsl gen_abs_offset_varpart(struct gen *s, struct goff *o);
struct gb gen_ncmp(struct gen *s, enum goffrel rel, uint32_t off, uint16_t size,
		   uint32_t mask, uint16_t jop, int reverse, uint32_t v);
struct gb gen_cmp(struct gen *s, enum goffrel rel, uint32_t off, uint16_t size, uint32_t v);
struct gb gen_mcmp(struct gen *s, enum goffrel rel, uint32_t off, uint16_t size,
		   uint32_t v, uint32_t mask);
struct gb gen_cmp_gt(struct gen *s, enum goffrel rel, uint32_t off, uint16_t size, uint32_t v);
struct gb gen_cmp_ge(struct gen *s, enum goffrel rel, uint32_t off, uint16_t size, uint32_t v);
struct gb gen_cmp_lt(struct gen *s, enum goffrel rel, uint32_t off, uint16_t size, uint32_t v);
struct gb gen_cmp_le(struct gen *s, enum goffrel rel, uint32_t off, uint16_t size, uint32_t v);
struct gb gen_bcmp(struct gen *s, enum goffrel rel, uint32_t off, uint32_t size, const uint8_t *v);

/* gen-link.c: link types */
int gen_init_linktype(struct gen *s, int linktype);
struct gb gen_linktype(struct gen *s, uint32_t ll_proto);
struct gb gen_llc(struct gen *s);
struct gb gen_ehostop(struct gen *s, const uint8_t *mac, int dir);
struct gb gen_ether_host(struct gen *s, const uint8_t *mac, int dir);
struct gb gen_broadcast(struct gen *s, const struct node *n);
struct gb gen_multicast(struct gen *s, const struct node *n);
struct gb gen_inbound(struct gen *s, int outbound);
struct gb gen_ifindex(struct gen *s, uint32_t ifindex);
struct gb gen_llc_prim(struct gen *s, const struct node *n);
const char *gen_linktype_name(int linktype);

/* gen-ip.c: protocols, hosts, networks, gateways */
struct gb gen_proto_abbrev(struct gen *s, int qproto);
struct gb gen_proto(struct gen *s, uint32_t v, int qproto, int dir);
struct gb gen_host(struct gen *s, uint32_t addr, uint32_t mask, int qproto, int dir,
		   int type);
struct gb gen_host6(struct gen *s, const uint8_t *addr, const uint8_t *mask, int qproto,
		    int dir, int type);
struct gb gen_prim(struct gen *s, const struct node *n);
int gen_atoin(const char *str, uint32_t *addr);
struct gb gen_protochain(struct gen *s, uint32_t v, int qproto);

/* gen-ports.c */
struct gb gen_port_prim(struct gen *s, const struct node *n);
/* `[tcp|udp|sctp] [dir] port PORT` with the number as it is (no range
 * check: gen-lists.c passes a placeholder above 65535) */
struct gb gen_port_num(struct gen *s, uint32_t port, int qproto, int dir);
struct gb gen_udp_dst_port(struct gen *s, uint32_t port, int v6);

/* gen-lists.c: `or` lists of ports or IPv4 hosts, optimized compiles only.
 * A direction for gen_port_num and gen_host inside one: "src list_v[0] or
 * dst list_v[1] or src list_v[2]" behind one set of protocol tests. */
#define GEN_DIR_LIST (-1)
int gen_or_list(struct gen *s, const struct node *n, int late, struct gb *r);
void gen_or_lists_expand(struct gen *s);

/* gen-arith.c: arithmetic, relations, len, less/greater, byte */
struct gb gen_relation_node(struct gen *s, const struct node *n);
struct gb gen_len(struct gen *s, uint16_t jop, uint32_t n);
struct gb gen_byteop(struct gen *s, const struct node *n);

/* gen-encap.c: vlan, mpls, pppoe, geneve, vxlan */
struct gb gen_vlan(struct gen *s, const struct node *n);
struct gb gen_mpls(struct gen *s, const struct node *n);
struct gb gen_pppoed(struct gen *s);
struct gb gen_pppoes(struct gen *s, const struct node *n);
struct gb gen_geneve(struct gen *s, const struct node *n);
struct gb gen_vxlan(struct gen *s, const struct node *n);

#endif /* SNIFF_CBPF_GEN_H */
