/* \summary: IPv4 printer and the IP payload demultiplexer (RFC 791;
 * options RFC 781, RFC 1393, RFC 2113)
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "sniffer/print.h"

#define IPOPT_EOL 0
#define IPOPT_NOP 1
#define IPOPT_RR 7
#define IPOPT_TS 68
#define IPOPT_RFC1393 82
#define IPOPT_SECURITY 130
#define IPOPT_LSRR 131
#define IPOPT_SSRR 137
#define IPOPT_RA 148
#define IPOPT_TS_TSONLY 0
#define IPOPT_TS_TSANDADDR 1
#define IPOPT_TS_PRESPEC 3

static const struct tok ip_option_values[] = {
	{ IPOPT_EOL, "EOL" },
	{ IPOPT_NOP, "NOP" },
	{ IPOPT_TS, "timestamp" },
	{ IPOPT_SECURITY, "security" },
	{ IPOPT_RR, "RR" },
	{ IPOPT_SSRR, "SSRR" },
	{ IPOPT_LSRR, "LSRR" },
	{ IPOPT_RA, "RA" },
	{ IPOPT_RFC1393, "traceroute" },
	{ 0, NULL }
};

/* The recorded route of an RR, LSRR or SSRR option. */
static void ip_printroute(struct print_ctx *ndo, const uint8_t *cp, u_int length)
{
	u_int ptr, len;

	if (length < 3) {
		ND_PRINT(" [bad length %u]", length);
		return;
	}
	if ((length + 1) & 3)
		ND_PRINT(" [bad length %u]", length);
	ptr = GET_U_1(cp + 2) - 1;
	if (ptr < 3 || ((ptr + 1) & 3) || ptr > length + 1)
		ND_PRINT(" [bad ptr %u]", GET_U_1(cp + 2));
	for (len = 3; len < length; len += 4) {
		ND_PRINT(" %s", GET_IPADDR_STRING(cp + len));
		if (ptr > len)
			ND_PRINT(",");
	}
}

/* The final destination of a source route, for the pseudo-header. */
static uint32_t ip_finddst(struct print_ctx *ndo, const struct ip *ip)
{
	const uint8_t *cp = (const uint8_t *)(ip + 1);
	u_int length = IP_HL(ip) * 4, len;

	if (length < sizeof(struct ip))
		goto out;
	length -= sizeof(struct ip);
	for (; length != 0; cp += len, length -= len) {
		int tt = GET_U_1(cp);

		if (tt == IPOPT_EOL)
			break;
		else if (tt == IPOPT_NOP)
			len = 1;
		else {
			len = GET_U_1(cp + 1);
			if (len < 2)
				break;
		}
		if (length < len)
			goto out;
		if (!ND_TTEST_LEN(cp, len))
			goto out;
		if ((tt == IPOPT_SSRR || tt == IPOPT_LSRR) && len >= 7) {
			uint32_t a;

			ND_BCHECK_LEN(cp + len - 4, 4);
			memcpy(&a, cp + len - 4, 4);
			return a;
		}
	}
out:
	{
		uint32_t a;

		ND_BCHECK_LEN(ip->ip_dst, 4);
		memcpy(&a, ip->ip_dst, 4);
		return a;
	}
}

uint16_t nextproto4_cksum(struct print_ctx *ndo, const struct ip *ip, const uint8_t *data,
			  u_int len, u_int covlen, uint8_t next_proto)
{
	struct {
		uint32_t src, dst;
		uint8_t mbz, proto;
		uint16_t len;
	} ph;
	struct cksum_vec vec[2];

	ph.len = htons((uint16_t)len);
	ph.mbz = 0;
	ph.proto = next_proto;
	ND_BCHECK_LEN(ip->ip_src, 4);
	memcpy(&ph.src, ip->ip_src, 4);
	if (IP_HL(ip) == 5) {
		ND_BCHECK_LEN(ip->ip_dst, 4);
		memcpy(&ph.dst, ip->ip_dst, 4);
	} else
		ph.dst = ip_finddst(ndo, ip);
	vec[0].ptr = (const uint8_t *)&ph;
	vec[0].len = 12;
	vec[1].ptr = data;
	vec[1].len = covlen;
	return in_cksum(vec, 2);
}

