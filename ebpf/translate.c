/* ebpf/translate.c - classic BPF -> eBPF socket filter, keeping exactly the
 * semantics the kernel gives a classic program attached with SO_ATTACH_FILTER
 * (net/core/filter.c bpf_convert_filter is the reference; this is our code).
 *
 * Registers:  A = r0 (so LD_ABS/LD_IND, which return in r0, load A directly
 *             and `ret a` is a bare exit), X = r7, the context = r6 (LD_ABS
 *             and LD_IND require it there), r8 keeps A across LDX_MSH, r9
 *             holds how many header bytes the window holds (see below).
 *             A and X always hold zero-extended 32-bit values: every ALU op is
 *             32-bit and every compare is JMP32, so `jeq #0x80000000` is not
 *             sign-extended.
 * Stack:      M[k] at fp - 64 + 4k (fp - 128 + 8k with EB_F_LOOP); the header
 *             window (when used) below it, then a set test's key and flags,
 *             the load cache's slots (cache.c) and A across a helper call on
 *             the direct path.
 *
 * Two passes (STYLE.md #7): pass one runs with a NULL output and only
 * measures, filling addrs[] (classic pc -> eBPF index); pass two emits the
 * same sequence with jump offsets taken from addrs[]. An instruction's length
 * never depends on a jump distance: conditional jumps span at most 255 classic
 * instructions (far below s16 in eBPF instructions; pass two still checks),
 * and a classic `ja` becomes either `goto` (s16 offset) or `gotol` (JMP32|JA,
 * 32-bit offset, kernel >= 6.4), both one instruction. "Far" is more than
 * EB_GOTO_MAX (s16 / 8), not s16: the verifier expands LD_ABS and other
 * instructions and must widen the jumps across them, and refuses a `goto` it
 * cannot widen ("cannot be patched due to 16-bit range", seen with a
 * 10,000-host program). A program that would be longer than s16 with the
 * window is translated without it (unless forced). Programs may have up to
 * SNIFF_MAX_INSNS classic instructions (sniff_compile's limit, not the
 * kernel's classic 4096).
 *
 * Semantics kept on purpose:
 *  - a packet load past the end ends the filter with 0 (eBPF LD_ABS/LD_IND do
 *    that themselves, SKF_NET_OFF / SKF_LL_OFF included);
 *  - div/mod by X == 0 ends the filter with 0 (eBPF would give 0 / keep A);
 *  - shift by X >= 32 uses X & 31, as the kernel's classic filters do (the
 *    eBPF ISA masks 32-bit shift counts); libpcap's bpf_filter differs there;
 *  - ancillary loads read struct __sk_buff or call a helper; HATYPE,
 *    PAY_OFFSET and NLATTR(_NEST) have no eBPF socket-filter source and are
 *    refused with -EOPNOTSUPP;
 *  - IFINDEX on a packet with no device ends the filter returning A, as
 *    classic does (__sk_buff.ifindex reads 0 then, never a real index).
 *
 * Set tests (lists.c): a `jeq #k` that MARKS names becomes a map lookup of A
 * (key on the stack below the window, A kept in r8 across the call).
 *
 * Packet loads, cheapest first (measured with BPF_PROG_TEST_RUN on this
 * machine, where every call costs ~12 ns: the verifier makes each LD_ABS a
 * helper call; see bench/kernel_bench):
 *  - direct (btf.c; off with EB_F_NO_DIRECT): bytes in the skb's linear part
 *    are plain loads from skb->data (r9; the linear length on the stack),
 *    as the kernel's own classic converter reads them; otherwise the classic load
 *    as it is (LD_ABS / LD_IND), so short packets, paged data and the
 *    SKF_*_OFF ranges keep the helper's semantics. Needs CAP_PERFMON, a
 *    GPL-compatible license (load.c) and a recent kernel: probed once.
 *  - the load cache (cache.c; off with EB_F_NO_CACHE): loads share and widen
 *    helper calls (one `ld [20]` for `ldb [23]` and `ldh [20]`).
 *  - the header window, only with EB_F_FORCE_WINDOW (bpf_skb_load_bytes
 *    costs about three LD_ABS).
 * Header window (see window_size; EB_F_NO_WINDOW / EB_F_FORCE_WINDOW): one
 * bpf_skb_load_bytes() of the first W bytes into the stack replaces the
 * LD_ABS helper calls whose bytes lie inside it. It loads min(len, W) bytes
 * (count in r9); a load of [k, k + size) with r9 < k + size means the packet
 * is shorter than k + size, where LD_ABS would end with 0: so does the
 * translation. Loads outside the window, LD_IND among them (a variable stack
 * offset needs CAP_PERFMON), stay LD_ABS / LD_IND. Everything here loads with
 * CAP_BPF alone: the window is zeroed before a short packet's variable-length
 * copy, and M[] slots that are read start at 0.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>

#include "ebpf.h"

#define R_A   BPF_REG_0
#define R_X   BPF_REG_7
#define R_CTX BPF_REG_6
#define R_SAVE BPF_REG_8
#define R_WLEN BPF_REG_9
#define R_DATA BPF_REG_9   /* direct path: skb->data */
#define DIRECT_K_MAX 0x7000 /* direct reads up to here (s16 offsets) */
#define R_FP  BPF_REG_10

#define EB_MEMWORDS 16
#define EB_MAXINSNS SNIFF_MAX_INSNS /* what sniff_compile produces; the verifier's own limit */
/* With EB_F_LOOP each M[k] has an 8-byte slot of its own: the verifier
 * tracks a value spilled to an aligned slot (a loop counter in M[] must stay
 * a known constant, or the loop is not bounded for it). */
#define MEM_SLOT(t) ((t)->flags & EB_F_LOOP ? 8 : 4)
#define MEM_LO(t) (-MEM_SLOT(t) * EB_MEMWORDS)
#define WIN_MAX 128                        /* bytes of header window at most */
#define EB_WINDOW_MIN_LOADS 5
#define EB_CACHE_INSNS 8192                /* longer programs: no load cache (cost of planning) */

#ifndef BPF_MOD
#define BPF_MOD 0x90
#endif
#ifndef BPF_XOR
#define BPF_XOR 0xa0
#endif
#ifndef BPF_JMP32
#define BPF_JMP32 0x06
#endif

struct tx {
	const struct sniff_insn *in;
	unsigned len;
	unsigned flags;
	struct sniff_ebpf_insn *out; /* NULL while measuring */
	unsigned n;                  /* instructions emitted (or measured) */
	unsigned *addrs;             /* classic pc -> eBPF index, len + 1 entries */
	unsigned char *reach;        /* classic pc reachable from the entry */
	unsigned win;                /* header window bytes, 0 = none */
	int pc;
	int err;
	struct sniff_error *errp;
	const uint16_t *marks;       /* NULL, or per classic pc: set test (lists.c) */
	const struct eb_set *sets;
	unsigned nsets;
	unsigned pad[EB_MAX_SETS];   /* eBPF index of set i's pad (see emit_pads) */
	unsigned char pad_used[EB_MAX_SETS];
	struct eb_cache cache;       /* cache.use NULL: every load is a helper call */
	const struct eb_kinfo *ki;   /* the direct path: r9 = skb->data */
};

