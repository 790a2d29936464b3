/* \summary: Spanning Tree printer (IEEE 802.1D STP, 802.1w RSTP, 802.1s
 * MSTP as in 802.1Q-2003 section 14, 802.1aq SPB)
 */
#include "config.h"

#include "sniffer/print.h"

#define RSTP_EXTRACT_PORT_ROLE(x) (((x) & 0x0C) >> 2)
/* timers count 1/256 s */
#define STP_TIME_BASE 256
#define STP_BPDU_MSTP_MIN_LEN 102

struct stp_bpdu_ {
	nd_uint16_t protocol_id;
	nd_uint8_t protocol_version;
	nd_uint8_t bpdu_type;
	nd_uint8_t flags;
	nd_byte root_id[8];
	nd_uint32_t root_path_cost;
	nd_byte bridge_id[8];
	nd_uint16_t port_id;
	nd_uint16_t message_age;
	nd_uint16_t max_age;
	nd_uint16_t hello_time;
	nd_uint16_t forward_delay;
	nd_uint8_t v1_length;
};

#define STP_PROTO_REGULAR 0x00
#define STP_PROTO_RAPID 0x02
#define STP_PROTO_MSTP 0x03
#define STP_PROTO_SPB 0x04

static const struct tok stp_proto_values[] = {
	{ STP_PROTO_REGULAR, "802.1d" },
	{ STP_PROTO_RAPID, "802.1w" },
	{ STP_PROTO_MSTP, "802.1s" },
	{ STP_PROTO_SPB, "802.1aq" },
	{ 0, NULL }
};

#define STP_BPDU_TYPE_CONFIG 0x00
#define STP_BPDU_TYPE_RSTP 0x02
#define STP_BPDU_TYPE_TOPO_CHANGE 0x80

static const struct tok stp_bpdu_flag_values[] = {
	{ 0x01, "Topology change" },
	{ 0x02, "Proposal" },
	{ 0x10, "Learn" },
	{ 0x20, "Forward" },
	{ 0x40, "Agreement" },
	{ 0x80, "Topology change ACK" },
	{ 0, NULL }
};

static const struct tok stp_bpdu_type_values[] = {
	{ STP_BPDU_TYPE_CONFIG, "Config" },
	{ STP_BPDU_TYPE_RSTP, "Rapid STP" },
	{ STP_BPDU_TYPE_TOPO_CHANGE, "Topology Change" },
	{ 0, NULL }
};

static const struct tok rstp_obj_port_role_values[] = {
	{ 0x00, "Unknown" },
	{ 0x01, "Alternate" },
	{ 0x02, "Root" },
	{ 0x03, "Designated" },
	{ 0, NULL }
};

/* Offsets into an MSTP BPDU, and into one MSTI record */
#define MST_BPDU_MSTI_LENGTH 16
#define MST_BPDU_CONFIG_INFO_LENGTH 64
#define MST_BPDU_VER3_LEN_OFFSET 36
#define MST_BPDU_CONFIG_NAME_OFFSET 39
#define MST_BPDU_CONFIG_DIGEST_OFFSET 73
#define MST_BPDU_CIST_INT_PATH_COST_OFFSET 89
#define MST_BPDU_CIST_BRIDGE_ID_OFFSET 93
#define MST_BPDU_CIST_REMAIN_HOPS_OFFSET 101
#define MST_BPDU_MSTI_OFFSET 102
#define MST_BPDU_MSTI_ROOT_PRIO_OFFSET 1
#define MST_BPDU_MSTI_ROOT_PATH_COST_OFFSET 9
#define MST_BPDU_MSTI_BRIDGE_PRIO_OFFSET 13
#define MST_BPDU_MSTI_PORT_PRIO_OFFSET 14
#define MST_BPDU_MSTI_REMAIN_HOPS_OFFSET 15

#define SPB_BPDU_MIN_LEN 87
#define SPB_BPDU_CONFIG_NAME_OFFSET 3
#define SPB_BPDU_CONFIG_REV_OFFSET (SPB_BPDU_CONFIG_NAME_OFFSET + 32)
#define SPB_BPDU_CONFIG_DIGEST_OFFSET (SPB_BPDU_CONFIG_REV_OFFSET + 2)
#define SPB_BPDU_AGREEMENT_OFFSET (SPB_BPDU_CONFIG_DIGEST_OFFSET + 16)
#define SPB_BPDU_AGREEMENT_UNUSED_OFFSET (SPB_BPDU_AGREEMENT_OFFSET + 1)
#define SPB_BPDU_AGREEMENT_FORMAT_OFFSET (SPB_BPDU_AGREEMENT_UNUSED_OFFSET + 1)
#define SPB_BPDU_AGREEMENT_CON_OFFSET (SPB_BPDU_AGREEMENT_FORMAT_OFFSET + 1)
#define SPB_BPDU_AGREEMENT_EDGE_OFFSET (SPB_BPDU_AGREEMENT_CON_OFFSET + 1)
#define SPB_BPDU_AGREEMENT_RES1_OFFSET (SPB_BPDU_AGREEMENT_EDGE_OFFSET + 2)
#define SPB_BPDU_AGREEMENT_RES2_OFFSET (SPB_BPDU_AGREEMENT_RES1_OFFSET + 4)
#define SPB_BPDU_AGREEMENT_DIGEST_OFFSET (SPB_BPDU_AGREEMENT_RES2_OFFSET + 4)

