/* \summary: BOOTP/DHCP printer (RFC 951, RFC 2131): the summary line only;
 * the fields and options tcpdump adds with -v are not decoded yet.
 */
#include "config.h"

#include "sniffer/print.h"

struct bootp {
	nd_uint8_t bp_op;
	nd_uint8_t bp_htype;
	nd_uint8_t bp_hlen;
	nd_uint8_t bp_hops;
	nd_uint32_t bp_xid;
	nd_uint16_t bp_secs;
	nd_uint16_t bp_flags;
	nd_ipv4 bp_ciaddr, bp_yiaddr, bp_siaddr, bp_giaddr;
	nd_byte bp_chaddr[16];
};

#define BOOTPREQUEST 1
#define BOOTPREPLY 2

static const struct tok bootp_op_values[] = {
	{ BOOTPREQUEST, "Request" },
	{ BOOTPREPLY, "Reply" },
	{ 0, NULL }
};

void bootp_print(struct print_ctx *ndo, const uint8_t *cp, u_int length)
{
	const struct bootp *bp = (const struct bootp *)cp;
	uint8_t bp_op, bp_htype, bp_hlen;

	ndo->protocol = "bootp";
	bp_op = GET_U_1(bp->bp_op);
	ND_PRINT("BOOTP/DHCP, %s", tok2str(bootp_op_values, "unknown (0x%02x)", bp_op));
	bp_htype = GET_U_1(bp->bp_htype);
	bp_hlen = GET_U_1(bp->bp_hlen);
	if (bp_htype == 1 && bp_hlen == MAC_ADDR_LEN && bp_op == BOOTPREQUEST)
		ND_PRINT(" from %s", GET_ETHERADDR_STRING(bp->bp_chaddr));
	ND_PRINT(", length %u", length);
}
