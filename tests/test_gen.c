/* test_gen.c - the code generator against libpcap.
 *
 * Every verdict expected here comes from libpcap: the same expression compiled
 * by pcap_compile() on a handle reading a pcap file of link type DLT (what
 * tcpdump -r does; SNIFF_MODE_SAVEFILE), or on pcap_open_dead(DLT, snaplen)
 * for live Linux mode, and run by bpf_filter() over the same bytes (packets built below and every packet of the corpus
 * captures of that link type). Where libpcap 1.10.3 cannot compile a corpus
 * case (syntax newer than 1.10.3, names from the corpus' hosts/ethers/networks
 * files, Linux ancillary loads), the oracle is libpcap master's program from
 * the corpus, assembled with cb_asm and run with cb_run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* asprintf */
#endif
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netdb.h>
#include "cbpf/cbpf.h"
#include "corpus.h"
#include "packets.h"

/* ------------------------------------------------------------------------
 * Packets
 */
struct pkt {
	uint8_t *data;
	uint32_t caplen, wirelen;
	struct cb_anc anc;
};

struct pool {
	struct pkt *v;
	size_t n, cap;
};

static void pool_add(struct pool *p, const uint8_t *d, uint32_t caplen, uint32_t wirelen,
		     const struct cb_anc *anc)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 256;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
		ck_assert_ptr_nonnull(p->v);
	}
	p->v[p->n].data = malloc(caplen ? caplen : 1);
	ck_assert_ptr_nonnull(p->v[p->n].data);
	memcpy(p->v[p->n].data, d, caplen);
	p->v[p->n].caplen = caplen;
	p->v[p->n].wirelen = wirelen;
	memset(&p->v[p->n].anc, 0, sizeof(p->v[p->n].anc));
	if (anc)
		p->v[p->n].anc = *anc;
	p->n++;
}

static void pool_sink(void *ctx, const uint8_t *f, uint32_t caplen, uint32_t wirelen)
{
	pool_add(ctx, f, caplen, wirelen, NULL);
}

/* The built packets of DLT (tests/packets.c), cut ones with their whole
 * length as wirelen, as a snaplen leaves them. */
static void build_pool(struct pool *p, int dlt)
{
	struct pk_sink out = { pool_sink, p };

	pk_build_pool(&out, dlt);
}

static const char *corpus_path(void)
{
	return corpus_dir();
}

/* Up to PER_FILE packets of every corpus capture of link type DLT. */
static void add_captures(struct pool *p, int dlt, size_t per_file, size_t max)
{
	static const char *const dirs[] = { "filters/captures", "print" };
	char path[4096], errbuf[PCAP_ERRBUF_SIZE];

	for (size_t d = 0; d < 2; d++) {
		DIR *dir;
		struct dirent *de;

		snprintf(path, sizeof(path), "%s/%s", corpus_path(), dirs[d]);
		dir = opendir(path);
		if (!dir)
			continue;
		while ((de = readdir(dir)) != NULL && p->n < max) {
			pcap_t *pc;
			struct pcap_pkthdr *h;
			const u_char *data;
			size_t k = 0;

			if (!strstr(de->d_name, ".pcap"))
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", corpus_path(), dirs[d], de->d_name);
			pc = pcap_open_offline(path, errbuf);
			if (!pc)
				continue;
			if (pcap_datalink(pc) == dlt)
				while (k < per_file && pcap_next_ex(pc, &h, &data) == 1) {
					pool_add(p, data, h->caplen, h->len, NULL);
					k++;
				}
			pcap_close(pc);
		}
		closedir(dir);
	}
}

static void pool_free(struct pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].data);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------------------
 * Compilers: libpcap (the oracle) and ours
 */
/* libpcap compiles for a savefile when its handle reads one (tcpdump -r):
 * that is what SNIFF_MODE_SAVEFILE promises. An empty pcap file in memory
 * gives such a handle. */
static pcap_t *lp_savefile(int dlt, uint32_t snaplen)
{
	static uint32_t hdr[6];
	char errbuf[PCAP_ERRBUF_SIZE];
	FILE *f;
	pcap_t *pc;

	hdr[0] = 0xa1b2c3d4;
	hdr[1] = 2 | 4u << 16;
	hdr[4] = snaplen;
	hdr[5] = (uint32_t)dlt;
	f = fmemopen(hdr, sizeof(hdr), "rb");
	ck_assert_ptr_nonnull(f);
	pc = pcap_fopen_offline(f, errbuf);
	ck_assert_msg(pc != NULL, "%s", errbuf);
	return pc;
}

static int lp_compile_mode(int live, int dlt, const char *expr, int opt, uint32_t snaplen,
			   uint32_t netmask, struct bpf_program *fp, char *errmsg, size_t errsz)
{
	pcap_t *pc = live ? pcap_open_dead(dlt, (int)snaplen) : lp_savefile(dlt, snaplen);
	int rc;

	ck_assert_ptr_nonnull(pc);
	rc = pcap_compile(pc, fp, expr, opt, netmask);
	if (rc < 0 && errmsg)
		snprintf(errmsg, errsz, "%s", pcap_geterr(pc));
	pcap_close(pc);
	return rc;
}

static int lp_compile(int dlt, const char *expr, int opt, uint32_t snaplen, uint32_t netmask,
		      struct bpf_program *fp, char *errmsg, size_t errsz)
{
	return lp_compile_mode(0, dlt, expr, opt, snaplen, netmask, fp, errmsg, errsz);
}

static int our_compile(int dlt, const char *expr, int opt, uint32_t snaplen, uint32_t netmask,
		       int mode, const char *names, struct sniff_prog *prog, struct sniff_error *err)
{
	SNIFF_OPTS(sniff_compile_opts, o, .snaplen = snaplen, .optimize = opt,
		   .netmask = netmask, .mode = mode, .names_dir = names);

	return sniff_compile(expr, dlt, &o, prog, err);
}

static uint32_t run_lp(const struct bpf_insn *insns, const struct pkt *k)
{
	return bpf_filter(insns, k->data, k->wirelen, k->caplen);
}

static uint32_t run_ours(const struct sniff_prog *p, const struct pkt *k)
{
	/* libpcap's own interpreter, so a verdict never depends on cb_run */
	return bpf_filter((const struct bpf_insn *)p->insns, k->data, k->wirelen, k->caplen);
}

struct tally {
	long cases, compiled_both, rejected_both, equal, fail, opt_trunc, wild_trunc;
};

/* With opt=1, a verdict can differ on a packet too short for a load that
 * libpcap's optimizer removed (a mask of 0, a test it proved true): libpcap
 * then passes a packet it drops unoptimized. Where libpcap's optimized and
 * unoptimized verdicts differ on the very packet, the difference is counted
 * apart, not failed. The generator is the same for both settings and is held
 * to libpcap's unoptimized verdicts on every packet. */
static int opt_trunc_only(int opt, const struct pkt *k)
{
	return opt && k->caplen < k->wirelen;
}

/* Address words a network mask wildcards entirely (`net fe80::/10` past its
 * first word, `net ::/0`, `net 0.0.0.0/0`): libpcap master's generator does
 * not load them, and sniff follows it; 1.10.3 loads them unoptimized and its
 * optimizer then removes the loads. So at opt=0 a packet cut inside those
 * words gets another verdict from 1.10.3 -O0 than from master. In the
 * corpus such cases are checked against master's own program; here, where
 * there is none, a truncated packet may differ from 1.10.3 -O0 only if
 * 1.10.3's optimized program (the loads gone) gives our verdict. */
static int wildcard_words(const char *e)
{
	return strstr(e, "net ") && (strstr(e, "::") || strstr(e, "0.0.0.0/0"));
}

