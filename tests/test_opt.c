/* tests/test_opt.c: the block graph (cbpf/graph.c) and the optimizer
 * (cbpf/opt.c), held to libpcap and the kernel.
 *
 * Independent of our parser and generator: every program under test is
 * libpcap's own (pcap_compile on a pcap_open_dead handle).  Oracles:
 *  - layout: libpcap's optimized program, turned into a graph and emitted again,
 *    must come back byte for byte (so our -d text is tcpdump's);
 *  - decisions: libpcap's bpf_filter running libpcap's UNOPTIMIZED program
 *    versus the same interpreter running ours, on corpus captures and on packets
 *    steered into the program's tests;
 *  - validity: the kernel (SO_ATTACH_FILTER on a plain socket);
 *  - size: libpcap's optimized program (a table in the log).
 */
#include <check.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cbpf/cbpf.h"

#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

/* ---- helpers -------------------------------------------------------------- */

static const char *corpus_dir(void)
{
	const char *c = getenv("CORPUS");

	return c && *c ? c : SRCDIR "/../shared/corpus";
}

/* libpcap's program for EXPR; 0 or -1 (then msg holds libpcap's error). */
static int pcap_prog(int dlt, int snaplen, const char *expr, int optimize, uint32_t netmask,
		     struct bpf_program *fp, char *msg, size_t msz)
{
	pcap_t *p = pcap_open_dead(dlt, snaplen);
	int rc;

	if (!p)
		return -1;
	rc = pcap_compile(p, fp, expr, optimize, netmask);
	if (rc && msg)
		snprintf(msg, msz, "%s", pcap_geterr(p));
	pcap_close(p);
	return rc ? -1 : 0;
}

static struct sniff_prog as_sniff(const struct bpf_program *fp)
{
	struct sniff_prog sp = { fp->bf_len, (struct sniff_insn *)fp->bf_insns };

	return sp;
}

/* Graph of P, optimized when OPT, emitted again. */
static int roundtrip(const struct sniff_prog *p, int opt, struct sniff_prog *out)
{
	struct cb_graph g;
	int rc = cb_graph_from_prog(p, &g);

	if (rc)
		return rc;
	if (opt)
		rc = cb_optimize(&g);
	if (!rc)
		rc = cb_graph_emit(&g, out);
	cb_graph_free(&g);
	return rc;
}

static void print_prog(FILE *f, const char *title, const struct sniff_insn *in, unsigned n)
{
	unsigned i;

	fprintf(f, "%s (%u insns)\n", title, n);
	for (i = 0; i < n; i++)
		fprintf(f, "  %s\n", bpf_image((const struct bpf_insn *)&in[i], (int)i));
}

static int same_insns(const struct sniff_insn *a, unsigned na, const struct sniff_insn *b,
		      unsigned nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

/* The kernel's classic checks: attach to an unbound UDP socket.  0 or -errno.
 * The kernel runs bpf_check_classic before it charges the converted program to
 * the socket's option memory, so ENOMEM (big programs over optmem_max) means
 * the checks passed. */
static int kernel_accepts(const struct sniff_insn *in, unsigned n)
{
	struct sock_fprog fp = { (unsigned short)n, (struct sock_filter *)in };
	int fd, rc = 0;

	if (n > BPF_MAXINSNS)
		return -E2BIG;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) && errno != ENOMEM)
		rc = -errno;
	close(fd);
	return rc;
}

/* ---- layout: libpcap's own output must survive graph -> program ----------- */

static const char *const simple_exprs[] = {
	"ip", "tcp", "udp", "host 1.2.3.4", "tcp port 80", "arp or ip6", "not ip",
	"src host 10.0.0.1 and dst port 53", "icmp or icmp6", "net 192.168.0.0/16",
	"ether host 00:11:22:33:44:55", "vlan", "vlan 100 and ip", "tcp[13] & 2 != 0",
	"ip[0] & 0xf > 5", "len > 100", "portrange 1000-2000", "ip6 and tcp port 22",
	"ether broadcast", "ip multicast", "ip proto 47", "mpls", "pppoes and ip",
	"tcp[tcpflags] & (tcp-syn|tcp-fin) != 0", "udp port 53 or tcp port 53",
	"host 1.1.1.1 or host 2.2.2.2 or host 3.3.3.3", "not (tcp or udp)",
	"ip and not net 10.0.0.0/8", "greater 64 and less 1000", "ip host 1.2.3.4 and ip6",
	"geneve", "vxlan", "ip[2:2] - 20 > 100", "icmp[icmptype] == icmp-echo",
};

static const int layout_dlts[] = { DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL, DLT_NULL };

START_TEST(test_layout_matches_libpcap)
{
	size_t i;
	unsigned d;
	int opt, ncmp = 0;

	for (d = 0; d < sizeof(layout_dlts) / sizeof(layout_dlts[0]); d++)
		for (i = 0; i < sizeof(simple_exprs) / sizeof(simple_exprs[0]); i++)
			for (opt = 0; opt <= 1; opt++) {
				struct bpf_program fp;
				struct sniff_prog in, out;
				int rc;

				if (pcap_prog(layout_dlts[d], 262144, simple_exprs[i], opt,
					      PCAP_NETMASK_UNKNOWN, &fp, NULL, 0))
					continue;
				in = as_sniff(&fp);
				rc = roundtrip(&in, 0, &out);
				ck_assert_msg(rc == 0, "%s: roundtrip failed %d", simple_exprs[i], rc);
				if (!same_insns(in.insns, in.len, out.insns, out.len)) {
					print_prog(stderr, "libpcap", in.insns, in.len);
					print_prog(stderr, "ours", out.insns, out.len);
					ck_abort_msg("dlt %d opt %d '%s': layout differs from libpcap",
						     layout_dlts[d], opt, simple_exprs[i]);
				}
				ncmp++;
				free(out.insns);
				pcap_freecode(&fp);
			}
	ck_assert_int_gt(ncmp, 100);
}
END_TEST

/* A host list long enough that libpcap needs `ja` trampolines: it must come
 * back with the same trampolines in the same places. */
