/* gen-link.c - link layers: where each header starts, how each link type
 * names the protocol above it, and the link-level primitives (ether host,
 * broadcast, multicast, llc, inbound/outbound, ifindex).
 */
#include <stdio.h>
#include <string.h>
#include "gen.h"

#define ETHERMTU            1500
#define ETHERTYPE_IP        0x0800
#define ETHERTYPE_IPV6      0x86dd
#define ETHERTYPE_ATALK     0x809b
#define ETHERTYPE_AARP      0x80f3
#define ETHERTYPE_IPX       0x8137
#define ETHERTYPE_DN        0x6003
#define ETHERTYPE_NS        0x0600
#define LLCSAP_IP           0x06
#define LLCSAP_ISONS        0xfe
#define LLCSAP_NETBEUI      0xf0
#define LLCSAP_IPX          0xe0
#define LLCSAP_8021D        0x42
#define LLCSAP_SNAP         0xaa
#define LINUX_SLL_P_802_2   0x0004
#define LINUX_SLL_P_802_3   0x0001
#define LINUX_SLL_OUTGOING  4

static const struct {
	int dlt;
	const char *name;
} lt_names[] = {
	{ SNIFF_DLT_NULL, "NULL" }, { SNIFF_DLT_EN10MB, "EN10MB" },
	{ SNIFF_DLT_RAW, "RAW" }, { SNIFF_DLT_LOOP, "LOOP" },
	{ SNIFF_DLT_LINUX_SLL, "LINUX_SLL" }, { SNIFF_DLT_IPV4, "IPV4" },
	{ SNIFF_DLT_IPV6, "IPV6" }, { SNIFF_DLT_LINUX_SLL2, "LINUX_SLL2" },
	{ GEN_DLT_PPP, "PPP" },
};

const char *gen_linktype_name(int linktype)
{
	static __thread char buf[32];

	const char *n;

	for (size_t i = 0; i < sizeof(lt_names) / sizeof(lt_names[0]); i++)
		if (lt_names[i].dlt == linktype)
			return lt_names[i].name;
	n = sniff_linktype_name(linktype);
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "DLT %d", linktype);
	return buf;
}

static struct goff off_const(uint32_t c)
{
	return (struct goff){ .c = c, .reg = -1 };
}

/* libpcap's init_linktype for the link types sniff supports. */
int gen_init_linktype(struct gen *s, int linktype)
{
	s->linktype = s->outermostlinktype = linktype;
	s->linux_ext = s->o->mode == SNIFF_MODE_LINUX;
	s->off_linkhdr = s->off_outermostlinkhdr = s->off_prevlinkhdr = off_const(0);
	s->off_nl = 0;
	s->off_nl_nosnap = 0;
	switch (linktype) {
	case SNIFF_DLT_EN10MB:
		s->off_linktype = off_const(12);
		s->off_linkpl = off_const(14);
		s->off_nl_nosnap = 3;
		return 0;
	case SNIFF_DLT_LINUX_SLL:
		s->off_linktype = off_const(14);
		s->off_linkpl = off_const(16);
		return 0;
	case SNIFF_DLT_LINUX_SLL2:
		s->off_linktype = off_const(0);
		s->off_linkpl = off_const(20);
		return 0;
	case SNIFF_DLT_RAW:
	case SNIFF_DLT_IPV4:
	case SNIFF_DLT_IPV6:
		s->off_linktype = off_const(0);
		s->off_linktype.unset = 1;
		s->off_linkpl = off_const(0);
		return 0;
	case SNIFF_DLT_NULL:
	case SNIFF_DLT_LOOP:
		s->off_linktype = off_const(0);
		s->off_linkpl = off_const(4);
		return 0;
	}
	return -1;
}

static struct gb gen_snap(struct gen *s, uint32_t orgcode, uint32_t ptype)
{
	uint8_t b[8] = {
		LLCSAP_SNAP, LLCSAP_SNAP, 0x03,
		(uint8_t)(orgcode >> 16), (uint8_t)(orgcode >> 8), (uint8_t)orgcode,
		(uint8_t)(ptype >> 8), (uint8_t)ptype,
	};

