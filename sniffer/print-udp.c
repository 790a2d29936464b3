/* \summary: UDP printer (RFC 768; IPv6 checksum RFC 8200 section 8.1)
 */
#include "config.h"

#include "sniffer/print.h"

static void udpipaddr_print(struct print_ctx *ndo, const struct ip *ip, int sport, int dport)
{
	if (IP_V(ip) == 6) {
		const struct ip6_hdr *ip6 = (const struct ip6_hdr *)ip;

		if (GET_U_1(ip6->ip6_nxt) == IPPROTO_UDP) {
			if (sport == -1)
				ND_PRINT("%s > %s: ", GET_IP6ADDR_STRING(ip6->ip6_src),
					 GET_IP6ADDR_STRING(ip6->ip6_dst));
			else
				ND_PRINT("%s.%u > %s.%u: ", GET_IP6ADDR_STRING(ip6->ip6_src),
					 (unsigned)sport, GET_IP6ADDR_STRING(ip6->ip6_dst),
					 (unsigned)dport);
		} else if (sport != -1)
			ND_PRINT("%u > %u: ", (unsigned)sport, (unsigned)dport);
	} else {
		if (GET_U_1(ip->ip_p) == IPPROTO_UDP) {
			if (sport == -1)
				ND_PRINT("%s > %s: ", GET_IPADDR_STRING(ip->ip_src),
					 GET_IPADDR_STRING(ip->ip_dst));
			else
				ND_PRINT("%s.%u > %s.%u: ", GET_IPADDR_STRING(ip->ip_src),
					 (unsigned)sport, GET_IPADDR_STRING(ip->ip_dst),
					 (unsigned)dport);
		} else if (sport != -1)
			ND_PRINT("%u > %u: ", (unsigned)sport, (unsigned)dport);
	}
}

