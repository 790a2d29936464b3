/* \summary: BSD loopback printer (DLT_NULL host-order and DLT_LOOP
 * network-order address family, then IPv4 or IPv6)
 */
#include "config.h"

#include <string.h>

#include "sniffer/print.h"

#define NULL_HDRLEN 4

/* The AF_ numbers of the BSDs that wrote such captures. */
static const struct tok bsd_af_values[] = {
	{ 2, "IPv4" },
	{ 7, "ISO" },
	{ 16, "Appletalk" },
	{ 23, "IPX" },
	{ 24, "IPv6" },
	{ 28, "IPv6" },
	{ 30, "IPv6" },
	{ 0, NULL }
};

static void null_hdr_print(struct print_ctx *ndo, uint32_t family, u_int length)
{
	if (!ndo->qflag)
		ND_PRINT("AF %s (%u)", tok2str(bsd_af_values, "Unknown", family), family);
	else
		ND_PRINT("%s", tok2str(bsd_af_values, "Unknown AF %u", family));
	ND_PRINT(", length %u: ", length);
}

void null_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h, const uint8_t *p)
{
	u_int length = h->len, caplen = h->caplen;
	uint32_t family;

	ndo->protocol = "null";
	if (caplen < NULL_HDRLEN) {
		nd_print_trunc(ndo);
		ndo->ll_hdr_len += caplen;
		return;
	}
	ND_BCHECK_LEN(p, NULL_HDRLEN);
	memcpy(&family, p, sizeof(family));
	/* Host order of the machine that captured, network order for
	 * DLT_LOOP: an AF number never uses the upper 16 bits, so a value
	 * there means the other byte order. */
	if ((family & 0xFFFF0000u) != 0)
		family = __builtin_bswap32(family);
	if (ndo->eflag)
		null_hdr_print(ndo, family, length);
	length -= NULL_HDRLEN;
	caplen -= NULL_HDRLEN;
	p += NULL_HDRLEN;
	switch (family) {
	case 2:
		ip_print(ndo, p, length);
		break;
	case 24:
	case 28:
	case 30:
		ip6_print(ndo, p, length);
		break;
	default:
		if (!ndo->eflag)
			null_hdr_print(ndo, family, length + NULL_HDRLEN);
		nd_default_print(ndo, p, caplen);
		break;
	}
	ndo->ll_hdr_len += NULL_HDRLEN;
}

void loop_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h, const uint8_t *p)
{
	null_if_print(ndo, h, p);
}
