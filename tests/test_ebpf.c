/* tests/test_ebpf.c - the eBPF backend (ebpf/) against oracles it does not
 * share code with:
 *   - libpcap's bpf_filter(): random valid classic programs x random packets,
 *     our translation run in the kernel with BPF_PROG_TEST_RUN, and our own
 *     interpreter (cbpf/interp.c) on the same program and packet;
 *   - the kernel's own classic path: the same program attached with
 *     SO_ATTACH_FILTER and, translated, with SO_ATTACH_BPF, on the same kind
 *     of socket (AF_UNIX datagrams; AF_PACKET on a veth pair in a private
 *     network namespace for the ancillary fields);
 *   - libpcap's compiler: every program of the corpus (accept.jsonl) is
 *     translated, verified and run over real captures;
 *   - the kernel's classic checker (SO_ATTACH_FILTER accepts or refuses);
 *   - the verifier itself, also for a loader holding CAP_BPF alone;
 *   - bpftool's disassembly of what the kernel kept (`prog dump xlated`).
 * Loading needs CAP_BPF: without it the tests skip with a notice, and fail
 * when CI=true. SNIFF_EBPF_PROGS (100000) and SNIFF_EBPF_KPROGS (10000) size
 * the random runs; SNIFF_SEED=<printed seed> repeats one.
 */
#define _GNU_SOURCE 1
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

/* libpcap's struct bpf_insn and the kernel's eBPF one share a name */
#define bpf_insn pcap_bpf_insn
#include <pcap/pcap.h>
#undef bpf_insn

#include "ebpf/ebpf.h"
#include "cbpf/cbpf.h"
#include "testutil.h"
#include <linux/filter.h>

#define LINKHDR 14    /* BPF_PROG_TEST_RUN pulls an Ethernet header first */
#define MAXPKT 160
#define BIGPKT 700

/* Translation variants every comparison covers. */
static const unsigned flagsets[] = {
	0,                                    /* direct reads where possible */
	EB_F_NO_DIRECT,                       /* helper calls, shared and widened */
	EB_F_NO_DIRECT | EB_F_NO_CACHE,       /* one helper call per load */
	EB_F_FORCE_WINDOW,
	EB_F_FORCE_WINDOW | EB_F_LONG_JA,
};
#define NFLAGSETS (sizeof(flagsets) / sizeof(flagsets[0]))

/* ------------------------------------------------------------------ helpers */

static void print_line(void *ctx, const char *line)
{
	fprintf((FILE *)ctx, "    %s\n", line);
}

/* Show a failing case: the classic program as libpcap prints it, ours. */
static void show_case(const struct sniff_insn *p, unsigned n, unsigned flags,
		      const uint8_t *pkt, unsigned len)
{
	struct sniff_ebpf_prog e;

	fprintf(stderr, "classic program (bpf_image):\n");
	for (unsigned i = 0; i < n; i++)
		fprintf(stderr, "    %s\n", bpf_image((const struct pcap_bpf_insn *)&p[i], (int)i));
	if (eb_translate_ex(p, n, flags, &e, NULL) == 0) {
		fprintf(stderr, "eBPF (flags %u):\n", flags);
		eb_dump(e.insns, e.len, 1, print_line, stderr);
		sniff_ebpf_free(&e);
	}
	if (pkt) {
		fprintf(stderr, "packet (%u bytes):", len);
		for (unsigned i = 0; i < len; i++)
			fprintf(stderr, "%s%02x", i % 16 ? " " : "\n    ", pkt[i]);
		fprintf(stderr, "\n");
	}
}

static int load_prog(const struct sniff_insn *p, unsigned n, unsigned flags)
{
	static char log[1 << 16];
	struct sniff_ebpf_prog e;
	struct sniff_error err;
	int r, fd;

	r = eb_translate_ex(p, n, flags, &e, &err);
	if (r) {
		show_case(p, n, flags, NULL, 0);
		ck_abort_msg("translate failed: %d %s", r, err.msg);
	}
	fd = eb_load(e.insns, e.len, log, sizeof(log));
	if (fd < 0) {
		show_case(p, n, flags, NULL, 0);
		fprintf(stderr, "verifier log:\n%s\n", log);
	}
	sniff_ebpf_free(&e);
	ck_assert_msg(fd >= 0, "BPF_PROG_LOAD refused the translation: %s", strerror(-fd));
	return fd;
}

/* The program's verdict in the kernel on PKT as the program sees it. */
static uint32_t run_kernel(int fd, const uint8_t *pkt, unsigned len)
{
	uint8_t buf[LINKHDR + 2048];
	uint32_t ret = 0;
	int r;

	ck_assert_uint_le(len, 2048);
	memset(buf, 0, LINKHDR);
	memset(buf, 0xff, 6);                   /* broadcast: a stable pkt_type */
	buf[12] = 0x88;                         /* not IP: the kernel checks no header */
	buf[13] = 0xb5;
	memcpy(buf + LINKHDR, pkt, len);
	r = eb_test_run(fd, buf, LINKHDR + len, 1, &ret, NULL);
	ck_assert_msg(r == 0, "BPF_PROG_TEST_RUN: %s", strerror(-r));
	return ret;
}

static uint32_t run_pcap(const struct sniff_insn *p, const uint8_t *pkt, unsigned len)
{
	return bpf_filter((const struct pcap_bpf_insn *)p, pkt, len, len);
}

/* A batch of packets for one program (loading a long program costs). */
struct pkts {
	unsigned n;
	unsigned len[64];
	uint8_t data[64][64];
};

static void pkts_add(struct pkts *b, const uint8_t *pkt, unsigned len)
{
	ck_assert_uint_lt(b->n, 64);
	ck_assert_uint_le(len, 64);
	memcpy(b->data[b->n], pkt, len);
	b->len[b->n++] = len;
}

/* Both oracles agree on this program for these packets, with every flag. */
static void check_prog_pcap(const struct sniff_insn *p, unsigned n, const struct pkts *b)
{
	for (unsigned f = 0; f < NFLAGSETS; f++) {
		unsigned flags = flagsets[f];
		int fd = load_prog(p, n, flags);

		for (unsigned i = 0; i < b->n; i++) {
			uint32_t want = run_pcap(p, b->data[i], b->len[i]);
			uint32_t got = run_kernel(fd, b->data[i], b->len[i]);

			if (got != want)
				show_case(p, n, flags, b->data[i], b->len[i]);
			ck_assert_msg(got == want, "flags %u: eBPF returned %u, bpf_filter %u",
				      flags, got, want);
		}
		close(fd);
	}
}

/* ------------------------------------------------ random classic programs */

static const uint32_t interesting[] = {
	0, 1, 2, 3, 4, 7, 8, 12, 14, 15, 16, 20, 31, 32, 33, 63, 64, 127, 128, 255, 256,
	0x800, 0x86dd, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe,
	0xffffffff,
};

static uint32_t rconst(struct test_rng *g)
{
	switch (test_below(g, 4)) {
	case 0:
	case 1: return interesting[test_below(g, sizeof(interesting) / sizeof(interesting[0]))];
	case 2: return test_below(g, 300);
	default: return test_rnd(g);
	}
}

/* Each program's loads crowd around one base half of the time, so that they
 * overlap: what the translator's load sharing and widening feed on. */
static uint32_t cluster_base;

/* Offsets libpcap and the kernel read alike: never near SKF_NET_OFF or
 * SKF_LL_OFF (kernel-only ranges) nor in the ancillary range. */
static uint32_t roff(struct test_rng *g)
{
	static const uint32_t far[] = { 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xc0000000 };

	if (test_below(g, 2))
		return cluster_base + test_below(g, 10);
	if (test_below(g, 16))
		return test_below(g, MAXPKT / 2 + 8);
	return far[test_below(g, 5)];
}

/* Offsets for the kernel-vs-kernel oracle: also the special ranges. */
static uint32_t roff_kernel(struct test_rng *g)
{
	switch (test_below(g, 10)) {
	case 0: return (uint32_t)SKF_NET_OFF + test_below(g, 48);
	case 1: return (uint32_t)SKF_LL_OFF + test_below(g, 48);
	case 2: return (uint32_t)(SKF_AD_OFF - 1) - test_below(g, 64); /* below ancillary */
	default: return roff(g);
	}
}

static const uint32_t anc_ok[] = {
	SKF_AD_PROTOCOL, SKF_AD_PKTTYPE, SKF_AD_IFINDEX, SKF_AD_MARK, SKF_AD_QUEUE,
	SKF_AD_RXHASH, SKF_AD_CPU, SKF_AD_ALU_XOR_X, SKF_AD_VLAN_TAG,
	SKF_AD_VLAN_TAG_PRESENT, SKF_AD_VLAN_TPID,
};

struct gen {
	struct test_rng *g;
	int kernel;                    /* kernel-vs-kernel: kernel-only features too */
	struct sniff_insn p[4096];
	unsigned char pair2[4096];     /* second half of a pair: no jump lands there */
	unsigned char isjump[4096];
	unsigned n;
	unsigned char written[16];     /* slots stored before the first jump */
};

static void put(struct gen *G, uint16_t code, uint32_t k)
{
	G->p[G->n] = (struct sniff_insn){ code, 0, 0, k };
	G->pair2[G->n] = 0;
	G->isjump[G->n] = 0;
	G->n++;
}

/* Two instructions that must run together (X bounded for the next one). */
static void put_pair(struct gen *G, uint16_t c1, uint32_t k1, uint16_t c2, uint32_t k2)
{
	put(G, c1, k1);
	put(G, c2, k2);
	G->pair2[G->n - 1] = 1;
}