	return gen_bcmp(s, OR_LLC, 0, 8, b);
}

/* 802.3 frame: the type/length field is a length. */
static struct gb gen_8023(struct gen *s)
{
	return gen_not(gen_cmp_gt(s, OR_LINKTYPE, 0, BPF_H, ETHERMTU));
}

static struct gb gen_ether_linktype(struct gen *s, uint32_t p)
{
	struct gb b0, b1;

	switch (p) {
	case LLCSAP_ISONS:
	case LLCSAP_IP:
	case LLCSAP_NETBEUI:
		/* these always use 802.2 encapsulation: DSAP and SSAP both P */
		b0 = gen_8023(s);
		b1 = gen_cmp(s, OR_LLC, 0, BPF_H, p << 8 | p);
		return gen_and(s, b0, b1);
	case LLCSAP_IPX:
		/* Ethernet_II, then 802.3 frames: 802.2 with the IPX SAP,
		 * raw 802.3 (0xffff) or SNAP with the IPX type */
		b0 = gen_cmp(s, OR_LLC, 0, BPF_B, LLCSAP_IPX);
		b1 = gen_or(s, b0, gen_cmp(s, OR_LLC, 0, BPF_H, 0xffff));
		b1 = gen_or(s, gen_snap(s, 0x000000, ETHERTYPE_IPX), b1);
		b1 = gen_and(s, gen_8023(s), b1);
		return gen_or(s, gen_cmp(s, OR_LINKTYPE, 0, BPF_H, ETHERTYPE_IPX), b1);
	case ETHERTYPE_ATALK:
	case ETHERTYPE_AARP:
		/* EtherTalk phase 2 uses SNAP on 802.3, phase 1 the type */
		b0 = gen_8023(s);
		if (p == ETHERTYPE_ATALK)
			b1 = gen_snap(s, 0x080007, ETHERTYPE_ATALK);
		else
			b1 = gen_snap(s, 0x000000, ETHERTYPE_AARP);
		b1 = gen_and(s, b0, b1);
		return gen_or(s, gen_cmp(s, OR_LINKTYPE, 0, BPF_H, p), b1);
	default:
		if (p <= ETHERMTU) {
			b0 = gen_8023(s);
			b1 = gen_cmp(s, OR_LINKTYPE, 2, BPF_B, p);
			return gen_and(s, b0, b1);
		}
		return gen_cmp(s, OR_LINKTYPE, 0, BPF_H, p);
	}
}

static struct gb gen_sll_linktype(struct gen *s, uint32_t p)
{
	struct gb b0, b1;

	switch (p) {
	case LLCSAP_ISONS:
	case LLCSAP_IP:
	case LLCSAP_NETBEUI:
		b0 = gen_cmp(s, OR_LINKTYPE, 0, BPF_H, LINUX_SLL_P_802_2);
		b1 = gen_cmp(s, OR_LLC, 0, BPF_H, p << 8 | p);
		return gen_and(s, b0, b1);
	case LLCSAP_IPX:
		b0 = gen_cmp(s, OR_LLC, 0, BPF_B, LLCSAP_IPX);
		b1 = gen_snap(s, 0x000000, ETHERTYPE_IPX);
		b1 = gen_or(s, b0, b1);
		b0 = gen_cmp(s, OR_LINKTYPE, 0, BPF_H, LINUX_SLL_P_802_2);
		b1 = gen_and(s, b0, b1);
		b0 = gen_cmp(s, OR_LINKTYPE, 0, BPF_H, LINUX_SLL_P_802_3);
		b1 = gen_or(s, b0, b1);
		return gen_or(s, gen_cmp(s, OR_LINKTYPE, 0, BPF_H, ETHERTYPE_IPX), b1);
	case ETHERTYPE_ATALK:
	case ETHERTYPE_AARP:
		b0 = gen_cmp(s, OR_LINKTYPE, 0, BPF_H, LINUX_SLL_P_802_2);
		if (p == ETHERTYPE_ATALK)
			b1 = gen_snap(s, 0x080007, ETHERTYPE_ATALK);
		else
			b1 = gen_snap(s, 0x000000, ETHERTYPE_AARP);
		b1 = gen_and(s, b0, b1);
		return gen_or(s, gen_cmp(s, OR_LINKTYPE, 0, BPF_H, p), b1);
	default:
		if (p <= ETHERMTU) {
			b0 = gen_cmp(s, OR_LINKTYPE, 0, BPF_H, LINUX_SLL_P_802_2);
			b1 = gen_cmp(s, OR_LINKHDR, s->off_linkpl.c, BPF_B, p);
			return gen_and(s, b0, b1);
		}
		return gen_cmp(s, OR_LINKTYPE, 0, BPF_H, p);
	}
}