static void tx_fail(struct tx *t, int err, const char *fmt, const char *what)
{
	if (t->err)
		return;
	t->err = err;
	if (t->errp) {
		t->errp->column = t->pc + 1;
		t->errp->length = 1;
		snprintf(t->errp->msg, sizeof(t->errp->msg), fmt, t->pc, what);
	}
}

static void emit(struct tx *t, struct sniff_ebpf_insn insn)
{
	if (t->out)
		t->out[t->n] = insn;
	t->n++;
}

/* Inside a list, "the list is false" (a jump to TARGET) goes through the
 * set's pad: its index, or -1. */
static int pad_of(const struct tx *t, unsigned target)
{
	unsigned pc = (unsigned)t->pc;

	for (unsigned i = 0; i < t->nsets; i++)
		if (target == t->sets[i].f && pc >= t->sets[i].lo && pc <= t->sets[i].hi)
			return (int)i;
	return -1;
}

/* Offset from the instruction about to be emitted to classic instruction
 * TARGET; only meaningful in pass two. */
static long jump_off(const struct tx *t, unsigned target)
{
	int i = pad_of(t, target);

	if (i >= 0)
		return (long)t->pad[i] - (long)(t->n + 1);
	return (long)t->addrs[target] - (long)(t->n + 1);
}

/* Pass one notes which pads a jump uses (the verifier refuses dead code). */
static void note_pad(struct tx *t, unsigned target)
{
	int i = pad_of(t, target);

	if (i >= 0)
		t->pad_used[i] = 1;
}

/* if (A op K/X) goto classic TARGET */
static void emit_jcc(struct tx *t, int op, int src_x, uint32_t k, unsigned target)
{
	long off = t->out ? jump_off(t, target) : 0;

	if (!t->out)
		note_pad(t, target);
	if (off > INT16_MAX) {
		tx_fail(t, -E2BIG, "instruction %d: %s jump beyond the eBPF range", "conditional");
		off = 0;
	}
	if (src_x)
		emit(t, EB_JMP32_REG(op, R_A, R_X, (int16_t)off));
	else
		emit(t, EB_JMP32_IMM(op, R_A, (int32_t)k, (int16_t)off));
}

/* The verifier rewrites LD_ABS and other instructions into several and must
 * then widen the jumps across them: a `goto` it cannot widen past s16 fails
 * the load ("cannot be patched due to 16-bit range"). Far gotos are gotol. */
#define EB_GOTO_MAX (INT16_MAX / 8)

static void emit_off_ja(struct tx *t, long off)
{
	if (off <= EB_GOTO_MAX && off >= -EB_GOTO_MAX && !(t->flags & EB_F_LONG_JA))
		emit(t, EB_JA((int16_t)off));
	else
		emit(t, EB_INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, (int32_t)off));
}

/* goto eBPF index DEST (any distance) */
static void emit_goto(struct tx *t, unsigned dest)
{
	emit_off_ja(t, t->out ? (long)dest - (long)(t->n + 1) : 0);
}

/* goto classic TARGET: `goto`, or `gotol` when it is far. */
static void emit_ja(struct tx *t, unsigned target)
{
	long off = t->out ? jump_off(t, target) : 0;

	if (!t->out)
		note_pad(t, target);
	emit_off_ja(t, off);
}

static int inverse_op(int op)
{
	switch (op) {
	case BPF_JEQ: return BPF_JNE;
	case BPF_JGT: return BPF_JLE;
	case BPF_JGE: return BPF_JLT;
	default: return -1; /* BPF_JSET has no eBPF inverse */
	}
}

static int16_t key_off(const struct tx *t)
{
	return (int16_t)(MEM_LO(t) - (int)t->win - 8);
}

/* The hit flag of set I (below the key). */
static int16_t flag_off(const struct tx *t, unsigned i)
{
	return (int16_t)(key_off(t) - 4 * (int)(i + 1));
}

/* if (r1 op imm) goto classic TARGET (64-bit compare of a map pointer) */
static void emit_jcc_r1(struct tx *t, int op, unsigned target)
{
	long off = t->out ? jump_off(t, target) : 0;

	if (!t->out)
		note_pad(t, target);
	if (off > INT16_MAX) {
		tx_fail(t, -E2BIG, "instruction %d: %s jump beyond the eBPF range", "set test");
		off = 0;
	}
	emit(t, EB_JMP_IMM(op, BPF_REG_1, 0, (int16_t)off));
}

/* The direct path's linear length, on the stack below the cache slots at an
 * offset that is not 8-aligned, on purpose: the verifier does not track such
 * a 4-byte spill, so each load's check reads a fresh unknown value. Kept in a
 * register, every check would narrow that register's range one way on the
 * fast form and the other way on the slow one, the two states would never
 * prune, and each load would double the verifier's paths (the unrolled
 * protochain, ~400 loads, went past its 1,000,000 instructions). */
static int16_t hlen_off(const struct tx *t)
{
	return (int16_t)(((key_off(t) - 4 * EB_MAX_SETS - 4 * (EB_CACHE_MAX + 1)) & ~7) - 4);
}

static struct sniff_ebpf_insn save_a(const struct tx *t)
{
	(void)t;
	return EB_MOV64_REG(R_SAVE, R_A);
}

static struct sniff_ebpf_insn restore_a(const struct tx *t)
{
	(void)t;
	return EB_MOV64_REG(R_A, R_SAVE);
}

/* `jeq #k` marked by lists.c: "A is in map i" instead. The key goes on the
 * stack below the window; A survives the helper call in r8. */
static void emit_set_test(struct tx *t, const struct sniff_insn *in, unsigned mark)
{
	unsigned pc = (unsigned)t->pc;
	unsigned tt = pc + 1 + in->jt, ft = pc + 1 + in->jf;
	int16_t key = key_off(t);

	if (in->jt == in->jf) {
		if (in->jt)
			emit_ja(t, tt);
		return;
	}
	emit(t, save_a(t));
	if (mark & EB_SET_LPM) {
		/* struct bpf_lpm_trie_key: prefix length, then network-order bytes */
		emit(t, EB_ST_MEM(BPF_W, R_FP, key, 32));
		emit(t, EB_MOV32_REG(BPF_REG_1, R_A));
		emit(t, EB_INSN(BPF_ALU | BPF_END | BPF_TO_BE, BPF_REG_1, 0, 0, 32));
		emit(t, EB_STX_MEM(BPF_W, R_FP, BPF_REG_1, (int16_t)(key + 4)));
	} else {
		emit(t, EB_STX_MEM(BPF_W, R_FP, R_A, key));
	}
	emit(t, EB_INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0,
			(int32_t)((mark & ~EB_SET_LPM) - 1)));
	emit(t, EB_INSN(0, 0, 0, 0, 0));
	emit(t, EB_MOV64_REG(BPF_REG_2, R_FP));
	emit(t, EB_ALU64_IMM(BPF_ADD, BPF_REG_2, key));
	emit(t, EB_CALL(BPF_FUNC_map_lookup_elem));
	emit(t, EB_MOV64_REG(BPF_REG_1, R_A));
	emit(t, restore_a(t));
	if (!t->sets) {
		if (in->jf == 0) {
			emit_jcc_r1(t, BPF_JNE, tt);
		} else if (in->jt == 0) {
			emit_jcc_r1(t, BPF_JEQ, ft);
		} else {
			emit_jcc_r1(t, BPF_JNE, tt);
			emit_ja(t, ft);
		}
		return;
	}
	/* a miss: the test failed; a hit on the first member: true at once;
	 * any other hit: flag it and go on as the first member would */
	{
		const struct eb_set *set = &t->sets[(mark & ~EB_SET_LPM) - 1];

		emit_jcc_r1(t, BPF_JEQ, ft);
		if (set->first_mask != 0xffffffffu) {
			emit(t, EB_MOV32_REG(BPF_REG_1, R_A));
			emit(t, EB_ALU32_IMM(BPF_AND, BPF_REG_1, (int32_t)set->first_mask));
			emit(t, EB_INSN(BPF_JMP32 | BPF_JEQ | BPF_K, BPF_REG_1, 0,
					(int16_t)(t->out ? jump_off(t, tt) : 0), (int32_t)set->first));
		} else {
			emit_jcc(t, BPF_JEQ, 0, set->first, tt);
		}
		emit(t, EB_ST_MEM(BPF_W, R_FP, flag_off(t, (mark & ~EB_SET_LPM) - 1), 1));
		/* the flag is read by the pad: even a false exit right after
		 * this test is reached through it, never by falling through */
		if (in->jf || pad_of(t, ft) >= 0)
			emit_ja(t, ft);
	}
}