static void put_ret_a(struct gen *G)
{
	struct test_rng *g = G->g;

	if (G->kernel) {
		/* the socket oracle sees min(len, ret): bring A into range */
		put(G, BPF_ALU | BPF_RSH | BPF_K, test_below(g, 24));
		put(G, BPF_ALU | BPF_AND | BPF_K, 0x3ff);
	}
	put(G, BPF_RET | BPF_A, 0);
}

static void put_ret_k(struct gen *G)
{
	struct test_rng *g = G->g;

	put(G, BPF_RET | BPF_K, G->kernel || test_below(g, 2) ? test_below(g, BIGPKT + 100) : rconst(g));
}

static void gen_body_insn(struct gen *G)
{
	static const uint16_t sizes[3] = { BPF_W, BPF_H, BPF_B };
	static const uint16_t alu[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND,
					BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH };
	static const uint16_t jops[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET };
	struct test_rng *g = G->g;
	uint16_t sz = sizes[test_below(g, 3)];
	uint32_t k;

	switch (test_below(g, 20)) {
	case 0:
	case 1:
	case 2:
		k = G->kernel ? roff_kernel(g) : roff(g);
		if (G->kernel && test_below(g, 6) == 0)
			k = (uint32_t)SKF_AD_OFF + anc_ok[test_below(g, sizeof(anc_ok) / 4)];
		put(G, BPF_LD | sz | BPF_ABS, k);
		break;
	case 3: /* ld [x + k] with X known small, or anything for the kernel */
		if (G->kernel && test_below(g, 2))
			/* the ancillary range means nothing special to ld [x + k] */
			put(G, BPF_LD | sz | BPF_IND, test_below(g, 4) ? roff_kernel(g)
			    : (uint32_t)SKF_AD_OFF + test_below(g, 64));
		else if (test_below(g, 3))
			/* X + k must not wrap: the kernel wraps, libpcap fails */
			put_pair(G, BPF_LDX | BPF_W | BPF_IMM, test_below(g, 64), BPF_LD | sz | BPF_IND,
				 roff(g));
		else if (test_below(g, 2))
			put_pair(G, BPF_LDX | BPF_W | BPF_IMM, 0x7fffff00 + test_below(g, 0x200),
				 BPF_LD | sz | BPF_IND, test_below(g, MAXPKT));
		else
			put_pair(G, BPF_LDX | BPF_B | BPF_MSH, roff(g), BPF_LD | sz | BPF_IND,
				 roff(g));
		break;
	case 4:
		put(G, BPF_LDX | BPF_B | BPF_MSH, G->kernel ? roff_kernel(g) : roff(g));
		break;
	case 5:
		switch (test_below(g, 4)) {
		case 0: put(G, BPF_LD | BPF_IMM, rconst(g)); break;
		case 1: put(G, BPF_LDX | BPF_W | BPF_IMM, rconst(g)); break;
		case 2: put(G, BPF_LD | BPF_W | BPF_LEN, 0); break;
		default: put(G, BPF_LDX | BPF_W | BPF_LEN, 0); break;
		}
		break;
	case 6: { /* M[] reads only of slots written on every path */
		unsigned s = test_below(g, 16);

		if (G->written[s])
			put(G, test_below(g, 2) ? (BPF_LD | BPF_MEM) : (BPF_LDX | BPF_MEM), s);
		else
			put(G, test_below(g, 2) ? BPF_ST : BPF_STX, s);
		break;
	}
	case 7:
	case 8:
	case 9:
	case 10: {
		uint16_t op = alu[test_below(g, 10)];

		k = rconst(g);
		if ((op == BPF_DIV || op == BPF_MOD) && k == 0)
			k = 1 + test_below(g, 9);
		if (op == BPF_LSH || op == BPF_RSH)
			k = test_below(g, 32);
		put(G, BPF_ALU | op | BPF_K, k);
		break;
	}
	case 11:
	case 12: {
		uint16_t op = alu[test_below(g, 10)];

		if ((op == BPF_LSH || op == BPF_RSH) && !G->kernel)
			/* libpcap and the kernel differ on X >= 32: keep X below */
			put_pair(G, BPF_LDX | BPF_W | BPF_IMM, test_below(g, 32), BPF_ALU | op | BPF_X, 0);
		else if ((op == BPF_DIV || op == BPF_MOD) && test_below(g, 2))
			put_pair(G, BPF_LDX | BPF_W | BPF_IMM, test_below(g, 4), BPF_ALU | op | BPF_X, 0);
		else
			put(G, BPF_ALU | op | BPF_X, 0);
		break;
	}
	case 13:
		switch (test_below(g, 3)) {
		case 0: put(G, BPF_ALU | BPF_NEG, 0); break;
		case 1: put(G, BPF_MISC | BPF_TAX, 0); break;
		default: put(G, BPF_MISC | BPF_TXA, 0); break;
		}
		break;
	case 14:
	case 15:
	case 16:
	case 17:
		put(G, BPF_JMP | jops[test_below(g, 4)] | (test_below(g, 3) ? BPF_K : BPF_X), rconst(g));
		G->isjump[G->n - 1] = 1;
		break;
	case 18:
		put(G, BPF_JMP | BPF_JA, 0);
		G->isjump[G->n - 1] = 1;
		break;
	default:
		if (test_below(g, 2))
			put_ret_a(G);
		else
			put_ret_k(G);
		break;
	}
}

static unsigned pick_target(struct gen *G, unsigned pc, unsigned maxdist)
{
	unsigned last = G->n - 1, hi = pc + maxdist < last ? pc + maxdist : last;
	unsigned t = pc + 1 + test_below(G->g, hi - pc);

	if (G->pair2[t])
		t--; /* onto the pair's first half, which is after pc */
	return t;
}

/* A program the kernel accepts and (unless G->kernel) libpcap runs alike. */
static unsigned gen_prog(struct gen *G, unsigned body)
{
	struct test_rng *g = G->g;
	unsigned i, nslots = test_below(g, 5);

	G->n = 0;
	cluster_base = test_below(g, MAXPKT / 2);
	memset(G->written, 0, sizeof(G->written));
	for (i = 0; i < nslots; i++) {
		unsigned s = test_below(g, 16);

		put(G, BPF_LD | BPF_IMM, rconst(g));
		put(G, test_below(g, 2) ? BPF_ST : BPF_STX, s);
		G->written[s] = 1;
	}
	for (i = 0; i < body; i++)
		gen_body_insn(G);
	put_ret_a(G);
	put_ret_k(G);
	if (test_below(g, 2))
		put_ret_a(G);
	for (i = 0; i < G->n; i++) {
		struct sniff_insn *in = &G->p[i];

		if (!G->isjump[i])
			continue;
		if (BPF_OP(in->code) == BPF_JA) {
			in->k = pick_target(G, i, G->n) - i - 1;
		} else {
			in->jt = (uint8_t)(pick_target(G, i, 256) - i - 1);
			in->jf = (uint8_t)(test_below(g, 4) ? pick_target(G, i, 256) - i - 1 : 0);
			if (test_below(g, 4) == 0) {
				uint8_t t = in->jt;

				in->jt = in->jf;
				in->jf = t;
			}
		}
	}
	return G->n;
}

static unsigned gen_packet_len(struct test_rng *g, uint8_t *pkt, unsigned len);

static unsigned gen_packet(struct test_rng *g, uint8_t *pkt, unsigned max)
{
	return gen_packet_len(g, pkt, test_below(g, 8) ? test_below(g, max + 1) : test_below(g, 16));
}

/* A length at a boundary of one of the program's loads: its end (k + size,
 * plus X for ld [x + k] after ldx #imm) -1 .. +3, where a translation that
 * widens a load or assumes a length would show it. */
static unsigned gen_packet_edge(struct gen *G, uint8_t *pkt, unsigned max)
{
	struct test_rng *g = G->g;

	for (int tries = 0; tries < 8; tries++) {
		unsigned pc = test_below(g, G->n);
		const struct sniff_insn *in = &G->p[pc];
		uint64_t end;

		if (BPF_CLASS(in->code) == BPF_LD && BPF_MODE(in->code) == BPF_ABS)
			end = (uint64_t)in->k + (BPF_SIZE(in->code) == BPF_W ? 4 :
						 BPF_SIZE(in->code) == BPF_H ? 2 : 1);
		else if (in->code == (BPF_LDX | BPF_B | BPF_MSH))
			end = (uint64_t)in->k + 1;
		else if (BPF_CLASS(in->code) == BPF_LD && BPF_MODE(in->code) == BPF_IND && pc > 0 &&
			 G->p[pc - 1].code == (BPF_LDX | BPF_W | BPF_IMM))
			end = (uint64_t)G->p[pc - 1].k + in->k + 4;
		else
			continue;
		end = end + test_below(g, 5);
		if (end >= 1 && end - 1 <= max)
			return gen_packet_len(g, pkt, (unsigned)(end - 1));
	}
	return gen_packet(g, pkt, max);
}

static unsigned gen_packet_len(struct test_rng *g, uint8_t *pkt, unsigned len)
{

	for (unsigned i = 0; i < len; i++) {
		switch (test_below(g, 4)) {
		case 0: pkt[i] = 0; break;
		case 1: pkt[i] = (uint8_t)interesting[test_below(g, 30)]; break;
		default: pkt[i] = (uint8_t)test_rnd(g); break;
		}
	}
	if (len >= 24 && test_below(g, 2)) { /* an IPv4 header often enough for msh */
		pkt[12] = 0x08;
		pkt[13] = 0x00;
		pkt[14] = (uint8_t)(0x40 | (5 + test_below(g, 3)));
	}
	return len;
}