START_TEST(test_long_jumps_match_libpcap)
{
	static const int counts[] = { 40, 100, 300 };
	unsigned c;

	for (c = 0; c < 3; c++) {
		char *expr = malloc(32 * (size_t)counts[c] + 1);
		struct bpf_program fp;
		struct sniff_prog in, out;
		int i, opt, nja = 0;

		expr[0] = 0;
		for (i = 0; i < counts[c]; i++)
			sprintf(expr + strlen(expr), "%shost 10.%d.%d.1", i ? " or " : "",
				i / 200, i % 200);
		for (opt = 0; opt <= 1; opt++) {
			/* libpcap's optimizer is quadratic: only the short list */
			if (opt && counts[c] > 40)
				continue;
			ck_assert_int_eq(pcap_prog(DLT_EN10MB, 262144, expr, opt,
						   PCAP_NETMASK_UNKNOWN, &fp, NULL, 0), 0);
			in = as_sniff(&fp);
			ck_assert_int_eq(roundtrip(&in, 0, &out), 0);
			for (i = 0; i < (int)out.len; i++)
				nja += out.insns[i].code == (BPF_JMP | BPF_JA);
			ck_assert_msg(same_insns(in.insns, in.len, out.insns, out.len),
				      "%d hosts opt %d: %u vs %u insns", counts[c], opt,
				      in.len, out.len);
			ck_assert_int_eq(kernel_accepts(out.insns, out.len),
					 out.len > BPF_MAXINSNS ? -E2BIG : 0);
			free(out.insns);
			pcap_freecode(&fp);
		}
		if (counts[c] == 300)
			ck_assert_int_gt(nja, 0);
		free(expr);
	}
}
END_TEST

/* Hand-made programs with `ja`, fall-through into jump targets and a
 * conditional with equal targets: same verdicts as the original on every
 * packet bpf_filter can tell apart. */
START_TEST(test_from_prog_odd_shapes)
{
	struct sniff_insn p1[] = {
		CB_LD_ABS(BPF_B, 0),
		CB_JA(2),
		CB_RET_K(1),
		CB_RET_K(2),
		CB_JMP_K(BPF_JEQ, 7, 0, 2),      /* -> 5 / 7 */
		CB_ALU_K(BPF_ADD, 1),             /* falls into the jump target 6 */
		CB_JMP_K(BPF_JGT, 3, 0, 0),       /* equal targets */
		CB_JMP_K(BPF_JSET, 1, 0, 1),
		CB_RET_A(),
		CB_JA(0),
		CB_RET_K(9),
	};
	struct sniff_prog in = { sizeof(p1) / sizeof(p1[0]), p1 }, out;
	unsigned v;

	ck_assert_int_eq(roundtrip(&in, 0, &out), 0);
	ck_assert_int_eq(kernel_accepts(out.insns, out.len), 0);
	ck_assert_uint_lt(out.len, in.len);
	{
		/* the kernel check itself can fail: M[5] read before any write */
		struct sniff_insn bad[] = { CB_LD_MEM(5), CB_RET_A() };

		ck_assert_int_eq(kernel_accepts(bad, 2), -EINVAL);
	}
	for (v = 0; v < 256; v++) {
		uint8_t pkt[1] = { (uint8_t)v };

		ck_assert_uint_eq(bpf_filter((struct bpf_insn *)p1, pkt, 1, 1),
				  bpf_filter((struct bpf_insn *)out.insns, pkt, 1, 1));
	}
	free(out.insns);
}
END_TEST

/* ---- the corpus: libpcap's unoptimized program vs ours, optimized ---------- */

struct pkt {
	uint8_t *data;
	uint32_t caplen, wirelen;
};

struct pktset {
	int dlt;
	struct pkt *v;
	unsigned n, cap;
};

#define MAX_CORPUS_PKTS 1500
#define PKT_KEEP 2048

static const char *const dlt_names[] = {
	"EN10MB", "LINUX_SLL", "LINUX_SLL2", "RAW", "IPV4", "IPV6", "NULL", "LOOP",
};
#define NDLT (sizeof(dlt_names) / sizeof(dlt_names[0]))
static struct pktset pktsets[NDLT];
static int pktsets_loaded;

static int dlt_value(const char *name)
{
	int v = pcap_datalink_name_to_val(name);

	if (v >= 0)
		return v;
	if (!strcmp(name, "IPV4"))
		return DLT_IPV4;
	if (!strcmp(name, "IPV6"))
		return DLT_IPV6;
	if (!strcmp(name, "LINUX_SLL2"))
		return DLT_LINUX_SLL2;
	return -1;
}

static void pkt_push(struct pktset *ps, const uint8_t *d, uint32_t caplen, uint32_t wirelen)
{
	struct pkt *p;

	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? 2 * ps->cap : 64;
		ps->v = realloc(ps->v, ps->cap * sizeof(*ps->v));
		ck_assert_ptr_nonnull(ps->v);
	}
	p = &ps->v[ps->n++];
	if (caplen > PKT_KEEP)
		caplen = PKT_KEEP;
	p->data = malloc(caplen ? caplen : 1);
	ck_assert_ptr_nonnull(p->data);
	memcpy(p->data, d, caplen);
	p->caplen = caplen;
	p->wirelen = wirelen < caplen ? caplen : wirelen;
}

static void load_pcap(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned i;

	if (!p)
		return;
	for (i = 0; i < NDLT; i++) {
		struct pktset *ps = &pktsets[i];

		if (ps->dlt != pcap_datalink(p))
			continue;
		while (ps->n < MAX_CORPUS_PKTS && pcap_next_ex(p, &h, &d) == 1)
			pkt_push(ps, d, h->caplen, h->len);
	}
	pcap_close(p);
}

