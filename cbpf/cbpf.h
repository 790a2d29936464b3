/* cbpf.h - internal interface of the classic BPF stage.
 *
 * Sections, one per file:
 *   graph.c     the block graph (the code generator's output, the optimizer's
 *               input and output) and its conversion to/from flat programs
 *   gen*.c      AST -> block graph (pcap-filter semantics, libpcap's decisions)
 *   names.c     name resolution (hosts, services, protocols, ethers, networks)
 *   opt.c       the optimizer (graph -> smaller graph, same decisions)
 *   validate.c  the kernel's bpf_check_classic rules
 *   interp.c    interpreter with libpcap's bpf_filter semantics
 *   dump.c      -d / -dd / -ddd text, table driven
 *   asm.c       the reverse of -d: tcpdump -d text -> program (for tests)
 *   compile.c   sniff_compile(): parse, generate, optimize, emit
 */
#ifndef SNIFF_CBPF_H
#define SNIFF_CBPF_H

#include <stdint.h>
#include <stdio.h>
#include <linux/filter.h>
#include "sniff.h"
#include "../filters/filters.h"

/* Classic instructions that read like assembly (values from linux/filter.h). */
#define CB_STMT(code, k)            ((struct sniff_insn){ (uint16_t)(code), 0, 0, (uint32_t)(k) })
#define CB_JUMP(code, k, jt, jf)    ((struct sniff_insn){ (uint16_t)(code), (jt), (jf), (uint32_t)(k) })
#define CB_LD_ABS(size, off)        CB_STMT(BPF_LD | (size) | BPF_ABS, off)   /* ld[hb] [off] */
#define CB_LD_IND(size, off)        CB_STMT(BPF_LD | (size) | BPF_IND, off)   /* ld[hb] [x + off] */
#define CB_LD_IMM(k)                CB_STMT(BPF_LD | BPF_IMM, k)              /* ld #k */
#define CB_LD_LEN()                 CB_STMT(BPF_LD | BPF_W | BPF_LEN, 0)      /* ld #pktlen */
#define CB_LD_MEM(i)                CB_STMT(BPF_LD | BPF_MEM, i)              /* ld M[i] */
#define CB_LDX_IMM(k)               CB_STMT(BPF_LDX | BPF_W | BPF_IMM, k)     /* ldx #k */
#define CB_LDX_MEM(i)               CB_STMT(BPF_LDX | BPF_MEM, i)             /* ldx M[i] */
#define CB_LDX_MSH(off)             CB_STMT(BPF_LDX | BPF_B | BPF_MSH, off)   /* ldxb 4*([off]&0xf) */
#define CB_ST(i)                    CB_STMT(BPF_ST, i)                        /* st M[i] */
#define CB_STX(i)                   CB_STMT(BPF_STX, i)                       /* stx M[i] */
#define CB_ALU_K(op, k)             CB_STMT(BPF_ALU | (op) | BPF_K, k)        /* add #k ... */
#define CB_ALU_X(op)                CB_STMT(BPF_ALU | (op) | BPF_X, 0)        /* add x ... */
#define CB_NEG()                    CB_STMT(BPF_ALU | BPF_NEG, 0)             /* neg */
#define CB_TAX()                    CB_STMT(BPF_MISC | BPF_TAX, 0)            /* tax */
#define CB_TXA()                    CB_STMT(BPF_MISC | BPF_TXA, 0)            /* txa */
#define CB_RET_K(k)                 CB_STMT(BPF_RET | BPF_K, k)               /* ret #k */
#define CB_RET_A()                  CB_STMT(BPF_RET | BPF_A, 0)               /* ret a */
#define CB_JA(k)                    CB_STMT(BPF_JMP | BPF_JA, k)              /* ja +k */
#define CB_JMP_K(op, k, jt, jf)     CB_JUMP(BPF_JMP | (op) | BPF_K, k, jt, jf) /* jeq #k, jt, jf */
#define CB_JMP_X(op, jt, jf)        CB_JUMP(BPF_JMP | (op) | BPF_X, 0, jt, jf) /* jeq x, jt, jf */

#ifndef BPF_MOD
#define BPF_MOD 0x90
#endif
#ifndef BPF_XOR
#define BPF_XOR 0xa0
#endif
#ifndef BPF_MEMWORDS
#define BPF_MEMWORDS 16
#endif

