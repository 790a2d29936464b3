/* ebpf/sets.c - address lists as one block of our own code per list, spliced
 * into a translated program at the list's set test (see ebpf.h, "sets.c").
 *
 * The translator tests a set on the 32-bit A only. An IPv6 address is four
 * words and a `src and dst` list tests two fields per member, so for these
 * lists lists.c leaves one marked `jeq` (after the load of the first word of
 * the first field: every member does that load first) and this file swaps
 * the lookup the translator emitted there for a jump to a block that decides
 * the whole list on the packet:
 *   - the packet holds every field: map lookups (hash of addresses, or an
 *     LPM trie for nets; `src and dst` nets look the source up with the
 *     common prefix length of source and destination);
 *   - it is cut inside a field: the classic list ends with 0 at the first
 *     member whose compares reach the missing word, so order may matter.
 *     libpcap's members (1.10's unoptimized program, the tests' oracle) load
 *     all four words of an IPv6 field whatever their prefix length, so a
 *     member whose bits in the present words match ends the filter with 0
 *     there (sniff's classic program skips the words a net's mask leaves
 *     out, as libpcap master does: see README); one whose bits differ
 *     passes to its next field, or to the next member. With P of a field's
 *     words present (one variant of the block per count, chosen by
 *     skb->len), member m matches where the first min(plen, 32P) bits
 *     agree, and the list's cut map (keys.c) answers "the first member
 *     matching these P words" with one lookup:
 *       one field per member (src, dst): any match ends with 0, else false;
 *       `src or dst`, source cut: member 0 ends it with 0 either way (a
 *         mismatch goes on to the destination's missing words);
 *       `src or dst`, destination cut after P words: the first member
 *         holding the source (the list's own map, whose values are first
 *         indices) is true, unless the first member matching the
 *         destination's P words comes before it: 0; neither: false (none
 *         present: member 0 decides);
 *       `src and dst`, source cut: any match ends with 0; destination
 *         cut: a member holding the source whose bits in the destination's
 *         present words match ends with 0: one holding both addresses'
 *         common prefix, or any one holding the source if that prefix
 *         covers the present words.
 *     So no member is tested one by one and the verifier's work does not
 *     grow with the list (scanning members in classic order made a
 *     1000-host random list exceed its 1,000,000 instructions).
 * The block hands its verdict back as the translator's lookup result: r0 = 0
 * "not in the list", r0 = 1 with A (r8 or its stack slot) = the set's
 * `first` "true", or ends the filter with 0 itself. Nothing is renumbered:
 * the lookup's five slots become `goto block` and four `goto +0`, and the
 * block jumps back.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf.h"

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R4 BPF_REG_4
#define R5 BPF_REG_5
#define R_CTX BPF_REG_6
#define R_SAVE BPF_REG_8   /* the translator's copy of A across the lookup (or the stack) */
#define R_FP BPF_REG_10

#ifndef BPF_JMP32
#define BPF_JMP32 0x06
#endif

/* The block's stack area, at the bottom of the 512 bytes (the translator's
 * own slots sit just below the frame pointer; stack accesses must be
 * aligned to their size):
 *   +0             the first member holding field 0 (cut packets)
 *   +12            LPM key: prefix length, then field 0 at +16 (hash key)
 *   +16+4W         field 1 (hash key)
 *   +16+8W+4       LPM key for field 1: prefix length, then a copy
 *   +72            cut map key: LPM prefix length, P at +76 (hash key),
 *                  the present words at +80 */
#define AREA (-512)
#define AREA_SZ 96
#define O_FIRST  AREA
#define O_PLEN0  (AREA + 12)
#define O_F(k, W) (AREA + 16 + 4 * (int)(W) * (int)(k))
#define O_PLEN1(W) (AREA + 20 + 8 * (int)(W))
#define O_COPY(W) (AREA + 24 + 8 * (int)(W))
#define O_CUT (AREA + 72)

struct fix {
	unsigned at, label;
};

struct blk {
	struct sniff_ebpf_insn *v;
	unsigned n, cap;
	unsigned *label;           /* insn index of each label, ~0u until placed */
	unsigned char *used;       /* some jump goes there */
	unsigned nlabels;
	struct fix *fix;
	unsigned nfix, capfix;
	int err;
};