static void load_dir(const char *dir)
{
	char cmd[4096], line[4096];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls '%s' 2>/dev/null", dir);
	f = popen(cmd, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char path[8192];

		line[strcspn(line, "\n")] = 0;
		if (!strstr(line, ".pcap"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, line);
		load_pcap(path);
	}
	pclose(f);
}

static void load_pktsets(void)
{
	char dir[4096];
	unsigned i;

	if (pktsets_loaded)
		return;
	for (i = 0; i < NDLT; i++)
		pktsets[i].dlt = dlt_value(dlt_names[i]);
	snprintf(dir, sizeof(dir), "%s/filters/captures", corpus_dir());
	load_dir(dir);
	snprintf(dir, sizeof(dir), "%s/print", corpus_dir());
	load_dir(dir);
	pktsets_loaded = 1;
}

static struct pktset *pktset_for(int dlt)
{
	unsigned i;

	for (i = 0; i < NDLT; i++)
		if (pktsets[i].dlt == dlt)
			return &pktsets[i];
	return NULL;
}

/* -- a tracing run of a classic program, only to steer packets into its tests
 * (the verdicts always come from libpcap's bpf_filter) -- */

struct origin {
	int valid;
	uint32_t off, size, mask, add;
};

struct branch {
	struct origin o;
	uint16_t code;
	uint32_t k;
	int taken;
};

struct trace {
	struct branch br[64];
	unsigned nbr;
	uint32_t loads[16]; /* end offsets of packet loads */
	unsigned nloads;
};

static uint32_t get_be(const uint8_t *p, uint32_t size)
{
	uint32_t v = 0, i;

	for (i = 0; i < size; i++)
		v = v << 8 | p[i];
	return v;
}

static void trace_run(const struct bpf_insn *pc, const uint8_t *p, uint32_t caplen,
		      uint32_t wirelen, struct trace *tr)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };
	struct origin oa = { 0 }, ox = { 0 }, om[BPF_MEMWORDS];
	unsigned steps = 0;

	memset(om, 0, sizeof(om));
	tr->nbr = 0;
	tr->nloads = 0;
	for (; steps < 5000; pc++, steps++) {
		uint32_t k = pc->k, size, off;

		switch (BPF_CLASS(pc->code)) {
		case BPF_RET:
			return;
		case BPF_LD:
		case BPF_LDX:
			size = BPF_SIZE(pc->code) == BPF_B ? 1 : BPF_SIZE(pc->code) == BPF_H ? 2 : 4;
			switch (BPF_MODE(pc->code)) {
			case BPF_ABS:
			case BPF_IND:
				off = BPF_MODE(pc->code) == BPF_IND ? X + k : k;
				if (off > caplen || size > caplen - off)
					return;
				if (tr->nloads < 16)
					tr->loads[tr->nloads++] = off + size;
				A = get_be(p + off, size);
				oa = (struct origin){ 1, off, size, 0xffffffffu >> (32 - 8 * size), 0 };
				break;
			case BPF_MSH:
				if (k >= caplen)
					return;
				X = 4u * (p[k] & 0xf);
				ox.valid = 0;
				break;
			case BPF_IMM:
				if (BPF_CLASS(pc->code) == BPF_LD) {
					A = k;
					oa.valid = 0;
				} else {
					X = k;
					ox.valid = 0;
				}
				break;
			case BPF_LEN:
				if (BPF_CLASS(pc->code) == BPF_LD) {
					A = wirelen;
					oa.valid = 0;
				} else {
					X = wirelen;
					ox.valid = 0;
				}
				break;
			case BPF_MEM:
				if (k >= BPF_MEMWORDS)
					return;
				if (BPF_CLASS(pc->code) == BPF_LD) {
					A = M[k];
					oa = om[k];
				} else {
					X = M[k];
					ox = om[k];
				}
				break;
			}
			break;
		case BPF_ST:
		case BPF_STX:
			if (k >= BPF_MEMWORDS)
				return;
			M[k] = BPF_CLASS(pc->code) == BPF_ST ? A : X;
			om[k] = BPF_CLASS(pc->code) == BPF_ST ? oa : ox;
			break;
		case BPF_ALU: {
			uint32_t b = BPF_SRC(pc->code) == BPF_X ? X : k;

			switch (BPF_OP(pc->code)) {
			case BPF_ADD: A += b; oa.add += b; break;
			case BPF_SUB: A -= b; oa.add -= b; break;
			case BPF_AND: A &= b; oa.mask &= b; if (oa.add) oa.valid = 0; break;
			case BPF_MUL: A *= b; oa.valid = 0; break;
			case BPF_OR: A |= b; oa.valid = 0; break;
			case BPF_XOR: A ^= b; oa.valid = 0; break;
			case BPF_LSH: A = b < 32 ? A << b : 0; oa.valid = 0; break;
			case BPF_RSH: A = b < 32 ? A >> b : 0; oa.valid = 0; break;
			case BPF_NEG: A = -A; oa.valid = 0; break;
			case BPF_DIV: if (!b) return; A /= b; oa.valid = 0; break;
			case BPF_MOD: if (!b) return; A %= b; oa.valid = 0; break;
			}
			break;
		}
		case BPF_MISC:
			if (BPF_MISCOP(pc->code) == BPF_TAX) {
				X = A;
				ox = oa;
			} else {
				A = X;
				oa = ox;
			}
			break;
		case BPF_JMP: {
			uint32_t b = BPF_SRC(pc->code) == BPF_X ? X : k;
			int t = 0;

			switch (BPF_OP(pc->code)) {
			case BPF_JA: pc += k; continue;
			case BPF_JEQ: t = A == b; break;
			case BPF_JGT: t = A > b; break;
			case BPF_JGE: t = A >= b; break;
			case BPF_JSET: t = (A & b) != 0; break;
			}
			if (tr->nbr < 64)
				tr->br[tr->nbr++] = (struct branch){ oa, pc->code, b, t };
			pc += t ? pc->jt : pc->jf;
			break;
		}
		}
	}
}

static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

/* Make branch B come out the other way by writing its value into the packet. */
static void flip(uint8_t *p, uint32_t caplen, const struct branch *b)
{
	uint32_t want = 0, raw, old, i;
	int t = !b->taken;

	if (!b->o.valid || b->o.off + b->o.size > caplen)
		return;
	switch (BPF_OP(b->code)) {
	case BPF_JEQ: want = t ? b->k : b->k + 1; break;
	case BPF_JGT: want = t ? b->k + 1 : b->k; break;
	case BPF_JGE: want = t ? b->k : b->k - 1; break;
	case BPF_JSET: want = t ? b->k : 0; break;
	}
	raw = want - b->o.add;
	old = get_be(p + b->o.off, b->o.size);
	raw = (old & ~b->o.mask) | (raw & b->o.mask);
	for (i = 0; i < b->o.size; i++)
		p[b->o.off + i] = (uint8_t)(raw >> (8 * (b->o.size - 1 - i)));
}

