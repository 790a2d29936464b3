/* bench/kernel_bench.c: in-kernel cost of a filter, our eBPF against a
 * literal translation of libpcap's program (`make bench`, part "kernel").
 *
 *   bench/kernel_bench [-n PACKETS (256)] [-R ROUNDS (7)] [-r REPEAT (1000)]
 *                      [-f FILE.pcap] [-H HOSTS (1000)] [-L SECONDS (20)]
 *
 * For each filter of a common mix, on Ethernet, in savefile mode:
 *   ours     sniff_compile(optimize=1) -> eb_translate -> BPF_PROG_LOAD: packet
 *            bytes read straight from skb->data where this kernel and process
 *            allow it (ebpf/btf.c), else helper calls
 *   helper   the same with EB_F_NO_DIRECT: what a CAP_BPF-only loader gets,
 *            helper calls shared and widened (ebpf/cache.c)
 *   plain    EB_F_NO_DIRECT | EB_F_NO_CACHE: one helper call per classic load
 *   literal  pcap_compile(optimize=1), each classic instruction turned into
 *            the eBPF sequence the kernel's bpf_convert_filter gives it
 *            (LD_ABS stays LD_ABS), by the translator below: eb_translate
 *            applies an optimization (the header window) the literal form
 *            must not have, so the bench keeps its own
 *   floor    `r0 = 262144; exit`, what BPF_PROG_TEST_RUN costs by itself
 * Each is run with BPF_PROG_TEST_RUN (REPEAT times per packet) on PACKETS
 * packets of the shared generator's mix (bench/gen.c in ../shared/bench:
 * 50 % DNS queries, 30 % HTTP, 20 % other, client hosts 10.1.0.1-10.1.7.208;
 * or the packets of FILE), the programs interleaved packet by packet; a round
 * gives the mean over the packets, the table the median over ROUNDS rounds.
 * Before timing, every program's verdict is checked against bpf_filter()
 * on every packet.
 *
 * Last, the HOSTS-host OR filter ("host A or host B or ..."), which libpcap's
 * -O1 takes minutes to compile (tried in a child for -L seconds), and the
 * same list for HOSTS and 10 x HOSTS hosts through sniff_ebpf_compile (one
 * map lookup): compile and load ms, ns/packet with the floor subtracted
 * (issue 4: < 100 ns/packet for 1000 hosts, < 100 ms for 10,000).
 *
 * Needs CAP_BPF (root); prints a note and exits 0 otherwise (never gating).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

/* libpcap's struct bpf_insn and the kernel's eBPF one share a name */
#define bpf_insn pcap_bpf_insn
#include <pcap/pcap.h>
#undef bpf_insn

#include "cbpf/cbpf.h"
#include "ebpf/ebpf.h"

static const char *const filters[] = {
	"tcp port 80",
	"udp port 53",
	"host 10.1.0.5",
	"ip and not icmp",
	"tcp[tcpflags] & tcp-syn != 0",
	"port 53 or port 80 or port 443",
	"net 10.2.0.0/16",
	"ip6 and tcp",
	"arp",
	"vlan and ip",
	"ip[2:2] > 576",
	"tcp dst port 443 and src net 10.1.0.0/16",
	"portrange 1-1023",
	"udp and not port 53",
	"icmp or arp",
	"not port 22",
	"ether host 02:00:00:00:00:01",
	"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
};
#define NFILTERS (sizeof(filters) / sizeof(filters[0]))

#define LINKHDR 14      /* BPF_PROG_TEST_RUN pulls an Ethernet header first */
#define MAXFRAME 1514
#define SNAPLEN 262144

/* ------------------------------------------------------------------------
 * Packets: the shared generator's mix (gen.c's classes and proportions,
 * rebuilt here without checksums, which no filter here reads).
 */
