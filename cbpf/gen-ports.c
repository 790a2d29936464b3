/* gen-ports.c - port and portrange for TCP, UDP and SCTP over IPv4 and IPv6
 * (libpcap's gen_port*, gen_portrange*). IPv4 skips non-first fragments and
 * finds the transport header through the IHL; IPv6 assumes the fixed 40-byte
 * header, as libpcap does (no extension header walking).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gen.h"

#define ETHERTYPE_IP   0x0800
#define ETHERTYPE_IPV6 0x86dd
#define IPPROTO_TCP_   6
#define IPPROTO_UDP_   17
#define IPPROTO_SCTP_  132

/* not a fragment other than the first: (ip[6:2] & 0x1fff) == 0 */
static struct gb gen_ipfrag(struct gen *s)
{
	struct gsl l = gen_load_a(s, OR_LINKPL, 6, BPF_H);

	return gen_not(gen_jmp(s, &l, BPF_JSET | BPF_K, 0x1fff));
}

static void check_dir(struct gen *s, int dir)
{
	if (dir > QD_AND)
		gen_fail(s, "802.11 address qualifiers (addr1-4, ra, ta) are not valid for ports");
}

/* One port test at OFF (0 source, 2 destination) in a range [v1, v2].
 * A range of one port is the same test as `port`: one jeq instead of
 * jge + jgt, as libpcap master's gen_portrangeatom does. */
static struct gb atom(struct gen *s, enum goffrel rel, uint32_t off, uint32_t v1, uint32_t v2,
		      int range)
{
	struct gb b1;

	if (!range || v1 == v2)
		return gen_cmp(s, rel, off, BPF_H, v1);
	if (v1 > v2) {
		uint32_t t = v1;

		v1 = v2;
		v2 = t;
	}
	b1 = gen_cmp_ge(s, rel, off, BPF_H, v1);
	return gen_and(s, b1, gen_cmp_le(s, rel, off, BPF_H, v2));
}

static struct gb dirop(struct gen *s, enum goffrel rel, uint32_t v1, uint32_t v2, int range,
		       int dir)
{
	struct gb t;

	switch (dir) {
	case QD_SRC:
		return atom(s, rel, 0, v1, v2, range);
	case QD_DST:
		return atom(s, rel, 2, v1, v2, range);
	case QD_AND:
		t = atom(s, rel, 0, v1, v2, range);
		return gen_and(s, t, atom(s, rel, 2, v1, v2, range));
	case GEN_DIR_LIST:
		t = atom(s, rel, 0, s->list_v[0], s->list_v[0], 0);
		t = gen_or(s, t, atom(s, rel, 2, s->list_v[1], s->list_v[1], 0));
		return gen_or(s, t, atom(s, rel, 0, s->list_v[2], s->list_v[2], 0));
	default:
		t = atom(s, rel, 0, v1, v2, range);
		return gen_or(s, t, atom(s, rel, 2, v1, v2, range));
	}
}

/* The protocol field at OFF is PROTO; PROTO_UNDEF (lists only): sctp, tcp
 * or udp, in libpcap's order (see port_family). */
static struct gb proto_is(struct gen *s, uint32_t off, int proto)
{
	struct gb b;

	if (proto != PROTO_UNDEF)
		return gen_cmp(s, OR_LINKPL, off, BPF_B, (uint32_t)proto);
	b = gen_cmp(s, OR_LINKPL, off, BPF_B, IPPROTO_SCTP_);
	b = gen_or(s, b, gen_cmp(s, OR_LINKPL, off, BPF_B, IPPROTO_TCP_));
	return gen_or(s, b, gen_cmp(s, OR_LINKPL, off, BPF_B, IPPROTO_UDP_));
}

static struct gb portop(struct gen *s, uint32_t v1, uint32_t v2, int range, int proto, int dir)
{
	struct gb b0 = proto_is(s, 9, proto);

	b0 = gen_and(s, b0, gen_ipfrag(s));
	return gen_and(s, b0, dirop(s, OR_TRAN_IPV4, v1, v2, range, dir));
}

static struct gb portop6(struct gen *s, uint32_t v1, uint32_t v2, int range, int proto, int dir)
{
	struct gb b0 = proto_is(s, 6, proto);

	return gen_and(s, b0, dirop(s, OR_TRAN_IPV6, v1, v2, range, dir));
}

typedef struct gb (*portop_fn)(struct gen *, uint32_t, uint32_t, int, int, int);

static struct gb port_family(struct gen *s, uint32_t ethertype, portop_fn op, uint32_t v1,
			     uint32_t v2, int range, int proto, int dir)
{
	struct gb b0 = gen_linktype(s, ethertype), b1, t;

	/* In a list (gen-lists.c), "(sctp or tcp or udp) and ports": the same
	 * decisions and loads in the same order (the protocols exclude each
	 * other and the rest is the same for each), a third of the blocks for
	 * the optimizer. Not elsewhere: its output could change. */
	if (proto == PROTO_UNDEF && !s->in_list) {
		/* sctp, then tcp, then udp: libpcap builds tcp|udp and puts sctp in front */
		t = op(s, v1, v2, range, IPPROTO_TCP_, dir);
		b1 = gen_or(s, t, op(s, v1, v2, range, IPPROTO_UDP_, dir));
		b1 = gen_or(s, op(s, v1, v2, range, IPPROTO_SCTP_, dir), b1);
	} else {
		b1 = op(s, v1, v2, range, proto, dir);
	}
	return gen_and(s, b0, b1);
}

