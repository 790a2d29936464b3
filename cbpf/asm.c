/* cbpf/asm.c - the reverse of tcpdump -d: "(NNN) op operand [jt A jf B]"
 * lines back into a program, so that asm(dump(p)) == p for every program
 * whose opcodes bpf_image() knows (the corpus' libpcap_program fields are this
 * text). Also takes what dump.c never prints but people write: "ret a",
 * "ldx #pktlen", no "(NNN)" prefix, hex or decimal for any number. The -dd
 * ("{ 0x28, 0, 0, 0x0000000c },") and -ddd (count, then "40 0 0 12") forms
 * are read too; they carry every field, so any program round-trips.
 *
 * Errors point into the text: err->column is the 1-based byte offset of the
 * problem in TEXT, err->length its length, err->msg names the line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbpf.h"

struct asm_state {
	const char *text;       /* whole input, for error columns */
	unsigned line;          /* 1-based */
	struct sniff_error *err;
};

static int asm_error(struct asm_state *st, const char *at, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int asm_error(struct asm_state *st, const char *at, size_t len, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (!st->err)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(st->err->msg, sizeof(st->err->msg), "line %u: %s", st->line, msg);
	st->err->column = (int)(at - st->text) + 1;
	st->err->length = len ? (int)len : 1;
	return -EINVAL;
}

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static bool accept(const char **p, const char *lit)
{
	const char *q = skip_blank(*p);
	size_t n = strlen(lit);

	if (strncmp(q, lit, n))
		return false;
	*p = q + n;
	return true;
}

/* number = ["-"] (decimal | "0x" hex); any value that fits 32 bits either
 * signed or unsigned, returned as its 32-bit pattern. */
static bool number(const char **p, int64_t *v)
{
	const char *q = skip_blank(*p);
	bool neg = false;
	int base = 10;
	uint64_t acc = 0;
	int digits = 0;

	if (*q == '-') {
		neg = true;
		q++;
	}
	if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) {
		base = 16;
		q += 2;
	}
	for (;; q++, digits++) {
		int d;

		if (*q >= '0' && *q <= '9')
			d = *q - '0';
		else if (base == 16 && *q >= 'a' && *q <= 'f')
			d = *q - 'a' + 10;
		else if (base == 16 && *q >= 'A' && *q <= 'F')
			d = *q - 'A' + 10;
		else
			break;
		acc = acc * (uint64_t)base + (uint64_t)d;
		if (acc > 0xffffffffull)
			return false;
	}
	if (!digits || (neg && acc > 0x80000000ull))
		return false;
	*v = neg ? -(int64_t)acc : (int64_t)acc;
	*p = q;
	return true;
}

static bool number32(const char **p, uint32_t *k)
{
	int64_t v;

	if (!number(p, &v))
		return false;
	*k = (uint32_t)v;
	return true;
}

/* Operand shapes, as dump.c prints them. */
enum shape {
	SH_NONE,    /* (nothing) */
	SH_A,       /* a */
	SH_X,       /* x */
	SH_IMM,     /* #k */
	SH_PKTLEN,  /* #pktlen  (also #len) */
	SH_ABS,     /* [k] or [ancillary name] */
	SH_IND,     /* [x + k] */
	SH_MSH,     /* 4*([k]&0xf) */
	SH_MEM,     /* M[k] */
	SH_NUM,     /* k (ja's target, unimp's code) */
};

static int anc_lookup(const char *name, size_t n, uint32_t *k)
{
	uint32_t off;

	for (off = 0; off < SKF_AD_MAX; off++) {
		const char *s = cb_anc_name((uint32_t)SKF_AD_OFF + off);

		if (s && strlen(s) == n && !strncmp(s, name, n)) {
			*k = (uint32_t)SKF_AD_OFF + off;
			return 0;
		}
	}
	return -1;
}

/* operand = "" | "a" | "x" | "#" number | "#pktlen" | "[" number "]"
 *         | "[" name "]" | "[x + " number "]" | "4*([" number "]&0xf)"
 *         | "M[" number "]" | number */
