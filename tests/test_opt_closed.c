/* tests/test_opt_closed.c: the passes the optimizer skips would have found
 * nothing.
 *
 * cb_optimize does not run the forward pass again when it can tell that a
 * second run on the current graph would change nothing (a "closed" pass,
 * cbpf/opt-fwd.c; the merges that keep it so, passed() in cbpf/opt.c), nor
 * the backward pass on its own output (cbpf/opt-bwd.c), and it keeps the
 * forward pass's block order instead of sorting again.  This program links
 * the optimizer built with -DSNIFF_OPT_CHECK, which skips nothing and aborts
 * when a pass it would have skipped changes the graph or when a kept order
 * is not a topological one of the reachable blocks.
 * So every program compiled here is the one the skipping optimizer makes,
 * and it was reached without a skip that mattered: over the corpus's
 * expressions (every link type and mode it gives, -O1), long host and port
 * lists and seeded random expressions (some with arithmetic, whose scratch
 * stores the backward pass deletes).  The decisions themselves are
 * test_opt's and test_gen's to check against libpcap.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sniff.h"
#include "tests/corpus.h"
#include "tests/testutil.h"

static char names_dir[4096];

static int compile(const char *expr, int dlt, uint32_t snaplen, int mode)
{
	SNIFF_OPTS(sniff_compile_opts, o, .optimize = 1, .snaplen = snaplen, .mode = mode,
		   .names_dir = names_dir);
	struct sniff_prog p;

	if (sniff_compile(expr, dlt, &o, &p, NULL))
		return 0;
	sniff_prog_free(&p);
	return 1;
}

START_TEST(corpus_expressions)
{
	static const char *const files[] = { "filters/accept.jsonl", "filters/apply.jsonl" };
	long done = 0;
	size_t i;

	snprintf(names_dir, sizeof(names_dir), "%s/filters/names", corpus_dir());
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct corpus_file *f = corpus_open(files[i]);
		const struct corpus_case *c;

		ck_assert_msg(f != NULL, "%s/%s", corpus_dir(), files[i]);
		while ((c = corpus_next(f)) != NULL) {
			const char *dn = corpus_str(c, "dlt"), *expr = corpus_str(c, "expr");
			int dlt = sniff_linktype_from_name(dn ? dn : "EN10MB"), mode;
			long long snap = 0;

			if (!expr || dlt < 0)
				continue;
			corpus_int(c, "snaplen", &snap);
			for (mode = SNIFF_MODE_SAVEFILE; mode <= SNIFF_MODE_LINUX; mode++)
				done += compile(expr, dlt, (uint32_t)snap, mode);
		}
		ck_assert_msg(corpus_error(f) == NULL, "%s", corpus_error(f));
		corpus_close(f);
	}
	printf("corpus: %ld programs optimized, no skipped pass mattered\n", done);
	ck_assert_int_gt(done, 1000);
}
END_TEST

/* "PRIM N or PRIM N+1 ..." for N entries. */
static char *list(const char *prim, unsigned n, int dotted)
{
	char *s = malloc(40 * (size_t)n + 1), *p = s;
	unsigned i;

	for (i = 1; i <= n; i++) {
		if (dotted)
			p += sprintf(p, "%s%s 10.%u.%u.%u", i > 1 ? " or " : "", prim,
				     (i >> 16) & 255, (i >> 8) & 255, i & 255);
		else
			p += sprintf(p, "%s%s %u", i > 1 ? " or " : "", prim, i);
	}
	*p = 0;
	return s;
}

START_TEST(lists)
{
	static const unsigned sizes[] = { 3, 10, 100, 1000 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *h = list("host", sizes[i], 1), *sh = list("src host", sizes[i], 1);
		char *p = list("port", sizes[i], 0), *tp = list("tcp dst port", sizes[i], 0);

		ck_assert(compile(h, SNIFF_DLT_EN10MB, 0, SNIFF_MODE_SAVEFILE));
		ck_assert(compile(sh, SNIFF_DLT_LINUX_SLL, 0, SNIFF_MODE_LINUX));
		ck_assert(compile(p, SNIFF_DLT_EN10MB, 0, SNIFF_MODE_SAVEFILE));
		ck_assert(compile(tp, SNIFF_DLT_RAW, 0, SNIFF_MODE_SAVEFILE));
		free(h);
		free(sh);
		free(p);
		free(tp);
	}
}
END_TEST

