/* bench/maps_bench.c - long `or` lists in the kernel: one map lookup
 * (sniff_ebpf_compile: ebpf/lists.c, ebpf/sets.c) against the plain compare
 * chain (sniff_compile + eb_translate), IPv4 and IPv6 host lists of 10, 100,
 * 1000, 3000 and 10,000 members, and random IPv6 lists of 1000 and more (map
 * only).
 *
 * Per list: compile + load ms (median of 5), then ns/packet under
 * BPF_PROG_TEST_RUN over 256 frames (half IPv4, half IPv6; a fifth of them
 * from a list member), minus the accept-all floor `r0 = 262144; exit`. The
 * programs are timed interleaved, packet by packet, median of the rounds.
 * Every verdict of both programs is first checked against bpf_filter() on
 * our classic program. Issue 4 targets: 1000 hosts < 100 ns/packet,
 * 10,000 hosts compile + load < 100 ms.
 *
 *   maps_bench [-r rounds] [-R repeat]      (needs CAP_BPF: run as root)
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define bpf_insn pcap_bpf_insn
#include <pcap/pcap.h>
#undef bpf_insn

#include "sniff.h"
#include "ebpf/ebpf.h"

#define NPKT 256
#define LINKHDR 14        /* BPF_PROG_TEST_RUN pulls one Ethernet header first */
#define SNAPLEN 262144
#define REPS 5

struct pkt {
	uint32_t len;
	uint8_t buf[LINKHDR + 80];
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32) % n;
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

enum { L_V4, L_V6, L_V6_RANDOM };

/* Member i: 10.1.0.1 + i, fd00:1::1 + i (framegen's hosts), or a random
 * fd00:XXXX::YYYY:ZZZZ (each member its own /96: the lists that once took the
 * verifier past its limits). */