static void report(const char *what, const char *expr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int nreported;

static void report(const char *what, const char *expr, const char *fmt, ...)
{
	va_list ap;

	if (nreported++ > 40)
		return;
	fprintf(stderr, "FAIL %s: \"%s\": ", what, expr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Compile EXPR both ways (for a savefile, or LIVE: live Linux) and compare
 * verdicts on every packet of P. Returns 0 when they agree (including both
 * rejecting the expression). */
static int differ_mode(int live, int dlt, const char *expr, int opt, const struct pool *p,
		       struct tally *t)
{
	struct bpf_program fp, fp0, fp1;
	struct sniff_prog prog;
	struct sniff_error err;
	char lperr[PCAP_ERRBUF_SIZE];
	int lrc, orc, bad = 0, have_fp0 = 0, have_fp1 = 0;
	const char *dn = pcap_datalink_val_to_name(dlt);

	t->cases++;
	lrc = lp_compile_mode(live, dlt, expr, opt, 262144, PCAP_NETMASK_UNKNOWN, &fp, lperr,
			      sizeof(lperr));
	orc = our_compile(dlt, expr, opt, 0, 0, live ? SNIFF_MODE_LINUX : SNIFF_MODE_SAVEFILE, NULL,
			  &prog, &err);
	if (lrc < 0 || orc < 0) {
		if (lrc < 0 && orc < 0) {
			t->rejected_both++;
			t->equal++;
			return 0;
		}
		if (orc < 0 && strstr(err.msg, "rejects all packets")) {
			/* our optimizer proved what libpcap's did not: hold libpcap's
			 * program to dropping every packet */
			for (size_t i = 0; i < p->n; i++)
				if (run_lp(fp.bf_insns, &p->v[i]) != 0 &&
				    !opt_trunc_only(opt, &p->v[i])) {
					report(dn, expr, "we reject all packets, libpcap accepts packet %zu", i);
					pcap_freecode(&fp);
					t->fail++;
					return 1;
				}
			pcap_freecode(&fp);
			t->rejected_both++;
			t->equal++;
			return 0;
		}
		if (lrc < 0 && strstr(lperr, "rejects all packets")) {
			/* libpcap's optimizer proved what ours did not: hold our
			 * program to dropping every whole packet */
			for (size_t i = 0; i < p->n; i++)
				if (run_ours(&prog, &p->v[i]) != 0 &&
				    !opt_trunc_only(opt, &p->v[i])) {
					report(dn, expr, "libpcap rejects all packets, we accept packet %zu", i);
					sniff_prog_free(&prog);
					t->fail++;
					return 1;
				}
			sniff_prog_free(&prog);
			t->rejected_both++;
			t->equal++;
			return 0;
		}
		if (lrc < 0) {
			report(dn, expr, "libpcap rejects (%s), we accept", lperr);
			sniff_prog_free(&prog);
		} else {
			report(dn, expr, "libpcap accepts, we reject at column %d: %s",
			       err.column, err.msg);
			pcap_freecode(&fp);
		}
		t->fail++;
		return 1;
	}
	t->compiled_both++;
	for (size_t i = 0; i < p->n; i++) {
		uint32_t want = run_lp(fp.bf_insns, &p->v[i]);
		uint32_t got = run_ours(&prog, &p->v[i]);

		if (want != got && opt) {
			/* tolerated only where libpcap's own optimizer changed it */
			if (!have_fp0)
				have_fp0 = lp_compile_mode(live, dlt, expr, 0, 262144,
							   PCAP_NETMASK_UNKNOWN, &fp0, NULL,
							   0) == 0 ? 1 : -1;
			if (have_fp0 > 0 && run_lp(fp0.bf_insns, &p->v[i]) != want) {
				t->opt_trunc++;
				continue;
			}
		}
		if (want != got && !opt && wildcard_words(expr) &&
		    p->v[i].caplen < p->v[i].wirelen) {
			if (!have_fp1)
				have_fp1 = lp_compile_mode(live, dlt, expr, 1, 262144,
							   PCAP_NETMASK_UNKNOWN, &fp1, NULL,
							   0) == 0 ? 1 : -1;
			if (have_fp1 > 0 && run_lp(fp1.bf_insns, &p->v[i]) == got) {
				t->wild_trunc++;
				continue;
			}
		}
		if (want != got) {
			if (!bad)
				report(dn, expr, "opt=%d packet %zu (caplen %u len %u): libpcap %u, ours %u",
				       opt, i, p->v[i].caplen, p->v[i].wirelen, want, got);
			bad++;
		}
	}
	pcap_freecode(&fp);
	if (have_fp0 > 0)
		pcap_freecode(&fp0);
	if (have_fp1 > 0)
		pcap_freecode(&fp1);
	sniff_prog_free(&prog);
	if (bad) {
		t->fail++;
		return 1;
	}
	t->equal++;
	return 0;
}

static int differ(int dlt, const char *expr, int opt, const struct pool *p, struct tally *t)
{
	return differ_mode(0, dlt, expr, opt, p, t);
}

/* ------------------------------------------------------------------------
 * Expression tables
 */
static const char *const slice_exprs[] = {
	"", "ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6", "sctp",
	"host 10.0.0.1", "src host 10.0.0.1", "dst host 10.0.0.2", "host 192.168.1.1",
	"ip host 1.2.3.4", "arp host 10.0.0.1", "rarp src host 10.0.0.1", "host 10.0",
	"host fe80::1", "src host ::1", "dst host 2001:db8::1", "ip6 host ff02::1",
	"host ::ffff:1.2.3.4", "src or dst host 10.0.0.1", "src and dst host 10.0.0.1",
	"port 80", "src port 53", "dst port 22", "tcp port 80", "udp port 53", "sctp port 9",
	"tcp src port 1024", "udp dst port 0", "port http", "tcp port http", "port domain",
	"udp port domain", "src or dst port 25", "src and dst port 20",
	"tcp and port 80", "udp or icmp", "not tcp", "not (tcp or udp)", "ip and not udp",
	"host 10.0.0.1 and port 80", "host 10.0.0.1 or host fe80::1", "not host 10.0.0.2",
	"tcp and (port 80 or port 443)", "icmp or icmp6 or arp", "!tcp && !udp || arp",
	"ip6 and tcp port 22", "ip and udp and dst port 53", "not ip and not ip6",
	"port 80 and not src host 10.0.0.1", "host 10.0.0.1 and host 10.0.0.2",
};

static const char *const full_exprs[] = {
	"igmp", "pim", "vrrp", "carp", "ah", "esp", "igrp",
	"net 10", "net 10.0", "net 192.168.1", "net 10.0.0.0/8", "src net 192.168.0.0/16",
	"dst net 10.0.0.0 mask 255.0.0.0", "net fe80::/10", "ip6 net 2001:db8::/32",
	"ip6 src net ::/0", "net 0.0.0.0/0", "net 224.0.0.0/4",
	"portrange 20-30", "tcp portrange 1-100", "udp src portrange 50-60", "portrange 25",
	"src portrange 30-20", "sctp dst portrange 1-10",
	"ip proto 6", "ip proto 17", "ip6 proto 58", "proto 47", "ip proto \\tcp",
	"ip6 proto \\udp", "proto \\icmp", "ether proto 0x800", "ether proto \\ip",
	"ether proto \\arp", "ether proto \\ip6", "link proto 0x86dd", "ether proto 100",
	"ether host 02:00:00:00:00:01", "ether src 01:02:03:04:05:06",
	"ether dst ff:ff:ff:ff:ff:ff", "ether host 0102.0304.0506", "ether src or dst 01:00:5e:00:00:01",
	"ether broadcast", "broadcast", "ether multicast", "multicast", "ip multicast",
	"ip6 multicast",
	"len > 100", "len < 60", "len >= 64", "len <= 64", "len = 60", "len != 60",
	"less 64", "greater 100",
	"ip[0] & 0xf != 5", "ip[9] = 6", "tcp[13] & 2 != 0", "tcp[tcpflags] & tcp-syn != 0",
	"tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn", "icmp[icmptype] = icmp-echo",
	"icmp[0] = 8", "udp[0:2] = 53", "udp[2:2] > 100", "ether[12:2] = 0x800", "ether[0] & 1 = 1",
	"link[0] = 2", "ip[2:2] > 40", "ip[6:2] & 0x1fff = 0", "ip6[6] = 17", "ip6[40] = 6",
	"icmp6[0] = 128", "icmp6[icmp6type] = icmp6-echo", "arp[6:2] = 1", "rarp[7] = 3",
	"ip[0] + 1 > 2", "-len < 3", "len * 2 / 3 % 4 > 0", "len & 1 | 2 ^ 3 << 1 >> 1 = 0",
	"len - 14 > 40", "ip[ip[0] & 0xf] = 0", "tcp[0:2] + tcp[2:2] > 1000",
	"sctp[0:2] = 9", "pim[0] = 0", "igmp[0] = 0", "vrrp[0] = 0",
	"byte 0 = 2", "byte 12 < 8", "byte 12 > 8",
	"iso", "stp", "ipx", "netbeui", "atalk", "aarp", "decnet", "lat", "sca", "moprc", "mopdl",
	"llc", "llc i", "llc s", "llc u", "llc rr", "llc rnr", "llc rej", "llc ui", "llc ua",
	"llc disc", "llc dm", "llc sabme", "llc test", "llc xid", "llc frmr",
	"clnp", "esis", "isis", "l1", "l2", "iih", "lsp", "snp", "csnp", "psnp",
	"isis proto 15", "iso proto 0x83",
	"tcp port 80 and len > 100 or udp[0] = 1 and not ip6 multicast",
	"(net 10 or net 192.168) and not (port 22 or portrange 20-30)",
	"ip and ip[0] & 0xf > 5", "ip[6:2] & 0x2000 != 0", "ip6 and ip6[6] = 44",
	"decnet", "decnet host 1.1", "decnet src 63.1023", "decnet dst 1.1 and not ip",
	"vlan", "vlan 100", "vlan and ip", "vlan 106 and tcp port 80", "vlan and vlan and udp",
	"not vlan and ip", "vlan or ip", "vlan and ether host 02:00:00:00:00:01",
	"mpls", "mpls 100", "mpls and ip", "mpls 200 and mpls 101 and ip",
	"mpls and host 10.0.0.1", "mpls and net 10", "mpls and ip6", "mpls and tcp port 80",
	"pppoed", "pppoes", "pppoes 3", "pppoes and ip", "pppoes 4 and tcp port 80",
	"pppoes and ip6 and udp", "pppoes and host 10.0.0.1",
	"geneve", "geneve 5", "geneve and ip", "geneve 6 and tcp port 80",
	"geneve and ether host 02:00:00:00:00:01", "geneve and ether broadcast",
	"geneve and multicast", "geneve and vlan and ip", "vlan and mpls and ip",
	"vlan and pppoes and ip",
	"ip6 protochain 17", "ip6 protochain 58", "ip protochain 51", "ip protochain 6",
	"protochain 17", "protochain 6 and not ip6", "ip6 protochain 44", "ip6 protochain 59",
};

/* Known libpcap 1.10.3 bugs where sniff follows libpcap master; those
 * expressions are checked against master's corpus programs instead:
 *  - on LINUX_SLL2, LLC SAPs are compared with the protocol field (its
 *    gen_linktype lacks the SLL2 case; master treats SLL2 as SLL);
 *  - `byte N & V` and `byte N | V` test A without loading byte N. */
static int sll2_llc_expr(int dlt, const char *e)
{
	if (!strncmp(e, "byte ", 5) && (strchr(e, '&') || strchr(e, '|')))
		return 1;
	static const char *const w[] = { "iso", "stp", "ipx", "netbeui", "atalk", "aarp",
		"clnp", "esis", "isis", "l1", "l2", "iih", "lsp", "snp", "csnp", "psnp" };

	if (dlt != DLT_LINUX_SLL2)
		return 0;
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (!strncmp(e, w[i], strlen(w[i])))
			return 1;
	return 0;
}

static const int dlts[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP,
};
#define NDLTS (sizeof(dlts) / sizeof(dlts[0]))

static void run_table(const char *name, const char *const *exprs, size_t n, int dlt)
{
	struct pool p = { 0 };
	struct tally t = { 0 };

	build_pool(&p, dlt);
	add_captures(&p, dlt, (size_t)-1, (size_t)-1); /* every packet */
	for (size_t i = 0; i < n; i++)
		for (int opt = 0; opt <= 1; opt++)
			if (!sll2_llc_expr(dlt, exprs[i]))
				differ(dlt, exprs[i], opt, &p, &t);
	printf("%-6s %-12s packets %5zu  cases %4ld  compiled %4ld  rejected-both %3ld  equal %4ld  failures %ld  (libpcap optimizer changed %ld short-packet verdicts; %ld cut inside wildcarded address words, as master)\n",
	       name, pcap_datalink_val_to_name(dlt), p.n, t.cases, t.compiled_both, t.rejected_both,
	       t.equal, t.fail, t.opt_trunc, t.wild_trunc);
	fflush(stdout);
	pool_free(&p);
	ck_assert_msg(t.fail == 0, "%s on %s: %ld of %ld cases differ from libpcap (see stderr)",
		      name, pcap_datalink_val_to_name(dlt), t.fail, t.cases);
}

START_TEST(slice_en10mb)
{
	run_table("slice", slice_exprs, sizeof(slice_exprs) / sizeof(slice_exprs[0]), DLT_EN10MB);
}
END_TEST

START_TEST(slice_linktypes)
{
	run_table("slice", slice_exprs, sizeof(slice_exprs) / sizeof(slice_exprs[0]), dlts[_i]);
}
END_TEST

START_TEST(full_linktypes)
{
	run_table("full", full_exprs, sizeof(full_exprs) / sizeof(full_exprs[0]), dlts[_i]);
}
END_TEST

/* Random combinations of the table's primitives with and/or/not (fixed
 * seed): the state that vlan, mpls and pppoes leave behind, scratch
 * registers and edge patching all meet here. Geneve is left out: combined
 * with `or`, libpcap's program reads scratch memory it never wrote. So is
 * protochain: several in one filter share a bounded walk (gen-protochain.c),
 * shorter than the corpus' 101-header chain. */
START_TEST(random_combinations)
{
	static const char *const ops[] = { " and ", " or ", " and not ", " or not " };
	const char *pick[sizeof(slice_exprs) / sizeof(slice_exprs[0]) +
			 sizeof(full_exprs) / sizeof(full_exprs[0])];
	size_t np = 0;
	uint32_t seed = 12345;
	struct pool p = { 0 };
	struct tally t = { 0 };
	char *expr;

	for (size_t i = 0; i < sizeof(slice_exprs) / sizeof(slice_exprs[0]); i++)
		if (*slice_exprs[i])
			pick[np++] = slice_exprs[i];
	for (size_t i = 0; i < sizeof(full_exprs) / sizeof(full_exprs[0]); i++)
		if (!strstr(full_exprs[i], "geneve") && !strstr(full_exprs[i], "protochain") &&
		    !sll2_llc_expr(DLT_LINUX_SLL2, full_exprs[i]))
			pick[np++] = full_exprs[i];
	build_pool(&p, DLT_EN10MB);
	add_captures(&p, DLT_EN10MB, 10, 1500);
	for (int n = 0; n < 250; n++) {
		int k;

		seed = seed * 1103515245u + 12345u;
		k = 2 + (int)((seed >> 16) % 3);
		ck_assert_int_ge(asprintf(&expr, "(%s)", pick[(seed >> 8) % np]), 0);
		while (--k > 0) {
			char *tmp;

			seed = seed * 1103515245u + 12345u;
			ck_assert_int_ge(asprintf(&tmp, "(%s%s(%s))", expr, ops[(seed >> 20) % 4],
						  pick[(seed >> 8) % np]), 0);
			free(expr);
			expr = tmp;
		}
		differ(DLT_EN10MB, expr, (int)(seed >> 4) & 1, &p, &t);
		free(expr);
	}
	printf("random EN10MB       packets %5zu  cases %4ld  compiled %4ld  rejected-both %3ld  equal %4ld  failures %ld  (libpcap optimizer changed %ld short-packet verdicts; %ld cut inside wildcarded address words, as master)\n",
	       p.n, t.cases, t.compiled_both, t.rejected_both, t.equal, t.fail, t.opt_trunc,
	       t.wild_trunc);
	fflush(stdout);
	pool_free(&p);
	ck_assert_msg(t.fail == 0, "random combinations: %ld of %ld differ from libpcap", t.fail,
		      t.cases);
}
END_TEST

/* The pool's IPv4 addresses as text. */
static void v4_names(char v4[16][INET_ADDRSTRLEN])
{
	ck_assert_uint_le(pk_nv4, 16);
	for (size_t i = 0; i < pk_nv4; i++) {
		struct in_addr a = { htonl(pk_v4[i]) };

		inet_ntop(AF_INET, &a, v4[i], sizeof(v4[i]));
	}
}

/* `or` lists of host and net terms (IPv4, IPv6, both, every direction),
 * of the addresses the packet pool carries, decide as libpcap's programs do
 * at -O0 and -O1: with the optimizer coming, the generator tests the
 * ethertype once for src and dst (gen_hostop), which libpcap does not. */
START_TEST(host_lists)
{
	/* a format, its family (4, 6, or 0: alternate), and its connective */
	static const struct { const char *fmt; int fam; const char *op; } shape[] = {
		{ "host %s", 4, " or " }, { "src or dst host %s", 4, " or " },
		{ "src and dst host %s", 4, " or " }, { "ip host %s", 4, " or " },
		{ "net %s/32", 4, " or " }, { "dst host %s", 4, " or " },
		{ "host %s", 6, " or " }, { "ip6 host %s", 6, " or " },
		{ "src and dst host %s", 6, " or " }, { "net %s/128", 6, " or " },
		{ "host %s", 0, " or " }, { "not host %s", 0, " and " },
	};
	static const int lt[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_RAW };
	static const size_t ks[] = { 2, 5, 100 };
	char v4[16][INET_ADDRSTRLEN];
	struct tally t = { 0 };

	v4_names(v4);
	for (size_t d = 0; d < sizeof(lt) / sizeof(lt[0]); d++) {
		struct pool p = { 0 };

		build_pool(&p, lt[d]);
		for (size_t f = 0; f < sizeof(shape) / sizeof(shape[0]); f++) {
			for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
				char expr[2048] = "", term[128];
				size_t n4 = 0, n6 = 0;

				for (size_t i = 0; i < ks[ki]; i++) {
					int six = shape[f].fam ? shape[f].fam == 6 : (int)(i & 1);

					if (six ? n6 == pk_nv6 : n4 == pk_nv4)
						break;
					snprintf(term, sizeof(term), shape[f].fmt,
						 six ? pk_v6names[n6++] : v4[n4++]);
					if (i)
						strcat(expr, shape[f].op);
					strcat(expr, term);
				}
				for (int opt = 0; opt <= 1; opt++)
					differ(lt[d], expr, opt, &p, &t);
			}
		}
		pool_free(&p);
	}
	printf("hosts  lists        cases %4ld  compiled %4ld  rejected-both %3ld  equal %4ld  failures %ld\n",
	       t.cases, t.compiled_both, t.rejected_both, t.equal, t.fail);
	fflush(stdout);
	ck_assert_msg(t.fail == 0, "host lists: %ld of %ld differ from libpcap", t.fail, t.cases);
}
END_TEST

/* Our optimized program decides as libpcap's unoptimized one on every packet
 * of P, cut ones included: our optimizer keeps the order of loads, where
 * libpcap's reads both fields of a list first. Returns 1 on a difference. */
static int same_as_o0(int live, int dlt, const char *expr, const struct pool *p)
{
	struct bpf_program fp;
	struct sniff_prog prog;
	struct sniff_error err;
	int bad = 0;

	if (lp_compile_mode(live, dlt, expr, 0, 262144, PCAP_NETMASK_UNKNOWN, &fp, NULL, 0) < 0)
		return 0;
	if (our_compile(dlt, expr, 1, 0, 0, live ? SNIFF_MODE_LINUX : SNIFF_MODE_SAVEFILE, NULL,
			&prog, &err) < 0) {
		pcap_freecode(&fp);
		return 0;
	}
	for (size_t i = 0; i < p->n && !bad; i++) {
		uint32_t want = run_lp(fp.bf_insns, &p->v[i]), got = run_ours(&prog, &p->v[i]);

		if (want != got) {
			report(pcap_datalink_val_to_name(dlt), expr,
			       "-O1 packet %zu (caplen %u len %u): libpcap -O0 %u, ours %u", i,
			       p->v[i].caplen, p->v[i].wirelen, want, got);
			bad = 1;
		}
	}
	pcap_freecode(&fp);
	sniff_prog_free(&prog);
	return bad;
}

/* Every packet of P (as many as fit) also cut after each of its bytes:
 * which load of a list fails first decides a cut packet. */
static void add_every_cut(struct pool *p)
{
	size_t n = p->n;

	for (size_t i = 0; i < n; i++) {
		if (p->v[i].caplen != p->v[i].wirelen)
			continue;
		for (uint32_t c = 0; c < p->v[i].caplen; c++)
			pool_add(p, p->v[i].data, c, p->v[i].wirelen, NULL);
	}
}

/* `or` lists of ports and hosts with a direction or protocol (cbpf/gen-lists.c
 * generates them apart when optimizing; mixed and nested ones stay term by
 * term), on every link type it serves, for a savefile and live Linux, at
 * -O0 and -O1, packets cut after every byte included. */
START_TEST(port_lists)
{
	static const struct { const char *fmt, *pre, *post; } shape[] = {
		{ "port %u", "", "" }, { "src port %u", "", "" }, { "dst port %u", "", "" },
		{ "tcp port %u", "", "" }, { "udp port %u", "", "" },
		{ "sctp dst port %u", "", "" }, { "src or dst port %u", "", "" },
		{ "tcp src port %u", "", "" }, { "%s", "", "" },
		{ "dst host %s", "", "" }, { "src host %s", "", "" }, { "ip src host %s", "", "" },
		{ "arp dst host %s", "", "" }, { "rarp host %s", "", "" },
		{ "host %s", "", "" },
		/* nested: the list is expanded before the optimizer runs */
		{ "port %u", "tcp and (", ")" }, { "port %u", "(", ") and not src port 53" },
		{ "dst port %u", "not (", ")" }, { "host %s", "(", ") and not dst host 10.0.0.2" },
		{ "src host %s", "(", ") and port 80" },
		/* tcp, udp and sctp mixed: one list per protocol */
		{ "%p", "", "" }, { "%q", "", "" }, { "%p", "ip6 and (", ")" },
		/* other mixed qualifiers: term by term */
		{ "%c", "", "" },
	};
	static const char *const protos[] = { "tcp port %u", "udp port %u", "tcp port %u",
					      "sctp port %u" };
	static const char *const protos_dst[] = { "udp dst port %u", "tcp dst port %u" };
	static const int lt[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_NULL };
	static const size_t ks[] = { 2, 5, 12 };
	static const char *const mixed[] = { "src port %u", "dst host %s", "tcp port %u",
					     "udp port %u", "host %s", "dst port %u" };
	char v4[16][INET_ADDRSTRLEN];
	struct tally t = { 0 };
	long strict = 0;

	v4_names(v4);
	for (size_t d = 0; d < sizeof(lt) / sizeof(lt[0]); d++) {
		struct pool p = { 0 };

		build_pool(&p, lt[d]);
		add_every_cut(&p);
		for (size_t f = 0; f < sizeof(shape) / sizeof(shape[0]); f++) {
			for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
				char expr[2048], term[128];
				size_t len;

				snprintf(expr, sizeof(expr), "%s", shape[f].pre);
				for (size_t i = 0; i < ks[ki]; i++) {
					const char *fmt = shape[f].fmt;

					if (!strcmp(fmt, "%c"))
						fmt = mixed[i % 6];
					else if (!strcmp(fmt, "%p"))
						fmt = protos[i % 4];
					else if (!strcmp(fmt, "%q"))
						fmt = protos_dst[i % 2];
					if (!strcmp(fmt, "%s"))	/* plain addresses: `host` implied */
						snprintf(term, sizeof(term), "%s", v4[i % pk_nv4]);
					else if (strstr(fmt, "%s"))
						snprintf(term, sizeof(term), fmt, v4[i % pk_nv4]);
					else
						snprintf(term, sizeof(term), fmt,
							 pk_ports[i % pk_nports]);
					len = strlen(expr);
					snprintf(expr + len, sizeof(expr) - len, "%s%s", i ? " or " : "",
						 term);
				}
				len = strlen(expr);
				snprintf(expr + len, sizeof(expr) - len, "%s", shape[f].post);
				for (int live = 0; live <= 1; live++) {
					for (int opt = 0; opt <= 1; opt++)
						differ_mode(live, lt[d], expr, opt, &p, &t);
					strict += same_as_o0(live, lt[d], expr, &p);
				}
			}
		}
		pool_free(&p);
	}
	printf("ports  lists        cases %4ld  compiled %4ld  rejected-both %3ld  equal %4ld  failures %ld  (-O1 unlike libpcap -O0: %ld)\n",
	       t.cases, t.compiled_both, t.rejected_both, t.equal, t.fail, strict);
	fflush(stdout);
	ck_assert_msg(t.fail == 0, "port lists: %ld of %ld differ from libpcap", t.fail, t.cases);
	ck_assert_msg(strict == 0, "port lists: %ld decide unlike libpcap -O0", strict);
}
END_TEST

/* The same unoptimized program as libpcap, instruction for instruction:
 * -d output can equal tcpdump's. */
START_TEST(same_shape)
{
	static const char *const e[] = { "ip", "tcp", "port 80", "host 10.0.0.1",
		"src host fe80::1", "tcp[13] & 2 != 0", "ether host 01:02:03:04:05:06",
		"not arp and udp dst port 53", "ipx", "net 10.0.0.0/8" };

	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		struct bpf_program fp;
		struct sniff_prog prog;
		struct sniff_error err;

		ck_assert_int_eq(lp_compile(DLT_EN10MB, e[i], 0, 262144, PCAP_NETMASK_UNKNOWN,
					    &fp, NULL, 0), 0);
		ck_assert_msg(our_compile(DLT_EN10MB, e[i], 0, 0, 0, 0, NULL, &prog, &err) == 0,
			      "%s: %s", e[i], err.msg);
		ck_assert_msg(prog.len == fp.bf_len, "%s: %u insns, libpcap %u", e[i], prog.len,
			      fp.bf_len);
		ck_assert_msg(!memcmp(prog.insns, fp.bf_insns, fp.bf_len * sizeof(*prog.insns)),
			      "%s: program differs from libpcap's", e[i]);
		pcap_freecode(&fp);
		sniff_prog_free(&prog);
	}
}
END_TEST

