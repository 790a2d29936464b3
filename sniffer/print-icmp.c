/* \summary: ICMP printer (RFC 792; RFC 1191 path MTU, RFC 1256 router
 * discovery, RFC 4884 multi-part messages, RFC 4950 MPLS extensions)
 */
#include "config.h"

#include <string.h>

#include "sniffer/print.h"

struct icmp {
	nd_uint8_t icmp_type;
	nd_uint8_t icmp_code;
	nd_uint16_t icmp_cksum;
	nd_byte icmp_hun[4];      /* id/seq, gateway, pointer, MTU */
	struct ip icmp_ip;       /* errors: the offending datagram */
};
#define icmp_id(dp) ((dp)->icmp_hun)
#define icmp_seq(dp) ((dp)->icmp_hun + 2)
#define icmp_data(dp) ((const uint8_t *)(dp) + 8)

#define ICMP_ECHOREPLY 0
#define ICMP_UNREACH 3
#define ICMP_SOURCEQUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_ECHO 8
#define ICMP_ROUTERADVERT 9
#define ICMP_ROUTERSOLICIT 10
#define ICMP_TIMXCEED 11
#define ICMP_PARAMPROB 12
#define ICMP_TSTAMP 13
#define ICMP_TSTAMPREPLY 14
#define ICMP_IREQ 15
#define ICMP_IREQREPLY 16
#define ICMP_MASKREQ 17
#define ICMP_MASKREPLY 18

#define ICMP_ERRTYPE(type) \
	((type) == ICMP_UNREACH || (type) == ICMP_SOURCEQUENCH || (type) == ICMP_REDIRECT || \
	 (type) == ICMP_TIMXCEED || (type) == ICMP_PARAMPROB)
#define ICMP_MULTIPART_EXT_TYPE(type) \
	((type) == ICMP_UNREACH || (type) == ICMP_TIMXCEED || (type) == ICMP_PARAMPROB)

/* RFC 4884: the extension starts 128 bytes into the original datagram */
#define ICMP_EXTD_MINLEN (156 - 20)
#define ICMP_EXT_OFF_VERSION (8 + 128)
#define ICMP_EXT_OFF_CKSUM (ICMP_EXT_OFF_VERSION + 2)
#define ICMP_EXT_OFF_DATA (ICMP_EXT_OFF_VERSION + 4)
#define ICMP_EXT_VERSION 2
#define MPLS_STACK_ENTRY_OBJECT_CLASS 1

static const struct tok icmp2str[] = {
	{ ICMP_ECHOREPLY, "echo reply" },
	{ ICMP_SOURCEQUENCH, "source quench" },
	{ ICMP_ECHO, "echo request" },
	{ ICMP_ROUTERSOLICIT, "router solicitation" },
	{ ICMP_TSTAMP, "time stamp request" },
	{ ICMP_TSTAMPREPLY, "time stamp reply" },
	{ ICMP_IREQ, "information request" },
	{ ICMP_IREQREPLY, "information reply" },
	{ ICMP_MASKREQ, "address mask request" },
	{ 0, NULL }
};

/* Unreachable codes whose text is "<prefix><dst><suffix>". */
static const struct {
	const char *prefix, *suffix;
} unreach_text[] = {
	[0] = { "net ", " unreachable" },
	[1] = { "host ", " unreachable" },
	[5] = { "", " unreachable - source route failed" },
	[6] = { "net ", " unreachable - unknown" },
	[7] = { "host ", " unreachable - unknown" },
	[8] = { "", " unreachable - source host isolated" },
	[9] = { "net ", " unreachable - admin prohibited" },
	[10] = { "host ", " unreachable - admin prohibited" },
	[11] = { "net ", " unreachable - tos prohibited" },
	[12] = { "host ", " unreachable - tos prohibited" },
	[13] = { "host ", " unreachable - admin prohibited filter" },
	[14] = { "host ", " unreachable - host precedence violation" },
	[15] = { "host ", " unreachable - precedence cutoff" },
};

static const struct tok icmp_multipart_ext_obj_values[] = {
	{ 1, "MPLS Stack Entry" },
	{ 2, "Interface Identification" },
	{ 0, NULL }
};

