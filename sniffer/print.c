/* \summary: top of the packet printer: time stamps, link-type dispatch,
 * truncation handling, hex dumps and helpers shared by print-<proto>.c.
 *
 * Output follows tcpdump 4.99.3 (print.c, util-print.c, ntp.c, addrtoname.c)
 * byte for byte for the protocols we decode; see print.h for the API.
 */
#include "config.h"

#include <errno.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sniffer/print.h"

/* tcpdump refuses to print records whose lengths exceed this (MAXIMUM_SNAPLEN). */
#define PRINT_MAX_SNAPLEN 262144u

int print_init(struct print_ctx *ctx, const struct print_opts *opts)
{
	if (!ctx || !opts || opts->sz < offsetof(struct print_opts, nano) + sizeof(int))
		return -EINVAL;
	memset(ctx, 0, sizeof(*ctx));
	ctx->out = opts->out ? opts->out : stdout;
	ctx->tflag = opts->tflag;
	ctx->eflag = opts->eflag;
	ctx->qflag = opts->qflag;
	ctx->vflag = opts->vflag;
	ctx->xflag = opts->xflag;
	ctx->Xflag = opts->Xflag;
	ctx->Sflag = opts->Sflag;
	ctx->number = opts->number;
	ctx->nano = opts->nano;
	ctx->suppress_default_print = opts->xflag || opts->Xflag || opts->qflag;
	return 0;
}

void print_cleanup(struct print_ctx *ctx)
{
	tcp_seq_free(ctx);
}

typedef void (*if_printer)(struct print_ctx *, const struct sniff_pkthdr *, const uint8_t *);

static if_printer lookup_printer(int linktype)
{
	switch (linktype) {
	case SNIFF_DLT_EN10MB:
		return ether_if_print;
	case SNIFF_DLT_LINUX_SLL:
		return sll_if_print;
	case SNIFF_DLT_LINUX_SLL2:
		return sll2_if_print;
	case SNIFF_DLT_NULL:
		return null_if_print;
	case SNIFF_DLT_LOOP:
		return loop_if_print;
	case SNIFF_DLT_RAW:
	case 101: /* LINKTYPE_RAW, as some files carry it */
		return raw_if_print;
	case SNIFF_DLT_IPV4:
		return ipv4_if_print;
	case SNIFF_DLT_IPV6:
		return ipv6_if_print;
	}
	return NULL;
}

int print_linktype_supported(int linktype)
{
	return lookup_printer(linktype) != NULL;
}

_Noreturn void nd_trunc_longjmp(struct print_ctx *ndo)
{
	longjmp(ndo->early_end, 1);
}

void nd_print_trunc(struct print_ctx *ndo)
{
	ND_PRINT(" [|%s]", ndo->protocol);
}

void nd_print_invalid(struct print_ctx *ndo)
{
	ND_PRINT(" (invalid)");
}

/* Never let a snap end move past the one below it on the stack: tcpdump
 * computes (snapend - bp) unsigned, which wraps when bp is already past it. */
static void set_snaplen(struct print_ctx *ndo, const uint8_t *limit, const uint8_t *bp,
			u_int newlen)
{
	if ((uintptr_t)bp <= (uintptr_t)limit && newlen <= (uintptr_t)limit - (uintptr_t)bp)
		ndo->snapend = bp + newlen;
	else
		ndo->snapend = limit;
}

void nd_push_snaplen(struct print_ctx *ndo, const uint8_t *bp, u_int newlen)
{
	if (ndo->snap_depth < PRINT_SNAPEND_DEPTH)
		ndo->snap_stack[ndo->snap_depth] = ndo->snapend;
	ndo->snap_depth++;
	set_snaplen(ndo, ndo->snapend, bp, newlen);
}

void nd_change_snaplen(struct print_ctx *ndo, const uint8_t *bp, u_int newlen)
{
	const uint8_t *limit = ndo->snapend;

	if (ndo->snap_depth > 0 && ndo->snap_depth <= PRINT_SNAPEND_DEPTH)
		limit = ndo->snap_stack[ndo->snap_depth - 1];
	set_snaplen(ndo, limit, bp, newlen);
}

void nd_pop_snapend(struct print_ctx *ndo)
{
	if (ndo->snap_depth <= 0)
		return;
	ndo->snap_depth--;
	if (ndo->snap_depth < PRINT_SNAPEND_DEPTH)
		ndo->snapend = ndo->snap_stack[ndo->snap_depth];
}

/* ------------------------------------------------------------------------
 * Tables and strings
 */
