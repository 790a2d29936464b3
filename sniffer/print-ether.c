/* \summary: Ethernet printer (RFC 894 Ethernet II, IEEE 802.3 length
 * frames, IEEE 802.1Q / 802.1ad VLAN tags)
 */
#include "config.h"

#include <stdio.h>

#include "sniffer/print.h"

struct ether_header {
	nd_mac_addr ether_dhost;
	nd_mac_addr ether_shost;
	nd_uint16_t ether_length_type;
};
/* sizeof(struct ether_header) is 14 too, but say it as the wire does */
#define ETHER_HDRLEN 14

const struct tok ethertype_values[] = {
	{ 0x0800, "IPv4" },
	{ 0x8847, "MPLS unicast" },
	{ 0x8848, "MPLS multicast" },
	{ 0x86dd, "IPv6" },
	{ 0x8100, "802.1Q" },
	{ 0x9100, "802.1Q-9100" },
	{ 0x88a8, "802.1Q-QinQ" },
	{ 0x9200, "802.1Q-9200" },
	{ 0x88e5, "802.1AE MACsec" },
	{ 0x0200, "PUP" },
	{ 0x0806, "ARP" },
	{ 0x8035, "Reverse ARP" },
	{ 0x0600, "NS" },
	{ 0x0500, "Sprite" },
	{ 0x1000, "Trail" },
	{ 0x6001, "MOP DL" },
	{ 0x6002, "MOP RC" },
	{ 0x6003, "DN" },
	{ 0x6004, "LAT" },
	{ 0x6007, "SCA" },
	{ 0x6558, "TEB" },
	{ 0x8038, "Lanbridge" },
	{ 0x803c, "DEC DNS" },
	{ 0x803e, "DEC DTS" },
	{ 0x805b, "VEXP" },
	{ 0x805c, "VPROD" },
	{ 0x809b, "Appletalk" },
	{ 0x80f3, "Appletalk ARP" },
	{ 0x8137, "IPX" },
	{ 0x880b, "PPP" },
	{ 0x8808, "MPCP" },
	{ 0x8809, "Slow Protocols" },
	{ 0x8863, "PPPoE D" },
	{ 0x8864, "PPPoE S" },
	{ 0x888e, "EAPOL" },
	{ 0x8899, "RRCP" },
	{ 0x886f, "MS NLB heartbeat" },
	{ 0x8870, "Jumbo" },
	{ 0x894f, "NSH" },
	{ 0x9000, "Loopback" },
	{ 0xfefe, "OSI" },
	{ 0x00fe, "GRE-OSI" },
	{ 0xabcd, "CFM (old)" },
	{ 0x8902, "CFM" },
	{ 0x893a, "IEEE1905.1" },
	{ 0x88cc, "LLDP" },
	{ 0x88ca, "TIPC" },
	{ 0x0707, "GeoNet (old)" },
	{ 0x8947, "GeoNet" },
	{ 0x1111, "CALM FAST" },
	{ 0x88a2, "AoE" },
	{ 0x88f7, "PTP" },
	{ 0xd28b, "Arista Vendor Specific Protocol" },
	{ 0, NULL }
};

const char *ieee8021q_tci_string(uint16_t tci)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "vlan %u, p %u%s", tci & 0xfff, tci >> 13,
		 (tci & 0x1000) ? ", DEI" : "");
	return buf;
}

static void ether_addresses_print(struct print_ctx *ndo, const uint8_t *src, const uint8_t *dst)
{
	ND_PRINT("%s > %s, ", GET_ETHERADDR_STRING(src), GET_ETHERADDR_STRING(dst));
}

static void ether_type_print(struct print_ctx *ndo, uint16_t type)
{
	if (!ndo->qflag)
		ND_PRINT("ethertype %s (0x%04x)", tok2str(ethertype_values, "Unknown", type), type);
	else
		ND_PRINT("%s", tok2str(ethertype_values, "Unknown Ethertype (0x%04x)", type));
}

