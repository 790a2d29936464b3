/* tests/test_ebpf_protochain.c - `protochain` in the kernel as a bounded
 * loop (ebpf/loop.c), against oracles:
 *   - libpcap's own program for the expression (its walk is a loop too, with
 *     no bound) run by libpcap's bpf_filter: the same verdict on every packet
 *     whose chain is within our bound, truncated packets included;
 *   - past the bound, our documented rule ("a longer chain is not matched",
 *     cbpf/gen-protochain.c): the verdict of our unrolled classic program,
 *     run by libpcap's bpf_filter, and for a chain whose protocol lies only
 *     beyond the bound, "not matched" where libpcap says matched;
 *   - the verifier (the loop must load) and the size of the program.
 * Packets: Ethernet + IPv6 with 0..110 extension headers (hop-by-hop,
 * destination options, routing, fragment, AH) or IPv4 with 0..20 AH
 * headers, then a random final protocol, whole or cut anywhere. libpcap
 * (1.10) loses X after an AH header (X = the AH length, not X plus it), so
 * its unbounded walk may never end there: packets with AH are checked
 * against the unrolled program (which keeps libpcap's loads) only.
 * Needs CAP_BPF: skips with a notice otherwise, fails when CI=true.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libpcap's struct bpf_insn and the kernel's eBPF one share a name */
#define bpf_insn pcap_bpf_insn
#include <pcap/pcap.h>
#undef bpf_insn

#include "ebpf/ebpf.h"
#include "testutil.h"

#define LINKHDR 14        /* BPF_PROG_TEST_RUN pulls an Ethernet header first */
#define MAXPKT 2048
#define BOUND6 104        /* rounds of one IPv6 walk (gen-protochain.c) */
#define BOUND4 16

struct pkt {
	uint8_t b[LINKHDR + MAXPKT];   /* the 14 bytes the kernel pulls, then the frame */
	unsigned len;                  /* frame length */
	unsigned chain;                /* headers walked before the final protocol */
	int has_ah;                    /* libpcap 1.10 loses X after an AH header:
					* its unbounded walk may never end */
};

static const uint8_t ext6[] = { 0, 60, 43, 44, 51 };
static const uint8_t finals[] = { 17, 6, 59, 58, 1, 132 };

/* Ethernet + IPv6 or IPv4 + CHAIN headers + a final protocol (TARGET a
 * quarter of the time), whole or (a quarter of the time) cut anywhere. */
static void build(struct test_rng *g, struct pkt *k, int v6, unsigned chain, unsigned target)
{
	uint8_t *f = k->b + LINKHDR;
	unsigned off = v6 ? 14 + 40 : 14 + 20, name = v6 ? 14 + 6 : 14 + 9;
	int allow_ah;

	memset(k->b, 0, sizeof(k->b));
	memset(k->b, 0xff, 6);
	memset(k->b + 6, 2, 6);
	k->b[12] = 0x88;               /* a local ethertype: the kernel parses nothing */
	k->b[13] = 0xb5;
	memset(f, 0xff, 6);
	memset(f + 6, 2, 6);
	f[12] = v6 ? 0x86 : 0x08;
	f[13] = v6 ? 0xdd : 0x00;
	f[14] = v6 ? 0x60 : 0x45;
	k->chain = chain;
	k->has_ah = 0;
	allow_ah = !v6 || test_below(g, 2);
	for (unsigned i = 0; i <= chain; i++) {
		unsigned next, hlen;

		/* header i's type, in the IP header or the previous header */
		if (i == chain)
			next = test_below(g, 4) ? finals[test_below(g, sizeof(finals))] : target;
		else
			next = v6 ? ext6[test_below(g, sizeof(ext6) - !allow_ah)] : 51;
		k->has_ah |= next == 51;
		f[name] = (uint8_t)next;
		if (i == chain)
			break;
		if (next == 51) {
			hlen = 4 * (2 + test_below(g, 3));        /* AH: (len + 2) * 4 */
			f[off + 1] = (uint8_t)(hlen / 4 - 2);
		} else {
			hlen = 8 * (1 + test_below(g, 2));        /* (len + 1) * 8 */
			f[off + 1] = (uint8_t)(hlen / 8 - 1);
		}
		name = off;
		off += hlen;
		ck_assert_uint_lt(off + 40, MAXPKT);
	}
	k->len = off + 8 + test_below(g, 32);     /* ports and some payload */
	if (k->len < 60)
		k->len = 60;
	if (!v6) {
		f[14 + 2] = (uint8_t)((k->len - 14) >> 8);
		f[14 + 3] = (uint8_t)(k->len - 14);
	}
	if (test_below(g, 4) == 0)
		k->len = 14 + test_below(g, k->len - 14 + 1);
}

