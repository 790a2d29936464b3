/* \summary: TCP printer (RFC 9293; options RFC 7323 timestamps and window
 * scale, RFC 2018 SACK, RFC 2385 MD5, RFC 5482 UTO, RFC 5925 TCP-AO,
 * RFC 7413 Fast Open)
 *
 * Sequence numbers are shown relative to the first ones seen for a
 * connection, as tcpdump does: the state lives in the context and is keyed
 * by the address/port pair in one canonical order for both directions.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sniffer/print.h"

struct tcphdr {
	nd_uint16_t th_sport;
	nd_uint16_t th_dport;
	nd_uint32_t th_seq;
	nd_uint32_t th_ack;
	nd_uint8_t th_offx2; /* data offset, reserved */
	nd_uint8_t th_flags;
	nd_uint16_t th_win;
	nd_uint16_t th_sum;
	nd_uint16_t th_urp;
};
#define TH_OFF(th) ((GET_U_1((th)->th_offx2) & 0xf0) >> 4)

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PUSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECNECHO 0x40
#define TH_CWR 0x80

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MAXSEG 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACKOK 4
#define TCPOPT_SACK 5
#define TCPOPT_ECHO 6
#define TCPOPT_ECHOREPLY 7
#define TCPOPT_TIMESTAMP 8
#define TCPOPT_CC 11
#define TCPOPT_CCNEW 12
#define TCPOPT_CCECHO 13
#define TCPOPT_SIGNATURE 19
#define TCP_SIGLEN 16
#define TCPOPT_SCPS 20
#define TCPOPT_UTO 28
#define TCPOPT_TCPAO 29
#define TCPOPT_MPTCP 30
#define TCPOPT_FASTOPEN 34
#define TCPOPT_EXPERIMENT2 254

#define MAX_RST_DATA_LEN 30

static const struct tok tcp_flag_values[] = {
	{ TH_FIN, "F" },
	{ TH_SYN, "S" },
	{ TH_RST, "R" },
	{ TH_PUSH, "P" },
	{ TH_ACK, "." },
	{ TH_URG, "U" },
	{ TH_ECNECHO, "E" },
	{ TH_CWR, "W" },
	{ 0, NULL }
};

static const struct tok tcp_option_values[] = {
	{ TCPOPT_EOL, "eol" },
	{ TCPOPT_NOP, "nop" },
	{ TCPOPT_MAXSEG, "mss" },
	{ TCPOPT_WSCALE, "wscale" },
	{ TCPOPT_SACKOK, "sackOK" },
	{ TCPOPT_SACK, "sack" },
	{ TCPOPT_ECHO, "echo" },
	{ TCPOPT_ECHOREPLY, "echoreply" },
	{ TCPOPT_TIMESTAMP, "TS" },
	{ TCPOPT_CC, "cc" },
	{ TCPOPT_CCNEW, "ccnew" },
	{ TCPOPT_CCECHO, "" },
	{ TCPOPT_SIGNATURE, "md5" },
	{ TCPOPT_SCPS, "scps" },
	{ TCPOPT_UTO, "uto" },
	{ TCPOPT_TCPAO, "tcp-ao" },
	{ TCPOPT_MPTCP, "mptcp" },
	{ TCPOPT_FASTOPEN, "tfo" },
	{ TCPOPT_EXPERIMENT2, "exp" },
	{ 0, NULL }
};

/* One connection: both addresses (4 or 16 bytes each) and both ports in
 * canonical order, and the initial sequence numbers of each side. */
struct tcp_seq_hash {
	struct tcp_seq_hash *nxt;
	uint8_t addr[16 + 16 + 4];
	uint32_t seq;
	uint32_t ack;
};

void tcp_seq_free(struct print_ctx *ndo)
{
	int i;

	for (i = 0; i < TSEQ_HASHSIZE; i++) {
		struct tcp_seq_hash *th, *n;

		for (th = ndo->tcp_seq4[i]; th; th = n) {
			n = th->nxt;
			free(th);
		}
		for (th = ndo->tcp_seq6[i]; th; th = n) {
			n = th->nxt;
			free(th);
		}
		ndo->tcp_seq4[i] = ndo->tcp_seq6[i] = NULL;
	}
}

/* Find or record the connection; rewrite seq/ack as relative numbers.
 * Returns the stored initial numbers through thseq/thack. */
