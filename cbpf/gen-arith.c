/* gen-arith.c - arithmetic expressions and relations: len, numbers,
 * proto[expr:size] loads, + - * / % & | ^ << >>, unary minus, relops,
 * less/greater and `byte` (libpcap's gen_loadi, gen_load, gen_arth,
 * gen_neg, gen_relation, gen_len, gen_byteop).
 *
 * Every value lives in a scratch register, as in libpcap, so the
 * unoptimized programs have libpcap's shape; the optimizer removes the
 * stores. Quirks kept on purpose because they decide packets: the protocol
 * test of a binary operator's right operand is dropped (libpcap's gen_arth
 * does so) and `byte N & V` tests the accumulator without loading byte N.
 */
#include "gen.h"

struct arth {
	struct gsl s;
	int reg;
	struct gb b;     /* protocol tests the value needs, when has_b */
	int has_b;
};

static void add_b(struct gen *s, struct arth *a, struct gb b)
{
	/* earlier tests run first */
	a->b = a->has_b ? gen_and(s, a->b, b) : b;
	a->has_b = 1;
}

static struct arth loadi(struct gen *s, uint32_t v)
{
	struct arth a = { .reg = gen_alloc_reg(s) };

	gsl_add(s, &a.s, BPF_LD | BPF_IMM, v);
	gsl_add(s, &a.s, BPF_ST, (uint32_t)a.reg);
	return a;
}

static struct arth loadlen(struct gen *s)
{
	struct arth a = { .reg = gen_alloc_reg(s) };

	gsl_add(s, &a.s, BPF_LD | BPF_LEN | BPF_W, 0);
	gsl_add(s, &a.s, BPF_ST, (uint32_t)a.reg);
	return a;
}

/* X = variable part of BASE (if any) + index, then load at X + k. */
static void load_ind(struct gen *s, struct arth *in, struct goff *base, uint32_t k, uint16_t size)
{
	struct gsl l = gen_abs_offset_varpart(s, base);

	if (l.n) {
		gsl_add(s, &l, BPF_LD | BPF_MEM, (uint32_t)in->reg);
		gsl_add(s, &l, BPF_ALU | BPF_ADD | BPF_X, 0);
		gsl_add(s, &l, BPF_MISC | BPF_TAX, 0);
	} else {
		gsl_add(s, &l, BPF_LDX | BPF_MEM, (uint32_t)in->reg);
	}
	gsl_add(s, &l, BPF_LD | BPF_IND | size, k);
	gsl_cat(s, &in->s, &l);
}

static struct arth gen_load(struct gen *s, const struct node *n, struct arth in)
{
	int reg = gen_alloc_reg(s);
	uint16_t size;
	struct gsl l;
	struct gb b;
	int p = n->q.proto;

