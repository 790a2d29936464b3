/* \summary: ICMPv6 printer (RFC 4443; neighbor discovery RFC 4861; MLD
 * RFC 2710 and RFC 3810; RDNSS RFC 8106; route information RFC 4191)
 */
#include "config.h"

#include <string.h>

#include "sniffer/print.h"

struct icmp6_hdr {
	nd_uint8_t icmp6_type;
	nd_uint8_t icmp6_code;
	nd_uint16_t icmp6_cksum;
	nd_byte icmp6_data[4];  /* id/seq, MTU, pointer, flags... */
};

#define ICMP6_DST_UNREACH 1
#define ICMP6_PACKET_TOO_BIG 2
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_PARAM_PROB 4
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ICMP6_MEMBERSHIP_QUERY 130
#define ICMP6_MEMBERSHIP_REPORT 131
#define ICMP6_MEMBERSHIP_REDUCTION 132
#define ND_ROUTER_SOLICIT 133
#define ND_ROUTER_ADVERT 134
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define ND_REDIRECT 137
#define ICMP6_ROUTER_RENUMBERING 138
#define ICMP6_NI_QUERY 139
#define ICMP6_NI_REPLY 140
#define IND_SOLICIT 141
#define IND_ADVERT 142
#define ICMP6_V2_MEMBERSHIP_REPORT 143
#define ICMP6_HADISCOV_REQUEST 144
#define ICMP6_HADISCOV_REPLY 145
#define ICMP6_MOBILEPREFIX_SOLICIT 146
#define ICMP6_MOBILEPREFIX_ADVERT 147
#define MLD6_MTRACE_RESP 200
#define MLD6_MTRACE 201
#define ND_RPL_MESSAGE 155

#define MLD_MINLEN 24
#define MLDV2_MINLEN 28

#define ND_OPT_SOURCE_LINKADDR 1
#define ND_OPT_TARGET_LINKADDR 2
#define ND_OPT_PREFIX_INFORMATION 3
#define ND_OPT_REDIRECTED_HEADER 4
#define ND_OPT_MTU 5
#define ND_OPT_ADVINTERVAL 7
#define ND_OPT_HOMEAGENT_INFO 8
#define ND_OPT_ROUTE_INFO 24
#define ND_OPT_RDNSS 25
#define ND_OPT_DNSSL 31

static const struct tok icmp6_type_values[] = {
	{ ICMP6_DST_UNREACH, "destination unreachable" },
	{ ICMP6_PACKET_TOO_BIG, "packet too big" },
	{ ICMP6_TIME_EXCEEDED, "time exceeded in-transit" },
	{ ICMP6_PARAM_PROB, "parameter problem" },
	{ ICMP6_ECHO_REQUEST, "echo request" },
	{ ICMP6_ECHO_REPLY, "echo reply" },
	{ ICMP6_MEMBERSHIP_QUERY, "multicast listener query" },
	{ ICMP6_MEMBERSHIP_REPORT, "multicast listener report" },
	{ ICMP6_MEMBERSHIP_REDUCTION, "multicast listener done" },
	{ ND_ROUTER_SOLICIT, "router solicitation" },
	{ ND_ROUTER_ADVERT, "router advertisement" },
	{ ND_NEIGHBOR_SOLICIT, "neighbor solicitation" },
	{ ND_NEIGHBOR_ADVERT, "neighbor advertisement" },
	{ ND_REDIRECT, "redirect" },
	{ ICMP6_ROUTER_RENUMBERING, "router renumbering" },
	{ IND_SOLICIT, "inverse neighbor solicitation" },
	{ IND_ADVERT, "inverse neighbor advertisement" },
	{ ICMP6_V2_MEMBERSHIP_REPORT, "multicast listener report v2" },
	{ ICMP6_HADISCOV_REQUEST, "ha discovery request" },
	{ ICMP6_HADISCOV_REPLY, "ha discovery reply" },
	{ ICMP6_MOBILEPREFIX_SOLICIT, "mobile router solicitation" },
	{ ICMP6_MOBILEPREFIX_ADVERT, "mobile router advertisement" },
	{ ICMP6_NI_QUERY, "who-are-you request" },
	{ ICMP6_NI_REPLY, "who-are-you reply" },
	{ MLD6_MTRACE, "mtrace message" },
	{ MLD6_MTRACE_RESP, "mtrace response" },
	{ ND_RPL_MESSAGE, "RPL" },
	{ 0, NULL }
};

