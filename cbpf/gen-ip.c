/* gen-ip.c - protocols, hosts and networks (IPv4, IPv6, ARP/RARP), and the
 * dispatch of a primitive "[proto] [dir] [type] id" to its generator
 * (libpcap's gen_ncode, gen_scode, gen_mcode, gen_mcode6, gen_ecode).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include "gen.h"

#define ETHERTYPE_IP      0x0800
#define ETHERTYPE_ARP     0x0806
#define ETHERTYPE_REVARP  0x8035
#define ETHERTYPE_IPV6    0x86dd
#define ETHERTYPE_ATALK   0x809b
#define ETHERTYPE_AARP    0x80f3
#define ETHERTYPE_DN      0x6003
#define ETHERTYPE_SCA     0x6007
#define ETHERTYPE_LAT     0x6004
#define ETHERTYPE_MOPDL   0x6001
#define ETHERTYPE_MOPRC   0x6002
#define ETHERTYPE_LOOPBACK 0x9000
#define LLCSAP_ISONS      0xfe
#define LLCSAP_8021D      0x42
#define LLCSAP_IPX        0xe0
#define LLCSAP_NETBEUI    0xf0
#define ISO8473_CLNP      0x81
#define ISO9542_ESIS      0x82
#define ISO10589_ISIS     0x83
#define ISIS_L1_LAN_IIH   15
#define ISIS_L2_LAN_IIH   16
#define ISIS_PTP_IIH      17
#define ISIS_L1_LSP       18
#define ISIS_L2_LSP       20
#define ISIS_L1_CSNP      24
#define ISIS_L2_CSNP      25
#define ISIS_L1_PSNP      26
#define ISIS_L2_PSNP      27

static struct gb gen_dnhostop(struct gen *s, uint32_t addr, int dir);

/* ---- protocols */

static struct gb isis_any(struct gen *s, const int *types, int n)
{
	struct gb b1 = gen_proto(s, (uint32_t)types[0], QP_ISIS, QD_DEFAULT);

	b1 = gen_or(s, b1, gen_proto(s, (uint32_t)types[1], QP_ISIS, QD_DEFAULT));
	for (int i = 2; i < n; i++)
		b1 = gen_or(s, gen_proto(s, (uint32_t)types[i], QP_ISIS, QD_DEFAULT), b1);
	return b1;
}

struct gb gen_proto_abbrev(struct gen *s, int p)
{
	static const int l1[] = { ISIS_L1_LAN_IIH, ISIS_PTP_IIH, ISIS_L1_LSP, ISIS_L1_CSNP, ISIS_L1_PSNP };
	static const int l2[] = { ISIS_L2_LAN_IIH, ISIS_PTP_IIH, ISIS_L2_LSP, ISIS_L2_CSNP, ISIS_L2_PSNP };
	static const int iih[] = { ISIS_L1_LAN_IIH, ISIS_L2_LAN_IIH, ISIS_PTP_IIH };
	static const int lsp[] = { ISIS_L1_LSP, ISIS_L2_LSP };
	static const int snp[] = { ISIS_L1_CSNP, ISIS_L2_CSNP, ISIS_L1_PSNP, ISIS_L2_PSNP };
	static const int csnp[] = { ISIS_L1_CSNP, ISIS_L2_CSNP };
	static const int psnp[] = { ISIS_L1_PSNP, ISIS_L2_PSNP };

	switch (p) {
	case QP_SCTP:   return gen_proto(s, 132, QP_DEFAULT, QD_DEFAULT);
	case QP_TCP:    return gen_proto(s, 6, QP_DEFAULT, QD_DEFAULT);
	case QP_UDP:    return gen_proto(s, 17, QP_DEFAULT, QD_DEFAULT);
	case QP_ICMP:   return gen_proto(s, 1, QP_IP, QD_DEFAULT);
	case QP_IGMP:   return gen_proto(s, 2, QP_IP, QD_DEFAULT);
	case QP_IGRP:   return gen_proto(s, 9, QP_IP, QD_DEFAULT);
	case QP_PIM:    return gen_proto(s, 103, QP_DEFAULT, QD_DEFAULT);
	case QP_VRRP:   return gen_proto(s, 112, QP_IP, QD_DEFAULT);
	case QP_CARP:   return gen_proto(s, 112, QP_IP, QD_DEFAULT);
	case QP_IP:     return gen_linktype(s, ETHERTYPE_IP);
	case QP_ARP:    return gen_linktype(s, ETHERTYPE_ARP);
	case QP_RARP:   return gen_linktype(s, ETHERTYPE_REVARP);
	case QP_LINK:   gen_fail(s, "link layer applied in wrong context");
	case QP_ATALK:  return gen_linktype(s, ETHERTYPE_ATALK);
	case QP_AARP:   return gen_linktype(s, ETHERTYPE_AARP);
	case QP_DECNET: return gen_linktype(s, ETHERTYPE_DN);
	case QP_SCA:    return gen_linktype(s, ETHERTYPE_SCA);
	case QP_LAT:    return gen_linktype(s, ETHERTYPE_LAT);
	case QP_MOPDL:  return gen_linktype(s, ETHERTYPE_MOPDL);
	case QP_MOPRC:  return gen_linktype(s, ETHERTYPE_MOPRC);
	case QP_IPV6:   return gen_linktype(s, ETHERTYPE_IPV6);
	case QP_ICMPV6: return gen_proto(s, 58, QP_IPV6, QD_DEFAULT);
	case QP_AH:     return gen_proto(s, 51, QP_DEFAULT, QD_DEFAULT);
	case QP_ESP:    return gen_proto(s, 50, QP_DEFAULT, QD_DEFAULT);
	case QP_ISO:    return gen_linktype(s, LLCSAP_ISONS);
	case QP_ESIS:   return gen_proto(s, ISO9542_ESIS, QP_ISO, QD_DEFAULT);
	case QP_ISIS:   return gen_proto(s, ISO10589_ISIS, QP_ISO, QD_DEFAULT);
	case QP_ISIS_L1:   return isis_any(s, l1, 5);
	case QP_ISIS_L2:   return isis_any(s, l2, 5);
	case QP_ISIS_IIH:  return isis_any(s, iih, 3);
	case QP_ISIS_LSP:  return isis_any(s, lsp, 2);
	case QP_ISIS_SNP:  return isis_any(s, snp, 4);
	case QP_ISIS_CSNP: return isis_any(s, csnp, 2);
	case QP_ISIS_PSNP: return isis_any(s, psnp, 2);
	case QP_CLNP:   return gen_proto(s, ISO8473_CLNP, QP_ISO, QD_DEFAULT);
	case QP_STP:    return gen_linktype(s, LLCSAP_8021D);
	case QP_IPX:    return gen_linktype(s, LLCSAP_IPX);
	case QP_NETBEUI: return gen_linktype(s, LLCSAP_NETBEUI);
	case QP_RADIO:  gen_fail(s, "'radio' is not a valid protocol type");
	}
	gen_fail(s, "unknown protocol qualifier");
}

