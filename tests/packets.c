/* packets.c - test packets built from scratch (see packets.h). */
#include <arpa/inet.h>
#include <check.h>
#include <pcap/pcap.h>
#include <string.h>
#include "packets.h"

/* Addresses of the tests' expressions and of the corpus names files
 * (192.168.243.1 is one of host357's), the loopback and broadcast ones. */
const uint32_t pk_v4[] = {
	0x0a000001, 0x0a000002, 0xc0a80101, 0x01020304, 0xe0000001, 0xffffffff, 0x0a141e28,
	0x7f000001, 0x0a010005, 0xc0a8f301, 0x0a010203,
};
const size_t pk_nv4 = sizeof(pk_v4) / sizeof(pk_v4[0]);
const char *const pk_v6names[] = {
	"fe80::1", "2001:db8::1", "::1", "ff02::1", "fd00:a1b2:c3d4::1020:3040:5060:7080",
	"::ffff:1.2.3.4", "fe80::1:2",
};
const size_t pk_nv6 = sizeof(pk_v6names) / sizeof(pk_v6names[0]);
/* range ends too: `portrange 20-30`, `port 9` (discard), 0 and 65535 */
const uint32_t pk_ports[] = { 80, 53, 22, 443, 1024, 25, 20, 123, 0, 65535, 9, 30 };
const size_t pk_nports = sizeof(pk_ports) / sizeof(pk_ports[0]);
const uint8_t pk_macs[][6] = {
	{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 }, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 }, { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 },
	{ 0xaa, 0x00, 0x04, 0x00, 0x14, 0x0e }, { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06 },
};
const size_t pk_nmacs = sizeof(pk_macs) / sizeof(pk_macs[0]);

void pk_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void pk_put32(uint8_t *p, uint32_t v)
{
	pk_put16(p, v >> 16);
	pk_put16(p + 2, v);
}

uint32_t pk_l4(uint8_t *p, int proto, uint32_t sport, uint32_t dport, uint8_t flags)
{
	memset(p, 0, 24);
	pk_put16(p, sport);
	pk_put16(p + 2, dport);
	switch (proto) {
	case 6:
		p[12] = 5 << 4;
		p[13] = flags;
		return 20;
	case 17:
		return 8;
	case 132:
		return 12;
	default: /* icmp, icmp6, igmp, anything: type/code then data */
		p[0] = (uint8_t)sport;
		p[1] = (uint8_t)dport;
		return 8;
	}
}

void pk_ip4(struct pk_l3 *l, uint32_t src, uint32_t dst, int proto, uint32_t sport,
	    uint32_t dport, uint16_t frag, int optwords, uint8_t flags)
{
	uint32_t hl = 20 + 4 * (uint32_t)optwords;

	memset(l, 0, sizeof(*l));
	l->type = 0x0800;
	l->b[0] = (uint8_t)(0x40 | (hl / 4));
	pk_put16(l->b + 6, frag);
	l->b[8] = 64;
	l->b[9] = (uint8_t)proto;
	pk_put32(l->b + 12, src);
	pk_put32(l->b + 16, dst);
	memset(l->b + 20, 1, hl - 20); /* NOPs */
	l->len = hl + pk_l4(l->b + hl, proto, sport, dport, flags);
	pk_put16(l->b + 2, l->len);
}

void pk_ip6(struct pk_l3 *l, const uint8_t *src, const uint8_t *dst, int proto,
	    uint32_t sport, uint32_t dport, int fraghdr, uint8_t flags)
{
	uint32_t off = 40;

	memset(l, 0, sizeof(*l));
	l->type = 0x86dd;
	l->b[0] = 0x60;
	l->b[6] = (uint8_t)(fraghdr ? 44 : proto);
	l->b[7] = 64;
	memcpy(l->b + 8, src, 16);
	memcpy(l->b + 24, dst, 16);
	if (fraghdr) {
		l->b[40] = (uint8_t)proto;
		off = 48;
	}
	l->len = off + pk_l4(l->b + off, proto, sport, dport, flags);
	pk_put16(l->b + 4, l->len - 40);
}

void pk_arp(struct pk_l3 *l, uint16_t type, uint32_t spa, uint32_t tpa, int op)
{
	memset(l, 0, sizeof(*l));
	l->type = type;
	pk_put16(l->b, 1);
	pk_put16(l->b + 2, 0x0800);
	l->b[4] = 6;
	l->b[5] = 4;
	pk_put16(l->b + 6, (uint32_t)op);
	memcpy(l->b + 8, pk_macs[0], 6);
	pk_put32(l->b + 14, spa);
	pk_put32(l->b + 24, tpa);
	l->len = 28;
}

