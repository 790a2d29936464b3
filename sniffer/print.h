/* print.h - the packet printers of the sniff command, modelled on tcpdump
 * 4.99's netdissect: one context (struct print_ctx) carries the options and
 * the bounds of the packet being printed; every read of packet data goes
 * through a GET_*() accessor that checks the bounds inside the read and
 * longjmps to print_packet(), which prints " [|proto]" as tcpdump does.
 *
 * Sections: API for sniffer/main.c; context; checked reads; helpers
 * (print.c); one section per print-<proto>.c.
 */
#ifndef SNIFF_PRINT_H
#define SNIFF_PRINT_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <netinet/in.h>

#include "sniff.h"

/* ------------------------------------------------------------------------
 * API for sniffer/main.c
 *
 *   struct print_ctx pc;
 *   SNIFF_OPTS(print_opts, po, .vflag = 1, .tflag = 0, .out = stdout);
 *   print_init(&pc, &po);
 *   ... for each packet: print_packet(&pc, linktype, hdr, data);
 *   print_cleanup(&pc);
 *
 * Output is what `tcpdump -n` prints for the same options, one packet per
 * call, ending with "\n". Name resolution is never done (-n is implied).
 * struct print_ctx is about 16 KiB (TCP sequence-number state): keep it
 * static or on the heap. Call print_cleanup() before a second print_init().
 * One context per thread; the address/tok string helpers use static
 * buffers, so printing is not thread-safe across contexts either.
 * A link type print_linktype_supported() rejects prints "UNSUPPORTED" and
 * a hex dump, as tcpdump does.
 */
struct print_opts {
	size_t sz;
	FILE *out;      /* NULL: stdout */
	int tflag;      /* number of -t: 0 time of day, 1 none, 2 unix, 3 delta prev,
			   4 date + time, 5 delta since first */
	int eflag;      /* -e: link-level header */
	int qflag;      /* -q: quiet */
	int vflag;      /* number of -v */
	int xflag;      /* number of -x (hex; 2 = with link header) */
	int Xflag;      /* number of -X (hex + ASCII) */
	int Sflag;      /* -S: absolute TCP sequence numbers */
	int number;     /* -#: packet number before each line */
	int nano;       /* print nanosecond time stamps */
};
#define print_opts__last_field nano

struct print_ctx;

/* 0 or -EINVAL (opts NULL or too small). */
int print_init(struct print_ctx *ctx, const struct print_opts *opts);
/* Non-zero for EN10MB, LINUX_SLL, LINUX_SLL2, NULL, LOOP, RAW (12 and 101),
 * IPV4, IPV6. */
int print_linktype_supported(int linktype);
void print_packet(struct print_ctx *ctx, int linktype, const struct sniff_pkthdr *h,
		  const uint8_t *data);
/* The same with the time stamp as a pcap record holds it: seconds and a
 * fraction in microseconds (nanoseconds when opts->nano), printed as is,
 * as tcpdump does, even when a damaged file has a fraction out of range. */
void print_packet_ts(struct print_ctx *ctx, int linktype, const struct sniff_pkthdr *h,
		     int64_t sec, uint32_t frac, const uint8_t *data);
/* Frees the TCP sequence-number state. */
void print_cleanup(struct print_ctx *ctx);

/* ------------------------------------------------------------------------
 * Context (netdissect_options)
 */
#define PRINT_SNAPEND_DEPTH 16
#define TSEQ_HASHSIZE 919

struct tcp_seq_hash;

struct print_ctx {
	/* options */
	FILE *out;
	int tflag, eflag, qflag, vflag, xflag, Xflag, Sflag, number, nano;
	int suppress_default_print; /* -x/-X/-q: no hex dump of unknown payloads */

	/* the packet being printed */
	const uint8_t *packetp;
	const uint8_t *snapend;
	const char *protocol;       /* for " [|proto]" */
	unsigned ll_hdr_len;        /* link header length, for -x/-X */
	jmp_buf early_end;
	int snap_depth;
	const uint8_t *snap_stack[PRINT_SNAPEND_DEPTH];

	/* state across packets */
	unsigned long count;
	int ts_ref_set;
	uint64_t ts_ref_ns;
	struct tcp_seq_hash *tcp_seq4[TSEQ_HASHSIZE];
	struct tcp_seq_hash *tcp_seq6[TSEQ_HASHSIZE];
};

/* ------------------------------------------------------------------------
 * Header field types: byte arrays, so a field can only be read through the
 * checked accessors below (tcpdump's nd_uint16_t...).
 */
typedef uint8_t nd_uint8_t[1];
typedef uint8_t nd_uint16_t[2];
typedef uint8_t nd_uint32_t[4];
typedef uint8_t nd_ipv4[4];
typedef uint8_t nd_ipv6[16];
typedef uint8_t nd_mac_addr[6];
typedef uint8_t nd_byte;