struct gb gen_proto(struct gen *s, uint32_t v, int p, int dir)
{
	struct gb b0, b1, b2;

	if (dir != QD_DEFAULT)
		gen_fail(s, "direction applied to 'proto'");
	/* libpcap master's range checks: a value that cannot be in the field */
	switch (p) {
	case QP_DEFAULT:
	case QP_IP:
	case QP_IPV6:
		if (v > 255)
			gen_fail(s, "protocol number %u greater than maximum 255", v);
		break;
	case QP_LINK:
		if (s->linktype == SNIFF_DLT_EN10MB || s->linktype == SNIFF_DLT_LINUX_SLL ||
		    s->linktype == SNIFF_DLT_LINUX_SLL2) {
			if (v > 65535)
				gen_fail(s, "EtherType %u greater than maximum 65535", v);
			if (v > 255 && v <= 1500)
				gen_fail(s, "LLC DSAP %u greater than maximum 255", v);
		}
		break;
	case QP_ISO:
		if (v > 255)
			gen_fail(s, "ISO protocol %u greater than maximum 255", v);
		break;
	case QP_ISIS:
		if (v > 31)
			gen_fail(s, "IS-IS PDU type %u greater than maximum 31", v);
		break;
	}
	switch (p) {
	case QP_DEFAULT:
		b0 = gen_proto(s, v, QP_IP, dir);
		return gen_or(s, b0, gen_proto(s, v, QP_IPV6, dir));
	case QP_LINK:
		return gen_linktype(s, v);
	case QP_IP:
		b0 = gen_linktype(s, ETHERTYPE_IP);
		return gen_and(s, b0, gen_cmp(s, OR_LINKPL, 9, BPF_B, v));
	case QP_IPV6:
		/* the next header, or the one after a fragment header */
		b0 = gen_linktype(s, ETHERTYPE_IPV6);
		b2 = gen_cmp(s, OR_LINKPL, 6, BPF_B, 44);
		b1 = gen_and(s, b2, gen_cmp(s, OR_LINKPL, 40, BPF_B, v));
		b1 = gen_or(s, gen_cmp(s, OR_LINKPL, 6, BPF_B, v), b1);
		return gen_and(s, b0, b1);
	case QP_ARP:
	case QP_RARP:
	case QP_LAT:
	case QP_SCA:
	case QP_MOPRC:
	case QP_MOPDL:
		gen_fail(s, "%s does not encapsulate another protocol", filter_proto_name(p));
	case QP_ATALK:
		gen_fail(s, "AppleTalk encapsulation is not specifiable");
	case QP_DECNET:
		gen_fail(s, "DECNET encapsulation is not specifiable");
	case QP_ISO:
		b0 = gen_linktype(s, LLCSAP_ISONS);
		return gen_and(s, b0, gen_cmp(s, OR_LINKPL_NOSNAP, 0, BPF_B, v));
	case QP_ISIS:
		b0 = gen_proto(s, ISO10589_ISIS, QP_ISO, QD_DEFAULT);
		/* the PDU type is at offset 4 of the IS-IS header */
		return gen_and(s, b0, gen_cmp(s, OR_LINKPL_NOSNAP, 4, BPF_B, v));
	case QP_CLNP:
		gen_fail(s, "'clnp proto' is not supported");
	}
	gen_fail(s, "'%s proto' is bogus", filter_proto_name(p));
}

/* ---- IPv4 hosts and networks */

static struct gb gen_andor(struct gen *s, int dir, struct gb a, struct gb b)
{
	return dir == QD_AND ? gen_and(s, a, b) : gen_or(s, a, b);
}

/* gen_hostop's PROTO for "ARP or RARP" (same address offsets): above any ethertype */
#define ETHERTYPE_ARP_OR_RARP 0x10000u

static struct gb hostop_linktype(struct gen *s, uint32_t proto)
{
	struct gb b;

	if (proto != ETHERTYPE_ARP_OR_RARP)
		return gen_linktype(s, proto);
	b = gen_linktype(s, ETHERTYPE_ARP);
	return gen_or(s, b, gen_linktype(s, ETHERTYPE_REVARP));
}