/* A range of one port is the port: our program for the range is libpcap's
 * program for the port, instruction for instruction (libpcap master emits
 * the same; 1.10.3 tests the range with jge/jgt). */
START_TEST(one_port_range)
{
	static const char *const e[][2] = {
		{ "portrange 25-25", "port 25" }, { "tcp src portrange 80", "tcp src port 80" },
		{ "udp dst portrange domain-53", "udp dst port 53" },
		{ "sctp portrange 9-9", "sctp port 9" },
	};

	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		struct bpf_program fp;
		struct sniff_prog prog;
		struct sniff_error err;

		ck_assert_int_eq(lp_compile(DLT_EN10MB, e[i][1], 0, 262144, PCAP_NETMASK_UNKNOWN,
					    &fp, NULL, 0), 0);
		ck_assert_msg(our_compile(DLT_EN10MB, e[i][0], 0, 0, 0, 0, NULL, &prog, &err) == 0,
			      "%s: %s", e[i][0], err.msg);
		ck_assert_msg(prog.len == fp.bf_len && !memcmp(prog.insns, fp.bf_insns,
							       fp.bf_len * sizeof(*prog.insns)),
			      "%s: %u insns, libpcap's %s %u or different", e[i][0], prog.len, e[i][1],
			      fp.bf_len);
		pcap_freecode(&fp);
		sniff_prog_free(&prog);
	}
}
END_TEST

