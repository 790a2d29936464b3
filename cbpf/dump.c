/* cbpf/dump.c - tcpdump's -d, -dd and -ddd listings, byte for byte what
 * libpcap's bpf_image() / bpf_dump() print (Debian's libpcap 1.10.3 is the
 * oracle in tests/test_cbpf.c), driven by one table indexed by opcode.
 *
 * libpcap quirks kept on purpose: ldx #pktlen (0x81) is printed as unimp;
 * "ret a" prints no operand; k is signed decimal for ret, ld/st offsets and
 * add/sub/mul/div/mod/lsh/rsh but hex for ld #k, and/or/xor and jumps; ja
 * prints its absolute target; known ancillary loads print a name.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cbpf.h"

enum operand {
	OP_UNIMP,   /* 0x<code>, op "unimp" */
	OP_NONE,    /* (nothing) */
	OP_X,       /* x */
	OP_HEX,     /* #0x<k> */
	OP_DEC,     /* #<signed k> */
	OP_ABS,     /* [<signed k>] or [<ancillary name>] */
	OP_IND,     /* [x + <signed k>] */
	OP_MSH,     /* 4*([<signed k>]&0xf) */
	OP_MEM,     /* M[<signed k>] */
	OP_PKTLEN,  /* #pktlen */
	OP_TARGET,  /* <pc + 1 + k>, ja's absolute target */
};

struct insn_fmt {
	const char *name;
	enum operand operand;
};

static const struct insn_fmt fmts[256] = {
	[BPF_RET | BPF_K]             = { "ret", OP_DEC },
	[BPF_RET | BPF_A]             = { "ret", OP_NONE },
	[BPF_LD | BPF_W | BPF_ABS]    = { "ld", OP_ABS },
	[BPF_LD | BPF_H | BPF_ABS]    = { "ldh", OP_ABS },
	[BPF_LD | BPF_B | BPF_ABS]    = { "ldb", OP_ABS },
	[BPF_LD | BPF_W | BPF_LEN]    = { "ld", OP_PKTLEN },
	[BPF_LD | BPF_W | BPF_IND]    = { "ld", OP_IND },
	[BPF_LD | BPF_H | BPF_IND]    = { "ldh", OP_IND },
	[BPF_LD | BPF_B | BPF_IND]    = { "ldb", OP_IND },
	[BPF_LD | BPF_IMM]            = { "ld", OP_HEX },
	[BPF_LDX | BPF_IMM]           = { "ldx", OP_HEX },
	[BPF_LDX | BPF_MSH | BPF_B]   = { "ldxb", OP_MSH },
	[BPF_LD | BPF_MEM]            = { "ld", OP_MEM },
	[BPF_LDX | BPF_MEM]           = { "ldx", OP_MEM },
	[BPF_ST]                      = { "st", OP_MEM },
	[BPF_STX]                     = { "stx", OP_MEM },
	[BPF_JMP | BPF_JA]            = { "ja", OP_TARGET },
	[BPF_JMP | BPF_JGT | BPF_K]   = { "jgt", OP_HEX },
	[BPF_JMP | BPF_JGE | BPF_K]   = { "jge", OP_HEX },
	[BPF_JMP | BPF_JEQ | BPF_K]   = { "jeq", OP_HEX },
	[BPF_JMP | BPF_JSET | BPF_K]  = { "jset", OP_HEX },
	[BPF_JMP | BPF_JGT | BPF_X]   = { "jgt", OP_X },
	[BPF_JMP | BPF_JGE | BPF_X]   = { "jge", OP_X },
	[BPF_JMP | BPF_JEQ | BPF_X]   = { "jeq", OP_X },
	[BPF_JMP | BPF_JSET | BPF_X]  = { "jset", OP_X },
	[BPF_ALU | BPF_ADD | BPF_X]   = { "add", OP_X },
	[BPF_ALU | BPF_SUB | BPF_X]   = { "sub", OP_X },
	[BPF_ALU | BPF_MUL | BPF_X]   = { "mul", OP_X },
	[BPF_ALU | BPF_DIV | BPF_X]   = { "div", OP_X },
	[BPF_ALU | BPF_MOD | BPF_X]   = { "mod", OP_X },
	[BPF_ALU | BPF_AND | BPF_X]   = { "and", OP_X },
	[BPF_ALU | BPF_OR | BPF_X]    = { "or", OP_X },
	[BPF_ALU | BPF_XOR | BPF_X]   = { "xor", OP_X },
	[BPF_ALU | BPF_LSH | BPF_X]   = { "lsh", OP_X },
	[BPF_ALU | BPF_RSH | BPF_X]   = { "rsh", OP_X },
	[BPF_ALU | BPF_ADD | BPF_K]   = { "add", OP_DEC },
	[BPF_ALU | BPF_SUB | BPF_K]   = { "sub", OP_DEC },
	[BPF_ALU | BPF_MUL | BPF_K]   = { "mul", OP_DEC },
	[BPF_ALU | BPF_DIV | BPF_K]   = { "div", OP_DEC },
	[BPF_ALU | BPF_MOD | BPF_K]   = { "mod", OP_DEC },
	[BPF_ALU | BPF_AND | BPF_K]   = { "and", OP_HEX },
	[BPF_ALU | BPF_OR | BPF_K]    = { "or", OP_HEX },
	[BPF_ALU | BPF_XOR | BPF_K]   = { "xor", OP_HEX },
	[BPF_ALU | BPF_LSH | BPF_K]   = { "lsh", OP_DEC },
	[BPF_ALU | BPF_RSH | BPF_K]   = { "rsh", OP_DEC },
	[BPF_ALU | BPF_NEG]           = { "neg", OP_NONE },
	[BPF_MISC | BPF_TAX]          = { "tax", OP_NONE },
	[BPF_MISC | BPF_TXA]          = { "txa", OP_NONE },
};