struct diff_stats {
	unsigned long runs, mismatches;
};

static int compare_on(const struct bpf_program *ref, const struct sniff_prog *ours,
		      const uint8_t *p, uint32_t caplen, uint32_t wirelen, struct diff_stats *st,
		      const char *expr, int dlt)
{
	u_int a = bpf_filter(ref->bf_insns, p, wirelen, caplen);
	u_int b = bpf_filter((const struct bpf_insn *)ours->insns, p, wirelen, caplen);

	st->runs++;
	if (a == b)
		return 0;
	if (st->mismatches++ < 5) {
		uint32_t i;

		fprintf(stderr, "MISMATCH dlt %d '%s': libpcap %u ours %u caplen %u wirelen %u\n  ",
			dlt, expr, a, b, caplen, wirelen);
		for (i = 0; i < caplen && i < 80; i++)
			fprintf(stderr, "%02x", p[i]);
		fprintf(stderr, "\n");
		print_prog(stderr, "libpcap -O0", (const struct sniff_insn *)ref->bf_insns,
			   ref->bf_len);
		print_prog(stderr, "ours", ours->insns, ours->len);
	}
	return 1;
}

/* Corpus packets, then packets steered branch by branch, each also cut short
 * at the end of the loads it made. */
static void differential(const struct bpf_program *ref, const struct sniff_prog *ours,
			 int dlt, const char *expr, uint64_t seed, struct diff_stats *st)
{
	struct pktset *ps = pktset_for(dlt);
	uint8_t buf[PKT_KEEP];
	struct trace tr;
	unsigned i, r, step;

	for (i = 0; ps && i < ps->n; i++)
		compare_on(ref, ours, ps->v[i].data, ps->v[i].caplen, ps->v[i].wirelen, st, expr,
			   dlt);
	for (r = 0; r < 48; r++) {
		uint32_t len;

		if (ps && ps->n && r % 2) {
			const struct pkt *b = &ps->v[rnd(&seed) % ps->n];

			len = b->caplen;
			memcpy(buf, b->data, len);
		} else {
			len = 20 + rnd(&seed) % 180;
			for (i = 0; i < len; i++)
				buf[i] = (uint8_t)(r & 4 ? 0 : rnd(&seed));
		}
		for (step = 0; step < 16; step++) {
			uint32_t l;

			compare_on(ref, ours, buf, len, len, st, expr, dlt);
			trace_run(ref->bf_insns, buf, len, len, &tr);
			for (l = 0; l < tr.nloads; l++)
				if (tr.loads[l] > 0 && tr.loads[l] <= len)
					compare_on(ref, ours, buf, tr.loads[l] - 1, len, st, expr, dlt);
			if (!tr.nbr)
				break;
			flip(buf, len, &tr.br[rnd(&seed) % tr.nbr]);
			if (rnd(&seed) % 8 == 0)
				buf[rnd(&seed) % len] = (uint8_t)rnd(&seed);
		}
	}
}

/* The differential check must be able to fail: a wrong constant and a
 * dropped load (seen only on truncated packets) are both caught. */
START_TEST(test_differential_catches_errors)
{
	static const struct { int dlt; const char *expr; int drop_load; } cases[] = {
		{ DLT_EN10MB, "tcp port 80", 0 },
		{ DLT_RAW, "ip dst net 0.0.0.0/0", 1 },
		{ DLT_EN10MB, "ip and udp", 1 },
	};
	unsigned c;

	load_pktsets();
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct bpf_program u;
		struct sniff_prog in, out;
		struct diff_stats st = { 0, 0 };
		unsigned i;
		int done = 0;

		ck_assert_int_eq(pcap_prog(cases[c].dlt, 262144, cases[c].expr, 0,
					   PCAP_NETMASK_UNKNOWN, &u, NULL, 0), 0);
		in = as_sniff(&u);
		ck_assert_int_eq(roundtrip(&in, 1, &out), 0);
		for (i = out.len; i-- > 0 && !done;) {
			struct sniff_insn *x = &out.insns[i];

			if (cases[c].drop_load && x->code == (BPF_LD | BPF_W | BPF_ABS)) {
				x->code = BPF_LD | BPF_IMM;	/* same value flow, no bounds check */
				done = 1;
			} else if (cases[c].drop_load && x->code == (BPF_LD | BPF_B | BPF_ABS) &&
				   x->k > 14) {
				x->code = BPF_LD | BPF_IMM;
				x->k = 17;
				done = 1;
			} else if (!cases[c].drop_load && x->code == (BPF_JMP | BPF_JEQ | BPF_K)) {
				x->k++;
				done = 1;
			}
		}
		ck_assert_msg(done, "%s: nothing to break", cases[c].expr);
		fprintf(stderr, "(expected) broken program for '%s':\n", cases[c].expr);
		differential(&u, &out, cases[c].dlt, cases[c].expr, 42, &st);
		ck_assert_msg(st.mismatches > 0, "'%s': a broken program went unnoticed",
			      cases[c].expr);
		free(out.insns);
		pcap_freecode(&u);
	}
}
END_TEST

/* -d text: where our optimizer reaches libpcap's program, tcpdump -d prints
 * the same lines (bpf_image is libpcap's own -d line printer). */