void pk_llc(struct pk_l3 *l, uint8_t sap, uint8_t ctl, uint16_t snaptype)
{
	memset(l, 0, sizeof(*l));
	l->b[0] = sap;
	l->b[1] = sap;
	l->b[2] = ctl;
	l->b[3] = 0x83;               /* IS-IS discriminator after an ISO SAP */
	if (sap == 0xaa)
		pk_put16(l->b + 6, snaptype);
	l->b[7] = 15;                 /* an IS-IS PDU type, inside the nosnap offsets */
	l->len = 46;
}

void pk_frame_add(const struct pk_sink *out, int dlt, const struct pk_l3 *l, unsigned v,
		  int cut, const uint8_t *mac)
{
	static const uint32_t cuts[] = { 0, 1, 4, 10, 12, 13, 14, 15, 16, 19, 20, 22, 23, 24,
					 26, 30, 33, 34, 36, 38, 40, 42, 44, 46, 47, 50, 54, 56,
					 58, 60, 62 };
	uint8_t f[320];
	uint32_t n = 0;
	uint16_t type = l->type;

	memset(f, 0, sizeof(f));
	switch (dlt) {
	case DLT_EN10MB:
		memcpy(f, mac ? mac : pk_macs[v % pk_nmacs], 6);
		memcpy(f + 6, pk_macs[(v / pk_nmacs + 3) % pk_nmacs], 6);
		if (type == 0) {
			pk_put16(f + 12, l->len);
			n = 14;
		} else if (v % 7 == 5) {
			pk_put16(f + 12, 0x8100);          /* one 802.1Q tag, ids 100-107 */
			pk_put16(f + 14, 100 + v % 8);
			pk_put16(f + 16, type);
			n = 18;
		} else if (v % 11 == 9) {
			pk_put16(f + 12, 0x88a8);          /* QinQ */
			pk_put16(f + 14, 200);
			pk_put16(f + 16, 0x8100);
			pk_put16(f + 18, 100);
			pk_put16(f + 20, type);
			n = 22;
		} else {
			pk_put16(f + 12, type);
			n = 14;
		}
		break;
	case DLT_LINUX_SLL:
		pk_put16(f, v % 3 == 1 ? 4 : v % 3);      /* host, outgoing, broadcast */
		pk_put16(f + 2, 1);
		pk_put16(f + 4, 6);
		memcpy(f + 6, mac ? mac : pk_macs[v % pk_nmacs], 6);
		pk_put16(f + 14, type ? type : 4);
		n = 16;
		break;
	case DLT_LINUX_SLL2:
		pk_put16(f, type ? type : 4);
		pk_put32(f + 4, 1 + v % 3);
		pk_put16(f + 8, 1);
		f[10] = v % 3 == 1 ? 4 : (uint8_t)(v % 3);
		f[11] = 6;
		memcpy(f + 12, mac ? mac : pk_macs[v % pk_nmacs], 6);
		n = 20;
		break;
	case DLT_NULL:
	case DLT_LOOP: {
		/* AF_INET6 as Linux (10), the BSDs (24) and Darwin (30) write it */
		uint32_t af = type == 0x0800 ? 2 : type == 0x86dd ?
			(v % 3 == 0 ? 10 : v % 3 == 1 ? 24 : 30) : 7;

		if (dlt == DLT_NULL)
			memcpy(f, &af, 4);                 /* host order */
		else
			pk_put32(f, af);
		n = 4;
		break;
	}
	default: /* raw IP: other payloads too, as garbage a filter must refuse */
		break;
	}
	ck_assert_uint_le(n + l->len, sizeof(f));
	memcpy(f + n, l->b, l->len);
	out->add(out->ctx, f, n + l->len, n + l->len);
	if (cut)
		for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
			if (cuts[i] < n + l->len)
				out->add(out->ctx, f, cuts[i], n + l->len);
}

/* Encapsulations pcap-filter looks into: MPLS label stacks, a PPPoE session
 * with PPP, Geneve and VXLAN carrying Ethernet. INNER is wrapped. */