static uint32_t ethertype_to_ppptype(uint32_t p)
{
	switch (p) {
	case ETHERTYPE_IP:   return 0x0021;
	case ETHERTYPE_IPV6: return 0x0057;
	case ETHERTYPE_DN:   return 0x0027;
	case ETHERTYPE_ATALK: return 0x0029;
	case ETHERTYPE_NS:   return 0x0025;
	case LLCSAP_ISONS:   return 0x0023;
	case LLCSAP_8021D:   return 0x0031;
	case LLCSAP_IPX:     return 0x002b;
	}
	return p;
}

/* Inside MPLS the only clue is the version nibble after the bottom label. */
static struct gb gen_mpls_linktype(struct gen *s, uint32_t p)
{
	struct gb b0, b1;

	if (p != ETHERTYPE_IP && p != ETHERTYPE_IPV6)
		gen_fail(s, "unsupported protocol over mpls");
	b0 = gen_mcmp(s, OR_LINKPL, (uint32_t)-2, BPF_B, 0x01, 0x01);
	b1 = gen_mcmp(s, OR_LINKPL, 0, BPF_B, p == ETHERTYPE_IP ? 0x40 : 0x60, 0xf0);
	return gen_and(s, b0, b1);
}

/* AF_ value of the NULL/LOOP header: host order for NULL, network for LOOP;
 * the loaded word is big-endian, so NULL compares against the swapped value
 * of a little-endian writer, as libpcap does on this (little-endian) host. */
static struct gb gen_loopback_linktype(struct gen *s, uint32_t af)
{
	if (s->linktype == SNIFF_DLT_NULL)
		af = __builtin_bswap32(af);
	return gen_cmp(s, OR_LINKHDR, 0, BPF_W, af);
}

struct gb gen_linktype(struct gen *s, uint32_t p)
{
	if (s->label_stack_depth > 0)
		return gen_mpls_linktype(s, p);
	switch (s->linktype) {
	case SNIFF_DLT_EN10MB:
		return gen_ether_linktype(s, p);
	case SNIFF_DLT_LINUX_SLL:
	case SNIFF_DLT_LINUX_SLL2:
		return gen_sll_linktype(s, p);
	case SNIFF_DLT_IPV4:
		return p == ETHERTYPE_IP ? gen_true(s) : gen_false(s);
	case SNIFF_DLT_IPV6:
		return p == ETHERTYPE_IPV6 ? gen_true(s) : gen_false(s);
	case SNIFF_DLT_RAW:
		if (p == ETHERTYPE_IP)
			return gen_mcmp(s, OR_LINKHDR, 0, BPF_B, 0x40, 0xf0);
		if (p == ETHERTYPE_IPV6)
			return gen_mcmp(s, OR_LINKHDR, 0, BPF_B, 0x60, 0xf0);
		return gen_false(s);
	case SNIFF_DLT_NULL:
	case SNIFF_DLT_LOOP:
		if (p == ETHERTYPE_IP)
			return gen_loopback_linktype(s, 2);
		if (p == ETHERTYPE_IPV6) {
			struct gb b0, b1;

			/* live: this system's AF_INET6; a file may come from any
			 * system: the BSDs' 24, FreeBSD's 28, Darwin's 30 */
			if (s->linux_ext)
				return gen_loopback_linktype(s, 10);
			b0 = gen_loopback_linktype(s, 24);
			b1 = gen_or(s, b0, gen_loopback_linktype(s, 28));
			return gen_or(s, gen_loopback_linktype(s, 30), b1);
		}
		return gen_false(s);
	case GEN_DLT_PPP:
		return gen_cmp(s, OR_LINKTYPE, 0, BPF_H, ethertype_to_ppptype(p));
	}
	gen_fail(s, "not supported for link type %s", gen_linktype_name(s->linktype));
}

