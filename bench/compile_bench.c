/* bench/compile_bench.c: compile speed and program size, our optimizer
 * against libpcap's (`make bench`).
 *
 *   bench/compile_bench [-n ITER (300)] [-L]
 *
 * Every time is a median (the mix: of 5 batches of ITER/5 compiles) so
 * that a loaded machine moves the ratios less.
 *
 * Part 1, the 20-expression mix of /work/shared/bench/compile_bench.c: libpcap
 * -O1, libpcap -O0, and our optimizer (cb_graph_from_prog + cb_optimize +
 * cb_graph_emit) run on libpcap's -O0 program, until our generator can stand
 * in for libpcap's.
 * Part 2, "host H1 or ... or Hn" on Ethernet for n = 10, 100, 1000, 10000.
 * libpcap's own -O0 needs seconds at 1000 and crashes at 10000, and its -O1
 * takes minutes at 1000 (-L tries it), so the unoptimized graph is also built
 * here block by block, in libpcap's -O0 shape (checked against libpcap at n=10).
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cbpf/cbpf.h"

static const char *const exprs[] = {
	"tcp port 80",
	"udp port 53",
	"host 10.1.2.3",
	"net 192.168.0.0/16",
	"ip and udp and dst port 53",
	"not arp and not icmp",
	"tcp port 80 or tcp port 443 or udp port 53",
	"src host 10.0.0.1 and dst net 10.1.0.0/16 and tcp dst portrange 1000-2000",
	"ip6 and tcp port 443",
	"vlan and tcp port 80",
	"tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
	"icmp[icmptype] == icmp-echo",
	"ether host 02:00:00:00:00:01",
	"greater 1000",
	"ip[2:2] > 576",
	"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
	"tcp port 80 and (((ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2)) != 0)",
	"port 22 or port 23 or port 25 or port 110 or port 143 or port 993 or port 995",
	"ether broadcast or ether multicast or ip proto 47 or ip6 proto 58",
	"host 10.0.0.1 or host 10.0.0.2 or host 10.0.0.3 or host 10.0.0.4 or host 10.0.0.5 or "
	"host 10.0.0.6 or host 10.0.0.7 or host 10.0.0.8 or host 10.0.0.9 or host 10.0.0.10 or "
	"host 10.0.0.11 or host 10.0.0.12 or host 10.0.0.13 or host 10.0.0.14 or host 10.0.0.15",
};
#define NEXPR (sizeof(exprs) / sizeof(exprs[0]))

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Our optimizer on a flat program; length of the result, or -1. */
static int optimize_prog(const struct bpf_program *in, struct sniff_prog *out)
{
	struct sniff_prog p = { in->bf_len, (struct sniff_insn *)in->bf_insns };
	struct cb_graph g;
	int rc = cb_graph_from_prog(&p, &g);

	if (!rc)
		rc = cb_optimize(&g);
	if (!rc)
		rc = cb_graph_emit(&g, out);
	cb_graph_free(&g);
	return rc ? -1 : (int)out->len;
}

/* Our whole compile, as a user calls it: parse, generate, optimize, emit,
 * validate. Returns the program length, or -1. */