static const struct tok icmp6_dst_unreach_code_values[] = {
	{ 0, "unreachable route" },
	{ 1, " unreachable prohibited" },
	{ 2, "beyond scope" },
	{ 3, "unreachable address" },
	{ 4, "unreachable port" },
	{ 0, NULL }
};

static const struct tok icmp6_opt_pi_flag_values[] = {
	{ 0x80, "onlink" },
	{ 0x40, "auto" },
	{ 0x20, "router" },
	{ 0, NULL }
};

static const struct tok icmp6_opt_ra_flag_values[] = {
	{ 0x80, "managed" },
	{ 0x40, "other stateful" },
	{ 0x20, "home agent" },
	{ 0x02, "ipv6 only" },
	{ 0, NULL }
};

static const struct tok icmp6_nd_na_flag_values[] = {
	{ 0x80000000, "router" },
	{ 0x40000000, "solicited" },
	{ 0x20000000, "override" },
	{ 0, NULL }
};

static const struct tok icmp6_opt_values[] = {
	{ ND_OPT_SOURCE_LINKADDR, "source link-address" },
	{ ND_OPT_TARGET_LINKADDR, "destination link-address" },
	{ ND_OPT_PREFIX_INFORMATION, "prefix info" },
	{ ND_OPT_REDIRECTED_HEADER, "redirected header" },
	{ ND_OPT_MTU, "mtu" },
	{ ND_OPT_RDNSS, "rdnss" },
	{ ND_OPT_DNSSL, "dnssl" },
	{ ND_OPT_ADVINTERVAL, "advertisement interval" },
	{ ND_OPT_HOMEAGENT_INFO, "homeagent information" },
	{ ND_OPT_ROUTE_INFO, "route info" },
	{ 0, NULL }
};

static const struct tok mldv2report2str[] = {
	{ 1, "is_in" },
	{ 2, "is_ex" },
	{ 3, "to_in" },
	{ 4, "to_ex" },
	{ 5, "allow" },
	{ 6, "block" },
	{ 0, NULL }
};

static const char *get_rtpref(u_int v)
{
	static const char *rtpref_str[] = { "medium", "high", "rsv", "low" };

	return rtpref_str[((v & 0x18) >> 3) & 0x3];
}

static const char *get_lifetime(uint32_t v)
{
	static char buf[20];

	if (v == 0xffffffffu)
		return "infinity";
	snprintf(buf, sizeof(buf), "%us", v);
	return buf;
}

static void print_lladdr(struct print_ctx *ndo, const uint8_t *p, size_t l)
{
	const uint8_t *q = p;

	while (l > 0) {
		if (q > p)
			ND_PRINT(":");
		ND_PRINT("%02x", GET_U_1(q));
		q++;
		l--;
	}
}