/* ---- graph.c: the block graph.
 * A block is straight-line statements followed by one exit: a conditional jump
 * (code = BPF_JMP|op|src with jt/jf set) or a return (code = BPF_RET|..., jt=jf=NULL).
 * Unconditional jumps never appear: an edge is a pointer. Graphs are DAGs.
 * A conditional whose jt == jf is an unconditional edge (cb_graph_from_prog
 * makes them for `ja`; cb_graph_emit writes a `ja`, or nothing when the target
 * comes next).  The passes use mark/offset/aux freely. */
struct cb_stmt {
	uint16_t code;
	uint32_t k;
};

struct cb_block {
	unsigned id;                /* unique in its graph, allocation order */
	struct cb_stmt *stmts;
	unsigned nstmts, capstmts;
	uint16_t code;              /* exit: BPF_JMP|BPF_J*|BPF_K/X or BPF_RET|BPF_K/A */
	uint32_t k;
	struct cb_block *jt, *jf;   /* NULL on a return */
	int pos, len;               /* source text that produced the exit test (or -1) */
	/* scratch for passes; meaning owned by the pass running */
	unsigned mark;
	int offset;
	void *aux;
	struct cb_block *next_alloc; /* every block of the graph, for freeing */
	struct arena *arena;         /* the graph's: where stmts grow */
};

/* An `or` list the generator left to the optimizer as one placeholder test
 * per field (cbpf/gen-lists.c): cb_graph_emit turns every `jeq #sent` into
 * the members' tests. */
struct cb_list {
	struct cb_list *next;
	uint32_t sent;
	const uint32_t *vals;
	unsigned n;
};

struct cb_graph {
	struct cb_block *entry;
	struct cb_list *lists;      /* placeholders still in the graph */
	struct cb_block *blocks;    /* allocation list (next_alloc) */
	unsigned nblocks;
	unsigned next_mem;          /* scratch slots M[] used so far by the generator */
	struct arena *arena;        /* blocks and statements (NULL until the first
				       block); a pass may take scratch memory here
				       too: all of it goes in cb_graph_free */
};

struct cb_block *cb_block_new(struct cb_graph *g);          /* NULL on ENOMEM */
struct cb_block *cb_block_new_cap(struct cb_graph *g, unsigned cap); /* room for CAP stmts */
int cb_block_add(struct cb_block *b, uint16_t code, uint32_t k); /* 0 / -ENOMEM */
/* Room for N statements in B, so that a rewrite cannot fail half way. */
int cb_block_reserve(struct cb_block *b, unsigned n);            /* 0 / -ENOMEM */
void cb_graph_free(struct cb_graph *g);
/* Flat program -> graph (every valid classic program; for tests and for the
 * optimizer's use on foreign programs). */
int cb_graph_from_prog(const struct sniff_prog *p, struct cb_graph *g);
/* Graph -> flat program: lays blocks out, adds `ja` where a jt/jf would exceed
 * 255, shares identical return blocks. */
/* Lays G out as a program (placeholders of G->lists expanded first, in G). */
int cb_graph_emit(struct cb_graph *g, struct sniff_prog *out);
/* gen-lists.c: G->lists' placeholders become their members' tests. 0 / -ENOMEM */
int cb_lists_expand(struct cb_graph *g);

/* ---- opt.c: same verdict as the input on every packet (a load past the end
 * and a division by zero stay where they fail).  0, -EINVAL (a test without a
 * successor), -ENOMEM (the graph is then still valid, maybe half optimized). */
int cb_optimize(struct cb_graph *g);

/* ---- names.c: libpcap-compatible name resolution.
 * dir == NULL reads /etc/{hosts,ethers,networks,services,protocols} and also the
 * system resolver (getaddrinfo) for hosts; a dir reads only that folder's files. */
struct names_ctx {
	const char *dir;
};
/* Addresses of host NAME: family AF_INET (4-byte) or AF_INET6 (16-byte) entries,
 * malloc'ed into *addrs (n entries of alen bytes). 0 / -ENOENT. */
int names_host(const struct names_ctx *c, const char *name, int family,
	       uint8_t **addrs, int *n);
/* Port of a service name for proto 6 (tcp), 17 (udp), 132 (sctp);
 * libpcap's pcap_nametoport: the tcp and udp numbers. -ENOENT if none. */