static void encap_add(const struct pk_sink *out, int dlt, const struct pk_l3 *in, unsigned v)
{
	struct pk_l3 o;
	uint32_t n = 0;

	memset(&o, 0, sizeof(o));
	o.type = 0x8847;
	if (v % 2) {
		pk_put32(o.b, (200u << 12) | 64);
		n = 4;
	}
	pk_put32(o.b + n, ((100u + v % 3) << 12) | 0x100 | 64); /* bottom of stack */
	n += 4;
	memcpy(o.b + n, in->b, in->len);
	o.len = n + in->len;
	pk_frame_add(out, dlt, &o, v, 0, NULL);

	/* ver/type, code, session id, length, PPP protocol */
	memset(&o, 0, sizeof(o));
	o.type = 0x8864;
	o.b[0] = 0x11;
	pk_put16(o.b + 2, 3 + v % 3);
	pk_put16(o.b + 4, in->len + 2);
	pk_put16(o.b + 6, in->type == 0x86dd ? 0x57 : 0x21);
	memcpy(o.b + 8, in->b, in->len);
	o.len = 8 + in->len;
	pk_frame_add(out, dlt, &o, v, 0, NULL);

	for (int vx = 0; vx < 2; vx++) {
		uint8_t *g;

		pk_ip4(&o, 0x0a000001, 0x0a000002, 17, 1234, vx ? 4789 : 6081, 0, 0, 0);
		g = o.b + 28;
		memset(g, 0, 8);
		if (vx) {
			g[0] = 0x08;
		} else {
			g[0] = (uint8_t)(v % 2);           /* option length in words */
			pk_put16(g + 2, 0x6558);
		}
		pk_put32(g + 4, (5u + v % 2) << 8);
		n = 8 + (vx ? 0 : 4 * (v % 2));
		memcpy(g + n, pk_macs[v % pk_nmacs], 6);
		memcpy(g + n + 6, pk_macs[(v + 1) % pk_nmacs], 6);
		pk_put16(g + n + 12, in->type);
		memcpy(g + n + 14, in->b, in->len);
		o.len = 28 + n + 14 + in->len;
		pk_put16(o.b + 2, o.len);
		pk_put16(o.b + 24, o.len - 20);
		pk_frame_add(out, dlt, &o, v, 0, NULL);
	}
}

/* IPv6 extension-header chains and IPv4 AH chains, for protochain. */
static void chains_add(const struct pk_sink *out, int dlt, const uint8_t (*v6)[16], unsigned v)
{
	static const uint8_t chains[][6] = {
		{ 0, 43, 44, 60, 0xff },   /* hop-by-hop, routing, fragment, dstopts */
		{ 51, 0xff },              /* AH */
		{ 60, 51, 0xff },
		{ 60, 51, 60, 0xff },
		{ 44, 0xff },
		{ 0, 59, 0xff },           /* no next header */
	};
	static const int last[] = { 17, 6, 58, 58, 17, 17 };
	struct pk_l3 l;

	for (unsigned c = 0; c < sizeof(chains) / sizeof(chains[0]); c++) {
		uint32_t off = 40;

		/* Not ::1 as the destination: libpcap 1.10.3's protochain takes
		 * an AH's length for the offset itself (it drops the base), lands
		 * in the destination address, and with zero bytes there (hop-by-
		 * hop headers) jumps backwards forever on {60, 51, 60}. */
		pk_ip6(&l, v6[c % 2], v6[(c + 1) % 2], 17, 1, 2, 0, 0);
		l.b[6] = chains[c][0];
		for (unsigned k = 0; chains[c][k] != 0xff; k++) {
			l.b[off] = chains[c][k + 1] == 0xff ? (uint8_t)last[c] : chains[c][k + 1];
			if (chains[c][k] == 51) {
				l.b[off + 1] = 4;          /* (4 + 2) * 4 = 24 bytes */
				off += 24;
			} else if (chains[c][k] == 44) {
				off += 8;
			} else {
				l.b[off + 1] = (uint8_t)(k % 2); /* 8 or 16 bytes */
				off += 8 + 8 * (k % 2);
			}
		}
		l.len = off + pk_l4(l.b + off, last[c], 53 + c, 80, 0x12);
		pk_put16(l.b + 4, l.len - 40);
		pk_frame_add(out, dlt, &l, v + c, c == 0, NULL);
	}
	/* IPv4: AH then TCP; AH, AH then UDP */
	for (int n = 1; n <= 2; n++) {
		uint32_t off = 20;

		pk_ip4(&l, 0x0a000001, 0x0a000002, 51, 0, 0, 0, 0, 0);
		for (int k = 0; k < n; k++) {
			l.b[off] = k + 1 < n ? 51 : (uint8_t)(n == 1 ? 6 : 17);
			l.b[off + 1] = 4;
			off += 24;
		}
		l.len = off + pk_l4(l.b + off, n == 1 ? 6 : 17, 22, 80, 0x02);
		pk_put16(l.b + 2, l.len);
		pk_frame_add(out, dlt, &l, v + (unsigned)n, 1, NULL);
	}
}