/* priority.MAC */
static const char *stp_print_bridge_id(struct print_ctx *ndo, const uint8_t *p)
{
	static char bridge_id_str[4][sizeof("pppp.aa:bb:cc:dd:ee:ff")];
	static int idx;
	char *b = bridge_id_str[idx];

	idx = (idx + 1) & 3;
	snprintf(b, sizeof(bridge_id_str[0]), "%.2x%.2x.%.2x:%.2x:%.2x:%.2x:%.2x:%.2x", GET_U_1(p),
		 GET_U_1(p + 1), GET_U_1(p + 2), GET_U_1(p + 3), GET_U_1(p + 4), GET_U_1(p + 5),
		 GET_U_1(p + 6), GET_U_1(p + 7));
	return b;
}

static void print_timers(struct print_ctx *ndo, const struct stp_bpdu_ *stp_bpdu)
{
	ND_PRINT("\n\tmessage-age %.2fs, max-age %.2fs, hello-time %.2fs, forwarding-delay %.2fs",
		 (float)GET_BE_U_2(stp_bpdu->message_age) / STP_TIME_BASE,
		 (float)GET_BE_U_2(stp_bpdu->max_age) / STP_TIME_BASE,
		 (float)GET_BE_U_2(stp_bpdu->hello_time) / STP_TIME_BASE,
		 (float)GET_BE_U_2(stp_bpdu->forward_delay) / STP_TIME_BASE);
}

static void stp_print_config_bpdu(struct print_ctx *ndo, const struct stp_bpdu_ *stp_bpdu,
				  u_int length)
{
	uint8_t bpdu_flags = GET_U_1(stp_bpdu->flags);

	ND_PRINT(", Flags [%s]", bittok2str(stp_bpdu_flag_values, "none", bpdu_flags));
	ND_PRINT(", bridge-id %s.%04x, length %u", stp_print_bridge_id(ndo, stp_bpdu->bridge_id),
		 GET_BE_U_2(stp_bpdu->port_id), length);
	if (!ndo->vflag)
		return;
	print_timers(ndo, stp_bpdu);
	ND_PRINT("\n\troot-id %s, root-pathcost %u", stp_print_bridge_id(ndo, stp_bpdu->root_id),
		 GET_BE_U_4(stp_bpdu->root_path_cost));
	/* only RSTP has port roles */
	if (GET_U_1(stp_bpdu->protocol_version) == STP_PROTO_RAPID)
		ND_PRINT(", port-role %s", tok2str(rstp_obj_port_role_values, "Unknown",
						   RSTP_EXTRACT_PORT_ROLE(bpdu_flags)));
}