/* After the program: set i's pad, where its list lands when false: true
 * after all when a later member was hit (see ebpf.h). */
static void emit_pads(struct tx *t)
{
	for (unsigned i = 0; i < t->nsets; i++) {
		if (!t->pad_used[i])
			continue;
		t->pad[i] = t->n;
		emit(t, EB_LDX_MEM(BPF_W, BPF_REG_1, R_FP, flag_off(t, i)));
		emit(t, EB_JMP_IMM(BPF_JNE, BPF_REG_1, 0, 1));
		emit_goto(t, t->out ? t->addrs[t->sets[i].f] : 0);
		emit_goto(t, t->out ? t->addrs[t->sets[i].t] : 0);
	}
}

static void emit_cond(struct tx *t, const struct sniff_insn *in)
{
	unsigned pc = (unsigned)t->pc;
	unsigned tt = pc + 1 + in->jt, ft = pc + 1 + in->jf;
	int op = BPF_OP(in->code), src_x = BPF_SRC(in->code) == BPF_X;

	if (t->marks && t->marks[pc] && in->code == (BPF_JMP | BPF_JEQ | BPF_K)) {
		emit_set_test(t, in, t->marks[pc]);
		return;
	}
	if (in->jt == in->jf) {
		if (in->jt)
			emit_ja(t, tt);
	} else if (in->jf == 0) {
		emit_jcc(t, op, src_x, in->k, tt);
	} else if (in->jt == 0 && inverse_op(op) >= 0) {
		emit_jcc(t, inverse_op(op), src_x, in->k, ft);
	} else {
		/* jt == 0 on a jset jumps to the next instruction, which is the
		 * one after the `goto ft` emitted here */
		emit_jcc(t, op, src_x, in->k, tt);
		emit_ja(t, ft);
	}
}

static int16_t mem_off(const struct tx *t, uint32_t k)
{
	return (int16_t)(MEM_LO(t) + MEM_SLOT(t) * (int)k);
}

static int16_t win_off(const struct tx *t, uint32_t k)
{
	return (int16_t)(MEM_LO(t) - (int)t->win + (int)k);
}

static void emit_exit_zero(struct tx *t)
{
	emit(t, EB_MOV32_IMM(R_A, 0));
	emit(t, EB_EXIT());
}

static int load_size_bytes(uint16_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_W: return 4;
	case BPF_H: return 2;
	case BPF_B: return 1;
	default: return 0;
	}
}

/* A = packet[k, k + size) in network order. From the window the stack must be
 * read aligned (the verifier insists), so an unaligned word comes from the
 * 8-byte word(s) holding it, shifted into place, then byte-swapped. */
static void emit_ld_abs(struct tx *t, uint16_t code, uint32_t k)
{
	int size = load_size_bytes(code);
	uint32_t a = k & ~7u, sh;

	if (!t->win || k >= t->win || k + (uint32_t)size > t->win) {
		emit(t, EB_LD_ABS(BPF_SIZE(code), (int32_t)k));
		return;
	}
	/* r9 = bytes loaded = min(len, win): fewer than k + size means the
	 * packet is shorter, where LD_ABS would end with 0 */
	emit(t, EB_JMP_IMM(BPF_JGE, R_WLEN, (int32_t)(k + (uint32_t)size), 2));
	emit_exit_zero(t);
	if (k % (uint32_t)size == 0) {
		emit(t, EB_LDX_MEM(BPF_SIZE(code), R_A, R_FP, win_off(t, k)));
	} else {
		sh = 8 * (k - a);
		emit(t, EB_LDX_MEM(BPF_DW, R_A, R_FP, win_off(t, a)));
		if (sh)
			emit(t, EB_ALU64_IMM(BPF_RSH, R_A, (int32_t)sh));
		if (k + (uint32_t)size > a + 8) {
			emit(t, EB_LDX_MEM(BPF_DW, BPF_REG_1, R_FP, win_off(t, a + 8)));
			emit(t, EB_ALU64_IMM(BPF_LSH, BPF_REG_1, (int32_t)(64 - sh)));
			emit(t, EB_ALU64_REG(BPF_OR, R_A, BPF_REG_1));
		}
	}
	if (size > 1)
		emit(t, EB_INSN(BPF_ALU | BPF_END | BPF_TO_BE, R_A, 0, 0, size * 8));
}

/* ---- loads through the cache (cache.c has the plan and why it is exact) */

/* A few instructions built aside, to jump over them. */
struct blk {
	struct sniff_ebpf_insn v[16];
	unsigned n;
};

static void bput(struct blk *b, struct sniff_ebpf_insn insn)
{
	b->v[b->n++] = insn;
}

static int16_t slot_off(const struct tx *t, unsigned e)
{
	return (int16_t)(key_off(t) - 4 * EB_MAX_SETS - 4 * (int)(e + 1));
}

/* DST = bytes [k, k + s) of entry E's word, from its slot. */
static void blk_from_slot(const struct tx *t, struct blk *b, int dst, unsigned e, uint32_t k,
			  int s)
{
	const struct eb_cache_entry *en = &t->cache.ent[e];
	int sh = 8 * (int)(en->start + en->width - k - (uint32_t)s);

	bput(b, EB_LDX_MEM(BPF_W, dst, R_FP, slot_off(t, e)));
	if (sh)
		bput(b, EB_ALU32_IMM(BPF_RSH, dst, sh));
	if (8 * en->width - sh > 8 * s)
		bput(b, EB_ALU32_IMM(BPF_AND, dst, (int32_t)((1u << (8 * s)) - 1)));
}

/* The load itself: LD_ABS / LD_IND of SIZE at K into r0. */
static struct sniff_ebpf_insn ld_insn(int ind, int size, uint32_t k)
{
	uint16_t sz = size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B;