#define MAC_ADDR_LEN 6

/* ------------------------------------------------------------------------
 * Checked reads. `ndo` is the context in every printer. Bounds are compared
 * as uintptr_t, never as pointers, so the compiler cannot assume that
 * p + l does not wrap and delete the check (tcpdump's ND_TTEST_LEN).
 */
#define ND_BYTES_BETWEEN(p, end) \
	((uintptr_t)(end) > (uintptr_t)(p) ? (u_int)((uintptr_t)(end) - (uintptr_t)(p)) : 0u)
#define ND_BYTES_AVAILABLE_AFTER(p) ND_BYTES_BETWEEN((p), ndo->snapend)

#define ND_TTEST_LEN(p, l) \
	((uintptr_t)ndo->snapend - (uintptr_t)(l) <= (uintptr_t)ndo->snapend && \
	 (uintptr_t)(p) >= (uintptr_t)ndo->packetp && \
	 (uintptr_t)(p) <= (uintptr_t)ndo->snapend - (uintptr_t)(l))
#define ND_TTEST_1(p) ND_TTEST_LEN((p), 1)
#define ND_TTEST_2(p) ND_TTEST_LEN((p), 2)
#define ND_TTEST_4(p) ND_TTEST_LEN((p), 4)
#define ND_TTEST_SIZE(p) ND_TTEST_LEN((p), sizeof(*(p)))

_Noreturn void nd_trunc_longjmp(struct print_ctx *ndo);

static inline uint8_t nd_get_u_1(struct print_ctx *ndo, const void *p)
{
	if (!ND_TTEST_LEN(p, 1))
		nd_trunc_longjmp(ndo);
	return ((const uint8_t *)p)[0];
}