static int operand(struct asm_state *st, const char **p, enum shape *sh, uint32_t *k)
{
	const char *q = skip_blank(*p), *start = q;

	*k = 0;
	if (*q == '\0' || *q == '\n' || !strncmp(q, "jt", 2)) {
		*sh = SH_NONE;
	} else if (accept(&q, "#pktlen") || accept(&q, "#len")) {
		*sh = SH_PKTLEN;
	} else if (accept(&q, "#")) {
		*sh = SH_IMM;
		if (!number32(&q, k))
			return asm_error(st, start, 1, "bad immediate");
	} else if (accept(&q, "M[")) {
		*sh = SH_MEM;
		if (!number32(&q, k) || !accept(&q, "]"))
			return asm_error(st, start, 1, "bad M[k] operand");
	} else if (accept(&q, "4*([")) {
		*sh = SH_MSH;
		if (!number32(&q, k) || !accept(&q, "]&0xf)"))
			return asm_error(st, start, 1, "bad 4*([k]&0xf) operand");
	} else if (accept(&q, "[")) {
		const char *r = q;

		/* "[x + k]", but "[xor_x]" is an ancillary name */
		if (accept(&r, "x") && accept(&r, "+")) {
			*sh = SH_IND;
			q = r;
			if (!number32(&q, k) || !accept(&q, "]"))
				return asm_error(st, start, 1, "bad [x + k] operand");
		} else if (number32(&q, k)) {
			*sh = SH_ABS;
			if (!accept(&q, "]"))
				return asm_error(st, start, 1, "missing ]");
		} else {
			const char *name = skip_blank(q);
			size_t n = strcspn(name, "]\n");

			*sh = SH_ABS;
			if (name[n] != ']' || anc_lookup(name, n, k))
				return asm_error(st, name, n, "unknown ancillary field '%.*s'", (int)n, name);
			q = name + n + 1;
		}
	} else if (*q == 'a' && !((q[1] >= 'a' && q[1] <= 'z'))) {
		*sh = SH_A;
		q++;
	} else if (*q == 'x' && !((q[1] >= 'a' && q[1] <= 'z'))) {
		*sh = SH_X;
		q++;
	} else if (number32(&q, k)) {
		*sh = SH_NUM;
	} else {
		return asm_error(st, start, strcspn(start, " \t\n"), "cannot read operand");
	}
	*p = q;
	return 0;
}

/* Which opcode an (op, operand shape) pair is. */
struct form {
	const char *op;
	enum shape sh;
	uint16_t code;
};

static const struct form forms[] = {
	{ "ld",   SH_ABS,    BPF_LD | BPF_W | BPF_ABS },
	{ "ldh",  SH_ABS,    BPF_LD | BPF_H | BPF_ABS },
	{ "ldb",  SH_ABS,    BPF_LD | BPF_B | BPF_ABS },
	{ "ld",   SH_IND,    BPF_LD | BPF_W | BPF_IND },
	{ "ldh",  SH_IND,    BPF_LD | BPF_H | BPF_IND },
	{ "ldb",  SH_IND,    BPF_LD | BPF_B | BPF_IND },
	{ "ld",   SH_PKTLEN, BPF_LD | BPF_W | BPF_LEN },
	{ "ldx",  SH_PKTLEN, BPF_LDX | BPF_W | BPF_LEN },
	{ "ld",   SH_IMM,    BPF_LD | BPF_IMM },
	{ "ldx",  SH_IMM,    BPF_LDX | BPF_IMM },
	{ "ld",   SH_MEM,    BPF_LD | BPF_MEM },
	{ "ldx",  SH_MEM,    BPF_LDX | BPF_MEM },
	{ "ldxb", SH_MSH,    BPF_LDX | BPF_MSH | BPF_B },
	{ "st",   SH_MEM,    BPF_ST },
	{ "stx",  SH_MEM,    BPF_STX },
	{ "ret",  SH_IMM,    BPF_RET | BPF_K },
	{ "ret",  SH_NONE,   BPF_RET | BPF_A },
	{ "ret",  SH_A,      BPF_RET | BPF_A },
	{ "tax",  SH_NONE,   BPF_MISC | BPF_TAX },
	{ "txa",  SH_NONE,   BPF_MISC | BPF_TXA },
	{ "neg",  SH_NONE,   BPF_ALU | BPF_NEG },
	{ "ja",   SH_NUM,    BPF_JMP | BPF_JA },
	{ "jeq",  SH_IMM,    BPF_JMP | BPF_JEQ | BPF_K },
	{ "jeq",  SH_X,      BPF_JMP | BPF_JEQ | BPF_X },
	{ "jgt",  SH_IMM,    BPF_JMP | BPF_JGT | BPF_K },
	{ "jgt",  SH_X,      BPF_JMP | BPF_JGT | BPF_X },
	{ "jge",  SH_IMM,    BPF_JMP | BPF_JGE | BPF_K },
	{ "jge",  SH_X,      BPF_JMP | BPF_JGE | BPF_X },
	{ "jset", SH_IMM,    BPF_JMP | BPF_JSET | BPF_K },
	{ "jset", SH_X,      BPF_JMP | BPF_JSET | BPF_X },
	{ "add",  SH_IMM,    BPF_ALU | BPF_ADD | BPF_K },
	{ "add",  SH_X,      BPF_ALU | BPF_ADD | BPF_X },
	{ "sub",  SH_IMM,    BPF_ALU | BPF_SUB | BPF_K },
	{ "sub",  SH_X,      BPF_ALU | BPF_SUB | BPF_X },
	{ "mul",  SH_IMM,    BPF_ALU | BPF_MUL | BPF_K },
	{ "mul",  SH_X,      BPF_ALU | BPF_MUL | BPF_X },
	{ "div",  SH_IMM,    BPF_ALU | BPF_DIV | BPF_K },
	{ "div",  SH_X,      BPF_ALU | BPF_DIV | BPF_X },
	{ "mod",  SH_IMM,    BPF_ALU | BPF_MOD | BPF_K },
	{ "mod",  SH_X,      BPF_ALU | BPF_MOD | BPF_X },
	{ "and",  SH_IMM,    BPF_ALU | BPF_AND | BPF_K },
	{ "and",  SH_X,      BPF_ALU | BPF_AND | BPF_X },
	{ "or",   SH_IMM,    BPF_ALU | BPF_OR | BPF_K },
	{ "or",   SH_X,      BPF_ALU | BPF_OR | BPF_X },
	{ "xor",  SH_IMM,    BPF_ALU | BPF_XOR | BPF_K },
	{ "xor",  SH_X,      BPF_ALU | BPF_XOR | BPF_X },
	{ "lsh",  SH_IMM,    BPF_ALU | BPF_LSH | BPF_K },
	{ "lsh",  SH_X,      BPF_ALU | BPF_LSH | BPF_X },
	{ "rsh",  SH_IMM,    BPF_ALU | BPF_RSH | BPF_K },
	{ "rsh",  SH_X,      BPF_ALU | BPF_RSH | BPF_X },
};