static struct gb gen_hostop(struct gen *s, uint32_t addr, uint32_t mask, int dir,
			    uint32_t proto, uint32_t src_off, uint32_t dst_off)
{
	struct gb b0, b1;
	uint32_t off;

	switch (dir) {
	case QD_SRC:
		off = src_off;
		break;
	case QD_DST:
		off = dst_off;
		break;
	case GEN_DIR_LIST:
		b0 = hostop_linktype(s, proto);
		b1 = gen_mcmp(s, OR_LINKPL, src_off, BPF_W, s->list_v[0], mask);
		b1 = gen_or(s, b1, gen_mcmp(s, OR_LINKPL, dst_off, BPF_W, s->list_v[1], mask));
		b1 = gen_or(s, b1, gen_mcmp(s, OR_LINKPL, src_off, BPF_W, s->list_v[2], mask));
		return gen_and(s, b0, b1);
	case QD_AND:
	case QD_DEFAULT:
	case QD_OR:
		if (s->o->optimize && mask) {
			/* `ip and (src or dst)`, not libpcap's `(ip and src) or
			 * (ip and dst)`: the same decisions and loads in the same
			 * order, and a third fewer blocks for the optimizer, whose
			 * output is the same (see gen_opts.optimize) */
			b0 = hostop_linktype(s, proto);
			b1 = gen_mcmp(s, OR_LINKPL, src_off, BPF_W, addr, mask);
			b1 = gen_andor(s, dir, b1, gen_mcmp(s, OR_LINKPL, dst_off, BPF_W, addr, mask));
			return gen_and(s, b0, b1);
		}
		b0 = gen_hostop(s, addr, mask, QD_SRC, proto, src_off, dst_off);
		b1 = gen_hostop(s, addr, mask, QD_DST, proto, src_off, dst_off);
		return gen_andor(s, dir, b0, b1);
	default:
		gen_fail(s, "802.11 address qualifiers (addr1-4, ra, ta) apply to 802.11 MAC addresses only");
	}
	b0 = hostop_linktype(s, proto);
	/* A zero mask (net 0/0) matches every address: libpcap master loads
	 * nothing for it (1.10.3 loads the word, and its optimizer then
	 * drops the load). */
	if (!mask)
		return b0;
	return gen_and(s, b0, gen_mcmp(s, OR_LINKPL, off, BPF_W, addr, mask));
}

struct gb gen_host(struct gen *s, uint32_t addr, uint32_t mask, int p, int dir, int type)
{
	const char *typestr = type == QT_NET ? "net" : "host";
	struct gb b0, b1;

	switch (p) {
	case QP_DEFAULT:
		b0 = gen_host(s, addr, mask, QP_IP, dir, type);
		if (s->label_stack_depth == 0 && s->in_list) {
			/* In a list (gen-lists.c), "(arp or rarp) and addresses",
			 * not libpcap's "(arp and addresses) or (rarp and
			 * addresses)": the same decisions and loads in the same
			 * order (the ethertypes exclude each other), half the
			 * blocks for the optimizer. Not elsewhere: its output
			 * could change. */
			b1 = gen_hostop(s, addr, mask, dir, ETHERTYPE_ARP_OR_RARP, 14, 24);
			return gen_or(s, b0, b1);
		}
		if (s->label_stack_depth == 0) {
			b1 = gen_or(s, b0, gen_host(s, addr, mask, QP_ARP, dir, type));
			b0 = gen_or(s, b1, gen_host(s, addr, mask, QP_RARP, dir, type));
		}
		return b0;
	case QP_LINK:
		gen_fail(s, "link-layer modifier applied to %s", typestr);
	case QP_IP:
		return gen_hostop(s, addr, mask, dir, ETHERTYPE_IP, 12, 16);
	case QP_RARP:
		return gen_hostop(s, addr, mask, dir, ETHERTYPE_REVARP, 14, 24);
	case QP_ARP:
		return gen_hostop(s, addr, mask, dir, ETHERTYPE_ARP, 14, 24);
	case QP_ATALK:
		gen_fail(s, "AppleTalk host filtering not implemented");
	case QP_DECNET:
		return gen_dnhostop(s, addr, dir);
	case QP_LAT:
	case QP_SCA:
	case QP_MOPRC:
	case QP_MOPDL:
	case QP_AARP:
	case QP_ISO:
	case QP_IPX:
		gen_fail(s, "%s host filtering not implemented", filter_proto_name(p));
	case QP_IPV6:
		gen_fail(s, "'ip6' modifier applied to ip %s", typestr);
	}
	gen_fail(s, "'%s' modifier applied to %s", filter_proto_name(p), typestr);
}

/* ---- DECnet: the address sits after a short or a long header, each with
 * or without a pad byte; libpcap tests all four, last built first. */

static uint32_t swap16(uint32_t v)
{
	return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
}

static struct gb gen_dnhostop(struct gen *s, uint32_t addr, int dir)
{
	struct gb b0, b1, b2, t;
	uint32_t lh, sh, a = swap16(addr & 0xffff);