START_TEST(test_dump_text_matches_libpcap)
{
	static const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL };
	unsigned d;
	size_t i;

	for (d = 0; d < 2; d++)
		for (i = 0; i < sizeof(simple_exprs) / sizeof(simple_exprs[0]); i++) {
			struct bpf_program u, o;
			struct sniff_prog in, out;
			unsigned j;

			if (!strcmp(simple_exprs[i], "geneve"))
				continue;	/* libpcap's optimizer gives up there; we do not */
			if (strstr(simple_exprs[i], "host 2.2.2.2"))
				continue;	/* libpcap reorders loads there: different on short packets */
			if (pcap_prog(dlts[d], 262144, simple_exprs[i], 0, PCAP_NETMASK_UNKNOWN, &u,
				      NULL, 0))
				continue;
			if (pcap_prog(dlts[d], 262144, simple_exprs[i], 1, PCAP_NETMASK_UNKNOWN, &o,
				      NULL, 0)) {
				pcap_freecode(&u);
				continue;	/* "rejects all packets": no -O program */
			}
			in = as_sniff(&u);
			ck_assert_int_eq(roundtrip(&in, 1, &out), 0);
			if (out.len != o.bf_len) {
				print_prog(stderr, "libpcap -O", (struct sniff_insn *)o.bf_insns,
					   o.bf_len);
				print_prog(stderr, "ours", out.insns, out.len);
			}
			ck_assert_msg(out.len == o.bf_len, "dlt %d '%s': %u lines, libpcap %u",
				      dlts[d], simple_exprs[i], out.len, o.bf_len);
			for (j = 0; j < out.len; j++) {
				char mine[256];

				snprintf(mine, sizeof(mine), "%s",
					 bpf_image((struct bpf_insn *)&out.insns[j], (int)j));
				ck_assert_msg(!strcmp(mine, bpf_image(&o.bf_insns[j], (int)j)),
					      "dlt %d '%s' line %u: '%s' vs libpcap '%s'", dlts[d],
					      simple_exprs[i], j, mine,
					      bpf_image(&o.bf_insns[j], (int)j));
			}
			free(out.insns);
			pcap_freecode(&u);
			pcap_freecode(&o);
		}
}
END_TEST

/* Or-/and-chains are where tests get regrouped: loads of many lengths, direct
 * and through X, so that truncated packets tell a moved load apart. */
static const char *const chain_exprs[] = {
	"host 10.0.0.1 or host 10.0.0.2 or host 10.0.0.3",
	"host 10.0.0.1 or host 10.0.0.2 or host 10.0.0.3 or host 10.0.0.4 or host 10.0.0.5",
	"port 22 or port 23 or port 25 or port 80",
	"tcp port 80 or tcp port 443 or udp port 53",
	"src host 1.2.3.4 and dst host 5.6.7.8 and tcp",
	"net 10.0.0.0/8 or net 192.168.0.0/16 or host 1.2.3.4",
	"ip[30] = 1 or ip[2] = 2 or ip[40] = 3 or ip[3] = 4 or ip[30] = 5",
	"tcp[20] = 1 or tcp[2] = 2 or tcp[30] = 3 or tcp[4] = 4 or tcp[20] = 5",
	"ether[100] = 1 or ether[0] = 2 or ether[200] = 3 or ether[1] = 1 or ether[100] = 7",
	"not (ether[50] = 1 or ether[10] = 2 or ether[60] = 3 or ether[10] = 4)",
	"ether[10] != 1 and ether[60] != 2 and ether[10] != 3 and ether[60] != 4",
	"ether[12:2] = 0x800 or ether[40:4] = 7 or ether[12:2] = 0x86dd or ether[40:4] = 9",
	"udp[8:2] = 1 or udp[0:2] = 53 or udp[8:2] = 2 or udp[2:2] = 53 or udp[30] = 1",
	"len > 100 or ether[70] = 1 or len < 20 or ether[5] = 3 or ether[70] = 2",
};

START_TEST(test_chains_same_decisions)
{
	static const int dlts[] = { DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL };
	struct diff_stats st = { 0, 0 };
	unsigned d, ncases = 0, nlarger = 0;
	size_t i;

	load_pktsets();
	for (d = 0; d < 3; d++)
		for (i = 0; i < sizeof(chain_exprs) / sizeof(chain_exprs[0]); i++) {
			struct bpf_program u, o;
			struct sniff_prog in, out;
			int haveo;

			if (pcap_prog(dlts[d], 262144, chain_exprs[i], 0, PCAP_NETMASK_UNKNOWN, &u,
				      NULL, 0))
				continue;
			haveo = !pcap_prog(dlts[d], 262144, chain_exprs[i], 1, PCAP_NETMASK_UNKNOWN,
					   &o, NULL, 0);
			in = as_sniff(&u);
			ck_assert_int_eq(roundtrip(&in, 1, &out), 0);
			ck_assert_int_eq(kernel_accepts(out.insns, out.len), 0);
			differential(&u, &out, dlts[d], chain_exprs[i], 7 + i, &st);
			printf("  chain dlt %-3d libpcap -O %3d ours %3u  %s\n", dlts[d],
			       haveo ? (int)o.bf_len : -1, out.len, chain_exprs[i]);
			ncases++;
			if (haveo) {
				nlarger += out.len > o.bf_len;
				pcap_freecode(&o);
			}
			free(out.insns);
			pcap_freecode(&u);
		}
	printf("chains: %u cases, %u larger than libpcap -O, %lu runs, %lu mismatches\n", ncases,
	       nlarger, st.runs, st.mismatches);
	fflush(stdout);
	ck_assert_uint_gt(ncases, 30);
	ck_assert_uint_eq(st.mismatches, 0);
}
END_TEST

/* Why we are sometimes longer than libpcap -O: its or_pullup moves a test
 * above a load that may fail, and a truncated packet then gets another
 * verdict.  Ours must keep the -O0 verdict. */