static unsigned env_count(const char *name, unsigned dflt)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned)strtoul(v, NULL, 10) : dflt;
}

/* The run's seed, printed so that SNIFF_SEED=... repeats a failure. */
static uint64_t seed_from_env(const char *test)
{
	const char *v = getenv("SNIFF_SEED");
	uint64_t seed;

	if (v && *v)
		seed = strtoull(v, NULL, 0);
	else
		seed = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
	fprintf(stderr, "%s: SNIFF_SEED=%#llx\n", test, (unsigned long long)seed);
	return seed;
}

/* --------------------------------------------- property: eBPF == bpf_filter */

START_TEST(prop_vs_libpcap)
{
	static struct gen G;
	struct test_rng g = { seed_from_env(__func__) | 1 };
	unsigned nprogs = env_count("SNIFF_EBPF_PROGS", 100000), npkts = 8;
	uint8_t pkt[MAXPKT];
	unsigned long runs = 0;
	struct timespec t0, t1;

	if (!test_have_bpf(__func__, 0))
		return;
	fprintf(stderr, "prop_vs_libpcap: %u programs x %u packets\n", nprogs, npkts);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	G.g = &g;
	G.kernel = 0;
	for (unsigned i = 0; i < nprogs; i++) {
		unsigned n = gen_prog(&G, 1 + test_below(&g, i % 10 == 0 ? 200 : 24));
		unsigned flags = flagsets[test_below(&g, NFLAGSETS)];
		int fd = load_prog(G.p, n, flags);

		for (unsigned j = 0; j < npkts; j++) {
			unsigned len = j & 1 ? gen_packet_edge(&G, pkt, MAXPKT)
				: gen_packet(&g, pkt, MAXPKT);
			uint32_t want = run_pcap(G.p, pkt, len), got = run_kernel(fd, pkt, len);
			/* gen_prog keeps X < 32 before a shift here, where the
			 * kernel and libpcap (and so our interpreter) agree */
			uint32_t interp = cb_run(G.p, n, pkt, len, len, NULL, 0);

			runs++;
			if (interp != want) {
				show_case(G.p, n, flags, pkt, len);
				close(fd);
				ck_abort_msg("program %u: our interpreter returned %u, bpf_filter %u",
					     i, interp, want);
			}
			if (got != want) {
				show_case(G.p, n, flags, pkt, len);
				close(fd);
				ck_abort_msg("program %u: eBPF returned %u, bpf_filter %u", i, got,
					     want);
			}
		}
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "prop_vs_libpcap: %lu runs agree: kernel eBPF == bpf_filter == "
		"our interpreter (%.1f s)\n", runs,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}
END_TEST

/* ------------------------- property: eBPF == the kernel's classic path */

struct upair {
	int tx, rx;
};

static void upair_open(struct upair *u)
{
	int sv[2], sz = 1 << 20;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	u->tx = sv[0];
	u->rx = sv[1];
	setsockopt(u->rx, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

static void upair_close(struct upair *u)
{
	close(u->tx);
	close(u->rx);
}

static int attach_classic(int s, const struct sniff_insn *p, unsigned n)
{
	struct sock_fprog f = { (unsigned short)n, (struct sock_filter *)(uintptr_t)p };

	return setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &f, sizeof(f)) ? -errno : 0;
}

static int attach_ebpf(int s, int fd)
{
	return setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, &fd, sizeof(fd)) ? -errno : 0;
}

/* Bytes the receiver got for PKT (min(len, max(1, ret))), -1 when dropped. */
static long upair_verdict(struct upair *u, const uint8_t *pkt, unsigned len)
{
	static uint8_t buf[BIGPKT + 64];
	long n;

	ck_assert_int_eq(send(u->tx, pkt, len, 0), (int)len);
	n = recv(u->rx, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0) {
		ck_assert_msg(errno == EAGAIN, "recv: %s", strerror(errno));
		return -1;
	}
	return n;
}

static void pin_cpu(void)
{
	cpu_set_t set;

	/* SKF_AD_CPU must read the same in both sockets' runs */
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

START_TEST(prop_vs_kernel_classic)
{
	static struct gen G;
	struct test_rng g = { seed_from_env(__func__) * 3 | 1 };
	unsigned nprogs = env_count("SNIFF_EBPF_KPROGS", 10000), npkts = 6;
	struct upair uc, ue;
	uint8_t pkt[BIGPKT];
	unsigned long runs = 0;

	if (!test_have_bpf(__func__, 0))
		return;
	pin_cpu();
	upair_open(&uc);
	upair_open(&ue);
	fprintf(stderr, "prop_vs_kernel_classic: %u programs x %u packets\n", nprogs, npkts);
	G.g = &g;
	G.kernel = 1;
	for (unsigned i = 0; i < nprogs; i++) {
		unsigned n = gen_prog(&G, 1 + test_below(&g, 30)), flags = flagsets[test_below(&g, NFLAGSETS)];
		int fd, r;

		r = attach_classic(uc.rx, G.p, n);
		if (r) {
			show_case(G.p, n, flags, NULL, 0);
			ck_abort_msg("the kernel refused a generated program: %s", strerror(-r));
		}
		fd = load_prog(G.p, n, flags);
		ck_assert_int_eq(attach_ebpf(ue.rx, fd), 0);
		close(fd);
		for (unsigned j = 0; j < npkts; j++) {
			unsigned len = j % 3 == 2 ? gen_packet_edge(&G, pkt, MAXPKT)
				: gen_packet(&g, pkt, j & 1 ? BIGPKT : MAXPKT);
			long want = upair_verdict(&uc, pkt, len), got = upair_verdict(&ue, pkt, len);

			runs++;
			if (got != want) {
				show_case(G.p, n, flags, pkt, len);
				ck_abort_msg("program %u: eBPF kept %ld bytes, classic %ld", i, got, want);
			}
		}
	}
	upair_close(&uc);
	upair_close(&ue);
	fprintf(stderr, "prop_vs_kernel_classic: %lu runs agree\n", runs);
}
END_TEST

/* Where libpcap and the kernel part ways we keep the kernel's behaviour:
 * shift by X >= 32 uses X & 31, and ld [x + k] wraps X + k at 32 bits. */
#define KS(c, k) { (uint16_t)(c), 0, 0, (uint32_t)(k) }

static const struct sniff_insn kernel_only[][6] = {
	{ KS(BPF_LD | BPF_IMM, 0x155), KS(BPF_LDX | BPF_W | BPF_IMM, 32), KS(BPF_ALU | BPF_LSH | BPF_X, 0),
	  KS(BPF_ALU | BPF_AND | BPF_K, 0x3ff), KS(BPF_ALU | BPF_ADD | BPF_K, 1), KS(BPF_RET | BPF_A, 0) },
	{ KS(BPF_LD | BPF_IMM, 0x155), KS(BPF_LDX | BPF_W | BPF_IMM, 33), KS(BPF_ALU | BPF_LSH | BPF_X, 0),
	  KS(BPF_ALU | BPF_AND | BPF_K, 0x3ff), KS(BPF_ALU | BPF_ADD | BPF_K, 1), KS(BPF_RET | BPF_A, 0) },
	{ KS(BPF_LD | BPF_IMM, 0x3ff00000), KS(BPF_LDX | BPF_W | BPF_IMM, 52), KS(BPF_ALU | BPF_RSH | BPF_X, 0),
	  KS(BPF_ALU | BPF_AND | BPF_K, 0x3ff), KS(BPF_ALU | BPF_ADD | BPF_K, 1), KS(BPF_RET | BPF_A, 0) },
	{ KS(BPF_LD | BPF_IMM, 0x3ff00000), KS(BPF_LDX | BPF_W | BPF_IMM, 0xffffffff), KS(BPF_ALU | BPF_RSH | BPF_X, 0),
	  KS(BPF_ALU | BPF_AND | BPF_K, 0x3ff), KS(BPF_ALU | BPF_ADD | BPF_K, 1), KS(BPF_RET | BPF_A, 0) },
	{ KS(BPF_LD | BPF_IMM, 0x155), KS(BPF_LDX | BPF_W | BPF_IMM, 0x80000001), KS(BPF_ALU | BPF_LSH | BPF_X, 0),
	  KS(BPF_ALU | BPF_AND | BPF_K, 0x3ff), KS(BPF_ALU | BPF_ADD | BPF_K, 1), KS(BPF_RET | BPF_A, 0) },
	{ KS(BPF_LDX | BPF_W | BPF_IMM, 0xffffffff), KS(BPF_LD | BPF_B | BPF_IND, 2),
	  KS(BPF_ALU | BPF_ADD | BPF_K, 1), KS(BPF_RET | BPF_A, 0) },
	{ KS(BPF_LDX | BPF_W | BPF_IMM, 0x80000000), KS(BPF_LD | BPF_H | BPF_IND, 0x80000003),
	  KS(BPF_ALU | BPF_ADD | BPF_K, 1), KS(BPF_RET | BPF_A, 0) },
	{ KS(BPF_LDX | BPF_W | BPF_IMM, 0xfffffffe), KS(BPF_LD | BPF_W | BPF_IND, 0xfffffff0),
	  KS(BPF_ALU | BPF_ADD | BPF_K, 1), KS(BPF_RET | BPF_A, 0) },
};

START_TEST(kernel_only_semantics)
{
	struct upair uc, ue;
	uint8_t pkt[BIGPKT];

	if (!test_have_bpf(__func__, 0))
		return;
	for (unsigned i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7 + 1);
	upair_open(&uc);
	upair_open(&ue);
	for (unsigned c = 0; c < sizeof(kernel_only) / sizeof(kernel_only[0]); c++) {
		const struct sniff_insn *p = kernel_only[c];
		unsigned n = 1;

		while (BPF_CLASS(p[n - 1].code) != BPF_RET)
			n++;
		for (unsigned f = 0; f < NFLAGSETS; f++) {
			unsigned flags = flagsets[f];
			int fd = load_prog(p, n, flags);
			long want, got;

			ck_assert_int_eq(attach_classic(uc.rx, p, n), 0);
			ck_assert_int_eq(attach_ebpf(ue.rx, fd), 0);
			close(fd);
			for (unsigned len = 0; len < 40; len += 3) {
				want = upair_verdict(&uc, pkt, len);
				got = upair_verdict(&ue, pkt, len);
				if (got != want)
					show_case(p, n, flags, pkt, len);
				ck_assert_msg(got == want, "case %u: eBPF kept %ld, kernel classic %ld",
					      c, got, want);
			}
			want = upair_verdict(&uc, pkt, sizeof(pkt));
			got = upair_verdict(&ue, pkt, sizeof(pkt));
			ck_assert_msg(got == want, "case %u: eBPF kept %ld, kernel classic %ld", c,
				      got, want);
		}
	}
	upair_close(&uc);
	upair_close(&ue);
}
END_TEST

/* --------------------------------------------------- hand-written cases */

#define S(c, k) { (uint16_t)(c), 0, 0, (uint32_t)(k) }
#define J(c, k, jt, jf) { (uint16_t)(c), jt, jf, (uint32_t)(k) }
#define CASE(...) { .p = { __VA_ARGS__ }, .n = sizeof((struct sniff_insn[]){ __VA_ARGS__ }) / sizeof(struct sniff_insn) }

struct hcase {
	struct sniff_insn p[16];
	unsigned n;
};

static const struct hcase hcases[] = {
	/* div / mod by X == 0 end the filter with 0 (native eBPF would go on) */
	CASE(S(BPF_LD | BPF_IMM, 100), S(BPF_LDX | BPF_W | BPF_IMM, 0), S(BPF_ALU | BPF_DIV | BPF_X, 0),
	     S(BPF_RET | BPF_K, 77)),
	CASE(S(BPF_LD | BPF_IMM, 100), S(BPF_LDX | BPF_W | BPF_IMM, 0), S(BPF_ALU | BPF_MOD | BPF_X, 0),
	     S(BPF_RET | BPF_K, 77)),
	CASE(S(BPF_LD | BPF_IMM, 100), S(BPF_LDX | BPF_W | BPF_IMM, 7), S(BPF_ALU | BPF_MOD | BPF_X, 0),
	     S(BPF_RET | BPF_A, 0)),
	CASE(S(BPF_LD | BPF_IMM, 0xfffffffe), S(BPF_ALU | BPF_MOD | BPF_K, 0x80000001), S(BPF_RET | BPF_A, 0)),
	CASE(S(BPF_LD | BPF_IMM, 0xfffffffe), S(BPF_ALU | BPF_DIV | BPF_K, 0x80000000), S(BPF_RET | BPF_A, 0)),
	CASE(S(BPF_LD | BPF_W | BPF_ABS, 0), S(BPF_LDX | BPF_W | BPF_LEN, 0), S(BPF_ALU | BPF_DIV | BPF_X, 0),
	     S(BPF_RET | BPF_A, 0)),
	/* 32-bit unsigned compares with constants >= 0x80000000 */
	CASE(S(BPF_LD | BPF_IMM, 0x80000000), J(BPF_JMP | BPF_JEQ | BPF_K, 0x80000000, 0, 1),
	     S(BPF_RET | BPF_K, 1), S(BPF_RET | BPF_K, 2)),
	CASE(S(BPF_LD | BPF_W | BPF_ABS, 0), J(BPF_JMP | BPF_JEQ | BPF_K, 0x80000000, 0, 1),
	     S(BPF_RET | BPF_K, 1), S(BPF_RET | BPF_K, 2)),
	CASE(S(BPF_LD | BPF_W | BPF_ABS, 0), J(BPF_JMP | BPF_JGT | BPF_K, 0x80000000, 0, 1),
	     S(BPF_RET | BPF_K, 1), S(BPF_RET | BPF_K, 2)),
	CASE(S(BPF_LD | BPF_W | BPF_ABS, 0), J(BPF_JMP | BPF_JGE | BPF_K, 0xffffffff, 0, 1),
	     S(BPF_RET | BPF_K, 1), S(BPF_RET | BPF_K, 2)),
	CASE(S(BPF_LD | BPF_W | BPF_ABS, 0), J(BPF_JMP | BPF_JSET | BPF_K, 0x80000000, 1, 0),
	     S(BPF_RET | BPF_K, 1), S(BPF_RET | BPF_K, 2)),
	CASE(S(BPF_LD | BPF_W | BPF_ABS, 0), S(BPF_LDX | BPF_W | BPF_IMM, 0x80000000),
	     J(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1), S(BPF_RET | BPF_K, 1), S(BPF_RET | BPF_K, 2)),
	/* loads at and past the end of short packets, all sizes, unaligned */
	CASE(S(BPF_LD | BPF_W | BPF_ABS, 5), S(BPF_LD | BPF_H | BPF_ABS, 7), S(BPF_LD | BPF_B | BPF_ABS, 9),
	     S(BPF_LD | BPF_W | BPF_ABS, 13), S(BPF_RET | BPF_A, 0)),
	CASE(S(BPF_LD | BPF_H | BPF_ABS, 1), S(BPF_ST, 0), S(BPF_LD | BPF_W | BPF_ABS, 6),
	     S(BPF_ALU | BPF_ADD | BPF_X, 0), S(BPF_LDX | BPF_MEM, 0), S(BPF_ALU | BPF_XOR | BPF_X, 0),
	     S(BPF_RET | BPF_A, 0)),
	CASE(S(BPF_LDX | BPF_B | BPF_MSH, 0), S(BPF_LD | BPF_H | BPF_IND, 2), S(BPF_RET | BPF_A, 0)),
	CASE(S(BPF_LDX | BPF_W | BPF_IMM, 0x7fffffff), S(BPF_LD | BPF_B | BPF_IND, 2), S(BPF_RET | BPF_A, 0)),
	CASE(S(BPF_LD | BPF_W | BPF_LEN, 0), S(BPF_RET | BPF_A, 0)),
	CASE(S(BPF_LD | BPF_B | BPF_ABS, 0x7fffffff), S(BPF_RET | BPF_K, 9)),
	CASE(S(BPF_LD | BPF_W | BPF_ABS, 0x80000000), S(BPF_RET | BPF_K, 9)),
	/* neg, and `ret a` with A unchanged since the start */
	CASE(S(BPF_LD | BPF_B | BPF_ABS, 3), S(BPF_ALU | BPF_NEG, 0), S(BPF_RET | BPF_A, 0)),
	CASE(S(BPF_RET | BPF_A, 0)),
	CASE(S(BPF_RET | BPF_K, 0xffffffff)),
};

START_TEST(hand_cases)
{
	static struct pkts b;
	uint8_t pkt[64];

	if (!test_have_bpf(__func__, 0))
		return;
	for (unsigned len = 0; len <= 24; len++) {
		for (unsigned i = 0; i < len; i++)
			pkt[i] = (uint8_t)((len * 37 + i * 11) | (i == 0 ? 0x80 : 0));
		pkts_add(&b, pkt, len);
	}
	memset(pkt, 0xff, 24);
	pkts_add(&b, pkt, 24);
	memset(pkt, 0, 24);
	pkt[0] = 0x80;
	pkts_add(&b, pkt, 24);
	for (unsigned c = 0; c < sizeof(hcases) / sizeof(hcases[0]); c++)
		check_prog_pcap(hcases[c].p, hcases[c].n, &b);
}
END_TEST

/* 4096 classic instructions: a `ja` over ~37,000 eBPF instructions (each
 * unaligned window load is 9) needs gotol. */
START_TEST(long_program_far_jumps)
{
	static struct sniff_insn p[4096];
	static struct pkts b;
	struct sniff_ebpf_prog e;
	uint8_t pkt[64];
	unsigned n = 4096, i;

	if (!test_have_bpf(__func__, 0))
		return;
	p[0] = (struct sniff_insn){ BPF_LD | BPF_H | BPF_ABS, 0, 0, 12 };
	p[1] = (struct sniff_insn){ BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0x800 };
	p[2] = (struct sniff_insn){ BPF_JMP | BPF_JA, 0, 0, n - 1 - 3 };   /* -> n-1 */
	for (i = 3; i < n - 2; i++)
		p[i] = (struct sniff_insn){ BPF_LD | BPF_W | BPF_ABS, 0, 0, 5 + (i % 3) };
	p[n - 3] = (struct sniff_insn){ BPF_LD | BPF_B | BPF_ABS, 0, 0, 40 };
	p[n - 2] = (struct sniff_insn){ BPF_RET | BPF_A, 0, 0, 0 };
	p[n - 1] = (struct sniff_insn){ BPF_RET | BPF_K, 0, 0, 111 };
	ck_assert_int_eq(eb_translate_ex(p, n, EB_F_FORCE_WINDOW, &e, NULL), 0);
	ck_assert_uint_gt(e.len, 32768); /* the jump really is beyond s16 */
	sniff_ebpf_free(&e);
	/* unforced, the window goes and no gotol is needed (older kernels, which
	 * have no direct packet reads either) */
	ck_assert_int_eq(eb_translate_ex(p, n, EB_F_NO_DIRECT, &e, NULL), 0);
	ck_assert_uint_lt(e.len, 32768);
	for (unsigned j = 0; j < e.len; j++)
		ck_assert_uint_ne(e.insns[j].code, BPF_JMP32 | BPF_JA);
	sniff_ebpf_free(&e);
	for (unsigned len = 10; len < 44; len++) {
		memset(pkt, 0x5a, sizeof(pkt));
		if (len & 1) {
			pkt[12] = 0x08;
			pkt[13] = 0;
		}
		pkts_add(&b, pkt, len);
	}
	check_prog_pcap(p, n, &b);
}
END_TEST

/* Ancillary fields through BPF_PROG_TEST_RUN, against what we put in. */
START_TEST(ancillary_test_run)
{
	struct sniff_insn p[3] = {
		{ BPF_LD | BPF_W | BPF_ABS, 0, 0, 0 },
		{ BPF_RET | BPF_A, 0, 0, 0 },
	};
	uint8_t frame[LINKHDR + 32] = { 0 };
	struct __sk_buff ctx;
	uint32_t ret;
	int fd;

	if (!test_have_bpf(__func__, 0))
		return;
	/* unicast to another host (on lo even ff:ff:... counts as multicast) */
	memcpy(frame, "\x02\x00\x00\x00\x00\x09", 6);
	frame[12] = 0x88;                /* ethertype 0x88b5, where test runs check nothing */
	frame[13] = 0xb5;
	memset(&ctx, 0, sizeof(ctx));
	ctx.mark = 0xdeadbeef;
	ctx.ifindex = 1;                 /* lo */

	p[0].k = (uint32_t)SKF_AD_OFF + SKF_AD_MARK;
	fd = load_prog(p, 2, 0);
	ck_assert_int_eq(eb_test_run_ctx(fd, frame, sizeof(frame), 1, &ctx, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0xdeadbeef);
	close(fd);

	p[0].k = (uint32_t)SKF_AD_OFF + SKF_AD_PROTOCOL;
	fd = load_prog(p, 2, 0);
	ck_assert_int_eq(eb_test_run_ctx(fd, frame, sizeof(frame), 1, &ctx, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0x88b5);
	close(fd);

	p[0].k = (uint32_t)SKF_AD_OFF + SKF_AD_PKTTYPE;
	fd = load_prog(p, 2, 0);
	ck_assert_int_eq(eb_test_run_ctx(fd, frame, sizeof(frame), 1, &ctx, &ret, NULL), 0);
	ck_assert_uint_eq(ret, PACKET_OTHERHOST);
	close(fd);

	p[0].k = (uint32_t)SKF_AD_OFF + SKF_AD_IFINDEX;
	fd = load_prog(p, 2, 0);
	ck_assert_int_eq(eb_test_run_ctx(fd, frame, sizeof(frame), 1, &ctx, &ret, NULL), 0);
	ck_assert_uint_eq(ret, if_nametoindex("lo")); /* test runs use the loopback device */
	close(fd);

	/* SKF_LL_OFF reads the link header, SKF_NET_OFF from the network header */
	p[0] = (struct sniff_insn){ BPF_LD | BPF_H | BPF_ABS, 0, 0, (uint32_t)SKF_LL_OFF + 12 };
	fd = load_prog(p, 2, 0);
	ck_assert_int_eq(eb_test_run(fd, frame, sizeof(frame), 1, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0x88b5);
	close(fd);
	frame[LINKHDR + 2] = 0x12;
	frame[LINKHDR + 3] = 0x34;
	p[0] = (struct sniff_insn){ BPF_LD | BPF_H | BPF_ABS, 0, 0, (uint32_t)SKF_NET_OFF + 2 };
	fd = load_prog(p, 2, 0);
	ck_assert_int_eq(eb_test_run(fd, frame, sizeof(frame), 1, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0x1234);
	close(fd);
}
END_TEST

START_TEST(unsupported_ancillary)
{
	static const uint32_t anc[] = { SKF_AD_HATYPE, SKF_AD_PAY_OFFSET, SKF_AD_NLATTR,
					SKF_AD_NLATTR_NEST };
	struct upair u;

	upair_open(&u);
	for (unsigned i = 0; i < 4; i++) {
		struct sniff_insn p[] = {
			{ BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)SKF_AD_OFF + anc[i] },
			{ BPF_RET | BPF_A, 0, 0, 0 },
		};
		struct sniff_ebpf_prog e;
		struct sniff_error err;

		/* valid classic (the kernel takes it), but not expressible */
		ck_assert_int_eq(attach_classic(u.rx, p, 2), 0);
		ck_assert_int_eq(eb_translate_ex(p, 2, 0, &e, &err), -EOPNOTSUPP);
		ck_assert_int_eq(err.column, 1);
		ck_assert_msg(strstr(err.msg, "eBPF") != NULL, "reason: %s", err.msg);
	}
	upair_close(&u);
}
END_TEST

/* What we refuse is what the kernel's classic checker refuses (except a read
 * of M[] before a write, which the translation tolerates). */
START_TEST(validity_vs_kernel)
{
	static struct gen G;
	struct test_rng g = { seed_from_env(__func__) * 5 | 1 };
	struct upair u;
	unsigned agree = 0;

	upair_open(&u);
	G.g = &g;
	G.kernel = 1;
	for (unsigned i = 0; i < 20000; i++) {
		unsigned n = gen_prog(&G, 1 + test_below(&g, 12)), reads_mem = 0;
		struct sniff_insn *in = &G.p[test_below(&g, n)];
		struct sniff_ebpf_prog e;
		int ours, kern;

		switch (test_below(&g, 6)) { /* one random corruption */
		case 0: in->code = (uint16_t)test_below(&g, 0x100); break;
		case 1: in->k = test_rnd(&g); break;
		case 2: in->jt = (uint8_t)test_rnd(&g); break;
		case 3: in->jf = (uint8_t)test_rnd(&g); break;
		case 4: n = 1 + test_below(&g, n); break;
		default: in->code = (uint16_t)test_rnd(&g); break;
		}
		for (unsigned j = 0; j < n; j++)
			if (G.p[j].code == (BPF_LD | BPF_MEM) || G.p[j].code == (BPF_LDX | BPF_MEM))
				reads_mem = 1;
		kern = attach_classic(u.rx, G.p, n);
		ours = eb_translate_ex(G.p, n, 0, &e, NULL);
		if (ours == 0)
			sniff_ebpf_free(&e);
		if (kern == 0) {
			if (ours)
				show_case(G.p, n, 0, NULL, 0);
			ck_assert_msg(ours == 0, "program %u: the kernel accepts it, we say %d", i, ours);
		} else if (!reads_mem) {
			if (ours == 0)
				show_case(G.p, n, 0, NULL, 0);
			ck_assert_msg(ours != 0, "program %u: the kernel refuses it (%d), we accept", i,
				      kern);
		}
		agree++;
	}
	upair_close(&u);
	fprintf(stderr, "validity_vs_kernel: %u programs\n", agree);
}
END_TEST

/* ----------------------------- ancillary loads on live AF_PACKET sockets */

static char ns_name[64];

static int run_cmd(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return r == 0 ? 0 : -1;
}

/* Runs in check's parent process, so the namespace goes also when a test fails. */
static void netns_setup(void)
{
	snprintf(ns_name, sizeof(ns_name), "sniffebpf%d", (int)getpid());
	if (geteuid() != 0)
		return;
	run_cmd("ip netns del %s 2>/dev/null", ns_name);
	if (run_cmd("ip netns add %s", ns_name) ||
	    run_cmd("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
		    "net.ipv6.conf.default.disable_ipv6=1", ns_name) ||
	    run_cmd("ip -n %s link add va type veth peer name vb", ns_name) ||
	    run_cmd("ip -n %s link set va up && ip -n %s link set vb up", ns_name, ns_name))
		ns_name[0] = '\0';
}

static void netns_teardown(void)
{
	if (ns_name[0] && geteuid() == 0)
		run_cmd("ip netns del %s 2>/dev/null", ns_name);
}

static int packet_socket(int ifindex, const struct sniff_insn *classic, unsigned n, int bpf_fd)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = ifindex };
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	ck_assert_msg(s >= 0, "AF_PACKET socket: %s", strerror(errno));
	/* the filter first, then bind: nothing unfiltered gets queued */
	if (classic)
		ck_assert_int_eq(attach_classic(s, classic, n), 0);
	else
		ck_assert_int_eq(attach_ebpf(s, bpf_fd), 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return s;
}

static long recv_one(int s)
{
	static uint8_t buf[2048];
	struct pollfd pfd = { .fd = s, .events = POLLIN };

	if (poll(&pfd, 1, 1000) != 1)
		return -1;
	return recv(s, buf, sizeof(buf), MSG_DONTWAIT);
}

#define NANC (sizeof(anc_ok) / sizeof(anc_ok[0]))

START_TEST(ancillary_af_packet)
{
	static const char *names[] = { "protocol", "pkttype", "ifindex", "mark", "queue",
				       "rxhash", "cpu", "xor_x", "vlan_tci", "vlan_present",
				       "vlan_tpid" };
	int sc[NANC][4], se[NANC][4], tx, nsfd, ifa, ifb;
	uint8_t frame[300], macb[6];
	struct ifreq ifr;
	char path[128];

	if (!test_have_bpf(__func__, 0))
		return;
	ck_assert_msg(ns_name[0], "could not create the network namespace");
	snprintf(path, sizeof(path), "/var/run/netns/%s", ns_name);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(nsfd, 0);
	ck_assert_int_eq(setns(nsfd, CLONE_NEWNET), 0);
	close(nsfd);
	pin_cpu();
	ifa = (int)if_nametoindex("va");
	ifb = (int)if_nametoindex("vb");
	ck_assert(ifa > 0 && ifb > 0);
	tx = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(tx, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "vb");
	ck_assert_int_eq(ioctl(tx, SIOCGIFHWADDR, &ifr), 0);
	memcpy(macb, ifr.ifr_hwaddr.sa_data, 6);

	/* A = field; A = ((A >> 8b) & 0xff) + 1: the bytes received = byte b + 1 */
	for (unsigned a = 0; a < NANC; a++) {
		for (unsigned b = 0; b < 4; b++) {
			struct sniff_insn p[] = {
				{ BPF_LD | BPF_IMM, 0, 0, 0x0f0f0f0f },
				{ BPF_LDX | BPF_W | BPF_IMM, 0, 0, 0x12345678 },
				{ BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)SKF_AD_OFF + anc_ok[a] },
				{ BPF_ALU | BPF_RSH | BPF_K, 0, 0, 8 * b },
				{ BPF_ALU | BPF_AND | BPF_K, 0, 0, 0xff },
				{ BPF_ALU | BPF_ADD | BPF_K, 0, 0, 1 },
				{ BPF_RET | BPF_A, 0, 0, 0 },
			};
			int fd = load_prog(p, 7, 0);

			sc[a][b] = packet_socket(ifb, p, 7, -1);
			se[a][b] = packet_socket(ifb, NULL, 0, fd);
			close(fd);
		}
	}
	for (unsigned f = 0; f < NFLAGSETS; f++) {
		struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = ifa, .sll_halen = 6 };
		uint32_t mark = f * 0x11223344u;
		/* whole TCIs: priority and DEI bits too */
		uint32_t want_vlan = f == 1 ? 0xeabc : f == 2 ? 0x3123 : 0;
		unsigned o = 12;

		memset(frame, 0x5a, sizeof(frame));
		if (f == 0)
			memcpy(frame, macb, 6);                 /* to vb: PACKET_HOST */
		else if (f == 1)
			memset(frame, 0xff, 6);                 /* broadcast */
		else if (f == 2)
			memcpy(frame, "\x01\x00\x5e\x00\x00\x01", 6); /* multicast */
		else
			memcpy(frame, "\x02\x00\x00\x00\x00\x09", 6); /* another host */
		memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
		if (want_vlan) {
			frame[o++] = f == 2 ? 0x88 : 0x81;
			frame[o++] = f == 2 ? 0xa8 : 0x00;
			frame[o++] = (uint8_t)(want_vlan >> 8);
			frame[o++] = (uint8_t)want_vlan;
		}
		frame[o++] = 0x88;                              /* local experimental */
		frame[o++] = 0xb5;
		ck_assert_int_eq(setsockopt(tx, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)), 0);
		ck_assert_int_eq(sendto(tx, frame, sizeof(frame), 0, (struct sockaddr *)&to,
					sizeof(to)), (int)sizeof(frame));
		for (unsigned a = 0; a < NANC; a++) {
			uint32_t vc = 0, ve = 0;

			for (unsigned b = 0; b < 4; b++) {
				long c = recv_one(sc[a][b]), e = recv_one(se[a][b]);

				ck_assert_msg(c >= 1 && e >= 1, "frame %u %s byte %u: nothing received "
					      "(classic %ld, eBPF %ld)", f, names[a], b, c, e);
				vc |= (uint32_t)(c - 1) << (8 * b);
				ve |= (uint32_t)(e - 1) << (8 * b);
			}
			ck_assert_msg(vc == ve, "frame %u: ld #%s: eBPF %#x, kernel classic %#x", f,
				      names[a], ve, vc);
			/* and what the frame carried */
			if (anc_ok[a] == SKF_AD_MARK)
				ck_assert_uint_eq(ve, mark);
			if (anc_ok[a] == SKF_AD_PROTOCOL)
				ck_assert_uint_eq(ve, 0x88b5);
			if (anc_ok[a] == SKF_AD_IFINDEX)
				ck_assert_uint_eq(ve, (uint32_t)ifb);
			if (anc_ok[a] == SKF_AD_VLAN_TAG_PRESENT)
				ck_assert_uint_eq(ve, want_vlan != 0);
			if (anc_ok[a] == SKF_AD_VLAN_TAG)
				ck_assert_uint_eq(ve, want_vlan);
			if (anc_ok[a] == SKF_AD_VLAN_TPID && want_vlan)
				ck_assert_uint_eq(ve, f == 2 ? 0x88a8 : 0x8100);
			if (anc_ok[a] == SKF_AD_PKTTYPE)
				ck_assert_uint_eq(ve, f == 0 ? PACKET_HOST : f == 1 ? PACKET_BROADCAST
						  : f == 2 ? PACKET_MULTICAST : PACKET_OTHERHOST);
			if (anc_ok[a] == SKF_AD_ALU_XOR_X)
				ck_assert_uint_eq(ve, 0x0f0f0f0f ^ 0x12345678);
		}
	}
	for (unsigned a = 0; a < NANC; a++)
		for (unsigned b = 0; b < 4; b++) {
			close(sc[a][b]);
			close(se[a][b]);
		}
	close(tx);
}
END_TEST

/* SKF_AD_RANDOM: loads, runs, and is not a constant. */
START_TEST(ancillary_random)
{
	struct sniff_insn p[] = {
		{ BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)SKF_AD_OFF + SKF_AD_RANDOM },
		{ BPF_RET | BPF_A, 0, 0, 0 },
	};
	uint8_t frame[LINKHDR + 8] = { 0 };
	uint32_t first = 0, ret, differ = 0;
	int fd;

	if (!test_have_bpf(__func__, 0))
		return;
	fd = load_prog(p, 2, 0);
	for (int i = 0; i < 16; i++) {
		ck_assert_int_eq(eb_test_run(fd, frame, sizeof(frame), 1, &ret, NULL), 0);
		if (i == 0)
			first = ret;
		differ += ret != first;
	}
	close(fd);
	ck_assert_uint_gt(differ, 0);
}
END_TEST

