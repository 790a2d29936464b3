/* \summary: SSH printer (RFC 4253 section 4.2): the protocol version
 * exchange line, when a segment starts with one.
 */
#include "config.h"

#include "sniffer/print.h"

void ssh_print(struct print_ctx *ndo, const uint8_t *pptr, u_int len)
{
	u_int idx = 4;

	ndo->protocol = "ssh";
	if (GET_U_1(pptr) != 'S' || GET_U_1(pptr + 1) != 'S' || GET_U_1(pptr + 2) != 'H' ||
	    GET_U_1(pptr + 3) != '-')
		return;
	while (idx < len) {
		uint8_t c = GET_U_1(pptr + idx);

		if (c == '\n')
			break;
		if (c == '\r') {
			/* only CR-LF ends the line; the LF must be in this segment */
			if (idx + 1 >= len || GET_U_1(pptr + idx + 1) != '\n')
				return;
			break;
		}
		if (!ND_ASCII_ISPRINT(c))
			return;
		idx++;
	}
	if (idx >= len)
		return;
	ND_PRINT(": SSH: %.*s", (int)idx, (const char *)pptr);
}
