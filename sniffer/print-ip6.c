/* \summary: IPv6 printer (RFC 8200: header, hop-by-hop and destination
 * options, routing header RFC 8754, fragment header)
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "sniffer/print.h"

#define IP6_VERSION(ip6) ((GET_U_1((ip6)->ip6_flow) & 0xf0) >> 4)

struct ip6_ext {
	nd_uint8_t nxt;
	nd_uint8_t len;  /* 8-octet units, not counting the first 8 */
};

struct ip6_frag {
	nd_uint8_t ip6f_nxt;
	nd_uint8_t ip6f_reserved;
	nd_uint16_t ip6f_offlg;
	nd_uint32_t ip6f_ident;
};
#define IP6F_OFF_MASK 0xfff8

struct ip6_rthdr {
	nd_uint8_t ip6r_nxt;
	nd_uint8_t ip6r_len;
	nd_uint8_t ip6r_type;
	nd_uint8_t ip6r_segleft;
	nd_uint32_t ip6r_reserved; /* type 0/2; type 4: last_ent, flags, tag */
};
#define IPV6_RTHDR_TYPE_0 0
#define IPV6_RTHDR_TYPE_2 2
#define IPV6_RTHDR_TYPE_4 4

#define IP6OPT_PAD1 0x00
#define IP6OPT_PADN 0x01
#define IP6OPT_ROUTER_ALERT 0x05
#define IP6OPT_JUMBO 0xC2
#define IP6OPT_HOME_ADDRESS 0xc9
#define IP6OPT_MINLEN 2
#define IP6OPT_RTALERT_LEN 4
#define IP6OPT_JUMBO_LEN 6
#define IP6OPT_HOMEADDR_MINLEN 18

/* Options of a hop-by-hop or destination header: printed with -v only,
 * but always walked to find a Jumbo Payload. -1 when malformed/cut. */
static int ip6_opt_process(struct print_ctx *ndo, const uint8_t *bp, u_int len,
			   int *found_jumbop, uint32_t *payload_len)
{
	u_int i, optlen = 0;
	int found_jumbo = 0;
	uint32_t jumbolen;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i += optlen) {
		uint8_t type = GET_U_1(bp + i);

		if (type == IP6OPT_PAD1)
			optlen = 1;
		else {
			if (i + 1 < len)
				optlen = GET_U_1(bp + i + 1) + 2u;
			else
				return -1;
		}
		if (i + optlen > len)
			return -1;
		switch (type) {
		case IP6OPT_PAD1:
			if (ndo->vflag)
				ND_PRINT("(pad1)");
			break;
		case IP6OPT_PADN:
			if (len - i < IP6OPT_MINLEN) {
				ND_PRINT("(padn: trunc)");
				return -1;
			}
			if (ndo->vflag)
				ND_PRINT("(padn)");
			break;
		case IP6OPT_ROUTER_ALERT:
			if (len - i < IP6OPT_RTALERT_LEN) {
				ND_PRINT("(rtalert: trunc)");
				return -1;
			}
			if (GET_U_1(bp + i + 1) != IP6OPT_RTALERT_LEN - 2) {
				ND_PRINT("(rtalert: invalid len %u)", GET_U_1(bp + i + 1));
				return -1;
			}
			if (ndo->vflag)
				ND_PRINT("(rtalert: 0x%04x) ", GET_BE_U_2(bp + i + 2));
			break;
		case IP6OPT_JUMBO:
			if (len - i < IP6OPT_JUMBO_LEN) {
				ND_PRINT("(jumbo: trunc)");
				return -1;
			}
			if (GET_U_1(bp + i + 1) != IP6OPT_JUMBO_LEN - 2) {
				ND_PRINT("(jumbo: invalid len %u)", GET_U_1(bp + i + 1));
				return -1;
			}
			jumbolen = GET_BE_U_4(bp + i + 2);
			if (found_jumbo) {
				if (ndo->vflag)
					ND_PRINT("(jumbo: %u - already seen) ", jumbolen);
			} else {
				found_jumbo = 1;
				if (payload_len == NULL) {
					if (ndo->vflag)
						ND_PRINT("(jumbo: %u - not a hop-by-hop option) ", jumbolen);
				} else if (*payload_len != 0) {
					if (ndo->vflag)
						ND_PRINT("(jumbo: %u - payload len != 0) ", jumbolen);
				} else if (jumbolen < 65536) {
					if (ndo->vflag)
						ND_PRINT("(jumbo: %u - < 65536) ", jumbolen);
				} else {
					*found_jumbop = 1;
					*payload_len = jumbolen;
					if (ndo->vflag)
						ND_PRINT("(jumbo: %u) ", jumbolen);
				}
			}
			break;
		case IP6OPT_HOME_ADDRESS:
			if (len - i < IP6OPT_HOMEADDR_MINLEN) {
				ND_PRINT("(homeaddr: trunc)");
				return -1;
			}
			if (GET_U_1(bp + i + 1) < IP6OPT_HOMEADDR_MINLEN - 2) {
				ND_PRINT("(homeaddr: invalid len %u)", GET_U_1(bp + i + 1));
				return -1;
			}
			if (ndo->vflag)
				ND_PRINT("(homeaddr: %s)", GET_IP6ADDR_STRING(bp + i + 2));
			break;
		default:
			if (len - i < IP6OPT_MINLEN) {
				ND_PRINT("(type %u: trunc)", type);
				return -1;
			}
			if (ndo->vflag)
				ND_PRINT("(opt_type 0x%02x: len=%u)", type, GET_U_1(bp + i + 1));
			break;
		}
	}
	if (ndo->vflag)
		ND_PRINT(" ");
	return 0;
}