/* ------------------------------------- every program of libpcap's corpus */

/* The value of "KEY": in a JSON line: a string (unescaped into BUF), a
 * number or null (copied as text). 0 when absent. */
static int json_field(const char *line, const char *key, char *buf, size_t sz)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(line, pat);
	if (!p)
		return 0;
	p += strlen(pat);
	if (*p != '"') {
		while (*p && *p != ',' && *p != '}' && n + 1 < sz)
			buf[n++] = *p++;
		buf[n] = '\0';
		return 1;
	}
	for (p++; *p && *p != '"' && n + 1 < sz; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			buf[n++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
		} else {
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
	return 1;
}

struct pool {
	unsigned n;
	int dlt[512];
	unsigned len[512];
	uint8_t *data[512];
};

static void pool_load(struct pool *pl, const char *dir)
{
	static const char *files[] = { "loopback.pcap", "pppoe.pcap", "vrrp.pcap", "carp.pcap",
				       "geneve.pcap", "vxlan.pcap", "ipv6_ext_headers.pcap",
				       "pim-packet-assortment.pcap", "llc.pcap", "decnet.pcap",
				       "ah-ipip-ping.pcap", "dhcp-rfc3004.pcap", "isakmp4500.pcap",
				       "rarp_req_reply.pcapng", "wpa-Induction.pcap",
				       "http_PPI.pcap", "arcnet-rfc1201-arp-icmp-http.pcap",
				       "mstp_20140225214217.pcap", "brcm-tag.pcap", "dsa.pcap" };
	char errbuf[PCAP_ERRBUF_SIZE], path[512];

	for (unsigned f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct pcap_pkthdr *h;
		const u_char *d;
		pcap_t *pc;
		int taken = 0;

		snprintf(path, sizeof(path), "%s/filters/captures/%s", dir, files[f]);
		pc = pcap_open_offline(path, errbuf);
		if (!pc)
			continue;
		while (pl->n < 512 && taken < 32 && pcap_next_ex(pc, &h, &d) == 1) {
			unsigned len = h->caplen < 2000 ? h->caplen : 2000;

			pl->dlt[pl->n] = pcap_datalink(pc);
			pl->len[pl->n] = len;
			pl->data[pl->n] = malloc(len ? len : 1);
			ck_assert(pl->data[pl->n] != NULL);
			memcpy(pl->data[pl->n], d, len);
			pl->n++;
			taken++;
		}
		pcap_close(pc);
	}
}

/* libpcap's compiler is the oracle for the programs (4,000+ shapes, many link
 * types); the packets are real captures, tried on every program. */
START_TEST(corpus_programs)
{
	static struct pool pl;
	static char line[1 << 16], expr[8192], val[256];
	const char *dir = getenv("CORPUS");
	char path[512];
	unsigned cases = 0, runs = 0, skipped = 0;
	FILE *f;

	if (!test_have_bpf(__func__, 0))
		return;
	if (!dir || !*dir)
#ifdef CORPUS_DIR
		dir = CORPUS_DIR;
#else
		dir = SRCDIR "/../shared/corpus";
#endif
	snprintf(path, sizeof(path), "%s/filters/accept.jsonl", dir);
	f = fopen(path, "r");
	if (!f) {
		ck_assert_msg(!test_ci_mode(), "no corpus at %s and CI=true", path);
		fprintf(stderr, "SKIP %s: no corpus at %s\n", __func__, path);
		return;
	}
	pool_load(&pl, dir);
	ck_assert_uint_gt(pl.n, 100);
	while (fgets(line, sizeof(line), f)) {
		struct bpf_program bp;
		int dlt, optimize, snaplen = 262144, anc;
		bpf_u_int32 mask = PCAP_NETMASK_UNKNOWN;
		pcap_t *pc;

		if (!json_field(line, "dlt", val, sizeof(val)) || (dlt = pcap_datalink_name_to_val(val)) < 0 ||
		    !json_field(line, "expr", expr, sizeof(expr)) ||
		    (json_field(line, "needs", val, sizeof(val)) && strcmp(val, "null") != 0)) {
			skipped++;
			continue;
		}
		optimize = json_field(line, "optimize", val, sizeof(val)) && atoi(val) == 1;
		if (json_field(line, "snaplen", val, sizeof(val)) && strcmp(val, "null") != 0)
			snaplen = atoi(val);
		if (json_field(line, "netmask", val, sizeof(val)) && strcmp(val, "null") != 0)
			inet_pton(AF_INET, val, &mask);
		pc = pcap_open_dead(dlt, snaplen);
		ck_assert(pc != NULL);
		if (pcap_compile(pc, &bp, expr, optimize, mask) != 0) {
			skipped++; /* newer syntax than this libpcap: not our concern */
			pcap_close(pc);
			continue;
		}
		/* bpf_filter has no ancillary data (direction, VLAN metadata): such
		 * programs are only translated and loaded here */
		anc = 0;
		for (unsigned i = 0; i < bp.bf_len; i++)
			if (BPF_CLASS(bp.bf_insns[i].code) == BPF_LD &&
			    BPF_MODE(bp.bf_insns[i].code) == BPF_ABS && bp.bf_insns[i].k >= (uint32_t)SKF_AD_OFF)
				anc = 1;
		for (unsigned fl = 0; fl < 2; fl++) {
			unsigned flags = fl ? EB_F_FORCE_WINDOW : 0;
			int fd = load_prog((struct sniff_insn *)bp.bf_insns, bp.bf_len, flags);

			for (unsigned i = fl; i < pl.n && !anc; i += 2) {
				uint32_t want, got;

				if (pl.dlt[i] != dlt && i % 8 != fl)
					continue; /* other link types: a sample */
				want = run_pcap((struct sniff_insn *)bp.bf_insns, pl.data[i], pl.len[i]);
				got = run_kernel(fd, pl.data[i], pl.len[i]);
				runs++;
				if (got != want) {
					fprintf(stderr, "expr: %s\n", expr);
					show_case((struct sniff_insn *)bp.bf_insns, bp.bf_len, flags,
						  pl.data[i], pl.len[i]);
				}
				ck_assert_msg(got == want, "\"%s\" (%s): eBPF %u, bpf_filter %u", expr,
					      pcap_datalink_val_to_name(dlt), got, want);
			}
			close(fd);
		}
		cases++;
		pcap_freecode(&bp);
		pcap_close(pc);
	}
	fclose(f);
	fprintf(stderr, "corpus_programs: %u programs, %u runs agree (%u skipped)\n", cases, runs,
		skipped);
	ck_assert_uint_gt(cases, 3000);
}
END_TEST

/* --------------------------------------------------------------- loader */

static int obj_info(int fd, struct bpf_prog_info *info, void *xlated, uint32_t xlen)
{
	union bpf_attr a;

	memset(info, 0, sizeof(*info));
	info->xlated_prog_len = xlen;
	info->xlated_prog_insns = (uint64_t)(uintptr_t)xlated;
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(*info);
	a.info.info = (uint64_t)(uintptr_t)info;
	return syscall(__NR_bpf, BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a)) ? -errno : 0;
}

