/* cbpf/validate.c - the kernel's classic BPF checks (net/core/filter.c:
 * bpf_check_basics_ok, chk_code_allowed, bpf_check_classic,
 * check_load_and_stores), so that a program we accept is one that
 * setsockopt(SO_ATTACH_FILTER) accepts, and the interpreter can trust it.
 *
 * Errors name the instruction: err->column is its index + 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbpf.h"

#define CB_MAXINSNS 4096 /* BPF_MAXINSNS */

/* What the checks need to know of each opcode, indexed by the whole 16-bit
 * opcode: 0 (OP_NO) is refused, exactly as the kernel's table (codes past
 * its end are refused too).  One lookup serves every check of an
 * instruction. */
enum op_kind { OP_NO, OP_PLAIN, OP_DIVK, OP_SHIFTK, OP_LDMEM, OP_ST, OP_JA, OP_LDABS, OP_JCOND };

static const unsigned char op_kind[256] = {
	[BPF_ALU | BPF_ADD | BPF_K] = OP_PLAIN,
	[BPF_ALU | BPF_ADD | BPF_X] = OP_PLAIN,
	[BPF_ALU | BPF_SUB | BPF_K] = OP_PLAIN,
	[BPF_ALU | BPF_SUB | BPF_X] = OP_PLAIN,
	[BPF_ALU | BPF_MUL | BPF_K] = OP_PLAIN,
	[BPF_ALU | BPF_MUL | BPF_X] = OP_PLAIN,
	[BPF_ALU | BPF_DIV | BPF_K] = OP_DIVK,
	[BPF_ALU | BPF_DIV | BPF_X] = OP_PLAIN,
	[BPF_ALU | BPF_MOD | BPF_K] = OP_DIVK,
	[BPF_ALU | BPF_MOD | BPF_X] = OP_PLAIN,
	[BPF_ALU | BPF_AND | BPF_K] = OP_PLAIN,
	[BPF_ALU | BPF_AND | BPF_X] = OP_PLAIN,
	[BPF_ALU | BPF_OR | BPF_K] = OP_PLAIN,
	[BPF_ALU | BPF_OR | BPF_X] = OP_PLAIN,
	[BPF_ALU | BPF_XOR | BPF_K] = OP_PLAIN,
	[BPF_ALU | BPF_XOR | BPF_X] = OP_PLAIN,
	[BPF_ALU | BPF_LSH | BPF_K] = OP_SHIFTK,
	[BPF_ALU | BPF_LSH | BPF_X] = OP_PLAIN,
	[BPF_ALU | BPF_RSH | BPF_K] = OP_SHIFTK,
	[BPF_ALU | BPF_RSH | BPF_X] = OP_PLAIN,
	[BPF_ALU | BPF_NEG] = OP_PLAIN,
	[BPF_LD | BPF_W | BPF_ABS] = OP_LDABS,
	[BPF_LD | BPF_H | BPF_ABS] = OP_LDABS,
	[BPF_LD | BPF_B | BPF_ABS] = OP_LDABS,
	[BPF_LD | BPF_W | BPF_LEN] = OP_PLAIN,
	[BPF_LD | BPF_W | BPF_IND] = OP_PLAIN,
	[BPF_LD | BPF_H | BPF_IND] = OP_PLAIN,
	[BPF_LD | BPF_B | BPF_IND] = OP_PLAIN,
	[BPF_LD | BPF_IMM] = OP_PLAIN,
	[BPF_LD | BPF_MEM] = OP_LDMEM,
	[BPF_LDX | BPF_W | BPF_LEN] = OP_PLAIN,
	[BPF_LDX | BPF_B | BPF_MSH] = OP_PLAIN,
	[BPF_LDX | BPF_IMM] = OP_PLAIN,
	[BPF_LDX | BPF_MEM] = OP_LDMEM,
	[BPF_ST] = OP_ST,
	[BPF_STX] = OP_ST,
	[BPF_MISC | BPF_TAX] = OP_PLAIN,
	[BPF_MISC | BPF_TXA] = OP_PLAIN,
	[BPF_RET | BPF_K] = OP_PLAIN,
	[BPF_RET | BPF_A] = OP_PLAIN,
	[BPF_JMP | BPF_JA] = OP_JA,
	[BPF_JMP | BPF_JEQ | BPF_K] = OP_JCOND,
	[BPF_JMP | BPF_JEQ | BPF_X] = OP_JCOND,
	[BPF_JMP | BPF_JGE | BPF_K] = OP_JCOND,
	[BPF_JMP | BPF_JGE | BPF_X] = OP_JCOND,
	[BPF_JMP | BPF_JGT | BPF_K] = OP_JCOND,
	[BPF_JMP | BPF_JGT | BPF_X] = OP_JCOND,
	[BPF_JMP | BPF_JSET | BPF_K] = OP_JCOND,
	[BPF_JMP | BPF_JSET | BPF_X] = OP_JCOND,
};

