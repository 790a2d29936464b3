/* gen-protochain.c - `[ip|ip6] protochain N`: is N anywhere in the chain of
 * IPv6 extension headers (hop-by-hop, destination options, routing,
 * fragment) and AH headers?
 *
 * libpcap walks the chain with a backward `ja`, which only its own
 * interpreter runs (the kernel and our validator refuse backward jumps).
 * Here the same walk is unrolled, with the same loads in the same order, so
 * every packet whose chain is no longer than the unrolled rounds gets
 * libpcap's verdict; a longer chain is not matched. A filter's protochains
 * share a budget that keeps the program under the kernel's 4096
 * instructions: one IPv6 walk gets 104 rounds (about 2,800 instructions; the
 * corpus has a 101-header chain), IPv4, where only AH headers chain, 16.
 *
 * For the eBPF path only (gen_opts.protochain_loop), the walk is emitted once, as
 * libpcap does, with a backward `ja` to its head; a counter in M[] ends it
 * after the same number of rounds with "not matched", so its decisions are
 * the unrolled program's, and the verifier sees a bounded loop.
 */
#include "gen.h"

#define PROTOCHAIN_MAX6 104
#define PROTOCHAIN_MAX4 16
#define PROTOCHAIN_MIN 4
#define ETHERTYPE_IP   0x0800
#define ETHERTYPE_IPV6 0x86dd

static struct cb_block *jeq_block(struct gen *s, const struct gsl *l, uint32_t k)
{
	struct cb_block *b = gen_block(s, l);

	b->code = BPF_JMP | BPF_JEQ | BPF_K;
	b->k = k;
	return b;
}

static int protochain_rounds(const struct gen *s, int v6)
{
	int share = s->protochains > 1 ? s->protochains : 1;
	int rounds = (v6 ? PROTOCHAIN_MAX6 : PROTOCHAIN_MAX4) / share;

	return rounds < PROTOCHAIN_MIN ? PROTOCHAIN_MIN : rounds;
}

/* The statements that step over one header and count the round: IPv6
 * extension headers (next at +0, length in 8 bytes minus 1 at +1) or AH
 * (next at +0, length in 4 bytes minus 2 at +1); A = the next header is
 * kept in M[reg] meanwhile, as libpcap does. */
static void advance_stmts(struct gen *s, struct gsl *a, uint32_t base, int reg, int ah)
{
	if (!ah) {
		gsl_add(s, a, BPF_LD | BPF_IND | BPF_B, base);
		gsl_add(s, a, BPF_ST, (uint32_t)reg);
		gsl_add(s, a, BPF_LD | BPF_IND | BPF_B, base + 1);
		gsl_add(s, a, BPF_ALU | BPF_ADD | BPF_K, 1);
		gsl_add(s, a, BPF_ALU | BPF_MUL | BPF_K, 8);
		gsl_add(s, a, BPF_ALU | BPF_ADD | BPF_X, 0);
		gsl_add(s, a, BPF_MISC | BPF_TAX, 0);
	} else {
		gsl_add(s, a, BPF_MISC | BPF_TXA, 0);
		gsl_add(s, a, BPF_LD | BPF_IND | BPF_B, base);
		gsl_add(s, a, BPF_ST, (uint32_t)reg);
		gsl_add(s, a, BPF_MISC | BPF_TXA, 0);
		gsl_add(s, a, BPF_ALU | BPF_ADD | BPF_K, 1);
		gsl_add(s, a, BPF_MISC | BPF_TAX, 0);
		gsl_add(s, a, BPF_LD | BPF_IND | BPF_B, base);
		gsl_add(s, a, BPF_ALU | BPF_ADD | BPF_K, 2);
		gsl_add(s, a, BPF_ALU | BPF_MUL | BPF_K, 4);
		gsl_add(s, a, BPF_MISC | BPF_TAX, 0);
	}
}

/* The loop form (gen_opts.protochain_loop): the unrolled walk's blocks once, the
 * advances counting rounds in M[cnt] and jumping back to the head. */
static struct gb protochain_loop(struct gen *s, uint32_t v, int v6)
{
	static const uint32_t ext6[] = { 0, 60, 43, 44 };
	uint32_t base = s->off_linkpl.c + s->off_nl;
	int reg = gen_alloc_reg(s), cnt = gen_alloc_reg(s), rounds = protochain_rounds(s, v6);
	struct gb b0 = gen_linktype(s, v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP), r = { 0 };
	struct cb_block *init, *eq, *none, *ah, *adv[2], *back, *prev;
	struct gsl l = { 0 };

