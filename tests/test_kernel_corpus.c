/* test_kernel_corpus.c - every libpcap corpus filter our compiler builds, run
 * through the whole chain into the kernel:
 *
 *   sniff_compile -> eb_translate -> BPF_PROG_LOAD (the verifier must accept
 *   every one) -> BPF_PROG_TEST_RUN, whose verdict must equal libpcap's.
 *
 * The oracle is libpcap: pcap_compile() on pcap_open_dead() for the same
 * expression, run by bpf_filter() over the same bytes. Where Debian's libpcap
 * cannot compile a case (syntax newer than 1.10.3, names from the corpus'
 * hosts/ethers/networks files, its known SLL2-LLC and `byte &` bugs), the
 * oracle is libpcap master's program from the corpus, still run by bpf_filter.
 *
 * Why savefile mode for verdicts: a BPF_PROG_TEST_RUN packet carries no VLAN
 * or direction metadata, so only programs that read packet bytes alone are
 * comparable with bpf_filter. Linux-mode (linuxext) cases are loaded only.
 *
 * The kernel gets whole packets only (one length, skb->len), so a capture
 * packet cut by its snaplen is given to both sides as a whole, shorter
 * packet: that exercises the out-of-bounds-load paths as well.
 *
 * Two differences are counted apart, not failed, because the verdict we give
 * is still libpcap's: with optimize=1, a packet too short for a load that
 * libpcap's optimizer removed, or moved a test above, and ours kept (libpcap
 * -O0, 1.10.3's or master's corpus program, gives our verdict);
 * and an expression whose corpus program (master, or another platform's)
 * gives our verdict where Debian's 1.10.3 does not.
 *
 * Cases our compiler does not build yet are listed and counted, not failed:
 * the generator's own test holds it to coverage.
 *
 * Needs CAP_BPF (root): skips with a notice otherwise, fails when CI=true.
 * SNIFF_KCORPUS_VERBOSE=1 lists every case not compiled yet (default: the
 * first 40 and a count). SNIFF_KCORPUS_CAPTURES=N takes up to N capture
 * packets per link type instead of MAX_CAPTURED (each costs a syscall per case).
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

/* libpcap's struct bpf_insn and the kernel's eBPF one share a name */
#define bpf_insn pcap_bpf_insn
#include <pcap/pcap.h>
#undef bpf_insn

#include "cbpf/cbpf.h"
#include "ebpf/ebpf.h"
#include "corpus.h"
#include "packets.h"
#include "testutil.h"

#define LINKHDR 14          /* BPF_PROG_TEST_RUN pulls an Ethernet header first */
#define MAXFRAME 2048       /* test-run data must fit a page with the skb overhead */
#define PER_CAPTURE 25      /* packets taken from each corpus capture */
#define MAX_CAPTURED 500    /* capture packets per link type (the time budget) */
#define MAX_EXTRA 256       /* packets built from one expression's constants */
#define MAX_REPORTS 30

static const int dlts[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP,
};
#define NDLTS (sizeof(dlts) / sizeof(dlts[0]))

/* ------------------------------------------------------------------------
 * Packets. Each is kept with the 14 bytes the kernel pulls before the
 * program runs already in front, so a run is one syscall and no copy.
 */
struct pkt {
	uint8_t *buf;     /* LINKHDR junk bytes, then the frame */
	uint32_t len;     /* frame bytes (the program's whole packet) */
};

struct pool {
	struct pkt *v;
	size_t n, cap;
};

static void pool_add(struct pool *p, const uint8_t *frame, uint32_t len)
{
	uint8_t *b;

	if (len > MAXFRAME)
		len = MAXFRAME;
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 512;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
		ck_assert_ptr_nonnull(p->v);
	}
	b = malloc(LINKHDR + len);
	ck_assert_ptr_nonnull(b);
	memset(b, 0xff, 6);          /* broadcast: a stable pkt_type */
	memset(b + 6, 0x02, 6);
	b[12] = 0x88;                /* a local ethertype: the kernel parses nothing */
	b[13] = 0xb5;
	memcpy(b + LINKHDR, frame, len);
	p->v[p->n].buf = b;
	p->v[p->n].len = len;
	p->n++;
}

static void pool_free(struct pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].buf);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

static void pool_sink(void *ctx, const uint8_t *f, uint32_t caplen, uint32_t wirelen)
{
	(void)wirelen; /* the kernel has one length: a cut packet is a whole, shorter one */
	pool_add(ctx, f, caplen);
}