	switch (dir) {
	case QD_DST:
		sh = 1;
		lh = 7;
		break;
	case QD_SRC:
		sh = 3;
		lh = 15;
		break;
	case QD_AND:
	case QD_DEFAULT:
	case QD_OR:
		b0 = gen_dnhostop(s, addr, QD_SRC);
		b1 = gen_dnhostop(s, addr, QD_DST);
		return gen_andor(s, dir, b0, b1);
	default:
		gen_fail(s, "802.11 address qualifiers (addr1-4, ra, ta) apply to 802.11 MAC addresses only");
	}
	b0 = gen_linktype(s, ETHERTYPE_DN);
	/* pad = 1, long header */
	t = gen_mcmp(s, OR_LINKPL, 2, BPF_H, swap16(0x0681), swap16(0x07ff));
	b1 = gen_and(s, t, gen_cmp(s, OR_LINKPL, 2 + 1 + lh, BPF_H, a));
	/* pad = 0, long header */
	t = gen_mcmp(s, OR_LINKPL, 2, BPF_B, 0x06, 0x07);
	b2 = gen_and(s, t, gen_cmp(s, OR_LINKPL, 2 + lh, BPF_H, a));
	b1 = gen_or(s, b2, b1);
	/* pad = 1, short header */
	t = gen_mcmp(s, OR_LINKPL, 2, BPF_H, swap16(0x0281), swap16(0x07ff));
	b2 = gen_and(s, t, gen_cmp(s, OR_LINKPL, 2 + 1 + sh, BPF_H, a));
	b1 = gen_or(s, b2, b1);
	/* pad = 0, short header */
	t = gen_mcmp(s, OR_LINKPL, 2, BPF_B, 0x02, 0x07);
	b2 = gen_and(s, t, gen_cmp(s, OR_LINKPL, 2 + sh, BPF_H, a));
	b1 = gen_or(s, b2, b1);
	return gen_and(s, b0, b1);
}

/* ---- IPv6 hosts and networks */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The word tests of an IPv6 address at OFF under mask M; *have = 0 when
 * the mask wildcards every word.  Built last word first, tested first word
 * first: libpcap's order.  Words the mask wildcards entirely are not loaded,
 * as in libpcap master (a /10 tests one word, ::/0 none). 1.10.3 loads all
 * four and leaves removing the wildcarded ones to its optimizer, so the two
 * differ, unoptimized, only on packets cut inside those words. */
static struct gb words6(struct gen *s, const uint8_t *a, const uint8_t *m, uint32_t off,
			int *have)
{
	struct gb b0, b1 = { 0 };

	*have = 0;
	for (int w = 3; w >= 0; w--) {
		if (!be32(m + 4 * w))
			continue;
		b0 = gen_mcmp(s, OR_LINKPL, off + 4 * (uint32_t)w, BPF_W, be32(a + 4 * w),
			      be32(m + 4 * w));
		b1 = *have ? gen_and(s, b0, b1) : b0;
		*have = 1;
	}
	return b1;
}

static struct gb gen_hostop6(struct gen *s, const uint8_t *a, const uint8_t *m, int dir,
			     uint32_t src_off, uint32_t dst_off)
{
	struct gb b0, b1;
	uint32_t off;
	int have;

	switch (dir) {
	case QD_SRC:
		off = src_off;
		break;
	case QD_DST:
		off = dst_off;
		break;
	case QD_AND:
	case QD_DEFAULT:
	case QD_OR:
		b0 = words6(s, a, m, src_off, &have);
		if (s->o->optimize && have) {
			/* `ip6 and (src or dst)`, as gen_hostop */
			b1 = gen_andor(s, dir, b0, words6(s, a, m, dst_off, &have));
			return gen_and(s, gen_linktype(s, ETHERTYPE_IPV6), b1);
		}
		b0 = have ? gen_and(s, gen_linktype(s, ETHERTYPE_IPV6), b0) :
			    gen_linktype(s, ETHERTYPE_IPV6);
		b1 = gen_hostop6(s, a, m, QD_DST, src_off, dst_off);
		return gen_andor(s, dir, b0, b1);
	default:
		gen_fail(s, "802.11 address qualifiers (addr1-4, ra, ta) apply to 802.11 MAC addresses only");
	}
	b1 = words6(s, a, m, off, &have);
	b0 = gen_linktype(s, ETHERTYPE_IPV6);
	return have ? gen_and(s, b0, b1) : b0;
}

struct gb gen_host6(struct gen *s, const uint8_t *addr, const uint8_t *mask, int p,
		    int dir, int type)
{
	const char *typestr = type == QT_NET ? "net" : "host";

	switch (p) {
	case QP_DEFAULT:
	case QP_IPV6:
		return gen_hostop6(s, addr, mask, dir, 8, 24);
	case QP_LINK:
		gen_fail(s, "link-layer modifier applied to ip6 %s", typestr);
	case QP_IP:
	case QP_ARP:
	case QP_RARP:
		gen_fail(s, "'%s' modifier applied to ip6 %s", filter_proto_name(p), typestr);
	case QP_ATALK:
	case QP_DECNET:
	case QP_LAT:
	case QP_SCA:
	case QP_MOPRC:
	case QP_MOPDL:
	case QP_AARP:
	case QP_ISO:
	case QP_IPX:
		gen_fail(s, "%s host filtering not implemented", filter_proto_name(p));
	}
	gen_fail(s, "'%s' modifier applied to ip6 %s", filter_proto_name(p), typestr);
}

/* libpcap's __pcap_atoin: dotted decimal, bits given (8 a part), or -1. */
int gen_atoin(const char *str, uint32_t *addr)
{
	int len = 0;

	*addr = 0;
	for (;;) {
		unsigned n = 0;

		while (*str && *str != '.') {
			if (n > 25 || *str < '0' || *str > '9')
				return -1;
			n = n * 10 + (unsigned)(*str++ - '0');
		}
		if (n > 255 || len >= 32)
			return -1;
		*addr = *addr << 8 | n;
		len += 8;
		if (*str == '\0')
			return len;
		++str;
	}
}