struct pkt {
	uint8_t *buf;   /* LINKHDR bytes the kernel pulls, then the frame */
	uint32_t len;   /* frame length */
};

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned rr(unsigned lo, unsigned hi)
{
	return lo + (unsigned)(rnd() % (hi - lo + 1));
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static const uint8_t mac_client[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac_router[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

/* Ethernet + IPv4 + TCP/UDP/ICMP with PLEN payload bytes; frame length. */
static uint32_t ip4_frame(uint8_t *f, int to_server, uint32_t cip, uint32_t sip, int proto,
			  uint32_t sport, uint32_t dport, uint8_t tflags, uint32_t plen)
{
	uint8_t *ip = f + 14, *l4 = ip + 20;
	uint32_t l4len = proto == 6 ? ((tflags & 0x02) ? 40 : 20) : 8, tot = 20 + l4len + plen;

	memcpy(f, to_server ? mac_router : mac_client, 6);
	memcpy(f + 6, to_server ? mac_client : mac_router, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, 20 + l4len);
	ip[0] = 0x45;
	put16(ip + 2, tot);
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	put32(ip + 12, to_server ? cip : sip);
	put32(ip + 16, to_server ? sip : cip);
	if (proto == 1) {
		l4[0] = to_server ? 8 : 0;
	} else {
		put16(l4, sport);
		put16(l4 + 2, dport);
	}
	if (proto == 6) {
		l4[12] = (uint8_t)((l4len / 4) << 4);
		l4[13] = tflags;
	}
	for (uint32_t i = 0; i < plen; i++)
		l4[l4len + i] = (uint8_t)("GET / HTTP/1.1\r\n"[i % 16]);
	return 14 + tot;
}

enum { C_UDP53, C_TCP80, C_OTHER };

static uint32_t build_frame(uint8_t *f, int cls)
{
	uint32_t cip = 0x0A010000u | rr(1, 2000), sip = 0xC6120000u | rr(1, 500);
	uint32_t eph = rr(32768, 60999);
	unsigned r = rr(0, 99);
	uint8_t *ip6, *t;

	if (cls == C_UDP53)
		return ip4_frame(f, 1, cip, sip, 17, eph, 53, 0, 12 + rr(20, 60));
	if (cls == C_TCP80) {
		if (r < 10)
			return ip4_frame(f, 1, cip, sip, 6, eph, 80, 0x02, 0);
		if (r < 50)
			return ip4_frame(f, r & 1, cip, sip, 6, (r & 1) ? eph : 80, (r & 1) ? 80 : eph,
					 0x10, 0);
		if (r < 75)
			return ip4_frame(f, 1, cip, sip, 6, eph, 80, 0x18, rr(100, 500));
		return ip4_frame(f, 0, cip, sip, 6, 80, eph, 0x18, rr(0, 3) ? 1460 : rr(200, 1460));
	}
	if (r < 30)
		return ip4_frame(f, r & 1, cip, sip, 17, (r & 1) ? eph : 443, (r & 1) ? 443 : eph, 0,
				 rr(1200, 1350));
	if (r < 60)
		return ip4_frame(f, r & 1, cip, sip, 6, (r & 1) ? eph : 443, (r & 1) ? 443 : eph,
				 (r % 3) ? 0x10 : 0x18, (r % 3) ? 0 : rr(100, 1460));
	if (r < 70)
		return ip4_frame(f, 1, cip, sip, 17, 123, 123, 0, 48);
	if (r < 80)
		return ip4_frame(f, r & 1, cip, sip, 6, (r & 1) ? eph : 22, (r & 1) ? 22 : eph, 0x18,
				 rr(36, 200));
	if (r < 90)
		return ip4_frame(f, r & 1, cip, sip, 1, 0, 0, 0, 56);
	if (r < 95) {   /* ARP request */
		memset(f, 0xff, 6);
		memcpy(f + 6, mac_client, 6);
		put16(f + 12, 0x0806);
		memset(f + 14, 0, 46);
		put16(f + 14, 1);
		put16(f + 16, 0x0800);
		f[18] = 6;
		f[19] = 4;
		put16(f + 20, 1);
		memcpy(f + 22, mac_client, 6);
		put32(f + 28, cip);
		put32(f + 38, 0x0A010001u);
		return 60;
	}
	/* IPv6 / TCP 443 ACK */
	memcpy(f, mac_router, 6);
	memcpy(f + 6, mac_client, 6);
	put16(f + 12, 0x86dd);
	ip6 = f + 14;
	memset(ip6, 0, 60);
	put32(ip6, 0x60000000u);
	put16(ip6 + 4, 20);
	ip6[6] = 6;
	ip6[7] = 64;
	put32(ip6 + 8, 0x20010db8);
	put32(ip6 + 20, cip);
	put32(ip6 + 24, 0x20010db8);
	put32(ip6 + 36, sip);
	t = ip6 + 40;
	put16(t, eph);
	put16(t + 2, 443);
	t[12] = 5 << 4;
	t[13] = 0x10;
	return 74;
}

static void pkt_set(struct pkt *k, const uint8_t *frame, uint32_t len)
{
	if (len > MAXFRAME)
		len = MAXFRAME;
	k->buf = malloc(LINKHDR + len);
	if (!k->buf) {
		perror("malloc");
		exit(1);
	}
	memset(k->buf, 0xff, 6);
	memset(k->buf + 6, 0x02, 6);
	k->buf[12] = 0x88;             /* a local ethertype: the kernel parses nothing */
	k->buf[13] = 0xb5;
	memcpy(k->buf + LINKHDR, frame, len);
	k->len = len;
}

/* gen.c's mix: 50 % udp53, 30 % tcp80, 20 % other, shuffled. */
static void gen_packets(struct pkt *v, unsigned n)
{
	uint8_t f[MAXFRAME];

	for (unsigned i = 0; i < n; i++) {
		unsigned c = rr(0, 99);
		uint32_t len = build_frame(f, c < 50 ? C_UDP53 : c < 80 ? C_TCP80 : C_OTHER);

		if (len < 60) {
			memset(f + len, 0, 60 - len);
			len = 60;
		}
		pkt_set(&v[i], f, len);
	}
}

static unsigned file_packets(const char *path, struct pkt *v, unsigned n)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc = pcap_open_offline(path, errbuf);
	unsigned k = 0;

	if (!pc) {
		fprintf(stderr, "kernel_bench: %s\n", errbuf);
		exit(1);
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "kernel_bench: %s is not Ethernet\n", path);
		exit(1);
	}
	while (k < n && pcap_next_ex(pc, &h, &data) == 1)
		pkt_set(&v[k++], data, h->caplen);
	pcap_close(pc);
	return k;
}

/* ------------------------------------------------------------------------
 * The literal translation: one eBPF sequence per classic instruction, as
 * net/core/filter.c bpf_convert_filter writes them (A = r0, X = r7, the
 * context in r6, M[k] at fp - 4 * (16 - k)), except for what a program
 * loaded from user space cannot have: the kernel's private data/headlen
 * registers (its converter inlines absolute loads with them; here LD_ABS
 * and LD_IND stay, which the verifier turns into helper calls), an XOR
 * clear of a register never written (mov 0 instead), and unreachable
 * instructions (the verifier refuses them; they are left out).
 */
#define L_A BPF_REG_0
#define L_X BPF_REG_7
#define L_CTX BPF_REG_6
#define L_TMP BPF_REG_2     /* a jump's zero-extended constant */
#define L_SAVE BPF_REG_8    /* A across ldxb 4*([k]&0xf): LD_ABS clobbers r1-r5 */

struct lit {
	struct sniff_ebpf_insn *out;   /* NULL while measuring */
	unsigned n;
	unsigned *addrs;
};

static void lput(struct lit *l, struct sniff_ebpf_insn in)
{
	if (l->out)
		l->out[l->n] = in;
	l->n++;
}

static int16_t lit_off(const struct lit *l, unsigned target)
{
	return l->out ? (int16_t)((long)l->addrs[target] - (long)(l->n + 1)) : 0;
}

static int16_t mem_slot(uint32_t k)
{
	return (int16_t)(-4 * (16 - (int)k));
}

static int lit_jump(struct lit *l, const struct sniff_insn *in, unsigned pc)
{
	int op = BPF_OP(in->code), src = BPF_SRC(in->code);
	uint8_t sreg = 0;
	int32_t imm = (int32_t)in->k;

	if (op == BPF_JA) {
		lput(l, EB_JA(lit_off(l, pc + 1 + in->k)));
		return 0;
	}
	if (src == BPF_K && (int32_t)in->k < 0) {
		/* eBPF immediates are sign-extended: compare a register */
		lput(l, EB_MOV32_IMM(L_TMP, imm));
		src = BPF_X;
		sreg = L_TMP;
		imm = 0;
	} else if (src == BPF_X) {
		sreg = L_X;
	}
	if (in->jf == 0) {
		lput(l, EB_INSN(BPF_JMP | op | src, L_A, sreg, lit_off(l, pc + 1 + in->jt), imm));
		return 0;
	}
	if (in->jt == 0 && (op == BPF_JEQ || op == BPF_JGT || op == BPF_JGE)) {
		int inv = op == BPF_JEQ ? BPF_JNE : op == BPF_JGT ? BPF_JLE : BPF_JLT;

		lput(l, EB_INSN(BPF_JMP | inv | src, L_A, sreg, lit_off(l, pc + 1 + in->jf), imm));
		return 0;
	}
	lput(l, EB_INSN(BPF_JMP | op | src, L_A, sreg, lit_off(l, pc + 1 + in->jt), imm));
	lput(l, EB_JA(lit_off(l, pc + 1 + in->jf)));
	return 0;
}

static int lit_insn(struct lit *l, const struct sniff_insn *in, unsigned pc)
{
	uint16_t c = in->code;

	switch (BPF_CLASS(c)) {
	case BPF_ALU:
		if (BPF_OP(c) == BPF_NEG) {
			lput(l, EB_INSN(BPF_ALU | BPF_NEG, L_A, 0, 0, 0));
		} else if (BPF_SRC(c) == BPF_K) {
			lput(l, EB_ALU32_IMM(BPF_OP(c), L_A, (int32_t)in->k));
		} else {
			if (BPF_OP(c) == BPF_DIV || BPF_OP(c) == BPF_MOD) {
				lput(l, EB_MOV32_REG(L_X, L_X));
				lput(l, EB_JMP_IMM(BPF_JNE, L_X, 0, 2));
				lput(l, EB_ALU32_REG(BPF_XOR, L_A, L_A));
				lput(l, EB_EXIT());
			}
			lput(l, EB_ALU32_REG(BPF_OP(c), L_A, L_X));
		}
		return 0;
	case BPF_LD:
		switch (BPF_MODE(c)) {
		case BPF_ABS:
			if (in->k >= (uint32_t)SKF_AD_OFF)
				return -EOPNOTSUPP;   /* no ancillary loads in savefile mode */
			lput(l, EB_LD_ABS(BPF_SIZE(c), (int32_t)in->k));
			return 0;
		case BPF_IND:
			lput(l, EB_LD_IND(BPF_SIZE(c), L_X, (int32_t)in->k));
			return 0;
		case BPF_IMM:
			lput(l, EB_MOV32_IMM(L_A, (int32_t)in->k));
			return 0;
		case BPF_MEM:
			lput(l, EB_LDX_MEM(BPF_W, L_A, BPF_REG_10, mem_slot(in->k)));
			return 0;
		case BPF_LEN:
			lput(l, EB_LDX_MEM(BPF_W, L_A, L_CTX, offsetof(struct __sk_buff, len)));
			return 0;
		}
		return -EINVAL;
	case BPF_LDX:
		switch (BPF_MODE(c)) {
		case BPF_IMM:
			lput(l, EB_MOV32_IMM(L_X, (int32_t)in->k));
			return 0;
		case BPF_MEM:
			lput(l, EB_LDX_MEM(BPF_W, L_X, BPF_REG_10, mem_slot(in->k)));
			return 0;
		case BPF_LEN:
			lput(l, EB_LDX_MEM(BPF_W, L_X, L_CTX, offsetof(struct __sk_buff, len)));
			return 0;
		case BPF_MSH:
			lput(l, EB_MOV64_REG(L_SAVE, L_A));
			lput(l, EB_LD_ABS(BPF_B, (int32_t)in->k));
			lput(l, EB_ALU32_IMM(BPF_AND, L_A, 0xf));
			lput(l, EB_ALU32_IMM(BPF_LSH, L_A, 2));
			lput(l, EB_MOV64_REG(L_X, L_A));
			lput(l, EB_MOV64_REG(L_A, L_SAVE));
			return 0;
		}
		return -EINVAL;
	case BPF_ST:
		lput(l, EB_STX_MEM(BPF_W, BPF_REG_10, L_A, mem_slot(in->k)));
		return 0;
	case BPF_STX:
		lput(l, EB_STX_MEM(BPF_W, BPF_REG_10, L_X, mem_slot(in->k)));
		return 0;
	case BPF_MISC:
		lput(l, BPF_MISCOP(c) == BPF_TAX ? EB_MOV32_REG(L_X, L_A) : EB_MOV32_REG(L_A, L_X));
		return 0;
	case BPF_RET:
		if (BPF_RVAL(c) == BPF_K)
			lput(l, EB_MOV32_IMM(L_A, (int32_t)in->k));
		lput(l, EB_EXIT());
		return 0;
	case BPF_JMP:
		return lit_jump(l, in, pc);
	}
	return -EINVAL;
}

static int lit_pass(struct lit *l, const struct sniff_insn *p, unsigned len, const uint8_t *reach)
{
	l->n = 0;
	lput(l, EB_MOV32_IMM(L_A, 0));
	lput(l, EB_MOV32_IMM(L_X, 0));
	lput(l, EB_MOV64_REG(L_CTX, BPF_REG_1));
	for (unsigned pc = 0; pc < len; pc++) {
		int rc;

		if (!l->out)
			l->addrs[pc] = l->n;
		if (reach[pc] && (rc = lit_insn(l, &p[pc], pc)) < 0)
			return rc;
	}
	if (!l->out)
		l->addrs[len] = l->n;
	return 0;
}

/* Literal eBPF of a classic program cb_validate() accepts. */
static int literal_translate(const struct sniff_insn *p, unsigned len, struct sniff_ebpf_prog *out)
{
	struct lit l = { 0 };
	uint8_t *reach = calloc(len + 1, 1);
	int rc;

	l.addrs = calloc(len + 1, sizeof(*l.addrs));
	if (!reach || !l.addrs) {
		free(reach);
		free(l.addrs);
		return -ENOMEM;
	}
	reach[0] = 1;
	for (unsigned pc = 0; pc < len; pc++) {
		const struct sniff_insn *in = &p[pc];

		if (!reach[pc] || BPF_CLASS(in->code) == BPF_RET)
			continue;
		if (BPF_CLASS(in->code) != BPF_JMP)
			reach[pc + 1] = 1;
		else if (BPF_OP(in->code) == BPF_JA)
			reach[pc + 1 + in->k] = 1;
		else
			reach[pc + 1 + in->jt] = reach[pc + 1 + in->jf] = 1;
	}
	rc = lit_pass(&l, p, len, reach);
	if (rc == 0) {
		l.out = calloc(l.n, sizeof(*l.out));
		rc = l.out ? lit_pass(&l, p, len, reach) : -ENOMEM;
	}
	free(reach);
	free(l.addrs);
	if (rc < 0) {
		free(l.out);
		return rc;
	}
	out->insns = l.out;
	out->len = l.n;
	return 0;
}

/* ------------------------------------------------------------------------
 * Measuring
 */
static int ns_run(int fd, const struct pkt *k, unsigned repeat, uint32_t *ret)
{
	uint32_t ns = 0;
	int rc = eb_test_run(fd, k->buf, LINKHDR + k->len, repeat, ret, &ns);

	if (rc < 0) {
		fprintf(stderr, "kernel_bench: BPF_PROG_TEST_RUN: %s\n", strerror(-rc));
		exit(1);
	}
	return (int)ns;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median over ROUNDS of the mean ns/packet of each of the NFD programs,
 * interleaved packet by packet so drift (steal time) hits them alike. */
static void measure(const int *fds, unsigned nfd, const struct pkt *pk, unsigned n,
		    unsigned rounds, unsigned repeat, double *med)
{
	double *per = calloc((size_t)nfd * rounds, sizeof(*per));

	if (!per) {
		perror("calloc");
		exit(1);
	}
	for (unsigned r = 0; r < rounds; r++)
		for (unsigned i = 0; i < n; i++)
			for (unsigned j = 0; j < nfd; j++) {
				unsigned p = (j + i + r) % nfd;   /* rotate who goes first */
				uint32_t ret;

				per[p * rounds + r] += ns_run(fds[p], &pk[i], repeat, &ret) / (double)n;
			}
	for (unsigned j = 0; j < nfd; j++)
		med[j] = median(per + j * rounds, rounds);
	free(per);
}

/* Verdicts of FD on every packet against libpcap's interpreter running the
 * classic program P; the number that differ. */
static unsigned check_verdicts(int fd, const struct sniff_insn *p, const struct pkt *pk,
			       unsigned n, unsigned *hits)
{
	unsigned bad = 0;

	*hits = 0;
	for (unsigned i = 0; i < n; i++) {
		uint32_t got = 0, want = bpf_filter((const struct pcap_bpf_insn *)p,
						   pk[i].buf + LINKHDR, pk[i].len, pk[i].len);

		ns_run(fd, &pk[i], 1, &got);
		bad += got != want;
		*hits += got != 0;
	}
	return bad;
}

static int load(const struct sniff_ebpf_prog *e, const char *what, const char *expr)
{
	static char log[1 << 16];
	int fd = eb_load(e->insns, e->len, log, sizeof(log));

	if (fd < 0) {
		size_t n = strlen(log);

		fprintf(stderr, "kernel_bench: \"%s\": %s program refused: %s\n%s\n", expr, what,
			strerror(-fd), n > 600 ? log + n - 600 : log);
	}
	return fd;
}

/* Our translations, as columns: the default (direct reads of skb->data
 * where this kernel and process allow, ebpf/btf.c), the helper-call form a
 * CAP_BPF-only loader gets (loads shared and widened, ebpf/cache.c), and one
 * helper call per classic load. */
static const struct {
	const char *name;
	unsigned flags;
} variants[] = {
	{ "ours", 0 },
	{ "helper", EB_F_NO_DIRECT },
	{ "plain", EB_F_NO_DIRECT | EB_F_NO_CACHE },
};
#define NVAR (sizeof(variants) / sizeof(variants[0]))

struct result {
	unsigned cb_ours, cb_lp, eb_ours, eb_lit;
	double var[NVAR], lit, floor;
};

/* Compile EXPR both ways, check, time. 0, or -1 with the reason printed. */
static int bench_one(const char *expr, int floor_fd, const struct pkt *pk, unsigned n,
		     unsigned rounds, unsigned repeat, struct result *res, unsigned *hits_out)
{
	SNIFF_OPTS(sniff_compile_opts, o, .optimize = 1, .mode = SNIFF_MODE_SAVEFILE);
	struct sniff_prog ours = { 0 };
	struct sniff_ebpf_prog ev[NVAR + 1];
	struct sniff_error err;
	struct bpf_program fp = { 0 };
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, SNAPLEN);
	int fds[NVAR + 2], rc = -1;
	const struct sniff_insn *lp;
	unsigned bad = 0, hits[NVAR + 1];
	double med[NVAR + 2];

	memset(ev, 0, sizeof(ev));
	fds[0] = floor_fd;
	for (unsigned v = 1; v < NVAR + 2; v++)
		fds[v] = -1;
	if (sniff_compile(expr, DLT_EN10MB, &o, &ours, &err) < 0) {
		printf("%-44s skipped: our compiler: %s\n", expr, err.msg);
		goto out;
	}
	if (!pc || pcap_compile(pc, &fp, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		printf("%-44s skipped: libpcap: %s\n", expr, pc ? pcap_geterr(pc) : "no handle");
		goto out;
	}
	lp = (const struct sniff_insn *)fp.bf_insns;
	for (unsigned v = 0; v < NVAR; v++)
		if (eb_translate_ex(ours.insns, ours.len, variants[v].flags, &ev[v], &err) < 0) {
			printf("%-44s skipped: eb_translate (%s): %s\n", expr, variants[v].name, err.msg);
			goto out;
		}
	if ((rc = literal_translate(lp, fp.bf_len, &ev[NVAR])) < 0) {
		printf("%-44s skipped: literal translation: %s\n", expr, strerror(-rc));
		rc = -1;
		goto out;
	}
	rc = -1;
	for (unsigned v = 0; v <= NVAR; v++)
		if ((fds[v + 1] = load(&ev[v], v < NVAR ? variants[v].name : "literal", expr)) < 0) {
			printf("%-44s skipped: BPF_PROG_LOAD refused a program (above)\n", expr);
			goto out;
		}
	for (unsigned v = 0; v <= NVAR; v++)
		bad += check_verdicts(fds[v + 1], lp, pk, n, &hits[v]);
	if (bad) {
		printf("%-44s VERDICTS DIFFER from libpcap's bpf_filter on %u runs: not timed\n",
		       expr, bad);
		goto out;
	}
	*hits_out = hits[0];
	measure(fds, NVAR + 2, pk, n, rounds, repeat, med);
	res->cb_ours = ours.len;
	res->cb_lp = fp.bf_len;
	res->eb_ours = ev[0].len;
	res->eb_lit = ev[NVAR].len;
	res->floor = med[0];
	for (unsigned v = 0; v < NVAR; v++)
		res->var[v] = med[v + 1];
	res->lit = med[NVAR + 1];
	rc = 0;
out:
	for (unsigned v = 1; v < NVAR + 2; v++)
		if (fds[v] >= 0)
			close(fds[v]);
	for (unsigned v = 0; v <= NVAR; v++)
		sniff_ebpf_free(&ev[v]);
	sniff_prog_free(&ours);
	if (fp.bf_insns)
		pcap_freecode(&fp);
	if (pc)
		pcap_close(pc);
	return rc;
}

/* ------------------------------------------------------------------------
 * The many-host OR filter
 */
static char *hosts_expr(unsigned nhosts, const char *prefix)
{
	size_t cap = (size_t)nhosts * 32 + 1, n = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	s[0] = '\0';
	for (unsigned i = 0; i < nhosts; i++) {
		uint32_t h = 1 + 2 * i;   /* every other client of the mix */

		n += (size_t)snprintf(s + n, cap - n, "%s%shost 10.1.%u.%u", i ? " or " : "", prefix,
				      (h >> 8) & 0xff, h & 0xff);
	}
	return s;
}

/* libpcap's program length for EXPR at OPT, compiled in a child killed
 * after LIMIT seconds (-O1 on long OR chains runs for minutes).
 * -1: timed out, -2: refused or crashed. */
static long lp_len_limited(const char *expr, int opt, unsigned limit, double *secs)
{
	int fds[2];
	pid_t pid;
	long len = -2;
	int st;
	struct timespec t0, t1;

	if (pipe(fds) < 0)
		return -2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid == 0) {
		pcap_t *pc = pcap_open_dead(DLT_EN10MB, SNAPLEN);
		struct bpf_program fp;
		long n = -2;

		close(fds[0]);
		alarm(limit);
		if (pc && pcap_compile(pc, &fp, expr, opt, PCAP_NETMASK_UNKNOWN) == 0)
			n = fp.bf_len;
		if (write(fds[1], &n, sizeof(n)) != sizeof(n))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return -2;
	}
	if (read(fds[0], &len, sizeof(len)) != sizeof(len))
		len = -2;
	close(fds[0]);
	waitpid(pid, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		return -1;
	return len;
}

static void many_hosts(unsigned nhosts, unsigned limit, int floor_fd, const struct pkt *pk,
		       unsigned n, unsigned rounds, unsigned repeat)
{
	static const char *const prefixes[] = { "", "ip " };
	double secs = 0;
	long l1, l0;
	char *e = hosts_expr(nhosts, "");

	if (!e)
		return;
	printf("\n%u-host OR filter (\"host 10.1.0.1 or host 10.1.0.3 or ...\", every other client):\n",
	       nhosts);
	l1 = lp_len_limited(e, 1, limit, &secs);
	if (l1 == -1)
		printf("  libpcap -O1: did not finish in %u s (killed)\n", limit);
	else if (l1 < 0)
		printf("  libpcap -O1: refused or crashed (%.1f s)\n", secs);
	else
		printf("  libpcap -O1: %ld instructions (%.1f s)%s\n", l1, secs,
		       l1 > 4096 ? ": over BPF_MAXINSNS (4096), no kernel accepts it as a "
		       "classic filter" : "");
	l0 = lp_len_limited(e, 0, limit, &secs);
	if (l0 >= 0)
		printf("  libpcap -O0: %ld instructions (%.1f s)%s\n", l0, secs,
		       l0 > 4096 ? ": over BPF_MAXINSNS (4096), cannot be attached either" : "");
	else
		printf("  libpcap -O0: %s\n", l0 == -1 ? "did not finish" : "refused or crashed");
	free(e);

	for (size_t f = 0; f < sizeof(prefixes) / sizeof(prefixes[0]); f++) {
		SNIFF_OPTS(sniff_compile_opts, o, .optimize = 1, .mode = SNIFF_MODE_SAVEFILE);
		struct sniff_prog ours = { 0 };
		struct sniff_ebpf_prog eo = { 0 };
		struct sniff_error err;
		struct timespec t0, t1;
		int fds[2] = { floor_fd, -1 };
		double med[2];
		unsigned hits = 0, bad;

		e = hosts_expr(nhosts, prefixes[f]);
		if (!e)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (sniff_compile(e, DLT_EN10MB, &o, &ours, &err) < 0) {
			printf("  ours (\"%shost ... or ...\"): does not compile: %s\n", prefixes[f], err.msg);
			goto next;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("  ours (\"%shost ... or ...\"): %u classic instructions (%.3f s to compile)",
		       prefixes[f], ours.len,
		       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		if (eb_translate_ex(ours.insns, ours.len, 0, &eo, &err) < 0) {
			printf("; eb_translate refuses it: %s\n", err.msg);
			goto next;
		}
		printf(", %u eBPF", eo.len);
		if ((fds[1] = load(&eo, "our", "many hosts")) < 0) {
			printf("; the verifier refuses it\n");
			goto next;
		}
		bad = check_verdicts(fds[1], ours.insns, pk, n, &hits);
		if (bad) {
			printf("; %u verdicts differ from bpf_filter on our classic program\n", bad);
			goto next;
		}
		measure(fds, 2, pk, n, rounds, repeat, med);
		printf("; %.1f ns/pkt, floor %.1f, filter cost %.1f ns (matches %u of %u)\n",
		       med[1], med[0], med[1] - med[0], hits, n);
next:
		if (fds[1] >= 0)
			close(fds[1]);
		sniff_ebpf_free(&eo);
		sniff_prog_free(&ours);
		free(e);
	}
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* sniff_ebpf_compile of the NHOSTS-host list (a map lookup, ebpf/lists.c):
 * compile and load times (median of REPS), then ns/packet against the floor,
 * its verdicts checked against bpf_filter on our classic program first. */
static void map_path(unsigned nhosts, int floor_fd, const struct pkt *pk, unsigned n,
		     unsigned rounds, unsigned repeat)
{
	SNIFF_OPTS(sniff_compile_opts, o, .optimize = 1, .mode = SNIFF_MODE_SAVEFILE);
	enum { REPS = 5 };
	static char log[1 << 14];
	struct sniff_prog classic = { 0 };
	struct sniff_ebpf_prog eo = { 0 };
	struct sniff_error err;
	double tc[REPS], tl[REPS], tt[REPS], med[2];
	int fds[2] = { floor_fd, -1 };
	unsigned hits = 0, bad;
	char *e = hosts_expr(nhosts, "");

	if (!e)
		return;
	for (unsigned r = 0; r < REPS; r++) {
		struct timespec t0;

		sniff_ebpf_free(&eo);
		if (fds[1] >= 0)
			close(fds[1]);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (sniff_ebpf_compile(e, DLT_EN10MB, &o, &eo, &err) < 0) {
			printf("  map path, %u hosts: sniff_ebpf_compile: %s\n", nhosts, err.msg);
			goto out;
		}
		tc[r] = secs_since(&t0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		fds[1] = eb_load_prog(&eo, log, sizeof(log));
		if (fds[1] < 0) {
			printf("  map path, %u hosts: load refused (%s): %.300s\n", nhosts,
			       strerror(-fds[1]), log);
			goto out;
		}
		tl[r] = secs_since(&t0);
		tt[r] = tc[r] + tl[r];
	}
	printf("  map path (sniff_ebpf_compile), %u hosts: %u eBPF instructions, %u map(s); "
	       "compile %.1f ms + load %.1f ms = %.1f ms (median of %d)\n", nhosts, eo.len,
	       eo.nmaps, 1e3 * median(tc, REPS), 1e3 * median(tl, REPS), 1e3 * median(tt, REPS),
	       REPS);
	if (sniff_compile(e, DLT_EN10MB, &o, &classic, &err) < 0) {
		printf("    (no classic program to check verdicts: %s)\n", err.msg);
		goto out;
	}
	bad = check_verdicts(fds[1], classic.insns, pk, n, &hits);
	if (bad) {
		printf("    %u verdicts differ from bpf_filter on our classic program: not timed\n", bad);
		goto out;
	}
	measure(fds, 2, pk, n, rounds, repeat, med);
	printf("    %.1f ns/pkt, floor %.1f, filter cost %.1f ns (matches %u of %u)\n", med[1],
	       med[0], med[1] - med[0], hits, n);
out:
	if (fds[1] >= 0)
		close(fds[1]);
	sniff_ebpf_free(&eo);
	sniff_prog_free(&classic);
	free(e);
}

/* The noise floor of a comparison: one program loaded twice (two JIT
 * images), timed like a pair above. */
static void control(int floor_fd, const struct pkt *pk, unsigned n, unsigned rounds,
		    unsigned repeat)
{
	SNIFF_OPTS(sniff_compile_opts, o, .optimize = 1, .mode = SNIFF_MODE_SAVEFILE);
	static const char *const expr = "tcp port 80";
	struct sniff_prog p = { 0 };
	struct sniff_ebpf_prog e = { 0 };
	struct sniff_error err;
	int fds[3] = { floor_fd, -1, -1 };
	double med[3];

	if (sniff_compile(expr, DLT_EN10MB, &o, &p, &err) == 0 &&
	    eb_translate_ex(p.insns, p.len, 0, &e, &err) == 0 &&
	    (fds[1] = load(&e, "control", expr)) >= 0 && (fds[2] = load(&e, "control", expr)) >= 0) {
		measure(fds, 3, pk, n, rounds, repeat, med);
		printf("control: \"%s\" (ours) loaded twice: %.1f and %.1f ns/pkt, ratio %.2f, "
		       "(a-f)/(b-f) %.2f: differences this size are noise\n", expr, med[1], med[2],
		       med[1] / med[2], (med[1] - med[0]) / (med[2] - med[0]));
	}
	for (int i = 1; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	sniff_ebpf_free(&e);
	sniff_prog_free(&p);
}

static void usage(void)
{
	fprintf(stderr, "usage: kernel_bench [-n packets] [-R rounds] [-r repeat] [-f file.pcap] "
		"[-H hosts] [-L seconds]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned n = 256, rounds = 7, repeat = 1000, nhosts = 1000, limit = 20, nok = 0;
	const char *file = NULL;
	struct sniff_ebpf_insn floor_prog[] = { EB_MOV32_IMM(BPF_REG_0, SNAPLEN), EB_EXIT() };
	struct result res[NFILTERS];
	double ratio[NFILTERS], ratio2[NFILTERS], ratio3[NFILTERS];
	struct pkt *pk;
	int opt, floor_fd;

	while ((opt = getopt(argc, argv, "n:R:r:f:H:L:")) != -1) {
		switch (opt) {
		case 'n': n = (unsigned)atoi(optarg); break;
		case 'R': rounds = (unsigned)atoi(optarg); break;
		case 'r': repeat = (unsigned)atoi(optarg); break;
		case 'f': file = optarg; break;
		case 'H': nhosts = (unsigned)atoi(optarg); break;
		case 'L': limit = (unsigned)atoi(optarg); break;
		default: usage();
		}
	}
	if (n == 0 || rounds == 0 || repeat == 0)
		usage();
	floor_fd = eb_load(floor_prog, 2, NULL, 0);
	if (floor_fd < 0) {
		printf("kernel_bench: cannot load eBPF programs here (%s): run as root (CAP_BPF)\n",
		       strerror(-floor_fd));
		return 0;
	}
	pk = calloc(n, sizeof(*pk));
	if (!pk)
		return 1;
	if (file)
		n = file_packets(file, pk, n);
	else
		gen_packets(pk, n);
	if (n == 0) {
		fprintf(stderr, "kernel_bench: no packets\n");
		return 1;
	}
	printf("BPF_PROG_TEST_RUN, %u packets (%s), repeat %u, median of %u rounds; "
	       "ns per packet\n", n, file ? file : "the shared generator's mix", repeat, rounds);
	printf("ours = sniff -O1 + eb_translate (direct reads of skb->data: %s); helper = the "
	       "same with helper calls only (EB_F_NO_DIRECT: loads shared and widened); plain = "
	       "one helper call per load; lit = libpcap -O1 translated 1:1; floor = accept-all\n"
	       "o, h, l, f: ours, helper, lit, floor\n\n", eb_kinfo() ? "available here" :
	       "NOT available here, so ours = helper");
	printf("%-44s %9s %9s %6s %6s %6s %6s %6s %6s %7s %7s %7s\n", "filter", "cBPF o/lp",
	       "eBPF o/lit", "ours", "helper", "plain", "lit", "floor", "match", "(o-f)/", "o/l",
	       "(h-f)/");
	printf("%-44s %9s %9s %6s %6s %6s %6s %6s %6s %7s %7s %7s\n", "", "", "", "", "", "", "",
	       "", "", "(l-f)", "", "(l-f)");
	for (size_t i = 0; i < NFILTERS; i++) {
		unsigned hits = 0;
		struct result *r = &res[nok];
		char cb[24], eb[24];
		double lf;

		if (bench_one(filters[i], floor_fd, pk, n, rounds, repeat, r, &hits) < 0)
			continue;
		lf = r->lit - r->floor;
		ratio[nok] = lf > 0.5 ? (r->var[0] - r->floor) / lf : 1.0;
		ratio2[nok] = r->var[0] / r->lit;
		ratio3[nok] = lf > 0.5 ? (r->var[1] - r->floor) / lf : 1.0;
		snprintf(cb, sizeof(cb), "%u/%u", r->cb_ours, r->cb_lp);
		snprintf(eb, sizeof(eb), "%u/%u", r->eb_ours, r->eb_lit);
		printf("%-44s %9s %9s %6.1f %6.1f %6.1f %6.1f %6.1f %6u %7.2f %7.2f %7.2f\n",
		       filters[i], cb, eb, r->var[0], r->var[1], r->var[2], r->lit, r->floor, hits,
		       ratio[nok], ratio2[nok], ratio3[nok]);
		fflush(stdout);
		nok++;
	}
	if (nok) {
		printf("\nmedian over %u filters: (ours-floor)/(literal-floor) %.2f, ours/literal %.2f; "
		       "helper path (CAP_BPF only): (helper-floor)/(literal-floor) %.2f\n", nok,
		       median(ratio, nok), median(ratio2, nok), median(ratio3, nok));
	}
	control(floor_fd, pk, n, rounds, repeat);
	if (nhosts) {
		many_hosts(nhosts, limit, floor_fd, pk, n, rounds, repeat);
		map_path(nhosts, floor_fd, pk, n, rounds, repeat);
		map_path(10 * nhosts, floor_fd, pk, n, rounds, repeat);
	}
	close(floor_fd);
	for (unsigned i = 0; i < n; i++)
		free(pk[i].buf);
	free(pk);
	return 0;
}