/* Errors carry the position of the offending node. */
START_TEST(error_positions)
{
	static const struct {
		const char *expr;
		int column, length;
	} c[] = {
		{ "tcp port nosuchservice", 10, 13 },
		{ "host nosuchhost.invalid", 6, 18 },
		{ "tcp and port 70000", 14, 5 },
		{ "ip and icmp host 10.0.0.1", 8, 18 },
		{ "len > 1 and 2 / 0 = 1", 17, 1 },
		{ "udp port ssh", 10, 3 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct bpf_program fp;
		struct sniff_prog prog;
		struct sniff_error err;

		/* libpcap rejects them too */
		ck_assert_int_lt(lp_compile(DLT_EN10MB, c[i].expr, 0, 262144,
					    PCAP_NETMASK_UNKNOWN, &fp, NULL, 0), 0);
		ck_assert_int_eq(our_compile(DLT_EN10MB, c[i].expr, 0, 0, 0, 0, NULL, &prog, &err),
				 -EINVAL);
		ck_assert_msg(err.column == c[i].column && err.length == c[i].length,
			      "%s: column %d length %d (%s), want %d/%d", c[i].expr, err.column,
			      err.length, err.msg, c[i].column, c[i].length);
		ck_assert(err.msg[0] != '\0');
	}
}
END_TEST

START_TEST(unsupported_linktype)
{
	struct sniff_prog prog;
	struct sniff_error err;

	ck_assert_int_eq(our_compile(DLT_IEEE802_11, "tcp", 0, 0, 0, 0, NULL, &prog, &err),
			 -EINVAL);
	ck_assert_msg(strstr(err.msg, "not supported for link type"), "%s", err.msg);
}
END_TEST

/* Linux mode: inbound/outbound/ifindex read the kernel's ancillary data, as
 * libpcap's live code does. Both programs run with cb_run (bpf_filter knows
 * no ancillary loads) under every pkttype/ifindex. */
START_TEST(linux_ancillary)
{
	static const char *const e[] = { "inbound", "outbound", "ifindex 2", "inbound and tcp",
					 "not outbound or ifindex 3" };
	struct pool p = { 0 };

	build_pool(&p, DLT_EN10MB);
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		struct bpf_program fp;
		struct sniff_prog prog;
		struct sniff_error err;

		ck_assert_int_eq(lp_compile_mode(1, DLT_EN10MB, e[i], 1, 262144, PCAP_NETMASK_UNKNOWN,
						 &fp, NULL, 0), 0);
		ck_assert_msg(our_compile(DLT_EN10MB, e[i], 1, 0, 0, SNIFF_MODE_LINUX, NULL, &prog,
					  &err) == 0, "%s: %s", e[i], err.msg);
		for (size_t k = 0; k < p.n; k++) {
			for (uint32_t pt = 0; pt <= 4; pt++) {
				struct cb_anc anc = { .pkttype = pt, .ifindex = pt % 4 };
				uint32_t want = cb_run((const struct sniff_insn *)fp.bf_insns, fp.bf_len,
						       p.v[k].data, p.v[k].wirelen, p.v[k].caplen,
						       &anc, 0);
				uint32_t got = cb_run(prog.insns, prog.len, p.v[k].data, p.v[k].wirelen,
						      p.v[k].caplen, &anc, 0);

				ck_assert_msg(want == got, "%s pkt %zu pkttype %u: libpcap %u ours %u",
					      e[i], k, pt, want, got);
			}
		}
		pcap_freecode(&fp);
		sniff_prog_free(&prog);
		/* a savefile has no direction: libpcap on a file refuses too */
		ck_assert_int_lt(lp_compile(DLT_EN10MB, e[i], 1, 262144, PCAP_NETMASK_UNKNOWN, &fp,
					    NULL, 0), 0);
		ck_assert_int_eq(our_compile(DLT_EN10MB, e[i], 1, 0, 0, SNIFF_MODE_SAVEFILE, NULL,
					     &prog, &err), -EINVAL);
	}
	pool_free(&p);
}
END_TEST