START_TEST(test_keeps_verdict_libpcap_changes)
{
	static const char *expr =
		"ether[12:2] = 0x800 or ether[40:4] = 7 or ether[12:2] = 0x86dd or ether[40:4] = 9";
	uint8_t pkt[20] = { 0 };
	struct bpf_program u, o;
	struct sniff_prog in, out;
	u_int v0, v1, vo;

	pkt[12] = 0x86;
	pkt[13] = 0xdd;
	ck_assert_int_eq(pcap_prog(DLT_EN10MB, 262144, expr, 0, PCAP_NETMASK_UNKNOWN, &u, NULL, 0),
			 0);
	ck_assert_int_eq(pcap_prog(DLT_EN10MB, 262144, expr, 1, PCAP_NETMASK_UNKNOWN, &o, NULL, 0),
			 0);
	in = as_sniff(&u);
	ck_assert_int_eq(roundtrip(&in, 1, &out), 0);
	v0 = bpf_filter(u.bf_insns, pkt, sizeof(pkt), sizeof(pkt));
	v1 = bpf_filter(o.bf_insns, pkt, sizeof(pkt), sizeof(pkt));
	vo = bpf_filter((struct bpf_insn *)out.insns, pkt, sizeof(pkt), sizeof(pkt));
	printf("20-byte IPv6 frame, '%s': -O0 %u, libpcap -O %u, ours %u\n", expr, v0, v1, vo);
	ck_assert_uint_eq(vo, v0);
	if (v1 == v0)
		printf("  (this libpcap keeps the verdict here)\n");
	free(out.insns);
	pcap_freecode(&u);
	pcap_freecode(&o);
}
END_TEST

/* Random classic programs: shapes libpcap never emits (X tests, M[] traffic,
 * division, ja, ret a).  Each one the kernel accepts is optimized and must
 * keep every verdict of the original. */
static void random_prog(uint64_t *seed, struct sniff_insn *p, unsigned n)
{
	static const uint16_t alu_ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND,
					    BPF_LSH, BPF_RSH, BPF_MOD, BPF_XOR };
	static const uint16_t jmp_ops[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET };
	static const uint32_t consts[] = { 0, 1, 2, 4, 6, 17, 0x800, 0x86dd, 0xff, 0xffffffffu };
	unsigned i;

	/* M[0..3] written first so that reads are always valid */
	for (i = 0; i < 4; i++)
		p[i] = CB_ST(i);
	for (; i + 1 < n; i++) {
		uint32_t r = rnd(seed) % 20, k = rnd(seed) % 4 ? consts[rnd(seed) % 10] : rnd(seed) % 64;
		uint16_t size = (uint16_t[]){ BPF_B, BPF_H, BPF_W }[rnd(seed) % 3];
		unsigned left = n - 2 - i;
		uint8_t jt = (uint8_t)(left ? rnd(seed) % (left < 8 ? left + 1 : 8) : 0);
		uint8_t jf = (uint8_t)(left ? rnd(seed) % (left < 8 ? left + 1 : 8) : 0);

		switch (r) {
		case 0: case 1: p[i] = CB_LD_ABS(size, rnd(seed) % 48); break;
		case 2: p[i] = CB_LD_IND(size, rnd(seed) % 24); break;
		case 3: p[i] = CB_LDX_MSH(rnd(seed) % 24); break;
		case 4: p[i] = CB_LD_IMM(k); break;
		case 5: p[i] = CB_LDX_IMM(k % 64); break;
		case 6: p[i] = CB_LD_MEM(rnd(seed) % 5); break;	/* M[4]: maybe unwritten */
		case 7: p[i] = CB_LDX_MEM(rnd(seed) % 4); break;
		case 8: p[i] = CB_ST(rnd(seed) % 5); break;
		case 9: p[i] = CB_STX(rnd(seed) % 4); break;
		case 10: {
			uint16_t op = alu_ops[rnd(seed) % 10];

			if ((op == BPF_DIV || op == BPF_MOD) && !k)
				k = 3;
			if ((op == BPF_LSH || op == BPF_RSH) && k >= 32)
				k %= 32;
			p[i] = CB_ALU_K(op, k);
			break;
		}
		case 11: p[i] = CB_ALU_X(alu_ops[rnd(seed) % 10]); break;
		case 12: p[i] = rnd(seed) % 2 ? CB_TAX() : CB_TXA(); break;
		case 13: p[i] = rnd(seed) % 3 ? CB_LD_LEN() : CB_NEG(); break;
		case 14: case 15: case 16:
			p[i] = CB_JMP_K(jmp_ops[rnd(seed) % 4], k, jt, jf);
			break;
		case 17: p[i] = CB_JMP_X(jmp_ops[rnd(seed) % 4], jt, jf); break;
		case 18: p[i] = left ? CB_JA(rnd(seed) % (left + 1)) : CB_RET_A(); break;
		default: p[i] = rnd(seed) % 3 ? CB_RET_K(rnd(seed) % 2 ? 0 : 96 + rnd(seed) % 4) : CB_RET_A(); break;
		}
	}
	p[n - 1] = rnd(seed) % 2 ? CB_RET_A() : CB_RET_K(rnd(seed) % 2 ? 0 : 0xffff);
}

/* An or-/and-chain: blocks of (optional load, test) that leave to one exit on
 * one outcome; what the chain regrouping works on. */
static unsigned chain_prog(uint64_t *seed, struct sniff_insn *p, unsigned max)
{
	static const uint32_t offs[] = { 12, 14, 23, 26, 30, 40, 54, 60 };
	static const uint16_t ops[] = { BPF_JEQ, BPF_JEQ, BPF_JGT, BPF_JSET };
	static const uint32_t ks[] = { 0, 1, 6, 0x800, 0x11 };
	unsigned m = 3 + rnd(seed) % 8, i, n = 0, exit_pc, fall_pc, nb = 0;
	unsigned start[16];
	int ind = rnd(seed) % 2;
	uint32_t E = rnd(seed) % 2 ? 0 : 0x40000, Fv = E ? 0 : 0x40000;

	if (ind)
		p[n++] = CB_LDX_MSH(14);
	/* first pass: lay out, remembering where each test sits */
	for (i = 0; i < m && n + 4 < max; i++) {
		static const uint16_t sizes[] = { BPF_B, BPF_H, BPF_W };
		uint16_t size = sizes[rnd(seed) % 3];
		uint32_t off = offs[rnd(seed) % 8];

		if (rnd(seed) % 4) {
			if (ind && rnd(seed) % 2)
				p[n++] = CB_LD_IND(size, off % 24);
			else
				p[n++] = CB_LD_ABS(size, off);
		}
		start[nb++] = n;
		p[n++] = CB_JMP_K(ops[rnd(seed) % 4], ks[rnd(seed) % 5], 0, 0);
	}
	exit_pc = n;
	p[n++] = CB_RET_K(E);
	fall_pc = n;
	p[n++] = CB_RET_K(Fv);
	for (i = 0; i < nb; i++) {
		struct sniff_insn *j = &p[start[i]];
		unsigned next = i + 1 < nb ? start[i] + 1 : fall_pc;	/* falls into next block */
		uint8_t to_exit = (uint8_t)(exit_pc - start[i] - 1);
		uint8_t to_next = (uint8_t)(i + 1 < nb ? 0 : next - start[i] - 1);

		if (rnd(seed) % 2) {
			j->jt = to_exit;
			j->jf = to_next;
		} else {
			j->jt = to_next;
			j->jf = to_exit;
		}
	}
	return n;
}