/* libpcap's names for ld/ldh/ldb [SKF_AD_OFF + n] */
static const char *const anc_names[SKF_AD_MAX] = {
	[SKF_AD_PROTOCOL]         = "proto",
	[SKF_AD_PKTTYPE]          = "type",
	[SKF_AD_IFINDEX]          = "ifidx",
	[SKF_AD_NLATTR]           = "nla",
	[SKF_AD_NLATTR_NEST]      = "nlan",
	[SKF_AD_MARK]             = "mark",
	[SKF_AD_QUEUE]            = "queue",
	[SKF_AD_HATYPE]           = "hatype",
	[SKF_AD_RXHASH]           = "rxhash",
	[SKF_AD_CPU]              = "cpu",
	[SKF_AD_ALU_XOR_X]        = "xor_x",
	[SKF_AD_VLAN_TAG]         = "vlan_tci",
	[SKF_AD_VLAN_TAG_PRESENT] = "vlanp",
	[SKF_AD_PAY_OFFSET]       = "poff",
	[SKF_AD_RANDOM]           = "random",
	[SKF_AD_VLAN_TPID]        = "vlan_tpid",
};

const char *cb_anc_name(uint32_t k)
{
	uint32_t off = k - (uint32_t)SKF_AD_OFF;

	if (k < (uint32_t)SKF_AD_OFF || off >= SKF_AD_MAX)
		return NULL;
	return anc_names[off];
}

static void operand_text(const struct sniff_insn *in, unsigned pc, char *buf, size_t sz)
{
	const struct insn_fmt *f = in->code < 256 ? &fmts[in->code] : NULL;
	enum operand o = f && f->name ? f->operand : OP_UNIMP;
	int32_t sk = (int32_t)in->k;
	const char *name;

	switch (o) {
	case OP_UNIMP:  snprintf(buf, sz, "0x%x", in->code); break;
	case OP_NONE:   snprintf(buf, sz, "%s", ""); break;
	case OP_X:      snprintf(buf, sz, "x"); break;
	case OP_HEX:    snprintf(buf, sz, "#0x%x", in->k); break;
	case OP_DEC:    snprintf(buf, sz, "#%d", sk); break;
	case OP_IND:    snprintf(buf, sz, "[x + %d]", sk); break;
	case OP_MSH:    snprintf(buf, sz, "4*([%d]&0xf)", sk); break;
	case OP_MEM:    snprintf(buf, sz, "M[%d]", sk); break;
	case OP_PKTLEN: snprintf(buf, sz, "#pktlen"); break;
	/* int arithmetic as libpcap does it: the target wraps like its %d */
	case OP_TARGET: snprintf(buf, sz, "%d", (int32_t)((uint32_t)pc + 1u + in->k)); break;
	case OP_ABS:
		name = cb_anc_name(in->k);
		if (name)
			snprintf(buf, sz, "[%s]", name);
		else
			snprintf(buf, sz, "[%d]", sk);
		break;
	}
}

static int has_targets(uint16_t code)
{
	return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

void cb_insn_text(const struct sniff_insn *in, unsigned pc, char *buf, size_t sz)
{
	const char *name = in->code < 256 && fmts[in->code].name ? fmts[in->code].name : "unimp";
	char operand[64];

	operand_text(in, pc, operand, sizeof(operand));
	if (has_targets(in->code))
		snprintf(buf, sz, "%-8s %-16s jt %d\tjf %d", name, operand,
			 (int)pc + 1 + in->jt, (int)pc + 1 + in->jf);
	else
		snprintf(buf, sz, "%-8s %s", name, operand);
}

void cb_dump(const struct sniff_insn *insns, unsigned len, int style, cb_print_fn fn, void *ctx)
{
	char line[160], text[128];
	unsigned i;

	if (style >= 3) {
		snprintf(line, sizeof(line), "%u", len);
		fn(ctx, line);
	}
	for (i = 0; i < len; i++) {
		const struct sniff_insn *in = &insns[i];

		if (style >= 3) {
			snprintf(line, sizeof(line), "%u %u %u %u", in->code, in->jt, in->jf, in->k);
		} else if (style == 2) {
			snprintf(line, sizeof(line), "{ 0x%x, %d, %d, 0x%08x },",
				 in->code, in->jt, in->jf, in->k);
		} else {
			cb_insn_text(in, i, text, sizeof(text));
			snprintf(line, sizeof(line), "(%03d) %s", (int)i, text);
		}
		fn(ctx, line);
	}
}

static void print_line(void *ctx, const char *line)
{
	FILE *out = ctx;

	fputs(line, out);
	fputc('\n', out);
}

SNIFF_API int sniff_prog_dump(const struct sniff_prog *prog, int style, FILE *out)
{
	if (!prog || !out || (prog->len && !prog->insns) || style < 1 || style > 3)
		return -EINVAL;
	cb_dump(prog->insns, prog->len, style, print_line, out);
	return ferror(out) ? -EIO : 0;
}