/* The transport header inside the datagram an error message quotes. */
static const uint8_t *get_upperlayer(struct print_ctx *ndo, const uint8_t *bp, u_int *prot)
{
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)bp;
	u_int nh, hlen;

	if (!ND_TTEST_1(ip6->ip6_nxt))
		return NULL;
	nh = GET_U_1(ip6->ip6_nxt);
	hlen = sizeof(struct ip6_hdr);
	while ((uintptr_t)bp < (uintptr_t)ndo->snapend) {
		bp += hlen;
		switch (nh) {
		case IPPROTO_UDP:
		case IPPROTO_TCP:
			if (ND_TTEST_2(bp + 2)) {
				*prot = nh;
				return bp;
			}
			return NULL;
		case IPPROTO_HOPOPTS:
		case IPPROTO_DSTOPTS:
		case IPPROTO_ROUTING:
			if (!ND_TTEST_1(bp + 1))
				return NULL;
			nh = GET_U_1(bp);
			hlen = (GET_U_1(bp + 1) + 1u) << 3;
			break;
		case IPPROTO_FRAGMENT:
			if (!ND_TTEST_2(bp + 2))
				return NULL;
			/* a later fragment has no header to show */
			if ((GET_BE_U_2(bp + 2) & 0xfff8) != 0)
				return NULL;
			nh = GET_U_1(bp);
			hlen = 8;
			break;
		case IPPROTO_AH:
			if (!ND_TTEST_1(bp + 1))
				return NULL;
			nh = GET_U_1(bp);
			hlen = (GET_U_1(bp + 1) + 2u) << 2;
			break;
		default:
			*prot = nh;
			return NULL;
		}
	}
	return NULL;
}

/* Neighbor discovery options; -1 when cut short. */
static int icmp6_opt_print(struct print_ctx *ndo, const uint8_t *bp, int resid)
{
	const uint8_t *cp = bp;
	uint8_t in6[16];

	while ((uintptr_t)cp < (uintptr_t)ndo->snapend) {
		u_int opt_type, opt_len, i, l;

		if (!ND_TTEST_1(cp + 1))
			return -1;
		if (resid <= 0)
			return 0;
		opt_type = GET_U_1(cp);
		opt_len = GET_U_1(cp + 1);
		if (opt_len == 0)
			return -1;
		if ((uintptr_t)cp + (opt_len << 3) > (uintptr_t)ndo->snapend)
			return -1;
		ND_PRINT("\n\t  %s option (%u), length %u (%u): ",
			 tok2str(icmp6_opt_values, "unknown", opt_type), opt_type, opt_len << 3, opt_len);
		switch (opt_type) {
		case ND_OPT_SOURCE_LINKADDR:
		case ND_OPT_TARGET_LINKADDR:
			print_lladdr(ndo, cp + 2, (opt_len << 3) - 2);
			break;
		case ND_OPT_PREFIX_INFORMATION:
			ND_PRINT("%s/%u%s, Flags [%s], valid time %s", GET_IP6ADDR_STRING(cp + 16),
				 GET_U_1(cp + 2), (opt_len != 4) ? "badlen" : "",
				 bittok2str(icmp6_opt_pi_flag_values, "none", GET_U_1(cp + 3)),
				 get_lifetime(GET_BE_U_4(cp + 4)));
			ND_PRINT(", pref. time %s", get_lifetime(GET_BE_U_4(cp + 8)));
			break;
		case ND_OPT_REDIRECTED_HEADER:
			print_unknown_data(ndo, bp, "\n\t    ", opt_len << 3);
			break;
		case ND_OPT_MTU:
			ND_PRINT(" %u%s", GET_BE_U_4(cp + 4), (opt_len != 1) ? "bad option length" : "");
			break;
		case ND_OPT_RDNSS:
			l = (opt_len - 1) / 2;
			ND_PRINT(" lifetime %us,", GET_BE_U_4(cp + 4));
			for (i = 0; i < l; i++)
				ND_PRINT(" addr: %s", GET_IP6ADDR_STRING(cp + 8 + 16 * i));
			break;
		case ND_OPT_ADVINTERVAL:
			ND_PRINT(" %ums", GET_BE_U_4(cp + 4));
			break;
		case ND_OPT_HOMEAGENT_INFO:
			ND_PRINT(" preference %u, lifetime %u", GET_BE_U_2(cp + 4), GET_BE_U_2(cp + 6));
			break;
		case ND_OPT_ROUTE_INFO:
			if (!ND_TTEST_LEN(cp + 4, 4))
				return -1;
			memset(in6, 0, sizeof(in6));
			switch (opt_len) {
			case 1:
				break;
			case 2:
				if (!ND_TTEST_LEN(cp + 8, 8))
					return -1;
				memcpy(in6, cp + 8, 8);
				break;
			case 3:
				if (!ND_TTEST_LEN(cp + 8, 16))
					return -1;
				memcpy(in6, cp + 8, 16);
				break;
			default:
				return -1;
			}
			{
				/* the prefix is in a local copy, not in the packet */
				const uint8_t *save_p = ndo->packetp, *save_e = ndo->snapend;

				ndo->packetp = in6;
				ndo->snapend = in6 + sizeof(in6);
				ND_PRINT(" %s/", GET_IP6ADDR_STRING(in6));
				ndo->packetp = save_p;
				ndo->snapend = save_e;
			}
			ND_PRINT("%u", GET_U_1(cp + 2));
			ND_PRINT(", pref=%s", get_rtpref(GET_U_1(cp + 3)));
			ND_PRINT(", lifetime=%s", get_lifetime(GET_BE_U_4(cp + 4)));
			break;
		case ND_OPT_DNSSL: {
			const uint8_t *domp = cp + 8;

			ND_PRINT(" lifetime %us, domain(s):", GET_BE_U_4(cp + 4));
			while ((uintptr_t)domp < (uintptr_t)cp + (opt_len << 3) && GET_U_1(domp) != '\0') {
				ND_PRINT(" ");
				if ((domp = fqdn_print(ndo, domp, bp)) == NULL)
					return -1;
			}
			break;
		}
		default:
			if (ndo->vflag <= 1) {
				print_unknown_data(ndo, cp + 2, "\n\t  ", (opt_len << 3) - 2);
				return 0;
			}
			break;
		}
		if (ndo->vflag > 1)
			print_unknown_data(ndo, cp + 2, "\n\t    ", (opt_len << 3) - 2);
		cp += opt_len << 3;
		resid -= (int)(opt_len << 3);
	}
	return 0;
}

