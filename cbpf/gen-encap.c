/* gen-encap.c - encapsulations that move every later offset: vlan, mpls,
 * pppoed/pppoes, geneve, vxlan (libpcap's gen_vlan*, gen_mpls, gen_pppoe*,
 * gen_geneve*, and master's gen_vxlan*).
 *
 * libpcap writes a few of these as statement lists with jumps inside them;
 * here those jumps are ordinary blocks and edges, which is what the
 * optimizer needs to see (libpcap turns its optimizer off for Geneve).
 */
#include "gen.h"

#define ETHERTYPE_8021Q    0x8100
#define ETHERTYPE_8021AD   0x88a8
#define ETHERTYPE_8021QINQ 0x9100
#define ETHERTYPE_MPLS     0x8847
#define ETHERTYPE_PPPOED   0x8863
#define ETHERTYPE_PPPOES   0x8864
#define ETHERTYPE_TEB      0x6558
#define PPP_MPLS_UCAST     0x0281
#define GENEVE_PORT        6081
#define VXLAN_PORT         4789

/* libpcap's PUSH_LINKHDR: a new link layer starts inside the payload. */
static void push_linkhdr(struct gen *s, int linktype, int var, uint32_t c, int reg)
{
	s->prevlinktype = s->linktype;
	s->off_prevlinkhdr = s->off_linkhdr;
	s->linktype = linktype;
	s->off_linkhdr.var = var;
	s->off_linkhdr.c = c;
	s->off_linkhdr.reg = reg;
	s->off_linkhdr.unset = 0;
	s->is_geneve = 0;
}

/* ---- vlan */

static struct gb vlan_tpid_test(struct gen *s)
{
	struct gb b0 = gen_linktype(s, ETHERTYPE_8021Q), b1;

	b1 = gen_or(s, b0, gen_linktype(s, ETHERTYPE_8021AD));
	return gen_or(s, b1, gen_linktype(s, ETHERTYPE_8021QINQ));
}

static struct gb vlan_vid_test(struct gen *s, uint32_t vid)
{
	if (vid > 0x0fff)
		gen_fail(s, "VLAN tag %u greater than maximum %u", vid, 0x0fff);
	return gen_mcmp(s, OR_LINKPL, 0, BPF_H, vid, 0x0fff);
}

static struct gb vlan_inline(struct gen *s, const struct node *n)
{
	struct gb b0 = vlan_tpid_test(s);

	if (n->has_num)
		b0 = gen_and(s, b0, vlan_vid_test(s, n->num));
	/* the type and the payload both follow the tag */
	s->off_linkpl.c += 4;
	s->off_linktype.c += 4;
	return b0;
}

/* M[off] += v: the tag was inline after all. */
static void vloffset_add(struct gen *s, struct goff *o, uint32_t v, struct gsl *l)
{
	o->var = 1;
	if (o->reg < 0)
		o->reg = gen_alloc_reg(s);
	gsl_add(s, l, BPF_LD | BPF_MEM, (uint32_t)o->reg);
	gsl_add(s, l, BPF_ALU | BPF_ADD | BPF_K, v);
	gsl_add(s, l, BPF_ST, (uint32_t)o->reg);
}

/* Live Linux socket: the kernel usually strips the outer tag into metadata.
 * Tag present in metadata: matched, offsets unchanged. Otherwise the tag is
 * looked for inline and every later offset moves by 4 (at run time, in M[]).
 * The VID comes from the metadata or from the packet, then one mask/test. */
static struct gb vlan_linux(struct gen *s, const struct node *n)
{
	struct gsl l = { 0 };
	struct gb b0, b_tpid, b_vid = { 0 };