/* Live Linux mode on loopback link types: AF_INET6 is this system's value
 * (10), as libpcap's live code; files take the BSDs' 24, 28 and 30. */
START_TEST(linux_loopback_ip6)
{
	static const int lt[] = { DLT_NULL, DLT_LOOP };

	for (size_t d = 0; d < 2; d++) {
		struct pool p = { 0 };
		struct bpf_program fp;
		struct sniff_prog prog;
		struct sniff_error err;
		long n10 = 0;

		build_pool(&p, lt[d]);
		for (int opt = 0; opt <= 1; opt++) {
			ck_assert_int_eq(lp_compile_mode(1, lt[d], "ip6 and not tcp", opt, 262144,
							 PCAP_NETMASK_UNKNOWN, &fp, NULL, 0), 0);
			ck_assert_int_eq(our_compile(lt[d], "ip6 and not tcp", opt, 0, 0, SNIFF_MODE_LINUX,
						     NULL, &prog, &err), 0);
			for (size_t k = 0; k < p.n; k++) {
				uint32_t want = run_lp(fp.bf_insns, &p.v[k]);

				ck_assert_uint_eq(run_ours(&prog, &p.v[k]), want);
				n10 += want != 0;
			}
			pcap_freecode(&fp);
			sniff_prog_free(&prog);
		}
		ck_assert_int_gt(n10, 0); /* the pool has AF 10 packets that match */
		pool_free(&p);
	}
}
END_TEST

/* ------------------------------------------------------------------------
 * sniff_compile() options
 */