static void mld6_print(struct print_ctx *ndo, const uint8_t *bp)
{
	if ((uintptr_t)bp + 24 > (uintptr_t)ndo->snapend)
		return;
	ND_PRINT("max resp delay: %u ", GET_BE_U_2(bp + 4));
	ND_PRINT("addr: %s", GET_IP6ADDR_STRING(bp + 8));
}

static void mldv2_report_print(struct print_ctx *ndo, const uint8_t *bp, u_int len)
{
	u_int group, nsrcs, ngroups, i, j;

	if (len < 8) {
		ND_PRINT(" [invalid len %u]", len);
		return;
	}
	ngroups = GET_BE_U_2(bp + 6);
	ND_PRINT(", %u group record(s)", ngroups);
	if (ndo->vflag == 0)
		return;
	group = 8;
	for (i = 0; i < ngroups; i++) {
		if (len < group + 20) {
			ND_PRINT(" [invalid number of groups]");
			return;
		}
		ND_PRINT(" [gaddr %s", GET_IP6ADDR_STRING(bp + group + 4));
		ND_PRINT(" %s", tok2str(mldv2report2str, " [v2-report-#%u]", GET_U_1(bp + group)));
		nsrcs = GET_BE_U_2(bp + group + 2);
		if (len < group + 20 + nsrcs * 16) {
			ND_PRINT(" [invalid number of sources %u]", nsrcs);
			return;
		}
		if (ndo->vflag == 1)
			ND_PRINT(", %u source(s)", nsrcs);
		else {
			ND_PRINT(" {");
			for (j = 0; j < nsrcs; j++)
				ND_PRINT(" %s", GET_IP6ADDR_STRING(bp + group + 20 + j * 16));
			ND_PRINT(" }");
		}
		group += 20 + nsrcs * 16;
		ND_PRINT("]");
	}
}

