/* ebpf/dump.c - eBPF text, driven by tables (STYLE.md #5) in the forms of the
 * kernel's kernel/bpf/disasm.c (what `bpftool prog dump xlated` prints):
 *   style 1: "   3: (15) if r0 == 0x800 goto pc+3", one instruction a line;
 *   style 2: "{ 0x15, 0, 0, 3, 0x00000800 }," (a C array, like tcpdump -dd);
 *   style 3: the instruction count, then "code dst src off imm" in decimal.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ebpf.h"

#ifndef BPF_JMP32
#define BPF_JMP32 0x06
#endif

static const char *const alu_op[16] = {
	[BPF_ADD >> 4] = "+=",  [BPF_SUB >> 4] = "-=",  [BPF_MUL >> 4] = "*=",
	[BPF_DIV >> 4] = "/=",  [BPF_OR >> 4] = "|=",   [BPF_AND >> 4] = "&=",
	[BPF_LSH >> 4] = "<<=", [BPF_RSH >> 4] = ">>=", [BPF_NEG >> 4] = "neg",
	[BPF_MOD >> 4] = "%=",  [BPF_XOR >> 4] = "^=",  [BPF_MOV >> 4] = "=",
	[BPF_ARSH >> 4] = "s>>=", [BPF_END >> 4] = "endian",
};

static const char *const jmp_op[16] = {
	[BPF_JA >> 4] = "jmp",  [BPF_JEQ >> 4] = "==",  [BPF_JGT >> 4] = ">",
	[BPF_JLT >> 4] = "<",   [BPF_JGE >> 4] = ">=",  [BPF_JLE >> 4] = "<=",
	[BPF_JSET >> 4] = "&",  [BPF_JNE >> 4] = "!=",  [BPF_JSGT >> 4] = "s>",
	[BPF_JSLT >> 4] = "s<", [BPF_JSGE >> 4] = "s>=", [BPF_JSLE >> 4] = "s<=",
	[BPF_CALL >> 4] = "call", [BPF_EXIT >> 4] = "exit",
};

static const char *const size_name[4] = {
	[BPF_W >> 3] = "u32", [BPF_H >> 3] = "u16", [BPF_B >> 3] = "u8", [BPF_DW >> 3] = "u64",
};

/* The helpers a translated program calls; others print as "unknown". */
static const char *const helper_name[] = {
	[BPF_FUNC_map_lookup_elem] = "bpf_map_lookup_elem",
	[BPF_FUNC_get_prandom_u32] = "bpf_get_prandom_u32",
	[BPF_FUNC_get_smp_processor_id] = "bpf_get_smp_processor_id",
	[BPF_FUNC_skb_load_bytes] = "bpf_skb_load_bytes",
	[BPF_FUNC_skb_load_bytes_relative] = "bpf_skb_load_bytes_relative",
};

static const char *helper(int32_t id)
{
	if (id >= 0 && (size_t)id < sizeof(helper_name) / sizeof(helper_name[0]) && helper_name[id])
		return helper_name[id];
	return "unknown";
}

static const char *or_bug(const char *s)
{
	return s ? s : "BUG";
}

static void alu_text(const struct sniff_ebpf_insn *in, char *buf, size_t sz)
{
	char r = BPF_CLASS(in->code) == BPF_ALU64 ? 'r' : 'w';
	int op = BPF_OP(in->code);

	if (op == BPF_END) {
		if (BPF_CLASS(in->code) == BPF_ALU64)
			snprintf(buf, sz, "(%02x) r%d = bswap%d r%d", in->code, in->dst_reg,
				 in->imm, in->dst_reg);
		else
			snprintf(buf, sz, "(%02x) r%d = %s%d r%d", in->code, in->dst_reg,
				 BPF_SRC(in->code) == BPF_TO_BE ? "be" : "le", in->imm, in->dst_reg);
	} else if (op == BPF_NEG) {
		snprintf(buf, sz, "(%02x) %c%d = -%c%d", in->code, r, in->dst_reg, r, in->dst_reg);
	} else if (BPF_SRC(in->code) == BPF_X) {
		snprintf(buf, sz, "(%02x) %c%d %s %c%d", in->code, r, in->dst_reg,
			 or_bug(alu_op[op >> 4]), r, in->src_reg);
	} else {
		snprintf(buf, sz, "(%02x) %c%d %s %d", in->code, r, in->dst_reg,
			 or_bug(alu_op[op >> 4]), in->imm);
	}
}