START_TEST(compile_opts)
{
	struct {
		struct sniff_compile_opts o;
		uint64_t future;
	} big;
	struct sniff_prog prog;
	struct sniff_error err;
	size_t old_sz = offsetof(struct sniff_compile_opts, optimize);

	/* snaplen is the accept value, as libpcap's ret #snaplen */
	ck_assert_int_eq(our_compile(DLT_EN10MB, "", 0, 96, 0, 0, NULL, &prog, &err), 0);
	ck_assert_uint_eq(prog.len, 1);
	ck_assert_uint_eq(prog.insns[0].k, 96);
	sniff_prog_free(&prog);

	/* an older caller's smaller struct: fields past sz read as 0 */
	memset(&big, 0xff, sizeof(big));
	big.o.sz = old_sz;
	big.o.snaplen = 128;
	big.o.netmask = 0;
	ck_assert_int_eq(sniff_compile("tcp", DLT_EN10MB, &big.o, &prog, &err), 0);
	ck_assert_uint_eq(prog.insns[prog.len - 2].k, 128);
	sniff_prog_free(&prog);

	/* a newer caller's bigger struct: unknown bytes must be zero */
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	ck_assert_int_eq(sniff_compile("tcp", DLT_EN10MB, &big.o, &prog, &err), 0);
	sniff_prog_free(&prog);
	big.future = 1;
	ck_assert_int_eq(sniff_compile("tcp", DLT_EN10MB, &big.o, &prog, &err), -EINVAL);

	/* NULL options: defaults */
	ck_assert_int_eq(sniff_compile("udp", DLT_EN10MB, NULL, &prog, NULL), 0);
	ck_assert_uint_eq(prog.insns[prog.len - 2].k, SNIFF_DEFAULT_SNAPLEN);
	sniff_prog_free(&prog);

	/* netmask makes 'ip broadcast' possible, as for libpcap */
	ck_assert_int_eq(our_compile(DLT_EN10MB, "ip broadcast", 0, 0, 0, 0, NULL, &prog, &err),
			 -EINVAL);
	ck_assert_int_eq(our_compile(DLT_EN10MB, "ip broadcast", 0, 0, 0xffffff00, 0, NULL, &prog,
				     &err), 0);
	sniff_prog_free(&prog);
}
END_TEST

START_TEST(ip_broadcast_netmask)
{
	struct pool p = { 0 };
	struct bpf_program fp;
	struct sniff_prog prog;
	struct sniff_error err;

	build_pool(&p, DLT_EN10MB);
	for (int opt = 0; opt <= 1; opt++) {
		ck_assert_int_eq(lp_compile(DLT_EN10MB, "ip broadcast or ether broadcast", opt,
					    262144, 0xffffff00, &fp, NULL, 0), 0);
		ck_assert_int_eq(our_compile(DLT_EN10MB, "ip broadcast or ether broadcast", opt, 0,
					     0xffffff00, 0, NULL, &prog, &err), 0);
		for (size_t k = 0; k < p.n; k++)
			ck_assert_uint_eq(run_ours(&prog, &p.v[k]), run_lp(fp.bf_insns, &p.v[k]));
		pcap_freecode(&fp);
		sniff_prog_free(&prog);
	}
	pool_free(&p);
}
END_TEST

/* ------------------------------------------------------------------------
 * names.c, against the C library's own resolvers and the corpus files
 */
static char names_dir[4096];

static const char *corpus_names(void)
{
	snprintf(names_dir, sizeof(names_dir), "%s/filters/names", corpus_path());
	return names_dir;
}

START_TEST(names_files)
{
	struct names_ctx c = { corpus_names() };
	struct names_ctx sys = { NULL };
	uint8_t *a = NULL, mac[6];
	int n = 0;
	uint32_t net;
	struct servent *se;
	struct protoent *pe;

	ck_assert_int_eq(names_host(&c, "eth-ipv4x4-ipv6x2.host357.libpcap.test", AF_INET, &a, &n), 0);
	ck_assert_int_eq(n, 4);
	free(a);
	ck_assert_int_eq(names_host(&c, "eth-ipv4x4-ipv6x2.host357.libpcap.test", AF_INET6, &a, &n), 0);
	ck_assert_int_eq(n, 2);
	free(a);
	ck_assert_int_eq(names_host(&c, "noeth-noipv4-ipv6.host123.libpcap.test", AF_INET, &a, &n),
			 -ENOENT);
	ck_assert_int_eq(names_ether(&c, "eth-ipv4-ipv6.host123.libpcap.test", mac), 0);
	ck_assert_mem_eq(mac, "\xaa\x00\x04\x00\x14\x0e", 6);
	ck_assert_int_eq(names_ether(&c, "noeth-ipv4-ipv6.host123.libpcap.test", mac), -ENOENT);
	ck_assert_int_eq(names_net(&c, "net-10-20-0-0.libpcap.test", &net), 0);
	ck_assert_uint_eq(net, inet_network("10.20.0.0"));
	/* services and protocols fall back to /etc: the C library is the oracle */
	se = getservbyname("http", "tcp");
	if (se)
		ck_assert_int_eq(names_port(&c, "http", 6), ntohs((uint16_t)se->s_port));
	se = getservbyname("domain", "udp");
	if (se)
		ck_assert_int_eq(names_port(&sys, "domain", 17), ntohs((uint16_t)se->s_port));
	ck_assert_int_eq(names_port(&c, "no-such-service-xyz", 6), -ENOENT);
	pe = getprotobyname("udp");
	if (pe)
		ck_assert_int_eq(names_proto(&c, "udp"), pe->p_proto);
	ck_assert_int_eq(names_proto(&c, "no-such-proto"), -ENOENT);
}
END_TEST

/* ------------------------------------------------------------------------
 * The libpcap corpus
 */
static int in_scope(int dlt)
{
	for (size_t i = 0; i < NDLTS; i++)
		if (dlts[i] == dlt)
			return 1;
	return 0;
}

/* The corpus writes netmasks as dotted quads (or null). */
static long long corpus_mask(const struct corpus_case *c)
{
	const char *m = corpus_str(c, "netmask");
	long long v;
	struct in_addr a;

	if (m && inet_pton(AF_INET, m, &a) == 1)
		return ntohl(a.s_addr);
	if (corpus_int(c, "netmask", &v) == 0)
		return v;
	return PCAP_NETMASK_UNKNOWN;
}

static const char *needs_names(const struct corpus_case *c, int *skip)
{
	const char *needs = corpus_str(c, "needs");

	*skip = 0;
	if (!needs || !*needs)
		return NULL;
	if (strstr(needs, "hosts file") || strstr(needs, "ethers file") ||
	    strstr(needs, "networks file"))
		return corpus_names();
	/* preconditions on how libpcap was built ("HAVE_DECL_SKF_AD_VLAN_TAG_PRESENT!=1",
	 * "NO_PROTOCHAIN!=1"): sniff is not built that way */
	if (strstr(needs, "!="))
		*skip = 1;
	return NULL;
}

struct pools {
	struct pool p[NDLTS];
	int built[NDLTS];
};

static struct pool *pool_for(struct pools *ps, int dlt)
{
	for (size_t i = 0; i < NDLTS; i++) {
		if (dlts[i] != dlt)
			continue;
		if (!ps->built[i]) {
			build_pool(&ps->p[i], dlt);
			add_captures(&ps->p[i], dlt, (size_t)-1, (size_t)-1);
			ps->built[i] = 1;
		}
		return &ps->p[i];
	}
	return NULL;
}

/* Does P (master's program) drop every packet of the pool (whole ones)? */
static int drops_all(const struct sniff_prog *p, const struct pool *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->v[i].caplen == pl->v[i].wirelen &&
		    cb_run(p->insns, p->len, pl->v[i].data, pl->v[i].wirelen, pl->v[i].caplen, NULL, 0))
			return 0;
	return 1;
}

/* Ancillary settings a live Linux filter can see. */
static const struct cb_anc ancs[] = {
	{ .pkttype = 0 },
	{ .pkttype = 4, .ifindex = 1 },
	{ .vlan_present = 1, .vlan_tci = 100, .vlan_tpid = 0x8100 },
	{ .vlan_present = 1, .vlan_tci = 0x2064, .vlan_tpid = 0x88a8, .pkttype = 4 },
	{ .vlan_present = 1, .vlan_tci = 200, .vlan_tpid = 0x8100, .ifindex = 2 },
};

/* Program size against libpcap master's (issue 3: ours <= master's on at
 * least 95% of the optimized in-scope accept cases). */
struct size_tally {
	long cases, equal, smaller, same, larger, invalid;
	char **larger_v;        /* "expr (DLT): ours N, master M" */
	size_t nlarger;
};

/* The ratchet: the share of cases where ours is no larger than master's,
 * in per mille, just below what the generator reaches today. It is not an
 * oracle (master's size is the oracle, and it is printed); it only stops the
 * figure from sliding back unnoticed. Raise it when sizes improve. */
#define SIZE_FLOOR_PERMILLE 975