/* Milliseconds since midnight UTC as hh:mm:ss.mmm. */
static const char *icmp_tstamp_print(char *buf, size_t sz, u_int tstamp)
{
	u_int msec = tstamp % 1000, sec = tstamp / 1000, min, hrs;

	min = sec / 60;
	sec -= min * 60;
	hrs = min / 60;
	min -= hrs * 60;
	snprintf(buf, sz, "%02u:%02u:%02u.%03u", hrs, min, sec, msec);
	return buf;
}

/* -1 when the quoted datagram is cut short. */
static int icmp_unreach_str(struct print_ctx *ndo, const struct icmp *dp, uint8_t code,
			    char *buf, size_t sz)
{
	const struct ip *oip = &dp->icmp_ip;

	switch (code) {
	case 2:
		snprintf(buf, sz, "%s protocol %u unreachable", GET_IPADDR_STRING(oip->ip_dst),
			 GET_U_1(oip->ip_p));
		break;
	case 3: {
		u_int hlen;
		uint16_t dport;
		uint8_t ip_proto;

		ND_TCHECK_LEN(oip->ip_p, 1);
		hlen = IP_HL(oip) * 4;
		dport = GET_BE_U_2((const uint8_t *)oip + hlen + 2);
		ip_proto = GET_U_1(oip->ip_p);
		if (ip_proto == IPPROTO_TCP)
			snprintf(buf, sz, "%s tcp port %u unreachable", GET_IPADDR_STRING(oip->ip_dst),
				 dport);
		else if (ip_proto == IPPROTO_UDP)
			snprintf(buf, sz, "%s udp port %u unreachable", GET_IPADDR_STRING(oip->ip_dst),
				 dport);
		else
			snprintf(buf, sz, "%s protocol %u port %u unreachable",
				 GET_IPADDR_STRING(oip->ip_dst), ip_proto, dport);
		break;
	}
	case 4: {
		u_int mtu = GET_BE_U_2(dp->icmp_hun + 2);

		if (mtu)
			snprintf(buf, sz, "%s unreachable - need to frag (mtu %u)",
				 GET_IPADDR_STRING(oip->ip_dst), mtu);
		else
			snprintf(buf, sz, "%s unreachable - need to frag",
				 GET_IPADDR_STRING(oip->ip_dst));
		break;
	}
	default:
		if (code < sizeof(unreach_text) / sizeof(unreach_text[0]) && unreach_text[code].suffix)
			snprintf(buf, sz, "%s%s%s", unreach_text[code].prefix,
				 GET_IPADDR_STRING(oip->ip_dst), unreach_text[code].suffix);
		else
			snprintf(buf, sz, "%s unreachable - #%u", GET_IPADDR_STRING(oip->ip_dst), code);
		break;
	}
	return 0;
trunc:
	return -1;
}

static int icmp_routeradvert_str(struct print_ctx *ndo, const struct icmp *dp, char *buf,
				 size_t sz)
{
	u_int lifetime, num, size;
	size_t n;
	const uint8_t *idp;

	snprintf(buf, sz, "router advertisement");
	ND_TCHECK_LEN(dp->icmp_hun, 4);
	n = strlen(buf);
	snprintf(buf + n, sz - n, " lifetime ");
	n = strlen(buf);
	lifetime = GET_BE_U_2(dp->icmp_hun + 2);
	if (lifetime < 60)
		snprintf(buf + n, sz - n, "%u", lifetime);
	else if (lifetime < 60 * 60)
		snprintf(buf + n, sz - n, "%u:%02u", lifetime / 60, lifetime % 60);
	else
		snprintf(buf + n, sz - n, "%u:%02u:%02u", lifetime / 3600, (lifetime % 3600) / 60,
			 lifetime % 60);
	n = strlen(buf);
	num = GET_U_1(dp->icmp_hun);
	snprintf(buf + n, sz - n, " %u:", num);
	n = strlen(buf);
	size = GET_U_1(dp->icmp_hun + 1);
	if (size != 2) {
		snprintf(buf + n, sz - n, " [size %u]", size);
		return 0;
	}
	idp = icmp_data(dp);
	while (num > 0) {
		ND_TCHECK_LEN(idp, 8);
		n = strlen(buf);
		snprintf(buf + n, sz - n, " {%s %u}", GET_IPADDR_STRING(idp), GET_BE_U_4(idp + 4));
		idp += 8;
		num--;
	}
	return 0;
trunc:
	return -1;
}