	return ind ? EB_LD_IND(sz, R_X, (int32_t)k) : EB_LD_ABS(sz, (int32_t)k);
}

/* X = 4 * (r0 & 0xf) with A back from r8 (ldxb 4*([k]&0xf) after its load) */
static void blk_msh_tail(struct blk *b)
{
	bput(b, EB_ALU32_IMM(BPF_AND, R_A, 0xf));
	bput(b, EB_ALU32_IMM(BPF_LSH, R_A, 2));
	bput(b, EB_MOV64_REG(R_X, R_A));
	bput(b, EB_MOV64_REG(R_A, R_SAVE));
}

/* The classic load as it is, for MSH (A saved in r8 around the call) or not. */
static void blk_plain(struct blk *b, int msh, int ind, int size, uint32_t k)
{
	if (msh)
		bput(b, EB_MOV64_REG(R_SAVE, R_A));
	bput(b, ld_insn(ind, size, k));
	if (msh)
		blk_msh_tail(b);
}

/* The fast form: a hit reads the slot; a fresh load loads the entry's word,
 * keeps it in the slot and takes the classic bytes out of it. */
static void blk_cached(const struct tx *t, struct blk *b, const struct eb_load_use *u, int msh,
		       uint32_t k, int s)
{
	const struct eb_cache_entry *en = &t->cache.ent[u->entry];

	if (u->kind == EB_LU_HIT) {
		if (msh) {
			blk_from_slot(t, b, R_X, u->entry, k, s);
			bput(b, EB_ALU32_IMM(BPF_AND, R_X, 0xf));
			bput(b, EB_ALU32_IMM(BPF_LSH, R_X, 2));
		} else {
			blk_from_slot(t, b, R_A, u->entry, k, s);
		}
		return;
	}
	if (msh)
		bput(b, EB_MOV64_REG(R_SAVE, R_A));
	bput(b, ld_insn(en->ind, en->width, en->start));
	bput(b, EB_STX_MEM(BPF_W, R_FP, R_A, slot_off(t, u->entry)));
	if (en->start != k || en->width != s) {
		int sh = 8 * (int)(en->start + en->width - k - (uint32_t)s);

		if (sh)
			bput(b, EB_ALU32_IMM(BPF_RSH, R_A, sh));
		if (!msh && 8 * en->width - sh > 8 * s)
			bput(b, EB_ALU32_IMM(BPF_AND, R_A, (int32_t)((1u << (8 * s)) - 1)));
	}
	if (msh)
		blk_msh_tail(b);
}

static void emit_blk(struct tx *t, const struct blk *b)
{
	for (unsigned i = 0; i < b->n; i++)
		emit(t, b->v[i]);
}

/* A classic packet load at the current pc the cache plan covers (0 when it
 * does not, and nothing was emitted). */
static int emit_load_cached(struct tx *t, int msh, int ind, int s, uint32_t k)
{
	const struct eb_load_use *u;
	const struct eb_cache_entry *en;
	struct blk fast = { .n = 0 }, slow = { .n = 0 };

	if (!t->cache.use || t->cache.use[t->pc].kind == EB_LU_NONE)
		return 0;
	u = &t->cache.use[t->pc];
	en = &t->cache.ent[u->entry];
	blk_cached(t, &fast, u, msh, k, s);
	if (!u->guard) {
		emit_blk(t, &fast);
		return 1;
	}
	/* if (skb->len < end of the word) the classic load as it is */
	blk_plain(&slow, msh, ind, s, k);
	emit(t, EB_LDX_MEM(BPF_W, BPF_REG_1, R_CTX, offsetof(struct __sk_buff, len)));
	if (en->ind) {
		/* 64-bit: X + end cannot wrap, and passing means X + start is
		 * an ordinary offset (no SKF_*_OFF range, no 32-bit wrap) */
		emit(t, EB_MOV64_REG(BPF_REG_2, R_X));
		emit(t, EB_ALU64_IMM(BPF_ADD, BPF_REG_2, (int32_t)(en->start + en->width)));
		emit(t, EB_JMP_REG(BPF_JLT, BPF_REG_1, BPF_REG_2, (int16_t)(fast.n + 1)));
	} else {
		emit(t, EB_JMP_IMM(BPF_JLT, BPF_REG_1, (int32_t)(en->start + en->width),
				   (int16_t)(fast.n + 1)));
	}
	emit_blk(t, &fast);
	emit(t, EB_JA((int16_t)slow.n));
	emit_blk(t, &slow);
	return 1;
}

/* ---- the direct path (btf.c): bytes in the linear part are plain loads
 * from skb->data; anything else (a short packet, paged data, SKF_*_OFF,
 * offsets past DIRECT_K_MAX) takes the classic load as it is, so the
 * semantics are the helper's. */
static int emit_load_direct(struct tx *t, int msh, int ind, int s, uint32_t k)
{
	struct blk fast = { .n = 0 }, slow = { .n = 0 };
	uint16_t sz = s == 4 ? BPF_W : s == 2 ? BPF_H : BPF_B;
	int dst = msh ? R_X : R_A;

	if (!t->ki || k > DIRECT_K_MAX || t->win)
		return 0;
	if (ind) {
		bput(&fast, EB_MOV64_REG(BPF_REG_1, R_DATA));
		bput(&fast, EB_ALU64_REG(BPF_ADD, BPF_REG_1, R_X));
		bput(&fast, EB_LDX_MEM(sz, dst, BPF_REG_1, (int16_t)k));
	} else {
		bput(&fast, EB_LDX_MEM(sz, dst, R_DATA, (int16_t)k));
	}
	if (s > 1)
		bput(&fast, EB_INSN(BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, s * 8));
	if (msh) {
		bput(&fast, EB_ALU32_IMM(BPF_AND, R_X, 0xf));
		bput(&fast, EB_ALU32_IMM(BPF_LSH, R_X, 2));
		bput(&slow, save_a(t));
		bput(&slow, EB_LD_ABS(BPF_B, (int32_t)k));
		bput(&slow, EB_ALU32_IMM(BPF_AND, R_A, 0xf));
		bput(&slow, EB_ALU32_IMM(BPF_LSH, R_A, 2));
		bput(&slow, EB_MOV64_REG(R_X, R_A));
		bput(&slow, restore_a(t));
	} else {
		bput(&slow, ld_insn(ind, s, k));
	}
	/* the slow form falls through: the verifier walks it first, and the
	 * fast form's narrower state (a byte, not any value) prunes at the join */
	emit(t, EB_LDX_MEM(BPF_W, BPF_REG_2, R_FP, hlen_off(t)));
	if (ind) {
		/* 64-bit: X + k + s within the linear part means X + k is an
		 * ordinary offset (no 32-bit wrap, no SKF_*_OFF range) */
		emit(t, EB_MOV64_REG(BPF_REG_1, R_X));
		emit(t, EB_ALU64_IMM(BPF_ADD, BPF_REG_1, (int32_t)(k + (uint32_t)s)));
		emit(t, EB_JMP_REG(BPF_JGE, BPF_REG_2, BPF_REG_1, (int16_t)(slow.n + 1)));
	} else {
		emit(t, EB_JMP_IMM(BPF_JGE, BPF_REG_2, (int32_t)(k + (uint32_t)s), (int16_t)(slow.n + 1)));
	}
	emit_blk(t, &slow);
	emit(t, EB_JA((int16_t)fast.n));
	emit_blk(t, &fast);
	return 1;
}