static uint32_t shl32(uint32_t v, int n)
{
	return n >= 32 ? 0 : v << n;
}

static void ipv6_mask(uint8_t m[16], unsigned len)
{
	memset(m, 0, 16);
	for (unsigned i = 0; i < 16 && len; i++) {
		unsigned b = len >= 8 ? 8 : len;

		m[i] = (uint8_t)(0xff00 >> b);
		len -= b;
	}
}

/* `net N` and `host N` written as a number or dotted quad (gen_ncode). */
static struct gb gen_ipv4_num(struct gen *s, const struct node *n, uint32_t v, int vlen)
{
	uint32_t mask = 0xffffffff;
	int type = n->q.type;

	if (n->q.proto == QP_LINK)
		gen_fail(s, "illegal link layer address");
	if (n->q.proto == QP_DECNET) {
		if (type == QT_NET)
			gen_fail(s, "'decnet' is not a valid qualifier for 'net'");
		if (n->id.kind == ID_NUM)
			gen_fail_at(s, n->id.pos, n->id.len, "invalid DECnet address '%u'", n->id.num);
		return gen_host(s, v, 0, QP_DECNET, n->q.dir, type);
	}
	if (n->id.kind == ID_NUM && type == QT_NET) {
		/* promote a short net number: net 10 is 10.0.0.0/8 */
		while (v && (v & 0xff000000) == 0) {
			v <<= 8;
			mask <<= 8;
		}
	} else {
		v = shl32(v, 32 - vlen);
		mask = shl32(mask, 32 - vlen);
	}
	return gen_host(s, v, mask, n->q.proto, n->q.dir, type);
}

static struct gb gen_ipv4_masked(struct gen *s, const struct node *n)
{
	uint32_t a, m;
	int alen, mlen;

	if (n->q.proto == QP_DECNET)
		gen_fail(s, "'decnet' is not a valid qualifier for 'net'");
	if (n->q.type != QT_NET)
		gen_fail(s, "Mask syntax for networks only");
	alen = gen_atoin(n->id.s, &a);
	if (alen < 0)
		gen_fail_at(s, n->id.pos, n->id.len, "invalid IPv4 address '%s'", n->id.s);
	a = shl32(a, 32 - alen);
	if (n->id.kind == ID_IPV4_MASK) {
		mlen = gen_atoin(n->id.mask, &m);
		if (mlen < 0)
			gen_fail_at(s, n->id.pos, n->id.len, "invalid IPv4 address '%s'", n->id.mask);
		m = shl32(m, 32 - mlen);
		if (a & ~m)
			gen_fail(s, "non-network bits set in \"%s mask %s\"", n->id.s, n->id.mask);
	} else {
		if (n->id.num > 32)
			gen_fail(s, "mask length must be <= 32");
		m = n->id.num ? 0xffffffffu << (32 - n->id.num) : 0;
		if (a & ~m)
			gen_fail(s, "non-network bits set in \"%s/%u\"", n->id.s, n->id.num);
	}
	return gen_host(s, a, m, n->q.proto, n->q.dir, n->q.type);
}

static struct gb gen_ipv6_lit(struct gen *s, const struct node *n)
{
	uint8_t a[16], m[16];
	unsigned len = n->id.kind == ID_IPV6_LEN ? n->id.num : 128;

	if (inet_pton(AF_INET6, n->id.s, a) != 1)
		gen_fail_at(s, n->id.pos, n->id.len, "invalid IPv6 address '%s'", n->id.s);
	if (len > 128)
		gen_fail(s, "mask length must be <= 128");
	ipv6_mask(m, len);
	for (int i = 0; i < 16; i++)
		if (a[i] & ~m[i]) {
			if (n->id.kind == ID_IPV6_LEN)
				gen_fail(s, "non-network bits set in \"%s/%u\"", n->id.s, len);
			gen_fail(s, "non-network bits set in \"%s\"", n->id.s);
		}
	switch (n->q.type) {
	case QT_DEFAULT:
	case QT_HOST:
		if (len != 128)
			gen_fail(s, "Mask syntax for networks only");
		/* fall through */
	case QT_NET:
		return gen_host6(s, a, m, n->q.proto, n->q.dir, n->q.type);
	}
	gen_fail(s, "invalid qualifier against IPv6 address");
}

/* ---- host names
 * A name with several addresses is tested as libpcap master does: the link
 * type once per protocol, then every address (1.10.3 repeated the whole host
 * test per address; the verdicts are the same on whole packets, and master's
 * order reads fewer bytes). */

static struct gb addr_cmp(struct gen *s, uint32_t a, int dir, uint32_t src, uint32_t dst)
{
	struct gb b0;

	switch (dir) {
	case QD_SRC:
		return gen_mcmp(s, OR_LINKPL, src, BPF_W, a, 0xffffffff);
	case QD_DST:
		return gen_mcmp(s, OR_LINKPL, dst, BPF_W, a, 0xffffffff);
	case QD_AND:
	case QD_DEFAULT:
	case QD_OR:
		b0 = addr_cmp(s, a, QD_SRC, src, dst);
		return dir == QD_AND ? gen_and(s, b0, addr_cmp(s, a, QD_DST, src, dst))
				     : gen_or(s, b0, addr_cmp(s, a, QD_DST, src, dst));
	}
	gen_fail(s, "802.11 address qualifiers (addr1-4, ra, ta) apply to 802.11 MAC addresses only");
}