/* ---- link-level primitives */

/* Inside Geneve the payload may have no Ethernet header: link-level tests
 * first check that the header and the payload do not start together. */
static struct gb with_ll_check(struct gen *s, struct gb b)
{
	struct gsl l = { 0 };

	if (!s->is_geneve)
		return b;
	gsl_add(s, &l, BPF_LD | BPF_MEM, (uint32_t)s->off_linkhdr.reg);
	gsl_add(s, &l, BPF_LDX | BPF_MEM, (uint32_t)s->off_linkpl.reg);
	return gen_and(s, gen_not(gen_jmp(s, &l, BPF_JEQ | BPF_X, 0)), b);
}

static int is_ether(const struct gen *s)
{
	return s->linktype == SNIFF_DLT_EN10MB;
}

struct gb gen_ehostop(struct gen *s, const uint8_t *mac, int dir)
{
	struct gb b0, b1;

	switch (dir) {
	case QD_SRC:
		return gen_bcmp(s, OR_LINKHDR, 6, 6, mac);
	case QD_DST:
		return gen_bcmp(s, OR_LINKHDR, 0, 6, mac);
	case QD_AND:
	case QD_DEFAULT:
	case QD_OR:
		b0 = gen_ehostop(s, mac, QD_SRC);
		b1 = gen_ehostop(s, mac, QD_DST);
		return dir == QD_AND ? gen_and(s, b0, b1) : gen_or(s, b0, b1);
	}
	gen_fail(s, "'addr1', 'addr2', 'addr3', 'addr4', 'ra' and 'ta' are only supported on 802.11");
}

struct gb gen_ether_host(struct gen *s, const uint8_t *mac, int dir)
{
	if (!is_ether(s))
		gen_fail(s, "Ethernet addresses are not supported for link type %s",
			 gen_linktype_name(s->linktype));
	return with_ll_check(s, gen_ehostop(s, mac, dir));
}

struct gb gen_broadcast(struct gen *s, const struct node *n)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint32_t hostmask;
	struct gb b0, b1, b2;

	switch (n->q.proto) {
	case QP_DEFAULT:
	case QP_LINK:
		if (!is_ether(s))
			gen_fail(s, "'broadcast' is not supported for link type %s: not a broadcast link",
				 gen_linktype_name(s->linktype));
		return with_ll_check(s, gen_ehostop(s, bcast, QD_DST));
	case QP_IP:
		if (s->o->netmask == SNIFF_NETMASK_UNKNOWN)
			gen_fail(s, "netmask not known, so 'ip broadcast' not supported");
		b0 = gen_linktype(s, ETHERTYPE_IP);
		hostmask = ~s->o->netmask;
		b1 = gen_mcmp(s, OR_LINKPL, 16, BPF_W, 0, hostmask);
		b2 = gen_mcmp(s, OR_LINKPL, 16, BPF_W, hostmask, hostmask);
		b2 = gen_or(s, b1, b2);
		return gen_and(s, b0, b2);
	}
	gen_fail(s, "only link-layer and IP broadcast filters are supported");
}

struct gb gen_multicast(struct gen *s, const struct node *n)
{
	struct gb b0, b1;
	struct gsl l;

	switch (n->q.proto) {
	case QP_DEFAULT:
	case QP_LINK:
		if (!is_ether(s))
			break;
		l = gen_load_a(s, OR_LINKHDR, 0, BPF_B);
		return with_ll_check(s, gen_jmp(s, &l, BPF_JSET | BPF_K, 1));
	case QP_IP:
		b0 = gen_linktype(s, ETHERTYPE_IP);
		b1 = gen_cmp_ge(s, OR_LINKPL, 16, BPF_B, 224);
		return gen_and(s, b0, b1);
	case QP_IPV6:
		b0 = gen_linktype(s, ETHERTYPE_IPV6);
		b1 = gen_cmp(s, OR_LINKPL, 24, BPF_B, 255);
		return gen_and(s, b0, b1);
	default:
		gen_fail(s, "only link-layer, IP and IPv6 multicast filters are supported");
	}
	gen_fail(s, "link-layer multicast is not supported for link type %s",
		 gen_linktype_name(s->linktype));
}