static void emit_ctx_load(struct tx *t, int off, int swap16)
{
	emit(t, EB_LDX_MEM(BPF_W, R_A, R_CTX, (int16_t)off));
	if (swap16) /* a __be16 kept in a u32: host order like ntohs() */
		emit(t, EB_INSN(BPF_ALU | BPF_END | BPF_TO_BE, R_A, 0, 0, 16));
}

static void emit_ancillary(struct tx *t, uint32_t k)
{
	switch ((int32_t)k - SKF_AD_OFF) {
	case SKF_AD_PROTOCOL:
		emit_ctx_load(t, offsetof(struct __sk_buff, protocol), 1);
		break;
	case SKF_AD_PKTTYPE:
		emit_ctx_load(t, offsetof(struct __sk_buff, pkt_type), 0);
		break;
	case SKF_AD_IFINDEX:
		/* 0 means no device, where classic ends the filter returning A */
		emit(t, EB_LDX_MEM(BPF_W, BPF_REG_1, R_CTX, offsetof(struct __sk_buff, ifindex)));
		emit(t, EB_JMP32_IMM(BPF_JNE, BPF_REG_1, 0, 1));
		emit(t, EB_EXIT());
		emit(t, EB_MOV32_REG(R_A, BPF_REG_1));
		break;
	case SKF_AD_MARK:
		emit_ctx_load(t, offsetof(struct __sk_buff, mark), 0);
		break;
	case SKF_AD_QUEUE:
		emit_ctx_load(t, offsetof(struct __sk_buff, queue_mapping), 0);
		break;
	case SKF_AD_RXHASH:
		emit_ctx_load(t, offsetof(struct __sk_buff, hash), 0);
		break;
	case SKF_AD_VLAN_TAG:
		emit_ctx_load(t, offsetof(struct __sk_buff, vlan_tci), 0);
		break;
	case SKF_AD_VLAN_TAG_PRESENT:
		emit_ctx_load(t, offsetof(struct __sk_buff, vlan_present), 0);
		break;
	case SKF_AD_VLAN_TPID:
		emit_ctx_load(t, offsetof(struct __sk_buff, vlan_proto), 1);
		break;
	case SKF_AD_CPU:
		emit(t, EB_CALL(BPF_FUNC_get_smp_processor_id));
		break;
	case SKF_AD_RANDOM:
		emit(t, EB_CALL(BPF_FUNC_get_prandom_u32));
		break;
	case SKF_AD_ALU_XOR_X:
		emit(t, EB_ALU32_REG(BPF_XOR, R_A, R_X));
		break;
	case SKF_AD_HATYPE:
		tx_fail(t, -EOPNOTSUPP, "instruction %d: %s: an eBPF socket filter cannot read "
			"the device type (struct __sk_buff has no such field)", "ld #hatype");
		break;
	case SKF_AD_PAY_OFFSET:
		tx_fail(t, -EOPNOTSUPP, "instruction %d: %s: the kernel computes the payload "
			"offset for classic filters only; no eBPF helper gives it", "ld #poff");
		break;
	case SKF_AD_NLATTR:
	case SKF_AD_NLATTR_NEST:
		tx_fail(t, -EOPNOTSUPP, "instruction %d: %s: netlink attribute search has no "
			"eBPF socket-filter helper", "ld #nla");
		break;
	default:
		tx_fail(t, -EINVAL, "instruction %d: %s: unknown ancillary field", "ld");
		break;
	}
}

static void emit_alu(struct tx *t, const struct sniff_insn *in)
{
	int op = BPF_OP(in->code);

	if (op == BPF_NEG) {
		emit(t, EB_INSN(BPF_ALU | BPF_NEG, R_A, 0, 0, 0));
		return;
	}
	if (BPF_SRC(in->code) == BPF_K) {
		emit(t, EB_ALU32_IMM(op, R_A, (int32_t)in->k));
		return;
	}
	if (op == BPF_DIV || op == BPF_MOD) {
		/* classic ends with 0 here; eBPF would go on with 0 or A */
		emit(t, EB_JMP32_IMM(BPF_JNE, R_X, 0, 2));
		emit_exit_zero(t);
	}
	emit(t, EB_ALU32_REG(op, R_A, R_X));
}

/* Where the classic `len` comes from: skb->len, or for a file run through
 * BPF_PROG_TEST_RUN (which can only make skb->len the captured length) the
 * wire length the caller put in cb[0]. */
static int16_t len_field(const struct tx *t)
{
	return (int16_t)(t->flags & EB_F_WIRELEN_CB ? offsetof(struct __sk_buff, cb[0])
						    : offsetof(struct __sk_buff, len));
}

static void emit_ld(struct tx *t, const struct sniff_insn *in)
{
	switch (BPF_MODE(in->code)) {
	case BPF_ABS:
		if (in->k >= (uint32_t)SKF_AD_OFF)
			emit_ancillary(t, in->k);
		else if (!emit_load_direct(t, 0, 0, load_size_bytes(in->code), in->k) &&
			 !emit_load_cached(t, 0, 0, load_size_bytes(in->code), in->k))
			emit_ld_abs(t, in->code, in->k);
		break;
	case BPF_IND:
		if (!emit_load_direct(t, 0, 1, load_size_bytes(in->code), in->k) &&
		    !emit_load_cached(t, 0, 1, load_size_bytes(in->code), in->k))
			emit(t, EB_LD_IND(BPF_SIZE(in->code), R_X, (int32_t)in->k));
		break;
	case BPF_MEM:
		emit(t, EB_LDX_MEM(BPF_W, R_A, R_FP, mem_off(t, in->k)));
		break;
	case BPF_IMM:
		emit(t, EB_MOV32_IMM(R_A, (int32_t)in->k));
		break;
	case BPF_LEN:
		emit_ctx_load(t, len_field(t), 0);
		break;
	}
}

static void emit_ldx(struct tx *t, const struct sniff_insn *in)
{
	switch (BPF_MODE(in->code)) {
	case BPF_MEM:
		emit(t, EB_LDX_MEM(BPF_W, R_X, R_FP, mem_off(t, in->k)));
		break;
	case BPF_IMM:
		emit(t, EB_MOV32_IMM(R_X, (int32_t)in->k));
		break;
	case BPF_LEN:
		emit(t, EB_LDX_MEM(BPF_W, R_X, R_CTX, len_field(t)));
		break;
	case BPF_MSH:
		if (emit_load_direct(t, 1, 0, 1, in->k) || emit_load_cached(t, 1, 0, 1, in->k))
			break;
		/* X = 4 * (pkt[k] & 0xf); the byte goes through r0, which is A */
		emit(t, save_a(t));
		emit_ld_abs(t, BPF_LD | BPF_B | BPF_ABS, in->k);
		emit(t, EB_ALU32_IMM(BPF_AND, R_A, 0xf));
		emit(t, EB_ALU32_IMM(BPF_LSH, R_A, 2));
		emit(t, EB_MOV64_REG(R_X, R_A));
		emit(t, restore_a(t));
		break;
	}
}

