/* \summary: IGMP printer (RFC 1112 v1, RFC 2236 v2, RFC 3376 v3); DVMRP,
 * PIMv1 and mtrace bodies are not decoded yet.
 */
#include "config.h"

#include "sniffer/print.h"

static const struct tok igmpv3report2str[] = {
	{ 1, "is_in" }, { 2, "is_ex" }, { 3, "to_in" }, { 4, "to_ex" }, { 5, "allow" },
	{ 6, "block" }, { 0, NULL }
};

static void print_igmpv3_report(struct print_ctx *ndo, const uint8_t *bp, u_int len)
{
	u_int group, nsrcs, ngroups, i, j;

	/* at least 16 bytes, in 32-bit words */
	if (len < 16 || len & 0x03) {
		ND_PRINT(" [invalid len %u]", len);
		return;
	}
	ngroups = GET_BE_U_2(bp + 6);
	ND_PRINT(", %u group record(s)", ngroups);
	if (ndo->vflag == 0)
		return;
	group = 8;
	for (i = 0; i < ngroups; i++) {
		if (len < group + 8) {
			ND_PRINT(" [invalid number of groups]");
			return;
		}
		ND_PRINT(" [gaddr %s", GET_IPADDR_STRING(bp + group + 4));
		ND_PRINT(" %s", tok2str(igmpv3report2str, " [v3-report-#%u]", GET_U_1(bp + group)));
		nsrcs = GET_BE_U_2(bp + group + 2);
		if (len < group + 8 + (nsrcs << 2)) {
			ND_PRINT(" [invalid number of sources %u]", nsrcs);
			return;
		}
		if (ndo->vflag == 1)
			ND_PRINT(", %u source(s)", nsrcs);
		else {
			ND_PRINT(" {");
			for (j = 0; j < nsrcs; j++)
				ND_PRINT(" %s", GET_IPADDR_STRING(bp + group + 8 + (j << 2)));
			ND_PRINT(" }");
		}
		group += 8 + (nsrcs << 2);
		ND_PRINT("]");
	}
}

/* Seconds as 1w2d3h4m5s (tcpdump's unsigned_relts_print). */
static void relts_print(struct print_ctx *ndo, uint32_t secs)
{
	static const char *lengths[] = { "y", "w", "d", "h", "m", "s" };
	static const u_int seconds[] = { 31536000, 604800, 86400, 3600, 60, 1 };
	int i;

	if (secs == 0) {
		ND_PRINT("0s");
		return;
	}
	for (i = 0; secs > 0 && i < 6; i++)
		if (secs >= seconds[i]) {
			ND_PRINT("%u%s", secs / seconds[i], lengths[i]);
			secs -= (secs / seconds[i]) * seconds[i];
		}
}

static void print_igmpv3_query(struct print_ctx *ndo, const uint8_t *bp, u_int len)
{
	u_int mrc, mrt, nsrcs, i;

	ND_PRINT(" v3");
	if (len < 12) {
		ND_PRINT(" [invalid len %u]", len);
		return;
	}
	mrc = GET_U_1(bp + 1);
	/* RFC 3376 4.1.1: a floating-point code from 128 on */
	if (mrc < 128)
		mrt = mrc;
	else
		mrt = ((mrc & 0x0f) | 0x10) << (((mrc & 0x70) >> 4) + 3);
	if (mrc != 100) {
		ND_PRINT(" [max resp time ");
		if (mrt < 600)
			ND_PRINT("%.1fs", mrt * 0.1);
		else
			relts_print(ndo, mrt / 10);
		ND_PRINT("]");
	}
	if (GET_BE_U_4(bp + 4) == 0)
		return;
	ND_PRINT(" [gaddr %s", GET_IPADDR_STRING(bp + 4));
	nsrcs = GET_BE_U_2(bp + 10);
	if (nsrcs > 0) {
		if (len < 12 + (nsrcs << 2))
			ND_PRINT(" [invalid number of sources]");
		else if (ndo->vflag > 1) {
			ND_PRINT(" {");
			for (i = 0; i < nsrcs; i++)
				ND_PRINT(" %s", GET_IPADDR_STRING(bp + 12 + (i << 2)));
			ND_PRINT(" }");
		} else
			ND_PRINT(", %u source(s)", nsrcs);
	}
	ND_PRINT("]");
}

void igmp_print(struct print_ctx *ndo, const uint8_t *bp, u_int len)
{
	ndo->protocol = "igmp";
	if (ndo->qflag) {
		ND_PRINT("igmp");
		return;
	}
	switch (GET_U_1(bp)) {
	case 0x11:
		ND_PRINT("igmp query");
		if (len >= 12)
			print_igmpv3_query(ndo, bp, len);
		else {
			if (GET_U_1(bp + 1)) {
				ND_PRINT(" v2");
				if (GET_U_1(bp + 1) != 100)
					ND_PRINT(" [max resp time %u]", GET_U_1(bp + 1));
			} else
				ND_PRINT(" v1");
			if (GET_BE_U_4(bp + 4))
				ND_PRINT(" [gaddr %s]", GET_IPADDR_STRING(bp + 4));
			if (len != 8)
				ND_PRINT(" [len %u]", len);
		}
		break;
	case 0x12:
		ND_PRINT("igmp v1 report %s", GET_IPADDR_STRING(bp + 4));
		if (len != 8)
			ND_PRINT(" [len %u]", len);
		break;
	case 0x16:
		ND_PRINT("igmp v2 report %s", GET_IPADDR_STRING(bp + 4));
		break;
	case 0x22:
		ND_PRINT("igmp v3 report");
		print_igmpv3_report(ndo, bp, len);
		break;
	case 0x17:
		ND_PRINT("igmp leave %s", GET_IPADDR_STRING(bp + 4));
		break;
	case 0x13:
		ND_PRINT("igmp dvmrp");
		if (len < 8)
			ND_PRINT(" [len %u]", len);
		break;
	case 0x14:
		ND_PRINT("igmp pimv1");
		break;
	default:
		ND_PRINT("igmp-%u", GET_U_1(bp));
		break;
	}
	if (ndo->vflag && len >= 4 && ND_TTEST_LEN(bp, len)) {
		struct cksum_vec vec[1];

		vec[0].ptr = bp;
		vec[0].len = len;
		if (in_cksum(vec, 1))
			ND_PRINT(" bad igmp cksum %x!", GET_BE_U_2(bp + 2));
	}
}