static const char *const prims[] = {
	"tcp", "udp", "icmp", "ip", "ip6", "arp", "vlan", "mpls", "pppoes", "sctp", "igmp",
	"tcp port 80", "udp port 53", "port 22", "src port 1000", "portrange 1-1024",
	"dst host 10.0.0.1", "host 10.0.0.2", "net 192.168.0.0/16", "src net 10.0.0.0/8",
	"host fe80::1", "ether host 02:00:00:00:00:01", "ether broadcast", "ether multicast",
	"ip broadcast", "ip multicast", "greater 100", "less 60", "len > 1000",
	"ip[2:2] > 576", "ip[0] & 0xf > 5", "ip[6:2] & 0x1fff = 0", "ip[1] + ip[2] = 7",
	"tcp[13] & 2 != 0", "tcp[tcpflags] & tcp-syn != 0", "tcp[0:2] > 1023",
	"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420", "udp[8:2] = 0x1234",
	"icmp[icmptype] == icmp-echo", "ip proto 47", "ip6 proto 58", "vlan 100",
	"ether proto 0x88cc", "tcp dst port 443", "udp portrange 5000-6000",
	"src host 1.2.3.4 and dst host 5.6.7.8",
	/* arithmetic goes through scratch slots, whose dead stores the
	 * backward pass deletes without reopening the forward pass */
	"(ip[2:2] - ((ip[0] & 0xf) << 2)) - ((tcp[12] & 0xf0) >> 2) != 0",
	"ip[2:2] / 4 * 4 = ip[2:2]", "(ip[0] & 0xf) * 4 + udp[4:2] > ip[2:2]",
};
#define NPRIMS (sizeof(prims) / sizeof(prims[0]))

/* A random expression of depth at most 4 at P (room for END - P bytes). */
static void random_expr(struct test_rng *g, char *p, char *end, int depth)
{
	uint32_t r = test_below(g, 100);

	if (depth > 3 || r < 35) {
		snprintf(p, (size_t)(end - p), "%s", prims[test_below(g, NPRIMS)]);
	} else if (r < 50) {
		snprintf(p, (size_t)(end - p), "not ");
		random_expr(g, p + 4, end, depth + 1);
	} else {
		size_t n;

		snprintf(p, (size_t)(end - p), "(");
		random_expr(g, p + 1, end, depth + 1);
		n = strlen(p);
		snprintf(p + n, (size_t)(end - p) - n, r < 75 ? " and " : " or ");
		n = strlen(p);
		random_expr(g, p + n, end, depth + 1);
		n = strlen(p);
		snprintf(p + n, (size_t)(end - p) - n, ")");
	}
}

START_TEST(random_expressions)
{
	static const int dlts[] = { SNIFF_DLT_EN10MB, SNIFF_DLT_LINUX_SLL, SNIFF_DLT_RAW,
				    SNIFF_DLT_LINUX_SLL2 };
	struct test_rng g = { 0x5eed0c105edull };
	char expr[8192];
	long done = 0;
	int i;

	printf("random: seed %#llx\n", (unsigned long long)g.s);
	for (i = 0; i < 4000; i++) {
		random_expr(&g, expr, expr + sizeof(expr), 0);
		done += compile(expr, dlts[test_below(&g, 4)], 0,
				test_below(&g, 2) ? SNIFF_MODE_LINUX : SNIFF_MODE_SAVEFILE);
	}
	printf("random: %ld programs optimized, no skipped pass mattered\n", done);
	ck_assert_int_gt(done, 1000);
}
END_TEST

static Suite *closed_suite(void)
{
	Suite *s = suite_create("opt_closed");
	TCase *tc = tcase_create("all");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, corpus_expressions);
	tcase_add_test(tc, lists);
	tcase_add_test(tc, random_expressions);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(closed_suite());
	int nfail;

	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail ? EXIT_FAILURE : EXIT_SUCCESS;
}