static void tcp_seq_relative(struct print_ctx *ndo, const uint8_t *src, const uint8_t *dst,
			     size_t alen, uint16_t sport, uint16_t dport, uint8_t flags,
			     uint32_t *seq, uint32_t *ack, uint32_t *thseq, uint32_t *thack,
			     int *rev)
{
	struct tcp_seq_hash **heads = alen == 4 ? ndo->tcp_seq4 : ndo->tcp_seq6;
	struct tcp_seq_hash *th;
	uint8_t key[sizeof(th->addr)];
	uint32_t port;

	*rev = 0;
	if (sport > dport)
		*rev = 1;
	else if (sport == dport && memcmp(src, dst, alen) > 0)
		*rev = 1;
	memset(key, 0, sizeof(key));
	if (*rev) {
		memcpy(key, dst, alen);
		memcpy(key + alen, src, alen);
		port = (uint32_t)dport << 16 | sport;
	} else {
		memcpy(key, src, alen);
		memcpy(key + alen, dst, alen);
		port = (uint32_t)sport << 16 | dport;
	}
	memcpy(key + 2 * alen, &port, 4);

	for (th = heads[port % TSEQ_HASHSIZE]; th; th = th->nxt)
		if (memcmp(th->addr, key, sizeof(key)) == 0)
			break;
	if (!th || (flags & TH_SYN)) {
		if (!th) {
			th = calloc(1, sizeof(*th));
			if (!th) {
				/* no memory: print absolute numbers rather than fail */
				*thseq = *thack = 0;
				return;
			}
			memcpy(th->addr, key, sizeof(key));
			th->nxt = heads[port % TSEQ_HASHSIZE];
			heads[port % TSEQ_HASHSIZE] = th;
		}
		if (*rev) {
			th->ack = *seq;
			th->seq = *ack - 1;
		} else {
			th->seq = *seq;
			th->ack = *ack - 1;
		}
	} else {
		if (*rev) {
			*seq -= th->ack;
			*ack -= th->seq;
		} else {
			*seq -= th->seq;
			*ack -= th->ack;
		}
	}
	*thseq = th->seq;
	*thack = th->ack;
}

static void print_tcp_rst_data(struct print_ctx *ndo, const uint8_t *sp, u_int length)
{
	ND_PRINT(ND_TTEST_LEN(sp, length) ? " [RST" : " [!RST");
	if (length > MAX_RST_DATA_LEN) {
		length = MAX_RST_DATA_LEN;
		ND_PRINT("+");
	}
	ND_PRINT(" ");
	while (length && (uintptr_t)sp < (uintptr_t)ndo->snapend) {
		fn_print_char(ndo, GET_U_1(sp));
		sp++;
		length--;
	}
	ND_PRINT("]");
}

static void print_tcp_fastopen_option(struct print_ctx *ndo, const uint8_t *cp, u_int datalen,
				      int exp)
{
	u_int i;

	if (exp)
		ND_PRINT("tfo");
	if (datalen == 0) {
		ND_PRINT(" cookiereq");
	} else if (datalen % 2 != 0 || datalen < 4 || datalen > 16) {
		nd_print_invalid(ndo);
	} else {
		ND_PRINT(" cookie ");
		for (i = 0; i < datalen; ++i)
			ND_PRINT("%02x", GET_U_1(cp + i));
	}
}

static void tcp_addr_print(struct print_ctx *ndo, const struct ip *ip,
			   const struct ip6_hdr *ip6, const char *sp, const char *dp)
{
	if (ip6) {
		if (GET_U_1(ip6->ip6_nxt) == IPPROTO_TCP)
			ND_PRINT("%s.%s > %s.%s: ", GET_IP6ADDR_STRING(ip6->ip6_src), sp,
				 GET_IP6ADDR_STRING(ip6->ip6_dst), dp);
		else
			ND_PRINT("%s > %s: ", sp, dp);
	} else {
		if (GET_U_1(ip->ip_p) == IPPROTO_TCP)
			ND_PRINT("%s.%s > %s.%s: ", GET_IPADDR_STRING(ip->ip_src), sp,
				 GET_IPADDR_STRING(ip->ip_dst), dp);
		else
			ND_PRINT("%s > %s: ", sp, dp);
	}
}