static void stp_print_mstp_bpdu(struct print_ctx *ndo, const struct stp_bpdu_ *stp_bpdu,
				u_int length)
{
	const uint8_t *ptr = (const uint8_t *)stp_bpdu;
	uint8_t bpdu_flags = GET_U_1(stp_bpdu->flags);
	uint16_t v3len, len, msti;
	u_int offset;

	ND_PRINT(", CIST Flags [%s], length %u",
		 bittok2str(stp_bpdu_flag_values, "none", bpdu_flags), length);
	if (!ndo->vflag)
		return;
	ND_PRINT("\n\tport-role %s, ",
		 tok2str(rstp_obj_port_role_values, "Unknown", RSTP_EXTRACT_PORT_ROLE(bpdu_flags)));
	ND_PRINT("CIST root-id %s, CIST ext-pathcost %u", stp_print_bridge_id(ndo, stp_bpdu->root_id),
		 GET_BE_U_4(stp_bpdu->root_path_cost));
	ND_PRINT("\n\tCIST regional-root-id %s, ", stp_print_bridge_id(ndo, stp_bpdu->bridge_id));
	ND_PRINT("CIST port-id %04x,", GET_BE_U_2(stp_bpdu->port_id));
	print_timers(ndo, stp_bpdu);
	ND_PRINT("\n\tv3len %u, ", GET_BE_U_2(ptr + MST_BPDU_VER3_LEN_OFFSET));
	ND_PRINT("MCID Name ");
	nd_printjnp(ndo, ptr + MST_BPDU_CONFIG_NAME_OFFSET, 32);
	ND_PRINT(", rev %u,\n\t\tdigest %08x%08x%08x%08x, ",
		 GET_BE_U_2(ptr + MST_BPDU_CONFIG_NAME_OFFSET + 32),
		 GET_BE_U_4(ptr + MST_BPDU_CONFIG_DIGEST_OFFSET),
		 GET_BE_U_4(ptr + MST_BPDU_CONFIG_DIGEST_OFFSET + 4),
		 GET_BE_U_4(ptr + MST_BPDU_CONFIG_DIGEST_OFFSET + 8),
		 GET_BE_U_4(ptr + MST_BPDU_CONFIG_DIGEST_OFFSET + 12));
	ND_PRINT("CIST int-root-pathcost %u,", GET_BE_U_4(ptr + MST_BPDU_CIST_INT_PATH_COST_OFFSET));
	ND_PRINT("\n\tCIST bridge-id %s, ",
		 stp_print_bridge_id(ndo, ptr + MST_BPDU_CIST_BRIDGE_ID_OFFSET));
	ND_PRINT("CIST remaining-hops %u", GET_U_1(ptr + MST_BPDU_CIST_REMAIN_HOPS_OFFSET));

	v3len = GET_BE_U_2(ptr + MST_BPDU_VER3_LEN_OFFSET);
	if (v3len <= MST_BPDU_CONFIG_INFO_LENGTH)
		return;
	len = v3len - MST_BPDU_CONFIG_INFO_LENGTH;
	offset = MST_BPDU_MSTI_OFFSET;
	while (len >= MST_BPDU_MSTI_LENGTH) {
		msti = GET_BE_U_2(ptr + offset + MST_BPDU_MSTI_ROOT_PRIO_OFFSET) & 0x0FFF;
		ND_PRINT("\n\tMSTI %u, Flags [%s], port-role %s", msti,
			 bittok2str(stp_bpdu_flag_values, "none", GET_U_1(ptr + offset)),
			 tok2str(rstp_obj_port_role_values, "Unknown",
				 RSTP_EXTRACT_PORT_ROLE(GET_U_1(ptr + offset))));
		ND_PRINT("\n\t\tMSTI regional-root-id %s, pathcost %u",
			 stp_print_bridge_id(ndo, ptr + offset + MST_BPDU_MSTI_ROOT_PRIO_OFFSET),
			 GET_BE_U_4(ptr + offset + MST_BPDU_MSTI_ROOT_PATH_COST_OFFSET));
		ND_PRINT("\n\t\tMSTI bridge-prio %u, port-prio %u, hops %u",
			 GET_U_1(ptr + offset + MST_BPDU_MSTI_BRIDGE_PRIO_OFFSET) >> 4,
			 GET_U_1(ptr + offset + MST_BPDU_MSTI_PORT_PRIO_OFFSET) >> 4,
			 GET_U_1(ptr + offset + MST_BPDU_MSTI_REMAIN_HOPS_OFFSET));
		len -= MST_BPDU_MSTI_LENGTH;
		offset += MST_BPDU_MSTI_LENGTH;
	}
}