/* The ancillary fields bpf_anc_helper() knows (offsets past SKF_AD_OFF). */
static const bool anc_known[SKF_AD_MAX] = {
	[SKF_AD_PROTOCOL] = true,
	[SKF_AD_PKTTYPE] = true,
	[SKF_AD_IFINDEX] = true,
	[SKF_AD_NLATTR] = true,
	[SKF_AD_NLATTR_NEST] = true,
	[SKF_AD_MARK] = true,
	[SKF_AD_QUEUE] = true,
	[SKF_AD_HATYPE] = true,
	[SKF_AD_RXHASH] = true,
	[SKF_AD_CPU] = true,
	[SKF_AD_ALU_XOR_X] = true,
	[SKF_AD_VLAN_TAG] = true,
	[SKF_AD_VLAN_TAG_PRESENT] = true,
	[SKF_AD_PAY_OFFSET] = true,
	[SKF_AD_RANDOM] = true,
	[SKF_AD_VLAN_TPID] = true,
};

static int fail(struct sniff_error *err, unsigned pc, bool at_insn, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct sniff_error *err, unsigned pc, bool at_insn, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->column = at_insn ? (int)pc + 1 : 0;
	err->length = at_insn ? 1 : 0;
	return -EINVAL;
}

/* One instruction on its own (bpf_check_classic's loop body), of KIND. */
static int check_insn(const struct sniff_insn *in, unsigned kind, unsigned pc, unsigned len,
		      struct sniff_error *err)
{
	switch (kind) {
	case OP_NO:
		return fail(err, pc, true, "instruction %u: opcode 0x%x is not allowed",
			    pc, in->code);
	case OP_DIVK:
		if (in->k == 0)
			return fail(err, pc, true, "instruction %u: %s by constant 0", pc,
				    in->code == (BPF_ALU | BPF_DIV | BPF_K) ? "division" : "modulo");
		break;
	case OP_SHIFTK:
		if (in->k >= 32)
			return fail(err, pc, true, "instruction %u: shift by constant %u (must be < 32)",
				    pc, in->k);
		break;
	case OP_LDMEM:
	case OP_ST:
		if (in->k >= BPF_MEMWORDS)
			return fail(err, pc, true, "instruction %u: scratch memory M[%u] out of range (0..%d)",
				    pc, in->k, BPF_MEMWORDS - 1);
		break;
	case OP_JA:
		/* k is 32-bit: compare in the kernel's unsigned domain, no overflow */
		if (in->k >= len - pc - 1) {
			if ((int32_t)in->k < 0 && (int64_t)pc + 1 + (int32_t)in->k >= 0)
				return fail(err, pc, true, "instruction %u: ja %d jumps backwards "
					    "(libpcap's protochain does; the kernel refuses it)",
					    pc, (int32_t)in->k);
			return fail(err, pc, true, "instruction %u: ja +%u jumps past the end", pc, in->k);
		}
		break;
	case OP_LDABS:
		if (in->k >= (uint32_t)SKF_AD_OFF) {
			uint32_t off = in->k - (uint32_t)SKF_AD_OFF;

			if (off >= SKF_AD_MAX || !anc_known[off])
				return fail(err, pc, true, "instruction %u: unknown ancillary load SKF_AD_OFF+%u",
					    pc, off);
		}
		break;
	case OP_JCOND:
		if (pc + in->jt + 1 >= len || pc + in->jf + 1 >= len)
			return fail(err, pc, true, "instruction %u: jump target %u is past the end", pc,
				    pc + 1 + (in->jt > in->jf ? in->jt : in->jf));
		break;
	}
	return 0;
}