	gen_free_reg(s, in.reg);
	switch (n->num) {
	case 1: size = BPF_B; break;
	case 2: size = BPF_H; break;
	case 4: size = BPF_W; break;
	default: gen_fail(s, "data size must be 1, 2, or 4");
	}
	switch (p) {
	case QP_LINK:
		load_ind(s, &in, &s->off_linkhdr, s->off_linkhdr.c, size);
		break;
	case QP_IP:
	case QP_ARP:
	case QP_RARP:
	case QP_ATALK:
	case QP_DECNET:
	case QP_SCA:
	case QP_LAT:
	case QP_MOPRC:
	case QP_MOPDL:
	case QP_IPV6:
		/* relative to the network-layer header */
		load_ind(s, &in, &s->off_linkpl, s->off_linkpl.c + s->off_nl, size);
		add_b(s, &in, gen_proto_abbrev(s, p));
		break;
	case QP_SCTP:
	case QP_TCP:
	case QP_UDP:
	case QP_ICMP:
	case QP_IGMP:
	case QP_IGRP:
	case QP_PIM:
	case QP_VRRP:
	case QP_CARP:
		/* relative to the transport header after the IPv4 header */
		l = gen_loadx_iphdrlen(s);
		gsl_add(s, &l, BPF_LD | BPF_MEM, (uint32_t)in.reg);
		gsl_add(s, &l, BPF_ALU | BPF_ADD | BPF_X, 0);
		gsl_add(s, &l, BPF_MISC | BPF_TAX, 0);
		gsl_add(s, &l, BPF_LD | BPF_IND | size, s->off_linkpl.c + s->off_nl);
		gsl_cat(s, &in.s, &l);
		b = gen_proto_abbrev(s, p);
		{
			/* first fragment or unfragmented IPv4 only */
			struct gsl f = gen_load_a(s, OR_LINKPL, 6, BPF_H);

			b = gen_and(s, b, gen_not(gen_jmp(s, &f, BPF_JSET | BPF_K, 0x1fff)));
		}
		if (in.has_b)
			b = gen_and(s, in.b, b);
		in.b = gen_and(s, gen_proto_abbrev(s, QP_IP), b);
		in.has_b = 1;
		break;
	case QP_ICMPV6:
		add_b(s, &in, gen_proto_abbrev(s, QP_IPV6));
		add_b(s, &in, gen_cmp(s, OR_LINKPL, 6, BPF_B, 58));
		load_ind(s, &in, &s->off_linkpl, s->off_linkpl.c + s->off_nl + 40, size);
		break;
	default:
		gen_fail(s, "'%s[]' is not supported: unsupported index operation",
			 n->s ? n->s : "proto");
	}
	in.reg = reg;
	gsl_add(s, &in.s, BPF_ST, (uint32_t)reg);
	return in;
}

static int is_imm(const struct arth *a, uint32_t *k)
{
	if (a->s.n && gsl_stmts(&a->s)[0].code == (BPF_LD | BPF_IMM)) {
		*k = gsl_stmts(&a->s)[0].k;
		return 1;
	}
	return 0;
}

static struct arth gen_arth(struct gen *s, const struct node *n, uint16_t code,
			    struct arth a0, struct arth a1)
{
	uint32_t k;

	if (is_imm(&a1, &k)) {
		if (code == BPF_DIV && k == 0)
			gen_fail_at(s, n->rhs->pos, n->rhs->len, "division by zero");
		if (code == BPF_MOD && k == 0)
			gen_fail_at(s, n->rhs->pos, n->rhs->len, "modulus by zero");
		if ((code == BPF_LSH || code == BPF_RSH) && k > 31)
			gen_fail_at(s, n->rhs->pos, n->rhs->len, "shift by more than 31 bits");
	}
	gsl_cat(s, &a0.s, &a1.s);
	gsl_add(s, &a0.s, BPF_LDX | BPF_MEM, (uint32_t)a1.reg);
	gsl_add(s, &a0.s, BPF_LD | BPF_MEM, (uint32_t)a0.reg);
	gsl_add(s, &a0.s, BPF_ALU | BPF_X | code, 0);
	gen_free_reg(s, a0.reg);
	gen_free_reg(s, a1.reg);
	a0.reg = gen_alloc_reg(s);
	gsl_add(s, &a0.s, BPF_ST, (uint32_t)a0.reg);
	return a0;
}

static struct arth gen_arth_node(struct gen *s, const struct node *n)
{
	struct arth a0, a1;
	uint16_t code;

	switch (n->kind) {
	case ND_NUM:
		return loadi(s, n->num);
	case ND_LEN:
		return loadlen(s);
	case ND_LOAD:
		a0 = gen_arth_node(s, n->lhs);
		return gen_load(s, n, a0);
	case ND_NEG:
		a0 = gen_arth_node(s, n->lhs);
		gsl_add(s, &a0.s, BPF_LD | BPF_MEM, (uint32_t)a0.reg);
		gsl_add(s, &a0.s, BPF_ALU | BPF_NEG, 0);
		gsl_add(s, &a0.s, BPF_ST, (uint32_t)a0.reg);
		return a0;
	case ND_ADD:  code = BPF_ADD; break;
	case ND_SUB:  code = BPF_SUB; break;
	case ND_MUL:  code = BPF_MUL; break;
	case ND_DIV:  code = BPF_DIV; break;
	case ND_MOD:  code = BPF_MOD; break;
	case ND_BAND: code = BPF_AND; break;
	case ND_BOR:  code = BPF_OR; break;
	case ND_XOR:  code = BPF_XOR; break;
	case ND_SHL:  code = BPF_LSH; break;
	case ND_SHR:  code = BPF_RSH; break;
	default:
		gen_fail_at(s, n->pos, n->len, "a filter expression is not a value");
	}
	a0 = gen_arth_node(s, n->lhs);
	a1 = gen_arth_node(s, n->rhs);
	return gen_arth(s, n, code, a0, a1);
}

