/* \summary: ARP and RARP printer (RFC 826, RFC 903; InARP RFC 2390)
 */
#include "config.h"

#include "sniffer/print.h"

/* The fixed part; the addresses follow, sized by ar_hln and ar_pln. */
struct arp_pkthdr {
	nd_uint16_t ar_hrd;
	nd_uint16_t ar_pro;
	nd_uint8_t ar_hln;
	nd_uint8_t ar_pln;
	nd_uint16_t ar_op;
};

#define ARPOP_REQUEST 1
#define ARPOP_REPLY 2
#define ARPOP_REVREQUEST 3
#define ARPOP_REVREPLY 4
#define ARPOP_INVREQUEST 8
#define ARPOP_INVREPLY 9
#define ARPHRD_ATM2225 19

static const struct tok arpop_values[] = {
	{ ARPOP_REQUEST, "Request" },
	{ ARPOP_REPLY, "Reply" },
	{ ARPOP_REVREQUEST, "Reverse Request" },
	{ ARPOP_REVREPLY, "Reverse Reply" },
	{ ARPOP_INVREQUEST, "Inverse Request" },
	{ ARPOP_INVREPLY, "Inverse Reply" },
	{ 10, "NACK Reply" },
	{ 0, NULL }
};

static const struct tok arphrd_values[] = {
	{ 1, "Ethernet" },
	{ 6, "TokenRing" },
	{ 7, "ArcNet" },
	{ 15, "FrameRelay" },
	{ 23, "Strip" },
	{ 24, "IEEE 1394" },
	{ 19, "ATM" },
	{ 32, "InfiniBand" },
	{ 0, NULL }
};

#define HRD_LEN(ap) GET_U_1((ap)->ar_hln)
#define PROTO_LEN(ap) GET_U_1((ap)->ar_pln)
#define SHA(ap) ((const uint8_t *)((ap) + 1))
#define SPA(ap) (SHA(ap) + HRD_LEN(ap))
#define THA(ap) (SPA(ap) + PROTO_LEN(ap))
#define TPA(ap) (THA(ap) + HRD_LEN(ap))

static int isnonzero(struct print_ctx *ndo, const uint8_t *a, size_t len)
{
	while (len > 0) {
		if (GET_U_1(a) != 0)
			return 1;
		a++;
		len--;
	}
	return 0;
}

static void paddr_print_ip(struct print_ctx *ndo, const struct arp_pkthdr *ap,
			   const uint8_t *addr, u_int pro)
{
	if (pro != ETHERTYPE_IP && pro != ETHERTYPE_TRAIL)
		ND_PRINT("<wrong proto type>");
	else if (PROTO_LEN(ap) != 4)
		ND_PRINT("<wrong len>");
	else
		ND_PRINT("%s", GET_IPADDR_STRING(addr));
}

void arp_print(struct print_ctx *ndo, const uint8_t *bp, u_int length, u_int caplen)
{
	const struct arp_pkthdr *ap = (const struct arp_pkthdr *)bp;
	u_int pro, hrd, op;

	ndo->protocol = "arp";
	ND_TCHECK_SIZE(ap);
	hrd = GET_BE_U_2(ap->ar_hrd);
	pro = GET_BE_U_2(ap->ar_pro);
	op = GET_BE_U_2(ap->ar_op);

	if (hrd == ARPHRD_ATM2225) {
		/* ATMARP (RFC 2225) has its own layout: not decoded yet */
		ND_PRINT("ARP, ATM");
		nd_default_print(ndo, bp, caplen);
		return;
	}
	if (!ND_TTEST_LEN(TPA(ap), PROTO_LEN(ap))) {
		ND_PRINT(" [|ARP]");
		nd_default_print(ndo, bp, length);
		return;
	}
	if (!ndo->eflag)
		ND_PRINT("ARP, ");

	if ((pro != ETHERTYPE_IP && pro != ETHERTYPE_TRAIL) || PROTO_LEN(ap) != 4 ||
	    HRD_LEN(ap) == 0 || ndo->vflag) {
		ND_PRINT("%s (len %u), %s (len %u)", tok2str(arphrd_values, "Unknown Hardware (%u)", hrd),
			 HRD_LEN(ap), tok2str(ethertype_values, "Unknown Protocol (0x%04x)", pro),
			 PROTO_LEN(ap));
		/* the address formats are unknown: stop here */
		if (!ndo->vflag)
			goto out;
	}

	ND_PRINT("%s%s ", ndo->vflag ? ", " : "", tok2str(arpop_values, "Unknown (%u)", op));
	switch (op) {
	case ARPOP_REQUEST:
		ND_PRINT("who-has ");
		paddr_print_ip(ndo, ap, TPA(ap), pro);
		if (isnonzero(ndo, THA(ap), HRD_LEN(ap)))
			ND_PRINT(" (%s)", GET_LINKADDR_STRING(THA(ap), HRD_LEN(ap)));
		ND_PRINT(" tell ");
		paddr_print_ip(ndo, ap, SPA(ap), pro);
		break;
	case ARPOP_REPLY:
		paddr_print_ip(ndo, ap, SPA(ap), pro);
		ND_PRINT(" is-at %s", GET_LINKADDR_STRING(SHA(ap), HRD_LEN(ap)));
		break;
	case ARPOP_REVREQUEST:
	case ARPOP_INVREQUEST:
		ND_PRINT("who-is %s", GET_LINKADDR_STRING(THA(ap), HRD_LEN(ap)));
		ND_PRINT(" tell %s", GET_LINKADDR_STRING(SHA(ap), HRD_LEN(ap)));
		break;
	case ARPOP_REVREPLY:
		ND_PRINT("%s at ", GET_LINKADDR_STRING(THA(ap), HRD_LEN(ap)));
		paddr_print_ip(ndo, ap, TPA(ap), pro);
		break;
	case ARPOP_INVREPLY:
		ND_PRINT("%s at ", GET_LINKADDR_STRING(SHA(ap), HRD_LEN(ap)));
		paddr_print_ip(ndo, ap, SPA(ap), pro);
		break;
	default:
		nd_default_print(ndo, bp, caplen);
		return;
	}
out:
	ND_PRINT(", length %u", length);
	return;
trunc:
	nd_print_trunc(ndo);
}