static int hbhopt_process(struct print_ctx *ndo, const uint8_t *bp, int *found_jumbo,
			  uint32_t *jumbolen)
{
	const struct ip6_ext *dp = (const struct ip6_ext *)bp;
	u_int hbhlen;

	ndo->protocol = "hbhopt";
	hbhlen = (GET_U_1(dp->len) + 1u) << 3;
	ND_TCHECK_LEN(dp, hbhlen);
	ND_PRINT("HBH ");
	if (ip6_opt_process(ndo, bp + 2, hbhlen - 2, found_jumbo, jumbolen) == -1)
		goto trunc;
	return (int)hbhlen;
trunc:
	nd_print_trunc(ndo);
	return -1;
}

static int dstopt_process(struct print_ctx *ndo, const uint8_t *bp)
{
	const struct ip6_ext *dp = (const struct ip6_ext *)bp;
	u_int dstoptlen;

	ndo->protocol = "dstopt";
	dstoptlen = (GET_U_1(dp->len) + 1u) << 3;
	ND_TCHECK_LEN(dp, dstoptlen);
	ND_PRINT("DSTOPT ");
	if (ndo->vflag && ip6_opt_process(ndo, bp + 2, dstoptlen - 2, NULL, NULL) == -1)
		goto trunc;
	return (int)dstoptlen;
trunc:
	nd_print_trunc(ndo);
	return -1;
}

static int frag6_print(struct print_ctx *ndo, const uint8_t *bp, const uint8_t *bp2)
{
	const struct ip6_frag *dp = (const struct ip6_frag *)bp;
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)bp2;
	u_int rest = (u_int)(sizeof(struct ip6_hdr) + GET_BE_U_2(ip6->ip6_plen) -
			     (size_t)(bp - bp2) - sizeof(struct ip6_frag));

	ndo->protocol = "frag6";
	if (ndo->vflag)
		ND_PRINT("frag (0x%08x:%u|%u)", GET_BE_U_4(dp->ip6f_ident),
			 GET_BE_U_2(dp->ip6f_offlg) & IP6F_OFF_MASK, rest);
	else
		ND_PRINT("frag (%u|%u)", GET_BE_U_2(dp->ip6f_offlg) & IP6F_OFF_MASK, rest);
	/* a fragment other than the first does not start with a header */
	if ((GET_BE_U_2(dp->ip6f_offlg) & IP6F_OFF_MASK) != 0)
		return -1;
	ND_PRINT(" ");
	return sizeof(struct ip6_frag);
}

static int rt6_print(struct print_ctx *ndo, const uint8_t *bp)
{
	const struct ip6_rthdr *dp = (const struct ip6_rthdr *)bp;
	const uint8_t *p;
	u_int len, type, i, last;

	ndo->protocol = "rt6";
	ND_PRINT("RT6");
	len = GET_U_1(dp->ip6r_len);
	ND_PRINT(" (len=%u", len);
	type = GET_U_1(dp->ip6r_type);
	ND_PRINT(", type=%u", type);
	if (type == IPV6_RTHDR_TYPE_0)
		ND_PRINT(" [Deprecated]");
	ND_PRINT(", segleft=%u", GET_U_1(dp->ip6r_segleft));
	switch (type) {
	case IPV6_RTHDR_TYPE_0:
	case IPV6_RTHDR_TYPE_2:
		if (GET_BE_U_4(dp->ip6r_reserved) || ndo->vflag)
			ND_PRINT(", rsv=0x%0x", GET_BE_U_4(dp->ip6r_reserved));
		if (len % 2 == 1) {
			ND_PRINT(" [invalid length %u]", len);
			break;
		}
		len >>= 1;
		p = bp + 8;
		for (i = 0; i < len; i++) {
			ND_PRINT(", [%u]%s", i, GET_IP6ADDR_STRING(p));
			p += 16;
		}
		ND_PRINT(") ");
		return (int)((GET_U_1(dp->ip6r_len) + 1u) << 3);
	case IPV6_RTHDR_TYPE_4:
		last = GET_U_1(bp + 4);
		ND_PRINT(", last-entry=%u", last);
		if (GET_U_1(bp + 5) || ndo->vflag)
			ND_PRINT(", flags=0x%0x", GET_U_1(bp + 5));
		ND_PRINT(", tag=%x", GET_BE_U_2(bp + 6));
		p = bp + 8;
		for (i = 0; i < last + 1; i++) {
			ND_PRINT(", [%u]%s", i, GET_IP6ADDR_STRING(p));
			p += 16;
		}
		ND_PRINT(") ");
		return (int)((GET_U_1(dp->ip6r_len) + 1u) << 3);
	default:
		ND_PRINT(" (unknown type)");
		break;
	}
	nd_print_invalid(ndo);
	return -1;
}