	/* M[cnt] = 0, A = the first next-header field, X = where it starts */
	gsl_add(s, &l, BPF_LD | BPF_IMM, 0);
	gsl_add(s, &l, BPF_ST, (uint32_t)cnt);
	if (v6) {
		gsl_add(s, &l, BPF_LD | BPF_ABS | BPF_B, base + 6);
		gsl_add(s, &l, BPF_LDX | BPF_IMM, 40);
	} else {
		gsl_add(s, &l, BPF_LD | BPF_ABS | BPF_B, base + 9);
		gsl_add(s, &l, BPF_LDX | BPF_MSH | BPF_B, base);
	}
	init = gen_block(s, &l);
	eq = jeq_block(s, NULL, v);
	gen_goto(init, eq);
	r.head = init;
	r.t = gen_edge(s, &eq->jt);
	none = jeq_block(s, NULL, 59);
	eq->jf = none;
	r.f = gen_edge(s, &none->jt);
	ah = jeq_block(s, NULL, 51);
	for (int i = 0; i < 2; i++) {
		struct gsl a = { 0 };

		advance_stmts(s, &a, base, reg, i);
		gsl_add(s, &a, BPF_LD | BPF_MEM, (uint32_t)cnt);
		gsl_add(s, &a, BPF_ALU | BPF_ADD | BPF_K, 1);
		gsl_add(s, &a, BPF_ST, (uint32_t)cnt);
		adv[i] = gen_block(s, &a);
		/* round `rounds` done: a longer chain is not matched */
		adv[i]->code = BPF_JMP | BPF_JGE | BPF_K;
		adv[i]->k = (uint32_t)rounds;
		r.f = gen_list_cat(r.f, gen_edge(s, &adv[i]->jt));
	}
	l = (struct gsl){ 0 };
	gsl_add(s, &l, BPF_LD | BPF_MEM, (uint32_t)reg);
	back = gen_block(s, &l);
	gen_goto(back, eq);
	adv[0]->jf = adv[1]->jf = back;
	if (v6) {
		prev = none;
		for (size_t i = 0; i < sizeof(ext6) / sizeof(ext6[0]); i++) {
			struct cb_block *t = jeq_block(s, NULL, ext6[i]);

			prev->jf = t;
			t->jt = adv[0];
			prev = t;
		}
		prev->jf = ah;
	} else {
		struct gsl a = { 0 };
		struct cb_block *nop;

		gsl_add(s, &a, BPF_ALU | BPF_ADD | BPF_K, 0);
		nop = gen_block(s, &a);
		none->jf = nop;
		gen_goto(nop, ah);
	}
	ah->jt = adv[1];
	r.f = gen_list_cat(r.f, gen_edge(s, &ah->jf));
	gen_free_reg(s, cnt);
	gen_free_reg(s, reg);
	return gen_and(s, b0, r);
}

static struct gb protochain1(struct gen *s, uint32_t v, int v6)
{
	static const uint32_t ext6[] = { 0 /* hop-by-hop */, 60 /* dstopts */,
					 43 /* routing */, 44 /* fragment */ };
	uint32_t base = s->off_linkpl.c + s->off_nl;
	int reg = gen_alloc_reg(s);
	struct gb b0 = gen_linktype(s, v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP), r = { 0 };
	struct cb_block *pending[2] = { NULL, NULL }; /* advance blocks: go to the next round */
	struct gsl l = { 0 };
	int rounds = protochain_rounds(s, v6);