START_TEST(load_name_and_log)
{
	struct sniff_ebpf_insn bad[] = { EB_MOV64_REG(0, 3), EB_EXIT() }; /* r3 unset */
	struct sniff_ebpf_insn ok[] = { EB_MOV32_IMM(0, 1), EB_EXIT() };
	struct bpf_prog_info info;
	char log[4096], tiny[40];
	int fd;

	if (!test_have_bpf(__func__, 0))
		return;
	fd = eb_load(ok, 2, log, sizeof(log));
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(obj_info(fd, &info, NULL, 0), 0);
	ck_assert_uint_eq(info.type, BPF_PROG_TYPE_SOCKET_FILTER);
	ck_assert_str_eq(info.name, "sniff");
	close(fd);
	fd = eb_load(bad, 2, log, sizeof(log));
	ck_assert_int_eq(fd, -EACCES);
	ck_assert_msg(strstr(log, "R3 !read_ok") != NULL, "verifier log: %s", log);
	/* a buffer below the kernel's minimum still gets the log's tail */
	fd = eb_load(bad, 2, tiny, sizeof(tiny));
	ck_assert_int_eq(fd, -EACCES);
	ck_assert_uint_gt(strlen(tiny), 0);
}
END_TEST

/* Without privileges, the kernel's EPERM comes with a message that says why. */
START_TEST(load_eperm_message)
{
	struct sniff_ebpf_insn ok[] = { EB_MOV32_IMM(0, 1), EB_EXIT() };
	char log[512];
	int fd;

	if (geteuid() != 0) {
		fd = eb_load(ok, 2, log, sizeof(log));
	} else {
		/* check runs this in its own process: dropping root is local */
		ck_assert_int_eq(setresgid(65534, 65534, 65534), 0);
		ck_assert_int_eq(setresuid(65534, 65534, 65534), 0);
		fd = eb_load(ok, 2, log, sizeof(log));
	}
	if (fd >= 0) {
		fprintf(stderr, "SKIP %s: unprivileged BPF is allowed here\n", __func__);
		close(fd);
		return;
	}
	ck_assert_int_eq(fd, -EPERM);
	ck_assert_msg(strstr(log, "CAP_BPF") && strstr(log, "unprivileged_bpf_disabled"),
		      "message: %s", log);
}
END_TEST