/* The final destination for the pseudo-header: the last address of a
 * routing header when there is one. */
static void ip6_finddst(struct print_ctx *ndo, uint8_t *dst, const struct ip6_hdr *ip6)
{
	const uint8_t *cp = (const uint8_t *)ip6;
	const uint8_t *dst_addr = ip6->ip6_dst;
	u_int advance = sizeof(struct ip6_hdr), nh = GET_U_1(ip6->ip6_nxt), i, len;

	while ((uintptr_t)cp < (uintptr_t)ndo->snapend) {
		cp += advance;
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_DSTOPTS:
			advance = (GET_U_1(cp + 1) + 1u) << 3;
			nh = GET_U_1(cp);
			continue;
		case IPPROTO_FRAGMENT:
			advance = sizeof(struct ip6_frag);
			nh = GET_U_1(cp);
			continue;
		case IPPROTO_ROUTING:
			len = GET_U_1(cp + 1);
			switch (GET_U_1(cp + 2)) {
			case IPV6_RTHDR_TYPE_0:
			case IPV6_RTHDR_TYPE_2:
				for (i = 0; i < len / 2; i++) {
					ND_BCHECK_LEN(cp + 8 + 16 * i, 16);
					dst_addr = cp + 8 + 16 * i;
				}
				break;
			case IPV6_RTHDR_TYPE_4:
				dst_addr = cp + 8;
				break;
			}
			break;
		default:
			break;
		}
		break;
	}
	ND_BCHECK_LEN(dst_addr, 16);
	memcpy(dst, dst_addr, 16);
}

uint16_t nextproto6_cksum(struct print_ctx *ndo, const struct ip6_hdr *ip6, const uint8_t *data,
			  u_int len, u_int covlen, uint8_t next_proto)
{
	struct {
		uint8_t src[16], dst[16];
		uint32_t len;
		uint8_t zero[3], nxt;
	} ph;
	struct cksum_vec vec[2];

	memset(&ph, 0, sizeof(ph));
	ND_BCHECK_LEN(ip6->ip6_src, 16);
	memcpy(ph.src, ip6->ip6_src, 16);
	switch (GET_U_1(ip6->ip6_nxt)) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_DSTOPTS:
	case IPPROTO_ROUTING:
		ip6_finddst(ndo, ph.dst, ip6);
		break;
	default:
		ND_BCHECK_LEN(ip6->ip6_dst, 16);
		memcpy(ph.dst, ip6->ip6_dst, 16);
		break;
	}
	ph.len = htonl(len);
	ph.nxt = next_proto;
	vec[0].ptr = (const uint8_t *)&ph;
	vec[0].len = 40;
	vec[1].ptr = data;
	vec[1].len = covlen;
	return in_cksum(vec, 2);
}