	/* A = the first next-header field, X = where the next header starts */
	if (v6) {
		gsl_add(s, &l, BPF_LD | BPF_ABS | BPF_B, base + 6);
		gsl_add(s, &l, BPF_LDX | BPF_IMM, 40);
	} else {
		gsl_add(s, &l, BPF_LD | BPF_ABS | BPF_B, base + 9);
		gsl_add(s, &l, BPF_LDX | BPF_MSH | BPF_B, base);
	}
	for (int it = 0; it < rounds; it++) {
		struct cb_block *eq, *none, *ah, *adv = NULL, *ahadv, *prev;
		struct gsl a = { 0 };

		/* A == N: found; A == 59 (no next header): not found */
		eq = jeq_block(s, &l, v);
		l = (struct gsl){ 0 };
		if (!r.head)
			r.head = eq;
		for (int i = 0; i < 2; i++)
			if (pending[i])
				gen_goto(pending[i], eq);
		r.t = gen_list_cat(r.t, gen_edge(s, &eq->jt));
		none = jeq_block(s, NULL, 59);
		eq->jf = none;
		r.f = gen_list_cat(r.f, gen_edge(s, &none->jt));
		ah = jeq_block(s, NULL, 51);
		if (v6) {
			/* extension header: next at +0, length in 8 bytes minus 1 at +1 */
			gsl_add(s, &a, BPF_LD | BPF_IND | BPF_B, base);
			gsl_add(s, &a, BPF_ST, (uint32_t)reg);
			gsl_add(s, &a, BPF_LD | BPF_IND | BPF_B, base + 1);
			gsl_add(s, &a, BPF_ALU | BPF_ADD | BPF_K, 1);
			gsl_add(s, &a, BPF_ALU | BPF_MUL | BPF_K, 8);
			gsl_add(s, &a, BPF_ALU | BPF_ADD | BPF_X, 0);
			gsl_add(s, &a, BPF_MISC | BPF_TAX, 0);
			gsl_add(s, &a, BPF_LD | BPF_MEM, (uint32_t)reg);
			adv = gen_block(s, &a);
			prev = none;
			for (size_t i = 0; i < sizeof(ext6) / sizeof(ext6[0]); i++) {
				struct cb_block *t = jeq_block(s, NULL, ext6[i]);

				prev->jf = t;
				t->jt = adv;
				prev = t;
			}
			prev->jf = ah;
		} else {
			/* libpcap's `add #0` where the IPv6 tests would be */
			struct cb_block *nop;

			gsl_add(s, &a, BPF_ALU | BPF_ADD | BPF_K, 0);
			nop = gen_block(s, &a);
			none->jf = nop;
			gen_goto(nop, ah);
		}
		/* AH: next at +0, length in 4 bytes minus 2 at +1 */
		a = (struct gsl){ 0 };
		gsl_add(s, &a, BPF_MISC | BPF_TXA, 0);
		gsl_add(s, &a, BPF_LD | BPF_IND | BPF_B, base);
		gsl_add(s, &a, BPF_ST, (uint32_t)reg);
		gsl_add(s, &a, BPF_MISC | BPF_TXA, 0);
		gsl_add(s, &a, BPF_ALU | BPF_ADD | BPF_K, 1);
		gsl_add(s, &a, BPF_MISC | BPF_TAX, 0);
		gsl_add(s, &a, BPF_LD | BPF_IND | BPF_B, base);
		gsl_add(s, &a, BPF_ALU | BPF_ADD | BPF_K, 2);
		gsl_add(s, &a, BPF_ALU | BPF_MUL | BPF_K, 4);
		gsl_add(s, &a, BPF_MISC | BPF_TAX, 0);
		gsl_add(s, &a, BPF_LD | BPF_MEM, (uint32_t)reg);
		ahadv = gen_block(s, &a);
		ah->jt = ahadv;
		r.f = gen_list_cat(r.f, gen_edge(s, &ah->jf));
		pending[0] = adv;
		pending[1] = ahadv;
	}
	/* a chain longer than the unrolled walk is not matched */
	for (int i = 0; i < 2; i++) {
		if (!pending[i])
			continue;
		pending[i]->code = BPF_JMP | BPF_JEQ | BPF_K;
		r.f = gen_list_cat(r.f, gen_edge(s, &pending[i]->jt));
		r.f = gen_list_cat(r.f, gen_edge(s, &pending[i]->jf));
	}
	gen_free_reg(s, reg);
	return gen_and(s, b0, r);
}

struct gb gen_protochain(struct gen *s, uint32_t v, int qproto)
{
	struct gb b0;

	switch (qproto) {
	case QP_IP:
	case QP_IPV6:
		break;
	case QP_DEFAULT:
		b0 = gen_protochain(s, v, QP_IP);
		return gen_or(s, b0, gen_protochain(s, v, QP_IPV6));
	default:
		gen_fail(s, "bad protocol applied for 'protochain'");
	}
	if (s->off_linkpl.var)
		gen_fail(s, "'protochain' not supported with variable length headers");
	if (v > 255)
		gen_fail(s, "protocol number %u greater than maximum 255", v);
	if (s->o->protochain_loop)
		return protochain_loop(s, v, qproto == QP_IPV6);
	return protochain1(s, v, qproto == QP_IPV6);
}