struct gb gen_relation_node(struct gen *s, const struct node *n)
{
	struct arth a0 = gen_arth_node(s, n->lhs);
	struct arth a1 = gen_arth_node(s, n->rhs);
	uint16_t jop;
	int reversed = 0;
	struct gsl l = { 0 };
	struct gb b;

	switch (n->op) {
	case REL_GT: jop = BPF_JGT; break;
	case REL_GE: jop = BPF_JGE; break;
	case REL_EQ: jop = BPF_JEQ; break;
	case REL_NE: jop = BPF_JEQ; reversed = 1; break;
	case REL_LT: jop = BPF_JGE; reversed = 1; break;
	case REL_LE: jop = BPF_JGT; reversed = 1; break;
	default: gen_fail(s, "bad relational operator");
	}
	gsl_cat(s, &l, &a0.s);
	gsl_cat(s, &l, &a1.s);
	gsl_add(s, &l, BPF_LDX | BPF_MEM, (uint32_t)a1.reg);
	gsl_add(s, &l, BPF_LD | BPF_MEM, (uint32_t)a0.reg);
	if (jop == BPF_JEQ) {
		/* libpcap compares A - X with 0 */
		gsl_add(s, &l, BPF_ALU | BPF_SUB | BPF_X, 0);
		b = gen_jmp(s, &l, BPF_JEQ | BPF_K, 0);
	} else {
		b = gen_jmp(s, &l, jop | BPF_X, 0);
	}
	if (reversed)
		b = gen_not(b);
	gen_free_reg(s, a0.reg);
	gen_free_reg(s, a1.reg);
	if (a0.has_b && a1.has_b)
		return gen_and(s, gen_and(s, a0.b, a1.b), b);
	if (a0.has_b)
		return gen_and(s, a0.b, b);
	if (a1.has_b)
		return gen_and(s, a1.b, b);
	return b;
}

struct gb gen_len(struct gen *s, uint16_t jop, uint32_t v)
{
	struct gsl l = { 0 };

	gsl_add(s, &l, BPF_LD | BPF_LEN | BPF_W, 0);
	return gen_jmp(s, &l, jop | BPF_K, v);
}

struct gb gen_byteop(struct gen *s, const struct node *n)
{
	struct gsl l = { 0 };

	if (n->num2 > 255)
		gen_fail(s, "byte argument %u greater than maximum 255", n->num2);
	switch (n->op) {
	case REL_EQ:
		return gen_cmp(s, OR_LINKHDR, n->num, BPF_B, n->num2);
	case REL_LT:
		return gen_cmp_lt(s, OR_LINKHDR, n->num, BPF_B, n->num2);
	case REL_GT:
		return gen_cmp_gt(s, OR_LINKHDR, n->num, BPF_B, n->num2);
	case REL_OR:
	case REL_AND:
		/* libpcap 1.10.3 forgot the load and tested whatever A held;
		 * master (and sniff) load the byte first */
		l = gen_load_a(s, OR_LINKHDR, n->num, BPF_B);
		gsl_add(s, &l, BPF_ALU | (n->op == REL_OR ? BPF_OR : BPF_AND) | BPF_K, n->num2);
		break;
	default:
		gen_fail(s, "bad operator for 'byte'");
	}
	return gen_not(gen_jmp(s, &l, BPF_JEQ | BPF_K, 0));
}