/* Jump target (absolute, as printed) -> 8-bit offset from pc + 1. */
static int target(struct asm_state *st, const char *at, int64_t t, unsigned pc, uint8_t *off)
{
	int64_t d = t - (int64_t)pc - 1;

	if (d < 0 || d > 255)
		return asm_error(st, at, 1, "jump target %lld is not in %u..%u",
				 (long long)t, pc + 1, pc + 256);
	*off = (uint8_t)d;
	return 0;
}

/* line = "(" number ")" op operand ["jt" number "jf" number] */
static int asm_line(struct asm_state *st, const char *p, unsigned pc, struct sniff_insn *out)
{
	const char *start = skip_blank(p), *opname, *q;
	size_t oplen, i;
	enum shape sh = SH_NONE;
	int64_t idx;
	uint32_t k;
	int r;

	q = start;
	if (accept(&q, "(")) {
		if (!number(&q, &idx) || !accept(&q, ")"))
			return asm_error(st, start, 1, "bad instruction number");
		if (idx != (int64_t)pc)
			return asm_error(st, start, (size_t)(q - start),
					 "instruction number %lld, expected %u", (long long)idx, pc);
	}
	opname = skip_blank(q);
	oplen = strspn(opname, "abcdefghijklmnopqrstuvwxyz");
	if (!oplen)
		return asm_error(st, opname, 1, "missing instruction name");
	q = opname + oplen;
	r = operand(st, &q, &sh, &k);
	if (r)
		return r;

	memset(out, 0, sizeof(*out));
	if (oplen == 5 && !strncmp(opname, "unimp", 5) && sh == SH_NUM && k <= 0xffff) {
		out->code = (uint16_t)k; /* its k is lost in the text */
	} else {
		for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
			if (forms[i].sh == sh && strlen(forms[i].op) == oplen &&
			    !strncmp(forms[i].op, opname, oplen))
				break;
		if (i == sizeof(forms) / sizeof(forms[0]))
			return asm_error(st, opname, (size_t)(q - opname),
					 "unknown instruction '%.*s'", (int)(q - opname), opname);
		out->code = forms[i].code;
		out->k = k;
		if (out->code == (BPF_JMP | BPF_JA))
			out->k = (uint32_t)((int64_t)(int32_t)k - (int64_t)pc - 1);
	}

	if (BPF_CLASS(out->code) == BPF_JMP && BPF_OP(out->code) != BPF_JA) {
		const char *at;
		int64_t t;

		at = skip_blank(q);
		if (!accept(&q, "jt") || !number(&q, &t))
			return asm_error(st, at, 1, "conditional jump without 'jt N'");
		if ((r = target(st, at, t, pc, &out->jt)))
			return r;
		at = skip_blank(q);
		if (!accept(&q, "jf") || !number(&q, &t))
			return asm_error(st, at, 1, "conditional jump without 'jf N'");
		if ((r = target(st, at, t, pc, &out->jf)))
			return r;
	}
	q = skip_blank(q);
	if (*q && *q != '\n')
		return asm_error(st, q, strcspn(q, "\n"), "unexpected '%.*s'",
				 (int)strcspn(q, "\n"), q);
	return 0;
}