/* IPv6 is tested first, as in libpcap (gen_or(gen_port6(), gen_port())). */
static struct gb gen_ports(struct gen *s, uint32_t v1, uint32_t v2, int range, int proto, int dir)
{
	struct gb b4, b6;

	check_dir(s, dir);
	b4 = port_family(s, ETHERTYPE_IP, portop, v1, v2, range, proto, dir);
	b6 = port_family(s, ETHERTYPE_IPV6, portop6, v1, v2, range, proto, dir);
	return gen_or(s, b6, b4);
}

/* A service name or number: *proto is 6, 17 or PROTO_UNDEF (both with the
 * same number), as libpcap's pcap_nametoport. 0 when unknown. */
static int name_to_port(struct gen *s, const char *name, uint32_t *port, int *proto)
{
	int tcp, udp;
	char *end;
	unsigned long v;

	if (*name >= '0' && *name <= '9') {
		v = strtoul(name, &end, 10);
		if (*end == '\0') {
			*port = (uint32_t)v;
			*proto = PROTO_UNDEF;
			return 1;
		}
	}
	tcp = names_port(s->o->names, name, IPPROTO_TCP_);
	udp = names_port(s->o->names, name, IPPROTO_UDP_);
	if (tcp >= 0) {
		*port = (uint32_t)tcp;
		*proto = udp == tcp ? PROTO_UNDEF : IPPROTO_TCP_;
		return 1;
	}
	if (udp >= 0) {
		*port = (uint32_t)udp;
		*proto = IPPROTO_UDP_;
		return 1;
	}
	return 0;
}

static const char *proto_name(int p)
{
	return p == IPPROTO_TCP_ ? "tcp" : p == IPPROTO_UDP_ ? "udp" : "sctp";
}

/* tcp/udp/sctp qualifiers must agree with what the name resolved to. */
static int merge_proto(struct gen *s, const struct node *n, int want, int real, const char *what)
{
	if (want == PROTO_UNDEF)
		return real;
	if (real != PROTO_UNDEF && real != want)
		gen_fail_at(s, n->id.pos, n->id.len, "%s '%s' is %s", what, n->id.s,
			    proto_name(real));
	return want;
}

/* The IP protocol a tcp/udp/sctp qualifier names, PROTO_UNDEF for none. */
static int port_proto(struct gen *s, int qproto, const char *kw)
{
	switch (qproto) {
	case QP_TCP:
		return IPPROTO_TCP_;
	case QP_UDP:
		return IPPROTO_UDP_;
	case QP_SCTP:
		return IPPROTO_SCTP_;
	case QP_DEFAULT:
		return PROTO_UNDEF;
	}
	gen_fail(s, "illegal qualifier of '%s'", kw);
}

struct gb gen_port_num(struct gen *s, uint32_t port, int qproto, int dir)
{
	return gen_ports(s, port, port, 0, port_proto(s, qproto, "port"), dir);
}

struct gb gen_port_prim(struct gen *s, const struct node *n)
{
	const struct id *id = &n->id;
	int range = n->q.type == QT_PORTRANGE;
	const char *kw = range ? "portrange" : "port";
	uint32_t p1, p2;
	int proto = port_proto(s, n->q.proto, kw), real, r2;

	switch (id->kind) {
	case ID_NUM:
		if (id->num > 65535)
			gen_fail_at(s, id->pos, id->len, "illegal port number %u > 65535", id->num);
		return gen_ports(s, id->num, id->num, range, proto, n->q.dir);
	case ID_NAME:
	case ID_PORTRANGE:
		break;
	default:
		gen_fail_at(s, id->pos, id->len, "'%s' modifier applied to %s", kw,
			    id->kind == ID_MAC ? "a MAC address" : "an IP address");
	}
	if (!range) {
		if (!name_to_port(s, id->s, &p1, &real))
			gen_fail_at(s, id->pos, id->len, "unknown port '%s'", id->s);
		real = merge_proto(s, n, proto, real, "port");
		if (p1 > 65535)
			gen_fail_at(s, id->pos, id->len, "illegal port number %u > 65535", p1);
		return gen_ports(s, p1, p1, 0, real, n->q.dir);
	}
	{
		const char *dash = strchr(id->s, '-');
		char *a;

		if (!dash)
			gen_fail_at(s, id->pos, id->len, "unknown port in range '%s'", id->s);
		a = gen_alloc(s, (size_t)(dash - id->s) + 1);
		memcpy(a, id->s, (size_t)(dash - id->s));
		if (!name_to_port(s, a, &p1, &real) || !name_to_port(s, dash + 1, &p2, &r2))
			gen_fail_at(s, id->pos, id->len, "unknown port in range '%s'", id->s);
		if (r2 != real)
			real = PROTO_UNDEF;
	}
	real = merge_proto(s, n, proto, real, "port in range");
	if (p1 > 65535 || p2 > 65535)
		gen_fail_at(s, id->pos, id->len, "illegal port number %u > 65535",
			    p1 > 65535 ? p1 : p2);
	return gen_ports(s, p1, p2, 1, real, n->q.dir);
}

/* `udp dst port N` for one family (libpcap's gen_port or gen_port6 alone),
 * as the tunnels test it. */
struct gb gen_udp_dst_port(struct gen *s, uint32_t port, int v6)
{
	if (v6)
		return port_family(s, ETHERTYPE_IPV6, portop6, port, port, 0, IPPROTO_UDP_, QD_DST);
	return port_family(s, ETHERTYPE_IP, portop, port, port, 0, IPPROTO_UDP_, QD_DST);
}