void tcp_print(struct print_ctx *ndo, const uint8_t *bp, u_int length, const uint8_t *bp2,
	       int fragmented)
{
	const struct tcphdr *tp = (const struct tcphdr *)bp;
	const struct ip *ip = (const struct ip *)bp2;
	const struct ip6_hdr *ip6 = IP_V(ip) == 6 ? (const struct ip6_hdr *)bp2 : NULL;
	uint32_t seq, ack, thseq = 0, thack = 0;
	uint16_t sport, dport, win, urp;
	u_int hlen, header_len, utoval;
	char sps[8], dps[8];
	uint8_t flags;
	int rev = 0;
	char ch = '\0';

	ndo->protocol = "tcp";
	if (!ND_TTEST_2(tp->th_dport)) {
		if (ip6)
			ND_PRINT("%s > %s:", GET_IP6ADDR_STRING(ip6->ip6_src),
				 GET_IP6ADDR_STRING(ip6->ip6_dst));
		else
			ND_PRINT("%s > %s:", GET_IPADDR_STRING(ip->ip_src), GET_IPADDR_STRING(ip->ip_dst));
		nd_print_trunc(ndo);
		return;
	}
	sport = GET_BE_U_2(tp->th_sport);
	dport = GET_BE_U_2(tp->th_dport);
	snprintf(sps, sizeof(sps), "%u", sport);
	snprintf(dps, sizeof(dps), "%u", dport);
	tcp_addr_print(ndo, ip, ip6, sps, dps);

	ND_TCHECK_SIZE(tp);
	hlen = TH_OFF(tp) * 4;
	if (hlen < sizeof(*tp)) {
		ND_PRINT(" tcp %u [bad hdr length %u - too short, < %zu]", length - hlen, hlen,
			 sizeof(*tp));
		return;
	}
	seq = GET_BE_U_4(tp->th_seq);
	ack = GET_BE_U_4(tp->th_ack);
	win = GET_BE_U_2(tp->th_win);
	urp = GET_BE_U_2(tp->th_urp);

	if (ndo->qflag) {
		ND_PRINT("tcp %u", length - hlen);
		if (hlen > length)
			ND_PRINT(" [bad hdr length %u - too long, > %u]", hlen, length);
		return;
	}

	flags = GET_U_1(tp->th_flags);
	ND_PRINT("Flags [%s]", bittok2str_nosep(tcp_flag_values, "none", flags));

	if (!ndo->Sflag && (flags & TH_ACK)) {
		if (ip6) {
			ND_BCHECK_LEN(ip6->ip6_src, 32);
			tcp_seq_relative(ndo, ip6->ip6_src, ip6->ip6_dst, 16, sport, dport, flags,
					 &seq, &ack, &thseq, &thack, &rev);
		} else {
			ND_BCHECK_LEN(ip->ip_src, 8);
			tcp_seq_relative(ndo, ip->ip_src, ip->ip_dst, 4, sport, dport, flags, &seq,
					 &ack, &thseq, &thack, &rev);
		}
	}
	if (hlen > length) {
		ND_PRINT(" [bad hdr length %u - too long, > %u]", hlen, length);
		return;
	}

	if (ndo->vflag && !fragmented && ND_TTEST_LEN(tp->th_sport, length)) {
		uint16_t sum, tcp_sum = GET_BE_U_2(tp->th_sum);

		if (ip6)
			sum = nextproto6_cksum(ndo, ip6, bp, length, length, IPPROTO_TCP);
		else
			sum = nextproto4_cksum(ndo, ip, bp, length, length, IPPROTO_TCP);
		ND_PRINT(", cksum 0x%04x", tcp_sum);
		if (sum != 0)
			ND_PRINT(" (incorrect -> 0x%04x)", in_cksum_shouldbe(tcp_sum, sum));
		else
			ND_PRINT(" (correct)");
	}

	length -= hlen;
	if (ndo->vflag > 1 || length > 0 || flags & (TH_SYN | TH_FIN | TH_RST)) {
		ND_PRINT(", seq %u", seq);
		if (length > 0)
			ND_PRINT(":%u", seq + length);
	}
	if (flags & TH_ACK)
		ND_PRINT(", ack %u", ack);
	ND_PRINT(", win %u", win);
	if (flags & TH_URG)
		ND_PRINT(", urg %u", urp);

	if (hlen > sizeof(*tp)) {
		const uint8_t *cp = bp + sizeof(*tp);
		u_int i, opt, datalen, len;

		hlen -= sizeof(*tp);
		ND_PRINT(", options [");
		while (hlen > 0) {
			if (ch != '\0')
				ND_PRINT("%c", ch);
			opt = GET_U_1(cp);
			cp++;
			if (opt == TCPOPT_EOL || opt == TCPOPT_NOP)
				len = 1;
			else {
				len = GET_U_1(cp);
				cp++;
				if (len < 2 || len > hlen)
					goto bad;
				--hlen;
			}
			--hlen;
			datalen = 0;

/* bail if "l" bytes of data are not left or were not captured */
#define LENCHECK(l) \
	do { \
		if ((l) > hlen) \
			goto bad; \
		if (!ND_TTEST_LEN(cp, l)) \
			goto trunc; \
	} while (0)

			ND_PRINT("%s", tok2str(tcp_option_values, "unknown-%u", opt));
			switch (opt) {
			case TCPOPT_MAXSEG:
				datalen = 2;
				LENCHECK(datalen);
				ND_PRINT(" %u", GET_BE_U_2(cp));
				break;
			case TCPOPT_WSCALE:
				datalen = 1;
				LENCHECK(datalen);
				ND_PRINT(" %u", GET_U_1(cp));
				break;
			case TCPOPT_SACK:
				datalen = len - 2;
				if (datalen % 8 != 0) {
					ND_PRINT(" invalid sack");
				} else {
					uint32_t s, e;

					ND_PRINT(" %u ", datalen / 8);
					for (i = 0; i < datalen; i += 8) {
						LENCHECK(i + 4);
						s = GET_BE_U_4(cp + i);
						LENCHECK(i + 8);
						e = GET_BE_U_4(cp + i + 4);
						if (rev) {
							s -= thseq;
							e -= thseq;
						} else {
							s -= thack;
							e -= thack;
						}
						ND_PRINT("{%u:%u}", s, e);
					}
				}
				break;
			case TCPOPT_CC:
			case TCPOPT_CCNEW:
			case TCPOPT_CCECHO:
			case TCPOPT_ECHO:
			case TCPOPT_ECHOREPLY:
				datalen = 4;
				LENCHECK(datalen);
				ND_PRINT(" %u", GET_BE_U_4(cp));
				break;
			case TCPOPT_TIMESTAMP:
				datalen = 8;
				LENCHECK(datalen);
				ND_PRINT(" val %u ecr %u", GET_BE_U_4(cp), GET_BE_U_4(cp + 4));
				break;
			case TCPOPT_SIGNATURE:
				datalen = TCP_SIGLEN;
				LENCHECK(datalen);
				ND_PRINT(" ");
				/* tcpdump (with libcrypto) verifies it only with -M secret */
				if ((uintptr_t)(bp + TH_OFF(tp) * 4) + length > (uintptr_t)ndo->snapend)
					ND_PRINT("snaplen too short, ");
				else
					ND_PRINT("shared secret not supplied with -M, ");
				ND_PRINT("can't check - ");
				for (i = 0; i < TCP_SIGLEN; ++i)
					ND_PRINT("%02x", GET_U_1(cp + i));
				break;
			case TCPOPT_SCPS:
				datalen = 2;
				LENCHECK(datalen);
				ND_PRINT(" cap %02x id %u", GET_U_1(cp), GET_U_1(cp + 1));
				break;
			case TCPOPT_TCPAO:
				datalen = len - 2;
				/* RFC 5925: the length is at least 4 */
				if (datalen < 2) {
					nd_print_invalid(ndo);
				} else {
					LENCHECK(1);
					ND_PRINT(" keyid %u", GET_U_1(cp));
					LENCHECK(2);
					ND_PRINT(" rnextkeyid %u", GET_U_1(cp + 1));
					if (datalen > 2) {
						ND_PRINT(" mac 0x");
						for (i = 2; i < datalen; i++) {
							LENCHECK(i + 1);
							ND_PRINT("%02x", GET_U_1(cp + i));
						}
					}
				}
				break;
			case TCPOPT_EOL:
			case TCPOPT_NOP:
			case TCPOPT_SACKOK:
				break;
			case TCPOPT_UTO:
				datalen = 2;
				LENCHECK(datalen);
				utoval = GET_BE_U_2(cp);
				ND_PRINT(" 0x%x", utoval);
				if (utoval & 0x0001)
					utoval = (utoval >> 1) * 60;
				else
					utoval >>= 1;
				ND_PRINT(" %u", utoval);
				break;
			case TCPOPT_FASTOPEN:
				datalen = len - 2;
				LENCHECK(datalen);
				ND_PRINT(" ");
				print_tcp_fastopen_option(ndo, cp, datalen, 0);
				break;
			case TCPOPT_EXPERIMENT2: {
				uint16_t magic;

				datalen = len - 2;
				LENCHECK(datalen);
				if (datalen < 2)
					goto bad;
				magic = GET_BE_U_2(cp);
				ND_PRINT("-");
				if (magic == 0xf989) /* RFC 7413 experimental Fast Open */
					print_tcp_fastopen_option(ndo, cp + 2, datalen - 2, 1);
				else
					ND_PRINT("%04x", magic);
				break;
			}
			default:
				/* includes MPTCP, which tcpdump decodes and we do not yet */
				datalen = len - 2;
				if (datalen)
					ND_PRINT(" 0x");
				for (i = 0; i < datalen; ++i) {
					LENCHECK(i + 1);
					ND_PRINT("%02x", GET_U_1(cp + i));
				}
				break;
			}
#undef LENCHECK
			cp += datalen;
			hlen -= datalen;
			++datalen;
			if (!(opt == TCPOPT_EOL || opt == TCPOPT_NOP))
				++datalen;
			if (datalen != len)
				ND_PRINT("[len %u]", len);
			ch = ',';
			if (opt == TCPOPT_EOL)
				break;
		}
		ND_PRINT("]");
	}

	ND_PRINT(", length %u", length);
	if (length == 0)
		return;

	header_len = TH_OFF(tp) * 4;
	if (!ND_TTEST_LEN(bp, header_len)) {
		ND_PRINT(" [remaining caplen(%u) < header length(%u)]", ND_BYTES_AVAILABLE_AFTER(bp),
			 header_len);
		nd_trunc_longjmp(ndo);
	}
	bp += header_len;
	if ((flags & TH_RST) && ndo->vflag) {
		print_tcp_rst_data(ndo, bp, length);
		return;
	}
#define IS_SRC_OR_DST_PORT(p) (sport == (p) || dport == (p))
	/* tcpdump tries telnet, BGP, PPTP, Redis, SSH, SMB, BEEP, OpenFlow,
	 * MSDP, RPKI-RTR, LDP and NFS before and between these; those are not
	 * written yet, so their payloads print nothing after the length. */
	if (IS_SRC_OR_DST_PORT(23))
		return;
	if (IS_SRC_OR_DST_PORT(25)) {
		ND_PRINT(": ");
		smtp_print(ndo, bp, length);
	} else if (IS_SRC_OR_DST_PORT(43)) {
		ND_PRINT(": ");
		whois_print(ndo, bp, length);
	} else if (IS_SRC_OR_DST_PORT(179)) {
		/* tcpdump's BGP printer says only this without -v; the message
		 * decoding it adds with -v is not written yet */
		ND_PRINT(": BGP");
	} else if (IS_SRC_OR_DST_PORT(1723) || IS_SRC_OR_DST_PORT(6379)) {
		return;
	} else if (IS_SRC_OR_DST_PORT(22)) {
		ssh_print(ndo, bp, length);
	} else if (IS_SRC_OR_DST_PORT(139) ||
		   IS_SRC_OR_DST_PORT(445) || IS_SRC_OR_DST_PORT(10288) ||
		   IS_SRC_OR_DST_PORT(6633) || IS_SRC_OR_DST_PORT(6653)) {
		return;
	} else if (IS_SRC_OR_DST_PORT(21)) {
		ND_PRINT(": ");
		ftp_print(ndo, bp, length);
	} else if (IS_SRC_OR_DST_PORT(80) || IS_SRC_OR_DST_PORT(8080)) {
		ND_PRINT(": ");
		http_print(ndo, bp, length);
	} else if (IS_SRC_OR_DST_PORT(554) || IS_SRC_OR_DST_PORT(8554)) {
		ND_PRINT(": ");
		rtsp_print(ndo, bp, length);
	} else if (IS_SRC_OR_DST_PORT(53)) {
		domain_print(ndo, bp, length, 1, 0);
	}
#undef IS_SRC_OR_DST_PORT
	return;
bad:
	ND_PRINT("[bad opt]");
	if (ch != '\0')
		ND_PRINT("]");
	return;
trunc:
	nd_print_trunc(ndo);
	if (ch != '\0')
		ND_PRINT(">");
}