static struct gb host_list4(struct gen *s, const uint8_t *a4, int n4, int p, int dir, int type)
{
	static const struct { int qp; uint32_t type, src, dst; } fam[] = {
		{ QP_IP, ETHERTYPE_IP, 12, 16 },
		{ QP_ARP, ETHERTYPE_ARP, 14, 24 },
		{ QP_RARP, ETHERTYPE_REVARP, 14, 24 },
	};
	struct gb r = { 0 };
	int have = 0;

	if (n4 == 1 || (p != QP_DEFAULT && p != QP_IP && p != QP_ARP && p != QP_RARP))
		return gen_host(s, be32(a4), 0xffffffff, p, dir, type); /* or its error */
	for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		struct gb t, m = { 0 };

		if (p != QP_DEFAULT && p != fam[f].qp)
			continue;
		if (p == QP_DEFAULT && f > 0 && s->label_stack_depth > 0)
			break;
		t = gen_linktype(s, fam[f].type);
		for (int i = 0; i < n4; i++) {
			struct gb h = addr_cmp(s, be32(a4 + 4 * i), dir, fam[f].src, fam[f].dst);

			m = i ? gen_or(s, m, h) : h;
		}
		t = gen_and(s, t, m);
		r = have ? gen_or(s, r, t) : t;
		have = 1;
	}
	return r;
}

static struct gb addr6_cmp(struct gen *s, const uint8_t *a, int dir)
{
	static const uint8_t all[16] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct gb b0, b1;
	uint32_t off;

	switch (dir) {
	case QD_SRC:
		off = 8;
		break;
	case QD_DST:
		off = 24;
		break;
	case QD_AND:
	case QD_DEFAULT:
	case QD_OR:
		b0 = addr6_cmp(s, a, QD_SRC);
		b1 = addr6_cmp(s, a, QD_DST);
		return gen_andor(s, dir, b0, b1);
	default:
		gen_fail(s, "802.11 address qualifiers (addr1-4, ra, ta) apply to 802.11 MAC addresses only");
	}
	b1 = gen_mcmp(s, OR_LINKPL, off + 12, BPF_W, be32(a + 12), be32(all));
	b1 = gen_and(s, gen_mcmp(s, OR_LINKPL, off + 8, BPF_W, be32(a + 8), be32(all)), b1);
	b1 = gen_and(s, gen_mcmp(s, OR_LINKPL, off + 4, BPF_W, be32(a + 4), be32(all)), b1);
	return gen_and(s, gen_mcmp(s, OR_LINKPL, off, BPF_W, be32(a), be32(all)), b1);
}

static struct gb host_list6(struct gen *s, const uint8_t *a6, int n6, const uint8_t *all,
			    int p, int dir, int type)
{
	struct gb t, m = { 0 };

	if (n6 == 1 || (p != QP_DEFAULT && p != QP_IPV6))
		return gen_host6(s, a6, all, p, dir, type); /* or its error */
	t = gen_linktype(s, ETHERTYPE_IPV6);
	for (int i = 0; i < n6; i++) {
		struct gb h = addr6_cmp(s, a6 + 16 * i, dir);

		m = i ? gen_or(s, m, h) : h;
	}
	return gen_and(s, t, m);
}

static struct gb gen_host_name(struct gen *s, const struct node *n)
{
	static const uint8_t all[16] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	int p = n->q.proto, p4 = p, p6 = p, have = 0, n4 = 0, n6 = 0;
	uint8_t *a4 = NULL, *a6 = NULL;
	struct gb b = { 0 };

	if (p == QP_LINK) {
		uint8_t mac[6];

		if (s->linktype != SNIFF_DLT_EN10MB)
			gen_fail(s, "link-level host names are not supported for link type %s",
				 gen_linktype_name(s->linktype));
		if (names_ether(s->o->names, n->id.s, mac) < 0)
			gen_fail_at(s, n->id.pos, n->id.len, "unknown ether host '%s'", n->id.s);
		return gen_ether_host(s, mac, n->q.dir);
	}
	if (p == QP_DECNET)
		gen_fail_at(s, n->id.pos, n->id.len, "decnet name support not included, '%s' cannot be translated", n->id.s);
	if (s->off_linktype.unset && p == QP_DEFAULT) {
		/* raw IP: no ARP to look at */
		p4 = QP_IP;
		p6 = QP_IPV6;
	}
	/* libpcap master: a name's addresses of the other family are skipped
	 * when the qualifier names one (1.10.3 fails on "arp host NAME" when
	 * NAME also has an IPv6 address) */
	if (p == QP_IP || p == QP_ARP || p == QP_RARP)
		p6 = QP_IP;
	if (names_host(s->o->names, n->id.s, AF_INET, &a4, &n4) < 0)
		n4 = 0;
	if (names_host(s->o->names, n->id.s, AF_INET6, &a6, &n6) < 0)
		n6 = 0;
	if (n4 + n6 == 0) {
		free(a4);
		free(a6);
		gen_fail_at(s, n->id.pos, n->id.len, "unknown host '%s'", n->id.s);
	}
	if (p4 == QP_IPV6)
		n4 = 0;
	if (p6 == QP_IP)
		n6 = 0;
	/* keep the lists in our pool: gen_fail may longjmp out of here */
	if (a4) {
		uint8_t *c = gen_alloc(s, (size_t)n4 * 4);

		memcpy(c, a4, (size_t)n4 * 4);
		free(a4);
		a4 = c;
	}
	if (a6) {
		uint8_t *c = gen_alloc(s, (size_t)n6 * 16);

		memcpy(c, a6, (size_t)n6 * 16);
		free(a6);
		a6 = c;
	}
	if (n4) {
		b = host_list4(s, a4, n4, p4, n->q.dir, n->q.type);
		have = 1;
	}
	if (n6) {
		struct gb t = host_list6(s, a6, n6, all, p6, n->q.dir, n->q.type);

		b = have ? gen_or(s, b, t) : t;
		have = 1;
	}
	if (!have)
		gen_fail_at(s, n->id.pos, n->id.len, "unknown host '%s'%s", n->id.s,
			    p == QP_DEFAULT ? "" : " for specified address family");
	return b;
}

