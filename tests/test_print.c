/* test_print: the packet printers against tcpdump 4.99.3.
 *
 * 1. corpus_exact: tcpdump's own printer tests (shared/corpus/print), for
 *    the cases whose packets use only protocols we decode: our output must
 *    equal tcpdump's stored .out byte for byte.
 * 2. corpus_survives: every one of the 502 corpus captures (220 of them
 *    malformed on purpose) goes through the printers with its options and
 *    with -e -vvv -XX; under --enable-sanitizers any bad read aborts.
 * 3. generated_*: packets built here (ARP, IPv4/IPv6, TCP conversations,
 *    UDP, ICMP, ICMPv6 ND/MLD, VLAN, truncation) in files of each supported
 *    link type, printed with many option sets and compared with what
 *    /usr/bin/tcpdump prints for the same file at test time. Without
 *    tcpdump these say SKIP on stderr (a failure when CI=true).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sniffer/print.h"

#define TCPDUMP "/usr/bin/tcpdump"

static const char *corpus_dir(void)
{
	static char buf[4096];
	const char *c = getenv("CORPUS");

	if (c && *c)
		snprintf(buf, sizeof(buf), "%s/print", c);
	else
		snprintf(buf, sizeof(buf), "%s/../shared/corpus/print", SRCDIR);
	return buf;
}

/* tcpdump-style option words ("-# -n -vv -e") into print_opts;
 * "--time-stamp-precision=nano" sets nano. */
static void parse_opts(const char *opts, struct print_opts *po)
{
	const char *p = opts;

	while (*p) {
		if (strncmp(p, "--time-stamp-precision=nano", 27) == 0) {
			po->nano = 1;
			p += 27;
		} else if (*p == '-') {
			p++;
			while (*p && *p != ' ') {
				switch (*p) {
				case '#':
					po->number = 1;
					break;
				case 'e':
					po->eflag = 1;
					break;
				case 'q':
					po->qflag++;
					break;
				case 'S':
					po->Sflag = 1;
					break;
				case 'v':
					po->vflag++;
					break;
				case 'x':
					po->xflag++;
					break;
				case 'X':
					po->Xflag++;
					break;
				case 't':
					po->tflag++;
					break;
				default:
					break;
				}
				p++;
			}
		} else
			p++;
	}
}

/* Print PCAP with OPTS into a malloc'ed string (NULL if it cannot be read). */
static char *print_file(const char *pcap, const char *opts, size_t *len)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *ph;
	const u_char *data;
	struct print_ctx *pc;
	char *buf = NULL;
	FILE *out;
	pcap_t *p;
	int linktype;
	SNIFF_OPTS(print_opts, po);

	setenv("TZ", "GMT0", 1);
	tzset();
	parse_opts(opts, &po);
	p = pcap_open_offline_with_tstamp_precision(
		pcap, po.nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (!p)
		return NULL;
	out = open_memstream(&buf, len);
	ck_assert_ptr_nonnull(out);
	po.out = out;
	pc = malloc(sizeof(*pc));
	ck_assert_ptr_nonnull(pc);
	ck_assert_int_eq(print_init(pc, &po), 0);
	linktype = pcap_datalink(p);
	while (pcap_next_ex(p, &ph, &data) == 1) {
		struct sniff_pkthdr h;

		memset(&h, 0, sizeof(h));
		/* tv_usec holds nanoseconds when the file was opened at nano precision */
		h.ts_ns = (uint64_t)ph->ts.tv_sec * 1000000000u +
			  (uint64_t)ph->ts.tv_usec * (po.nano ? 1u : 1000u);
		h.caplen = ph->caplen;
		h.len = ph->len;
		print_packet_ts(pc, linktype, &h, ph->ts.tv_sec, (uint32_t)ph->ts.tv_usec, data);
	}
	print_cleanup(pc);
	free(pc);
	pcap_close(p);
	fclose(out);
	return buf;
}