static uint32_t run_kernel(int fd, const struct pkt *k)
{
	uint32_t ret = 0, ns = 0;

	ck_assert_int_eq(eb_test_run(fd, k->b, LINKHDR + k->len, 1, &ret, &ns), 0);
	return ret;
}

static uint32_t run_pcap(const struct bpf_program *bp, const struct pkt *k)
{
	return bpf_filter(bp->bf_insns, k->b + LINKHDR, k->len, k->len);
}

static int has_backward_jump(const struct sniff_ebpf_prog *e)
{
	for (unsigned i = 0; i < e->len; i++) {
		uint8_t cls = e->insns[i].code & 7;

		if ((cls == BPF_JMP || cls == BPF_JMP32) && e->insns[i].off < 0)
			return 1;
	}
	return 0;
}

struct pcase {
	const char *expr;
	int v6;          /* the chains the packets carry */
	unsigned target; /* the protocol the walk looks for */
	unsigned bound;
};

static const struct pcase cases[] = {
	{ "ip6 protochain 17", 1, 17, BOUND6 },
	{ "ip6 protochain 6", 1, 6, BOUND6 },
	{ "not ip6 protochain 17", 1, 17, BOUND6 },
	{ "ip6 protochain 58 or ip6 protochain 6", 1, 58, BOUND6 / 2 },
	{ "ip protochain 17", 0, 17, BOUND4 },
	{ "protochain 6", 1, 6, BOUND6 },
	{ "protochain 6", 0, 6, BOUND4 },
	{ "ip6 protochain 17 and len > 100", 1, 17, BOUND6 },
};

START_TEST(loop_vs_libpcap)
{
	const struct pcase *c = &cases[_i];
	SNIFF_OPTS(sniff_compile_opts, o, .optimize = 1);
	struct sniff_ebpf_prog e = { 0 };
	struct sniff_prog unrolled = { 0 };
	struct sniff_error err;
	struct bpf_program lp;
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 262144);
	static char log[1 << 16];
	static struct pkt k;
	struct test_rng g = { 0x9E3779B97F4A7C15ULL ^ (uint64_t)_i };
	unsigned within = 0, beyond = 0, cut = 0, differ_lp = 0, unrolled_only = 0;
	int fd;

	if (!test_have_bpf(__func__, 0))
		return;
	ck_assert_int_eq(eb_protochain_compile(c->expr, DLT_EN10MB, &o, &e, &err), 0);
	ck_assert_msg(has_backward_jump(&e), "%s: no loop in the eBPF program", c->expr);
	fd = eb_load(e.insns, e.len, log, sizeof(log));
	ck_assert_msg(fd >= 0, "%s: verifier: %s", c->expr, log);
	ck_assert_int_eq(sniff_compile(c->expr, DLT_EN10MB, &o, &unrolled, &err), 0);
	ck_assert_int_eq(pcap_compile(pc, &lp, c->expr, 1, PCAP_NETMASK_UNKNOWN), 0);
	for (unsigned i = 0; i < 3000; i++) {
		unsigned chain = i < 300 ? i % (c->bound + 8) : test_below(&g, c->bound + 8);
		uint32_t got, want_lp, want_unrolled;

		build(&g, &k, c->v6, chain, c->target);
		got = run_kernel(fd, &k);
		want_unrolled = bpf_filter((const struct pcap_bpf_insn *)unrolled.insns,
					   k.b + LINKHDR, k.len, k.len);
		ck_assert_msg(got == want_unrolled, "%s, chain %u, len %u: eBPF loop %u, unrolled "
			      "classic %u", c->expr, chain, k.len, got, want_unrolled);
		if (k.has_ah) {
			unrolled_only++;
			continue;
		}
		want_lp = run_pcap(&lp, &k);
		if (k.chain < c->bound) {
			ck_assert_msg(got == want_lp, "%s, chain %u, len %u: eBPF loop %u, libpcap %u",
				      c->expr, chain, k.len, got, want_lp);
			within++;
			cut += k.len < 54;
		} else {
			beyond++;
			differ_lp += got != want_lp;
		}
	}
	/* the cases reach past the bound, where only the rule tells them apart */
	ck_assert_uint_gt(within, 50);
	ck_assert_uint_gt(cut, 5);
	ck_assert(!c->v6 || beyond > 10);
	fprintf(stderr, "%s: %u packets within the bound agree with libpcap (%u truncated), "
		"%u beyond it follow the unrolled rule (%u of them differ from libpcap), %u with "
		"AH headers agree with the unrolled program only\n", c->expr, within, cut, beyond,
		differ_lp, unrolled_only);
	close(fd);
	pcap_freecode(&lp);
	pcap_close(pc);
	sniff_prog_free(&unrolled);
	sniff_ebpf_free(&e);
}
END_TEST