/* Capture tools often run with CAP_BPF (+ CAP_NET_RAW) only: no CAP_PERFMON,
 * so the verifier refuses uninitialised stack reads and more. */
START_TEST(load_with_cap_bpf_only)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	static struct gen G;
	struct test_rng g = { seed_from_env(__func__) * 7 | 1 };
	uint8_t pkt[MAXPKT];

	if (!test_have_bpf(__func__, 0))
		return;
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP %s: needs root to drop to CAP_BPF\n", __func__);
		ck_assert_msg(!test_ci_mode(), "CI=true: run as root");
		return;
	}
	/* check runs this in its own process: dropping capabilities is local */
	memset(data, 0, sizeof(data));
	data[CAP_TO_INDEX(CAP_BPF)].effective = CAP_TO_MASK(CAP_BPF);
	data[CAP_TO_INDEX(CAP_BPF)].permitted = CAP_TO_MASK(CAP_BPF);
	ck_assert_int_eq(syscall(SYS_capset, &hdr, data), 0);
	G.g = &g;
	for (unsigned i = 0; i < 2000; i++) {
		unsigned n = gen_prog(&G, 1 + test_below(&g, 40));
		unsigned flags = flagsets[test_below(&g, NFLAGSETS)];
		int fd = load_prog(G.p, n, flags);
		unsigned len = gen_packet(&g, pkt, MAXPKT);
		uint32_t want = run_pcap(G.p, pkt, len), got = run_kernel(fd, pkt, len);

		close(fd);
		if (got != want)
			show_case(G.p, n, flags, pkt, len);
		ck_assert_msg(got == want, "program %u: eBPF %u, bpf_filter %u", i, got, want);
	}
}
END_TEST