/* Four numbers into one instruction, with their field ranges checked. */
static int fields(struct asm_state *st, const char *at, const int64_t v[4], struct sniff_insn *out)
{
	if (v[0] < 0 || v[0] > 0xffff || v[1] < 0 || v[1] > 255 || v[2] < 0 || v[2] > 255)
		return asm_error(st, at, strcspn(at, "\n"), "code, jt or jf out of range");
	out->code = (uint16_t)v[0];
	out->jt = (uint8_t)v[1];
	out->jf = (uint8_t)v[2];
	out->k = (uint32_t)v[3];
	return 0;
}

/* dd_line = "{" number "," number "," number "," number "}" [","]   (-dd) */
static int asm_line_dd(struct asm_state *st, const char *p, struct sniff_insn *out)
{
	const char *q = p, *at = skip_blank(p);
	int64_t v[4];
	int i;

	if (!accept(&q, "{"))
		return asm_error(st, at, 1, "expected '{'");
	for (i = 0; i < 4; i++)
		if (!number(&q, &v[i]) || !accept(&q, i < 3 ? "," : "}"))
			return asm_error(st, skip_blank(q), 1, "expected { code, jt, jf, k }");
	accept(&q, ",");
	q = skip_blank(q);
	if (*q && *q != '\n')
		return asm_error(st, q, strcspn(q, "\n"), "unexpected text after }");
	return fields(st, at, v, out);
}

/* ddd_line = number number number number   (-ddd, after the count line) */
static int asm_line_ddd(struct asm_state *st, const char *p, struct sniff_insn *out)
{
	const char *q = p, *at = skip_blank(p);
	int64_t v[4];
	int i;

	for (i = 0; i < 4; i++)
		if (!number(&q, &v[i]))
			return asm_error(st, skip_blank(q), 1, "expected code jt jf k");
	q = skip_blank(q);
	if (*q && *q != '\n')
		return asm_error(st, q, strcspn(q, "\n"), "unexpected text after k");
	return fields(st, at, v, out);
}

/* A lone number on the first line is -ddd's count. */
static bool count_line(const char *p, int64_t *count)
{
	const char *q = p;

	if (!number(&q, count))
		return false;
	q = skip_blank(q);
	return *q == '\0' || *q == '\n';
}

/* text = d_line* | dd_line* | count ddd_line*   (tcpdump -d, -dd, -ddd) */
int cb_asm(const char *text, struct sniff_prog *out, struct sniff_error *err)
{
	struct asm_state st = { .text = text, .line = 0, .err = err };
	struct sniff_insn *insns = NULL;
	unsigned n = 0, cap = 0;
	const char *p = text, *count_at = text;
	int style = 0; /* 1, 2, 3 as tcpdump's -d, -dd, -ddd; 0 until the first line */
	int64_t count = -1;
	int r = 0;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!text || !out)
		return -EINVAL;
	while (*p) {
		const char *eol = strchr(p, '\n');
		const char *next = eol ? eol + 1 : p + strlen(p);
		const char *first = skip_blank(p);

		st.line++;
		if (*first == '\n' || *first == '\0') {
			p = next;
			continue;
		}
		if (!style) {
			style = *first == '{' ? 2 : count_line(p, &count) ? 3 : 1;
			if (style == 3) {
				count_at = first;
				p = next;
				continue;
			}
		}
		if (n == cap) {
			unsigned ncap = cap ? 2 * cap : 64;
			struct sniff_insn *t = realloc(insns, ncap * sizeof(*t));

			if (!t) {
				r = -ENOMEM;
				goto fail;
			}
			insns = t;
			cap = ncap;
		}
		r = style == 2 ? asm_line_dd(&st, p, &insns[n]) :
		    style == 3 ? asm_line_ddd(&st, p, &insns[n]) : asm_line(&st, p, n, &insns[n]);
		if (r)
			goto fail;
		n++;
		p = next;
	}
	if (style == 3 && count != (int64_t)n) {
		r = asm_error(&st, count_at, strcspn(count_at, "\n"),
			      "count %lld but %u instructions follow", (long long)count, n);
		goto fail;
	}
	if (n == 0) {
		r = asm_error(&st, text, 0, "no instructions");
		goto fail;
	}
	out->insns = insns;
	out->len = n;
	return 0;
fail:
	free(insns);
	return r;
}