START_TEST(test_random_programs_same_decisions)
{
	uint64_t seed = 0x1234567887654321ull;
	struct diff_stats st = { 0, 0 };
	unsigned tried, valid = 0, shorter = 0, count = 3000;

	/* OPT_FUZZ=N[,SEED] for a longer hunt than make check affords */
	if (getenv("OPT_FUZZ")) {
		const char *c = strchr(getenv("OPT_FUZZ"), ',');

		count = (unsigned)atoi(getenv("OPT_FUZZ"));
		if (c)
			seed = strtoull(c + 1, NULL, 0);
	}
	load_pktsets();
	for (tried = 0; tried < count; tried++) {
		struct sniff_insn p[48];
		unsigned n = 6 + rnd(&seed) % 40;
		struct sniff_prog in = { n, p }, out;
		struct bpf_program ref = { n, (struct bpf_insn *)p };
		char name[32];

		if (tried % 3 == 0)
			in.len = ref.bf_len = n = chain_prog(&seed, p, 48);
		else
			random_prog(&seed, p, n);
		if (kernel_accepts(p, n))
			continue;	/* e.g. a path that reads M[] or falls off: not a program */
		valid++;
		ck_assert_int_eq(roundtrip(&in, 1, &out), 0);
		ck_assert_msg(kernel_accepts(out.insns, out.len) == 0, "random program %u: kernel "
			      "rejects the optimized one", tried);
		shorter += out.len < n;
		snprintf(name, sizeof(name), "random #%u", tried);
		differential(&ref, &out, DLT_EN10MB, name, seed, &st);
		free(out.insns);
	}
	printf("random programs: %u valid of %u, %u made shorter, %lu runs, %lu mismatches\n",
	       valid, tried, shorter, st.runs, st.mismatches);
	fflush(stdout);
	ck_assert_uint_gt(valid, 300);
	ck_assert_uint_lt(valid, tried);
	ck_assert_uint_eq(st.mismatches, 0);
}
END_TEST

/* -- accept.jsonl, the few fields we need -- */

static const char *json_field(const char *line, const char *key, char *out, size_t osz)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(line, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	if (*p != '"') {
		while (*p && *p != ',' && *p != '}' && n + 1 < osz)
			out[n++] = *p++;
		out[n] = 0;
		return out;
	}
	for (p++; *p && *p != '"' && n + 1 < osz; p++) {
		if (*p == '\\') {
			p++;
			switch (*p) {
			case 'n': out[n++] = '\n'; break;
			case 't': out[n++] = '\t'; break;
			case 'u': {
				unsigned c = 0;

				sscanf(p + 1, "%4x", &c);
				out[n++] = (char)c;
				p += 4;
				break;
			}
			default: out[n++] = *p; break;
			}
		} else {
			out[n++] = *p;
		}
	}
	out[n] = 0;
	return out;
}

struct size_table {
	unsigned cases, smaller, same, larger, nolibopt;
};

