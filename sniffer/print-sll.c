/* \summary: Linux cooked capture printer (DLT_LINUX_SLL, DLT_LINUX_SLL2;
 * the pseudo-headers libpcap builds from sockaddr_ll, packet(7))
 */
#include "config.h"

#include <net/if.h>
#include <string.h>

#include "sniffer/print.h"

#define SLL_HDR_LEN 16
#define SLL2_HDR_LEN 20
#define SLL_ADDRLEN 8

struct sll_header {
	nd_uint16_t sll_pkttype;
	nd_uint16_t sll_hatype;
	nd_uint16_t sll_halen;
	nd_byte sll_addr[SLL_ADDRLEN];
	nd_uint16_t sll_protocol;
};

struct sll2_header {
	nd_uint16_t sll2_protocol;
	nd_uint16_t sll2_reserved_mbz;
	nd_uint32_t sll2_if_index;
	nd_uint16_t sll2_hatype;
	nd_uint8_t sll2_pkttype;
	nd_uint8_t sll2_halen;
	nd_byte sll2_addr[SLL_ADDRLEN];
};

/* Not real ethertypes: what Linux puts in the protocol field for frames
 * without an Ethernet II type. */
#define LINUX_SLL_P_802_3 0x0001
#define LINUX_SLL_P_802_2 0x0004

static const struct tok sll_pkttype_values[] = {
	{ 0, "In" },
	{ 1, "B" },
	{ 2, "M" },
	{ 3, "P" },
	{ 4, "Out" },
	{ 0, NULL }
};

static void sll_proto_print(struct print_ctx *ndo, uint16_t ether_type, u_int length)
{
	if (ndo->qflag)
		return;
	if (ether_type <= MAX_ETHERNET_LENGTH_VAL) {
		switch (ether_type) {
		case LINUX_SLL_P_802_3:
			ND_PRINT("802.3");
			break;
		case LINUX_SLL_P_802_2:
			ND_PRINT("802.2");
			break;
		default:
			ND_PRINT("ethertype Unknown (0x%04x)", ether_type);
			break;
		}
	} else
		ND_PRINT("ethertype %s (0x%04x)", tok2str(ethertype_values, "Unknown", ether_type),
			 ether_type);
	ND_PRINT(", length %u: ", length);
}

static void sll_print(struct print_ctx *ndo, const struct sll_header *sllp, u_int length)
{
	ndo->protocol = "sll";
	ND_PRINT("%3s ", tok2str(sll_pkttype_values, "?", GET_BE_U_2(sllp->sll_pkttype)));
	if (GET_BE_U_2(sllp->sll_halen) == MAC_ADDR_LEN)
		ND_PRINT("%s ", GET_ETHERADDR_STRING(sllp->sll_addr));
	sll_proto_print(ndo, GET_BE_U_2(sllp->sll_protocol), length);
}

static void sll2_print(struct print_ctx *ndo, const struct sll2_header *sllp, u_int length)
{
	ndo->protocol = "sll2";
	ND_PRINT("ifindex %u ", GET_BE_U_4(sllp->sll2_if_index));
	if (GET_U_1(sllp->sll2_halen) == MAC_ADDR_LEN)
		ND_PRINT("%s ", GET_ETHERADDR_STRING(sllp->sll2_addr));
	sll_proto_print(ndo, GET_BE_U_2(sllp->sll2_protocol), length);
}

/* The part after the pseudo-header, common to both versions. `hdr_print`
 * shows the pseudo-header when the payload type is unknown and -e was not
 * given. Returns the link header length. */
static u_int sll_payload_print(struct print_ctx *ndo, uint16_t ether_type, const uint8_t *p,
			       u_int length, u_int caplen, u_int hdrlen,
			       void (*hdr_print)(struct print_ctx *, const void *, u_int),
			       const void *hdr)
{
	for (;;) {
		if (ether_type <= MAX_ETHERNET_LENGTH_VAL) {
			int llc_hdrlen;

			/* 802.3 "raw" IPX is not decoded yet */
			if (ether_type != LINUX_SLL_P_802_2) {
				nd_default_print(ndo, p, caplen);
				return hdrlen;
			}
			llc_hdrlen = llc_print(ndo, p, length, caplen, NULL, NULL);
			if (llc_hdrlen < 0) {
				nd_default_print(ndo, p, caplen);
				return hdrlen;
			}
			return hdrlen + (u_int)llc_hdrlen;
		}
		if (ether_type != ETHERTYPE_8021Q)
			break;
		if (caplen < 4) {
			ndo->protocol = "vlan";
			nd_print_trunc(ndo);
			return hdrlen + caplen;
		}
		if (ndo->eflag)
			ND_PRINT("%s, ", ieee8021q_tci_string(GET_BE_U_2(p)));
		ether_type = GET_BE_U_2(p + 2);
		if (ether_type <= MAX_ETHERNET_LENGTH_VAL)
			ether_type = LINUX_SLL_P_802_2;
		if (!ndo->qflag)
			ND_PRINT("ethertype %s, ", tok2str(ethertype_values, "Unknown", ether_type));
		p += 4;
		length -= 4;
		caplen -= 4;
		hdrlen += 4;
	}
	if (ethertype_print(ndo, ether_type, p, length, caplen) == 0) {
		if (!ndo->eflag)
			hdr_print(ndo, hdr, length + hdrlen);
		nd_default_print(ndo, p, caplen);
	}
	return hdrlen;
}

static void sll_hdr_print(struct print_ctx *ndo, const void *hdr, u_int length)
{
	sll_print(ndo, hdr, length);
}

static void sll2_hdr_print(struct print_ctx *ndo, const void *hdr, u_int length)
{
	sll2_print(ndo, hdr, length);
}

void sll_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h, const uint8_t *p)
{
	const struct sll_header *sllp = (const struct sll_header *)p;

	ndo->protocol = "sll";
	ND_BCHECK_LEN(p, SLL_HDR_LEN);
	if (ndo->eflag)
		sll_print(ndo, sllp, h->len);
	/* hatype 803 (radiotap) is not decoded: treated like any other */
	ndo->ll_hdr_len += sll_payload_print(ndo, GET_BE_U_2(sllp->sll_protocol), p + SLL_HDR_LEN,
					     h->len - SLL_HDR_LEN, h->caplen - SLL_HDR_LEN,
					     SLL_HDR_LEN, sll_hdr_print, sllp);
}

void sll2_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h, const uint8_t *p)
{
	const struct sll2_header *sllp = (const struct sll2_header *)p;
	char ifname[IF_NAMESIZE];

	ndo->protocol = "sll2";
	ND_BCHECK_LEN(p, SLL2_HDR_LEN);
	/* tcpdump names the interface through this host's if_indextoname(),
	 * so the name depends on where the file is read, not where captured */
	if (!if_indextoname(GET_BE_U_4(sllp->sll2_if_index), ifname))
		strcpy(ifname, "?");
	ND_PRINT("%-5s ", ifname);
	ND_PRINT("%-3s ", tok2str(sll_pkttype_values, "?", GET_U_1(sllp->sll2_pkttype)));
	if (ndo->eflag)
		sll2_print(ndo, sllp, h->len);
	ndo->ll_hdr_len += sll_payload_print(ndo, GET_BE_U_2(sllp->sll2_protocol),
					     p + SLL2_HDR_LEN, h->len - SLL2_HDR_LEN,
					     h->caplen - SLL2_HDR_LEN, SLL2_HDR_LEN,
					     sll2_hdr_print, sllp);
}