	gsl_add(s, &l, BPF_LD | BPF_B | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT));
	b0 = gen_jmp(s, &l, BPF_JEQ | BPF_K, 1);
	b_tpid = vlan_tpid_test(s);
	if (n->has_num)
		b_vid = vlan_vid_test(s, n->num);

	l = (struct gsl){ 0 };
	s->is_vlan_vloffset = 1;
	vloffset_add(s, &s->off_linkpl, 4, &l);
	vloffset_add(s, &s->off_linktype, 4, &l);
	gen_prepend(s, b_tpid.head, &l);
	b0 = gen_or(s, b0, b_tpid);

	if (n->has_num) {
		struct cb_block *test = b_vid.head, *p, *meta, *pkt;
		struct gsl load = { 0 }, last = { 0 };

		/* split the VID block: its loads, then its final `and` + test */
		for (unsigned i = 0; i + 1 < test->nstmts; i++)
			gsl_add(s, &load, test->stmts[i].code, test->stmts[i].k);
		gsl_add(s, &last, test->stmts[test->nstmts - 1].code, test->stmts[test->nstmts - 1].k);
		test->nstmts = 0;
		gen_prepend(s, test, &last);
		pkt = gen_block(s, &load);
		gen_goto(pkt, test);
		l = (struct gsl){ 0 };
		gsl_add(s, &l, BPF_LD | BPF_H | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_VLAN_TAG));
		meta = gen_block(s, &l);
		gen_goto(meta, test);
		l = (struct gsl){ 0 };
		gsl_add(s, &l, BPF_LD | BPF_B | BPF_ABS,
			(uint32_t)(SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT));
		p = gen_block(s, &l);
		p->code = BPF_JMP | BPF_JEQ | BPF_K;
		p->k = 1;
		p->jt = meta;
		p->jf = pkt;
		b_vid.head = p;
		b0 = gen_and(s, b0, b_vid);
	}
	return b0;
}

struct gb gen_vlan(struct gen *s, const struct node *n)
{
	struct gb b;

	if (s->label_stack_depth > 0)
		gen_fail(s, "no VLAN match after MPLS");
	if (s->linktype != SNIFF_DLT_EN10MB)
		gen_fail(s, "no VLAN support for link type %s", gen_linktype_name(s->linktype));
	if (s->linux_ext && s->vlan_stack_depth == 0 && !s->off_linkhdr.var &&
	    s->off_linkhdr.c == s->off_outermostlinkhdr.c)
		b = vlan_linux(s, n);
	else
		b = vlan_inline(s, n);
	s->vlan_stack_depth++;
	return b;
}

/* ---- mpls */

struct gb gen_mpls(struct gen *s, const struct node *n)
{
	struct gb b0;

	if (s->label_stack_depth > 0) {
		/* inside a stack: the previous label is not the bottom one */
		b0 = gen_mcmp(s, OR_PREVMPLSHDR, 2, BPF_B, 0, 0x01);
	} else if (s->linktype == SNIFF_DLT_EN10MB) {
		b0 = gen_linktype(s, ETHERTYPE_MPLS);
	} else if (s->linktype == GEN_DLT_PPP) {
		b0 = gen_linktype(s, PPP_MPLS_UCAST);
	} else {
		gen_fail(s, "no MPLS support for link type %s", gen_linktype_name(s->linktype));
	}
	if (n->has_num) {
		if (n->num > 0xfffff)
			gen_fail(s, "MPLS label %u greater than maximum %u", n->num, 0xfffff);
		/* the label is the top 20 bits of the entry */
		b0 = gen_and(s, b0, gen_mcmp(s, OR_LINKPL, 0, BPF_W, n->num << 12, 0xfffff000));
	}
	s->off_nl_nosnap += 4;
	s->off_nl += 4;
	s->label_stack_depth++;
	return b0;
}

/* ---- pppoe */

struct gb gen_pppoed(struct gen *s)
{
	return gen_linktype(s, ETHERTYPE_PPPOED);
}

struct gb gen_pppoes(struct gen *s, const struct node *n)
{
	struct gb b0 = gen_linktype(s, ETHERTYPE_PPPOES);

	if (n->has_num) {
		if (n->num > 0xffff)
			gen_fail(s, "PPPoE session number %u greater than maximum %u", n->num, 0xffff);
		/* The session id is bytes 2-3 of the PPPoE header. libpcap 1.10.3
		 * loads the first word and masks it; a halfword load at 2 needs
		 * the same bytes present (both end at byte 4) and saves the
		 * `and`, as libpcap master does. */
		b0 = gen_and(s, b0, gen_cmp(s, OR_LINKPL, 2, BPF_H, n->num));
	}
	/* a PPP header follows the 6-byte PPPoE header */
	push_linkhdr(s, GEN_DLT_PPP, s->off_linkpl.var, s->off_linkpl.c + s->off_nl + 6,
		     s->off_linkpl.reg);
	s->off_linktype = s->off_linkhdr;
	s->off_linkpl.c = s->off_linkhdr.c + 2;
	s->off_nl = 0;
	s->off_nl_nosnap = 0;
	return b0;
}