static inline uint16_t nd_get_be_u_2(struct print_ctx *ndo, const void *p)
{
	const uint8_t *b = p;

	if (!ND_TTEST_LEN(p, 2))
		nd_trunc_longjmp(ndo);
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t nd_get_be_u_3(struct print_ctx *ndo, const void *p)
{
	const uint8_t *b = p;

	if (!ND_TTEST_LEN(p, 3))
		nd_trunc_longjmp(ndo);
	return (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
}

static inline uint32_t nd_get_be_u_4(struct print_ctx *ndo, const void *p)
{
	const uint8_t *b = p;

	if (!ND_TTEST_LEN(p, 4))
		nd_trunc_longjmp(ndo);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint16_t nd_get_le_u_2(struct print_ctx *ndo, const void *p)
{
	const uint8_t *b = p;

	if (!ND_TTEST_LEN(p, 2))
		nd_trunc_longjmp(ndo);
	return (uint16_t)(b[1] << 8 | b[0]);
}

static inline uint32_t nd_get_le_u_4(struct print_ctx *ndo, const void *p)
{
	const uint8_t *b = p;

	if (!ND_TTEST_LEN(p, 4))
		nd_trunc_longjmp(ndo);
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

#define GET_U_1(p) nd_get_u_1(ndo, (p))
#define GET_BE_U_2(p) nd_get_be_u_2(ndo, (p))
#define GET_BE_U_3(p) nd_get_be_u_3(ndo, (p))
#define GET_BE_U_4(p) nd_get_be_u_4(ndo, (p))
#define GET_LE_U_2(p) nd_get_le_u_2(ndo, (p))
#define GET_LE_U_4(p) nd_get_le_u_4(ndo, (p))
/* Bail out of the whole packet, as GET_*() does (" [|proto]" at the end). */
#define ND_BCHECK_LEN(p, l) \
	do { if (!ND_TTEST_LEN((p), (l))) nd_trunc_longjmp(ndo); } while (0)
/* Jump to the printer's own `trunc:` label, which prints " [|proto]" and
 * returns; the link header then still counts for -x/-X, as in tcpdump. */
#define ND_TCHECK_LEN(p, l) \
	do { if (!ND_TTEST_LEN((p), (l))) goto trunc; } while (0)
#define ND_TCHECK_SIZE(p) ND_TCHECK_LEN((p), sizeof(*(p)))

/* Address strings (numeric only: sniff never resolves names). Each returns
 * a pointer into a small ring of static buffers, so several may be used in
 * one printf. */
#define GET_IPADDR_STRING(p) ipaddr_string(ndo, (p))
#define GET_IP6ADDR_STRING(p) ip6addr_string(ndo, (p))
#define GET_ETHERADDR_STRING(p) etheraddr_string(ndo, (p))
#define GET_LINKADDR_STRING(p, l) linkaddr_string(ndo, (p), (l))

#define ND_PRINT(...) fprintf(ndo->out, __VA_ARGS__)
#define ND_MIN(a, b) ((a) < (b) ? (a) : (b))
#define ND_ASCII_ISPRINT(c) ((c) >= 0x20 && (c) <= 0x7E)
#define ND_ASCII_ISGRAPH(c) ((c) > 0x20 && (c) <= 0x7E)

/* ------------------------------------------------------------------------
 * print.c: helpers shared by the printers
 */
struct tok {
	unsigned v;
	const char *s;
};

const char *tok2str(const struct tok *t, const char *fmt, unsigned v);
const char *bittok2str(const struct tok *t, const char *fmt, unsigned v);
const char *bittok2str_nosep(const struct tok *t, const char *fmt, unsigned v);

const char *ipaddr_string(struct print_ctx *ndo, const uint8_t *p);
const char *ip6addr_string(struct print_ctx *ndo, const uint8_t *p);
const char *etheraddr_string(struct print_ctx *ndo, const uint8_t *p);
const char *linkaddr_string(struct print_ctx *ndo, const uint8_t *p, u_int len);

void nd_print_trunc(struct print_ctx *ndo);
void nd_print_invalid(struct print_ctx *ndo);
/* Narrow the readable end to min(snapend, p + len); undone by nd_pop_snapend. */
void nd_push_snaplen(struct print_ctx *ndo, const uint8_t *p, u_int len);
void nd_change_snaplen(struct print_ctx *ndo, const uint8_t *p, u_int len);
void nd_pop_snapend(struct print_ctx *ndo);

void hex_and_ascii_print(struct print_ctx *ndo, const char *ident, const uint8_t *cp,
			 u_int length);
void hex_print(struct print_ctx *ndo, const char *ident, const uint8_t *cp, u_int length);
/* Unknown payload: hex + ASCII unless -x/-X asked for a dump of everything. */
void nd_default_print(struct print_ctx *ndo, const uint8_t *bp, u_int length);
/* tcpdump's print_unknown_data(): "\n\t0x0000: ..." for -v output. */
int print_unknown_data(struct print_ctx *ndo, const uint8_t *cp, const char *ident,
		       u_int len);
void fn_print_char(struct print_ctx *ndo, uint8_t c);
/* A NUL-padded text field of len bytes, up to its first NUL. */
u_int nd_printjnp(struct print_ctx *ndo, const uint8_t *bp, u_int len);

struct cksum_vec {
	const uint8_t *ptr;
	u_int len;
};
uint16_t in_cksum(const struct cksum_vec *vec, int veclen);
uint16_t in_cksum_shouldbe(uint16_t sum, uint16_t computed_sum);

/* Tables shared between printers. */
extern const struct tok ethertype_values[];
extern const struct tok ipproto_values[];

/* ------------------------------------------------------------------------
 * print-ether.c (RFC 894, IEEE 802.3, 802.1Q) and the other link types
 */
#define ETHERTYPE_IP 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_REVARP 0x8035
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_8021Q 0x8100
#define ETHERTYPE_8021Q9100 0x9100
#define ETHERTYPE_8021Q9200 0x9200
#define ETHERTYPE_8021QinQ 0x88a8
#define ETHERTYPE_TRAIL 0x1000
#define MAX_ETHERNET_LENGTH_VAL 1500

void ether_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h, const uint8_t *p);
void sll_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h, const uint8_t *p);
void sll2_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h, const uint8_t *p);
void null_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h, const uint8_t *p);
void loop_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h, const uint8_t *p);
void raw_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h, const uint8_t *p);
void ipv4_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h, const uint8_t *p);
void ipv6_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h, const uint8_t *p);
u_int ether_print(struct print_ctx *ndo, const uint8_t *p, u_int length, u_int caplen);
/* Returns 1 when it printed the payload, 0 for an ethertype it does not know. */
int ethertype_print(struct print_ctx *ndo, uint16_t ether_type, const uint8_t *p,
		    u_int length, u_int caplen);
/* "vlan 10, p 0[, DEI]" for a TCI. */
const char *ieee8021q_tci_string(uint16_t tci);

/* ------------------------------------------------------------------------
 * print-llc.c (IEEE 802.2, RFC 1042 SNAP), print-stp.c (IEEE 802.1D/Q)
 */
/* src/dst: the MAC addresses (NULL when the link has none); returns the LLC
 * (and SNAP) header length, negative when the payload was not printed. */
int llc_print(struct print_ctx *ndo, const uint8_t *p, u_int length, u_int caplen,
	      const uint8_t *src, const uint8_t *dst);
void stp_print(struct print_ctx *ndo, const uint8_t *p, u_int length);

/* ------------------------------------------------------------------------
 * print-arp.c (RFC 826)
 */
void arp_print(struct print_ctx *ndo, const uint8_t *bp, u_int length, u_int caplen);

/* ------------------------------------------------------------------------
 * print-ip.c (RFC 791) and the IP payload demultiplexer
 */