static void emit_insn(struct tx *t, const struct sniff_insn *in)
{
	switch (BPF_CLASS(in->code)) {
	case BPF_ALU:
		emit_alu(t, in);
		break;
	case BPF_LD:
		emit_ld(t, in);
		break;
	case BPF_LDX:
		emit_ldx(t, in);
		break;
	case BPF_ST:
		emit(t, EB_STX_MEM(BPF_W, R_FP, R_A, mem_off(t, in->k)));
		break;
	case BPF_STX:
		emit(t, EB_STX_MEM(BPF_W, R_FP, R_X, mem_off(t, in->k)));
		break;
	case BPF_MISC:
		if (BPF_MISCOP(in->code) == BPF_TAX)
			emit(t, EB_MOV32_REG(R_X, R_A));
		else
			emit(t, EB_MOV32_REG(R_A, R_X));
		break;
	case BPF_RET:
		if (BPF_RVAL(in->code) == BPF_K)
			emit(t, EB_MOV32_IMM(R_A, (int32_t)in->k));
		emit(t, EB_EXIT());
		break;
	case BPF_JMP:
		if (BPF_OP(in->code) == BPF_JA && in->k)
			emit_ja(t, (unsigned)t->pc + 1 + in->k);
		else if (BPF_OP(in->code) != BPF_JA)
			emit_cond(t, in);
		break;
	}
}

/* The opcodes the kernel accepts in a classic program (chk_code_allowed). */
static const unsigned char code_ok[256] = {
	[BPF_ALU | BPF_ADD | BPF_K] = 1, [BPF_ALU | BPF_ADD | BPF_X] = 1,
	[BPF_ALU | BPF_SUB | BPF_K] = 1, [BPF_ALU | BPF_SUB | BPF_X] = 1,
	[BPF_ALU | BPF_MUL | BPF_K] = 1, [BPF_ALU | BPF_MUL | BPF_X] = 1,
	[BPF_ALU | BPF_DIV | BPF_K] = 1, [BPF_ALU | BPF_DIV | BPF_X] = 1,
	[BPF_ALU | BPF_MOD | BPF_K] = 1, [BPF_ALU | BPF_MOD | BPF_X] = 1,
	[BPF_ALU | BPF_AND | BPF_K] = 1, [BPF_ALU | BPF_AND | BPF_X] = 1,
	[BPF_ALU | BPF_OR | BPF_K] = 1,  [BPF_ALU | BPF_OR | BPF_X] = 1,
	[BPF_ALU | BPF_XOR | BPF_K] = 1, [BPF_ALU | BPF_XOR | BPF_X] = 1,
	[BPF_ALU | BPF_LSH | BPF_K] = 1, [BPF_ALU | BPF_LSH | BPF_X] = 1,
	[BPF_ALU | BPF_RSH | BPF_K] = 1, [BPF_ALU | BPF_RSH | BPF_X] = 1,
	[BPF_ALU | BPF_NEG] = 1,
	[BPF_LD | BPF_W | BPF_ABS] = 1, [BPF_LD | BPF_H | BPF_ABS] = 1,
	[BPF_LD | BPF_B | BPF_ABS] = 1, [BPF_LD | BPF_W | BPF_LEN] = 1,
	[BPF_LD | BPF_W | BPF_IND] = 1, [BPF_LD | BPF_H | BPF_IND] = 1,
	[BPF_LD | BPF_B | BPF_IND] = 1, [BPF_LD | BPF_IMM] = 1,
	[BPF_LD | BPF_MEM] = 1,
	[BPF_LDX | BPF_W | BPF_IMM] = 1, [BPF_LDX | BPF_W | BPF_LEN] = 1,
	[BPF_LDX | BPF_B | BPF_MSH] = 1, [BPF_LDX | BPF_MEM] = 1,
	[BPF_ST] = 1, [BPF_STX] = 1,
	[BPF_MISC | BPF_TAX] = 1, [BPF_MISC | BPF_TXA] = 1,
	[BPF_RET | BPF_K] = 1, [BPF_RET | BPF_A] = 1,
	[BPF_JMP | BPF_JA] = 1,
	[BPF_JMP | BPF_JEQ | BPF_K] = 1, [BPF_JMP | BPF_JEQ | BPF_X] = 1,
	[BPF_JMP | BPF_JGE | BPF_K] = 1, [BPF_JMP | BPF_JGE | BPF_X] = 1,
	[BPF_JMP | BPF_JGT | BPF_K] = 1, [BPF_JMP | BPF_JGT | BPF_X] = 1,
	[BPF_JMP | BPF_JSET | BPF_K] = 1, [BPF_JMP | BPF_JSET | BPF_X] = 1,
};

/* The structural rules the translation relies on (bpf_check_classic); a
 * read of M[] before any write is harmless here: used slots start at 0. */
static int check_prog(struct tx *t)
{
	if (t->len == 0 || t->len > EB_MAXINSNS) {
		t->pc = 0;
		tx_fail(t, -EINVAL, "instruction %d: %s", t->len ? "more than 1000000 instructions"
			: "empty program");
		return t->err;
	}
	for (t->pc = 0; t->pc < (int)t->len && !t->err; t->pc++) {
		const struct sniff_insn *in = &t->in[t->pc];
		unsigned left = t->len - (unsigned)t->pc - 1;

		if (in->code > 0xff || !code_ok[in->code]) {
			tx_fail(t, -EINVAL, "instruction %d: %s opcode", "unknown");
			break;
		}
		/* every instruction, reachable or not, as the kernel does */
		switch (BPF_CLASS(in->code)) {
		case BPF_ALU:
			if (BPF_SRC(in->code) != BPF_K)
				break;
			if ((BPF_OP(in->code) == BPF_DIV || BPF_OP(in->code) == BPF_MOD) && in->k == 0)
				tx_fail(t, -EINVAL, "instruction %d: %s by the constant 0", "div/mod");
			if ((BPF_OP(in->code) == BPF_LSH || BPF_OP(in->code) == BPF_RSH) && in->k >= 32)
				tx_fail(t, -EINVAL, "instruction %d: %s by a constant >= 32", "shift");
			break;
		case BPF_LD:
		case BPF_LDX:
			if (BPF_MODE(in->code) == BPF_MEM && in->k >= EB_MEMWORDS)
				tx_fail(t, -EINVAL, "instruction %d: %s index >= 16", "M[]");
			if (in->code == (BPF_LD | BPF_ABS | BPF_SIZE(in->code)) &&
			    in->k >= (uint32_t)SKF_AD_OFF &&
			    (in->k - (uint32_t)SKF_AD_OFF >= SKF_AD_MAX || in->k % 4))
				tx_fail(t, -EINVAL, "instruction %d: %s: unknown ancillary field", "ld");
			break;
		case BPF_ST:
		case BPF_STX:
			if (in->k >= EB_MEMWORDS)
				tx_fail(t, -EINVAL, "instruction %d: %s index >= 16", "M[]");
			break;
		case BPF_JMP:
			if (BPF_OP(in->code) == BPF_JA && (t->flags & EB_F_LOOP) &&
			    (int32_t)in->k < 0 && (int64_t)t->pc + 1 + (int32_t)in->k >= 0 &&
			    (int32_t)in->k != -1)
				break; /* a loop (loop.c); the verifier must see it bounded */
			if (BPF_OP(in->code) == BPF_JA ? in->k >= left
			    : (in->jt >= left || in->jf >= left))
				tx_fail(t, -EINVAL, "instruction %d: %s leaves the program", "jump");
			break;
		}
	}
	if (!t->err && BPF_CLASS(t->in[t->len - 1].code) != BPF_RET) {
		t->pc = (int)t->len - 1;
		tx_fail(t, -EINVAL, "instruction %d: %s", "the last instruction is not a ret");
	}
	return t->err;
}