int names_port(const struct names_ctx *c, const char *name, int proto);
int names_proto(const struct names_ctx *c, const char *name);   /* protocols file */
int names_ether(const struct names_ctx *c, const char *name, uint8_t mac[6]);
int names_net(const struct names_ctx *c, const char *name, uint32_t *net); /* networks */

/* ---- gen.c: AST -> graph. */
struct gen_opts {
	int linktype;
	uint32_t snaplen;
	uint32_t netmask;
	enum sniff_filter_mode mode;
	const struct names_ctx *names;
	/* eBPF path only (ebpf/loop.c): walk a protochain once, in a loop
	 * bounded by a counter in M[] (a backward `ja`, which classic BPF
	 * refuses), instead of unrolling it */
	int protochain_loop;
	/* cb_optimize() runs on the result: the generator may leave out a test
	 * libpcap's optimizer would remove anyway (gen_hostop: one ethertype
	 * test for src and dst) */
	int optimize;
};
int cb_gen(const struct node *ast, const struct gen_opts *o, struct cb_graph *g,
	   struct sniff_error *err);

/* ---- compile.c: OPTS (NULL, or any sz) -> a full struct, libbpf's rules
 * (unknown bytes past our size must be 0). 0 / -EINVAL. */
int cb_copy_compile_opts(const struct sniff_compile_opts *in, struct sniff_compile_opts *out);
/* The generator's options for a full compile-options struct O (defaults
 * filled in); NAMES must outlive the generation. */
struct gen_opts cb_gen_opts(const struct sniff_compile_opts *o, int linktype,
			    const struct names_ctx *names);

/* ---- validate.c: 0, or -EINVAL with err->msg and err->column = the index of
 * the offending instruction + 1 (0 for a bad length). err may be NULL. */
int cb_validate(const struct sniff_insn *insns, unsigned len, struct sniff_error *err);
/* Same rules with another length limit: sniff_compile() and the paths that do
 * not hand the program to the kernel as classic BPF (the interpreter, eBPF)
 * take up to SNIFF_MAX_INSNS; cb_validate() is the kernel's BPF_MAXINSNS. */
int cb_validate_max(const struct sniff_insn *insns, unsigned len, unsigned max,
		    struct sniff_error *err);

/* ---- interp.c
 * libpcap's bpf_filter semantics (out-of-range load -> return 0, div by 0 ->
 * return 0, shift >= 32 -> 0) on a program cb_validate() accepted. With
 * kernel_shift, shifts use X & 31 as the kernel does (only shifts: ld [x + k]
 * keeps libpcap's unwrapped X + k, where the kernel wraps the sum at 32 bits).
 * Ancillary loads (SKF_AD_*) read from *anc when given (any load size, as the
 * kernel; values as the program sees them, e.g. protocol 0x0800); with
 * anc == NULL they are out-of-range loads and the filter returns 0, as
 * libpcap's bpf_filter() without aux data. SKF_NET_OFF/SKF_LL_OFF loads
 * return 0 too. */
struct cb_anc {
	uint32_t protocol, pkttype, ifindex, mark, queue, rxhash, vlan_tci,
		vlan_present, vlan_tpid, cpu, random;
};
uint32_t cb_run(const struct sniff_insn *insns, unsigned len, const uint8_t *pkt,
		uint32_t wirelen, uint32_t caplen, const struct cb_anc *anc, int kernel_shift);

/* ---- dump.c: tcpdump's three formats, through a line callback. */
typedef void (*cb_print_fn)(void *ctx, const char *line);
void cb_dump(const struct sniff_insn *insns, unsigned len, int style, cb_print_fn fn, void *ctx);
/* One instruction in -d form without the "(NNN) " prefix, padded exactly as
 * bpf_image() pads it: "ldh      [12]", "tax      ". */
void cb_insn_text(const struct sniff_insn *in, unsigned pc, char *buf, size_t sz);
/* libpcap's name of ancillary load k ("proto", "vlan_tci"...), NULL if none. */
const char *cb_anc_name(uint32_t k);

/* ---- asm.c: parse tcpdump -d text (as in the corpus' libpcap_program), or
 * -dd / -ddd text. insns are malloc'ed. Errors: err->column is the 1-based
 * byte offset in TEXT, err->msg names the line. */
int cb_asm(const char *text, struct sniff_prog *out, struct sniff_error *err);

#endif /* SNIFF_CBPF_H */