/* IPPROTO_* numbers come from <netinet/in.h>; these are missing there. */
#define IPPROTO_MOBILITY_OLD 62
#define IPPROTO_MOBILITY 135

struct ip {
	nd_uint8_t ip_vhl;   /* header length, version */
	nd_uint8_t ip_tos;
	nd_uint16_t ip_len;
	nd_uint16_t ip_id;
	nd_uint16_t ip_off;
	nd_uint8_t ip_ttl;
	nd_uint8_t ip_p;
	nd_uint16_t ip_sum;
	nd_ipv4 ip_src, ip_dst;
};
#define IP_V(ip) ((GET_U_1((ip)->ip_vhl) & 0xf0) >> 4)
#define IP_HL(ip) (GET_U_1((ip)->ip_vhl) & 0x0f)
#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff

void ip_print(struct print_ctx *ndo, const uint8_t *bp, u_int length);
void ipN_print(struct print_ctx *ndo, const uint8_t *bp, u_int length);
void ip_demux_print(struct print_ctx *ndo, const uint8_t *bp, u_int length, u_int ver,
		    int fragmented, u_int ttl_hl, uint8_t nh, const uint8_t *iph);
uint16_t nextproto4_cksum(struct print_ctx *ndo, const struct ip *ip, const uint8_t *data,
			  u_int len, u_int covlen, uint8_t next_proto);

/* ------------------------------------------------------------------------
 * print-ip6.c (RFC 8200)
 */
struct ip6_hdr {
	nd_uint32_t ip6_flow; /* version, class, flow label */
	nd_uint16_t ip6_plen;
	nd_uint8_t ip6_nxt;
	nd_uint8_t ip6_hlim;
	nd_ipv6 ip6_src, ip6_dst;
};

void ip6_print(struct print_ctx *ndo, const uint8_t *bp, u_int length);
uint16_t nextproto6_cksum(struct print_ctx *ndo, const struct ip6_hdr *ip6, const uint8_t *data,
			  u_int len, u_int covlen, uint8_t next_proto);

void esp_print(struct print_ctx *ndo, const uint8_t *bp, u_int length);
void igmp_print(struct print_ctx *ndo, const uint8_t *bp, u_int len);
void ssh_print(struct print_ctx *ndo, const uint8_t *pptr, u_int len);

/* ------------------------------------------------------------------------
 * print-tcp.c (RFC 9293)
 */
void tcp_print(struct print_ctx *ndo, const uint8_t *bp, u_int length, const uint8_t *bp2,
	       int fragmented);
void tcp_seq_free(struct print_ctx *ndo);

/* ------------------------------------------------------------------------
 * print-txtproto.c: text protocols over TCP
 */
void http_print(struct print_ctx *ndo, const uint8_t *pptr, u_int len);
void rtsp_print(struct print_ctx *ndo, const uint8_t *pptr, u_int len);
void ftp_print(struct print_ctx *ndo, const uint8_t *pptr, u_int len);
void smtp_print(struct print_ctx *ndo, const uint8_t *pptr, u_int len);
void whois_print(struct print_ctx *ndo, const uint8_t *pptr, u_int len);

/* ------------------------------------------------------------------------
 * print-domain.c: DNS over UDP, TCP (a length prefix) and mDNS
 */
void domain_print(struct print_ctx *ndo, const uint8_t *bp, u_int length, int over_tcp,
		  int is_mdns);
/* A possibly compressed domain name at cp, pointers relative to bp; returns
 * the byte after the name, NULL when malformed or cut. */
const uint8_t *fqdn_print(struct print_ctx *ndo, const uint8_t *cp, const uint8_t *bp);

/* ------------------------------------------------------------------------
 * print-bootp.c, print-vxlan.c: UDP payloads
 */
void bootp_print(struct print_ctx *ndo, const uint8_t *cp, u_int length);
void ntp_print(struct print_ctx *ndo, const uint8_t *cp, u_int length);
void vxlan_print(struct print_ctx *ndo, const uint8_t *bp, u_int len);

/* ------------------------------------------------------------------------
 * print-udp.c (RFC 768)
 */
struct udphdr {
	nd_uint16_t uh_sport;
	nd_uint16_t uh_dport;
	nd_uint16_t uh_ulen;
	nd_uint16_t uh_sum;
};
void udp_print(struct print_ctx *ndo, const uint8_t *bp, u_int length, const uint8_t *bp2,
	       int fragmented, u_int ttl_hl);

/* ------------------------------------------------------------------------
 * print-icmp.c (RFC 792), print-icmp6.c (RFC 4443, RFC 4861)
 */
void icmp_print(struct print_ctx *ndo, const uint8_t *bp, u_int plen, const uint8_t *bp2,
		int fragmented);
void icmp6_print(struct print_ctx *ndo, const uint8_t *bp, u_int length, const uint8_t *bp2,
		 int fragmented);

#endif
