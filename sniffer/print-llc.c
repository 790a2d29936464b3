/* \summary: IEEE 802.2 LLC printer and SNAP (RFC 1042): what follows an
 * 802.3 length field, and LINUX_SLL frames of protocol 802.2. STP and
 * SNAP-encapsulated ethertypes are decoded; other SAPs get tcpdump's LLC
 * summary line.
 */
#include "config.h"

#include "sniffer/print.h"

#define LLCSAP_NULL 0x00
#define LLCSAP_8021B_I 0x02
#define LLCSAP_8021B_G 0x03
#define LLCSAP_SNA 0x04
#define LLCSAP_IP 0x06
#define LLCSAP_PROWAYNM 0x0e
#define LLCSAP_8021D 0x42
#define LLCSAP_RS511 0x4e
#define LLCSAP_ISO8208 0x7e
#define LLCSAP_PROWAY 0x8e
#define LLCSAP_SNAP 0xaa
#define LLCSAP_IPX 0xe0
#define LLCSAP_NETBEUI 0xf0
#define LLCSAP_ISONS 0xfe
#define LLCSAP_GLOBAL 0xff

#define LLC_U_FMT 3
#define LLC_GSAP 1
#define LLC_IG 1
#define LLC_S_FMT 1
#define LLC_U_POLL 0x10
#define LLC_IS_POLL 0x0100
#define LLC_XID_FI 0x81
#define LLC_U_CMD(u) ((u) & 0xef)
#define LLC_UI 0x03
#define LLC_XID 0xaf
#define LLC_S_CMD(is) (((is) >> 2) & 0x03)
#define LLC_IS_NR(is) (((is) >> 9) & 0x7f)
#define LLC_I_NS(is) (((is) >> 1) & 0x7f)

#define OUI_ENCAP_ETHER 0x000000
#define OUI_CISCO 0x00000c
#define OUI_CISCO_90 0x0000f8
#define OUI_RFC2684 0x0080c2
#define PID_CISCO_PVST 0x010b
#define PID_CISCO_VLANBRIDGE 0x010c
#define PID_RFC2684_ETH_FCS 0x0001
#define PID_RFC2684_ETH_NOFCS 0x0007
#define PID_RFC2684_BPDU 0x000e

static const struct tok llc_values[] = {
	{ LLCSAP_NULL, "Null" },
	{ LLCSAP_GLOBAL, "Global" },
	{ LLCSAP_8021B_I, "802.1B I" },
	{ LLCSAP_8021B_G, "802.1B G" },
	{ LLCSAP_IP, "IP" },
	{ LLCSAP_SNA, "SNA" },
	{ LLCSAP_PROWAYNM, "ProWay NM" },
	{ LLCSAP_8021D, "STP" },
	{ LLCSAP_RS511, "RS511" },
	{ LLCSAP_ISO8208, "ISO8208" },
	{ LLCSAP_PROWAY, "ProWay" },
	{ LLCSAP_SNAP, "SNAP" },
	{ LLCSAP_IPX, "IPX" },
	{ LLCSAP_NETBEUI, "NetBeui" },
	{ LLCSAP_ISONS, "OSI" },
	{ 0, NULL }
};

static const struct tok llc_cmd_values[] = {
	{ 0x03, "ui" },
	{ 0xe3, "test" },
	{ 0xaf, "xid" },
	{ 0x63, "ua" },
	{ 0x43, "disc" },
	{ 0x0f, "dm" },
	{ 0x6f, "sabme" },
	{ 0x87, "frmr" },
	{ 0, NULL }
};

static const struct tok llc_flag_values[] = {
	{ 0, "Command" },
	{ LLC_GSAP, "Response" },
	{ LLC_U_POLL, "Poll" },
	{ LLC_GSAP | LLC_U_POLL, "Final" },
	{ LLC_IS_POLL, "Poll" },
	{ LLC_GSAP | LLC_IS_POLL, "Final" },
	{ 0, NULL }
};

static const struct tok llc_ig_flag_values[] = {
	{ 0, "Individual" },
	{ LLC_IG, "Group" },
	{ 0, NULL }
};

static const struct tok llc_supervisory_values[] = {
	{ 0, "Receiver Ready" },
	{ 1, "Receiver not Ready" },
	{ 2, "Reject" },
	{ 0, NULL }
};

static const struct tok oui_values[] = {
	{ OUI_ENCAP_ETHER, "Ethernet" },
	{ OUI_CISCO, "Cisco" },
	{ OUI_CISCO_90, "Cisco bridged" },
	{ OUI_RFC2684, "Ethernet bridged" },
	{ 0, NULL }
};

static const struct tok cisco_values[] = {
	{ 0x2000, "CDP" },
	{ 0x2003, "VTP" },
	{ 0x2004, "DTP" },
	{ 0x0111, "UDLD" },
	{ PID_CISCO_PVST, "PVST" },
	{ PID_CISCO_VLANBRIDGE, "VLAN Bridge" },
	{ 0, NULL }
};