static int icmp_ext_print(struct print_ctx *ndo, const uint8_t *bp, u_int plen)
{
	struct cksum_vec vec[1];
	const uint8_t *obj_tptr;
	u_int hlen, version;

	ND_TCHECK_LEN(bp, ICMP_EXT_OFF_DATA + 1);
	/* Without a length field, only a valid checksum tells an extension
	 * header from ordinary data. */
	if (GET_U_1(bp + 5) == 0 &&
	    ND_TTEST_LEN(bp + ICMP_EXT_OFF_VERSION, plen - ICMP_EXTD_MINLEN)) {
		vec[0].ptr = bp + ICMP_EXT_OFF_VERSION;
		vec[0].len = plen - ICMP_EXTD_MINLEN;
		if (in_cksum(vec, 1))
			return 0;
	}
	version = (GET_U_1(bp + ICMP_EXT_OFF_VERSION) & 0xf0) >> 4;
	ND_PRINT("\n\tICMP Multi-Part extension v%u", version);
	if (version != ICMP_EXT_VERSION) {
		ND_PRINT(" packet not supported");
		return 0;
	}
	hlen = plen - ICMP_EXTD_MINLEN;
	if (ND_TTEST_LEN(bp + ICMP_EXT_OFF_VERSION, hlen)) {
		vec[0].ptr = bp + ICMP_EXT_OFF_VERSION;
		vec[0].len = hlen;
		ND_PRINT(", checksum 0x%04x (%scorrect), length %u",
			 GET_BE_U_2(bp + ICMP_EXT_OFF_CKSUM), in_cksum(vec, 1) ? "in" : "", hlen);
	}
	hlen -= 4;
	obj_tptr = bp + ICMP_EXT_OFF_DATA;
	while (hlen > 4) {
		u_int obj_tlen, obj_class_num, obj_ctype;

		ND_TCHECK_LEN(obj_tptr, 4);
		obj_tlen = GET_BE_U_2(obj_tptr);
		obj_class_num = GET_U_1(obj_tptr + 2);
		obj_ctype = GET_U_1(obj_tptr + 3);
		obj_tptr += 4;
		ND_PRINT("\n\t  %s Object (%u), Class-Type: %u, length %u",
			 tok2str(icmp_multipart_ext_obj_values, "unknown", obj_class_num),
			 obj_class_num, obj_ctype, obj_tlen);
		hlen -= 4;
		/* a zero class or a length below the header would loop forever */
		if (obj_class_num == 0 || obj_tlen < 4)
			return 0;
		obj_tlen -= 4;
		if (obj_class_num == MPLS_STACK_ENTRY_OBJECT_CLASS && obj_ctype == 1) {
			uint32_t raw_label = GET_BE_U_4(obj_tptr);

			ND_PRINT("\n\t    label %u, tc %u", (raw_label & 0xfffff000) >> 12,
				 (raw_label & 0x0e00) >> 9);
			if (raw_label & 0x0100)
				ND_PRINT(", [S]");
			ND_PRINT(", ttl %u", raw_label & 0xff);
		} else
			print_unknown_data(ndo, obj_tptr, "\n\t    ", obj_tlen);
		if (hlen < obj_tlen)
			break;
		hlen -= obj_tlen;
		obj_tptr += obj_tlen;
	}
	return 0;
trunc:
	return -1;
}