/* ----------------------------------------------------------------- dump */

struct lines {
	char buf[1 << 16];
	size_t len;
};

static void collect(void *ctx, const char *line)
{
	struct lines *l = ctx;
	int n = snprintf(l->buf + l->len, sizeof(l->buf) - l->len, "%s\n", line);

	if (n > 0 && (size_t)n < sizeof(l->buf) - l->len)
		l->len += (size_t)n;
}

/* bpftool prints what the kernel kept; our printer on the same instructions
 * must give the same text (helper calls aside: bpftool resolves kernel
 * symbols for the rewritten LD_ABS). */
START_TEST(dump_vs_bpftool)
{
	static const char *exprs[] = { "tcp port 80 and len > 100", "ip[6:2] & 0x1fff = 0",
				       "vlan 10 or arp", "udp[8:4] = 0x80000000" };
	static struct lines mine, theirs;
	static struct sniff_ebpf_insn xl[1 << 14];
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 262144);
	unsigned compared = 0;

	if (!test_have_bpf(__func__, 0))
		return;
	if (system("bpftool version >/dev/null 2>&1") != 0) {
		ck_assert_msg(!test_ci_mode(), "bpftool missing and CI=true");
		fprintf(stderr, "SKIP %s: no bpftool\n", __func__);
		return;
	}
	for (unsigned x = 0; x < 8; x++) {
		struct bpf_program bp;
		struct bpf_prog_info info;
		char cmd[128], *a, *b, *ea, *eb;
		FILE *f;
		int fd;

		ck_assert_int_eq(pcap_compile(pc, &bp, exprs[x % 4], 1, PCAP_NETMASK_UNKNOWN), 0);
		fd = load_prog((struct sniff_insn *)bp.bf_insns, bp.bf_len,
			       x < 4 ? EB_F_FORCE_WINDOW : EB_F_NO_WINDOW);
		pcap_freecode(&bp);
		ck_assert_int_eq(obj_info(fd, &info, xl, sizeof(xl)), 0);
		mine.len = 0;
		eb_dump(xl, info.xlated_prog_len / 8, 1, collect, &mine);
		snprintf(cmd, sizeof(cmd), "bpftool prog dump xlated id %u", info.id);
		f = popen(cmd, "r");
		ck_assert(f != NULL);
		theirs.len = fread(theirs.buf, 1, sizeof(theirs.buf) - 1, f);
		theirs.buf[theirs.len] = '\0';
		pclose(f);
		close(fd);
		for (a = mine.buf, b = theirs.buf; *a && *b; a = ea + 1, b = eb + 1) {
			ea = strchr(a, '\n');
			eb = strchr(b, '\n');
			ck_assert(ea && eb);
			*ea = *eb = '\0';
			if (strstr(b, " call ") && strstr(a, " call "))
				continue;
			ck_assert_msg(strcmp(a, b) == 0, "ours \"%s\", bpftool \"%s\"", a, b);
			compared++;
		}
		ck_assert_msg(!*a && !*b, "line counts differ");
	}
	pcap_close(pc);
	ck_assert_uint_gt(compared, 100);
}
END_TEST