/* The corpus' `needs` says when libpcap's suite skips a case: "is not
 * FreeBSD" runs only on FreeBSD, "little-endian" only on big-endian hosts.
 * Such a case's expected program holds that system's constants (AF_INET6 is
 * 28 on FreeBSD, 10 here), so its size says nothing about ours. Returns the
 * reason, or NULL when the case is for this system. */
static const char *other_system(const struct corpus_case *c)
{
	const char *needs = corpus_str(c, "needs");
	const uint16_t one = 1;

	if (!needs)
		return NULL;
	if (!strncmp(needs, "is not ", 7) && strcmp(needs + 7, "Linux"))
		return needs;
	if (!strcmp(needs, "little-endian") && *(const uint8_t *)&one == 1)
		return needs;
	return NULL;
}

/* Classify our optimized program against master's text. Master's program is
 * "not comparable" when it is not valid classic BPF: for `protochain` on RAW
 * it jumps backwards (`ja` to an earlier pc, its loop over extension
 * headers), which the kernel's bpf_check_classic and our validator refuse;
 * counting its length against ours would compare with a program nobody can
 * load. Cases written for another system are not comparable either (see
 * other_system). Returns 1 when the case counts (then *cls is -1, 0 or 1). */
static int size_class(struct size_tally *st, const struct corpus_case *c, const char *dn,
		      const char *expr, const struct sniff_prog *ours, const char *want_text,
		      long long ninsn, int *cls)
{
	struct sniff_prog m = { 0 };
	struct sniff_error err;
	const char *other = other_system(c);
	char *line;

	if (other) {
		printf("size: %s (%s): libpcap's program is for another system (%s): not comparable\n",
		       expr, dn, other);
		st->invalid++;
		return 0;
	}
	if (!want_text || cb_asm(want_text, &m, &err) < 0 ||
	    cb_validate_max(m.insns, m.len, SNIFF_MAX_INSNS, &err) < 0) {
		printf("size: %s (%s): libpcap's program is not valid BPF (%s): not comparable\n",
		       expr, dn, m.insns ? err.msg : "does not assemble");
		st->invalid++;
		sniff_prog_free(&m);
		return 0;
	}
	sniff_prog_free(&m);
	st->cases++;
	*cls = ours->len < ninsn ? -1 : ours->len > ninsn;
	if (*cls > 0) {
		ck_assert_int_ge(asprintf(&line, "%-40s %-10s ours %3u  master %3lld", expr, dn,
					  ours->len, ninsn), 0);
		st->larger_v = realloc(st->larger_v, (st->nlarger + 1) * sizeof(*st->larger_v));
		ck_assert_ptr_nonnull(st->larger_v);
		st->larger_v[st->nlarger++] = line;
	}
	return 1;
}

static void size_print(struct size_tally *st)
{
	printf("size vs libpcap master (optimized accept cases):\n"
	       "  %-10s %-10s %-10s %-10s %-10s %-16s\n"
	       "  %-10ld %-10ld %-10ld %-10ld %-10ld %-16ld\n",
	       "cases", "equal", "smaller", "same size", "larger", "not comparable",
	       st->cases, st->equal, st->smaller, st->same, st->larger, st->invalid);
	printf("optimized size <= libpcap master: %ld of %ld (%.1f%%)\n",
	       st->smaller + st->same, st->cases,
	       st->cases ? 100.0 * (double)(st->smaller + st->same) / (double)st->cases : 0.0);
	for (size_t i = 0; i < st->nlarger; i++) {
		printf("  larger: %s\n", st->larger_v[i]);
		free(st->larger_v[i]);
	}
	free(st->larger_v);
	fflush(stdout);
}

START_TEST(corpus_accept)
{
	struct corpus_file *f = corpus_open("filters/accept.jsonl");
	const struct corpus_case *c;
	struct pools *ps = calloc(1, sizeof(*ps));
	long total = 0, scope = 0, skipped = 0, vs_lp = 0, vs_master = 0, equal = 0,
	     nocompile = 0, differ_n = 0, opt_rej = 0, opt_trunc = 0;
	struct size_tally st = { 0 };

	ck_assert_ptr_nonnull(f);
	while ((c = corpus_next(f)) != NULL) {
		const char *dn = corpus_str(c, "dlt"), *expr = corpus_str(c, "expr");
		const char *names, *want_text = corpus_str(c, "libpcap_program");
		long long opt = 0, snap = 262144, mask = PCAP_NETMASK_UNKNOWN, linux_ext = 0, ninsn = 0;
		long long optrej = 0;
		int dlt = dn ? pcap_datalink_name_to_val(dn) : -1, skip, bad = 0, lrc = -1;
		int sized = 0, cls = 0, have_fp0 = 0;
		struct bpf_program fp0;
		struct sniff_prog prog, want = { 0 };
		struct sniff_error err;
		struct bpf_program fp;
		struct pool *p;

		total++;
		if (!in_scope(dlt) || !expr)
			continue;
		names = needs_names(c, &skip);
		/* sniff_compile_opts reads netmask 0 as "unknown" */
		if (skip || (corpus_str(c, "netmask") && corpus_mask(c) == 0)) {
			skipped++;
			continue;
		}
		scope++;
		corpus_int(c, "optimize", &opt);
		corpus_int(c, "snaplen", &snap);
		mask = corpus_mask(c);
		corpus_int(c, "linuxext", &linux_ext);
		corpus_int(c, "libpcap_insns", &ninsn);
		corpus_int(c, "optimizer_rejects", &optrej);
		if (opt && optrej) {
			/* libpcap's optimizer proves it matches nothing and refuses it:
			 * we may refuse too, or accept a program that drops everything */
			opt_rej++;
			if (our_compile(dlt, expr, 1, (uint32_t)snap, (uint32_t)mask,
					linux_ext ? SNIFF_MODE_LINUX : SNIFF_MODE_SAVEFILE, names,
					&prog, &err) < 0) {
				equal++;
				continue;
			}
			p = pool_for(ps, dlt);
			for (size_t i = 0; i < p->n && !bad; i++)
				if (run_ours(&prog, &p->v[i]) != 0) {
					report("accept", expr, "%s: libpcap rejects all packets, ours accepts pkt %zu",
					       dn, i);
					bad = 1;
				}
			sniff_prog_free(&prog);
			if (bad)
				differ_n++;
			else
				equal++;
			continue;
		}
		if (our_compile(dlt, expr, (int)opt, (uint32_t)snap, (uint32_t)mask,
				linux_ext ? SNIFF_MODE_LINUX : SNIFF_MODE_SAVEFILE, names, &prog,
				&err) < 0 && !(opt && strstr(err.msg, "rejects all packets") &&
					       want_text && cb_asm(want_text, &want, &err) == 0 &&
					       drops_all(&want, pool_for(ps, dlt)))) {
			report("accept", expr, "%s opt=%lld: we reject: %s", dn, opt, err.msg);
			nocompile++;
			continue;
		}
		if (!prog.insns) {
			/* refused as "rejects all packets", and master's program does */
			sniff_prog_free(&want);
			equal++;
			continue;
		}
		if (opt && ninsn)
			sized = size_class(&st, c, dn, expr, &prog, want_text, ninsn, &cls);
		p = pool_for(ps, dlt);
		if (!linux_ext && !names && !sll2_llc_expr(dlt, expr) && !wildcard_words(expr))
			lrc = lp_compile(dlt, expr, (int)opt, (uint32_t)snap, (uint32_t)mask, &fp,
					 NULL, 0);
		if (lrc == 0) {
			vs_lp++;
			for (size_t i = 0; i < p->n && !bad; i++) {
				uint32_t w = run_lp(fp.bf_insns, &p->v[i]), g = run_ours(&prog, &p->v[i]);

				if (w != g && opt) {
					/* tolerated only where libpcap's own optimizer changed it */
					if (!have_fp0)
						have_fp0 = lp_compile(dlt, expr, 0, (uint32_t)snap,
								      (uint32_t)mask, &fp0, NULL, 0) == 0 ? 1 : -1;
					if (have_fp0 > 0 && run_lp(fp0.bf_insns, &p->v[i]) != w) {
						opt_trunc++;
						continue;
					}
				}
				if (w != g) {
					report("accept", expr, "%s opt=%lld pkt %zu: libpcap 1.10.3 %u, ours %u",
					       dn, opt, i, w, g);
					bad = 1;
				}
			}
			pcap_freecode(&fp);
			if (have_fp0 > 0)
				pcap_freecode(&fp0);
		} else if (want_text && cb_asm(want_text, &want, &err) == 0) {
			vs_master++;
			for (size_t i = 0; i < p->n && !bad; i++) {
				for (size_t a = 0; a < (linux_ext ? sizeof(ancs) / sizeof(ancs[0]) : 1); a++) {
					const struct cb_anc *an = linux_ext ? &ancs[a] : NULL;
					uint32_t w = cb_run(want.insns, want.len, p->v[i].data, p->v[i].wirelen,
							    p->v[i].caplen, an, 0);
					uint32_t g = cb_run(prog.insns, prog.len, p->v[i].data, p->v[i].wirelen,
							    p->v[i].caplen, an, 0);

					if (w != g && opt_trunc_only((int)opt, &p->v[i])) {
						opt_trunc++;
						continue;
					}
					if (w != g) {
						report("accept", expr, "%s opt=%lld linux=%lld pkt %zu anc %zu: master %u, ours %u",
						       dn, opt, linux_ext, i, a, w, g);
						bad = 1;
						break;
					}
				}
			}
			sniff_prog_free(&want);
		} else {
			report("accept", expr, "no oracle: libpcap_program does not assemble: %s", err.msg);
			bad = 1;
		}
		sniff_prog_free(&prog);
		if (bad)
			differ_n++;
		else
			equal++;
		if (sized) {
			st.equal += !bad;
			st.smaller += cls < 0;
			st.same += cls == 0;
			st.larger += cls > 0;
		}
	}
	ck_assert_msg(corpus_error(f) == NULL, "%s", corpus_error(f));
	corpus_close(f);
	for (size_t i = 0; i < NDLTS; i++)
		pool_free(&ps->p[i]);
	free(ps);
	printf("corpus accept: %ld cases, %ld in scope (%ld skipped: not for Linux, or netmask 0), "
	       "%ld checked vs libpcap 1.10.3, %ld vs master program, %ld refused by libpcap's "
	       "optimizer; equal %ld, we reject %ld, decisions differ %ld "
	       "(libpcap optimizer changed %ld short-packet verdicts)\n",
	       total, scope, skipped, vs_lp, vs_master, opt_rej, equal, nocompile, differ_n,
	       opt_trunc);
	size_print(&st);
	ck_assert_msg(nocompile + differ_n == 0, "accept corpus: %ld rejected, %ld differ",
		      nocompile, differ_n);
	ck_assert_msg((st.smaller + st.same) * 1000 >= SIZE_FLOOR_PERMILLE * st.cases,
		      "size ratchet: %ld of %ld no larger than master, floor %d per mille",
		      st.smaller + st.same, st.cases, SIZE_FLOOR_PERMILLE);
}
END_TEST