void udp_print(struct print_ctx *ndo, const uint8_t *bp, u_int length, const uint8_t *bp2,
	       int fragmented, u_int ttl_hl)
{
	const struct udphdr *up = (const struct udphdr *)bp;
	const struct ip *ip = (const struct ip *)bp2;
	const uint8_t *cp;
	uint16_t sport, dport;
	u_int ulen;

	(void)ttl_hl;
	ndo->protocol = "udp";
	if (!ND_TTEST_2(up->uh_dport)) {
		udpipaddr_print(ndo, ip, -1, -1);
		goto trunc;
	}
	sport = GET_BE_U_2(up->uh_sport);
	dport = GET_BE_U_2(up->uh_dport);
	if (length < sizeof(struct udphdr)) {
		udpipaddr_print(ndo, ip, sport, dport);
		ND_PRINT("truncated-udp %u", length);
		return;
	}
	if (!ND_TTEST_2(up->uh_ulen)) {
		udpipaddr_print(ndo, ip, sport, dport);
		goto trunc;
	}
	ulen = GET_BE_U_2(up->uh_ulen);
	/* RFC 2675 jumbograms carry 0 here and the length elsewhere */
	if (ulen == 0 && length > 65535)
		ulen = length;
	if (ulen < sizeof(struct udphdr)) {
		udpipaddr_print(ndo, ip, sport, dport);
		ND_PRINT("truncated-udplength %u", ulen);
		return;
	}
	ulen -= sizeof(struct udphdr);
	length -= sizeof(struct udphdr);
	if (ulen < length)
		length = ulen;

	cp = (const uint8_t *)(up + 1);
	if ((uintptr_t)cp > (uintptr_t)ndo->snapend) {
		udpipaddr_print(ndo, ip, sport, dport);
		goto trunc;
	}
	udpipaddr_print(ndo, ip, sport, dport);

	if (ndo->vflag && !fragmented) {
		uint16_t sum, udp_sum;

		/* tcpdump checks IPv4 UDP sums from -vv only, IPv6 ones from -v */
		if (IP_V(ip) == 4 && ndo->vflag > 1) {
			udp_sum = GET_BE_U_2(up->uh_sum);
			if (udp_sum == 0) {
				ND_PRINT("[no cksum] ");
			} else if (ND_TTEST_LEN(cp, length)) {
				sum = nextproto4_cksum(ndo, ip, bp, length + (u_int)sizeof(struct udphdr),
						       length + (u_int)sizeof(struct udphdr),
						       IPPROTO_UDP);
				if (sum != 0)
					ND_PRINT("[bad udp cksum 0x%04x -> 0x%04x!] ", udp_sum,
						 in_cksum_shouldbe(udp_sum, sum));
				else
					ND_PRINT("[udp sum ok] ");
			}
		} else if (IP_V(ip) == 6) {
			if (ND_TTEST_LEN(cp, length)) {
				sum = nextproto6_cksum(ndo, (const struct ip6_hdr *)ip, bp,
						       length + (u_int)sizeof(struct udphdr),
						       length + (u_int)sizeof(struct udphdr),
						       IPPROTO_UDP);
				udp_sum = GET_BE_U_2(up->uh_sum);
				if (sum != 0)
					ND_PRINT("[bad udp cksum 0x%04x -> 0x%04x!] ", udp_sum,
						 in_cksum_shouldbe(udp_sum, sum));
				else
					ND_PRINT("[udp sum ok] ");
			}
		}
	}

#define IS_SRC_OR_DST_PORT(p) (sport == (p) || dport == (p))
	if (!ndo->qflag) {
		/* tcpdump tries its decoders in this order: these ports go to
		 * decoders not written yet (NetBIOS, SNMP, PTP, ISAKMP, syslog,
		 * RIP, DHCPv6, LDP, AODV, OLSR, LWRES...; TFTP and Kerberos
		 * below), and keep the generic line */
		static const uint16_t undecoded1[] = {
			137, 138, 161, 162, 319, 320, 496, 500, 514, 520, 521, 525,
			546, 547, 646, 654, 698, 701, 750, 921,
		};
		/* ... and these sit between mDNS and VXLAN in tcpdump's chain */
		static const uint16_t undecoded2[] = {
			4500, 7500, 8500, 1701, 2103, 2104, 5359, 6696, 6697, 8231, 1645, 1812,
			1646, 1813, 1700, 3799, 3503, 1589, 6343, 12222, 12223, 5060, 8472,
		};
		size_t i;

		if (IS_SRC_OR_DST_PORT(53)) {
			domain_print(ndo, cp, length, 0, 0);
			return;
		}
		if (IS_SRC_OR_DST_PORT(67) || IS_SRC_OR_DST_PORT(68)) {
			bootp_print(ndo, cp, length);
			return;
		}
		if (IS_SRC_OR_DST_PORT(69) || IS_SRC_OR_DST_PORT(88))
			goto generic;
		if (IS_SRC_OR_DST_PORT(123)) {
			ntp_print(ndo, cp, length);
			return;
		}
		for (i = 0; i < sizeof(undecoded1) / sizeof(undecoded1[0]); i++)
			if (IS_SRC_OR_DST_PORT(undecoded1[i]))
				goto generic;
		if (IS_SRC_OR_DST_PORT(5353)) {
			domain_print(ndo, cp, length, 0, 1);
			return;
		}
		for (i = 0; i < sizeof(undecoded2) / sizeof(undecoded2[0]); i++)
			if (IS_SRC_OR_DST_PORT(undecoded2[i]))
				goto generic;
		if (dport == 3456 || (sport >= 7000 && sport <= 7009) ||
		    (dport >= 7000 && dport <= 7009) || dport == 4567 || dport == 1985 ||
		    dport == 3784 || dport == 4784 || dport == 6784 || dport == 3785)
			goto generic;
		if (IS_SRC_OR_DST_PORT(4789)) {
			vxlan_print(ndo, cp, length);
			return;
		}
	}
#undef IS_SRC_OR_DST_PORT
generic:
	if (ulen > length && !fragmented)
		ND_PRINT("UDP, bad length %u > %u", ulen, length);
	else
		ND_PRINT("UDP, length %u", ulen);
	return;
trunc:
	nd_print_trunc(ndo);
}