int ethertype_print(struct print_ctx *ndo, uint16_t ether_type, const uint8_t *p, u_int length,
		    u_int caplen)
{
	switch (ether_type) {
	case ETHERTYPE_IP:
		ip_print(ndo, p, length);
		return 1;
	case ETHERTYPE_IPV6:
		ip6_print(ndo, p, length);
		return 1;
	case ETHERTYPE_ARP:
	case ETHERTYPE_REVARP:
		arp_print(ndo, p, length, caplen);
		return 1;
	}
	return 0;
}

u_int ether_print(struct print_ctx *ndo, const uint8_t *p, u_int length, u_int caplen)
{
	const struct ether_header *ehp = (const struct ether_header *)p;
	const uint8_t *src, *dst;
	u_int orig_length, hdrlen;
	uint16_t length_type;
	int printed_length = 0;

	ndo->protocol = "ether";
	if (caplen < ETHER_HDRLEN) {
		nd_print_trunc(ndo);
		return caplen;
	}
	if (length < ETHER_HDRLEN) {
		nd_print_trunc(ndo);
		return length;
	}
	orig_length = length;
	src = ehp->ether_shost;
	dst = ehp->ether_dhost;
	length -= 2 * MAC_ADDR_LEN;
	caplen -= 2 * MAC_ADDR_LEN;
	p += 2 * MAC_ADDR_LEN;
	hdrlen = 2 * MAC_ADDR_LEN;

	if (ndo->eflag)
		ether_addresses_print(ndo, src, dst);

	length_type = GET_BE_U_2(p);
	length -= 2;
	caplen -= 2;
	p += 2;
	hdrlen += 2;

	while (length_type == ETHERTYPE_8021Q || length_type == ETHERTYPE_8021Q9100 ||
	       length_type == ETHERTYPE_8021Q9200 || length_type == ETHERTYPE_8021QinQ) {
		if (caplen < 4) {
			ndo->protocol = "vlan";
			nd_print_trunc(ndo);
			return hdrlen + caplen;
		}
		if (length < 4) {
			ndo->protocol = "vlan";
			nd_print_trunc(ndo);
			return hdrlen + length;
		}
		if (ndo->eflag) {
			uint16_t tag = GET_BE_U_2(p);

			ether_type_print(ndo, length_type);
			if (!printed_length) {
				ND_PRINT(", length %u: ", orig_length);
				printed_length = 1;
			} else
				ND_PRINT(", ");
			ND_PRINT("%s, ", ieee8021q_tci_string(tag));
		}
		length_type = GET_BE_U_2(p + 2);
		p += 4;
		length -= 4;
		caplen -= 4;
		hdrlen += 4;
	}

	if (length_type <= MAX_ETHERNET_LENGTH_VAL) {
		int llc_hdrlen;

		/* An 802.3 length field: trust it when it is shorter than the
		 * frame (the rest is padding), and an LLC header follows. */
		if (length_type < length) {
			length = length_type;
			if (caplen > length)
				caplen = length;
		}
		nd_push_snaplen(ndo, p, length);
		if (ndo->eflag) {
			ND_PRINT("802.3");
			if (!printed_length)
				ND_PRINT(", length %u: ", length);
		}
		llc_hdrlen = llc_print(ndo, p, length, caplen, src, dst);
		if (llc_hdrlen < 0) {
			nd_default_print(ndo, p, caplen);
			llc_hdrlen = -llc_hdrlen;
		}
		hdrlen += (u_int)llc_hdrlen;
		nd_pop_snapend(ndo);
		return hdrlen;
	}

	if (ndo->eflag) {
		ether_type_print(ndo, length_type);
		if (!printed_length)
			ND_PRINT(", length %u: ", orig_length);
		else
			ND_PRINT(", ");
	}
	if (ethertype_print(ndo, length_type, p, length, caplen) == 0) {
		if (!ndo->eflag) {
			/* -e was not given, so show the addresses and the final
			 * type, as tcpdump does for a type it cannot decode */
			ether_addresses_print(ndo, src, dst);
			ether_type_print(ndo, length_type);
			ND_PRINT(", length %u: ", orig_length);
		}
		nd_default_print(ndo, p, caplen);
	}
	return hdrlen;
}

void ether_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h, const uint8_t *p)
{
	ndo->protocol = "ether";
	ndo->ll_hdr_len += ether_print(ndo, p, h->len, h->caplen);
}