static const struct tok bridged_values[] = {
	{ 0x0001, "Ethernet + FCS" },
	{ 0x0007, "Ethernet w/o FCS" },
	{ 0x0002, "802.4 + FCS" },
	{ 0x0008, "802.4 w/o FCS" },
	{ 0x0003, "Token Ring + FCS" },
	{ 0x0009, "Token Ring w/o FCS" },
	{ 0x0004, "FDDI + FCS" },
	{ 0x000a, "FDDI w/o FCS" },
	{ 0x0005, "802.6 + FCS" },
	{ 0x000b, "802.6 w/o FCS" },
	{ PID_RFC2684_BPDU, "BPDU" },
	{ 0, NULL }
};

static const struct tok *oui_to_struct_tok(uint32_t orgcode)
{
	switch (orgcode) {
	case OUI_ENCAP_ETHER:
	case OUI_CISCO_90:
		return ethertype_values;
	case OUI_CISCO:
		return cisco_values;
	case OUI_RFC2684:
		return bridged_values;
	}
	return NULL;
}

/* 1 when it printed the payload, 0 when the OUI/PID is unknown. */
static int snap_print(struct print_ctx *ndo, const uint8_t *p, u_int length, u_int caplen,
		      const uint8_t *src, const uint8_t *dst, u_int bridge_pad)
{
	uint32_t orgcode;
	uint16_t et;

	if (!ND_TTEST_LEN(p, 5) || caplen < 5 || length < 5) {
		ndo->protocol = "snap";
		nd_print_trunc(ndo);
		return 1;
	}
	orgcode = GET_BE_U_3(p);
	et = GET_BE_U_2(p + 3);
	if (ndo->eflag)
		ND_PRINT("oui %s (0x%06x), %s %s (0x%04x), length %u: ",
			 tok2str(oui_values, "Unknown", orgcode), orgcode,
			 (orgcode == 0x000000 ? "ethertype" : "pid"),
			 tok2str(oui_to_struct_tok(orgcode), "Unknown", et), et, length - 5);
	p += 5;
	length -= 5;
	caplen -= 5;
	switch (orgcode) {
	case OUI_ENCAP_ETHER:
	case OUI_CISCO_90:
		if (ethertype_print(ndo, et, p, length, caplen))
			return 1;
		break;
	case OUI_CISCO:
		/* CDP, DTP, UDLD and VTP are not decoded yet */
		if (et == PID_CISCO_PVST || et == PID_CISCO_VLANBRIDGE) {
			stp_print(ndo, p, length);
			return 1;
		}
		break;
	case OUI_RFC2684:
		switch (et) {
		case PID_RFC2684_ETH_FCS:
		case PID_RFC2684_ETH_NOFCS:
			if (!ND_TTEST_LEN(p, bridge_pad)) {
				ndo->protocol = "snap";
				nd_print_trunc(ndo);
				return 1;
			}
			ether_print(ndo, p + bridge_pad, length - bridge_pad, caplen - bridge_pad);
			return 1;
		case PID_RFC2684_BPDU:
			stp_print(ndo, p, length);
			return 1;
		}
		break;
	}
	if (!ndo->eflag) {
		if (src != NULL && dst != NULL)
			ND_PRINT("%s > %s ", GET_ETHERADDR_STRING(src), GET_ETHERADDR_STRING(dst));
		if (orgcode == 0x000000)
			ND_PRINT("SNAP, ethertype %s (0x%04x), length %u: ",
				 tok2str(ethertype_values, "Unknown", et), et, length);
		else
			ND_PRINT("SNAP, oui %s (0x%06x), pid %s (0x%04x), length %u: ",
				 tok2str(oui_values, "Unknown", orgcode), orgcode,
				 tok2str(oui_to_struct_tok(orgcode), "Unknown", et), et, length);
	}
	return 0;
}

static int llc_short(struct print_ctx *ndo, const uint8_t *p, u_int caplen, int ret)
{
	ndo->protocol = "llc";
	nd_print_trunc(ndo);
	nd_default_print(ndo, p, caplen);
	return ret;
}

