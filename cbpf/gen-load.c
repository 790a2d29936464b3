/* gen-load.c - loads relative to the layers of the packet, and comparisons
 * (libpcap's gen_load_a, gen_loadx_iphdrlen, gen_ncmp and friends).
 */
#include "gen.h"

/* A variable offset lives in M[reg]: `ldx M[reg]`, or nothing when constant. */
struct gsl gen_abs_offset_varpart(struct gen *s, struct goff *o)
{
	struct gsl l = { 0 };

	if (o->var) {
		if (o->reg < 0)
			o->reg = gen_alloc_reg(s);
		gsl_add(s, &l, BPF_LDX | BPF_MEM, (uint32_t)o->reg);
	}
	return l;
}

/* Inline, and a constant offset (nearly every load) built in place: going
 * through gen_abs_offset_varpart() copied an empty list around first. */
static inline struct gsl load_absoffsetrel(struct gen *s, struct goff *o, uint32_t off,
					   uint16_t size)
{
	struct gsl l = { 0 };

	if (!o->var) {
		gsl_add(s, &l, BPF_LD | BPF_ABS | size, o->c + off);
		return l;
	}
	l = gen_abs_offset_varpart(s, o);
	gsl_add(s, &l, BPF_LD | BPF_IND | size, o->c + off);
	return l;
}

/* X = length of the IPv4 header (plus the variable link offset, if any). */
struct gsl gen_loadx_iphdrlen(struct gen *s)
{
	struct gsl l = { 0 };

	if (s->off_linkpl.var) {
		l = gen_abs_offset_varpart(s, &s->off_linkpl);
		gsl_add(s, &l, BPF_LD | BPF_IND | BPF_B, s->off_nl);
		gsl_add(s, &l, BPF_ALU | BPF_AND | BPF_K, 0xf);
		gsl_add(s, &l, BPF_ALU | BPF_LSH | BPF_K, 2);
		gsl_add(s, &l, BPF_ALU | BPF_ADD | BPF_X, 0);
		gsl_add(s, &l, BPF_MISC | BPF_TAX, 0);
	} else {
		gsl_add(s, &l, BPF_LDX | BPF_MSH | BPF_B, s->off_linkpl.c + s->off_nl);
	}
	return l;
}

struct gsl gen_load_a(struct gen *s, enum goffrel rel, uint32_t off, uint16_t size)
{
	struct gsl l = { 0 };

	switch (rel) {
	case OR_PACKET:
		gsl_add(s, &l, BPF_LD | BPF_ABS | size, off);
		return l;
	case OR_LINKHDR:
		return load_absoffsetrel(s, &s->off_linkhdr, off, size);
	case OR_PREVLINKHDR:
		return load_absoffsetrel(s, &s->off_prevlinkhdr, off, size);
	case OR_LLC:
		return load_absoffsetrel(s, &s->off_linkpl, off, size);
	case OR_PREVMPLSHDR:
		return load_absoffsetrel(s, &s->off_linkpl, s->off_nl - 4 + off, size);
	case OR_LINKPL:
		return load_absoffsetrel(s, &s->off_linkpl, s->off_nl + off, size);
	case OR_LINKPL_NOSNAP:
		return load_absoffsetrel(s, &s->off_linkpl, s->off_nl_nosnap + off, size);
	case OR_LINKTYPE:
		return load_absoffsetrel(s, &s->off_linktype, off, size);
	case OR_TRAN_IPV4:
		l = gen_loadx_iphdrlen(s);
		gsl_add(s, &l, BPF_LD | BPF_IND | size, s->off_linkpl.c + s->off_nl + off);
		return l;
	case OR_TRAN_IPV6:
		return load_absoffsetrel(s, &s->off_linkpl, s->off_nl + 40 + off, size);
	}
	return l;
}

struct gb gen_ncmp(struct gen *s, enum goffrel rel, uint32_t off, uint16_t size,
		   uint32_t mask, uint16_t jop, int reverse, uint32_t v)
{
	struct gsl l = gen_load_a(s, rel, off, size);
	struct gb b;

	if (mask != 0xffffffff)
		gsl_add(s, &l, BPF_ALU | BPF_AND | BPF_K, mask);
	b = gen_jmp(s, &l, jop | BPF_K, v);
	if (reverse && (jop == BPF_JGT || jop == BPF_JGE))
		b = gen_not(b);
	return b;
}

struct gb gen_cmp(struct gen *s, enum goffrel rel, uint32_t off, uint16_t size, uint32_t v)
{
	return gen_ncmp(s, rel, off, size, 0xffffffff, BPF_JEQ, 0, v);
}

struct gb gen_mcmp(struct gen *s, enum goffrel rel, uint32_t off, uint16_t size,
		   uint32_t v, uint32_t mask)
{
	return gen_ncmp(s, rel, off, size, mask, BPF_JEQ, 0, v);
}

struct gb gen_cmp_gt(struct gen *s, enum goffrel rel, uint32_t off, uint16_t size, uint32_t v)
{
	return gen_ncmp(s, rel, off, size, 0xffffffff, BPF_JGT, 0, v);
}

struct gb gen_cmp_ge(struct gen *s, enum goffrel rel, uint32_t off, uint16_t size, uint32_t v)
{
	return gen_ncmp(s, rel, off, size, 0xffffffff, BPF_JGE, 0, v);
}

struct gb gen_cmp_lt(struct gen *s, enum goffrel rel, uint32_t off, uint16_t size, uint32_t v)
{
	return gen_ncmp(s, rel, off, size, 0xffffffff, BPF_JGE, 1, v);
}

struct gb gen_cmp_le(struct gen *s, enum goffrel rel, uint32_t off, uint16_t size, uint32_t v)
{
	return gen_ncmp(s, rel, off, size, 0xffffffff, BPF_JGT, 1, v);
}

/* Compare SIZE bytes at OFF with V; the last word is tested first, as in
 * libpcap's gen_bcmp, so programs keep its shape. */
struct gb gen_bcmp(struct gen *s, enum goffrel rel, uint32_t off, uint32_t size, const uint8_t *v)
{
	struct gb b = { 0 };
	int have = 0;

	while (size >= 4) {
		const uint8_t *p = &v[size - 4];
		uint32_t w = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			     (uint32_t)p[2] << 8 | p[3];
		struct gb t = gen_cmp(s, rel, off + size - 4, BPF_W, w);

		b = have ? gen_and(s, b, t) : t;
		have = 1;
		size -= 4;
	}
	while (size >= 2) {
		const uint8_t *p = &v[size - 2];
		uint32_t w = (uint32_t)p[0] << 8 | p[1];
		struct gb t = gen_cmp(s, rel, off + size - 2, BPF_H, w);

		b = have ? gen_and(s, b, t) : t;
		have = 1;
		size -= 2;
	}
	if (size > 0) {
		struct gb t = gen_cmp(s, rel, off, BPF_B, v[0]);

		b = have ? gen_and(s, b, t) : t;
	}
	return b;
}