START_TEST(corpus_reject)
{
	struct corpus_file *f = corpus_open("filters/reject.jsonl");
	const struct corpus_case *c;
	long total = 0, scope = 0, rejected = 0, accepted = 0, skipped = 0, files = 0;

	ck_assert_ptr_nonnull(f);
	while ((c = corpus_next(f)) != NULL) {
		const char *dn = corpus_str(c, "dlt"), *expr = corpus_str(c, "expr"), *names;
		long long opt = 0, mask = PCAP_NETMASK_UNKNOWN;
		int dlt = dn ? pcap_datalink_name_to_val(dn) : DLT_EN10MB, skip;
		struct sniff_prog prog;
		struct sniff_error err;

		total++;
		if (!expr) {
			files++; /* a broken savefile, not a filter: lib/'s tests */
			continue;
		}
		names = needs_names(c, &skip);
		if (skip) {
			skipped++;
			continue;
		}
		if (in_scope(dlt))
			scope++;
		corpus_int(c, "optimize", &opt);
		mask = corpus_mask(c);
		if (our_compile(dlt, expr, (int)opt, 0, (uint32_t)mask, SNIFF_MODE_SAVEFILE, names,
				&prog, &err) == 0) {
			report("reject", expr, "%s: we accept (libpcap: %s)", dn ? dn : "EN10MB",
			       corpus_str(c, "error"));
			sniff_prog_free(&prog);
			accepted++;
		} else {
			rejected++;
		}
	}
	corpus_close(f);
	printf("corpus reject: %ld cases (%ld for in-scope link types, %ld skipped: not for Linux, "
	       "%ld savefile cases), rejected %ld, wrongly accepted %ld\n", total, scope, skipped,
	       files, rejected, accepted);
	fflush(stdout);
	ck_assert_msg(accepted == 0, "reject corpus: %ld expressions accepted", accepted);
}
END_TEST

START_TEST(corpus_apply)
{
	struct corpus_file *f = corpus_open("filters/apply.jsonl");
	const struct corpus_case *c;
	long total = 0, scope = 0, equal = 0, bad = 0;
	char path[4096], errbuf[PCAP_ERRBUF_SIZE];

	ck_assert_ptr_nonnull(f);
	while ((c = corpus_next(f)) != NULL) {
		const char *cap = corpus_str(c, "capture"), *expr = corpus_str(c, "expr"), *names;
		long long opt = 0, mask = PCAP_NETMASK_UNKNOWN, want;
		struct sniff_prog prog;
		struct sniff_error err;
		struct pcap_pkthdr *h;
		const u_char *data;
		pcap_t *pc;
		int skip, dlt, ok = 1;
		size_t i = 0, n = corpus_array_len(c, "results");

		total++;
		if (!cap || !expr)
			continue;
		names = needs_names(c, &skip);
		if (skip)
			continue;
		snprintf(path, sizeof(path), "%s/filters/%s", corpus_path(), cap);
		pc = pcap_open_offline(path, errbuf);
		ck_assert_msg(pc != NULL, "%s: %s", path, errbuf);
		dlt = pcap_datalink(pc);
		if (!in_scope(dlt)) {
			pcap_close(pc);
			continue;
		}
		scope++;
		corpus_int(c, "optimize", &opt);
		mask = corpus_mask(c);
		if (our_compile(dlt, expr, (int)opt, (uint32_t)pcap_snapshot(pc), (uint32_t)mask,
				SNIFF_MODE_SAVEFILE, names, &prog, &err) < 0) {
			report("apply", expr, "%s: we reject: %s", cap, err.msg);
			bad++;
			pcap_close(pc);
			continue;
		}
		while (pcap_next_ex(pc, &h, &data) == 1) {
			struct pkt k = { (uint8_t *)(uintptr_t)data, h->caplen, h->len, { 0 } };
			uint32_t got = run_ours(&prog, &k);

			if (i >= n || corpus_array_int(c, "results", i, &want) < 0 ||
			    (uint32_t)want != got) {
				if (ok)
					report("apply", expr, "%s opt=%lld packet %zu: want %lld, ours %u",
					       cap, opt, i, i < n ? want : -1, got);
				ok = 0;
			}
			i++;
		}
		if (i != n)
			ok = 0;
		pcap_close(pc);
		sniff_prog_free(&prog);
		if (ok)
			equal++;
		else
			bad++;
	}
	corpus_close(f);
	printf("corpus apply: %ld cases, %ld on in-scope link types, equal results %ld, failures %ld\n",
	       total, scope, equal, bad);
	fflush(stdout);
	ck_assert_msg(bad == 0, "apply corpus: %ld cases differ", bad);
}
END_TEST

static Suite *gen_suite(void)
{
	Suite *s = suite_create("gen");
	TCase *t = tcase_create("slice");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, slice_en10mb);
	tcase_add_test(t, same_shape);
	tcase_add_test(t, one_port_range);
	tcase_add_test(t, error_positions);
	tcase_add_test(t, unsupported_linktype);
	tcase_add_test(t, compile_opts);
	tcase_add_test(t, ip_broadcast_netmask);
	tcase_add_test(t, names_files);
	tcase_add_test(t, linux_ancillary);
	tcase_add_test(t, random_combinations);
	tcase_add_test(t, host_lists);
	tcase_add_test(t, port_lists);
	tcase_add_test(t, linux_loopback_ip6);
	suite_add_tcase(s, t);

	t = tcase_create("linktypes");
	tcase_set_timeout(t, 120);
	tcase_add_loop_test(t, slice_linktypes, 0, NDLTS);
	tcase_add_loop_test(t, full_linktypes, 0, NDLTS);
	suite_add_tcase(s, t);

	t = tcase_create("corpus");
	tcase_set_timeout(t, 300);
	tcase_add_test(t, corpus_accept);
	tcase_add_test(t, corpus_reject);
	tcase_add_test(t, corpus_apply);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gen_suite());
	int nfail;

	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail ? EXIT_FAILURE : EXIT_SUCCESS;
}
