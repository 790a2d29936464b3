/* \summary: IPsec ESP printer (RFC 4303), without decryption: the SPI,
 * the sequence number and the length, as tcpdump shows ESP it cannot open.
 */
#include "config.h"

#include "sniffer/print.h"

struct newesp {
	nd_uint32_t esp_spi;
	nd_uint32_t esp_seq;
};

void esp_print(struct print_ctx *ndo, const uint8_t *bp, u_int length)
{
	const struct newesp *esp = (const struct newesp *)bp;

	ndo->protocol = "esp";
	/* tcpdump wants at least one byte after the header */
	if ((uintptr_t)(esp + 1) >= (uintptr_t)ndo->snapend) {
		nd_print_trunc(ndo);
		return;
	}
	ND_PRINT("ESP(spi=0x%08x", GET_BE_U_4(esp->esp_spi));
	ND_PRINT(",seq=0x%x)", GET_BE_U_4(esp->esp_seq));
	ND_PRINT(", length %u", length);
}