/* ---- geneve and vxlan: UDP tunnels whose payload is (usually) Ethernet */

typedef struct gb (*tunnel_check_fn)(struct gen *, enum goffrel, uint32_t, int);

static struct gb geneve_check(struct gen *s, enum goffrel rel, uint32_t vni, int has_vni)
{
	struct gb b0 = gen_udp_dst_port(s, GENEVE_PORT, rel == OR_TRAN_IPV6);

	/* version 0: the top two bits of the first byte */
	b0 = gen_and(s, b0, gen_mcmp(s, rel, 8, BPF_B, 0, 0xc0));
	if (has_vni) {
		if (vni > 0xffffff)
			gen_fail(s, "Geneve VNI %u greater than maximum %u", vni, 0xffffff);
		b0 = gen_and(s, b0, gen_mcmp(s, rel, 12, BPF_W, vni << 8, 0xffffff00));
	}
	return b0;
}

static struct gb vxlan_check(struct gen *s, enum goffrel rel, uint32_t vni, int has_vni)
{
	struct gb b0 = gen_udp_dst_port(s, VXLAN_PORT, rel == OR_TRAN_IPV6);

	/* the I flag, alone */
	b0 = gen_and(s, b0, gen_cmp(s, rel, 8, BPF_B, 0x08));
	if (has_vni) {
		if (vni > 0xffffff)
			gen_fail(s, "VXLAN VNI %u greater than maximum %u", vni, 0xffffff);
		b0 = gen_and(s, b0, gen_mcmp(s, rel, 12, BPF_W, vni << 8, 0xffffff00));
	}
	return b0;
}

/* The check, then (always true) A = the IP header length (+ link prefix). */
static struct gb tunnel4(struct gen *s, tunnel_check_fn check, uint32_t vni, int has_vni)
{
	struct gb b0 = check(s, OR_TRAN_IPV4, vni, has_vni);
	struct gsl l = gen_loadx_iphdrlen(s);

	gsl_add(s, &l, BPF_MISC | BPF_TXA, 0);
	return gen_and(s, b0, gen_jmp(s, &l, BPF_JEQ | BPF_X, 0));
}

static struct gb tunnel6(struct gen *s, tunnel_check_fn check, uint32_t vni, int has_vni)
{
	struct gb b0 = check(s, OR_TRAN_IPV6, vni, has_vni);
	struct gsl l = gen_abs_offset_varpart(s, &s->off_linkpl);

	gsl_add(s, &l, BPF_LD | BPF_IMM, 40);
	if (l.n > 1)
		gsl_add(s, &l, BPF_ALU | BPF_ADD | BPF_X, 0);
	gsl_add(s, &l, BPF_MISC | BPF_TAX, 0);
	return gen_and(s, b0, gen_jmp(s, &l, BPF_JEQ | BPF_X, 0));
}

/* Geneve: A holds the IP header length. Compute where the inner link type
 * and payload are: after the options, plus an Ethernet header when the
 * protocol is Transparent Ethernet Bridging. */
static struct gb geneve_offsets(struct gen *s)
{
	struct gsl l = { 0 }, l2 = { 0 }, l3 = { 0 };
	struct cb_block *b1, *b2, *b3;
	struct gb r;

	gsl_add(s, &l, BPF_ALU | BPF_ADD | BPF_K, s->off_linkpl.c + s->off_nl + 8);
	gsl_add(s, &l, BPF_MISC | BPF_TAX, 0);
	gsl_add(s, &l, BPF_ALU | BPF_ADD | BPF_K, 2);
	s->off_linktype.reg = gen_alloc_reg(s);
	s->off_linktype.var = 1;
	s->off_linktype.c = 0;
	s->off_linktype.unset = 0;
	gsl_add(s, &l, BPF_ST, (uint32_t)s->off_linktype.reg);
	gsl_add(s, &l, BPF_LD | BPF_IND | BPF_B, 0);
	gsl_add(s, &l, BPF_ALU | BPF_AND | BPF_K, 0x3f);
	gsl_add(s, &l, BPF_ALU | BPF_MUL | BPF_K, 4);
	gsl_add(s, &l, BPF_ALU | BPF_ADD | BPF_K, 8);
	gsl_add(s, &l, BPF_ALU | BPF_ADD | BPF_X, 0);
	push_linkhdr(s, SNIFF_DLT_EN10MB, 1, 0, gen_alloc_reg(s));
	gsl_add(s, &l, BPF_ST, (uint32_t)s->off_linkhdr.reg);
	gsl_add(s, &l, BPF_LD | BPF_IND | BPF_H, 2);
	gsl_add(s, &l, BPF_LDX | BPF_MEM, (uint32_t)s->off_linkhdr.reg);
	b1 = gen_block(s, &l);