/* check_load_and_stores: a forward pass over the program. Each instruction's
 * mask is the AND of what is known written on every jump into it and, when
 * the previous instruction falls through, the running set. Like the kernel,
 * the running set is not reset after a ret, so an instruction reached only by
 * jumps after a ret also inherits what was written before that ret. */
static int check_mem(const struct sniff_insn *insns, unsigned len, struct sniff_error *err)
{
	uint16_t stack_masks[CB_MAXINSNS], *masks = stack_masks;
	uint16_t valid = 0;
	unsigned pc;
	int r = 0;

	/* programs past the kernel's limit (up to a million) need the heap */
	if (len > CB_MAXINSNS) {
		masks = malloc(len * sizeof(masks[0]));
		if (!masks) {
			if (err)
				snprintf(err->msg, sizeof(err->msg), "out of memory");
			return -ENOMEM;
		}
	}
	memset(masks, 0xff, len * sizeof(masks[0]));
	for (pc = 0; pc < len; pc++) {
		const struct sniff_insn *in = &insns[pc];

		valid &= masks[pc];
		switch (in->code) {
		case BPF_ST:
		case BPF_STX:
			valid |= (uint16_t)(1u << in->k);
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
			if (!(valid & (1u << in->k))) {
				r = fail(err, pc, true,
					 "instruction %u: M[%u] may be read before it is written",
					 pc, in->k);
				goto out;
			}
			break;
		case BPF_JMP | BPF_JA:
			masks[pc + 1 + in->k] &= valid;
			valid = 0xffff;
			break;
		default:
			if (op_kind[in->code] == OP_JCOND) {
				masks[pc + 1 + in->jt] &= valid;
				masks[pc + 1 + in->jf] &= valid;
				valid = 0xffff;
			}
			break;
		}
	}
out:
	if (masks != stack_masks)
		free(masks);
	return r;
}

int cb_validate_max(const struct sniff_insn *insns, unsigned len, unsigned max,
		    struct sniff_error *err)
{
	unsigned pc;
	uint16_t last;
	bool reads_mem = false;
	int r;

	if (!insns || len == 0 || len > max)
		return fail(err, 0, false, "program length %u is not in 1..%u", insns ? len : 0,
			    max);
	for (pc = 0; pc < len; pc++) {
		uint16_t code = insns[pc].code;
		unsigned kind = code < sizeof(op_kind) ? op_kind[code] : OP_NO;

		/* most instructions have nothing to check past their opcode */
		if (kind == OP_PLAIN)
			continue;
		r = check_insn(&insns[pc], kind, pc, len, err);
		if (r)
			return r;
		reads_mem |= kind == OP_LDMEM;
	}
	last = insns[len - 1].code;
	if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A))
		return fail(err, len - 1, true, "instruction %u: the last instruction is not a ret",
			    len - 1);
	/* the scratch memory pass can only refuse a read: most filters
	 * (every small one) have none, and skip it */
	return reads_mem ? check_mem(insns, len, err) : 0;
}

int cb_validate(const struct sniff_insn *insns, unsigned len, struct sniff_error *err)
{
	return cb_validate_max(insns, len, CB_MAXINSNS, err);
}

SNIFF_API int sniff_prog_validate(const struct sniff_prog *prog, struct sniff_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	if (!prog)
		return fail(err, 0, false, "no program");
	return cb_validate(prog->insns, prog->len, err);
}

SNIFF_API int sniff_prog_validate_max(const struct sniff_prog *prog, unsigned max_len,
				      struct sniff_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	if (!prog)
		return fail(err, 0, false, "no program");
	return cb_validate_max(prog->insns, prog->len, max_len, err);
}