int llc_print(struct print_ctx *ndo, const uint8_t *p, u_int length, u_int caplen,
	      const uint8_t *src, const uint8_t *dst)
{
	uint8_t dsap_field, dsap, ssap_field, ssap;
	uint16_t control;
	int hdrlen, is_u;

	if (caplen < 3)
		return llc_short(ndo, p, caplen, (int)caplen);
	if (length < 3)
		return llc_short(ndo, p, caplen, (int)length);
	dsap_field = GET_U_1(p);
	ssap_field = GET_U_1(p + 1);
	/* U frames have a one-byte control field, I and S frames two,
	 * little-endian */
	control = GET_U_1(p + 2);
	if ((control & LLC_U_FMT) == LLC_U_FMT) {
		is_u = 1;
		hdrlen = 3;
	} else {
		if (caplen < 4)
			return llc_short(ndo, p, caplen, (int)caplen);
		if (length < 4)
			return llc_short(ndo, p, caplen, (int)length);
		control = GET_LE_U_2(p + 2);
		is_u = 0;
		hdrlen = 4;
	}
	if (ssap_field == LLCSAP_GLOBAL && dsap_field == LLCSAP_GLOBAL) {
		/* "Novell raw" 802.3 IPX: no LLC header at all; IPX is not
		 * decoded yet */
		if (ndo->eflag)
			ND_PRINT("IPX 802.3: ");
		nd_default_print(ndo, p, caplen);
		return 0;
	}
	dsap = dsap_field & ~LLC_IG;
	ssap = ssap_field & ~LLC_GSAP;
	if (ndo->eflag) {
		ND_PRINT("LLC, dsap %s (0x%02x) %s, ssap %s (0x%02x) %s",
			 tok2str(llc_values, "Unknown", dsap), dsap,
			 tok2str(llc_ig_flag_values, "Unknown", dsap_field & LLC_IG),
			 tok2str(llc_values, "Unknown", ssap), ssap,
			 tok2str(llc_flag_values, "Unknown", ssap_field & LLC_GSAP));
		if (is_u)
			ND_PRINT(", ctrl 0x%02x: ", control);
		else
			ND_PRINT(", ctrl 0x%04x: ", control);
	}
	p += hdrlen;
	length -= (u_int)hdrlen;
	caplen -= (u_int)hdrlen;

	if (ssap == LLCSAP_SNAP && dsap == LLCSAP_SNAP && control == LLC_UI) {
		if (!snap_print(ndo, p, length, caplen, src, dst, 2))
			return -(hdrlen + 5);
		return hdrlen + 5;
	}
	if (ssap == LLCSAP_8021D && dsap == LLCSAP_8021D && control == LLC_UI) {
		stp_print(ndo, p, length);
		return hdrlen;
	}
	if (ssap == LLCSAP_IP && dsap == LLCSAP_IP && control == LLC_UI) {
		/* RFC 948 IP over 802.2 */
		ip_print(ndo, p, length);
		return hdrlen;
	}
	/* IPX, NetBEUI and OSI over LLC are not decoded yet: summary line */
	if (!ndo->eflag) {
		if (ssap == dsap) {
			if (src == NULL || dst == NULL)
				ND_PRINT("%s ", tok2str(llc_values, "Unknown DSAP 0x%02x", dsap));
			else
				ND_PRINT("%s > %s %s ", GET_ETHERADDR_STRING(src), GET_ETHERADDR_STRING(dst),
					 tok2str(llc_values, "Unknown DSAP 0x%02x", dsap));
		} else {
			if (src == NULL || dst == NULL)
				ND_PRINT("%s > %s ", tok2str(llc_values, "Unknown SSAP 0x%02x", ssap),
					 tok2str(llc_values, "Unknown DSAP 0x%02x", dsap));
			else
				ND_PRINT("%s %s > %s %s ", GET_ETHERADDR_STRING(src),
					 tok2str(llc_values, "Unknown SSAP 0x%02x", ssap),
					 GET_ETHERADDR_STRING(dst),
					 tok2str(llc_values, "Unknown DSAP 0x%02x", dsap));
		}
	}
	if (is_u) {
		ND_PRINT("Unnumbered, %s, Flags [%s], length %u",
			 tok2str(llc_cmd_values, "%02x", LLC_U_CMD(control)),
			 tok2str(llc_flag_values, "?", (ssap_field & LLC_GSAP) | (control & LLC_U_POLL)),
			 length + (u_int)hdrlen);
		if ((control & ~LLC_U_POLL) == LLC_XID) {
			if (length == 0)
				return hdrlen;
			if (caplen < 1) {
				ndo->protocol = "llc";
				nd_print_trunc(ndo);
				return hdrlen;
			}
			if (GET_U_1(p) == LLC_XID_FI) {
				if (caplen < 3 || length < 3) {
					ndo->protocol = "llc";
					nd_print_trunc(ndo);
					nd_default_print(ndo, p, caplen);
				} else
					ND_PRINT(": %02x %02x", GET_U_1(p + 1), GET_U_1(p + 2));
				return hdrlen;
			}
		}
	} else if ((control & LLC_S_FMT) == LLC_S_FMT) {
		ND_PRINT("Supervisory, %s, rcv seq %u, Flags [%s], length %u",
			 tok2str(llc_supervisory_values, "?", LLC_S_CMD(control)), LLC_IS_NR(control),
			 tok2str(llc_flag_values, "?", (ssap_field & LLC_GSAP) | (control & LLC_IS_POLL)),
			 length + (u_int)hdrlen);
		return hdrlen;
	} else {
		ND_PRINT("Information, send seq %u, rcv seq %u, Flags [%s], length %u",
			 LLC_I_NS(control), LLC_IS_NR(control),
			 tok2str(llc_flag_values, "?", (ssap_field & LLC_GSAP) | (control & LLC_IS_POLL)),
			 length + (u_int)hdrlen);
	}
	return -hdrlen;
}
