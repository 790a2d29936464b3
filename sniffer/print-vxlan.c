/* \summary: VXLAN printer (RFC 7348): the header, then the inner Ethernet
 * frame on a line of its own.
 */
#include "config.h"

#include "sniffer/print.h"

#define VXLAN_HDR_LEN 8

void vxlan_print(struct print_ctx *ndo, const uint8_t *bp, u_int len)
{
	uint8_t flags;
	uint32_t vni;

	ndo->protocol = "vxlan";
	if (len < VXLAN_HDR_LEN) {
		nd_print_trunc(ndo);
		return;
	}
	flags = GET_U_1(bp);
	vni = GET_BE_U_3(bp + 4);
	ND_PRINT("VXLAN, flags [%s] (0x%02x), vni %u\n", flags & 0x08 ? "I" : ".", flags, vni);
	bp += VXLAN_HDR_LEN;
	ether_print(ndo, bp, len - VXLAN_HDR_LEN, ND_BYTES_AVAILABLE_AFTER(bp));
}