static void put(struct blk *b, struct sniff_ebpf_insn in)
{
	if (b->err)
		return;
	if (b->n == b->cap) {
		unsigned cap = b->cap ? 2 * b->cap : 256;
		struct sniff_ebpf_insn *v = realloc(b->v, cap * sizeof(*v));

		if (!v) {
			b->err = -ENOMEM;
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = in;
}

static unsigned new_label(struct blk *b)
{
	unsigned *l = realloc(b->label, (b->nlabels + 1) * sizeof(*l));
	unsigned char *u = l ? realloc(b->used, b->nlabels + 1) : NULL;

	if (l)
		b->label = l;
	if (!u) {
		b->err = -ENOMEM;
		return 0;
	}
	b->used = u;
	l[b->nlabels] = ~0u;
	u[b->nlabels] = 0;
	return b->nlabels++;
}

static void place(struct blk *b, unsigned label)
{
	if (!b->err)
		b->label[label] = b->n;
}

/* Emit IN, a jump whose offset goes to LABEL once it is placed. */
static void put_jump(struct blk *b, struct sniff_ebpf_insn in, unsigned label)
{
	if (b->err)
		return;
	if (b->nfix == b->capfix) {
		unsigned cap = b->capfix ? 2 * b->capfix : 256;
		struct fix *f = realloc(b->fix, cap * sizeof(*f));

		if (!f) {
			b->err = -ENOMEM;
			return;
		}
		b->fix = f;
		b->capfix = cap;
	}
	b->fix[b->nfix++] = (struct fix){ b->n, label };
	b->used[label] = 1;
	put(b, in);
}

static struct sniff_ebpf_insn far_ja(long off);

/* Conditional jumps must fit s16; a `goto` becomes `gotol` when far (as in
 * translate.c: the verifier widens jumps over the instructions it expands). */
static int resolve(struct blk *b)
{
	for (unsigned i = 0; i < b->nfix && !b->err; i++) {
		struct sniff_ebpf_insn *in = &b->v[b->fix[i].at];
		long off = (long)b->label[b->fix[i].label] - (long)(b->fix[i].at + 1);

		if (b->label[b->fix[i].label] == ~0u)
			return -EFAULT;
		if (in->code == (BPF_JMP | BPF_JA))
			*in = far_ja(off);
		else if (off < INT16_MIN / 8 || off > INT16_MAX / 8)
			return -E2BIG;
		else
			in->off = (int16_t)off;
	}
	return b->err;
}

static void ld_map(struct blk *b, unsigned map)
{
	put(b, EB_INSN(BPF_LD | BPF_DW | BPF_IMM, R1, BPF_PSEUDO_MAP_FD, 0, (int32_t)map));
	put(b, EB_INSN(0, 0, 0, 0, 0));
}

/* r0 = bpf_map_lookup_elem(map, fp + KEY) */
static void lookup(struct blk *b, unsigned map, int key)
{
	ld_map(b, map);
	put(b, EB_MOV64_REG(R2, R_FP));
	put(b, EB_ALU64_IMM(BPF_ADD, R2, key));
	put(b, EB_CALL(BPF_FUNC_map_lookup_elem));
}

/* bpf_skb_load_bytes(ctx, OFF, fp + TO, LEN) */
static void load_bytes(struct blk *b, uint32_t off, int to, unsigned len)
{
	put(b, EB_MOV64_REG(R1, R_CTX));
	put(b, EB_MOV32_IMM(R2, (int32_t)off));
	put(b, EB_MOV64_REG(R3, R_FP));
	put(b, EB_ALU64_IMM(BPF_ADD, R3, to));
	put(b, EB_MOV32_IMM(R4, (int32_t)len));
	put(b, EB_CALL(BPF_FUNC_skb_load_bytes));
}

static void skb_len(struct blk *b, int reg)
{
	put(b, EB_LDX_MEM(BPF_W, reg, R_CTX, offsetof(struct __sk_buff, len)));
}

/* r0 = the list's map's value for field K (NULL: no member holds it). */
static void lookup_full(struct blk *b, const struct eb_alist *l, unsigned k)
{
	unsigned W = l->alen / 4;

	if (!l->lpm) {
		lookup(b, l->lookup_map, O_F(k, W));
	} else if (k == 0) {
		put(b, EB_ST_MEM(BPF_W, R_FP, O_PLEN0, (int32_t)(32 * W)));
		lookup(b, l->lookup_map, O_PLEN0);
	} else {
		for (unsigned w = 0; w < W; w++) {
			put(b, EB_LDX_MEM(BPF_W, R1, R_FP, (int16_t)(O_F(1, W) + 4 * (int)w)));
			put(b, EB_STX_MEM(BPF_W, R_FP, R1, (int16_t)(O_COPY(W) + 4 * (int)w)));
		}
		put(b, EB_ST_MEM(BPF_W, R_FP, O_PLEN1(W), (int32_t)(32 * W)));
		lookup(b, l->lookup_map, O_PLEN1(W));
	}
}

/* Look field K up in the list's map; a hit goes to label HIT. */
static void lookup_field(struct blk *b, const struct eb_alist *l, unsigned k, unsigned hit)
{
	lookup_full(b, l, k);
	put_jump(b, EB_JMP_IMM(BPF_JNE, R0, 0, 0), hit);
}

/* r0 = the cut map's value for the first P words of field K (at O_F). */
static void lookup_cut(struct blk *b, const struct eb_alist *l, unsigned k, unsigned P)
{
	unsigned W = l->alen / 4;

	for (unsigned w = 0; w < W; w++) {
		if (w < P) {
			put(b, EB_LDX_MEM(BPF_W, R1, R_FP, (int16_t)(O_F(k, W) + 4 * (int)w)));
			put(b, EB_STX_MEM(BPF_W, R_FP, R1, (int16_t)(O_CUT + 8 + 4 * (int)w)));
		} else {
			put(b, EB_ST_MEM(BPF_W, R_FP, (int16_t)(O_CUT + 8 + 4 * (int)w), 0));
		}
	}
	put(b, EB_ST_MEM(BPF_W, R_FP, O_CUT + 4, (int32_t)P));
	if (l->lpm) {
		put(b, EB_ST_MEM(BPF_W, R_FP, O_CUT, (int32_t)(32 + 32 * P)));
		lookup(b, l->cut_map, O_CUT);
	} else {
		lookup(b, l->cut_map, O_CUT + 4);
	}
}

/* fp[O_PLEN0] = the number of leading bits fields 0 and 1 share. */
static void common_prefix(struct blk *b, unsigned W)
{
	unsigned done = new_label(b), clz = new_label(b);

	for (unsigned w = 0; w < W; w++) {
		unsigned same = new_label(b);

		put(b, EB_LDX_MEM(BPF_W, R1, R_FP, (int16_t)(O_F(0, W) + 4 * (int)w)));
		put(b, EB_LDX_MEM(BPF_W, R2, R_FP, (int16_t)(O_F(1, W) + 4 * (int)w)));
		put(b, EB_ALU32_REG(BPF_XOR, R1, R2));
		put_jump(b, EB_JMP32_IMM(BPF_JEQ, R1, 0, 0), same);
		put(b, EB_MOV32_IMM(R3, (int32_t)(32 * w)));
		put_jump(b, EB_JA(0), clz);
		place(b, same);
	}
	put(b, EB_ST_MEM(BPF_W, R_FP, O_PLEN0, (int32_t)(32 * W)));
	put_jump(b, EB_JA(0), done);
	place(b, clz);
	/* the words are in memory order: the first bit on the wire is the top */
	put(b, EB_INSN(BPF_ALU | BPF_END | BPF_TO_BE, R1, 0, 0, 32));
	for (unsigned s = 16; s; s /= 2) {
		put(b, EB_JMP32_IMM(BPF_JGT, R1, (int32_t)(0xffffffffu >> s), 2));
		put(b, EB_ALU32_IMM(BPF_ADD, R3, (int32_t)s));
		put(b, EB_ALU32_IMM(BPF_LSH, R1, (int32_t)s));
	}
	put(b, EB_STX_MEM(BPF_W, R_FP, R3, O_PLEN0));
	place(b, done);
}

/* The exits of one region of the block. Conditional jumps stay within their
 * region (s16); the regions reach END with `goto`, which may be far. */
struct exits {
	unsigned hit, miss, exit0;
};

static void new_exits(struct blk *b, struct exits *x)
{
	x->hit = new_label(b);
	x->miss = new_label(b);
	x->exit0 = new_label(b);
}

static void put_exits(struct blk *b, const struct exits *x, struct sniff_ebpf_insn save,
		      unsigned end)
{
	/* only those jumped to: the verifier refuses unreachable code */
	if (b->err)
		return;
	if (b->used[x->exit0]) {
		place(b, x->exit0);
		put(b, EB_MOV64_IMM(R0, 0));
		put(b, EB_EXIT());
	}
	if (b->used[x->hit]) {
		place(b, x->hit);
		put(b, EB_MOV64_IMM(R0, 1));
		put(b, save);
		put_jump(b, EB_JA(0), end);
	}
	if (b->used[x->miss]) {
		place(b, x->miss);
		put(b, EB_MOV64_IMM(R0, 0));
		put_jump(b, EB_JA(0), end);
	}
}

/* A packet cut inside the list's fields, with P[k] words of field k: the
 * verdict by lookups (see the file comment). */
static void decide_cut(struct blk *b, const struct eb_alist *l, const unsigned *P,
		       const struct exits *x)
{
	unsigned W = l->alen / 4;

	if (!l->and_mode && l->nseg == 2) {
		unsigned none;

		if (P[0] < W) {
			put_jump(b, EB_JA(0), x->exit0);
			return;
		}
		/* r1 = the first member holding field 0, ~0 for none */
		lookup_full(b, l, 0);
		put(b, EB_MOV32_IMM(R1, -1));
		put(b, EB_JMP_IMM(BPF_JEQ, R0, 0, 1));
		put(b, EB_LDX_MEM(BPF_W, R1, R0, 0));
		if (P[1] == 0) {
			put_jump(b, EB_JMP32_IMM(BPF_JEQ, R1, 0, 0), x->hit);
			put_jump(b, EB_JA(0), x->exit0);
			return;
		}
		none = new_label(b);
		put(b, EB_STX_MEM(BPF_W, R_FP, R1, O_FIRST));
		lookup_cut(b, l, 1, P[1]);
		put(b, EB_LDX_MEM(BPF_W, R1, R_FP, O_FIRST));
		put(b, EB_MOV32_IMM(R2, -1));
		put(b, EB_JMP_IMM(BPF_JEQ, R0, 0, 1));
		put(b, EB_LDX_MEM(BPF_W, R2, R0, 0));
		/* the same member for both: its source comes first */
		put_jump(b, EB_JMP32_IMM(BPF_JEQ, R1, -1, 0), none);
		put_jump(b, EB_JMP32_REG(BPF_JLE, R1, R2, 0), x->hit);
		put_jump(b, EB_JA(0), x->exit0);
		place(b, none);
		put_jump(b, EB_JMP32_IMM(BPF_JNE, R2, -1, 0), x->exit0);
		put_jump(b, EB_JA(0), x->miss);
		return;
	}
	if (P[0] < W) {
		lookup_cut(b, l, 0, P[0]);
		put_jump(b, EB_JMP_IMM(BPF_JNE, R0, 0, 0), x->exit0);
		put_jump(b, EB_JA(0), x->miss);
		return;
	}
	/* `src and dst`, field 1 cut */
	common_prefix(b, W);
	put(b, EB_LDX_MEM(BPF_W, R1, R_FP, O_PLEN0));
	if (l->lpm) {
		put(b, EB_JMP_IMM(BPF_JLT, R1, (int32_t)(32 * P[1]), 2));
		put(b, EB_MOV64_IMM(R1, (int32_t)(32 * W)));
		put(b, EB_STX_MEM(BPF_W, R_FP, R1, O_PLEN0));
		lookup(b, l->lookup_map, O_PLEN0);
	} else {
		put_jump(b, EB_JMP_IMM(BPF_JLT, R1, (int32_t)(32 * P[1]), 0), x->miss);
		lookup(b, l->lookup_map, O_F(0, W));
	}
	put_jump(b, EB_JMP_IMM(BPF_JNE, R0, 0, 0), x->exit0);
	put_jump(b, EB_JA(0), x->miss);
}

/* The block for list L: verdict in r0 / A as the file comment says. */
static int emit_block(struct blk *b, const struct eb_alist *l, struct sniff_ebpf_insn save)
{
	unsigned W = l->alen / 4, K = l->nseg;
	unsigned shortp = new_label(b), end = new_label(b), nv = 0;
	unsigned vp[2 * 4][2], vlab[2 * 4];
	struct exits fx;
	uint32_t last = l->off[K - 1];
	int contiguous = K == 2 && l->off[1] == l->off[0] + l->alen;

	/* a cut field 0 leaves no word of field 1 (P1 = 0 below) */
	if ((K == 1 && l->and_mode) || (K == 2 && l->off[1] < l->off[0] + l->alen))
		return -EINVAL;
	new_exits(b, &fx);

	/* every field is in the packet: lookups only */
	skb_len(b, R1);
	put_jump(b, EB_JMP_IMM(BPF_JLT, R1, (int32_t)(last + l->alen), 0), shortp);
	load_bytes(b, l->off[0], O_F(0, W), contiguous ? 2 * l->alen : l->alen);
	put_jump(b, EB_JMP_IMM(BPF_JNE, R0, 0, 0), shortp);
	if (K == 2 && !contiguous) {
		load_bytes(b, l->off[1], O_F(1, W), l->alen);
		put_jump(b, EB_JMP_IMM(BPF_JNE, R0, 0, 0), shortp);
	}
	if (!l->and_mode) {
		for (unsigned k = 0; k < K; k++)
			lookup_field(b, l, k, fx.hit);
	} else if (!l->lpm) {
		/* hosts: the same address in both fields, and in the set */
		for (unsigned w = 0; w < W; w++) {
			put(b, EB_LDX_MEM(BPF_W, R1, R_FP, (int16_t)(O_F(0, W) + 4 * (int)w)));
			put(b, EB_LDX_MEM(BPF_W, R2, R_FP, (int16_t)(O_F(1, W) + 4 * (int)w)));
			put_jump(b, EB_JMP32_REG(BPF_JNE, R1, R2, 0), fx.miss);
		}
		lookup_field(b, l, 0, fx.hit);
	} else {
		/* nets: a member holding both holds their common prefix */
		common_prefix(b, W);
		lookup(b, l->lookup_map, O_PLEN0);
		put_jump(b, EB_JMP_IMM(BPF_JNE, R0, 0, 0), fx.hit);
	}
	put_jump(b, EB_JA(0), fx.miss);
	put_exits(b, &fx, save, end);

	/* cut short: one variant per count of words present (a range of
	 * lengths) */
	place(b, shortp);
	for (int o = 0; o < AREA_SZ; o += 8)
		put(b, EB_ST_MEM(BPF_DW, R_FP, (int16_t)(AREA + o), 0));
	skb_len(b, R1);
	for (unsigned p0 = 1; p0 <= W; p0++)
		for (unsigned p1 = 0; p1 < (K == 2 && p0 == W ? W : 1); p1++) {
			uint32_t lo, hi;

			if (K == 1 && p0 == W)
				continue;
			if (p0 < W) {
				lo = l->off[0] + 4 * p0;
				hi = lo + 4;
			} else {
				lo = p1 ? l->off[1] + 4 * p1 : l->off[0] + 4 * W;
				hi = l->off[1] + 4 * p1 + 4;
			}
			vp[nv][0] = p0;
			vp[nv][1] = p1;
			vlab[nv] = new_label(b);
			put(b, EB_JMP_IMM(BPF_JLT, R1, (int32_t)lo, 2));
			put(b, EB_JMP_IMM(BPF_JGE, R1, (int32_t)hi, 1));
			put_jump(b, EB_JA(0), vlab[nv]);
			nv++;
		}
	put(b, EB_MOV64_IMM(R0, 0)); /* not reached: the classic program loaded word 0 */
	put(b, EB_EXIT());
	for (unsigned v = 0; v < nv; v++) {
		struct exits vx;

		new_exits(b, &vx);
		place(b, vlab[v]);
		for (unsigned k = 0; k < K; k++)
			if (vp[v][k] && (l->and_mode || K == 1 || vp[v][0] == W))
				load_bytes(b, l->off[k], O_F(k, W), 4 * vp[v][k]);
		decide_cut(b, l, vp[v], &vx);
		put_exits(b, &vx, save, end);
	}
	place(b, end);
	return b->err;
}

/* `ether host` lists (ALEN 6): the fields lie in the first 12 bytes, and the
 * classic load before the set test (the first word of field 0: [8] for the
 * source, [2] for a destination alone) already needs every byte the members
 * read, so no packet is short here: lookups only. Field k's bytes are at
 * packet offset OFF[k] (6: source, 0: destination), on the stack at +16. */
static int emit_block_ether(struct blk *b, const struct eb_alist *l,
			    struct sniff_ebpf_insn save)
{
	unsigned end = new_label(b), bytes = l->nseg == 1 && l->off[0] == 0 ? 6 : 12;
	struct exits x;

	new_exits(b, &x);
	load_bytes(b, 0, AREA + 16, bytes);
	put_jump(b, EB_JMP_IMM(BPF_JNE, R0, 0, 0), x.exit0); /* not seen: see above */
	if (l->and_mode) {
		for (int o = 0; o < 6; o += 2) {
			put(b, EB_LDX_MEM(BPF_H, R1, R_FP, (int16_t)(AREA + 16 + o)));
			put(b, EB_LDX_MEM(BPF_H, R2, R_FP, (int16_t)(AREA + 22 + o)));
			put_jump(b, EB_JMP_REG(BPF_JNE, R1, R2, 0), x.miss);
		}
		lookup(b, l->lookup_map, AREA + 22);
		put_jump(b, EB_JMP_IMM(BPF_JNE, R0, 0, 0), x.hit);
	} else {
		for (unsigned k = 0; k < l->nseg; k++) {
			lookup(b, l->lookup_map, AREA + 16 + (int)l->off[k]);
			put_jump(b, EB_JMP_IMM(BPF_JNE, R0, 0, 0), x.hit);
		}
	}
	put_jump(b, EB_JA(0), x.miss);
	put_exits(b, &x, save, end);
	place(b, end);
	return b->err;
}

static int same(struct sniff_ebpf_insn a, struct sniff_ebpf_insn b)
{
	return a.code == b.code && a.dst_reg == b.dst_reg && a.src_reg == b.src_reg &&
	       a.off == b.off && a.imm == b.imm;
}

/* Where the translator tests set MAP: the index of its ld_imm64, checked
 * against the exact sequence the block relies on; -EAGAIN if not so.
 * *SAVE = how the block sets the saved A to the set's `first`. */
static int find_lookup(const struct sniff_ebpf_prog *p, const struct eb_alist *l,
		       struct sniff_ebpf_insn *save)
{
	int at = -EAGAIN;

	for (unsigned j = 2; j + 8 < p->len; j++) {
		const struct sniff_ebpf_insn *v = p->insns + j;

		if (v[0].code != (BPF_LD | BPF_DW | BPF_IMM) || v[0].src_reg != BPF_PSEUDO_MAP_FD ||
		    v[0].imm != (int32_t)l->map)
			continue;
		/* A is kept across the call in r8, or on the stack */
		if (same(v[-2], EB_MOV64_REG(R_SAVE, R0)) && same(v[6], EB_MOV64_REG(R0, R_SAVE)))
			*save = EB_MOV64_IMM(R_SAVE, (int32_t)l->sig);
		else if (v[-2].code == (BPF_STX | BPF_DW | BPF_MEM) && v[-2].dst_reg == R_FP &&
			 v[-2].src_reg == R0 &&
			 same(v[6], EB_LDX_MEM(BPF_DW, R0, R_FP, v[-2].off)))
			*save = EB_ST_MEM(BPF_DW, R_FP, v[-2].off, (int32_t)l->sig);
		else
			return -EAGAIN;
		if (at >= 0 || v[0].dst_reg != R1 ||
		    v[-1].code != (BPF_STX | BPF_W | BPF_MEM) || v[-1].src_reg != R0 ||
		    !same(v[2], EB_MOV64_REG(R2, R_FP)) ||
		    v[3].code != (BPF_ALU64 | BPF_ADD | BPF_K) || v[3].dst_reg != R2 ||
		    !same(v[4], EB_CALL(BPF_FUNC_map_lookup_elem)) ||
		    !same(v[5], EB_MOV64_REG(R1, R0)) ||
		    v[7].code != (BPF_JMP | BPF_JEQ | BPF_K) || v[7].dst_reg != R1 || v[7].imm ||
		    v[8].code != (BPF_JMP32 | BPF_JEQ | BPF_K) || v[8].dst_reg != R0 ||
		    v[8].imm != (int32_t)l->sig)
			return -EAGAIN;
		at = (int)j;
	}
	return at;
}

/* The lowest stack offset the program uses (it must stay above AREA). */
static int stack_low(const struct sniff_ebpf_prog *p)
{
	int low = 0;

	for (unsigned j = 0; j < p->len; j++) {
		const struct sniff_ebpf_insn *v = p->insns + j;
		unsigned cls = BPF_CLASS(v->code);

		if ((cls == BPF_LDX && v->src_reg == R_FP) ||
		    ((cls == BPF_ST || cls == BPF_STX) && v->dst_reg == R_FP))
			low = v->off < low ? v->off : low;
		if (j && v->code == (BPF_ALU64 | BPF_ADD | BPF_K) &&
		    same(v[-1], EB_MOV64_REG(v->dst_reg, R_FP)))
			low = v->imm < low ? v->imm : low;
	}
	return low;
}

static struct sniff_ebpf_insn far_ja(long off)
{
	if (off >= INT16_MIN / 8 && off <= INT16_MAX / 8)
		return EB_JA((int16_t)off);
	return EB_INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, (int32_t)off);
}

int eb_splice_alists(struct sniff_ebpf_prog *prog, const struct eb_alist *lists, unsigned n)
{
	struct blk b = { 0 };
	struct sniff_ebpf_insn *v;
	int rc = 0;

	if (!n)
		return 0;
	if (!prog || !prog->insns || prog->len < 1 ||
	    !same(prog->insns[0], EB_MOV64_REG(R_CTX, R1)) || stack_low(prog) < AREA + AREA_SZ)
		return -EAGAIN;
	for (unsigned i = 0; i < n && !rc; i++) {
		const struct eb_alist *l = &lists[i];
		struct sniff_ebpf_insn save;
		int at = find_lookup(prog, l, &save);
		unsigned start = prog->len + b.n;
		long off;

		if (at < 0 || (l->alen != 4 && l->alen != 6 && l->alen != 16) || l->nseg < 1 ||
		    l->nseg > 2)
			return -EAGAIN;
		b.nfix = 0;
		rc = l->alen == 6 ? emit_block_ether(&b, l, save) : emit_block(&b, l, save);
		if (!rc)
			rc = resolve(&b);
		if (rc)
			break;
		/* the block's jumps are relative: it moves as one piece */
		off = (long)(at + 1) - (long)(prog->len + b.n + 1);
		put(&b, far_ja(off));
		rc = b.err;
		if (rc)
			break;
		off = (long)start - (long)(at + 1);
		prog->insns[at] = far_ja(off);
		for (int s = 1; s <= 4; s++)
			prog->insns[at + s] = EB_JA(0);
	}
	if (!rc && b.n) {
		v = realloc(prog->insns, (prog->len + b.n) * sizeof(*v));
		if (!v) {
			rc = -ENOMEM;
		} else {
			memcpy(v + prog->len, b.v, b.n * sizeof(*v));
			prog->insns = v;
			prog->len += b.n;
		}
	}
	free(b.v);
	free(b.label);
	free(b.used);
	free(b.fix);
	return rc;
}