static void stp_print_spb_bpdu(struct print_ctx *ndo, const struct stp_bpdu_ *stp_bpdu,
			       u_int offset)
{
	const uint8_t *ptr = (const uint8_t *)stp_bpdu + offset;

	if (!ndo->vflag)
		return;
	ND_PRINT("\n\tv4len %u, ", GET_BE_U_2(ptr));
	ND_PRINT("AUXMCID Name ");
	nd_printjnp(ndo, ptr + SPB_BPDU_CONFIG_NAME_OFFSET, 32);
	ND_PRINT(", Rev %u,\n\t\tdigest %08x%08x%08x%08x", GET_BE_U_2(ptr + SPB_BPDU_CONFIG_REV_OFFSET),
		 GET_BE_U_4(ptr + SPB_BPDU_CONFIG_DIGEST_OFFSET),
		 GET_BE_U_4(ptr + SPB_BPDU_CONFIG_DIGEST_OFFSET + 4),
		 GET_BE_U_4(ptr + SPB_BPDU_CONFIG_DIGEST_OFFSET + 8),
		 GET_BE_U_4(ptr + SPB_BPDU_CONFIG_DIGEST_OFFSET + 12));
	ND_PRINT("\n\tAgreement num %u, Discarded Agreement num %u, Agreement valid-"
		 "flag %u,\n\tRestricted role-flag: %u, Format id %u cap %u, "
		 "Convention id %u cap %u,\n\tEdge count %u, "
		 "Agreement digest %08x%08x%08x%08x%08x",
		 GET_U_1(ptr + SPB_BPDU_AGREEMENT_OFFSET) >> 6,
		 GET_U_1(ptr + SPB_BPDU_AGREEMENT_OFFSET) >> 4 & 0x3,
		 GET_U_1(ptr + SPB_BPDU_AGREEMENT_OFFSET) >> 3 & 0x1,
		 GET_U_1(ptr + SPB_BPDU_AGREEMENT_OFFSET) >> 2 & 0x1,
		 GET_U_1(ptr + SPB_BPDU_AGREEMENT_FORMAT_OFFSET) >> 4,
		 GET_U_1(ptr + SPB_BPDU_AGREEMENT_FORMAT_OFFSET) & 0x00ff,
		 GET_U_1(ptr + SPB_BPDU_AGREEMENT_CON_OFFSET) >> 4,
		 GET_U_1(ptr + SPB_BPDU_AGREEMENT_CON_OFFSET) & 0x00ff,
		 GET_BE_U_2(ptr + SPB_BPDU_AGREEMENT_EDGE_OFFSET),
		 GET_BE_U_4(ptr + SPB_BPDU_AGREEMENT_DIGEST_OFFSET),
		 GET_BE_U_4(ptr + SPB_BPDU_AGREEMENT_DIGEST_OFFSET + 4),
		 GET_BE_U_4(ptr + SPB_BPDU_AGREEMENT_DIGEST_OFFSET + 8),
		 GET_BE_U_4(ptr + SPB_BPDU_AGREEMENT_DIGEST_OFFSET + 12),
		 GET_BE_U_4(ptr + SPB_BPDU_AGREEMENT_DIGEST_OFFSET + 16));
}

void stp_print(struct print_ctx *ndo, const uint8_t *p, u_int length)
{
	const struct stp_bpdu_ *stp_bpdu = (const struct stp_bpdu_ *)p;
	u_int protocol_version, bpdu_type, mstp_len, spb_len;

	ndo->protocol = "stp";
	if (length < 4)
		goto invalid;
	if (GET_BE_U_2(stp_bpdu->protocol_id)) {
		ND_PRINT("unknown STP version, length %u", length);
		return;
	}
	protocol_version = GET_U_1(stp_bpdu->protocol_version);
	ND_PRINT("STP %s", tok2str(stp_proto_values, "Unknown STP protocol (0x%02x)", protocol_version));
	if (protocol_version != STP_PROTO_REGULAR && protocol_version != STP_PROTO_RAPID &&
	    protocol_version != STP_PROTO_MSTP && protocol_version != STP_PROTO_SPB)
		return;
	bpdu_type = GET_U_1(stp_bpdu->bpdu_type);
	ND_PRINT(", %s", tok2str(stp_bpdu_type_values, "Unknown BPDU Type (0x%02x)", bpdu_type));
	switch (bpdu_type) {
	case STP_BPDU_TYPE_CONFIG:
		if (length < sizeof(struct stp_bpdu_) - 1)
			goto invalid;
		stp_print_config_bpdu(ndo, stp_bpdu, length);
		break;
	case STP_BPDU_TYPE_RSTP:
		if (protocol_version == STP_PROTO_RAPID) {
			if (length < sizeof(struct stp_bpdu_))
				goto invalid;
			stp_print_config_bpdu(ndo, stp_bpdu, length);
		} else if (protocol_version == STP_PROTO_MSTP || protocol_version == STP_PROTO_SPB) {
			if (length < STP_BPDU_MSTP_MIN_LEN)
				goto invalid;
			if (GET_U_1(stp_bpdu->v1_length) != 0)
				goto invalid;
			/* the version 3 length counts from after itself */
			mstp_len = GET_BE_U_2(p + MST_BPDU_VER3_LEN_OFFSET) + 2u;
			if (length < sizeof(struct stp_bpdu_) + mstp_len)
				goto invalid;
			stp_print_mstp_bpdu(ndo, stp_bpdu, length);
			if (protocol_version == STP_PROTO_SPB) {
				spb_len = GET_BE_U_2(p + MST_BPDU_VER3_LEN_OFFSET + mstp_len) + 2u;
				if (length < sizeof(struct stp_bpdu_) + mstp_len + spb_len ||
				    spb_len < SPB_BPDU_MIN_LEN)
					goto invalid;
				stp_print_spb_bpdu(ndo, stp_bpdu,
						   (u_int)sizeof(struct stp_bpdu_) + mstp_len);
			}
		}
		break;
	default:
		/* topology change notifications carry nothing more */
		break;
	}
	return;
invalid:
	nd_print_invalid(ndo);
}