void ip6_print(struct print_ctx *ndo, const uint8_t *bp, u_int length)
{
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)bp;
	const uint8_t *cp;
	int advance, fragmented = 0, found_extension_header = 0, found_jumbo = 0, found_hbh = 0;
	u_int len, total_advance;
	uint32_t payload_len;
	uint8_t ph, nh;

	ndo->protocol = "ip6";
	ND_TCHECK_SIZE(ip6);
	if (length < sizeof(struct ip6_hdr)) {
		ND_PRINT("truncated-ip6 %u", length);
		return;
	}
	if (!ndo->eflag)
		ND_PRINT("IP6 ");
	if (IP6_VERSION(ip6) != 6) {
		ND_PRINT("version error: %u != 6", IP6_VERSION(ip6));
		return;
	}
	payload_len = GET_BE_U_2(ip6->ip6_plen);
	/* A zero payload length announces a Jumbo Payload option (RFC 2675):
	 * walk the headers with what we have and check for it at the end. */
	if (payload_len != 0) {
		len = payload_len + (u_int)sizeof(struct ip6_hdr);
		if (length < len)
			ND_PRINT("truncated-ip6 - %u bytes missing!", len - length);
	} else
		len = length + (u_int)sizeof(struct ip6_hdr);

	ph = 255;
	nh = GET_U_1(ip6->ip6_nxt);
	if (ndo->vflag) {
		uint32_t flow = GET_BE_U_4(ip6->ip6_flow);

		ND_PRINT("(");
		if (flow & 0x0ff00000)
			ND_PRINT("class 0x%02x, ", (flow & 0x0ff00000) >> 20);
		if (flow & 0x000fffff)
			ND_PRINT("flowlabel 0x%05x, ", flow & 0x000fffff);
		ND_PRINT("hlim %u, next-header %s (%u) payload length: %u) ", GET_U_1(ip6->ip6_hlim),
			 tok2str(ipproto_values, "unknown", nh), nh, payload_len);
	}

	nd_push_snaplen(ndo, bp, len);
	cp = bp;
	advance = sizeof(struct ip6_hdr);
	total_advance = 0;
	while ((uintptr_t)cp < (uintptr_t)ndo->snapend && advance > 0) {
		if (len < (u_int)advance)
			goto trunc;
		cp += advance;
		len -= (u_int)advance;
		total_advance += (u_int)advance;

		if (cp == bp + sizeof(struct ip6_hdr) && nh != IPPROTO_TCP && nh != IPPROTO_UDP &&
		    nh != IPPROTO_DCCP && nh != IPPROTO_SCTP)
			ND_PRINT("%s > %s: ", GET_IP6ADDR_STRING(ip6->ip6_src),
				 GET_IP6ADDR_STRING(ip6->ip6_dst));

		switch (nh) {
		case IPPROTO_HOPOPTS:
			/* RFC 8200: only right after the IPv6 header, only once */
			if (found_hbh == 1) {
				ND_PRINT("[The Hop-by-Hop Options header was already found]");
				nd_print_invalid(ndo);
				nd_pop_snapend(ndo);
				return;
			}
			if (ph != 255) {
				ND_PRINT("[The Hop-by-Hop Options header don't follow the IPv6 header]");
				nd_print_invalid(ndo);
				nd_pop_snapend(ndo);
				return;
			}
			advance = hbhopt_process(ndo, cp, &found_jumbo, &payload_len);
			if (payload_len == 0 && found_jumbo == 0) {
				ND_PRINT("[No valid Jumbo Payload Hop-by-Hop option found]");
				nd_print_invalid(ndo);
				nd_pop_snapend(ndo);
				return;
			}
			if (advance < 0) {
				nd_pop_snapend(ndo);
				return;
			}
			found_extension_header = 1;
			found_hbh = 1;
			nh = GET_U_1(cp);
			break;
		case IPPROTO_DSTOPTS:
			advance = dstopt_process(ndo, cp);
			if (advance < 0) {
				nd_pop_snapend(ndo);
				return;
			}
			found_extension_header = 1;
			nh = GET_U_1(cp);
			break;
		case IPPROTO_FRAGMENT:
			advance = frag6_print(ndo, cp, bp);
			if (advance < 0 || (uintptr_t)ndo->snapend <= (uintptr_t)(cp + advance)) {
				nd_pop_snapend(ndo);
				return;
			}
			found_extension_header = 1;
			nh = GET_U_1(cp);
			fragmented = 1;
			break;
		case IPPROTO_ROUTING:
			ND_TCHECK_LEN(cp, 1);
			advance = rt6_print(ndo, cp);
			if (advance < 0) {
				nd_pop_snapend(ndo);
				return;
			}
			found_extension_header = 1;
			nh = GET_U_1(cp);
			break;
		default:
			if (found_jumbo) {
				len = payload_len + (u_int)sizeof(struct ip6_hdr);
				if (len < total_advance)
					goto trunc;
				if (length < len)
					ND_PRINT("truncated-ip6 - %u bytes missing!", len - length);
				nd_change_snaplen(ndo, bp, len);
				len -= total_advance;
			} else if (payload_len == 0) {
				if (found_extension_header)
					goto trunc;
				len = sizeof(struct ip6_hdr);
				nd_change_snaplen(ndo, bp, len);
				len -= total_advance;
			}
			ip_demux_print(ndo, cp, len, 6, fragmented, GET_U_1(ip6->ip6_hlim), nh, bp);
			nd_pop_snapend(ndo);
			return;
		}
		ph = nh;
		ndo->protocol = "ip6";
	}
	nd_pop_snapend(ndo);
	return;
trunc:
	nd_print_trunc(ndo);
	nd_pop_snapend(ndo);
}