/* Styles 2 and 3 carry every field: read them back and get the program. */
START_TEST(dump_numeric_round_trip)
{
	struct sniff_insn p[] = {
		{ BPF_LD | BPF_H | BPF_ABS, 0, 0, 12 },
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 0x800 },
		{ BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)SKF_AD_OFF + SKF_AD_CPU },
		{ BPF_LDX | BPF_W | BPF_IMM, 0, 0, 0 },
		{ BPF_ALU | BPF_DIV | BPF_X, 0, 0, 0 },
		{ BPF_RET | BPF_K, 0, 0, 0x80000000 },
		{ BPF_RET | BPF_A, 0, 0, 0 },
	};
	static struct lines out2, out3;
	struct sniff_ebpf_prog e;
	char *s2, *s3;
	unsigned count;
	int used;

	ck_assert_int_eq(eb_translate_ex(p, 7, EB_F_LONG_JA, &e, NULL), 0);
	eb_dump(e.insns, e.len, 2, collect, &out2);
	eb_dump(e.insns, e.len, 3, collect, &out3);
	ck_assert_int_eq(sscanf(out3.buf, "%u%n", &count, &used), 1);
	ck_assert_uint_eq(count, e.len);
	s3 = out3.buf + used;
	s2 = out2.buf;
	for (unsigned i = 0; i < e.len; i++) {
		unsigned c2, d2, r2, c3, d3, r3, imm2;
		int o2, o3, imm3, u2, u3;

		ck_assert_int_eq(sscanf(s2, " { 0x%x, %u, %u, %d, 0x%x },%n", &c2, &d2, &r2, &o2,
					&imm2, &u2), 5);
		ck_assert_int_eq(sscanf(s3, "%u %u %u %d %d%n", &c3, &d3, &r3, &o3, &imm3, &u3), 5);
		s2 += u2;
		s3 += u3;
		ck_assert_uint_eq(c2, e.insns[i].code);
		ck_assert_uint_eq(c3, e.insns[i].code);
		ck_assert_uint_eq(d2, e.insns[i].dst_reg);
		ck_assert_uint_eq(d3, e.insns[i].dst_reg);
		ck_assert_uint_eq(r2, e.insns[i].src_reg);
		ck_assert_uint_eq(r3, e.insns[i].src_reg);
		ck_assert_int_eq(o2, e.insns[i].off);
		ck_assert_int_eq(o3, e.insns[i].off);
		ck_assert_uint_eq(imm2, (uint32_t)e.insns[i].imm);
		ck_assert_int_eq(imm3, e.insns[i].imm);
	}
	sniff_ebpf_free(&e);
}
END_TEST

/* The public wrappers refuse what they cannot use. */
START_TEST(public_api_args)
{
	struct sniff_ebpf_prog e = { 0 };
	struct sniff_prog empty = { 0, NULL };

	ck_assert_int_eq(sniff_ebpf_translate(NULL, &e), -EINVAL);
	ck_assert_int_eq(sniff_ebpf_translate(&empty, &e), -EINVAL);
	ck_assert_int_eq(sniff_ebpf_dump(&e, 4, stdout), -EINVAL);
	ck_assert_int_eq(sniff_ebpf_load(&e, NULL, 0), -EINVAL);
	sniff_ebpf_free(&e);
	sniff_ebpf_free(NULL);
}
END_TEST

/* The direct path (ebpf/btf.c) is what the tests above run with flags 0
 * when it is available: check that it is, here, as root, and that our BTF
 * reader found what bpftool finds. Without it flags 0 falls back to helper
 * calls, which the other flag sets cover anyway. */
START_TEST(direct_path_in_use)
{
	static const struct sniff_insn p[] = {
		{ BPF_LD | BPF_H | BPF_ABS, 0, 0, 12 },
		{ BPF_LDX | BPF_B | BPF_MSH, 0, 0, 14 },
		{ BPF_LD | BPF_W | BPF_IND, 0, 0, 14 },
		{ BPF_RET | BPF_A, 0, 0, 0 },
	};
	const struct eb_kinfo *ki;
	struct sniff_ebpf_prog e;
	char line[256];
	unsigned found = 0;
	FILE *f;

	if (!test_have_bpf(__func__, 1))
		return;
	ki = eb_kinfo();
	if (!ki) {
		struct utsname u;
		int major = 0, minor = 0;

		uname(&u);
		sscanf(u.release, "%d.%d", &major, &minor);
		fprintf(stderr, "SKIP %s: no direct packet reads on kernel %s (eBPF uses helper "
			"calls only)\n", __func__, u.release);
		/* 6.18 has them (measured); older kernels may not */
		ck_assert_msg(!test_ci_mode() || major * 100 + minor < 618,
			      "CI=true: direct reads expected on %s", u.release);
		return;
	}
	ck_assert_int_eq(eb_translate_ex(p, 4, 0, &e, NULL), 0);
	for (unsigned i = 0; i < e.len; i++)
		found += e.insns[i].code == (BPF_JMP | BPF_CALL) &&
			 e.insns[i].src_reg == BPF_PSEUDO_KFUNC_CALL && e.insns[i].imm == ki->cast_id;
	ck_assert_uint_eq(found, 1);
	sniff_ebpf_free(&e);
	ck_assert_int_eq(eb_translate_ex(p, 4, EB_F_NO_DIRECT, &e, NULL), 0);
	for (unsigned i = 0; i < e.len; i++)
		ck_assert_uint_ne(e.insns[i].src_reg == BPF_PSEUDO_KFUNC_CALL, 1);
	sniff_ebpf_free(&e);
	/* what bpftool reads in the same BTF */
	if (system("bpftool version >/dev/null 2>&1") != 0) {
		fprintf(stderr, "SKIP %s: no bpftool to check the BTF reader\n", __func__);
		ck_assert_msg(!test_ci_mode(), "bpftool missing and CI=true");
		return;
	}
	f = popen("bpftool btf dump file /sys/kernel/btf/vmlinux | grep -A40 -E "
		  "\"FUNC 'bpf_cast_to_kern_ctx'|STRUCT 'sk_buff' size\"", "r");
	ck_assert(f != NULL);
	found = 0;
	while (fgets(line, sizeof(line), f)) {
		int id, bits, end = 0;
		char name[64];

		if (sscanf(line, "[%d] FUNC 'bpf_cast_to_kern_ctx'%n", &id, &end) == 1 && end) {
			ck_assert_int_eq(id, ki->cast_id);
			found |= 1;
		} else if (sscanf(line, " '%63[a-z_]' type_id=%*d bits_offset=%d", name, &bits) == 2 &&
			   !(found & 16)) {
			int want = -1, bit = 0;

			if (strcmp(name, "len") == 0)
				want = ki->off_len, bit = 2;
			else if (strcmp(name, "data_len") == 0)
				want = ki->off_data_len, bit = 4;
			else if (strcmp(name, "data") == 0)
				want = ki->off_data, bit = 8;
			else if (strcmp(name, "truesize") == 0)
				found |= 16; /* past sk_buff's fields we use */
			if (bit) {
				ck_assert_int_eq(bits / 8, want);
				found |= (unsigned)bit;
			}
		}
	}
	pclose(f);
	ck_assert_uint_eq(found & 15, 15);
}
END_TEST

static Suite *ebpf_suite(void)
{
	Suite *s = suite_create("ebpf");
	TCase *tc = tcase_create("core");
	TCase *live = tcase_create("live");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, hand_cases);
	tcase_add_test(tc, direct_path_in_use);
	tcase_add_test(tc, long_program_far_jumps);
	tcase_add_test(tc, ancillary_test_run);
	tcase_add_test(tc, ancillary_random);
	tcase_add_test(tc, unsupported_ancillary);
	tcase_add_test(tc, kernel_only_semantics);
	tcase_add_test(tc, validity_vs_kernel);
	tcase_add_test(tc, load_name_and_log);
	tcase_add_test(tc, load_eperm_message);
	tcase_add_test(tc, load_with_cap_bpf_only);
	tcase_add_test(tc, dump_vs_bpftool);
	tcase_add_test(tc, dump_numeric_round_trip);
	tcase_add_test(tc, public_api_args);
	tcase_add_test(tc, corpus_programs);
	tcase_add_test(tc, prop_vs_kernel_classic);
	tcase_add_test(tc, prop_vs_libpcap);
	suite_add_tcase(s, tc);
	tcase_set_timeout(live, 60);
	tcase_add_unchecked_fixture(live, netns_setup, netns_teardown);
	tcase_add_test(live, ancillary_af_packet);
	suite_add_tcase(s, live);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ebpf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