static void mldv2_query_print(struct print_ctx *ndo, const uint8_t *bp, u_int len)
{
	u_int mrc, mrt, qqi, nsrcs, i;

	if (len < 28) {
		ND_PRINT(" [invalid len %u]", len);
		return;
	}
	mrc = GET_BE_U_2(bp + 4);
	if (mrc < 32768)
		mrt = mrc;
	else
		mrt = ((mrc & 0x0fff) | 0x1000) << (((mrc & 0x7000) >> 12) + 3);
	if (ndo->vflag)
		ND_PRINT(" [max resp delay=%u]", mrt);
	ND_PRINT(" [gaddr %s", GET_IP6ADDR_STRING(bp + 8));
	if (ndo->vflag) {
		if (GET_U_1(bp + 24) & 0x08)
			ND_PRINT(" sflag");
		if (GET_U_1(bp + 24) & 0x07)
			ND_PRINT(" robustness=%u", GET_U_1(bp + 24) & 0x07);
		if (GET_U_1(bp + 25) < 128)
			qqi = GET_U_1(bp + 25);
		else
			qqi = ((GET_U_1(bp + 25) & 0x0f) | 0x10) << (((GET_U_1(bp + 25) & 0x70) >> 4) + 3);
		ND_PRINT(" qqi=%u", qqi);
	}
	nsrcs = GET_BE_U_2(bp + 26);
	if (nsrcs > 0) {
		if (len < 28 + nsrcs * 16)
			ND_PRINT(" [invalid number of sources]");
		else if (ndo->vflag > 1) {
			ND_PRINT(" {");
			for (i = 0; i < nsrcs; i++)
				ND_PRINT(" %s", GET_IP6ADDR_STRING(bp + 28 + i * 16));
			ND_PRINT(" }");
		} else
			ND_PRINT(", %u source(s)", nsrcs);
	}
	ND_PRINT("]");
}