/* The verifier refuses unreachable instructions, which classic programs may
 * hold: mark what the entry reaches. One forward sweep; 1 when a backward
 * `ja` (EB_F_LOOP) reached something it had passed. */
static int reach_sweep(struct tx *t)
{
	int again = 0;

	for (unsigned pc = 0; pc < t->len; pc++) {
		const struct sniff_insn *in = &t->in[pc];

		if (!t->reach[pc])
			continue;
		switch (BPF_CLASS(in->code)) {
		case BPF_RET:
			break;
		case BPF_JMP:
			if (BPF_OP(in->code) == BPF_JA) {
				unsigned to = pc + 1 + in->k;

				if (to <= pc && !t->reach[to])
					again = 1;
				t->reach[to] = 1;
			} else {
				t->reach[pc + 1 + in->jt] = 1;
				t->reach[pc + 1 + in->jf] = 1;
			}
			break;
		default:
			t->reach[pc + 1] = 1;
			break;
		}
	}
	return again;
}

static void mark_reachable(struct tx *t)
{
	t->reach[0] = 1;
	while (reach_sweep(t))
		; /* only loops (EB_F_LOOP) need more than one */
}

static int window_load(const struct sniff_insn *in)
{
	if (!((BPF_CLASS(in->code) == BPF_LD && BPF_MODE(in->code) == BPF_ABS) ||
	      in->code == (BPF_LDX | BPF_B | BPF_MSH)))
		return 0;
	return in->k < WIN_MAX && in->k + (uint32_t)load_size_bytes(in->code) <= WIN_MAX;
}

/* Most window-servable loads on one path from the entry (jumps go forward:
 * one backward sweep). */
static unsigned longest_load_path(const struct tx *t)
{
	unsigned *best = calloc(t->len + 1, sizeof(*best)), r;

	if (!best)
		return 0;
	for (unsigned pc = t->len; pc-- > 0;) {
		const struct sniff_insn *in = &t->in[pc];
		unsigned next = 0;

		if (BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) == BPF_JA) {
			next = best[pc + 1 + in->k];
		} else if (BPF_CLASS(in->code) == BPF_JMP) {
			next = best[pc + 1 + in->jt];
			if (best[pc + 1 + in->jf] > next)
				next = best[pc + 1 + in->jf];
		} else if (BPF_CLASS(in->code) != BPF_RET) {
			next = best[pc + 1];
		}
		best[pc] = next + (unsigned)window_load(in);
	}
	r = best[0];
	free(best);
	return r;
}

/* Bytes of header the window covers: the end of the farthest load it can
 * serve. One bpf_skb_load_bytes costs about three LD_ABS (measured with
 * BPF_PROG_TEST_RUN: ~24 ns against ~9 ns), so it is used only when some
 * path runs at least EB_WINDOW_MIN_LOADS loads, or when asked to. */
static unsigned window_size(const struct tx *t)
{
	unsigned w = 0, hits = 0;

	for (unsigned i = 0; i < t->len; i++) {
		const struct sniff_insn *in = &t->in[i];
		uint32_t end;

		if (!t->reach[i] || !window_load(in))
			continue;
		end = in->k + (uint32_t)load_size_bytes(in->code);
		hits++;
		if (end > w)
			w = end;
	}
	if (hits == 0)
		return 0;
	if (!(t->flags & EB_F_FORCE_WINDOW) && longest_load_path(t) < EB_WINDOW_MIN_LOADS)
		return 0;
	return (w + 7) & ~7u; /* whole stack words */
}

/* Whether the straight-line code at the entry sets A (IS_A) or X before it
 * could read it: then the classic "A = X = 0" start needs no instruction (a
 * mistake here would not go unnoticed: the verifier refuses reads of unset
 * registers). */
static int written_first(const struct tx *t, int is_a)
{
	for (unsigned pc = 0; pc < t->len; pc++) {
		const struct sniff_insn *in = &t->in[pc];
		uint16_t c = in->code;

		switch (BPF_CLASS(c)) {
		case BPF_LD:
			if (BPF_MODE(c) == BPF_IND)
				return is_a; /* reads X */
			if (BPF_MODE(c) == BPF_ABS && in->k == (uint32_t)(SKF_AD_OFF + SKF_AD_ALU_XOR_X))
				return 0;    /* reads both */
			if (BPF_MODE(c) == BPF_ABS && in->k == (uint32_t)(SKF_AD_OFF + SKF_AD_IFINDEX)) {
				if (is_a)
					return 0; /* may end the filter returning A */
				break;
			}
			if (is_a)
				return 1;
			break;
		case BPF_LDX:
			if (!is_a)
				return 1;
			if (BPF_MODE(c) == BPF_MSH)
				return 0;    /* keeps A through r8: reads it */
			break;
		case BPF_MISC:
			if ((BPF_MISCOP(c) == BPF_TAX) == is_a)
				return 0;    /* reads it */
			return 1;
		case BPF_ST:
			if (is_a)
				return 0;
			break;
		case BPF_STX:
			if (!is_a)
				return 0;
			break;
		case BPF_ALU:
			if (is_a || BPF_SRC(c) == BPF_X)
				return 0;
			break;
		default: /* jumps and returns: stop looking */
			return 0;
		}
	}
	return 0;
}