static int ip_printts(struct print_ctx *ndo, const uint8_t *cp, u_int length)
{
	u_int ptr, len, hoplen;
	const char *type;

	if (length < 4) {
		ND_PRINT("[bad length %u]", length);
		return 0;
	}
	ND_PRINT(" TS{");
	hoplen = ((GET_U_1(cp + 3) & 0xF) != IPOPT_TS_TSONLY) ? 8 : 4;
	if ((length - 4) & (hoplen - 1))
		ND_PRINT("[bad length %u]", length);
	ptr = GET_U_1(cp + 2) - 1;
	len = 0;
	if (ptr < 4 || ((ptr - 4) & (hoplen - 1)) || ptr > length + 1)
		ND_PRINT("[bad ptr %u]", GET_U_1(cp + 2));
	switch (GET_U_1(cp + 3) & 0xF) {
	case IPOPT_TS_TSONLY:
		ND_PRINT("TSONLY");
		break;
	case IPOPT_TS_TSANDADDR:
		ND_PRINT("TS+ADDR");
		break;
	case IPOPT_TS_PRESPEC:
		ND_PRINT("PRESPEC");
		break;
	default:
		ND_PRINT("[bad ts type %u]", GET_U_1(cp + 3) & 0xF);
		goto done;
	}
	type = " ";
	for (len = 4; len < length; len += hoplen) {
		if (ptr == len)
			type = " ^ ";
		if (!ND_TTEST_LEN(cp + len, hoplen))
			return -1;
		ND_PRINT("%s%u@%s", type, GET_BE_U_4(cp + len + hoplen - 4),
			 hoplen != 8 ? "" : GET_IPADDR_STRING(cp + len));
		type = " ";
	}
done:
	ND_PRINT("%s", ptr == len ? " ^ " : "");
	if (GET_U_1(cp + 3) >> 4)
		ND_PRINT(" [%u hops not recorded]} ", GET_U_1(cp + 3) >> 4);
	else
		ND_PRINT("}");
	return 0;
}

/* -1 when the options are cut by the snap length. */
static int ip_optprint(struct print_ctx *ndo, const uint8_t *cp, u_int length)
{
	u_int option_len;
	const char *sep = "";

	for (; length > 0; cp += option_len, length -= option_len) {
		u_int option_code;

		ND_PRINT("%s", sep);
		sep = ",";
		option_code = GET_U_1(cp);
		ND_PRINT("%s", tok2str(ip_option_values, "unknown %u", option_code));
		if (option_code == IPOPT_NOP || option_code == IPOPT_EOL)
			option_len = 1;
		else {
			option_len = GET_U_1(cp + 1);
			if (option_len < 2) {
				ND_PRINT(" [bad length %u]", option_len);
				return 0;
			}
		}
		if (option_len > length) {
			ND_PRINT(" [bad length %u]", option_len);
			return 0;
		}
		if (!ND_TTEST_LEN(cp, option_len))
			return -1;
		switch (option_code) {
		case IPOPT_EOL:
			return 0;
		case IPOPT_TS:
			if (ip_printts(ndo, cp, option_len) == -1)
				return -1;
			break;
		case IPOPT_RR:
		case IPOPT_SSRR:
		case IPOPT_LSRR:
			ip_printroute(ndo, cp, option_len);
			break;
		case IPOPT_RA:
			if (option_len < 4) {
				ND_PRINT(" [bad length %u]", option_len);
				break;
			}
			if (GET_BE_U_2(cp + 2) != 0)
				ND_PRINT(" value %u", GET_BE_U_2(cp + 2));
			break;
		default:
			break;
		}
	}
	return 0;
}

#define IP_RES 0x8000

