/* cooked.c - "cooked" capture (LINUX_SLL2), used for the "any" device and for
 * links without an Ethernet-like header.
 *
 * A SOCK_DGRAM packet socket hands over the packet from its network header on,
 * with the link-level facts in a struct sockaddr_ll. Users (and filters) see a
 * 20-byte LINUX_SLL2 header in front, as libpcap gives it. The kernel's filter
 * however runs on the data without that header, so a program compiled for
 * SLL2 is rewritten for the kernel: loads past the header move back by 20, and
 * loads of header fields become the ancillary loads that hold the same value
 * (as libpcap's fix_offset does). A program that reads anything else of the
 * header, or the packet length, is run in user space instead.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include "lib.h"

/* Where a field of the SLL2 header comes from in the kernel. */
static int header_anc(uint16_t code, uint32_t k, uint32_t *anc)
{
	unsigned size = BPF_SIZE(code);

	if (BPF_MODE(code) != BPF_ABS)
		return -1;
	if (k == 0 && size == BPF_H)        /* protocol type, as skb->protocol */
		*anc = SKF_AD_PROTOCOL;
	else if (k == 4 && size == BPF_W)   /* interface index */
		*anc = SKF_AD_IFINDEX;
	else if (k == 8 && size == BPF_H)   /* ARPHRD_ type */
		*anc = SKF_AD_HATYPE;
	else if (k == 10 && size == BPF_B)  /* packet type */
		*anc = SKF_AD_PKTTYPE;
	else
		return -1;
	return 0;
}

int cooked_fix_prog(const struct sniff_prog *in, struct sniff_prog *out)
{
	unsigned i;

	out->len = in->len;
	out->insns = malloc(in->len * sizeof(*in->insns));
	if (!out->insns)
		return -ENOMEM;
	memcpy(out->insns, in->insns, in->len * sizeof(*in->insns));
	for (i = 0; i < out->len; i++) {
		struct sniff_insn *p = &out->insns[i];
		unsigned cls = BPF_CLASS(p->code), mode = BPF_MODE(p->code);
		uint32_t anc;

		if (cls != BPF_LD && cls != BPF_LDX)
			continue;
		if (mode == BPF_LEN)
			goto user; /* the kernel's length lacks the header */
		if (mode != BPF_ABS && mode != BPF_IND && mode != BPF_MSH)
			continue;
		if (p->k >= (uint32_t)SKF_LL_OFF)
			continue; /* already ancillary or relative to a header */
		if (p->k >= COOKED_HDR_LEN) {
			p->k -= COOKED_HDR_LEN;
			continue;
		}
		/* no ancillary loads into X, nor relative to X */
		if (cls == BPF_LDX || header_anc(p->code, p->k, &anc))
			goto user;
		p->code = BPF_LD | BPF_W | BPF_ABS; /* the whole field, whatever the size */
		p->k = (uint32_t)SKF_AD_OFF + anc;
	}
	return 0;
user:
	free(out->insns);
	out->insns = NULL;
	out->len = 0;
	return -EOPNOTSUPP;
}

uint8_t *cooked_header(uint8_t *net, const struct sockaddr_ll *sll)
{
	uint8_t *h = net - COOKED_HDR_LEN;
	uint32_t ifindex = htonl((uint32_t)sll->sll_ifindex);
	uint16_t hatype = htons(sll->sll_hatype);
	uint8_t halen = sll->sll_halen > 8 ? 8 : sll->sll_halen;

	memcpy(h, &sll->sll_protocol, 2);   /* already in network order */
	memset(h + 2, 0, 2);                /* reserved */
	memcpy(h + 4, &ifindex, 4);
	memcpy(h + 8, &hatype, 2);
	h[10] = sll->sll_pkttype;
	h[11] = sll->sll_halen;
	memset(h + 12, 0, 8);
	memcpy(h + 12, sll->sll_addr, halen);
	return h;
}