static void emit_prologue(struct tx *t)
{
	unsigned char read[EB_MEMWORDS] = { 0 };

	emit(t, EB_MOV64_REG(R_CTX, BPF_REG_1));
	if (t->ki) {
		/* r0 = the struct sk_buff (a kfunc the verifier inlines: no call);
		 * len - data_len, the linear part, to its slot; r9 = skb->data */
		emit(t, EB_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, t->ki->cast_id));
		emit(t, EB_LDX_MEM(BPF_W, BPF_REG_1, BPF_REG_0, t->ki->off_len));
		emit(t, EB_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_0, t->ki->off_data_len));
		emit(t, EB_LDX_MEM(BPF_DW, R_DATA, BPF_REG_0, t->ki->off_data));
		emit(t, EB_ALU32_REG(BPF_SUB, BPF_REG_1, BPF_REG_2));
		emit(t, EB_STX_MEM(BPF_W, R_FP, BPF_REG_1, hlen_off(t)));
	}
	if (t->win) {
		unsigned words = t->win / 8;

		/* r9 = min(len, win); bpf_skb_load_bytes(ctx, 0, window, r9) */
		emit(t, EB_LDX_MEM(BPF_W, R_WLEN, R_CTX, offsetof(struct __sk_buff, len)));
		emit(t, EB_JMP_IMM(BPF_JLT, R_WLEN, (int32_t)t->win, 2));
		emit(t, EB_MOV32_IMM(R_WLEN, (int32_t)t->win));
		emit(t, EB_JA((int16_t)(words + 1)));
		/* a shorter packet: a helper given a variable length must get
		 * initialised stack unless the loader has CAP_PERFMON */
		for (unsigned w = 0; w < t->win; w += 8)
			emit(t, EB_ST_MEM(BPF_DW, R_FP, win_off(t, w), 0));
		/* an empty packet: the helper refuses size 0, nothing to load */
		emit(t, EB_JMP_IMM(BPF_JLT, R_WLEN, 1, 6));
		emit(t, EB_MOV64_REG(BPF_REG_1, R_CTX));
		emit(t, EB_MOV32_IMM(BPF_REG_2, 0));
		emit(t, EB_MOV64_REG(BPF_REG_3, R_FP));
		emit(t, EB_ALU64_IMM(BPF_ADD, BPF_REG_3, MEM_LO(t) - (int)t->win));
		emit(t, EB_MOV64_REG(BPF_REG_4, R_WLEN));
		emit(t, EB_CALL(BPF_FUNC_skb_load_bytes));
	}
	if (!written_first(t, 1))
		emit(t, EB_MOV32_IMM(R_A, 0));
	if (!written_first(t, 0))
		emit(t, EB_MOV32_IMM(R_X, 0));
	for (unsigned i = 0; i < t->nsets; i++)
		emit(t, EB_ST_MEM(BPF_W, R_FP, flag_off(t, i), 0));
	for (unsigned e = 0; t->cache.use && e < t->cache.nent; e++)
		if (t->cache.ent[e].init)
			emit(t, EB_ST_MEM(BPF_W, R_FP, slot_off(t, e), 0));
	/* zero the slots that are read: valid programs write first, but the
	 * verifier (without CAP_PERFMON) refuses any uninitialised stack read */
	for (unsigned i = 0; i < t->len; i++) {
		uint16_t c = t->in[i].code;

		if ((c == (BPF_LD | BPF_MEM) || c == (BPF_LDX | BPF_MEM)) && t->reach[i])
			read[t->in[i].k] = 1;
	}
	for (int s = 0; s < EB_MEMWORDS; s += 2) {
		if (read[s] && read[s + 1] && MEM_SLOT(t) == 4) {
			emit(t, EB_ST_MEM(BPF_DW, R_FP, mem_off(t, (uint32_t)s), 0));
		} else {
			if (read[s])
				emit(t, EB_ST_MEM(BPF_W, R_FP, mem_off(t, (uint32_t)s), 0));
			if (read[s + 1])
				emit(t, EB_ST_MEM(BPF_W, R_FP, mem_off(t, (uint32_t)s + 1), 0));
		}
	}
}

static void run_pass(struct tx *t)
{
	if (!t->out)
		memset(t->pad_used, 0, sizeof(t->pad_used));
	t->n = 0;
	t->pc = 0;
	emit_prologue(t);
	for (t->pc = 0; t->pc < (int)t->len && !t->err; t->pc++) {
		if (!t->out)
			t->addrs[t->pc] = t->n;
		if (t->reach[t->pc])
			emit_insn(t, &t->in[t->pc]);
	}
	if (!t->out)
		t->addrs[t->len] = t->n;
	emit_pads(t);
}

int eb_translate_sets(const struct sniff_insn *insns, unsigned len, unsigned flags,
		      const uint16_t *marks, const struct eb_set *sets, unsigned nsets,
		      struct sniff_ebpf_prog *out, struct sniff_error *err)
{
	struct tx t = { .in = insns, .len = len, .flags = flags, .errp = err, .marks = marks,
			.sets = nsets ? sets : NULL, .nsets = nsets };
	unsigned measured;

	if (!insns || !out || nsets > EB_MAX_SETS || (nsets && (!sets || !marks)))
		return -EINVAL;
	out->len = 0;
	out->insns = NULL;
	out->nmaps = 0;
	out->maps = NULL;
	if (err)
		memset(err, 0, sizeof(*err));
	if (check_prog(&t))
		return t.err;
	t.addrs = calloc(len + 1, sizeof(*t.addrs));
	t.reach = calloc(len, 1);
	if (!t.addrs || !t.reach) {
		free(t.addrs);
		free(t.reach);
		return -ENOMEM;
	}
	mark_reachable(&t);
	if ((flags & EB_F_FORCE_WINDOW) && !(flags & EB_F_NO_WINDOW))
		t.win = window_size(&t);
	else if (!(flags & EB_F_NO_DIRECT) && (t.ki = eb_kinfo()) != NULL)
		; /* every load is a plain one or its helper: nothing to share */
	else if (!(flags & (EB_F_NO_CACHE | EB_F_LOOP)) && len <= EB_CACHE_INSNS &&
		 eb_cache_plan(insns, len, t.reach, &t.cache) < 0)
		t.err = -ENOMEM;

	run_pass(&t);              /* pass one: measure, fill addrs[] */
	if (t.win && t.n > INT16_MAX && !(flags & EB_F_FORCE_WINDOW)) {
		/* without the window no program needs gotol (kernel >= 6.4):
		 * at most 6 eBPF instructions per classic one */
		t.win = 0;
		run_pass(&t);
	}
	if (t.cache.use && t.n > EB_GOTO_MAX) {
		/* a far `ja` would need gotol (kernel >= 6.4) where the plain
		 * translation may not: long programs go without the cache (the
		 * direct path stays: its kernels all have gotol) */
		eb_cache_free(&t.cache);
		run_pass(&t);
	}
	measured = t.n;
	if (!t.err) {
		t.out = calloc(measured ? measured : 1, sizeof(*t.out));
		if (!t.out)
			t.err = -ENOMEM;
	}
	if (!t.err)
		run_pass(&t);      /* pass two: emit with addrs[] */
	if (!t.err && t.n != measured)
		t.err = -EFAULT;   /* the passes disagree: a translator bug */
	free(t.addrs);
	free(t.reach);
	eb_cache_free(&t.cache);
	if (t.err) {
		free(t.out);
		return t.err;
	}
	out->insns = t.out;
	out->len = t.n;
	return 0;
}

int eb_translate_ex(const struct sniff_insn *insns, unsigned len, unsigned flags,
		    struct sniff_ebpf_prog *out, struct sniff_error *err)
{
	return eb_translate_sets(insns, len, flags, NULL, NULL, 0, out, err);
}

int eb_translate(const struct sniff_insn *insns, unsigned len, struct sniff_ebpf_prog *out)
{
	return eb_translate_ex(insns, len, 0, out, NULL);
}

SNIFF_API int sniff_ebpf_translate(const struct sniff_prog *prog, struct sniff_ebpf_prog *out)
{
	if (!prog || !out)
		return -EINVAL;
	return eb_translate(prog->insns, prog->len, out);
}

SNIFF_API void sniff_ebpf_free(struct sniff_ebpf_prog *prog)
{
	if (!prog)
		return;
	free(prog->insns);
	prog->insns = NULL;
	prog->len = 0;
	for (unsigned i = 0; i < prog->nmaps && prog->maps; i++) {
		free(prog->maps[i].keys);
		free(prog->maps[i].values);
	}
	free(prog->maps);
	prog->maps = NULL;
	prog->nmaps = 0;
}