static const struct tok ip_frag_values[] = {
	{ IP_MF, "+" },
	{ IP_DF, "DF" },
	{ IP_RES, "rsvd" },
	{ 0, NULL }
};

void ip_demux_print(struct print_ctx *ndo, const uint8_t *bp, u_int length, u_int ver,
		    int fragmented, u_int ttl_hl, uint8_t nh, const uint8_t *iph)
{
	switch (nh) {
	case IPPROTO_TCP:
		tcp_print(ndo, bp, length, iph, fragmented);
		break;
	case IPPROTO_UDP:
		udp_print(ndo, bp, length, iph, fragmented, ttl_hl);
		break;
	case IPPROTO_ICMP:
		if (ver == 4)
			icmp_print(ndo, bp, length, iph, fragmented);
		else {
			ND_PRINT("[%s requires IPv4]", tok2str(ipproto_values, "unknown", nh));
			nd_print_invalid(ndo);
		}
		break;
	case IPPROTO_ICMPV6:
		if (ver == 6)
			icmp6_print(ndo, bp, length, iph, fragmented);
		else {
			ND_PRINT("[%s requires IPv6]", tok2str(ipproto_values, "unknown", nh));
			nd_print_invalid(ndo);
		}
		break;
	case IPPROTO_IGMP:
		if (ver == 4)
			igmp_print(ndo, bp, length);
		else {
			ND_PRINT("[%s requires IPv4]", tok2str(ipproto_values, "unknown", nh));
			nd_print_invalid(ndo);
		}
		break;
	case IPPROTO_ESP:
		esp_print(ndo, bp, length);
		break;
	case IPPROTO_IPIP:
		ip_print(ndo, bp, length);
		break;
	case IPPROTO_IPV6:
		ip6_print(ndo, bp, length);
		break;
	case 143: /* Ethernet, RFC 8986 */
		if (ver == 6)
			ether_print(ndo, bp, length, ND_BYTES_AVAILABLE_AFTER(bp));
		else {
			ND_PRINT("[%s requires IPv6]", tok2str(ipproto_values, "unknown", nh));
			nd_print_invalid(ndo);
		}
		break;
	case IPPROTO_NONE:
		ND_PRINT("no next header");
		break;
	default:
		/* tcpdump decodes many more (GRE, ESP, OSPF, PIM...): shown
		 * here as it shows a protocol it does not know */
		ND_PRINT(" ip-proto-%u %u", nh, length);
		break;
	}
}