static struct gb gen_net_name(struct gen *s, const struct node *n)
{
	uint32_t addr, mask = 0xffffffff;

	if (n->q.proto == QP_DECNET)
		gen_fail(s, "'decnet' is not a valid qualifier for 'net'");
	if (names_net(s->o->names, n->id.s, &addr) < 0 || addr == 0)
		gen_fail_at(s, n->id.pos, n->id.len, "unknown network '%s'", n->id.s);
	while (addr && (addr & 0xff000000) == 0) {
		addr <<= 8;
		mask <<= 8;
	}
	return gen_host(s, addr, mask, n->q.proto, n->q.dir, QT_NET);
}

/* ---- protocol names */

static const struct {
	const char *name;
	uint32_t v;
} eproto[] = {
	{ "aarp", ETHERTYPE_AARP }, { "arp", ETHERTYPE_ARP }, { "atalk", ETHERTYPE_ATALK },
	{ "decnet", ETHERTYPE_DN }, { "ip", ETHERTYPE_IP }, { "ip6", ETHERTYPE_IPV6 },
	{ "lat", ETHERTYPE_LAT }, { "loopback", ETHERTYPE_LOOPBACK },
	{ "mopdl", ETHERTYPE_MOPDL }, { "moprc", ETHERTYPE_MOPRC },
	{ "rarp", ETHERTYPE_REVARP }, { "sca", ETHERTYPE_SCA },
	{ "lldp", 0x88cc }, { "slow", 0x8809 },
	/* LLC SAPs, looked up after the Ethernet types */
	{ "iso", LLCSAP_ISONS }, { "stp", LLCSAP_8021D }, { "ipx", LLCSAP_IPX },
	{ "netbeui", LLCSAP_NETBEUI },
};

static int lookup_proto(struct gen *s, const struct node *n)
{
	const char *name = n->id.s;
	int v;

	switch (n->q.proto) {
	case QP_DEFAULT:
	case QP_IP:
	case QP_IPV6:
		v = names_proto(s->o->names, name);
		if (v < 0)
			gen_fail_at(s, n->id.pos, n->id.len, "unknown ip proto '%s'", name);
		return v;
	case QP_LINK:
		for (size_t i = 0; i < sizeof(eproto) / sizeof(eproto[0]); i++)
			if (!strcmp(eproto[i].name, name))
				return (int)eproto[i].v;
		gen_fail_at(s, n->id.pos, n->id.len, "unknown ether proto '%s'", name);
	case QP_ISO:
		if (!strcmp(name, "esis"))
			return ISO9542_ESIS;
		if (!strcmp(name, "isis"))
			return ISO10589_ISIS;
		if (!strcmp(name, "clnp"))
			return ISO8473_CLNP;
		gen_fail_at(s, n->id.pos, n->id.len, "unknown osi proto '%s'", name);
	}
	gen_fail_at(s, n->id.pos, n->id.len, "unknown protocol: %s", name);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* libpcap's MAC forms: six groups of 1-2 hex digits split by one of ':' '-'
 * '.', three groups of 4 digits split by '.', or 12 digits. */
static int parse_mac(const char *str, uint8_t mac[6])
{
	unsigned groups[6], digits[6], ng = 0, nd = 0, v = 0;
	char sep = 0;

	for (const char *p = str;; p++) {
		if (*p == '\0' || *p == ':' || *p == '-' || *p == '.') {
			if (nd == 0 || ng == 6)
				return -1;
			if (*p) {
				if (sep && *p != sep)
					return -1;
				sep = *p;
			}
			groups[ng] = v;
			digits[ng++] = nd;
			v = nd = 0;
			if (*p == '\0')
				break;
			continue;
		}
		if (hexval(*p) < 0 || nd == 12)
			return -1;
		v = nd >= 8 ? v : (v << 4 | (unsigned)hexval(*p));
		nd++;
	}
	if (ng == 6) {
		for (unsigned i = 0; i < 6; i++) {
			if (digits[i] > 2)
				return -1;
			mac[i] = (uint8_t)groups[i];
		}
		return 0;
	}
	if (ng == 3 && sep == '.') {
		for (unsigned i = 0; i < 3; i++) {
			if (digits[i] != 4)
				return -1;
			mac[2 * i] = (uint8_t)(groups[i] >> 8);
			mac[2 * i + 1] = (uint8_t)groups[i];
		}
		return 0;
	}
	if (ng == 1 && digits[0] == 12) {
		for (unsigned i = 0; i < 6; i++)
			mac[i] = (uint8_t)(hexval(str[2 * i]) << 4 | hexval(str[2 * i + 1]));
		return 0;
	}
	return -1;
}

/* ---- gateway: the Ethernet address is the host's, the IP one is not.
 * libpcap master's meaning: for each of ip, arp and rarp (or the one named),
 * that protocol with none of the host's IPv4 addresses as source or
 * destination. (1.10.3 negated the whole "host" test, so it also matched
 * any other protocol from or to that MAC.) */

static struct gb gen_gateway(struct gen *s, const struct node *n)
{
	static const struct { int qp; uint32_t type, src, dst; } fam[] = {
		{ QP_IP, ETHERTYPE_IP, 12, 16 },
		{ QP_ARP, ETHERTYPE_ARP, 14, 24 },
		{ QP_RARP, ETHERTYPE_REVARP, 14, 24 },
	};
	uint8_t mac[6], *a4 = NULL;
	int n4 = 0, have = 0;
	struct gb b0, r = { 0 };
	int p = n->q.proto;

	if (n->id.kind != ID_NAME)
		gen_fail(s, "'gateway' requires a name");
	if (n->q.dir != QD_DEFAULT)
		gen_fail(s, "direction applied to 'gateway'");
	if (p != QP_DEFAULT && p != QP_IP && p != QP_ARP && p != QP_RARP)
		gen_fail(s, "illegal modifier of 'gateway'");
	if (names_ether(s->o->names, n->id.s, mac) < 0)
		gen_fail_at(s, n->id.pos, n->id.len, "unknown ether host: %s", n->id.s);
	if (names_host(s->o->names, n->id.s, AF_INET, &a4, &n4) < 0 || n4 == 0) {
		free(a4);
		gen_fail_at(s, n->id.pos, n->id.len, "unknown host '%s'", n->id.s);
	}
	{
		uint8_t *c = gen_alloc(s, (size_t)n4 * 4);

		memcpy(c, a4, (size_t)n4 * 4);
		free(a4);
		a4 = c;
	}
	if (s->linktype != SNIFF_DLT_EN10MB)
		gen_fail(s, "'gateway' supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel");
	b0 = gen_ether_host(s, mac, QD_OR);
	for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		struct gb t, m = { 0 };

		if (p != QP_DEFAULT && p != fam[f].qp)
			continue;
		t = gen_linktype(s, fam[f].type);
		for (int i = 0; i < n4; i++) {
			struct gb h = gen_mcmp(s, OR_LINKPL, fam[f].src, BPF_W, be32(a4 + 4 * i), 0xffffffff);

			h = gen_or(s, h, gen_mcmp(s, OR_LINKPL, fam[f].dst, BPF_W, be32(a4 + 4 * i),
						  0xffffffff));
			m = i ? gen_or(s, m, h) : h;
		}
		t = gen_and(s, t, gen_not(m));
		r = have ? gen_or(s, r, t) : t;
		have = 1;
	}
	return gen_and(s, b0, r);
}