struct gb gen_inbound(struct gen *s, int outbound)
{
	struct gb b;

	switch (s->linktype) {
	case SNIFF_DLT_LINUX_SLL:
		b = gen_cmp(s, OR_LINKHDR, 0, BPF_H, LINUX_SLL_OUTGOING);
		break;
	case SNIFF_DLT_LINUX_SLL2:
		b = gen_cmp(s, OR_LINKHDR, 10, BPF_B, LINUX_SLL_OUTGOING);
		break;
	default:
		if (!s->linux_ext)
			gen_fail(s, "inbound/outbound not supported on %s when reading savefiles",
				 gen_linktype_name(s->linktype));
		b = gen_cmp(s, OR_LINKHDR, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE), BPF_H,
			    LINUX_SLL_OUTGOING);
		break;
	}
	return outbound ? b : gen_not(b);
}

struct gb gen_ifindex(struct gen *s, uint32_t ifindex)
{
	if (s->linktype == SNIFF_DLT_LINUX_SLL2)
		return gen_cmp(s, OR_LINKHDR, 4, BPF_W, ifindex);
	if (!s->linux_ext)
		gen_fail(s, "ifindex not supported on %s when reading savefiles",
			 gen_linktype_name(s->linktype));
	return gen_cmp(s, OR_LINKHDR, (uint32_t)(SKF_AD_OFF + SKF_AD_IFINDEX), BPF_W, ifindex);
}

/* ---- llc */

struct gb gen_llc(struct gen *s)
{
	struct gb b0, b1;

	if (s->linktype != SNIFF_DLT_EN10MB)
		gen_fail(s, "'llc' not supported for link type %s", gen_linktype_name(s->linktype));
	/* 802.3 length field, and not NetWare's raw 802.3 (DSAP/SSAP 0xff) */
	b0 = gen_8023(s);
	b1 = gen_not(gen_cmp(s, OR_LLC, 0, BPF_H, 0xffff));
	return gen_and(s, b0, b1);
}

static const struct {
	const char *name;
	uint8_t v;
	uint8_t u;   /* 1: U-format command, 0: S-format */
} llc_sub[] = {
	{ "rr", 0x01, 0 }, { "rnr", 0x05, 0 }, { "rej", 0x09, 0 },
	{ "ui", 0x03, 1 }, { "ua", 0x63, 1 }, { "disc", 0x43, 1 }, { "dm", 0x0f, 1 },
	{ "sabme", 0x6f, 1 }, { "test", 0xe3, 1 }, { "xid", 0xaf, 1 }, { "frmr", 0x87, 1 },
};

struct gb gen_llc_prim(struct gen *s, const struct node *n)
{
	struct gb b0, b1;
	struct gsl l;

	if (!n->s)
		return gen_llc(s);
	if (!strcasecmp(n->s, "i")) {
		b0 = gen_llc(s);
		l = gen_load_a(s, OR_LLC, 2, BPF_B);
		b1 = gen_not(gen_jmp(s, &l, BPF_JSET | BPF_K, 0x01));
		return gen_and(s, b0, b1);
	}
	if (!strcasecmp(n->s, "s") || !strcasecmp(n->s, "u")) {
		b0 = gen_llc(s);
		b1 = gen_mcmp(s, OR_LLC, 2, BPF_B, n->s[0] == 's' || n->s[0] == 'S' ? 1 : 3, 0x03);
		return gen_and(s, b0, b1);
	}
	for (size_t i = 0; i < sizeof(llc_sub) / sizeof(llc_sub[0]); i++) {
		if (strcasecmp(n->s, llc_sub[i].name))
			continue;
		b0 = gen_llc(s);
		b1 = gen_mcmp(s, OR_LLC, 2, BPF_B, llc_sub[i].v, llc_sub[i].u ? 0xef : 0x0f);
		return gen_and(s, b0, b1);
	}
	gen_fail(s, "unknown LLC type name \"%s\"", n->s);
}