void ip_print(struct print_ctx *ndo, const uint8_t *bp, u_int length)
{
	const struct ip *ip = (const struct ip *)bp;
	u_int off, hlen, len;
	uint8_t ip_proto;
	int truncated = 0;

	ndo->protocol = "ip";
	if (IP_V(ip) != 4) {
		if (IP_V(ip) == 6)
			ND_PRINT("IP6, wrong link-layer encapsulation");
		else
			ND_PRINT("IP%u", IP_V(ip));
		nd_print_invalid(ndo);
		return;
	}
	if (!ndo->eflag)
		ND_PRINT("IP ");

	ND_TCHECK_SIZE(ip);
	if (length < sizeof(struct ip)) {
		ND_PRINT("truncated-ip %u", length);
		return;
	}
	hlen = IP_HL(ip) * 4;
	if (hlen < sizeof(struct ip)) {
		ND_PRINT("bad-hlen %u", hlen);
		return;
	}
	len = GET_BE_U_2(ip->ip_len);
	if (length < len)
		ND_PRINT("truncated-ip - %u bytes missing! ", len - length);
	if (len < hlen) {
		ND_PRINT("bad-len %u", len);
		return;
	}

	nd_push_snaplen(ndo, bp, len);
	len -= hlen;
	off = GET_BE_U_2(ip->ip_off);
	ip_proto = GET_U_1(ip->ip_p);

	if (ndo->vflag) {
		uint8_t ip_tos = GET_U_1(ip->ip_tos), ip_ttl;

		ND_PRINT("(tos 0x%x", ip_tos);
		switch (ip_tos & 0x03) {
		case 1:
			ND_PRINT(",ECT(1)");
			break;
		case 2:
			ND_PRINT(",ECT(0)");
			break;
		case 3:
			ND_PRINT(",CE");
			break;
		}
		ip_ttl = GET_U_1(ip->ip_ttl);
		if (ip_ttl >= 1)
			ND_PRINT(", ttl %u", ip_ttl);
		ND_PRINT(", id %u, offset %u, flags [%s], proto %s (%u)", GET_BE_U_2(ip->ip_id),
			 (off & IP_OFFMASK) * 8,
			 bittok2str(ip_frag_values, "none", off & (IP_RES | IP_DF | IP_MF)),
			 tok2str(ipproto_values, "unknown", ip_proto), ip_proto);
		ND_PRINT(", length %u", GET_BE_U_2(ip->ip_len));
		if (hlen > sizeof(struct ip)) {
			ND_PRINT(", options (");
			if (ip_optprint(ndo, (const uint8_t *)(ip + 1), hlen - sizeof(struct ip)) == -1) {
				ND_PRINT(" [truncated-option]");
				truncated = 1;
			}
			ND_PRINT(")");
		}
		if (ND_TTEST_LEN(ip, hlen)) {
			struct cksum_vec vec[1];
			uint16_t sum;

			vec[0].ptr = (const uint8_t *)ip;
			vec[0].len = hlen;
			sum = in_cksum(vec, 1);
			if (sum != 0) {
				uint16_t ip_sum = GET_BE_U_2(ip->ip_sum);

				ND_PRINT(", bad cksum %x (->%x)!", ip_sum, in_cksum_shouldbe(ip_sum, sum));
			}
		}
		ND_PRINT(")\n    ");
		if (truncated) {
			ND_PRINT("%s > %s: ", GET_IPADDR_STRING(ip->ip_src),
				 GET_IPADDR_STRING(ip->ip_dst));
			nd_print_trunc(ndo);
			nd_pop_snapend(ndo);
			return;
		}
	}

	if ((off & IP_OFFMASK) == 0) {
		uint8_t nh = ip_proto;

		if (nh != IPPROTO_TCP && nh != IPPROTO_UDP && nh != IPPROTO_SCTP &&
		    nh != IPPROTO_DCCP)
			ND_PRINT("%s > %s: ", GET_IPADDR_STRING(ip->ip_src),
				 GET_IPADDR_STRING(ip->ip_dst));
		if (!ND_TTEST_LEN(ip, hlen)) {
			ND_PRINT(" [remaining caplen(%u) < header length(%u)]",
				 ND_BYTES_AVAILABLE_AFTER(ip), hlen);
			nd_trunc_longjmp(ndo);
		}
		ip_demux_print(ndo, (const uint8_t *)ip + hlen, len, 4, off & IP_MF,
			       GET_U_1(ip->ip_ttl), nh, bp);
	} else {
		if (ndo->qflag > 1) {
			nd_pop_snapend(ndo);
			return;
		}
		ND_PRINT("%s > %s:", GET_IPADDR_STRING(ip->ip_src), GET_IPADDR_STRING(ip->ip_dst));
		ND_PRINT(" ip-proto-%u", ip_proto);
	}
	nd_pop_snapend(ndo);
	return;
trunc:
	nd_print_trunc(ndo);
}

void ipN_print(struct print_ctx *ndo, const uint8_t *bp, u_int length)
{
	ndo->protocol = "ipn";
	if (length < 1) {
		ND_PRINT("truncated-ip %u", length);
		return;
	}
	switch (GET_U_1(bp) & 0xF0) {
	case 0x40:
		ip_print(ndo, bp, length);
		break;
	case 0x60:
		ip6_print(ndo, bp, length);
		break;
	default:
		ND_PRINT("unknown ip %u", (GET_U_1(bp) & 0xF0) >> 4);
		break;
	}
}