static int sniff_full(const char *expr, struct sniff_prog *out)
{
	SNIFF_OPTS(sniff_compile_opts, o, .optimize = 1);

	if (sniff_compile(expr, SNIFF_DLT_EN10MB, &o, out, NULL))
		return -1;
	return (int)out->len;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define BATCHES 5

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* The four timings of one expression, in seconds per compile, each the
 * median of BATCHES batches taken in turn (libpcap's beside ours, so that
 * a change of load hits both). */
static void time_expr(pcap_t *pd, const char *expr, long iter, double sec[4], unsigned *nlib,
		      int *nours)
{
	double t[4][BATCHES];
	long per = iter / BATCHES > 0 ? iter / BATCHES : 1, i;
	struct bpf_program bp, u;
	struct sniff_prog out = { 0, NULL };
	int b, k;

	if (pcap_compile(pd, &u, expr, 0, PCAP_NETMASK_UNKNOWN))
		exit(1);
	for (b = 0; b < BATCHES; b++) {
		double t0 = now();

		for (i = 0; i < per; i++) {
			if (pcap_compile(pd, &bp, expr, 1, PCAP_NETMASK_UNKNOWN)) {
				fprintf(stderr, "%s: %s\n", expr, pcap_geterr(pd));
				exit(1);
			}
			*nlib = bp.bf_len;
			pcap_freecode(&bp);
		}
		t[0][b] = now() - t0;
		t0 = now();
		for (i = 0; i < per; i++) {
			struct bpf_program v;

			if (pcap_compile(pd, &v, expr, 0, PCAP_NETMASK_UNKNOWN))
				exit(1);
			pcap_freecode(&v);
		}
		t[1][b] = now() - t0;
		t0 = now();
		for (i = 0; i < per; i++) {
			free(out.insns);
			*nours = optimize_prog(&u, &out);
		}
		t[2][b] = now() - t0;
		t0 = now();
		for (i = 0; i < per; i++) {
			struct sniff_prog full;

			if (sniff_full(expr, &full) < 0) {
				fprintf(stderr, "sniff_compile failed: %s\n", expr);
				exit(1);
			}
			sniff_prog_free(&full);
		}
		t[3][b] = now() - t0;
	}
	free(out.insns);
	pcap_freecode(&u);
	for (k = 0; k < 4; k++)
		sec[k] = median(t[k], BATCHES) / (double)per;
}

static void bench_mix(pcap_t *pd, long iter)
{
	double sum_o1 = 0, sum_o0 = 0, sum_ours = 0, sum_full = 0;
	unsigned lib_total = 0, ours_total = 0;
	size_t e;

	printf("== 20-expression mix, %ld compiles each (us per compile, median of %d batches)\n",
	       iter, BATCHES);
	printf("%-3s %8s %8s %10s %10s %10s %10s  %s\n", "#", "pcap-O", "ours", "pcap-O1", "pcap-O0",
	       "ours-opt", "sniff", "expression");
	for (e = 0; e < NEXPR; e++) {
		unsigned nlib = 0;
		int nours = -1;
		double sec[4];

		time_expr(pd, exprs[e], iter, sec, &nlib, &nours);
		sum_o1 += sec[0];
		sum_o0 += sec[1];
		sum_ours += sec[2];
		sum_full += sec[3];
		lib_total += nlib;
		ours_total += nours > 0 ? (unsigned)nours : 0;
		printf("%-3zu %8u %8d %10.2f %10.2f %10.2f %10.2f  %s\n", e, nlib, nours,
		       sec[0] * 1e6, sec[1] * 1e6, sec[2] * 1e6, sec[3] * 1e6, exprs[e]);
	}
	printf("total insns: libpcap -O %u, ours %u\n", lib_total, ours_total);
	printf("mean us/compile: libpcap -O1 %.2f; libpcap -O0 %.2f + our optimizer %.2f = %.2f\n\n",
	       sum_o1 * 1e6 / NEXPR, sum_o0 * 1e6 / NEXPR, sum_ours * 1e6 / NEXPR,
	       (sum_o0 + sum_ours) * 1e6 / NEXPR);
	printf("whole compile, 20-expression mix: sniff_compile %.2f us, pcap_compile -O1 %.2f us: "
	       "ratio %.3f\n\n", sum_full * 1e6 / NEXPR, sum_o1 * 1e6 / NEXPR, sum_full / sum_o1);
}

static uint32_t host_addr(int i)
{
	return 0x0a000000u | (uint32_t)(i + 1);
}

static char *host_list(int n)
{
	char *s = malloc(32 * (size_t)n + 1);
	int i;

	s[0] = 0;
	for (i = 0; i < n; i++) {
		uint32_t a = host_addr(i);

		sprintf(s + strlen(s), "%shost %u.%u.%u.%u", i ? " or " : "", a >> 24,
			(a >> 16) & 255, (a >> 8) & 255, a & 255);
	}
	return s;
}

/* One test block: STMTS then `jeq #k`. */
static struct cb_block *test_block(struct cb_graph *g, uint16_t ld, uint32_t off, uint32_t k)
{
	struct cb_block *b = cb_block_new(g);

	if (!b || cb_block_add(b, ld, off))
		exit(1);
	b->code = BPF_JMP | BPF_JEQ | BPF_K;
	b->k = k;
	return b;
}

/* libpcap -O0's graph for "host H1 or ... or Hn" on Ethernet: per host and
 * per protocol (ip, arp, rarp), (type and src) or (type and dst), every test
 * reloading what it reads. */
static void build_hosts(struct cb_graph *g, int n)
{
	static const struct { uint32_t type, src, dst; } l3[] = {
		{ 0x800, 26, 30 }, { 0x806, 28, 38 }, { 0x8035, 28, 38 },
	};
	struct cb_block *yes, *no, *next;
	int i, j;

	memset(g, 0, sizeof(*g));
	yes = cb_block_new(g);
	no = cb_block_new(g);
	if (!yes || !no)
		exit(1);
	yes->code = BPF_RET | BPF_K;
	yes->k = 262144;
	no->code = BPF_RET | BPF_K;
	no->k = 0;
	next = no;
	for (i = n; i-- > 0;) {
		for (j = 2; j >= 0; j--) {
			struct cb_block *t1 = test_block(g, BPF_LD | BPF_H | BPF_ABS, 12, l3[j].type);
			struct cb_block *src = test_block(g, BPF_LD | BPF_W | BPF_ABS, l3[j].src,
							  host_addr(i));
			struct cb_block *t2 = test_block(g, BPF_LD | BPF_H | BPF_ABS, 12, l3[j].type);
			struct cb_block *dst = test_block(g, BPF_LD | BPF_W | BPF_ABS, l3[j].dst,
							  host_addr(i));

			t1->jt = src;
			t1->jf = t2;
			src->jt = yes;
			src->jf = t2;
			t2->jt = dst;
			t2->jf = next;
			dst->jt = yes;
			dst->jf = next;
			next = t1;
		}
	}
	g->entry = next;
}

#define REPS 5

/* Median over REPS runs of each phase of sniff_compile on EXPR, in ms:
 * [0] parse (tokens and AST), [1] cb_gen, [2] cb_optimize, [3] cb_graph_emit
 * and the validation, [4] the whole sniff_compile; -1 if it failed. */
static void phases(const char *expr, double ms[5])
{
	double t[5][REPS];
	int r, p;

	for (r = 0; r < REPS; r++) {
		struct gen_opts go = { .linktype = SNIFF_DLT_EN10MB,
				       .snaplen = SNIFF_DEFAULT_SNAPLEN,
				       .netmask = SNIFF_NETMASK_UNKNOWN,
				       .mode = SNIFF_MODE_SAVEFILE,
				       .names = &(struct names_ctx){ NULL },
				       .optimize = 1 };
		struct arena a = { 0 };
		struct node *ast;
		struct cb_graph g;
		struct sniff_prog prog;
		double t0 = now(), t1, t2, t3, t4;

		if (filter_parse(expr, &a, &ast, NULL))
			goto fail;
		t1 = now();
		if (cb_gen(ast, &go, &g, NULL))
			goto fail;
		t2 = now();
		if (cb_optimize(&g))
			goto fail;
		t3 = now();
		if (cb_graph_emit(&g, &prog) || cb_validate_max(prog.insns, prog.len,
								SNIFF_MAX_INSNS, NULL))
			goto fail;
		t4 = now();
		sniff_prog_free(&prog);
		cb_graph_free(&g);
		arena_free(&a);
		t[0][r] = t1 - t0;
		t[1][r] = t2 - t1;
		t[2][r] = t3 - t2;
		t[3][r] = t4 - t3;
		t0 = now();
		if (sniff_full(expr, &prog) < 0)
			goto fail;
		t[4][r] = now() - t0;
		sniff_prog_free(&prog);
	}
	for (p = 0; p < 5; p++) {
		qsort(t[p], REPS, sizeof(t[p][0]), cmp_double);
		ms[p] = t[p][REPS / 2] * 1e3;
	}
	return;
fail:
	for (p = 0; p < 5; p++)
		ms[p] = -1;
}

static void bench_hosts(pcap_t *pd, int try_libpcap_opt)
{
	static const int sizes[] = { 10, 100, 1000, 10000 };
	double ph[4][5];
	unsigned s;

	printf("== host lists (ms per compile)\n");
	printf("%6s %10s %10s %10s %10s %12s %12s %12s\n", "hosts", "pcap-O", "ours", "pcap-O1",
	       "pcap-O0", "ours(-O0in)", "ours(built)", "sniff_compile");
	printf("(ours: cb_optimize + cb_graph_emit on libpcap's -O0 program / on the built graph)\n");
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		int n = sizes[s], nours = -1;
		char *expr = host_list(n);
		struct bpf_program bp, u;
		struct sniff_prog out = { 0, NULL }, built;
		struct cb_graph g;
		double t, t_o1 = -1, t_o0 = -1, t_ours = -1, t_built;
		int nlib = -1;

		if (n <= 100 || (try_libpcap_opt && n <= 1000)) {
			t = now();
			if (!pcap_compile(pd, &bp, expr, 1, PCAP_NETMASK_UNKNOWN)) {
				t_o1 = now() - t;
				nlib = (int)bp.bf_len;
				pcap_freecode(&bp);
			}
		}
		if (n <= 1000) {
			t = now();
			if (!pcap_compile(pd, &u, expr, 0, PCAP_NETMASK_UNKNOWN)) {
				t_o0 = now() - t;
				t = now();
				nours = optimize_prog(&u, &out);
				t_ours = now() - t;
				if (n == 10) {
					/* the hand-built graph must be libpcap's */
					struct sniff_prog mine;

					build_hosts(&g, n);
					if (cb_graph_emit(&g, &mine) || mine.len != u.bf_len ||
					    memcmp(mine.insns, u.bf_insns, mine.len * sizeof(*mine.insns)))
						printf("warning: built graph differs from libpcap -O0\n");
					free(mine.insns);
					cb_graph_free(&g);
				}
				pcap_freecode(&u);
				free(out.insns);
			}
		}
		build_hosts(&g, n);
		t = now();
		if (cb_optimize(&g) || cb_graph_emit(&g, &built))
			exit(1);
		t_built = now() - t;
		cb_graph_free(&g);
		phases(expr, ph[s]);
		printf("%6d %10d %10u %10.1f %10.1f %12.2f %12.2f %12.2f%s\n", n, nlib, built.len,
		       t_o1 * 1e3, t_o0 * 1e3, t_ours * 1e3, t_built * 1e3, ph[s][4],
		       ph[s][4] < 0 ? " (sniff_compile failed)" : "");
		if (nours >= 0 && (unsigned)nours != built.len)
			printf("warning: %d hosts: %d insns from libpcap's -O0, %u from the built graph\n",
			       n, nours, built.len);
		free(built.insns);
		free(expr);
	}
	printf("(-1: not run; pcap-O1 at 1000 hosts takes minutes, try -L)\n");
	printf("\nsniff_compile by phase, ms (median of %d):\n", REPS);
	printf("%6s %10s %10s %10s %10s %10s\n", "hosts", "parse", "gen", "optimize", "emit",
	       "whole");
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		printf("%6d %10.2f %10.2f %10.2f %10.2f %10.2f\n", sizes[s], ph[s][0], ph[s][1],
		       ph[s][2], ph[s][3], ph[s][4]);
}

int main(int argc, char **argv)
{
	long iter = 300;
	int o, try_libpcap_opt = 0;
	pcap_t *pd;

	while ((o = getopt(argc, argv, "n:L")) != -1) {
		if (o == 'n')
			iter = atol(optarg);
		else if (o == 'L')
			try_libpcap_opt = 1;
		else {
			fprintf(stderr, "usage: compile_bench [-n ITER] [-L]\n");
			return 2;
		}
	}
	if (iter < 1)
		iter = 1;
	pd = pcap_open_dead(DLT_EN10MB, 262144);
	bench_mix(pd, iter);
	bench_hosts(pd, try_libpcap_opt);
	pcap_close(pd);
	return 0;
}