void pk_build_pool(const struct pk_sink *out, int dlt)
{
	static const int protos[] = { 6, 17, 132, 1, 58, 2, 103, 112, 47, 50, 51, 89, 9 };
	static const uint8_t flags[] = { 0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x29, 0x00 };
	const size_t nprotos = sizeof(protos) / sizeof(protos[0]);
	uint8_t v6[sizeof(pk_v6names) / sizeof(pk_v6names[0])][16];
	struct pk_l3 l;
	unsigned v = 0;

	for (size_t i = 0; i < pk_nv6; i++)
		ck_assert_int_eq(inet_pton(AF_INET6, pk_v6names[i], v6[i]), 1);
	for (size_t i = 0; i < pk_nv4; i++)
		for (size_t j = 0; j < nprotos; j++, v++) {
			size_t k = (i + j) % 7;
			/* more fragments, a later fragment, the DF bit */
			uint16_t frag = k == 3 ? 0x2000 : k == 4 ? 0x00b9 : k == 5 ? 0x4000 : 0;

			pk_ip4(&l, pk_v4[i], pk_v4[(i + j + 1) % pk_nv4], protos[j],
			       pk_ports[(i + j) % pk_nports], pk_ports[(3 * i + j) % pk_nports], frag,
			       j % 3 == 2, flags[v % sizeof(flags)]);
			pk_frame_add(out, dlt, &l, v, v % 5 == 0, NULL);
		}
	for (size_t i = 0; i < pk_nv6; i++)
		for (size_t j = 0; j < nprotos; j++, v++) {
			pk_ip6(&l, v6[i], v6[(i + j + 1) % pk_nv6], protos[j],
			       pk_ports[(i + j) % pk_nports], pk_ports[(3 * i + j + 1) % pk_nports],
			       (i + j) % 4 == 1, flags[v % sizeof(flags)]);
			pk_frame_add(out, dlt, &l, v, v % 5 == 0, NULL);
		}
	for (unsigned i = 0; i < 12; i++) {
		if (i % 3 == 2)
			pk_ip6(&l, v6[i % pk_nv6], v6[(i + 1) % pk_nv6], i % 2 ? 17 : 6,
			       pk_ports[i % pk_nports], pk_ports[(i + 4) % pk_nports], 0, 0x02);
		else
			pk_ip4(&l, pk_v4[i % pk_nv4], pk_v4[(i + 2) % pk_nv4], i % 2 ? 17 : 6,
			       pk_ports[i % pk_nports], pk_ports[(i + 3) % pk_nports], 0, 0, 0x10);
		encap_add(out, dlt, &l, i);
	}
	chains_add(out, dlt, (const uint8_t (*)[16])v6, v);
	v += 8;
	for (size_t i = 0; i < pk_nv4; i++, v += 2) {
		pk_arp(&l, 0x0806, pk_v4[i], pk_v4[(i + 4) % pk_nv4], 1 + (int)(i % 2));
		pk_frame_add(out, dlt, &l, v, i % 3 == 0, NULL);
		pk_arp(&l, 0x8035, pk_v4[(i + 2) % pk_nv4], pk_v4[i], 3 + (int)(i % 2));
		pk_frame_add(out, dlt, &l, v + 1, 0, NULL);
	}
	{
		static const uint8_t saps[] = { 0xfe, 0x42, 0xe0, 0xf0, 0x06, 0xaa, 0xff };
		static const uint8_t ctls[] = { 0x03, 0x00, 0x01, 0x05, 0x63, 0xaf, 0xe3, 0x0f };

		for (size_t i = 0; i < sizeof(saps); i++)
			for (size_t j = 0; j < sizeof(ctls); j++, v++) {
				pk_llc(&l, saps[i], ctls[j], j % 2 ? 0x809b : 0x8137);
				pk_frame_add(out, dlt, &l, v, 0, NULL);
			}
	}
	{
		/* DECnet and its relatives, IPX, AppleTalk, VLAN, MPLS, PPPoE,
		 * LLDP, and 802.3 lengths at the type/length boundary */
		static const uint16_t others[] = { 0x809b, 0x80f3, 0x8137, 0x6003, 0x6004, 0x6007,
						   0x6001, 0x6002, 0x8100, 0x8847, 0x8863, 0x8864,
						   0x88cc, 0x0600, 0x05dc };

		for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++, v++) {
			pk_ip4(&l, pk_v4[i % pk_nv4], pk_v4[(i + 3) % pk_nv4], 6, 80, 1024, 0, 0, 0x02);
			l.type = others[i];
			pk_frame_add(out, dlt, &l, v, 0, NULL);
		}
	}
}