	gsl_add(s, &l2, BPF_MISC | BPF_TXA, 0);
	gsl_add(s, &l2, BPF_ALU | BPF_ADD | BPF_K, 12);
	gsl_add(s, &l2, BPF_ST, (uint32_t)s->off_linktype.reg);
	gsl_add(s, &l2, BPF_ALU | BPF_ADD | BPF_K, 2);
	gsl_add(s, &l2, BPF_MISC | BPF_TAX, 0);
	b2 = gen_block(s, &l2);

	s->off_linkpl.reg = gen_alloc_reg(s);
	s->off_linkpl.var = 1;
	s->off_linkpl.c = 0;
	gsl_add(s, &l3, BPF_STX, (uint32_t)s->off_linkpl.reg);
	gsl_add(s, &l3, BPF_LD | BPF_IMM, 0); /* gen_true's statement */
	s->off_nl = 0;
	r = gen_jmp(s, &l3, BPF_JEQ | BPF_K, 0);
	b3 = r.head;

	b1->code = BPF_JMP | BPF_JEQ | BPF_K;
	b1->k = ETHERTYPE_TEB;
	b1->jt = b2;
	b1->jf = b3;
	gen_goto(b2, b3);
	r.head = b1;
	return r;
}

static struct gb vxlan_offsets(struct gen *s)
{
	struct gsl l = { 0 };

	gsl_add(s, &l, BPF_ALU | BPF_ADD | BPF_K, s->off_linkpl.c + s->off_nl + 8);
	gsl_add(s, &l, BPF_ALU | BPF_ADD | BPF_K, 8);
	push_linkhdr(s, SNIFF_DLT_EN10MB, 1, 0, gen_alloc_reg(s));
	gsl_add(s, &l, BPF_ST, (uint32_t)s->off_linkhdr.reg);
	gsl_add(s, &l, BPF_ALU | BPF_ADD | BPF_K, 12);
	s->off_linktype.reg = gen_alloc_reg(s);
	s->off_linktype.var = 1;
	s->off_linktype.c = 0;
	s->off_linktype.unset = 0;
	gsl_add(s, &l, BPF_ST, (uint32_t)s->off_linktype.reg);
	gsl_add(s, &l, BPF_ALU | BPF_ADD | BPF_K, 2);
	gsl_add(s, &l, BPF_MISC | BPF_TAX, 0);
	s->off_linkpl.reg = gen_alloc_reg(s);
	s->off_linkpl.var = 1;
	s->off_linkpl.c = 0;
	gsl_add(s, &l, BPF_STX, (uint32_t)s->off_linkpl.reg);
	s->off_nl = 0;
	gsl_add(s, &l, BPF_LD | BPF_IMM, 0); /* gen_true's statement */
	return gen_jmp(s, &l, BPF_JEQ | BPF_K, 0);
}

static struct gb tunnel(struct gen *s, const struct node *n, tunnel_check_fn check,
			struct gb (*offsets)(struct gen *))
{
	struct gb b0 = tunnel4(s, check, n->num, n->has_num);

	b0 = gen_or(s, b0, tunnel6(s, check, n->num, n->has_num));
	return gen_and(s, b0, offsets(s));
}

struct gb gen_geneve(struct gen *s, const struct node *n)
{
	struct gb b = tunnel(s, n, geneve_check, geneve_offsets);

	s->is_geneve = 1;
	return b;
}

struct gb gen_vxlan(struct gen *s, const struct node *n)
{
	struct gb b = tunnel(s, n, vxlan_check, vxlan_offsets);

	s->is_vxlan = 1;
	return b;
}