static void jmp_text(const struct sniff_ebpf_insn *in, char *buf, size_t sz)
{
	char r = BPF_CLASS(in->code) == BPF_JMP32 ? 'w' : 'r';
	int op = BPF_OP(in->code);

	if (op == BPF_CALL && in->src_reg == BPF_PSEUDO_KFUNC_CALL)
		/* only the direct path (btf.c) calls a kfunc; it was probed */
		snprintf(buf, sz, "(%02x) call %s#%d", in->code,
			 eb_kinfo() && eb_kinfo()->cast_id == in->imm ? "bpf_cast_to_kern_ctx"
			 : "kernel-function", in->imm);
	else if (op == BPF_CALL)
		snprintf(buf, sz, "(%02x) call %s#%d", in->code, helper(in->imm), in->imm);
	else if (op == BPF_EXIT)
		snprintf(buf, sz, "(%02x) exit", in->code);
	else if (op == BPF_JA && BPF_CLASS(in->code) == BPF_JMP32)
		snprintf(buf, sz, "(%02x) gotol pc%+d", in->code, in->imm);
	else if (op == BPF_JA)
		snprintf(buf, sz, "(%02x) goto pc%+d", in->code, in->off);
	else if (BPF_SRC(in->code) == BPF_X)
		snprintf(buf, sz, "(%02x) if %c%d %s %c%d goto pc%+d", in->code, r, in->dst_reg,
			 or_bug(jmp_op[op >> 4]), r, in->src_reg, in->off);
	else
		snprintf(buf, sz, "(%02x) if %c%d %s 0x%x goto pc%+d", in->code, r, in->dst_reg,
			 or_bug(jmp_op[op >> 4]), (uint32_t)in->imm, in->off);
}

int eb_insn_text(const struct sniff_ebpf_insn *insns, unsigned left, char *buf, size_t sz)
{
	const struct sniff_ebpf_insn *in = insns;
	const char *size = size_name[BPF_SIZE(in->code) >> 3];

	switch (BPF_CLASS(in->code)) {
	case BPF_ALU:
	case BPF_ALU64:
		alu_text(in, buf, sz);
		break;
	case BPF_JMP:
	case BPF_JMP32:
		jmp_text(in, buf, sz);
		break;
	case BPF_LDX:
		snprintf(buf, sz, "(%02x) r%d = *(%s *)(r%d %+d)", in->code, in->dst_reg, size,
			 in->src_reg, in->off);
		break;
	case BPF_STX:
		snprintf(buf, sz, "(%02x) *(%s *)(r%d %+d) = r%d", in->code, size, in->dst_reg,
			 in->off, in->src_reg);
		break;
	case BPF_ST:
		snprintf(buf, sz, "(%02x) *(%s *)(r%d %+d) = %d", in->code, size, in->dst_reg,
			 in->off, in->imm);
		break;
	case BPF_LD:
		if (BPF_MODE(in->code) == BPF_ABS) {
			snprintf(buf, sz, "(%02x) r0 = *(%s *)skb[%d]", in->code, size, in->imm);
		} else if (BPF_MODE(in->code) == BPF_IND) {
			snprintf(buf, sz, "(%02x) r0 = *(%s *)skb[r%d + %d]", in->code, size,
				 in->src_reg, in->imm);
		} else if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && left >= 2) {
			uint64_t v = (uint32_t)in[0].imm | (uint64_t)(uint32_t)in[1].imm << 32;

			if (in->src_reg == BPF_PSEUDO_MAP_FD) {
				/* bpftool's form; before loading imm is the map's index */
				snprintf(buf, sz, "(%02x) r%d = map[id:%d]", in->code, in->dst_reg,
					 in->imm);
				return 2;
			}
			snprintf(buf, sz, "(%02x) r%d = 0x%llx", in->code, in->dst_reg,
				 (unsigned long long)v);
			return 2;
		} else {
			snprintf(buf, sz, "BUG_ld_%02x", in->code);
		}
		break;
	}
	return 1;
}

void eb_dump(const struct sniff_ebpf_insn *insns, unsigned len, int style,
	     eb_print_fn fn, void *ctx)
{
	char text[160], line[200];
	unsigned i;

	if (style == 3) {
		snprintf(line, sizeof(line), "%u", len);
		fn(ctx, line);
	}
	for (i = 0; i < len; i++) {
		const struct sniff_ebpf_insn *in = &insns[i];

		switch (style) {
		case 1: {
			int slots = eb_insn_text(in, len - i, text, sizeof(text));

			snprintf(line, sizeof(line), "%4u: %s", i, text);
			fn(ctx, line);
			/* the second half of ld_imm64 has no line of its own */
			i += (unsigned)slots - 1;
			break;
		}
		case 2:
			snprintf(line, sizeof(line), "{ 0x%02x, %u, %u, %d, 0x%08x },", in->code,
				 in->dst_reg, in->src_reg, in->off, (uint32_t)in->imm);
			fn(ctx, line);
			break;
		default:
			snprintf(line, sizeof(line), "%u %u %u %d %d", in->code, in->dst_reg,
				 in->src_reg, in->off, in->imm);
			fn(ctx, line);
			break;
		}
	}
}

static void print_line(void *ctx, const char *line)
{
	fprintf((FILE *)ctx, "%s\n", line);
}

SNIFF_API int sniff_ebpf_dump(const struct sniff_ebpf_prog *prog, int style, FILE *out)
{
	if (!prog || !out || (style < 1 || style > 3) || (prog->len && !prog->insns))
		return -EINVAL;
	eb_dump(prog->insns, prog->len, style, print_line, out);
	return ferror(out) ? -EIO : 0;
}