static void member(int kind, uint32_t i, uint8_t *a)
{
	uint64_t h = (i + 1) * 0x9e3779b97f4a7c15ull;

	if (kind == L_V4) {
		put32(a, 0x0a010001u + i);
		return;
	}
	memset(a, 0, 16);
	a[0] = 0xfd;
	if (kind == L_V6) {
		a[3] = 1;
		put32(a + 12, 1 + i);
		return;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	put16(a + 2, (uint32_t)(h >> 32));
	put32(a + 12, (uint32_t)h);
}

static char *list_expr(int kind, unsigned n)
{
	size_t cap = (size_t)n * 56 + 16, len = 0;
	char *s = malloc(cap), t[INET6_ADDRSTRLEN];
	uint8_t a[16];

	if (!s)
		return NULL;
	s[0] = 0;
	for (unsigned i = 0; i < n; i++) {
		member(kind, i, a);
		inet_ntop(kind == L_V4 ? AF_INET : AF_INET6, a, t, sizeof(t));
		len += (size_t)snprintf(s + len, cap - len, "%shost %s", i ? " or " : "", t);
	}
	return s;
}

/* Half IPv4, half IPv6 TCP; a fifth from a member of an N-member list, the
 * others from the same network. */
static void make_packets(struct pkt *pk, int kind, unsigned nmembers)
{
	for (unsigned i = 0; i < NPKT; i++) {
		uint8_t *f = pk[i].buf + LINKHDR, a[16];
		int v6 = i % 2, hit = rnd(5) == 0;
		uint32_t m = hit ? rnd(nmembers) : nmembers + rnd(50000);

		memset(pk[i].buf, 0, sizeof(pk[i].buf));
		put16(pk[i].buf + 12, 0x88b5);
		for (int b = 0; b < 12; b++)
			f[b] = (uint8_t)rnd(256);
		member(v6 ? (kind == L_V4 ? L_V6 : kind) : L_V4, m, a);
		if (v6) {
			put16(f + 12, 0x86dd);
			f[14] = 0x60;
			put16(f + 18, 20);
			f[20] = 6;
			f[21] = 64;
			memcpy(f + 22, a, 16);
			member(L_V6, 100000 + rnd(1000), f + 38);
			put16(f + 54, 1024 + rnd(60000));
			put16(f + 56, 443);
			pk[i].len = 74;
		} else {
			put16(f + 12, 0x0800);
			f[14] = 0x45;
			put16(f + 16, 40);
			f[22] = 64;
			f[23] = 6;
			memcpy(f + 26, a, 4);
			put32(f + 30, 0x0a020001u + rnd(1000));
			put16(f + 34, 1024 + rnd(60000));
			put16(f + 36, 443);
			pk[i].len = 54;
		}
	}
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
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

static int run(int fd, const struct pkt *k, unsigned repeat, uint32_t *ret, double *ns)
{
	uint32_t t = 0;
	int rc = eb_test_run(fd, k->buf, LINKHDR + k->len, repeat, ret, &t);

	*ns = t;
	return rc;
}

/* Median over ROUNDS of each program's mean ns/packet, interleaved. */
static int measure(const int *fds, unsigned nfd, const struct pkt *pk, unsigned rounds,
		   unsigned repeat, double *med)
{
	double *per = calloc((size_t)nfd * rounds, sizeof(*per)), ns;
	uint32_t ret;

	if (!per)
		return -ENOMEM;
	for (unsigned r = 0; r < rounds; r++)
		for (unsigned i = 0; i < NPKT; i++)
			for (unsigned j = 0; j < nfd; j++) {
				unsigned p = (i + j + r) % nfd;

				if (fds[p] < 0)
					continue;
				if (run(fds[p], &pk[i], repeat, &ret, &ns) < 0) {
					free(per);
					return -EIO;
				}
				per[p * rounds + r] += ns / NPKT;
			}
	for (unsigned j = 0; j < nfd; j++)
		med[j] = fds[j] < 0 ? 0 : median(per + j * rounds, rounds);
	free(per);
	return 0;
}

/* Verdicts of FD against bpf_filter on CLASSIC: how many differ; *hits. */
static unsigned check(int fd, const struct sniff_prog *classic, const struct pkt *pk,
		      unsigned *hits)
{
	unsigned bad = 0;
	double ns;

	*hits = 0;
	for (unsigned i = 0; i < NPKT; i++) {
		uint32_t got = 0, want = bpf_filter((const struct pcap_bpf_insn *)classic->insns,
						   pk[i].buf + LINKHDR, pk[i].len, pk[i].len);

		if (run(fd, &pk[i], 1, &got, &ns) < 0)
			return NPKT;
		bad += got != want;
		*hits += want != 0;
	}
	return bad;
}

static void one_list(int kind, unsigned n, int floor_fd, unsigned rounds, unsigned repeat)
{
	SNIFF_OPTS(sniff_compile_opts, o, .optimize = 1);
	static char log[1 << 14];
	static struct pkt pk[NPKT];
	struct sniff_ebpf_prog map = { 0 }, chain = { 0 };
	struct sniff_prog classic = { 0 };
	struct sniff_error err;
	double tc[REPS], tl[REPS], tt[REPS], chain_ms = 0, med[3];
	int fds[3] = { floor_fd, -1, -1 };
	unsigned hits = 0, bad;
	char *expr = list_expr(kind, n);
	const char *fam = kind == L_V4 ? "IPv4" : kind == L_V6 ? "IPv6" : "IPv6 random";
	struct timespec t0;

	if (!expr)
		return;
	make_packets(pk, kind, n);
	for (unsigned r = 0; r < REPS; r++) {
		if (fds[1] >= 0)
			close(fds[1]);
		sniff_ebpf_free(&map);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (sniff_ebpf_compile(expr, SNIFF_DLT_EN10MB, &o, &map, &err) < 0) {
			printf("  %s %5u hosts: sniff_ebpf_compile: %s\n", fam, n, err.msg);
			goto out;
		}
		tc[r] = ms_since(&t0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		fds[1] = eb_load_prog(&map, log, sizeof(log));
		if (fds[1] < 0) {
			printf("  %s %5u hosts: map program refused (%s): %.200s\n", fam, n,
			       strerror(-fds[1]), log);
			goto out;
		}
		tl[r] = ms_since(&t0);
		tt[r] = tc[r] + tl[r];
	}
	/* the plain chain, once ("where it loads"; random lists: the verifier
	 * takes seconds to refuse it, not tried) */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (sniff_compile(expr, SNIFF_DLT_EN10MB, &o, &classic, &err) == 0 && kind != L_V6_RANDOM &&
	    eb_translate_ex(classic.insns, classic.len, 0, &chain, &err) == 0)
		fds[2] = eb_load(chain.insns, chain.len, log, sizeof(log));
	chain_ms = ms_since(&t0);
	if (!classic.insns) {
		printf("  %s %5u hosts: no classic program to check against: %s\n", fam, n, err.msg);
		goto out;
	}
	bad = check(fds[1], &classic, pk, &hits);
	if (fds[2] >= 0)
		bad += check(fds[2], &classic, pk, &hits);
	if (bad) {
		printf("  %s %5u hosts: %u verdicts differ from bpf_filter: not timed\n", fam, n, bad);
		goto out;
	}
	if (measure(fds, 3, pk, rounds, repeat, med) < 0) {
		printf("  %s %5u hosts: BPF_PROG_TEST_RUN failed\n", fam, n);
		goto out;
	}
	printf("  %s %5u hosts: map %5.1f ns/pkt (%3u insns, %u maps), compile+load %5.1f ms "
	       "(%.1f + %.1f)", fam, n, med[1] - med[0], map.len, map.nmaps, median(tt, REPS),
	       median(tc, REPS), median(tl, REPS));
	if (fds[2] >= 0)
		printf("; chain %7.1f ns/pkt (%u insns), %.1f ms", med[2] - med[0], chain.len,
		       chain_ms);
	else if (kind != L_V6_RANDOM)
		printf("; chain does not load (%u classic insns)", classic.len);
	printf("; floor %.1f; %u of %u match\n", med[0], hits, NPKT);
out:
	for (int j = 1; j < 3; j++)
		if (fds[j] >= 0)
			close(fds[j]);
	sniff_ebpf_free(&map);
	sniff_ebpf_free(&chain);
	sniff_prog_free(&classic);
	free(expr);
}

int main(int argc, char **argv)
{
	struct sniff_ebpf_insn floor_prog[] = { EB_MOV32_IMM(BPF_REG_0, SNAPLEN), EB_EXIT() };
	static const unsigned sizes[] = { 10, 100, 1000, 3000, 10000 };
	unsigned rounds = 5, repeat = 100;
	int opt, floor_fd;

	while ((opt = getopt(argc, argv, "r:R:h")) != -1) {
		switch (opt) {
		case 'r': rounds = (unsigned)atoi(optarg); break;
		case 'R': repeat = (unsigned)atoi(optarg); break;
		default:
			fprintf(stderr, "usage: maps_bench [-r rounds] [-R repeat]\n");
			return 2;
		}
	}
	if (!rounds || !repeat)
		return 2;
	floor_fd = eb_load(floor_prog, 2, NULL, 0);
	if (floor_fd < 0) {
		printf("maps_bench: cannot load eBPF (%s): run as root\n", strerror(-floor_fd));
		return 0;
	}
	printf("## or-lists as maps: kernel ns/packet minus the floor, map vs plain compare "
	       "chain (%u rounds x %u repeats, median)\n", rounds, repeat);
	for (int kind = L_V4; kind <= L_V6_RANDOM; kind++)
		for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			if (kind != L_V6_RANDOM || sizes[i] >= 1000)
				one_list(kind, sizes[i], floor_fd, rounds, repeat);
	close(floor_fd);
	return 0;
}