/* A chain with the protocol only past the bound: libpcap finds it, the
 * bounded walk (like the unrolled classic program) does not. */
START_TEST(beyond_the_bound)
{
	SNIFF_OPTS(sniff_compile_opts, o, .optimize = 1);
	struct sniff_ebpf_prog e = { 0 };
	struct sniff_error err;
	struct bpf_program lp;
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 262144);
	static struct pkt k;
	uint8_t *f = k.b + LINKHDR;
	int fd;

	if (!test_have_bpf(__func__, 0))
		return;
	ck_assert_int_eq(eb_protochain_compile("ip6 protochain 17", DLT_EN10MB, &o, &e, &err), 0);
	fd = eb_load(e.insns, e.len, NULL, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pcap_compile(pc, &lp, "ip6 protochain 17", 1, PCAP_NETMASK_UNKNOWN), 0);
	for (unsigned n = BOUND6 - 2; n <= BOUND6 + 2; n++) {
		unsigned off = 14 + 40;

		memset(k.b, 0, sizeof(k.b));
		f[12] = 0x86;
		f[13] = 0xdd;
		f[14] = 0x60;
		f[14 + 6] = 60;                 /* destination options, n times */
		for (unsigned i = 0; i < n; i++, off += 8)
			f[off] = i + 1 < n ? 60 : 17;  /* each 8 bytes long (len 0) */
		k.len = off + 8;
		/* headers walked before UDP: n (the IPv6 header's field + n - 1 ext) */
		ck_assert_uint_eq(run_pcap(&lp, &k), 262144);
		ck_assert_uint_eq(run_kernel(fd, &k), n < BOUND6 ? 262144 : 0);
	}
	close(fd);
	pcap_freecode(&lp);
	pcap_close(pc);
	sniff_ebpf_free(&e);
}
END_TEST

/* Small, and the dump shows the loop; the classic form stays unrolled. */
START_TEST(size_and_dump)
{
	SNIFF_OPTS(sniff_compile_opts, o, .optimize = 1);
	struct sniff_ebpf_prog e = { 0 };
	struct sniff_prog p = { 0 };
	struct sniff_error err;
	char line[128];
	int back = 0;

	ck_assert_int_eq(eb_protochain_compile("ip6 protochain 17", DLT_EN10MB, &o, &e, &err), 0);
	ck_assert_uint_lt(e.len, 200);
	for (unsigned i = 0; i < e.len; i += (unsigned)eb_insn_text(e.insns + i, e.len - i, line,
								      sizeof(line)))
		back += strstr(line, "goto pc-") != NULL;
	ck_assert_int_eq(back, 1);
	ck_assert_int_eq(sniff_compile("ip6 protochain 17", DLT_EN10MB, &o, &p, &err), 0);
	ck_assert_uint_gt(p.len, 1000);   /* unrolled for classic BPF */
	sniff_prog_free(&p);
	sniff_ebpf_free(&e);
	/* no protochain: the caller compiles the usual way */
	ck_assert_int_eq(eb_protochain_compile("udp port 53", DLT_EN10MB, &o, &e, &err), -ENOENT);
	ck_assert_int_eq(eb_protochain_compile("host protochain", DLT_EN10MB, &o, &e, &err) < 0, 1);
}
END_TEST

static Suite *protochain_suite(void)
{
	Suite *s = suite_create("ebpf_protochain");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, loop_vs_libpcap, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, beyond_the_bound);
	tcase_add_test(tc, size_and_dump);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(protochain_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