static void frame_add(struct pool *p, int dlt, const struct pk_l3 *l, unsigned v, int cut,
		      const uint8_t *mac)
{
	struct pk_sink out = { pool_sink, p };

	pk_frame_add(&out, dlt, l, v, cut, mac);
}

/* The built packets of DLT (tests/packets.c). */
static void build_pool(struct pool *p, int dlt)
{
	struct pk_sink out = { pool_sink, p };

	pk_build_pool(&out, dlt);
}

/* Up to PER_CAPTURE packets of every corpus capture of link type DLT. */
static void add_captures(struct pool *p, int dlt)
{
	static const char *const dirs[] = { "filters/captures", "print" };
	char path[4096], errbuf[PCAP_ERRBUF_SIZE];
	const char *env = getenv("SNIFF_KCORPUS_CAPTURES");
	size_t start = p->n, max = env ? strtoul(env, NULL, 10) : MAX_CAPTURED;

	for (size_t d = 0; d < 2; d++) {
		DIR *dir;
		struct dirent *de;

		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), dirs[d]);
		dir = opendir(path);
		if (!dir)
			continue;
		while ((de = readdir(dir)) != NULL && p->n - start < max) {
			struct pcap_pkthdr *h;
			const u_char *data;
			pcap_t *pc;
			size_t k = 0;

			if (!strstr(de->d_name, ".pcap"))
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", corpus_dir(), dirs[d], de->d_name);
			pc = pcap_open_offline(path, errbuf);
			if (!pc)
				continue;
			if (pcap_datalink(pc) == dlt)
				while (k++ < PER_CAPTURE && p->n - start < max &&
				       pcap_next_ex(pc, &h, &data) == 1)
					pool_add(p, data, h->caplen);
			pcap_close(pc);
		}
		closedir(dir);
	}
}

/* Packets built from the constants of EXPR: its IPv4/IPv6/MAC addresses as
 * source and destination, its numbers as ports, protocols, ethertypes and
 * VLAN ids. Random packets would almost never hit `host 192.0.2.7`. */