const char *tok2str(const struct tok *t, const char *fmt, unsigned v)
{
	static char buf[4][128];
	static int idx;
	char *b;

	for (; t && t->s; t++)
		if (t->v == v)
			return t->s;
	b = buf[idx];
	idx = (idx + 1) & 3;
	snprintf(b, sizeof(buf[0]), fmt ? fmt : "#%u", v);
	return b;
}

static const char *bittok2str_internal(const struct tok *t, const char *fmt, unsigned v,
				       const char *sep)
{
	static char buf[4][1025];
	static int idx;
	char *b = buf[idx];
	size_t used = 0;
	const char *sepstr = "";

	idx = (idx + 1) & 3;
	b[0] = '\0';
	for (; t && t->s; t++) {
		unsigned rotbit;

		/* tcpdump tests each single bit against the token value, so a
		 * multi-bit token only ever matches if v has exactly one bit of it. */
		for (rotbit = 1; rotbit != 0; rotbit <<= 1) {
			if (t->v == (v & rotbit)) {
				int n = snprintf(b + used, 1025 - used, "%s%s", sepstr, t->s);

				if (n > 0 && (size_t)n < 1025 - used)
					used += (size_t)n;
				sepstr = sep;
				break;
			}
		}
	}
	if (used == 0)
		snprintf(b, 1025, fmt ? fmt : "#%08x", v);
	return b;
}

const char *bittok2str(const struct tok *t, const char *fmt, unsigned v)
{
	return bittok2str_internal(t, fmt, v, ", ");
}

const char *bittok2str_nosep(const struct tok *t, const char *fmt, unsigned v)
{
	return bittok2str_internal(t, fmt, v, "");
}

#define ADDR_RING 8
static char addr_ring[ADDR_RING][64];
static int addr_idx;

static char *next_addr_buf(void)
{
	char *b = addr_ring[addr_idx];

	addr_idx = (addr_idx + 1) % ADDR_RING;
	return b;
}

