/* cbpf/opt.h - private to the optimizer (cbpf/opt*.c).
 *
 * The optimizer repeats three passes until nothing changes:
 *   opt-fwd.c  forward, in topological order: value numbering of every
 *              register and scratch slot, constant folding, removal of
 *              statements that recompute what is already there, and jump
 *              threading: an edge whose target's test is decided by what is
 *              known on that edge goes straight to the decided successor;
 *   opt-bwd.c  backward: liveness, dead statement removal (a packet load that
 *              may fail is only dropped when every later path fails the same
 *              way), and the peepholes that need liveness;
 *   opt.c      the graph: skip empty blocks, merge identical ones, join a
 *              block with its only successor.
 * A pass that found nothing on a graph is not run on it again; the forward
 * pass is not either when it can tell that a second run on its own output
 * would find nothing ("closed", opt-fwd.c), and the backward pass never
 * finds anything on its own output (opt-bwd.c).
 * Every step keeps the decision on every packet: a load past the end of the
 * packet returns 0, a division by zero returns 0 (libpcap and the kernel agree
 * on both), so those are effects that are never removed unless proven
 * impossible or repeated on every path that follows.
 */
#ifndef SNIFF_CBPF_OPT_H
#define SNIFF_CBPF_OPT_H

#include <stdint.h>
#include "cbpf/cbpf.h"

/* Locations a statement reads or writes: M[0..15], A, X. */
enum { LOC_A = BPF_MEMWORDS, LOC_X, NLOC };
#define LOC_BIT(l) (1u << (l))

/* ---- opt-vn.c: value numbers (hash-consed expressions over the packet).
 * Two equal numbers denote the same value on every path where both exist.
 * Number 0 means "unknown" and is equal to nothing, not even itself. */
enum vn_kind {
	VN_CONST = 1, /* k */
	VN_ABS,       /* packet load: op = size, k = offset */
	VN_IND,       /* packet load: op = size, a = X, k = offset */
	VN_MSH,       /* 4*([k]&0xf) */
	VN_LEN,       /* wire length */
	VN_ALU,       /* op = BPF_OP, a op b */
	VN_OPAQUE,    /* a value nothing is known about (k makes it unique) */
};

struct vn {
	uint8_t kind;
	uint8_t op;
	uint32_t a, b, k;
};

#define VN_CCACHE_BITS 6
#define VN_LCACHE_BITS 6
struct vn_table {
	struct arena *arena;     /* the optimizer's: v and hash grow there */
	struct vn *v;
	unsigned n, cap;
	uint32_t *hash;
	unsigned hcap;
	uint32_t opaque;
	int oom;
	uint32_t ccache_k[1u << VN_CCACHE_BITS], ccache_id[1u << VN_CCACHE_BITS];
	/* vn_abs(): key k * 4 + size code */
	uint32_t lcache_k[1u << VN_LCACHE_BITS], lcache_id[1u << VN_LCACHE_BITS];
	uint32_t entry_mem[BPF_MEMWORDS]; /* M[] on entry (state_init_entry) */
};

/* T: zeroed (it is part of cb_optimize's context, zeroed once: its caches
 * are a kilobyte). */
int vn_init(struct vn_table *t, struct arena *a);
uint32_t vn_const(struct vn_table *t, uint32_t k);
uint32_t vn_opaque(struct vn_table *t);
uint32_t vn_make(struct vn_table *t, enum vn_kind kind, unsigned op, uint32_t a, uint32_t b,
		 uint32_t k);
/* A op B with folding and identities; 0 if it may not be computed (a fault). */
uint32_t vn_alu(struct vn_table *t, unsigned op, uint32_t a, uint32_t b);
/* Packet loads by (size, offset), the most asked-for values after constants. */
uint32_t vn_abs(struct vn_table *t, unsigned size, uint32_t k);

static inline int vn_is_const(const struct vn_table *t, uint32_t v, uint32_t *k)
{
	if (!v || t->v[v].kind != VN_CONST)
		return 0;
	if (k)
		*k = t->v[v].k;
	return 1;
}

/* ---- opt-vn.c: what is known on an edge.
 * A fact bounds one value number; xfacts remember the outcome of a test
 * against X (rare after constant propagation). */
#define FACT_EXCL 6
#define FACT_ANY 2
#define STATE_MAXF 64

struct fact {
	uint32_t v;
	uint32_t lo, hi;     /* lo <= value <= hi */
	uint32_t zeros, ones;/* bits known clear / set */
	uint32_t excl[FACT_EXCL];
	uint32_t any[FACT_ANY]; /* value & any[i] != 0 */
	uint8_t nexcl, nany;
};