static void expr_packets(struct pool *p, int dlt, const char *expr)
{
	uint32_t a4[8], nums[12];
	uint8_t a6[4][16], mac[4][6], any6[16];
	size_t n4 = 0, n6 = 0, nmac = 0, nnum = 0;
	char tok[128];
	const char *s = expr;
	struct pk_l3 l;
	unsigned v = 0;

	inet_pton(AF_INET6, "2001:db8::99", any6);
	while (*s) {
		size_t k = 0;
		struct in_addr ia;
		unsigned m[6];
		char *end;
		unsigned long num;

		while (*s && !(strchr(":.-_/", *s) || (*s >= '0' && *s <= '9') ||
			       (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			s++;
		while (*s && k + 1 < sizeof(tok) && (strchr(":.-_", *s) || (*s >= '0' && *s <= '9') ||
						      (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			tok[k++] = *s++;
		tok[k] = '\0';
		if (*s == '/')
			s++;
		if (!k)
			continue;
		if (n4 < 8 && inet_pton(AF_INET, tok, &ia) == 1) {
			a4[n4++] = ntohl(ia.s_addr);
		} else if (n6 < 4 && strchr(tok, ':') && inet_pton(AF_INET6, tok, a6[n6]) == 1) {
			n6++;
		} else if (nmac < 4 && sscanf(tok, "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1], &m[2],
					      &m[3], &m[4], &m[5]) == 6) {
			for (int i = 0; i < 6; i++)
				mac[nmac][i] = (uint8_t)m[i];
			nmac++;
		} else if (nnum < 12 && tok[0] >= '0' && tok[0] <= '9') {
			num = strtoul(tok, &end, 0);
			if (*end == '\0' && num <= 0xffff)
				nums[nnum++] = (uint32_t)num;
			else if (strchr(tok, '.') && n4 < 8) {
				/* a network prefix ("10.2", "10.2.0"): pad with zeros, +1 */
				unsigned q[4] = { 0, 0, 0, 0 };
				int got = sscanf(tok, "%u.%u.%u.%u", &q[0], &q[1], &q[2], &q[3]);

				if (got >= 2 && q[0] < 256 && q[1] < 256 && q[2] < 256)
					a4[n4++] = (q[0] << 24) | (q[1] << 16) | (q[2] << 8) | 1;
			}
		}
	}
	for (size_t i = 0; i < n4; i++)
		for (int pr = 0; pr < 4; pr++, v++) {
			static const int prs[] = { 6, 17, 1, 132 };
			uint32_t other = pk_v4[v % pk_nv4];

			pk_ip4(&l, i % 2 ? other : a4[i], i % 2 ? a4[i] : other, prs[pr],
			       pk_ports[v % pk_nports], pk_ports[(v + 1) % pk_nports], 0, 0, 0x02);
			frame_add(p, dlt, &l, v, 0, NULL);
			pk_ip4(&l, a4[i], a4[(i + 1) % n4], prs[pr], 53, 80, 0, 0, 0x10);
			frame_add(p, dlt, &l, v + 1, 0, NULL);
			pk_arp(&l, 0x0806, a4[i], a4[(i + 1) % n4], 1);
			frame_add(p, dlt, &l, v, 0, NULL);
		}
	for (size_t i = 0; i < n6; i++)
		for (int pr = 0; pr < 3; pr++, v++) {
			static const int prs[] = { 6, 17, 58 };

			pk_ip6(&l, a6[i], any6, prs[pr], pk_ports[v % pk_nports], 443, 0, 0x02);
			frame_add(p, dlt, &l, v, 0, NULL);
			pk_ip6(&l, any6, a6[i], prs[pr], 22, pk_ports[v % pk_nports], 0, 0x12);
			frame_add(p, dlt, &l, v, 0, NULL);
		}
	for (size_t i = 0; i < nmac; i++, v++) {
		pk_ip4(&l, pk_v4[0], pk_v4[1], 6, 80, 1024, 0, 0, 0x02);
		frame_add(p, dlt, &l, v, 0, mac[i]);
		pk_arp(&l, 0x0806, pk_v4[2], pk_v4[3], 2);
		frame_add(p, dlt, &l, v + 1, 0, mac[i]);
	}
	for (size_t i = 0; i < nnum && p->n < MAX_EXTRA; i++, v++) {
		uint32_t x = nums[i];
		uint8_t src6[16];

		memcpy(src6, any6, 16);
		pk_ip4(&l, pk_v4[v % pk_nv4], pk_v4[(v + 2) % pk_nv4], 6, x, 80, 0, 0, (uint8_t)x);
		frame_add(p, dlt, &l, v, 0, NULL);
		pk_ip4(&l, pk_v4[v % pk_nv4], pk_v4[(v + 2) % pk_nv4], 17, 53, x, 0, 0, 0);
		frame_add(p, dlt, &l, v, 0, NULL);
		pk_ip6(&l, src6, any6, 6, 1024, x, 0, 0x02);
		frame_add(p, dlt, &l, v, 0, NULL);
		if (x < 256) {
			pk_ip4(&l, pk_v4[v % pk_nv4], pk_v4[(v + 1) % pk_nv4], (int)x, x, x, 0, 0, 0);
			frame_add(p, dlt, &l, v, 0, NULL);
			pk_ip6(&l, src6, any6, (int)x, x, x, 0, 0);
			frame_add(p, dlt, &l, v, 0, NULL);
		}
		if (x >= 0x600) {
			pk_ip4(&l, pk_v4[0], pk_v4[1], 17, 1, 2, 0, 0, 0);
			l.type = (uint16_t)x;
			frame_add(p, dlt, &l, v, 0, NULL);
		}
		if (x < 4096 && dlt == DLT_EN10MB) {
			uint8_t f[96];

			pk_ip4(&l, pk_v4[0], pk_v4[1], 6, 80, 1024, 0, 0, 0x02);
			memcpy(f, pk_macs[0], 6);
			memcpy(f + 6, pk_macs[3], 6);
			pk_put16(f + 12, 0x8100);
			pk_put16(f + 14, x);
			pk_put16(f + 16, 0x0800);
			memcpy(f + 18, l.b, l.len);
			pool_add(p, f, 18 + l.len);
		}
	}
}

/* ------------------------------------------------------------------------
 * The kernel side
 */
static uint32_t kernel_verdict(int fd, const struct pkt *k)
{
	uint32_t ret = 0;
	int r = eb_test_run(fd, k->buf, LINKHDR + k->len, 1, &ret, NULL);

	ck_assert_msg(r == 0, "BPF_PROG_TEST_RUN on a %u-byte packet: %s", k->len, strerror(-r));
	return ret;
}

static uint32_t lp_verdict(const struct pcap_bpf_insn *insns, const struct pkt *k)
{
	return bpf_filter(insns, k->buf + LINKHDR, k->len, k->len);
}

static int lp_compile(int dlt, const char *expr, int opt, uint32_t snaplen, uint32_t mask,
		      struct bpf_program *fp)
{
	pcap_t *pc = pcap_open_dead(dlt, (int)snaplen);
	int rc;

	ck_assert_ptr_nonnull(pc);
	rc = pcap_compile(pc, fp, expr, opt, mask);
	pcap_close(pc);
	return rc;
}

static void print_line(void *ctx, const char *line)
{
	fprintf((FILE *)ctx, "    %s\n", line);
}

/* Known libpcap 1.10.3 bugs where our compiler follows master: the SLL2
 * LLC tests and `byte N & V`; master's corpus program is the oracle there. */
static int lp_110_wrong(int dlt, const char *e)
{
	static const char *const llcs[] = { "iso", "stp", "ipx", "netbeui", "atalk", "aarp",
		"clnp", "esis", "isis", "l1", "l2", "iih", "lsp", "snp", "csnp", "psnp" };

	if (!strncmp(e, "byte ", 5) && (strchr(e, '&') || strchr(e, '|')))
		return 1;
	if (dlt != DLT_LINUX_SLL2)
		return 0;
	for (size_t i = 0; i < sizeof(llcs) / sizeof(llcs[0]); i++)
		if (!strncmp(e, llcs[i], strlen(llcs[i])))
			return 1;
	return 0;
}

static long long corpus_mask(const struct corpus_case *c)
{
	const char *m = corpus_str(c, "netmask");
	struct in_addr a;

	if (m && inet_pton(AF_INET, m, &a) == 1)
		return ntohl(a.s_addr);
	return PCAP_NETMASK_UNKNOWN;
}

static char names_dir[4096];

/* The corpus' hosts/ethers/networks files when a case needs them; *skip for
 * preconditions on how libpcap was built, which a kernel run cannot judge. */
static const char *case_names(const struct corpus_case *c, int *skip)
{
	const char *needs = corpus_str(c, "needs");

	*skip = 0;
	if (!needs || !*needs)
		return NULL;
	if (strstr(needs, "hosts file") || strstr(needs, "ethers file") ||
	    strstr(needs, "networks file")) {
		snprintf(names_dir, sizeof(names_dir), "%s/filters/names", corpus_dir());
		return names_dir;
	}
	if (strstr(needs, "!="))
		*skip = 1;
	return NULL;
}

struct row {
	long cases, skipped, compiled, notyet, allreject, translated, loaded;
	long vcases, vequal, vbad, runs, tolerated, other;
	long vs_master;
};

static int nreports;

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	va_list ap;

	if (nreports++ >= MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Show a failing case: our classic program, its eBPF translation. */
static void show_prog(const struct sniff_prog *p, const struct sniff_ebpf_prog *e)
{
	if (nreports > MAX_REPORTS)
		return;
	fprintf(stderr, "  our classic program:\n");
	for (unsigned i = 0; i < p->len; i++)
		fprintf(stderr, "    %s\n", bpf_image((const struct pcap_bpf_insn *)&p->insns[i], (int)i));
	if (e) {
		fprintf(stderr, "  eBPF:\n");
		eb_dump(e->insns, e->len, 1, print_line, stderr);
	}
}

static const char *dlt_label(int dlt)
{
	const char *n = pcap_datalink_val_to_name(dlt);

	return n ? n : "?";
}

/* Every program the corpus holds for one (link type, optimize, expression):
 * libpcap master's, and for a few expressions several, one per platform
 * libpcap was run on (`link proto \ip6` on NULL: AF_INET6 is 10 on Linux,
 * 24, 28 or 30 on the BSDs, in host or network order). Any of them is a
 * libpcap verdict. */
#define MAX_ALTS 24
struct alts {
	struct sniff_prog v[MAX_ALTS];
	unsigned n;
};

struct known {
	int dlt;
	long long opt;
	char *expr, *prog;
};

struct known_list {
	struct known *v;
	size_t n, cap;
};

static void known_load(struct known_list *kl)
{
	struct corpus_file *f = corpus_open("filters/accept.jsonl");
	const struct corpus_case *c;

	ck_assert_msg(f != NULL, "corpus at %s: %s", corpus_dir(), strerror(errno));
	while ((c = corpus_next(f)) != NULL) {
		const char *dn = corpus_str(c, "dlt"), *expr = corpus_str(c, "expr");
		const char *prog = corpus_str(c, "libpcap_program");
		struct known *k;

		if (!dn || !expr || !prog)
			continue;
		if (kl->n == kl->cap) {
			kl->cap = kl->cap ? 2 * kl->cap : 1024;
			kl->v = realloc(kl->v, kl->cap * sizeof(*kl->v));
			ck_assert_ptr_nonnull(kl->v);
		}
		k = &kl->v[kl->n++];
		k->dlt = pcap_datalink_name_to_val(dn);
		k->opt = 0;
		corpus_int(c, "optimize", &k->opt);
		k->expr = strdup(expr);
		k->prog = strdup(prog);
		ck_assert(k->expr && k->prog);
	}
	corpus_close(f);
}

static void known_free(struct known_list *kl)
{
	for (size_t i = 0; i < kl->n; i++) {
		free(kl->v[i].expr);
		free(kl->v[i].prog);
	}
	free(kl->v);
}

static void alts_get(const struct known_list *kl, int dlt, long long opt, const char *expr,
		     struct alts *a)
{
	struct sniff_error err;

	a->n = 0;
	for (size_t i = 0; i < kl->n && a->n < MAX_ALTS; i++) {
		const struct known *k = &kl->v[i];
		int dup = 0;

		if (k->dlt != dlt || k->opt != opt || strcmp(k->expr, expr))
			continue;
		for (size_t j = 0; j < i && !dup; j++)
			dup = kl->v[j].dlt == dlt && kl->v[j].opt == opt &&
			      !strcmp(kl->v[j].expr, expr) && !strcmp(kl->v[j].prog, k->prog);
		if (!dup && cb_asm(k->prog, &a->v[a->n], &err) == 0)
			a->n++;
	}
}

static void alts_free(struct alts *a)
{
	for (unsigned i = 0; i < a->n; i++)
		sniff_prog_free(&a->v[i]);
	a->n = 0;
}

/* Compare the kernel's verdicts for FD with libpcap's ORACLE (and, with
 * opt, libpcap's unoptimized ORACLE0, and the corpus' programs ALTS) on
 * every packet of the pools. */
static int compare(struct row *r, int fd, const char *expr, int opt, const struct sniff_prog *ours,
		   const struct pcap_bpf_insn *oracle, const struct pcap_bpf_insn *oracle0,
		   const struct alts *alts, const struct pool *const *pools, size_t npools)
{
	int bad = 0;

	for (size_t q = 0; q < npools; q++)
		for (size_t i = 0; i < pools[q]->n; i++) {
			const struct pkt *k = &pools[q]->v[i];
			uint32_t want = lp_verdict(oracle, k), got = kernel_verdict(fd, k);

			r->runs++;
			if (got == want)
				continue;
			/* libpcap's optimizer may drop a load it proved useless, so
			 * a packet too short for it passes; ours may keep the load.
			 * Accepted where libpcap unoptimized gives our verdict. */
			if (opt && oracle0 && lp_verdict(oracle0, k) == got) {
				if (r->tolerated++ == 0 || getenv("SNIFF_KCORPUS_VERBOSE"))
					printf("libpcap -O0's verdict: \"%s\", %u-byte packet: -O1 %u, "
					       "-O0 and kernel %u\n", expr, k->len, want, got);
				continue;
			}
			/* another libpcap's verdict: master's (newer than the
			 * 1.10.3 oracle) or another platform's */
			{
				unsigned a = 0;

				while (a < alts->n &&
				       lp_verdict((const struct pcap_bpf_insn *)alts->v[a].insns, k) != got)
					a++;
				if (a < alts->n) {
					if (r->other++ == 0 || getenv("SNIFF_KCORPUS_VERBOSE"))
						printf("other libpcap's verdict: \"%s\" opt=%d, %u-byte "
						       "packet: 1.10.3 %u, kernel %u (%u corpus programs)\n",
						       expr, opt, k->len, want, got, alts->n);
					continue;
				}
			}
			if (!bad) {
				uint32_t interp = bpf_filter((const struct pcap_bpf_insn *)ours->insns,
							     k->buf + LINKHDR, k->len, k->len);

				report("MISMATCH \"%s\" opt=%d: %u-byte packet: kernel %u, libpcap %u "
				       "(bpf_filter on our classic program: %u: %s)", expr, opt, k->len,
				       got, want, interp,
				       interp == got ? "our generator differs from libpcap"
						     : "translation or kernel differs from bpf_filter");
				for (uint32_t j = 0; j < k->len && j < 96 && nreports <= MAX_REPORTS; j++)
					fprintf(stderr, "%s%02x", j % 16 ? " " : "\n    ", k->buf[LINKHDR + j]);
				if (nreports <= MAX_REPORTS)
					fputc('\n', stderr);
			}
			bad = 1;
		}
	return bad;
}

START_TEST(harness)
{
	SNIFF_OPTS(sniff_compile_opts, o, .optimize = 1);
	struct pool p = { 0 };
	struct sniff_prog prog;
	struct sniff_ebpf_prog e;
	struct sniff_error err;
	struct bpf_program fp;
	struct pk_l3 l;
	int fd;
	long hits = 0;

	if (!test_have_bpf("harness", 1))
		return;
	/* "ip" drops ARP and keeps IPv4: if the 14 pulled bytes were not
	 * accounted for, the program would read the ethertype elsewhere */
	ck_assert_int_eq(sniff_compile("ip and udp port 53", DLT_EN10MB, &o, &prog, &err), 0);
	ck_assert_int_eq(eb_translate(prog.insns, prog.len, &e), 0);
	fd = eb_load(e.insns, e.len, NULL, 0);
	ck_assert_int_ge(fd, 0);
	pk_ip4(&l, 0x0a000001, 0x0a000002, 17, 1000, 53, 0, 0, 0);
	frame_add(&p, DLT_EN10MB, &l, 0, 1, NULL);
	pk_arp(&l, 0x0806, 1, 2, 1);
	frame_add(&p, DLT_EN10MB, &l, 0, 0, NULL);
	ck_assert_int_eq(lp_compile(DLT_EN10MB, "ip and udp port 53", 1, 262144,
				    PCAP_NETMASK_UNKNOWN, &fp), 0);
	ck_assert_uint_eq(kernel_verdict(fd, &p.v[0]), 262144);
	ck_assert_uint_eq(lp_verdict(fp.bf_insns, &p.v[0]), 262144);
	for (size_t i = 0; i < p.n; i++) {
		ck_assert_uint_eq(kernel_verdict(fd, &p.v[i]), lp_verdict(fp.bf_insns, &p.v[i]));
		hits += kernel_verdict(fd, &p.v[i]) != 0;
	}
	/* the whole packet and its 38- and 40-byte cuts, which still hold the
	 * UDP ports: the kernel's length is the cut length, as bpf_filter's */
	ck_assert_int_eq(hits, 3);
	pcap_freecode(&fp);
	/* and a wrong oracle is seen as one */
	ck_assert_int_eq(lp_compile(DLT_EN10MB, "ip and udp port 54", 1, 262144,
				    PCAP_NETMASK_UNKNOWN, &fp), 0);
	ck_assert_uint_ne(kernel_verdict(fd, &p.v[0]), lp_verdict(fp.bf_insns, &p.v[0]));
	close(fd);
	pcap_freecode(&fp);
	sniff_ebpf_free(&e);
	sniff_prog_free(&prog);
	pool_free(&p);
}
END_TEST

START_TEST(kernel_corpus)
{
	static char log[1 << 16];
	struct corpus_file *f;
	const struct corpus_case *c;
	struct pool base[NDLTS], extra = { 0 };
	int built[NDLTS] = { 0 };
	struct row rows[NDLTS], tot;
	int verbose = getenv("SNIFF_KCORPUS_VERBOSE") != NULL;
	long listed = 0, failed_load = 0, failed_translate = 0;
	struct timespec t0, t1;
	struct known_list known = { 0 };

	if (!test_have_bpf("kernel_corpus", 1))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	known_load(&known);
	memset(base, 0, sizeof(base));
	memset(rows, 0, sizeof(rows));
	f = corpus_open("filters/accept.jsonl");
	ck_assert_msg(f != NULL, "corpus at %s: %s", corpus_dir(), strerror(errno));
	while ((c = corpus_next(f)) != NULL) {
		const char *dn = corpus_str(c, "dlt"), *expr = corpus_str(c, "expr"), *names;
		const char *master = corpus_str(c, "libpcap_program");
		long long opt = 0, snap = 262144, linuxext = 0, optrej = 0;
		uint32_t mask;
		int dlt = dn ? pcap_datalink_name_to_val(dn) : -1, skip, fd, rc;
		size_t d;
		struct sniff_prog prog, want = { 0 };
		struct sniff_ebpf_prog e = { 0 };
		struct sniff_error err;
		struct bpf_program fp = { 0 }, fp0 = { 0 };
		const struct pcap_bpf_insn *oracle = NULL, *oracle0 = NULL;
		struct alts alts = { .n = 0 }, alts0 = { .n = 0 };
		struct row *r;

		for (d = 0; d < NDLTS && dlts[d] != dlt; d++)
			;
		if (d == NDLTS || !expr)
			continue;
		r = &rows[d];
		r->cases++;
		names = case_names(c, &skip);
		/* netmask 0: sniff_compile_opts reads 0 as "unknown" */
		if (skip || (corpus_str(c, "netmask") && corpus_mask(c) == 0)) {
			r->skipped++;
			continue;
		}
		corpus_int(c, "optimize", &opt);
		if (corpus_int(c, "snaplen", &snap) < 0)
			snap = 262144;
		corpus_int(c, "linuxext", &linuxext);
		corpus_int(c, "optimizer_rejects", &optrej);
		mask = (uint32_t)corpus_mask(c);
		{
			SNIFF_OPTS(sniff_compile_opts, o, .snaplen = (uint32_t)snap, .netmask = mask,
				   .optimize = (int)opt, .names_dir = names,
				   .mode = linuxext ? SNIFF_MODE_LINUX : SNIFF_MODE_SAVEFILE);

			rc = sniff_compile(expr, dlt, &o, &prog, &err);
		}
		if (rc < 0) {
			if (opt && optrej && strstr(err.msg, "rejects all packets")) {
				r->allreject++;  /* libpcap's optimizer refuses it too */
				continue;
			}
			r->notyet++;
			if (verbose || listed < 40)
				printf("not compiled yet: %s %s opt=%lld%s: \"%s\": %s\n", dn,
				       corpus_str(c, "name"), opt, linuxext ? " linux" : "", expr,
				       err.msg);
			listed++;
			continue;
		}
		r->compiled++;
		rc = eb_translate_ex(prog.insns, prog.len, 0, &e, &err);
		if (rc < 0) {
			report("TRANSLATE %s \"%s\" opt=%lld: %s", dn, expr, opt, err.msg);
			show_prog(&prog, NULL);
			failed_translate++;
			sniff_prog_free(&prog);
			continue;
		}
		r->translated++;
		fd = eb_load(e.insns, e.len, log, sizeof(log));
		if (fd < 0) {
			report("LOAD %s \"%s\" opt=%lld: %s; verifier:\n%s", dn, expr, opt,
			       strerror(-fd), log);
			show_prog(&prog, &e);
			failed_load++;
			sniff_ebpf_free(&e);
			sniff_prog_free(&prog);
			continue;
		}
		r->loaded++;
		if (!linuxext) {
			/* the oracle: Debian's libpcap, or master's program where
			 * 1.10.3 cannot compile the case or is known wrong */
			if (!names && !lp_110_wrong(dlt, expr) &&
			    (lp_compile(dlt, expr, (int)opt, (uint32_t)snap, mask, &fp) == 0 ||
			     (opt && lp_compile(dlt, expr, 0, (uint32_t)snap, mask, &fp) == 0))) {
				oracle = fp.bf_insns;
				if (opt && lp_compile(dlt, expr, 0, (uint32_t)snap, mask, &fp0) == 0)
					oracle0 = fp0.bf_insns;
			} else if (master && cb_asm(master, &want, &err) == 0) {
				oracle = (const struct pcap_bpf_insn *)want.insns;
				r->vs_master++;
				/* master's unoptimized program of the case, as -O0 for
				 * 1.10.3: its optimizer moves tests above loads that
				 * may fail (`host NAME` with several addresses) */
				if (opt) {
					alts_get(&known, dlt, 0, expr, &alts0);
					if (alts0.n)
						oracle0 = (const struct pcap_bpf_insn *)alts0.v[0].insns;
				}
			}
		}
		if (oracle) {
			const struct pool *pools[2];

			if (!built[d]) {
				build_pool(&base[d], dlt);
				add_captures(&base[d], dlt);
				built[d] = 1;
			}
			expr_packets(&extra, dlt, expr);
			pools[0] = &base[d];
			pools[1] = &extra;
			r->vcases++;
			alts_get(&known, dlt, opt, expr, &alts);
			if (compare(r, fd, expr, (int)opt, &prog, oracle, oracle0, &alts, pools, 2)) {
				r->vbad++;
				show_prog(&prog, &e);
			} else {
				r->vequal++;
			}
			pool_free(&extra);
			alts_free(&alts);
		}
		close(fd);
		if (fp.bf_insns)
			pcap_freecode(&fp);
		if (fp0.bf_insns)
			pcap_freecode(&fp0);
		alts_free(&alts0);
		sniff_prog_free(&want);
		sniff_ebpf_free(&e);
		sniff_prog_free(&prog);
	}
	ck_assert_msg(corpus_error(f) == NULL, "%s", corpus_error(f));
	corpus_close(f);
	for (size_t d = 0; d < NDLTS; d++)
		pool_free(&base[d]);
	known_free(&known);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	if (listed > 40 && !verbose)
		printf("... %ld more not compiled yet (SNIFF_KCORPUS_VERBOSE=1 lists all)\n",
		       listed - 40);
	memset(&tot, 0, sizeof(tot));
	printf("\nkernel corpus (accept.jsonl, in-scope link types; verdicts: BPF_PROG_TEST_RUN "
	       "vs libpcap bpf_filter, savefile mode)\n");
	printf("%-11s %6s %5s %8s %7s %6s %8s %7s %6s %6s %8s %5s %5s\n", "linktype", "cases", "skip",
	       "compiled", "notyet", "loaded", "verdicts", "equal", "mism.", "master", "runs", "tol.",
	       "other");
	for (size_t d = 0; d <= NDLTS; d++) {
		struct row *r = d < NDLTS ? &rows[d] : &tot;

		if (d < NDLTS) {
			tot.cases += r->cases;
			tot.skipped += r->skipped;
			tot.compiled += r->compiled;
			tot.notyet += r->notyet;
			tot.allreject += r->allreject;
			tot.translated += r->translated;
			tot.loaded += r->loaded;
			tot.vcases += r->vcases;
			tot.vequal += r->vequal;
			tot.vbad += r->vbad;
			tot.runs += r->runs;
			tot.tolerated += r->tolerated;
			tot.other += r->other;
			tot.vs_master += r->vs_master;
		}
		printf("%-11s %6ld %5ld %8ld %7ld %6ld %8ld %7ld %6ld %6ld %8ld %5ld %5ld\n",
		       d < NDLTS ? dlt_label(dlts[d]) : "total", r->cases, r->skipped, r->compiled,
		       r->notyet, r->loaded, r->vcases, r->vequal, r->vbad, r->vs_master, r->runs,
		       r->tolerated, r->other);
	}
	printf("skip: libpcap build preconditions or netmask 0; notyet: our compiler refuses "
	       "(%ld; %ld more refused as matching nothing, as libpcap's optimizer does); "
	       "master: oracle is libpcap master's corpus program; tol.: short packets where "
	       "libpcap's optimizer changed its own verdict;\nother: packets where we give "
	       "the verdict of another corpus program for the expression (newer libpcap, or "
	       "another platform's AF_INET6)\n",
	       tot.notyet, tot.allreject);
	printf("compiled %ld of %ld, loaded %ld of %ld (translate failures %ld, verifier refusals "
	       "%ld), verdict cases equal %ld of %ld over %ld kernel runs, %.1f s\n",
	       tot.compiled, tot.cases - tot.skipped, tot.loaded, tot.compiled, failed_translate,
	       failed_load, tot.vequal, tot.vcases, tot.runs,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	fflush(stdout);
	ck_assert_msg(tot.compiled > 0, "our compiler built no corpus case");
	ck_assert_msg(rows[0].vcases > 0 && tot.runs > 0, "no EN10MB verdict was compared");
	ck_assert_msg(failed_translate == 0 && failed_load == 0,
		      "%ld compiled cases did not translate, %ld were refused by the verifier",
		      failed_translate, failed_load);
	ck_assert_msg(tot.vbad == 0, "%ld cases: kernel verdicts differ from libpcap's", tot.vbad);
}
END_TEST

static Suite *kernel_suite(void)
{
	Suite *s = suite_create("kernel_corpus");
	TCase *t = tcase_create("kernel");

	tcase_set_timeout(t, 180);
	tcase_add_test(t, harness);
	tcase_add_test(t, kernel_corpus);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr;
	int nfail;

	/* automake's SKIP (77) when nothing can run here; under CI=true the
	 * tests run anyway and fail */
	if (!test_ci_mode() && !test_have_bpf("test_kernel_corpus", 1))
		return 77;
	sr = srunner_create(kernel_suite());

	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail ? EXIT_FAILURE : EXIT_SUCCESS;
}
