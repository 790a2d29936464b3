/* \summary: raw IP printer (DLT_RAW, DLT_IPV4, DLT_IPV6: the packet starts
 * with the IP header, RFC 791 / RFC 8200)
 */
#include "config.h"

#include "sniffer/print.h"

void raw_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h, const uint8_t *p)
{
	ndo->protocol = "raw";
	if (ndo->eflag)
		ND_PRINT("ip: ");
	ipN_print(ndo, p, h->len);
}

/* tcpdump prints these two link types through raw_if_print as well */
void ipv4_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h, const uint8_t *p)
{
	raw_if_print(ndo, h, p);
}

void ipv6_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h, const uint8_t *p)
{
	raw_if_print(ndo, h, p);
}