/* All of F, NUL-terminated (the stream is left open). */
static char *slurp(FILE *f, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0, n;

	*len = 0;
	for (;;) {
		if (*len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		n = fread(buf + *len, 1, cap - *len - 1, f);
		if (n == 0)
			break;
		*len += n;
	}
	buf[*len] = '\0';
	return buf;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	*len = 0;
	if (!f)
		return NULL;
	buf = slurp(f, len);
	fclose(f);
	return buf;
}

/* NULL when equal, else a message with the first line that differs. */
static char *diff_text(const char *what, const char *ours, size_t olen, const char *theirs,
		       size_t tlen)
{
	size_t i = 0, line_start = 0;
	int line = 1;

	if (olen == tlen && memcmp(ours, theirs, olen) == 0)
		return NULL;
	while (i < olen && i < tlen && ours[i] == theirs[i]) {
		if (ours[i] == '\n') {
			line++;
			line_start = i + 1;
		}
		i++;
	}
	{
		const char *oe = memchr(ours + line_start, '\n', olen - line_start);
		const char *te = memchr(theirs + line_start, '\n', tlen - line_start);
		int ol = (int)((oe ? oe : ours + olen) - (ours + line_start));
		int tl = (int)((te ? te : theirs + tlen) - (theirs + line_start));

		char *msg = NULL;

		if (asprintf(&msg, "%s: line %d differs\n  sniff:   %.*s\n  tcpdump: %.*s", what, line,
			     ol, ours + line_start, tl, theirs + line_start) < 0)
			msg = strdup(what);
		return msg;
	}
}

static void assert_same_text(const char *what, const char *ours, size_t olen, const char *theirs,
			     size_t tlen)
{
	char *msg = diff_text(what, ours, olen, theirs, tlen);

	ck_assert_msg(msg == NULL, "%s", msg);
}

/* ------------------------------------------------------------------------
 * 1. corpus cases held to byte equality
 */
struct manifest_entry {
	char name[128], pcap[256], opts[64], expected[256];
};

static struct manifest_entry *manifest;
static int manifest_len;

static void load_manifest(void)
{
	char path[4200], line[1024];
	FILE *f;

	if (manifest)
		return;
	snprintf(path, sizeof(path), "%s/manifest.tsv", corpus_dir());
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
	manifest = calloc(1024, sizeof(*manifest));
	ck_assert_ptr_nonnull(manifest);
	while (fgets(line, sizeof(line), f) && manifest_len < 1024) {
		struct manifest_entry *e = &manifest[manifest_len];
		char *fields[4], *save = NULL, *t;
		int n = 0;

		line[strcspn(line, "\r\n")] = '\0';
		for (t = strtok_r(line, "\t", &save); t && n < 4; t = strtok_r(NULL, "\t", &save))
			fields[n++] = t;
		if (n != 4 || strcmp(fields[0], "name") == 0)
			continue;
		snprintf(e->name, sizeof(e->name), "%s", fields[0]);
		snprintf(e->pcap, sizeof(e->pcap), "%s", fields[1]);
		snprintf(e->opts, sizeof(e->opts), "%s", fields[2]);
		snprintf(e->expected, sizeof(e->expected), "%s", fields[3]);
		manifest_len++;
	}
	fclose(f);
}

static const struct manifest_entry *find_case(const char *name)
{
	int i;

	load_manifest();
	for (i = 0; i < manifest_len; i++)
		if (strcmp(manifest[i].name, name) == 0)
			return &manifest[i];
	return NULL;
}

#include "print_cases.h"
#include "testutil.h"

static const int n_exact = sizeof(print_exact_cases) / sizeof(print_exact_cases[0]);

START_TEST(corpus_exact)
{
	const struct manifest_entry *e = find_case(print_exact_cases[_i]);
	char path[4200], *ours, *theirs;
	size_t olen, tlen;

	ck_assert_msg(e != NULL, "case %s not in the manifest", print_exact_cases[_i]);
	snprintf(path, sizeof(path), "%s/%s", corpus_dir(), e->pcap);
	ours = print_file(path, e->opts, &olen);
	ck_assert_msg(ours != NULL, "%s: cannot read %s", e->name, path);
	snprintf(path, sizeof(path), "%s/%s", corpus_dir(), e->expected);
	theirs = read_all(path, &tlen);
	ck_assert_msg(theirs != NULL, "%s: cannot read %s", e->name, path);
	assert_same_text(e->name, ours, olen, theirs, tlen);
	free(ours);
	free(theirs);
}
END_TEST

/* ------------------------------------------------------------------------
 * 2. every corpus capture survives, with its options and with everything on
 */
START_TEST(corpus_survives)
{
	static const char *extra[] = { "-e -vvv -XX", "-q -xx -S -ttttt" };
	char path[4200];
	int i, n = 0;
	size_t j;

	load_manifest();
	ck_assert_int_ge(manifest_len, 500);
	for (i = 0; i < manifest_len; i++) {
		char *out;
		size_t len;

		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), manifest[i].pcap);
		out = print_file(path, manifest[i].opts, &len);
		if (out)
			n++;
		free(out);
		for (j = 0; j < sizeof(extra) / sizeof(extra[0]); j++) {
			out = print_file(path, extra[j], &len);
			free(out);
		}
	}
	/* a handful are pcapng files libpcap cannot open, or empty */
	ck_assert_int_ge(n, 490);
}
END_TEST

/* ------------------------------------------------------------------------
 * 3. generated packets, compared with tcpdump run now
 */
struct pkt {
	uint8_t b[1600];
	size_t n;
};

