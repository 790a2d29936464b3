/* ebpf.h - internal interface of the eBPF stage.
 *
 * Sections, one per file:
 *   translate.c  classic -> eBPF with the kernel's socket-filter semantics
 *                (two passes, like bpf_convert_filter: measure, then emit)
 *   cache.c      which packet loads share one helper call (widened loads,
 *                required packet lengths)
 *   btf.c        the running kernel's BTF: what direct packet reads need
 *   loop.c       filters with protochain: the walk as a bounded loop
 *   lists.c      long `or` lists -> map lookups (sniff_ebpf_compile): finds
 *                the lists, puts placeholders in, drives the rest
 *   shape.c      where the generated program tests each list (lists.c's)
 *   sets.c       lists.c's blocks for lists tested on more than A (IPv6, src and dst)
 *   keys.c       the lists' maps: keys and values
 *   load.c       bpf(BPF_PROG_LOAD) / BPF_PROG_TEST_RUN wrappers, maps
 *   dump.c       eBPF text (readable and numeric), table driven
 */
#ifndef SNIFF_EBPF_H
#define SNIFF_EBPF_H

#include <stdint.h>
#include <linux/bpf.h>
#include "sniff.h"
#include "../filters/filters.h"

/* eBPF instructions that read like assembly (kernel include/linux/filter.h). */
#define EB_INSN(c, d, s, o, i) \
	((struct sniff_ebpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define EB_ALU64_REG(op, d, s)   EB_INSN(BPF_ALU64 | BPF_OP(op) | BPF_X, d, s, 0, 0)
#define EB_ALU32_REG(op, d, s)   EB_INSN(BPF_ALU | BPF_OP(op) | BPF_X, d, s, 0, 0)
#define EB_ALU64_IMM(op, d, i)   EB_INSN(BPF_ALU64 | BPF_OP(op) | BPF_K, d, 0, 0, i)
#define EB_ALU32_IMM(op, d, i)   EB_INSN(BPF_ALU | BPF_OP(op) | BPF_K, d, 0, 0, i)
#define EB_MOV64_REG(d, s)       EB_INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define EB_MOV32_REG(d, s)       EB_INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define EB_MOV64_IMM(d, i)       EB_INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define EB_MOV32_IMM(d, i)       EB_INSN(BPF_ALU | BPF_MOV | BPF_K, d, 0, 0, i)
#define EB_LD_ABS(size, i)       EB_INSN(BPF_LD | BPF_SIZE(size) | BPF_ABS, 0, 0, 0, i)
#define EB_LD_IND(size, s, i)    EB_INSN(BPF_LD | BPF_SIZE(size) | BPF_IND, 0, s, 0, i)
#define EB_LDX_MEM(size, d, s, o) EB_INSN(BPF_LDX | BPF_SIZE(size) | BPF_MEM, d, s, o, 0)
#define EB_STX_MEM(size, d, s, o) EB_INSN(BPF_STX | BPF_SIZE(size) | BPF_MEM, d, s, o, 0)
#define EB_ST_MEM(size, d, o, i) EB_INSN(BPF_ST | BPF_SIZE(size) | BPF_MEM, d, 0, o, i)
#define EB_JMP_REG(op, d, s, o)  EB_INSN(BPF_JMP | BPF_OP(op) | BPF_X, d, s, o, 0)
#define EB_JMP_IMM(op, d, i, o)  EB_INSN(BPF_JMP | BPF_OP(op) | BPF_K, d, 0, o, i)
#define EB_JMP32_REG(op, d, s, o) EB_INSN(BPF_JMP32 | BPF_OP(op) | BPF_X, d, s, o, 0)
#define EB_JMP32_IMM(op, d, i, o) EB_INSN(BPF_JMP32 | BPF_OP(op) | BPF_K, d, 0, o, i)
#define EB_JA(o)                 EB_INSN(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define EB_CALL(fn)              EB_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, fn)
#define EB_EXIT()                EB_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* ---- translate.c */
int eb_translate(const struct sniff_insn *insns, unsigned len, struct sniff_ebpf_prog *out);
/* Same with FLAGS and a reason on failure (err->column = instruction index + 1):
 * -EINVAL for a program the kernel's bpf_check_classic would refuse,
 * -EOPNOTSUPP for ancillary loads eBPF cannot express (HATYPE, PAY_OFFSET, NLATTR). */
#define EB_F_NO_WINDOW 0x1u  /* every packet load through LD_ABS (no header window) */
#define EB_F_LONG_JA   0x2u  /* every classic `ja` as gotol (to test far jumps) */
#define EB_F_FORCE_WINDOW 0x4u /* header window even where it is not expected to pay */
#define EB_F_NO_CACHE  0x8u  /* one helper call per classic packet load (cache.c off) */
#define EB_F_LOOP      0x10u /* accept backward `ja` (a bounded loop, see translate.c) */
#define EB_F_NO_DIRECT 0x20u /* no direct reads of skb->data (btf.c), even where possible */
#define EB_F_WIRELEN_CB 0x40u /* classic `len` reads __sk_buff cb[0] (a file's wire length) */
int eb_translate_ex(const struct sniff_insn *insns, unsigned len, unsigned flags,
		    struct sniff_ebpf_prog *out, struct sniff_error *err);

/* Same with set tests (lists.c): marks[pc] = i + 1 (one entry per classic
 * instruction) turns the `jeq #k` at pc into "A is a key of map i" with
 * SETS[i] describing list i as it was generated: its set tests lie in classic
 * pcs [lo, hi], all jump to T when true, and the list is false at F.
 * A classic list evaluates its first member completely before the second:
 * on a short packet, a load of that first member can end the filter with 0
 * although a later member matches an earlier field. So a hit on any member
 * but the first (FIRST, FIRST_MASK) only sets a flag and goes on as if the
 * test failed; if the list then reaches F, it is true after all (every load
 * of the first member succeeded, so every member's would). */
struct eb_set {
	int lpm;                   /* an LPM trie (A looked up as a /32) */
	uint32_t first, first_mask;
	unsigned lo, hi, t, f;
};
#define EB_MAX_SETS 16
#define EB_SET_LPM 0x8000u /* in marks[]: list i is an LPM trie */
int eb_translate_sets(const struct sniff_insn *insns, unsigned len, unsigned flags,
		      const uint16_t *marks, const struct eb_set *sets, unsigned nsets,
		      struct sniff_ebpf_prog *out, struct sniff_error *err);

/* ---- cache.c: per classic packet load, how it is served. An entry is a
 * packet word [start, start + width) (relative to X when ind) kept in its
 * own stack slot; init: some hit on it is guarded (the slot must start at 0
 * for the verifier). */
#define EB_CACHE_MAX 64
enum { EB_LU_NONE, EB_LU_FRESH, EB_LU_HIT };
struct eb_load_use {
	uint8_t kind;   /* EB_LU_*: a plain load / load the entry / read its slot */
	uint8_t guard;  /* FRESH: widened, load the word only when skb->len covers
			 * it (else the narrow load); HIT: the same check */
	uint8_t entry;
};
struct eb_cache_entry {
	uint8_t ind, width, init;
	uint32_t start;
};
struct eb_cache {
	struct eb_load_use *use;   /* one per classic instruction */
	struct eb_cache_entry ent[EB_CACHE_MAX];
	unsigned nent;
};
/* REACH: the instructions reachable from the entry. 0 or -ENOMEM. */
int eb_cache_plan(const struct sniff_insn *insns, unsigned len, const unsigned char *reach,
		  struct eb_cache *c);
void eb_cache_free(struct eb_cache *c);

/* ---- btf.c: the direct path (plain loads from skb->data), when this
 * kernel and this process's capabilities allow it (probed once); NULL if not. */
struct eb_kinfo {
	int ok;
	int32_t cast_id;                     /* BTF id of bpf_cast_to_kern_ctx */
	int16_t off_len, off_data_len, off_data; /* in struct sk_buff */
};
const struct eb_kinfo *eb_kinfo(void);

/* ---- loop.c: EXPR with `protochain` compiled for the kernel with the
 * chain walked in a loop (a backward `ja`, bounded by a counter in M[]: the
 * unrolled form's rounds, so the same decisions), unoptimized, translated
 * with EB_F_LOOP. -ENOENT when EXPR has no protochain: compile it the usual
 * way. sniff_ebpf_compile should try this first. The _classic form gives
 * the classic loop program (for our interpreter and tests; the kernel's
 * classic checker refuses it). */
int eb_protochain_compile(const char *expr, int linktype, const struct sniff_compile_opts *opts,
			  struct sniff_ebpf_prog *out, struct sniff_error *err);
int eb_protochain_classic(const char *expr, int linktype, const struct sniff_compile_opts *opts,
			  struct sniff_prog *prog, struct sniff_error *err);

/* ---- lists.c: sniff_ebpf_compile(). An `or` chain of >= EB_LIST_MIN IPv4
 * host / net or port primitives with the same qualifiers becomes one
 * primitive on a sentinel value; the program is generated twice with two
 * sentinels (unoptimized: libpcap's optimizer would fold "A == s1, so
 * A != s2", false for sets), and the `jeq` whose constant follows the
 * sentinel is the set test. The classic program is unchanged elsewhere.
 * IPv6 lists (any direction, `src and dst` too) get a one-field IPv6
 * placeholder whose four word tests are found the same way, and a block of
 * sets.c. `host NAME` counts as its addresses; a list of both families
 * becomes one list per family (Ethernet and Linux cooked links). */
#define EB_LIST_MIN 8
/* The translation flags sniff_compile_opts asks for (wirelen_in_cb). */
unsigned eb_compile_flags(const struct sniff_compile_opts *opts);

/* ---- sets.c (lists.c's): lists the translator cannot test on A alone
 * (IPv6 addresses, `src and dst`). lists.c marks one `jeq` per list (per
 * protocol for IPv4 `src and dst host`: ip, arp, rarp), after
 * the load of the first word of field 0, as set MAP with first = SIG, and
 * eb_splice_alists() then replaces the lookup eb_translate_sets emitted
 * there with a block that decides the whole list (see sets.c). Keys of MAP:
 * the address in network order (hash), or prefix length + address (LPM). */
struct eb_alist {
	unsigned map;              /* set index (the translator's lookup names it) */
	unsigned lookup_map;       /* the list's map */
	int lpm;                   /* some member is a net */
	int and_mode;              /* `src and dst`: a member must hold both fields */
	unsigned nseg;             /* fields tested per member: 1, or 2 (src then dst) */
	uint32_t off[2];           /* their packet offsets, in test order */
	unsigned alen;             /* address bytes: 4, 16, or 6 (`ether host`) */
	uint32_t sig;              /* A on a hit (the set's `first`) */
	unsigned cut_map;          /* IPv6: the list's cut map (keys.c) */
};
/* 0, -EAGAIN (the program is not shaped as expected: stay classic), -ENOMEM */
int eb_splice_alists(struct sniff_ebpf_prog *prog, const struct eb_alist *lists, unsigned n);

/* ---- lists.c, shape.c: the `or` lists of an expression, and where the
 * program generated for it tests them. lists.c replaces each list by a
 * placeholder primitive whose constants are sentinels (two sets of them,
 * one per generation pass: what differs between the two programs is a
 * placeholder's test); shape.c finds those tests and describes each list
 * for eb_translate_sets and sets.c. */
#define EB_SENT_V4_A 0xf00d0000u   /* IPv4 host / net list i: A + i */
#define EB_SENT_V4_B 0xf10e0000u
#define EB_SENT_PORT_A 60000u      /* port list i: A + i */
#define EB_SENT_PORT_B 62000u
/* IPv6 placeholders: word j of list i's address is EB_SENT_V6_A | j << 16 | i */
#define EB_SENT_V6_A 0xfa000000u
#define EB_SENT_V6_B 0xfb000000u
/* IPv4 `src and dst` placeholders, one per protocol B (ip, arp, rarp):
 * EB_SENT_AND_A | B << 16 | i */
#define EB_SENT_AND_A 0xf2000000u
#define EB_SENT_AND_B 0xf3000000u
/* `ether host` placeholders: bytes 2-5 EB_SENT_E_A | i, bytes 0-1 EB_SENT_E_HA */
#define EB_SENT_E_A 0xfc000000u
#define EB_SENT_E_B 0xfd000000u
#define EB_SENT_E_HA 0x02fcu
#define EB_SENT_E_HB 0x02fdu
#define EB_SIG_HIT 0x5e75u         /* A after a hit in a block of sets.c */

enum eb_member { EB_M_NONE, EB_M_HOST, EB_M_NET, EB_M_PORT, EB_M_HOST6, EB_M_NET6, EB_M_ETHER };

struct eb_list {
	enum eb_member kind;    /* EB_M_HOST (every member a host), EB_M_NET (some
				   net), EB_M_PORT, EB_M_HOST6, EB_M_NET6 (IPv6: every
				   member a host, some net), EB_M_ETHER */
	struct qual q;
	unsigned n, cap;
	uint32_t *vals;         /* host order (IPv4, ports) */
	uint8_t *a6;            /* IPv6: 16 bytes each, network order (MACs: 6 of 16) */
	uint8_t *plen;          /* prefix lengths (32 / 128 for hosts) */
	unsigned pc6[4];        /* IPv6: the placeholder's four `jeq`s (+1; 0 = none) */
	unsigned pcb[3];        /* IPv4 `src and dst`: the ip, arp, rarp `jeq`s (+1) */
	unsigned pce;           /* `ether host`: the placeholder's first `jeq` (+1) */
	unsigned setb[3];       /* ... and their set indices */
	uint8_t *a4;            /* ... the addresses in network order */
	unsigned cut_map;       /* IPv6: the index of its cut map (keys.c) */
};

struct eb_lists {
	struct eb_list *v;
	unsigned n;
	int pass;               /* 0 or 1: which sentinel */
	struct arena *a;
	const struct names_ctx *names;
	int linktype;
	unsigned nsets;         /* sets (maps): one per list, + protocols of `src and dst` */
	int err;
};

static inline int eb_member_v6(enum eb_member m)
{
	return m == EB_M_HOST6 || m == EB_M_NET6;
}

/* Whether sets.c tests the list (IPv6, or IPv4 `src and dst`). */
static inline int eb_list_engine(const struct eb_list *l)
{
	return eb_member_v6(l->kind) || l->kind == EB_M_ETHER ||
	       ((l->kind == EB_M_HOST || l->kind == EB_M_NET) && l->q.dir == QD_AND);
}

/* The protocols of IPv4 `src and dst` placeholder B: ip, arp, rarp. */
static inline int eb_and_proto(unsigned b)
{
	return b == 0 ? QP_IP : b == 1 ? QP_ARP : QP_RARP;
}

/* shape.c. eb_find_marks: the set tests, where P0 and P1 (the two passes'
 * programs) differ (marks[pc] as eb_translate_sets takes them). eb_shape_lists:
 * P0 reshaped around the placeholders of the lists sets.c tests, SETS and AL
 * (*NAL of them) describing them; *NCUT IPv6 lists get a cut map each.
 * eb_find_sets: the other lists' set tests and exits. 0, -EAGAIN (not shaped
 * as expected: stay classic) or -ENOMEM. */
int eb_find_marks(const struct sniff_prog *p0, const struct sniff_prog *p1, struct eb_lists *ls,
		  uint16_t *marks);
int eb_shape_lists(struct sniff_prog *p0, struct eb_lists *ls, struct eb_set *sets,
		   struct eb_alist *al, unsigned *nal, unsigned *ncut);
int eb_find_sets(const struct sniff_prog *p, const uint16_t *marks, const struct eb_lists *ls,
		 struct eb_set *sets);

/* ---- keys.c: the lists' maps, keys and values: one per set, then a cut
 * map per IPv6 list (NCUT). 0 or -ENOMEM. */
int eb_make_maps(const struct eb_lists *ls, unsigned ncut, struct sniff_ebpf_prog *out);

/* ---- load.c */
int eb_load(const struct sniff_ebpf_insn *insns, unsigned len, char *log, size_t log_sz);
/* Create and fill PROG's maps, load a copy with their fds (which the loaded
 * program then holds), close them. fd or -errno. */
int eb_load_prog(const struct sniff_ebpf_prog *prog, char *log, size_t log_sz);
/* Run PROG_FD on DATA (which must start with a 14-byte link header, see
 * BPF-SEMANTICS.md) REPEAT times. Returns 0 / -errno; *ret = the filter's value,
 * *ns = mean duration. */
int eb_test_run(int prog_fd, const uint8_t *data, uint32_t len, uint32_t repeat,
		uint32_t *ret, uint32_t *ns);
/* Same with a struct __sk_buff context in (mark, ifindex, priority... the
 * fields BPF_PROG_TEST_RUN lets a caller set); ctx may be NULL. */
int eb_test_run_ctx(int prog_fd, const uint8_t *data, uint32_t len, uint32_t repeat,
		    const struct __sk_buff *ctx, uint32_t *ret, uint32_t *ns);

/* ---- dump.c */
typedef void (*eb_print_fn)(void *ctx, const char *line);
void eb_dump(const struct sniff_ebpf_insn *insns, unsigned len, int style,
	     eb_print_fn fn, void *ctx);
/* One instruction in bpftool's xlated form without the "N: " prefix, e.g.
 * "(28) r0 = *(u16 *)skb[12]". Returns how many slots it takes (2 for ld_imm64). */
int eb_insn_text(const struct sniff_ebpf_insn *insns, unsigned left, char *buf, size_t sz);

#endif /* SNIFF_EBPF_H */