void icmp6_print(struct print_ctx *ndo, const uint8_t *bp, u_int length, const uint8_t *bp2,
		 int fragmented)
{
	const struct icmp6_hdr *dp = (const struct icmp6_hdr *)bp;
	const struct ip6_hdr *ip = (const struct ip6_hdr *)bp2;
	const struct ip6_hdr *oip = (const struct ip6_hdr *)(bp + 8);
	const uint8_t *ouh;
	uint8_t icmp6_type, icmp6_code;
	u_int prot = 0;

	ndo->protocol = "icmp6";
	if (length == 0) {
		ND_PRINT("ICMP6, length 0");
		nd_print_invalid(ndo);
		return;
	}
	if (ndo->vflag && !fragmented && ND_TTEST_LEN(bp, length)) {
		uint16_t udp_sum = GET_BE_U_2(dp->icmp6_cksum);
		uint16_t sum = nextproto6_cksum(ndo, ip, bp, length, length, IPPROTO_ICMPV6);

		if (sum != 0)
			ND_PRINT("[bad icmp6 cksum 0x%04x -> 0x%04x!] ", udp_sum,
				 in_cksum_shouldbe(udp_sum, sum));
		else
			ND_PRINT("[icmp6 sum ok] ");
	}

	icmp6_type = GET_U_1(dp->icmp6_type);
	ND_PRINT("ICMP6, %s", tok2str(icmp6_type_values, "unknown icmp6 type (%u)", icmp6_type));
	/* with -v these print the length here, before their details */
	if (ndo->vflag &&
	    (icmp6_type == ND_ROUTER_SOLICIT || icmp6_type == ND_ROUTER_ADVERT ||
	     icmp6_type == ND_NEIGHBOR_ADVERT || icmp6_type == ND_NEIGHBOR_SOLICIT ||
	     icmp6_type == ND_REDIRECT || icmp6_type == ICMP6_HADISCOV_REPLY ||
	     icmp6_type == ICMP6_MOBILEPREFIX_ADVERT))
		ND_PRINT(", length %u", length);
	icmp6_code = GET_U_1(dp->icmp6_code);

	switch (icmp6_type) {
	case ICMP6_DST_UNREACH:
		ND_PRINT(", %s", tok2str(icmp6_dst_unreach_code_values, "unknown unreach code (%u)",
					 icmp6_code));
		switch (icmp6_code) {
		case 0:
		case 1:
		case 3:
			ND_PRINT(" %s", GET_IP6ADDR_STRING(oip->ip6_dst));
			break;
		case 2:
			ND_PRINT(" %s, source address %s", GET_IP6ADDR_STRING(oip->ip6_dst),
				 GET_IP6ADDR_STRING(oip->ip6_src));
			break;
		case 4: {
			uint16_t dport;

			if ((ouh = get_upperlayer(ndo, (const uint8_t *)oip, &prot)) == NULL)
				goto trunc;
			dport = GET_BE_U_2(ouh + 2);
			if (prot == IPPROTO_TCP)
				ND_PRINT(", %s tcp port %u", GET_IP6ADDR_STRING(oip->ip6_dst), dport);
			else if (prot == IPPROTO_UDP)
				ND_PRINT(", %s udp port %u", GET_IP6ADDR_STRING(oip->ip6_dst), dport);
			else
				ND_PRINT(", %s protocol %u port %u unreachable",
					 GET_IP6ADDR_STRING(oip->ip6_dst), prot, dport);
			break;
		}
		default:
			if (ndo->vflag <= 1) {
				print_unknown_data(ndo, bp, "\n\t", length);
				return;
			}
			break;
		}
		break;
	case ICMP6_PACKET_TOO_BIG:
		ND_PRINT(", mtu %u", GET_BE_U_4(dp->icmp6_data));
		break;
	case ICMP6_TIME_EXCEEDED:
		switch (icmp6_code) {
		case 0:
			ND_PRINT(" for %s", GET_IP6ADDR_STRING(oip->ip6_dst));
			break;
		case 1:
			ND_PRINT(" (reassembly)");
			break;
		default:
			ND_PRINT(", unknown code (%u)", icmp6_code);
			break;
		}
		break;
	case ICMP6_PARAM_PROB:
		ND_TCHECK_LEN(oip->ip6_dst, 16);
		switch (icmp6_code) {
		case 0:
			ND_PRINT(", erroneous - octet %u", GET_BE_U_4(dp->icmp6_data));
			break;
		case 1:
			ND_PRINT(", next header - octet %u", GET_BE_U_4(dp->icmp6_data));
			break;
		case 2:
			ND_PRINT(", option - octet %u", GET_BE_U_4(dp->icmp6_data));
			break;
		case 3:
			ND_PRINT(", incomplete header chain - octet %u", GET_BE_U_4(dp->icmp6_data));
			break;
		default:
			ND_PRINT(", code-#%u", icmp6_code);
			break;
		}
		break;
	case ICMP6_ECHO_REQUEST:
	case ICMP6_ECHO_REPLY:
		ND_PRINT(", id %u, seq %u", GET_BE_U_2(dp->icmp6_data), GET_BE_U_2(dp->icmp6_data + 2));
		break;
	case ICMP6_MEMBERSHIP_QUERY:
		if (length == MLD_MINLEN)
			mld6_print(ndo, bp);
		else if (length >= MLDV2_MINLEN) {
			ND_PRINT(" v2");
			mldv2_query_print(ndo, bp, length);
		} else
			ND_PRINT(" unknown-version (len %u) ", length);
		break;
	case ICMP6_MEMBERSHIP_REPORT:
	case ICMP6_MEMBERSHIP_REDUCTION:
		mld6_print(ndo, bp);
		break;
	case ND_ROUTER_SOLICIT:
		if (ndo->vflag && icmp6_opt_print(ndo, bp + 8, (int)length - 8) == -1)
			goto trunc;
		break;
	case ND_ROUTER_ADVERT:
		if (ndo->vflag) {
			uint8_t fl = GET_U_1(dp->icmp6_data + 1);

			ND_PRINT("\n\thop limit %u, Flags [%s], pref %s, router lifetime %us, "
				 "reachable time %ums, retrans timer %ums",
				 GET_U_1(dp->icmp6_data), bittok2str(icmp6_opt_ra_flag_values, "none", fl),
				 get_rtpref(fl), GET_BE_U_2(dp->icmp6_data + 2), GET_BE_U_4(bp + 8),
				 GET_BE_U_4(bp + 12));
			if (icmp6_opt_print(ndo, bp + 16, (int)length - 16) == -1)
				goto trunc;
		}
		break;
	case ND_NEIGHBOR_SOLICIT:
		ND_PRINT(", who has %s", GET_IP6ADDR_STRING(bp + 8));
		if (ndo->vflag && icmp6_opt_print(ndo, bp + 24, (int)length - 24) == -1)
			goto trunc;
		break;
	case ND_NEIGHBOR_ADVERT:
		ND_PRINT(", tgt is %s", GET_IP6ADDR_STRING(bp + 8));
		if (ndo->vflag) {
			ND_PRINT(", Flags [%s]",
				 bittok2str(icmp6_nd_na_flag_values, "none", GET_BE_U_4(dp->icmp6_data)));
			if (icmp6_opt_print(ndo, bp + 24, (int)length - 24) == -1)
				goto trunc;
		}
		break;
	case ND_REDIRECT:
		ND_PRINT(", %s", GET_IP6ADDR_STRING(bp + 24));
		ND_PRINT(" to %s", GET_IP6ADDR_STRING(bp + 8));
		if (ndo->vflag && icmp6_opt_print(ndo, bp + 40, (int)length - 40) == -1)
			goto trunc;
		break;
	case IND_SOLICIT:
	case IND_ADVERT:
		break;
	case ICMP6_V2_MEMBERSHIP_REPORT:
		mldv2_report_print(ndo, bp, length);
		break;
	case ICMP6_MOBILEPREFIX_SOLICIT:
	case ICMP6_HADISCOV_REQUEST:
		ND_PRINT(", id 0x%04x", GET_BE_U_2(dp->icmp6_data));
		break;
	case ICMP6_HADISCOV_REPLY:
		if (ndo->vflag) {
			const uint8_t *cp, *p;

			ND_PRINT(", id 0x%04x", GET_BE_U_2(dp->icmp6_data));
			cp = bp + ND_MIN(length, ND_BYTES_AVAILABLE_AFTER(bp));
			p = bp + 8;
			while ((uintptr_t)p < (uintptr_t)cp) {
				ND_PRINT(", %s", GET_IP6ADDR_STRING(p));
				p += 16;
			}
		}
		break;
	case ICMP6_MOBILEPREFIX_ADVERT:
		if (ndo->vflag) {
			uint16_t flags;

			ND_PRINT(", id 0x%04x", GET_BE_U_2(dp->icmp6_data));
			flags = GET_BE_U_2(dp->icmp6_data + 2);
			if (flags & 0xc000)
				ND_PRINT(" ");
			if (flags & 0x8000)
				ND_PRINT("M");
			if (flags & 0x4000)
				ND_PRINT("O");
			if (icmp6_opt_print(ndo, bp + 8, (int)length - 8) == -1)
				goto trunc;
		}
		break;
	case ICMP6_ROUTER_RENUMBERING:
	case ICMP6_NI_QUERY:
	case ICMP6_NI_REPLY:
	case ND_RPL_MESSAGE:
		/* tcpdump decodes these bodies; not written yet */
		break;
	default:
		ND_PRINT(", length %u", length);
		if (ndo->vflag <= 1)
			print_unknown_data(ndo, bp, "\n\t", length);
		return;
	}
	if (!ndo->vflag)
		ND_PRINT(", length %u", length);
	return;
trunc:
	nd_print_trunc(ndo);
}