struct xfact {
	uint32_t a, b;
	uint16_t code;
	uint8_t val;
};

struct state {
	struct arena *arena;  /* where f and xf grow (the optimizer's) */
	uint32_t loc[NLOC];
	uint64_t known_len;  /* every path loaded bytes up to here: caplen >= it */
	int holes;           /* a meet left some loc[] at 0 (unknown) */
	struct fact *f;      /* sorted by v */
	unsigned nf, capf;
	struct xfact *xf;
	unsigned nxf, capxf;
};

/* S: zeroed, or a state whose arrays are to be reused. */
void state_init_entry(struct state *s, struct vn_table *t);
/* dst (an initialized state) becomes a copy of src, reusing its arrays. */
int state_assign(struct state *dst, const struct state *src);
/* dst = what holds on both dst's paths and src's. */
void state_meet(struct state *dst, const struct state *src);
/* 1 true, 0 false, -1 unknown: test CODE (BPF_JMP|op|src) of A=a against b. */
int state_decide(const struct state *s, const struct vn_table *t, uint16_t code, uint32_t a,
		 uint32_t b);
/* Record that the test came out VAL. */
void state_refine(struct state *s, const struct vn_table *t, uint16_t code, uint32_t a,
		  uint32_t b, int val);
/* The same for a test against the constant Y (BPF_K), OP = BPF_OP(code):
 * no value number is made for Y. */
int state_decide_k(const struct state *s, const struct vn_table *t, unsigned op, uint32_t a,
		   uint32_t y);
void state_refine_k(struct state *s, const struct vn_table *t, unsigned op, uint32_t a,
		    uint32_t y, int val);

/* ---- statements */
/* Locations a statement uses and defines (LOC_BIT masks); inline: every
 * pass asks it for every statement. */
static inline void stmt_uses_defs(uint16_t code, uint32_t k, uint32_t *use, uint32_t *def)
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
/* May this statement end the filter (packet load, division by X)? */
static inline int stmt_may_fault(uint16_t code)
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
/* Room for N statements in B, so that a rewrite cannot fail half way. */
int block_reserve(struct cb_block *b, unsigned n);
/* Delete statement I of B. */
void block_del_stmt(struct cb_block *b, unsigned i);

/* ---- the passes; each returns the number of changes or -ENOMEM */
struct topo_frame {
	struct cb_block *b;
	int state;
};

/* Everything the passes need is sized from the graph once, in one arena
 * freed when cb_optimize returns: the rounds allocate (almost) nothing. */
struct opt_ctx {
	struct cb_graph *g;
	struct arena *arena;
	struct topo_frame *stack;
	unsigned gen;
	struct vn_table vn;
	struct cb_block **topo;  /* reachable blocks, topological order */
	unsigned n, cap;
	uint32_t *live_in;       /* by topo index (block->offset) */
	uint64_t *ant_in;        /* by topo index */
	struct cb_block **mhash; /* merge_blocks' table, mhcap slots */
	unsigned mhcap;
	/* opt-fwd.c, kept from round to round */
	struct state **pending;  /* entry state being gathered, by topo index */
	struct state **pool;     /* spare states, with their fact arrays */
	unsigned npool, cappool;
	unsigned char *stopped;  /* by topo index */
	int topo_ok;             /* no pass changed the graph since opt_topo */
	int fwd_closed;          /* the last opt_forward would change nothing on
				    its own output (see opt-fwd.c) */
	int keeps_fwd;           /* the last merge_blocks or opt_backward kept
				    a closed forward pass closed (passed()) */
	unsigned holds;          /* passes (P_* in opt.c) that would change
				    nothing on the graph as it is now */
};

/* Scratch memory that lives until cb_optimize returns (NULL on ENOMEM). */
void *opt_alloc(struct opt_ctx *o, size_t n);   /* zeroed */
/* Not zeroed: for tables written before they are read (zeroing them was a
 * tenth of the optimizer's time on or-lists). */
void *opt_alloc_raw(struct opt_ctx *o, size_t n);


int opt_topo(struct opt_ctx *o);
int opt_forward(struct opt_ctx *o);
int opt_backward(struct opt_ctx *o);
/* opt-chain.c: regroup or-/and-chains by the value they test (needs live_in) */
int opt_chains(struct opt_ctx *o);

#endif /* SNIFF_CBPF_OPT_H */