const char *ipaddr_string(struct print_ctx *ndo, const uint8_t *p)
{
	char *b;

	ND_BCHECK_LEN(p, 4);
	b = next_addr_buf();
	snprintf(b, 64, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
	return b;
}

const char *ip6addr_string(struct print_ctx *ndo, const uint8_t *p)
{
	char *b;

	ND_BCHECK_LEN(p, 16);
	b = next_addr_buf();
	if (!inet_ntop(AF_INET6, p, b, 64))
		strcpy(b, "?");
	return b;
}

const char *etheraddr_string(struct print_ctx *ndo, const uint8_t *p)
{
	char *b;

	ND_BCHECK_LEN(p, MAC_ADDR_LEN);
	b = next_addr_buf();
	snprintf(b, 64, "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3], p[4], p[5]);
	return b;
}

/* Any length: MAC form for 6 bytes, else hex bytes joined by ':'. */
const char *linkaddr_string(struct print_ctx *ndo, const uint8_t *p, u_int len)
{
	static char big[4][3 * 256 + 1];
	static int idx;
	char *b, *q;
	u_int i;

	if (len == 0)
		return "<empty>";
	if (len == MAC_ADDR_LEN)
		return etheraddr_string(ndo, p);
	ND_BCHECK_LEN(p, len);
	b = big[idx];
	idx = (idx + 1) & 3;
	q = b;
	for (i = 0; i < len && i < 256; i++) {
		if (i)
			*q++ = ':';
		q += sprintf(q, "%02x", p[i]);
	}
	*q = '\0';
	return b;
}

/* tcpdump's fn_print_char(): M- for 8-bit, ^X for controls. */
void fn_print_char(struct print_ctx *ndo, uint8_t c)
{
	if (c & 0x80) {
		ND_PRINT("M-");
		c &= 0x7f;
	}
	if (!ND_ASCII_ISPRINT(c)) {
		c ^= 0x40;
		ND_PRINT("^");
	}
	ND_PRINT("%c", c);
}

u_int nd_printjnp(struct print_ctx *ndo, const uint8_t *bp, u_int len)
{
	u_int i;

	/* a NUL-padded field: stop at the first NUL */
	for (i = 0; i < len; i++) {
		uint8_t c = GET_U_1(bp + i);

		if (c == '\0')
			break;
		fn_print_char(ndo, c);
	}
	return i;
}

/* ------------------------------------------------------------------------
 * Hex dumps (util-print.c / print-ascii.c)
 */
#define HEXDUMP_BYTES_PER_LINE 16
#define HEXDUMP_SHORTS_PER_LINE (HEXDUMP_BYTES_PER_LINE / 2)
#define HEXDUMP_HEXSTUFF_PER_SHORT 5
#define HEXDUMP_HEXSTUFF_PER_LINE (HEXDUMP_HEXSTUFF_PER_SHORT * HEXDUMP_SHORTS_PER_LINE)

static void hex_and_ascii_print_with_offset(struct print_ctx *ndo, const char *ident,
					    const uint8_t *cp, u_int length, u_int offset)
{
	u_int caplength = ND_BYTES_AVAILABLE_AFTER(cp);
	u_int i = 0, s1, s2, nshorts;
	int truncated = 0;
	char hexstuff[HEXDUMP_SHORTS_PER_LINE * HEXDUMP_HEXSTUFF_PER_SHORT + 1], *hsp;
	char asciistuff[HEXDUMP_BYTES_PER_LINE + 1], *asp;

	if (length > caplength) {
		length = caplength;
		truncated = 1;
	}
	nshorts = length / 2;
	hsp = hexstuff;
	asp = asciistuff;
	while (nshorts != 0) {
		s1 = GET_U_1(cp);
		cp++;
		s2 = GET_U_1(cp);
		cp++;
		snprintf(hsp, sizeof(hexstuff) - (size_t)(hsp - hexstuff), " %02x%02x", s1, s2);
		hsp += HEXDUMP_HEXSTUFF_PER_SHORT;
		*(asp++) = (char)(ND_ASCII_ISGRAPH(s1) ? s1 : '.');
		*(asp++) = (char)(ND_ASCII_ISGRAPH(s2) ? s2 : '.');
		i++;
		if (i >= HEXDUMP_SHORTS_PER_LINE) {
			*hsp = *asp = '\0';
			ND_PRINT("%s0x%04x: %-*s  %s", ident, offset, HEXDUMP_HEXSTUFF_PER_LINE,
				 hexstuff, asciistuff);
			i = 0;
			hsp = hexstuff;
			asp = asciistuff;
			offset += HEXDUMP_BYTES_PER_LINE;
		}
		nshorts--;
	}
	if (length & 1) {
		s1 = GET_U_1(cp);
		cp++;
		snprintf(hsp, sizeof(hexstuff) - (size_t)(hsp - hexstuff), " %02x", s1);
		hsp += 3;
		*(asp++) = (char)(ND_ASCII_ISGRAPH(s1) ? s1 : '.');
		++i;
	}
	if (i > 0) {
		*hsp = *asp = '\0';
		ND_PRINT("%s0x%04x: %-*s  %s", ident, offset, HEXDUMP_HEXSTUFF_PER_LINE, hexstuff,
			 asciistuff);
	}
	if (truncated)
		nd_print_trunc(ndo);
}

void hex_and_ascii_print(struct print_ctx *ndo, const char *ident, const uint8_t *cp,
			 u_int length)
{
	hex_and_ascii_print_with_offset(ndo, ident, cp, length, 0);
}

void hex_print(struct print_ctx *ndo, const char *ident, const uint8_t *cp, u_int length)
{
	u_int caplength = ND_BYTES_AVAILABLE_AFTER(cp);
	u_int i = 0, nshorts, offset = 0;
	int truncated = 0;

	if (length > caplength) {
		length = caplength;
		truncated = 1;
	}
	nshorts = length / 2;
	while (nshorts != 0) {
		uint8_t s;

		if ((i++ % 8) == 0) {
			ND_PRINT("%s0x%04x: ", ident, offset);
			offset += HEXDUMP_BYTES_PER_LINE;
		}
		s = GET_U_1(cp);
		cp++;
		ND_PRINT(" %02x%02x", s, GET_U_1(cp));
		cp++;
		nshorts--;
	}
	if (length & 1) {
		if ((i % 8) == 0)
			ND_PRINT("%s0x%04x: ", ident, offset);
		ND_PRINT(" %02x", GET_U_1(cp));
	}
	if (truncated)
		nd_print_trunc(ndo);
}

void nd_default_print(struct print_ctx *ndo, const uint8_t *bp, u_int length)
{
	if (!ndo->suppress_default_print)
		hex_and_ascii_print(ndo, "\n\t", bp, length);
}

int print_unknown_data(struct print_ctx *ndo, const uint8_t *cp, const char *ident, u_int len)
{
	if (!ND_TTEST_LEN(cp, 0)) {
		ND_PRINT("%sDissector error: print_unknown_data called with pointer past end of packet",
			 ident);
		return 0;
	}
	if (ND_BYTES_AVAILABLE_AFTER(cp) < len)
		len = ND_BYTES_AVAILABLE_AFTER(cp);
	hex_print(ndo, ident, cp, len);
	return 1;
}

/* ------------------------------------------------------------------------
 * Internet checksum (RFC 1071), as in_cksum.c: 0 means correct.
 */
uint16_t in_cksum(const struct cksum_vec *vec, int veclen)
{
	uint32_t sum = 0;
	int odd = 0;

	for (; veclen > 0; vec++, veclen--) {
		const uint8_t *p = vec->ptr;
		u_int n = vec->len;

		while (n > 0) {
			/* an odd-length piece leaves its last byte as the high half of the
			 * next 16-bit word, so keep the byte position across pieces */
			if (odd)
				sum += *p;
			else
				sum += (uint32_t)*p << 8;
			odd = !odd;
			p++;
			n--;
		}
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The checksum the packet should have carried (RFC 1624 arithmetic):
 * `computed_sum` is what in_cksum() returned over the packet as it is. */
uint16_t in_cksum_shouldbe(uint16_t sum, uint16_t computed_sum)
{
	uint32_t shouldbe = sum;

	shouldbe += computed_sum;
	shouldbe = (shouldbe & 0xFFFF) + (shouldbe >> 16);
	shouldbe = (shouldbe & 0xFFFF) + (shouldbe >> 16);
	return (uint16_t)shouldbe;
}

const struct tok ipproto_values[] = {
	{ 0, "Options" },
	{ 1, "ICMP" },
	{ 2, "IGMP" },
	{ 4, "IPIP" },
	{ 6, "TCP" },
	{ 8, "EGP" },
	{ 9, "IGRP" },
	{ 17, "UDP" },
	{ 33, "DCCP" },
	{ 41, "IPv6" },
	{ 43, "Routing" },
	{ 44, "Fragment" },
	{ 46, "RSVP" },
	{ 47, "GRE" },
	{ 50, "ESP" },
	{ 51, "AH" },
	{ 55, "Mobile IP" },
	{ 58, "ICMPv6" },
	{ 62, "Mobile IP (old)" },
	{ 88, "EIGRP" },
	{ 89, "OSPF" },
	{ 103, "PIM" },
	{ 108, "Compressed IP" },
	{ 112, "VRRP" },
	{ 113, "PGM" },
	{ 132, "SCTP" },
	{ 135, "Mobility" },
	{ 143, "Ethernet" },
	{ 0, NULL }
};

/* ------------------------------------------------------------------------
 * Time stamps (tcpdump's ts_print)
 */
static void ts_hmsfrac_print(struct print_ctx *ndo, int64_t sec, uint32_t frac, int with_date,
			     int local)
{
	time_t t = (time_t)sec;
	struct tm tmbuf, *tm;
	char timestr[64];

	/* tcpdump keeps pcap's 32-bit seconds in a signed value */
	tm = (sec & 0x80000000) ? NULL : local ? localtime_r(&t, &tmbuf) : gmtime_r(&t, &tmbuf);
	if (!tm) {
		ND_PRINT("[Error converting time]");
		return;
	}
	strftime(timestr, sizeof(timestr), with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", tm);
	ND_PRINT("%s", timestr);
	if (ndo->nano)
		ND_PRINT(".%09u", frac);
	else
		ND_PRINT(".%06u", frac);
}

/* `frac` is in microseconds, or nanoseconds with ndo->nano; like tcpdump,
 * print it as the record holds it even when it is out of range. */
static void ts_print(struct print_ctx *ndo, int64_t sec, uint32_t frac)
{
	switch (ndo->tflag) {
	case 0:
		ts_hmsfrac_print(ndo, sec, frac, 0, 1);
		ND_PRINT(" ");
		break;
	case 1:
		break;
	case 2:
		if (sec & 0x80000000)
			ND_PRINT("[Error converting time] ");
		else
			ND_PRINT(ndo->nano ? "%u.%09u " : "%u.%06u ", (unsigned)sec, frac);
		break;
	case 3:
	case 5: {
		uint64_t cur = (uint64_t)sec * 1000000000u + (ndo->nano ? frac : (uint64_t)frac * 1000u);
		uint64_t ref, d;
		int negative;

		if (!ndo->ts_ref_set) {
			ndo->ts_ref_ns = cur;
			ndo->ts_ref_set = 1;
		}
		ref = ndo->ts_ref_ns;
		negative = cur < ref;
		d = negative ? ref - cur : cur - ref;
		ND_PRINT(negative ? "-" : " ");
		ts_hmsfrac_print(ndo, (int64_t)(d / 1000000000u),
				 ndo->nano ? (uint32_t)(d % 1000000000u)
					   : (uint32_t)(d % 1000000000u) / 1000, 0, 0);
		ND_PRINT(" ");
		if (ndo->tflag == 3)
			ndo->ts_ref_ns = cur;
		break;
	}
	case 4:
		ts_hmsfrac_print(ndo, sec, frac, 1, 1);
		ND_PRINT(" ");
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------------
 * One packet (tcpdump's pretty_print_packet)
 */

/* A link type we cannot decode: tcpdump dumps it whatever -x says. */
static void unsupported_if_print(struct print_ctx *ndo, const struct sniff_pkthdr *h,
				 const uint8_t *p)
{
	ndo->protocol = "unsupported";
	ND_PRINT("UNSUPPORTED");
	hex_and_ascii_print(ndo, "\n\t", p, h->caplen);
}

/* The landing place for truncated reads; kept free of locals that change
 * after setjmp, so nothing can be clobbered by the longjmp. */
static void run_printer(struct print_ctx *ctx, if_printer printer, const struct sniff_pkthdr *h,
			const uint8_t *sp)
{
	if (setjmp(ctx->early_end) == 0) {
		if (printer)
			printer(ctx, h, sp);
		else
			unsupported_if_print(ctx, h, sp);
	} else {
		nd_print_trunc(ctx);
		ctx->ll_hdr_len = 0;
	}
}

static void run_dump(struct print_ctx *ctx, const struct sniff_pkthdr *h, const uint8_t *sp,
		     unsigned hdrlen)
{
	if (setjmp(ctx->early_end) != 0)
		return;
	if (ctx->Xflag) {
		if (ctx->Xflag > 1)
			hex_and_ascii_print(ctx, "\n\t", sp, h->caplen);
		else if (h->caplen > hdrlen)
			hex_and_ascii_print(ctx, "\n\t", sp + hdrlen, h->caplen - hdrlen);
	} else if (ctx->xflag) {
		if (ctx->xflag > 1)
			hex_print(ctx, "\n\t", sp, h->caplen);
		else if (h->caplen > hdrlen)
			hex_print(ctx, "\n\t", sp + hdrlen, h->caplen - hdrlen);
	}
}

void print_packet(struct print_ctx *ctx, int linktype, const struct sniff_pkthdr *h,
		  const uint8_t *sp)
{
	uint32_t ns = (uint32_t)(h->ts_ns % 1000000000u);

	print_packet_ts(ctx, linktype, h, (int64_t)(h->ts_ns / 1000000000u),
			ctx->nano ? ns : ns / 1000, sp);
}

void print_packet_ts(struct print_ctx *ctx, int linktype, const struct sniff_pkthdr *h,
		     int64_t sec, uint32_t frac, const uint8_t *sp)
{
	struct print_ctx *ndo = ctx;
	int invalid_header = 0;

	ctx->count++;
	if (ctx->number)
		ND_PRINT("%5lu  ", ctx->count);

	if (h->caplen == 0) {
		invalid_header = 1;
		ND_PRINT("[Invalid header: caplen==0");
	}
	if (h->len == 0) {
		if (!invalid_header) {
			invalid_header = 1;
			ND_PRINT("[Invalid header:");
		} else
			ND_PRINT(",");
		ND_PRINT(" len==0");
	} else if (h->len < h->caplen) {
		if (!invalid_header) {
			invalid_header = 1;
			ND_PRINT("[Invalid header:");
		} else
			ND_PRINT(",");
		ND_PRINT(" len(%u) < caplen(%u)", h->len, h->caplen);
	}
	if (h->caplen > PRINT_MAX_SNAPLEN) {
		if (!invalid_header) {
			invalid_header = 1;
			ND_PRINT("[Invalid header:");
		} else
			ND_PRINT(",");
		ND_PRINT(" caplen(%u) > %u", h->caplen, PRINT_MAX_SNAPLEN);
	}
	if (h->len > PRINT_MAX_SNAPLEN) {
		if (!invalid_header) {
			invalid_header = 1;
			ND_PRINT("[Invalid header:");
		} else
			ND_PRINT(",");
		ND_PRINT(" len(%u) > %u", h->len, PRINT_MAX_SNAPLEN);
	}
	if (invalid_header) {
		ND_PRINT("]\n");
		return;
	}

	ts_print(ctx, sec, frac);

	ctx->snapend = sp + h->caplen;
	ctx->packetp = sp;
	ctx->protocol = "";
	ctx->ll_hdr_len = 0;
	ctx->snap_depth = 0;
	run_printer(ctx, lookup_printer(linktype), h, sp);
	ctx->snap_depth = 0;
	ctx->snapend = sp + h->caplen;
	ctx->packetp = sp;
	run_dump(ctx, h, sp, ctx->ll_hdr_len);
	ND_PRINT("\n");
}