/* ---- a primitive */

struct gb gen_prim(struct gen *s, const struct node *n)
{
	const struct id *id = &n->id;
	int type = n->q.type;
	uint32_t v;
	int vlen;
	uint8_t mac[6];

	switch (type) {
	case QT_PORT:
	case QT_PORTRANGE:
		return gen_port_prim(s, n);
	case QT_PROTO:
	case QT_PROTOCHAIN:
		if (id->kind == ID_NUM)
			v = id->num;
		else if (id->kind == ID_NAME)
			v = (uint32_t)lookup_proto(s, n);
		else
			gen_fail_at(s, id->pos, id->len, "'%s' modifier applied to an address",
				    type == QT_PROTO ? "proto" : "protochain");
		if (type == QT_PROTO)
			return gen_proto(s, v, n->q.proto, n->q.dir);
		return gen_protochain(s, v, n->q.proto);
	case QT_GATEWAY:
		return gen_gateway(s, n);
	}
	/* host, net or default */
	switch (id->kind) {
	case ID_NAME:
		if (type == QT_NET)
			return gen_net_name(s, n);
		return gen_host_name(s, n);
	case ID_NUM:
		return gen_ipv4_num(s, n, id->num, 32);
	case ID_IPV4:
		if (n->q.proto == QP_DECNET) {
			unsigned area, node;
			char tail;

			/* area.node: 6 bits of area, 10 of node */
			if (type == QT_NET)
				gen_fail(s, "'decnet' is not a valid qualifier for 'net'");
			if (sscanf(id->s, "%u.%u%c", &area, &node, &tail) != 2 || area > 63 ||
			    node > 1023)
				gen_fail_at(s, id->pos, id->len, "invalid DECnet address '%s'", id->s);
			return gen_ipv4_num(s, n, ((area << 10) & 0xfc00) | (node & 0x3ff), 32);
		}
		vlen = gen_atoin(id->s, &v);
		if (vlen < 0)
			gen_fail_at(s, id->pos, id->len, "invalid IPv4 address '%s'", id->s);
		return gen_ipv4_num(s, n, v, vlen);
	case ID_IPV4_LEN:
	case ID_IPV4_MASK:
		return gen_ipv4_masked(s, n);
	case ID_IPV6:
	case ID_IPV6_LEN:
		return gen_ipv6_lit(s, n);
	case ID_MAC:
		if (parse_mac(id->s, mac) < 0)
			gen_fail_at(s, id->pos, id->len, "invalid Ethernet address '%s'", id->s);
		if ((type == QT_HOST || type == QT_DEFAULT) && n->q.proto == QP_LINK)
			return gen_ether_host(s, mac, n->q.dir);
		gen_fail(s, "ethernet address used in non-ether expression");
	case ID_ARCNET:
		gen_fail(s, "ARCnet addresses are not supported for link type %s",
			 gen_linktype_name(s->linktype));
	case ID_PORTRANGE:
		gen_fail_at(s, id->pos, id->len, "unknown host '%s'", id->s);
	}
	gen_fail(s, "unsupported primitive");
}