START_TEST(test_corpus_same_decisions)
{
	char path[4096], line[65536], dlt[64], expr[8192], num[64];
	char **seen = NULL;
	size_t nseen = 0, capseen = 0;
	struct diff_stats st = { 0, 0 };
	struct size_table tab = { 0 };
	unsigned long ours_total = 0, lib_total = 0;
	unsigned nskip = 0, nkernel = 0, nbad = 0, ninvalid = 0;
	FILE *f;

	load_pktsets();
	snprintf(path, sizeof(path), "%s/filters/accept.jsonl", corpus_dir());
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		struct bpf_program u, o;
		struct sniff_prog in, out;
		char key[8400], msg[PCAP_ERRBUF_SIZE];
		int d, snaplen, haveo, rc;
		uint32_t netmask;
		size_t i;

		if (!json_field(line, "dlt", dlt, sizeof(dlt)) ||
		    !json_field(line, "expr", expr, sizeof(expr)))
			continue;
		for (i = 0; i < NDLT; i++)
			if (!strcmp(dlt, dlt_names[i]))
				break;
		if (i == NDLT || !json_field(line, "linuxext", num, sizeof(num)) || strcmp(num, "0"))
			continue;
		/* test-only names: libpcap would ask DNS for them, slowly, in vain */
		if (json_field(line, "needs", num, sizeof(num)) && strstr(num, "configure")) {
			nskip++;
			continue;
		}
		d = dlt_value(dlt);
		json_field(line, "snaplen", num, sizeof(num));
		snaplen = strcmp(num, "null") ? atoi(num) : 262144;
		json_field(line, "netmask", num, sizeof(num));
		netmask = strcmp(num, "null") ? (uint32_t)strtoul(num, NULL, 0) : PCAP_NETMASK_UNKNOWN;
		snprintf(key, sizeof(key), "%d|%d|%u|%s", d, snaplen, netmask, expr);
		for (i = 0; i < nseen; i++)
			if (!strcmp(seen[i], key))
				break;
		if (i < nseen)
			continue;
		if (nseen == capseen) {
			capseen = capseen ? 2 * capseen : 256;
			seen = realloc(seen, capseen * sizeof(*seen));
		}
		seen[nseen++] = strdup(key);
		if (pcap_prog(d, snaplen, expr, 0, netmask, &u, msg, sizeof(msg))) {
			nskip++;	/* names this machine cannot resolve */
			continue;
		}
		haveo = !pcap_prog(d, snaplen, expr, 1, netmask, &o, NULL, 0);
		in = as_sniff(&u);
		rc = roundtrip(&in, 1, &out);
		if (rc == -EINVAL && u.bf_len <= BPF_MAXINSNS &&
		    kernel_accepts(in.insns, in.len) == -EINVAL) {
			/* protochain loops backwards: not a classic program at all */
			ninvalid++;
			pcap_freecode(&u);
			if (haveo)
				pcap_freecode(&o);
			continue;
		}
		ck_assert_msg(rc == 0, "'%s': optimizer failed %d", expr, rc);
		if (out.len <= BPF_MAXINSNS) {
			rc = kernel_accepts(out.insns, out.len);
			nkernel++;
			if (rc) {
				nbad++;
				fprintf(stderr, "KERNEL REJECTS dlt %d '%s': %d\n", d, expr, rc);
				print_prog(stderr, "ours", out.insns, out.len);
			}
		}
		differential(&u, &out, d, expr, 0x9e3779b97f4a7c15ull ^ nseen, &st);
		tab.cases++;
		if (!haveo) {
			tab.nolibopt++;
		} else {
			ours_total += out.len;
			lib_total += o.bf_len;
			if (out.len < o.bf_len) {
				tab.smaller++;
				if (getenv("OPT_SHOW_LARGER"))
					fprintf(stderr, "SMALLER dlt %d '%s': libpcap %u ours %u\n",
						d, expr, o.bf_len, out.len);
			}
			else if (out.len == o.bf_len)
				tab.same++;
			else {
				tab.larger++;
				if (getenv("OPT_SHOW_LARGER"))
					fprintf(stderr, "LARGER dlt %d '%s': libpcap %u ours %u\n", d,
						expr, o.bf_len, out.len);
			}
			pcap_freecode(&o);
		}
		free(out.insns);
		pcap_freecode(&u);
	}
	fclose(f);
	printf("optimizer vs libpcap -O (%u distinct cases; skipped: %u lines needing the test "
	       "name files, %u programs the kernel rejects: protochain loops)\n", tab.cases, nskip,
	       ninvalid);
	printf("  %-8s %-8s %-8s %-8s %-10s %s\n", "cases", "smaller", "same", "larger",
	       "no-libopt", "insns ours/libpcap");
	printf("  %-8u %-8u %-8u %-8u %-10u %lu/%lu\n", tab.cases, tab.smaller, tab.same,
	       tab.larger, tab.nolibopt, ours_total, lib_total);
	printf("  decisions: %lu packet runs, %lu mismatches; kernel checked %u, rejected %u\n",
	       st.runs, st.mismatches, nkernel, nbad);
	fflush(stdout);
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	ck_assert_uint_gt(tab.cases, 500);
	ck_assert_uint_eq(st.mismatches, 0);
	ck_assert_uint_eq(nbad, 0);
	ck_assert_msg(tab.larger * 20 <= tab.cases - tab.nolibopt,
		      "larger than libpcap on %u of %u", tab.larger, tab.cases - tab.nolibopt);
}
END_TEST

/* A conditional edge back to its own block (a loop, as only a hand-built
 * graph has) cannot be a short jump even in a tiny program: the emitter must
 * send it through a `ja` as for a long one.  Oracle: libpcap's bpf_filter on
 * the same loop written by hand. */
START_TEST(test_backward_conditional_edge)
{
	static const struct bpf_insn ref[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 0),
		BPF_STMT(BPF_ST, 0),
		BPF_STMT(BPF_LD | BPF_MEM, 0),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
		BPF_STMT(BPF_ST, 0),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 5, 1, 0),
		BPF_STMT(BPF_JMP | BPF_JA, (uint32_t)-5),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct cb_graph g = { 0 };
	struct cb_block *b0 = cb_block_new(&g), *b1 = cb_block_new(&g), *r = cb_block_new(&g);
	struct sniff_prog out;
	uint8_t pkt[1] = { 0 };

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(cb_block_add(b0, BPF_LD | BPF_IMM, 0), 0);
	ck_assert_int_eq(cb_block_add(b0, BPF_ST, 0), 0);
	b0->code = BPF_JMP | BPF_JEQ | BPF_K;
	b0->jt = b0->jf = b1;
	ck_assert_int_eq(cb_block_add(b1, BPF_LD | BPF_MEM, 0), 0);
	ck_assert_int_eq(cb_block_add(b1, BPF_ALU | BPF_ADD | BPF_K, 1), 0);
	ck_assert_int_eq(cb_block_add(b1, BPF_ST, 0), 0);
	b1->code = BPF_JMP | BPF_JGE | BPF_K;
	b1->k = 5;
	b1->jt = r;
	b1->jf = b1;
	r->code = BPF_RET | BPF_A;
	g.entry = b0;
	g.next_mem = 1;
	ck_assert_int_eq(cb_graph_emit(&g, &out), 0);
	print_prog(stderr, "loop", out.insns, out.len);
	ck_assert_uint_eq(bpf_filter((struct bpf_insn *)out.insns, pkt, 1, 1),
			  bpf_filter(ref, pkt, 1, 1));
	ck_assert_uint_eq(bpf_filter(ref, pkt, 1, 1), 5);
	sniff_prog_free(&out);
	cb_graph_free(&g);
}
END_TEST

static Suite *graph_suite(void)
{
	Suite *s = suite_create("opt");
	TCase *tc = tcase_create("graph");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_layout_matches_libpcap);
	tcase_add_test(tc, test_long_jumps_match_libpcap);
	tcase_add_test(tc, test_from_prog_odd_shapes);
	tcase_add_test(tc, test_backward_conditional_edge);
	suite_add_tcase(s, tc);
	tc = tcase_create("corpus");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_differential_catches_errors);
	tcase_add_test(tc, test_dump_text_matches_libpcap);
	tcase_add_test(tc, test_corpus_same_decisions);
	tcase_add_test(tc, test_chains_same_decisions);
	tcase_add_test(tc, test_keeps_verdict_libpcap_changes);
	tcase_add_test(tc, test_random_programs_same_decisions);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(graph_suite());
	int nfail;

	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail ? EXIT_FAILURE : EXIT_SUCCESS;
}