void icmp_print(struct print_ctx *ndo, const uint8_t *bp, u_int plen, const uint8_t *bp2,
		int fragmented)
{
	const struct icmp *dp = (const struct icmp *)bp;
	char buf[512], t1[32], t2[32], t3[32];
	const char *str = buf;
	uint8_t icmp_type, icmp_code;

	(void)bp2;
	ndo->protocol = "icmp";
	icmp_type = GET_U_1(dp->icmp_type);
	icmp_code = GET_U_1(dp->icmp_code);
	switch (icmp_type) {
	case ICMP_ECHO:
	case ICMP_ECHOREPLY:
		snprintf(buf, sizeof(buf), "echo %s, id %u, seq %u",
			 icmp_type == ICMP_ECHO ? "request" : "reply", GET_BE_U_2(icmp_id(dp)),
			 GET_BE_U_2(icmp_seq(dp)));
		break;
	case ICMP_UNREACH:
		if (icmp_unreach_str(ndo, dp, icmp_code, buf, sizeof(buf)) < 0)
			goto trunc;
		break;
	case ICMP_REDIRECT: {
		const char *what;

		switch (icmp_code) {
		case 0:
			what = "redirect %s to net %s";
			break;
		case 1:
			what = "redirect %s to host %s";
			break;
		case 2:
			what = "redirect-tos %s to net %s";
			break;
		case 3:
			what = "redirect-tos %s to host %s";
			break;
		default:
			what = NULL;
			break;
		}
		if (what)
			snprintf(buf, sizeof(buf), what, GET_IPADDR_STRING(dp->icmp_ip.ip_dst),
				 GET_IPADDR_STRING(dp->icmp_hun));
		else
			snprintf(buf, sizeof(buf), "redirect-#%u %s to %s", icmp_code,
				 GET_IPADDR_STRING(dp->icmp_ip.ip_dst), GET_IPADDR_STRING(dp->icmp_hun));
		break;
	}
	case ICMP_ROUTERADVERT:
		if (icmp_routeradvert_str(ndo, dp, buf, sizeof(buf)) < 0)
			goto trunc;
		break;
	case ICMP_TIMXCEED:
		ND_TCHECK_LEN(dp->icmp_ip.ip_dst, 4);
		if (icmp_code == 0)
			str = "time exceeded in-transit";
		else if (icmp_code == 1)
			str = "ip reassembly time exceeded";
		else
			snprintf(buf, sizeof(buf), "time exceeded-#%u", icmp_code);
		break;
	case ICMP_PARAMPROB:
		if (icmp_code)
			snprintf(buf, sizeof(buf), "parameter problem - code %u", icmp_code);
		else
			snprintf(buf, sizeof(buf), "parameter problem - octet %u",
				 GET_U_1(dp->icmp_hun));
		break;
	case ICMP_MASKREPLY:
		snprintf(buf, sizeof(buf), "address mask is 0x%08x", GET_BE_U_4(icmp_data(dp)));
		break;
	case ICMP_TSTAMP:
		snprintf(buf, sizeof(buf), "time stamp query id %u seq %u", GET_BE_U_2(icmp_id(dp)),
			 GET_BE_U_2(icmp_seq(dp)));
		break;
	case ICMP_TSTAMPREPLY:
		ND_TCHECK_LEN(icmp_data(dp) + 8, 4);
		snprintf(buf, sizeof(buf), "time stamp reply id %u seq %u: org %s, recv %s, xmit %s",
			 GET_BE_U_2(icmp_id(dp)), GET_BE_U_2(icmp_seq(dp)),
			 icmp_tstamp_print(t1, sizeof(t1), GET_BE_U_4(icmp_data(dp))),
			 icmp_tstamp_print(t2, sizeof(t2), GET_BE_U_4(icmp_data(dp) + 4)),
			 icmp_tstamp_print(t3, sizeof(t3), GET_BE_U_4(icmp_data(dp) + 8)));
		break;
	default:
		str = tok2str(icmp2str, "type-#%u", icmp_type);
		break;
	}
	ND_PRINT("ICMP %s, length %u", str, plen);
	if (ndo->vflag && !fragmented && ND_TTEST_LEN(bp, plen)) {
		struct cksum_vec vec[1];
		uint16_t sum;

		vec[0].ptr = bp;
		vec[0].len = plen;
		sum = in_cksum(vec, 1);
		if (sum != 0) {
			uint16_t icmp_sum = GET_BE_U_2(dp->icmp_cksum);

			ND_PRINT(" (wrong icmp cksum %x (->%x)!)", icmp_sum,
				 in_cksum_shouldbe(icmp_sum, sum));
		}
	}

	if (ndo->vflag >= 1 && ICMP_ERRTYPE(icmp_type)) {
		const struct ip *oip = (const struct ip *)(bp + 8);
		const uint8_t *snapend_save = ndo->snapend;
		uintptr_t end;

		ND_PRINT("\n\t");
		/* extensions may follow the inner datagram: stop its printer at
		 * its own length */
		end = (uintptr_t)(bp + 8) + GET_BE_U_2(oip->ip_len);
		if (end < (uintptr_t)ndo->snapend)
			ndo->snapend = (const uint8_t *)end;
		ip_print(ndo, bp + 8, GET_BE_U_2(oip->ip_len));
		ndo->snapend = snapend_save;
	}
	ndo->protocol = "icmp";

	if (ndo->vflag >= 1 && plen > ICMP_EXTD_MINLEN && ICMP_MULTIPART_EXT_TYPE(icmp_type) &&
	    icmp_ext_print(ndo, bp, plen) < 0)
		goto trunc;
	return;
trunc:
	nd_print_trunc(ndo);
}