static void put(struct pkt *p, const void *d, size_t n)
{
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void put8(struct pkt *p, unsigned v)
{
	p->b[p->n++] = (uint8_t)v;
}

static void put16(struct pkt *p, unsigned v)
{
	put8(p, v >> 8);
	put8(p, v & 0xff);
}

static void put32(struct pkt *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

static uint16_t csum(const uint8_t *d, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)d[i] << 8 | d[i + 1];
	if (n & 1)
		sum += (uint32_t)d[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static const uint8_t mac_a[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t ip_a[4] = { 10, 0, 0, 1 }, ip_b[4] = { 10, 0, 0, 2 };
static const uint8_t ip6_a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t ip6_b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static const uint8_t ip6_ll[16] = { 0xfe, 0x80, [8] = 0x00, [11] = 0xff, [12] = 0xfe, [15] = 0x0a };

/* Transport checksum over the pseudo-header; `bad` leaves a wrong one. */
static void l4_csum(uint8_t *l4, size_t l4len, size_t sum_off, int v6, const uint8_t *src,
		    const uint8_t *dst, uint8_t proto, int bad)
{
	uint32_t s = 0;
	size_t i, alen = v6 ? 16 : 4;
	uint16_t c;

	for (i = 0; i < alen; i += 2) {
		s += (uint32_t)src[i] << 8 | src[i + 1];
		s += (uint32_t)dst[i] << 8 | dst[i + 1];
	}
	s += proto;
	s += (uint32_t)l4len;
	l4[sum_off] = l4[sum_off + 1] = 0;
	c = csum(l4, l4len, s);
	if (bad)
		c ^= 0x5a5a;
	l4[sum_off] = (uint8_t)(c >> 8);
	l4[sum_off + 1] = (uint8_t)c;
}

/* An IPv4 datagram around L4 (options `opt` of optlen bytes, a multiple of 4). */
static void ip4(struct pkt *p, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		const uint8_t *l4, size_t l4len, uint16_t frag, const uint8_t *opt, size_t optlen)
{
	size_t start = p->n, hl = 20 + optlen;
	uint16_t c;

	put8(p, 0x40 | (unsigned)(hl / 4));
	put8(p, 0x10);
	put16(p, (unsigned)(hl + l4len));
	put16(p, 0x1234);
	put16(p, frag);
	put8(p, 64);
	put8(p, proto);
	put16(p, 0);
	put(p, src, 4);
	put(p, dst, 4);
	if (optlen)
		put(p, opt, optlen);
	c = csum(p->b + start, hl, 0);
	p->b[start + 10] = (uint8_t)(c >> 8);
	p->b[start + 11] = (uint8_t)c;
	put(p, l4, l4len);
}

static void ip6(struct pkt *p, const uint8_t *src, const uint8_t *dst, uint8_t nxt,
		const uint8_t *payload, size_t plen, uint8_t hlim)
{
	put32(p, 0x60012345);
	put16(p, (unsigned)plen);
	put8(p, nxt);
	put8(p, hlim);
	put(p, src, 16);
	put(p, dst, 16);
	put(p, payload, plen);
}

static void ether(struct pkt *p, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	put(p, dst, 6);
	put(p, src, 6);
	put16(p, type);
}

struct tcpseg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	const uint8_t *opt;
	size_t optlen;
	size_t datalen;
	const char *data; /* NULL: datalen letters */
};

static size_t tcp_build(uint8_t *b, const struct tcpseg *t, int v6, const uint8_t *src,
			const uint8_t *dst, int badsum)
{
	struct pkt s = { .n = 0 };
	size_t i;

	put16(&s, t->sport);
	put16(&s, t->dport);
	put32(&s, t->seq);
	put32(&s, t->ack);
	put8(&s, (unsigned)((20 + t->optlen) / 4) << 4);
	put8(&s, t->flags);
	put16(&s, 64240);
	put16(&s, 0);
	put16(&s, t->flags & 0x20 ? 7 : 0);
	if (t->optlen)
		put(&s, t->opt, t->optlen);
	if (t->data)
		put(&s, t->data, t->datalen);
	else
		for (i = 0; i < t->datalen; i++)
			put8(&s, 'a' + (unsigned)(i % 26));
	l4_csum(s.b, s.n, 16, v6, src, dst, 6, badsum);
	memcpy(b, s.b, s.n);
	return s.n;
}

static size_t udp_build(uint8_t *b, uint16_t sport, uint16_t dport, size_t datalen, int v6,
			const uint8_t *src, const uint8_t *dst, int ulen_delta)
{
	struct pkt s = { .n = 0 };
	size_t i;

	put16(&s, sport);
	put16(&s, dport);
	put16(&s, (unsigned)((int)(8 + datalen) + ulen_delta));
	put16(&s, 0);
	for (i = 0; i < datalen; i++)
		put8(&s, (unsigned)i);
	l4_csum(s.b, s.n, 6, v6, src, dst, 17, 0);
	memcpy(b, s.b, s.n);
	return s.n;
}

/* UDP carrying `data` (a DNS message). */
static size_t udp_data_build(uint8_t *b, uint16_t sport, uint16_t dport, const uint8_t *data,
			     size_t n, int v6, const uint8_t *src, const uint8_t *dst)
{
	struct pkt s = { .n = 0 };

	put16(&s, sport);
	put16(&s, dport);
	put16(&s, (unsigned)(8 + n));
	put16(&s, 0);
	put(&s, data, n);
	l4_csum(s.b, s.n, 6, v6, src, dst, 17, 0);
	memcpy(b, s.b, s.n);
	return s.n;
}

static size_t icmp6_build(uint8_t *b, const uint8_t *body, size_t n, const uint8_t *src,
			  const uint8_t *dst)
{
	memcpy(b, body, n);
	l4_csum(b, n, 2, 1, src, dst, 58, 0);
	return n;
}

/* Which packets the truncated Ethernet frames are cut from. */
static int idx_tcp_data, idx_udp, idx_v6_tcp;

/* Network-layer packets (starting at the IP header) used by every link type. */
static int build_l3(struct pkt *out, int max)
{
	static const uint8_t syn_opt[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
					   1, 3, 3, 7 };
	static const uint8_t ts_opt[] = { 1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 1 };
	static const uint8_t sack_opt[] = { 1, 1, 5, 10, 0x10, 0, 0x03, 0xe9, 0x10, 0, 0x04, 0x01 };
	static const uint8_t ra_opt[] = { 148, 4, 0, 0 };
	uint8_t l4[1500], body[256];
	int n = 0;
	size_t len, i;
	struct tcpseg t;

	/* TCP handshake, data, SACK, FIN and RST: relative sequence numbers */
	t = (struct tcpseg){ 40000, 80, 0x10000000, 0, 0x02, syn_opt, sizeof(syn_opt), 0, NULL };
	len = tcp_build(l4, &t, 0, ip_a, ip_b, 0);
	ip4(&out[n++], ip_a, ip_b, 6, l4, len, 0x4000, NULL, 0);
	t = (struct tcpseg){ 80, 40000, 0x20000000, 0x10000001, 0x12, syn_opt, sizeof(syn_opt), 0, NULL };
	len = tcp_build(l4, &t, 0, ip_b, ip_a, 0);
	ip4(&out[n++], ip_b, ip_a, 6, l4, len, 0x4000, NULL, 0);
	idx_tcp_data = n;
	t = (struct tcpseg){ 40000, 80, 0x10000001, 0x20000001, 0x18, ts_opt, sizeof(ts_opt), 100, NULL };
	len = tcp_build(l4, &t, 0, ip_a, ip_b, 1);
	ip4(&out[n++], ip_a, ip_b, 6, l4, len, 0x4000, NULL, 0);
	t = (struct tcpseg){ 80, 40000, 0x20000001, 0x10000065, 0x10, sack_opt, sizeof(sack_opt), 0, NULL };
	len = tcp_build(l4, &t, 0, ip_b, ip_a, 0);
	ip4(&out[n++], ip_b, ip_a, 6, l4, len, 0x4000, NULL, 0);
	t = (struct tcpseg){ 40000, 80, 0x10000065, 0x20000001, 0x39, NULL, 0, 5, NULL };
	len = tcp_build(l4, &t, 0, ip_a, ip_b, 0);
	ip4(&out[n++], ip_a, ip_b, 6, l4, len, 0, NULL, 0);
	t = (struct tcpseg){ 80, 40000, 0x20000001, 0, 0x04, NULL, 0, 12, NULL };
	len = tcp_build(l4, &t, 0, ip_b, ip_a, 0);
	ip4(&out[n++], ip_b, ip_a, 6, l4, len, 0, NULL, 0);
	t = (struct tcpseg){ 1234, 1234, 7, 9, 0xd0, NULL, 0, 0, NULL };
	len = tcp_build(l4, &t, 0, ip_b, ip_a, 0);
	ip4(&out[n++], ip_b, ip_a, 6, l4, len, 0, ra_opt, sizeof(ra_opt));

	/* HTTP request and response lines, DNS over TCP */
	t = (struct tcpseg){ 40000, 80, 0x10000065, 0x20000001, 0x18, NULL, 0, 35,
			     "GET /index.html HTTP/1.1\r\nHost: x\r\n" };
	len = tcp_build(l4, &t, 0, ip_a, ip_b, 0);
	ip4(&out[n++], ip_a, ip_b, 6, l4, len, 0x4000, NULL, 0);
	t = (struct tcpseg){ 80, 40000, 0x20000001, 0x10000088, 0x18, NULL, 0, 17,
			     "HTTP/1.1 200 OK\r\n" };
	len = tcp_build(l4, &t, 0, ip_b, ip_a, 0);
	ip4(&out[n++], ip_b, ip_a, 6, l4, len, 0x4000, NULL, 0);
	{
		/* query example.com A (RD), then a response with a compressed
		 * A and AAAA, an NS with an SOA, and EDNS0 in the additional part */
		static const uint8_t q[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1, 7, 'e',
					     'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1,
					     0, 1, 0, 0, 41, 0x10, 0, 0, 0, 0x80, 0, 0, 0 };
		static const uint8_t r[] = {
			0x12, 0x34, 0x81, 0xa0, 0, 1, 0, 2, 0, 1, 0, 1, 7, 'e', 'x', 'a', 'm', 'p',
			'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
			0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34,
			0xc0, 12, 0, 28, 0, 1, 0, 1, 0x51, 0x80, 0, 16, 0x26, 0x06, 0x28, 0,
			0x02, 0x20, 0, 1, 0x2, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46,
			0xc0, 12, 0, 6, 0, 1, 0, 0, 0, 60, 0, 26, 2, 'n', 's', 0xc0, 12, 0,
			0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5,
			0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0 };
		uint8_t tcpdns[sizeof(q) + 2];

		len = udp_data_build(l4, 5353 + 2, 53, q, sizeof(q), 0, ip_a, ip_b);
		ip4(&out[n++], ip_a, ip_b, 17, l4, len, 0, NULL, 0);
		len = udp_data_build(l4, 53, 5353 + 2, r, sizeof(r), 0, ip_b, ip_a);
		ip4(&out[n++], ip_b, ip_a, 17, l4, len, 0, NULL, 0);
		tcpdns[0] = 0;
		tcpdns[1] = sizeof(q);
		memcpy(tcpdns + 2, q, sizeof(q));
		t = (struct tcpseg){ 40002, 53, 1, 1, 0x18, NULL, 0, sizeof(tcpdns),
				     (const char *)tcpdns };
		len = tcp_build(l4, &t, 0, ip_a, ip_b, 0);
		ip4(&out[n++], ip_a, ip_b, 6, l4, len, 0x4000, NULL, 0);
	}

	/* UDP: plain, bad length, a fragment, an unknown protocol */
	idx_udp = n;
	len = udp_build(l4, 5000, 9999, 32, 0, ip_a, ip_b, 0);
	ip4(&out[n++], ip_a, ip_b, 17, l4, len, 0, NULL, 0);
	len = udp_build(l4, 5000, 9999, 32, 0, ip_a, ip_b, 20);
	ip4(&out[n++], ip_a, ip_b, 17, l4, len, 0, NULL, 0);
	len = udp_build(l4, 5000, 9999, 32, 0, ip_a, ip_b, 0);
	ip4(&out[n++], ip_a, ip_b, 17, l4, len, 0x2000 | 185, NULL, 0);
	ip4(&out[n++], ip_a, ip_b, 253, l4, 16, 0, NULL, 0);

	/* ICMP echo request/reply, port unreachable quoting UDP, time exceeded */
	for (i = 0; i < 2; i++) {
		struct pkt s = { .n = 0 };
		uint16_t c;
		size_t k;

		put8(&s, i ? 0 : 8);
		put8(&s, 0);
		put16(&s, 0);
		put16(&s, 0x4242);
		put16(&s, 7);
		for (k = 0; k < 56; k++)
			put8(&s, (unsigned)k);
		c = csum(s.b, s.n, 0);
		s.b[2] = (uint8_t)(c >> 8);
		s.b[3] = (uint8_t)c;
		ip4(&out[n++], i ? ip_b : ip_a, i ? ip_a : ip_b, 1, s.b, s.n, 0, NULL, 0);
	}
	{
		struct pkt inner = { .n = 0 }, s = { .n = 0 };
		uint16_t c;

		len = udp_build(l4, 5000, 33434, 8, 0, ip_a, ip_b, 0);
		ip4(&inner, ip_a, ip_b, 17, l4, len, 0, NULL, 0);
		put8(&s, 3);
		put8(&s, 3);
		put16(&s, 0);
		put32(&s, 0);
		put(&s, inner.b, inner.n);
		c = csum(s.b, s.n, 0);
		s.b[2] = (uint8_t)(c >> 8);
		s.b[3] = (uint8_t)c;
		ip4(&out[n++], ip_b, ip_a, 1, s.b, s.n, 0, NULL, 0);
		s.b[0] = 11;
		s.b[1] = 0;
		ip4(&out[n++], ip_b, ip_a, 1, s.b, s.n, 0, NULL, 0);
	}

	/* NTP: a client request, a server reply with a stratum-2 reference */
	{
		struct pkt m = { .n = 0 };
		int k;

		put8(&m, 0xe3);
		put8(&m, 0);
		put8(&m, 6);
		put8(&m, 0xe9);
		put32(&m, 0x00010000);
		put32(&m, 0x00018000);
		put32(&m, 0);
		for (k = 0; k < 3; k++)
			put32(&m, 0), put32(&m, 0);
		put32(&m, 3912345678u);
		put32(&m, 0x80000000u);
		len = udp_data_build(l4, 41234, 123, m.b, m.n, 0, ip_a, ip_b);
		ip4(&out[n++], ip_a, ip_b, 17, l4, len, 0, NULL, 0);
		m.b[0] = 0x24;
		m.b[1] = 2;
		m.b[12] = 10;
		m.b[13] = 0;
		m.b[14] = 0;
		m.b[15] = 9;
		memcpy(m.b + 24, m.b + 40, 8);
		put32(&m, 7);
		len = udp_data_build(l4, 123, 41234, m.b, m.n, 0, ip_b, ip_a);
		ip4(&out[n++], ip_b, ip_a, 17, l4, len, 0, NULL, 0);
	}

	/* IGMPv2 report, IGMPv3 report with one group and a source, SSH banner */
	{
		static const uint8_t grp[4] = { 239, 1, 2, 3 };
		static const uint8_t v3dst[4] = { 224, 0, 0, 22 };
		struct pkt g = { .n = 0 };
		uint16_t c;

		put8(&g, 0x16);
		put8(&g, 0);
		put16(&g, 0);
		put(&g, grp, 4);
		c = csum(g.b, g.n, 0);
		g.b[2] = (uint8_t)(c >> 8);
		g.b[3] = (uint8_t)c;
		ip4(&out[n++], ip_a, grp, 2, g.b, g.n, 0, NULL, 0);
		g.n = 0;
		put8(&g, 0x22);
		put8(&g, 0);
		put16(&g, 0);
		put16(&g, 0);
		put16(&g, 1);
		put8(&g, 1);
		put8(&g, 0);
		put16(&g, 1);
		put(&g, grp, 4);
		put(&g, ip_b, 4);
		c = csum(g.b, g.n, 0);
		g.b[2] = (uint8_t)(c >> 8);
		g.b[3] = (uint8_t)c;
		ip4(&out[n++], ip_a, v3dst, 2, g.b, g.n, 0, NULL, 0);
		t = (struct tcpseg){ 22, 50000, 77, 88, 0x18, NULL, 0, 22, "SSH-2.0-OpenSSH_9.2\r\n" };
		len = tcp_build(l4, &t, 0, ip_b, ip_a, 0);
		ip4(&out[n++], ip_b, ip_a, 6, l4, len, 0x4000, NULL, 0);
	}

	/* VXLAN carrying an Ethernet frame with the ICMP echo request */
	{
		struct pkt v = { .n = 0 };

		put32(&v, 0x08000000);
		put32(&v, 100 << 8);
		ether(&v, mac_b, mac_a, 0x0800);
		put(&v, out[n - 7].b, out[n - 7].n);
		len = udp_data_build(l4, 45149, 4789, v.b, v.n, 0, ip_a, ip_b);
		ip4(&out[n++], ip_a, ip_b, 17, l4, len, 0, NULL, 0);
	}

	/* IPv6: TCP, UDP, ICMPv6 echo, neighbor solicitation/advertisement with
	 * link-layer options, router advertisement with a prefix, MLDv2 report
	 * behind a hop-by-hop router alert, a fragment */
	t = (struct tcpseg){ 40001, 443, 5, 0, 0x02, syn_opt, sizeof(syn_opt), 0, NULL };
	len = tcp_build(l4, &t, 1, ip6_a, ip6_b, 0);
	ip6(&out[n++], ip6_a, ip6_b, 6, l4, len, 64);
	idx_v6_tcp = n;
	t = (struct tcpseg){ 443, 40001, 1000, 6, 0x12, NULL, 0, 0, NULL };
	len = tcp_build(l4, &t, 1, ip6_b, ip6_a, 0);
	ip6(&out[n++], ip6_b, ip6_a, 6, l4, len, 64);
	t = (struct tcpseg){ 40001, 443, 6, 1001, 0x18, NULL, 0, 20, NULL };
	len = tcp_build(l4, &t, 1, ip6_a, ip6_b, 0);
	ip6(&out[n++], ip6_a, ip6_b, 6, l4, len, 64);
	len = udp_build(l4, 5353 + 1, 7777, 12, 1, ip6_a, ip6_b, 0);
	ip6(&out[n++], ip6_a, ip6_b, 17, l4, len, 64);
	{
		static const uint8_t echo[] = { 128, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g' };
		static const uint8_t ns[] = { 135, 0, 0, 0, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0,
					      0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 1, 2, 0, 0, 0, 0, 0x0a };
		static const uint8_t na[] = { 136, 0, 0, 0, 0x60, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0,
					      0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 1, 2, 0, 0, 0, 0, 0x0b };
		static const uint8_t ra[] = { 134, 0, 0, 0, 64, 0xc0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0,
					      0, 3, 4, 64, 0xc0, 0, 0x27, 0x8d, 0, 0, 0, 0x3a, 0x98,
					      0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0,
					      0, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0, 0, 0x05, 0xdc };
		static const uint8_t mld[] = { 143, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 1, 0xff, 0x02, 0, 0,
					       0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 1, 0x20, 0x01,
					       0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9 };
		static const uint8_t allnodes[16] = { 0xff, 0x02, [15] = 1 };
		static const uint8_t mld_dst[16] = { 0xff, 0x02, [15] = 0x16 };

		len = icmp6_build(body, echo, sizeof(echo), ip6_a, ip6_b);
		ip6(&out[n++], ip6_a, ip6_b, 58, body, len, 64);
		len = icmp6_build(body, ns, sizeof(ns), ip6_ll, ip6_b);
		ip6(&out[n++], ip6_ll, ip6_b, 58, body, len, 255);
		len = icmp6_build(body, na, sizeof(na), ip6_b, ip6_ll);
		ip6(&out[n++], ip6_b, ip6_ll, 58, body, len, 255);
		len = icmp6_build(body, ra, sizeof(ra), ip6_ll, allnodes);
		ip6(&out[n++], ip6_ll, allnodes, 58, body, len, 255);
		/* hop-by-hop: next ICMPv6, router alert MLD, PadN */
		body[0] = 58;
		body[1] = 0;
		body[2] = 5;
		body[3] = 2;
		body[4] = 0;
		body[5] = 0;
		body[6] = 1;
		body[7] = 0;
		memcpy(body + 8, mld, sizeof(mld));
		icmp6_build(body + 8, mld, sizeof(mld), ip6_ll, mld_dst);
		ip6(&out[n++], ip6_ll, mld_dst, 0, body, 8 + sizeof(mld), 1);
		/* fragment header, first fragment of a UDP datagram */
		body[0] = 17;
		body[1] = 0;
		body[2] = 0;
		body[3] = 1;
		body[4] = 0xde;
		body[5] = 0xad;
		body[6] = 0xbe;
		body[7] = 0xef;
		len = udp_build(body + 8, 4000, 4001, 40, 1, ip6_a, ip6_b, 0);
		ip6(&out[n++], ip6_a, ip6_b, 44, body, 8 + len, 64);
	}
	ck_assert_int_le(n, max);
	return n;
}

struct gen_file {
	char path[64];
	int linktype;
};

/* Write one capture of LINKTYPE holding every L3 packet (and, for
 * Ethernet, ARP, VLAN, unknown ethertypes and truncated frames). */
static void write_capture(struct gen_file *g, int linktype)
{
	struct pkt l3[64], frame;
	pcap_t *dead;
	pcap_dumper_t *d;
	int n, i, fd;
	uint32_t sec = 1700000000u;

	snprintf(g->path, sizeof(g->path), "/tmp/test_print_%d_XXXXXX", (int)getpid());
	fd = mkstemp(g->path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	g->linktype = linktype;
	memset(l3, 0, sizeof(l3));
	n = build_l3(l3, 64);
	dead = pcap_open_dead(linktype, 65535);
	ck_assert_ptr_nonnull(dead);
	d = pcap_dump_open(dead, g->path);
	ck_assert_ptr_nonnull(d);

	for (i = 0; i < n + 10; i++) {
		struct pcap_pkthdr ph;
		int v6 = i < n && (l3[i].b[0] >> 4) == 6;

		memset(&frame, 0, sizeof(frame));
		switch (linktype) {
		case DLT_EN10MB:
			if (i < n) {
				/* every third IPv4 packet rides in an 802.1Q tag */
				if (!v6 && i % 3 == 2) {
					ether(&frame, mac_b, mac_a, 0x8100);
					put16(&frame, 0x2000 | 42);
					put16(&frame, 0x0800);
				} else
					ether(&frame, mac_b, mac_a, v6 ? 0x86dd : 0x0800);
				put(&frame, l3[i].b, l3[i].n);
			} else if (i == n || i == n + 1) {
				static const uint8_t zero[6] = { 0 }, bcast[6] = { 0xff, 0xff, 0xff,
										 0xff, 0xff, 0xff };

				ether(&frame, i == n ? bcast : mac_a, i == n ? mac_a : mac_b, 0x0806);
				put16(&frame, 1);
				put16(&frame, 0x0800);
				put8(&frame, 6);
				put8(&frame, 4);
				put16(&frame, i == n ? 1 : 2);
				put(&frame, i == n ? mac_a : mac_b, 6);
				put(&frame, i == n ? ip_a : ip_b, 4);
				put(&frame, i == n ? zero : mac_a, 6);
				put(&frame, i == n ? ip_b : ip_a, 4);
				while (frame.n < 60)
					put8(&frame, 0);
			} else if (i == n + 2) {
				ether(&frame, mac_b, mac_a, 0x88b5);
				put(&frame, "local experimental", 18);
			} else if (i >= n + 6) {
				/* 802.3 + LLC: STP config, RSTP, an SNA UI frame, SNAP IPv4 */
				static const uint8_t stp_dst[6] = { 0x01, 0x80, 0xc2, 0, 0, 0 };
				static const uint8_t bid[8] = { 0x80, 0x01, 0x02, 0, 0, 0, 0, 0x0a };
				size_t start;
				int k;

				ether(&frame, i < n + 8 ? stp_dst : mac_b, mac_a, 0);
				start = frame.n;
				if (i < n + 8) {
					put8(&frame, 0x42);
					put8(&frame, 0x42);
					put8(&frame, 0x03);
					put16(&frame, 0);
					put8(&frame, i == n + 6 ? 0 : 2);
					put8(&frame, i == n + 6 ? 0 : 2);
					put8(&frame, i == n + 6 ? 0x01 : 0x3c);
					put(&frame, bid, 8);
					put32(&frame, 4);
					put(&frame, bid, 8);
					put16(&frame, 0x8001);
					put16(&frame, 0);
					put16(&frame, 20 << 8);
					put16(&frame, 2 << 8);
					put16(&frame, 15 << 8);
					if (i == n + 7)
						put8(&frame, 0);
				} else if (i == n + 8) {
					put8(&frame, 0x04);
					put8(&frame, 0x05);
					put8(&frame, 0x13);
					for (k = 0; k < 10; k++)
						put8(&frame, (unsigned)k);
				} else {
					put8(&frame, 0xaa);
					put8(&frame, 0xaa);
					put8(&frame, 0x03);
					put8(&frame, 0);
					put16(&frame, 0);
					put16(&frame, 0x0800);
					put(&frame, l3[idx_udp].b, l3[idx_udp].n);
				}
				frame.b[12] = (uint8_t)((frame.n - start) >> 8);
				frame.b[13] = (uint8_t)(frame.n - start);
				while (frame.n < 60)
					put8(&frame, 0);
			} else {
				/* TCP, UDP and ICMPv6 frames cut short below */
				ether(&frame, mac_b, mac_a, i == n + 5 ? 0x86dd : 0x0800);
				int k = i == n + 3 ? idx_tcp_data : i == n + 4 ? idx_udp : idx_v6_tcp;

				put(&frame, l3[k].b, l3[k].n);
			}
			break;
		case DLT_LINUX_SLL:
			put16(&frame, i % 5 == 4 ? 4 : 0);
			put16(&frame, 1);
			put16(&frame, 6);
			put(&frame, mac_a, 6);
			put16(&frame, 0);
			put16(&frame, i >= n ? 0x88b5 : v6 ? 0x86dd : 0x0800);
			put(&frame, i >= n ? l3[0].b : l3[i].b, i >= n ? 20 : l3[i].n);
			break;
		case DLT_LINUX_SLL2:
			put16(&frame, i >= n ? 0x88b5 : v6 ? 0x86dd : 0x0800);
			put16(&frame, 0);
			put32(&frame, 1); /* lo: the same name wherever the test runs */
			put16(&frame, 1);
			put8(&frame, (unsigned)(i % 5));
			put8(&frame, 6);
			put(&frame, mac_a, 6);
			put16(&frame, 0);
			put(&frame, i >= n ? l3[0].b : l3[i].b, i >= n ? 20 : l3[i].n);
			break;
		case DLT_NULL: {
			uint32_t af = i >= n ? 99 : v6 ? 30 : 2;

			put(&frame, &af, 4);
			put(&frame, i >= n ? l3[0].b : l3[i].b, i >= n ? 20 : l3[i].n);
			break;
		}
		case DLT_LOOP:
			put32(&frame, i >= n ? 99 : v6 ? 24 : 2);
			put(&frame, i >= n ? l3[0].b : l3[i].b, i >= n ? 20 : l3[i].n);
			break;
		default: /* RAW, IPV4, IPV6 */
			if (i >= n)
				continue;
			if ((linktype == DLT_IPV4 && v6) || (linktype == DLT_IPV6 && !v6))
				continue;
			put(&frame, l3[i].b, l3[i].n);
			break;
		}
		memset(&ph, 0, sizeof(ph));
		ph.ts.tv_sec = sec + (uint32_t)i * 61u;
		ph.ts.tv_usec = (suseconds_t)((uint32_t)i * 123457u % 1000000u);
		ph.len = (bpf_u_int32)frame.n;
		ph.caplen = (bpf_u_int32)frame.n;
		if (linktype == DLT_EN10MB && i >= n + 3 && i < n + 6)
			ph.caplen = 14 + 20 + (i == n + 5 ? 30 : 10);
		pcap_dump((u_char *)d, &ph, frame.b);
	}
	pcap_dump_close(d);
	pcap_close(dead);
}

static int have_tcpdump(void)
{
	if (access(TCPDUMP, X_OK) == 0)
		return 1;
	fprintf(stderr, "SKIP: %s not found, cannot compare with tcpdump\n", TCPDUMP);
	ck_assert_msg(!test_ci_mode(), "%s missing (CI=true: a skip is a failure)", TCPDUMP);
	return 0;
}

static char *run_tcpdump(const char *opts, const char *path, size_t *len)
{
	char cmd[512], *buf;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "TZ=GMT0 %s %s -r %s 2>/dev/null", TCPDUMP, opts, path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	buf = slurp(f, len);
	pclose(f);
	return buf;
}

static const char *const gen_opts[] = {
	"-n", "-n -v", "-n -vv", "-n -vvv", "-n -e", "-n -e -v", "-n -q", "-n -S",
	"-n -t", "-n -tt", "-n -ttt", "-n -tttt", "-n -ttttt", "-# -n",
	"-n -x", "-n -xx", "-n -X", "-n -XX", "-n -e -X -v",
	"-n --time-stamp-precision=nano", "-n -ttt --time-stamp-precision=nano",
};

static const int gen_linktypes[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP, DLT_RAW, DLT_IPV4, DLT_IPV6,
};

START_TEST(generated_vs_tcpdump)
{
	struct gen_file g;
	size_t i;

	char *msg = NULL;

	if (!have_tcpdump())
		return;
	write_capture(&g, gen_linktypes[_i]);
	for (i = 0; i < sizeof(gen_opts) / sizeof(gen_opts[0]) && !msg; i++) {
		char what[128], *ours, *theirs;
		size_t olen, tlen;

		ours = print_file(g.path, gen_opts[i], &olen);
		theirs = run_tcpdump(gen_opts[i], g.path, &tlen);
		snprintf(what, sizeof(what), "%s %s", pcap_datalink_val_to_name(g.linktype),
			 gen_opts[i]);
		if (!ours || tlen == 0) {
			if (asprintf(&msg, "%s: %s printed nothing for %s", what,
				     ours ? "tcpdump" : "sniff", g.path) < 0)
				msg = strdup(what);
		} else
			msg = diff_text(what, ours, olen, theirs, tlen);
		free(ours);
		free(theirs);
	}
	/* TEST_PRINT_KEEP=1 keeps the capture to look at */
	if (getenv("TEST_PRINT_KEEP"))
		fprintf(stderr, "kept %s\n", g.path);
	else
		unlink(g.path);
	ck_assert_msg(msg == NULL, "%s", msg);
}
END_TEST

/* Damaged copies of the generated packets (bytes changed, lengths cut)
 * under every link type and option set: nothing may read outside the
 * packet, which the sanitizer build checks on every access. */
START_TEST(mutated_survive)
{
	static const char *const opts[] = { "-n", "-e -vvv -XX", "-q -x", "-vv -S" };
	struct pkt l3[64];
	struct print_ctx *pc = malloc(sizeof(*pc));
	FILE *devnull = fopen("/dev/null", "w");
	uint32_t rnd = 12345;
	size_t lt, o;
	int n, i, round;

	ck_assert_ptr_nonnull(pc);
	ck_assert_ptr_nonnull(devnull);
	memset(l3, 0, sizeof(l3));
	n = build_l3(l3, 64);
	for (o = 0; o < sizeof(opts) / sizeof(opts[0]); o++) {
		SNIFF_OPTS(print_opts, po, .out = devnull);

		parse_opts(opts[o], &po);
		ck_assert_int_eq(print_init(pc, &po), 0);
		for (lt = 0; lt < sizeof(gen_linktypes) / sizeof(gen_linktypes[0]); lt++) {
			for (round = 0; round < 40; round++) {
				for (i = 0; i < n; i++) {
					uint8_t *buf;
					struct sniff_pkthdr h;
					size_t hdr = 0, len, k;

					/* a link header the printers accept, then the packet */
					len = l3[i].n + 20;
					buf = malloc(len);
					ck_assert_ptr_nonnull(buf);
					memset(buf, 0, 20);
					switch (gen_linktypes[lt]) {
					case DLT_EN10MB:
						hdr = 14;
						buf[12] = (l3[i].b[0] >> 4) == 6 ? 0x86 : 0x08;
						buf[13] = (l3[i].b[0] >> 4) == 6 ? 0xdd : 0x00;
						break;
					case DLT_LINUX_SLL:
						hdr = 16;
						buf[14] = (l3[i].b[0] >> 4) == 6 ? 0x86 : 0x08;
						buf[15] = (l3[i].b[0] >> 4) == 6 ? 0xdd : 0x00;
						break;
					case DLT_LINUX_SLL2:
						hdr = 20;
						buf[0] = (l3[i].b[0] >> 4) == 6 ? 0x86 : 0x08;
						buf[1] = (l3[i].b[0] >> 4) == 6 ? 0xdd : 0x00;
						buf[11] = 6;
						break;
					case DLT_NULL:
					case DLT_LOOP:
						hdr = 4;
						buf[3] = (l3[i].b[0] >> 4) == 6 ? 24 : 2;
						break;
					default:
						break;
					}
					memcpy(buf + hdr, l3[i].b, l3[i].n);
					len = hdr + l3[i].n;
					/* 1 to 4 random bytes changed, sometimes cut short */
					for (k = 0; k < 1 + (rnd >> 7) % 4; k++) {
						rnd = rnd * 1103515245u + 12345u;
						buf[(rnd >> 8) % len] = (uint8_t)(rnd >> 20);
					}
					rnd = rnd * 1103515245u + 12345u;
					memset(&h, 0, sizeof(h));
					h.len = (uint32_t)len;
					h.caplen = (rnd >> 9) % 3 == 0 ? (uint32_t)((rnd >> 12) % len) + 1
								       : (uint32_t)len;
					/* copy into an exact-size buffer so any over-read is caught */
					{
						uint8_t *exact = malloc(h.caplen);

						ck_assert_ptr_nonnull(exact);
						memcpy(exact, buf, h.caplen);
						print_packet(pc, gen_linktypes[lt], &h, exact);
						free(exact);
					}
					free(buf);
				}
			}
		}
		print_cleanup(pc);
	}
	fclose(devnull);
	free(pc);
}
END_TEST

/* The API refuses a missing or too small options struct. */
START_TEST(init_checks_opts)
{
	struct print_ctx pc;
	struct print_opts small = { .sz = 8 };

	ck_assert_int_eq(print_init(&pc, NULL), -EINVAL);
	ck_assert_int_eq(print_init(&pc, &small), -EINVAL);
	ck_assert(print_linktype_supported(DLT_EN10MB));
	ck_assert(!print_linktype_supported(160));
}
END_TEST

static Suite *print_suite(void)
{
	Suite *s = suite_create("print");
	TCase *tc = tcase_create("corpus");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, corpus_exact, 0, n_exact);
	tcase_add_test(tc, corpus_survives);
	suite_add_tcase(s, tc);
	tc = tcase_create("generated");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, generated_vs_tcpdump, 0,
			    (int)(sizeof(gen_linktypes) / sizeof(gen_linktypes[0])));
	tcase_add_test(tc, init_checks_opts);
	tcase_add_test(tc, mutated_survive);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(print_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	printf("print: %d byte-exact corpus cases\n", n_exact);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
