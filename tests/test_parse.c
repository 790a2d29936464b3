/* tests/test_parse.c: the pcap-filter(7) front end (filters/), held to libpcap.
 *
 * Oracles:
 *  - corpus: every accept.jsonl case of an in-scope link type must parse, every
 *    reject.jsonl case that libpcap refuses in its scanner or grammar must be
 *    refused, with a column inside the expression;
 *  - libpcap itself (pcap_compile on a pcap_open_dead handle, bpf_filter):
 *    random arithmetic expressions evaluated from our AST must equal what
 *    libpcap's program computes (precedence and associativity), and random
 *    and/or/not expressions with inherited qualifiers evaluated from our AST
 *    must decide like libpcap's program on IPv4 TCP/UDP packets;
 *  - a hand table of S-expressions written from grammar.y's rules (each
 *    expression also compiled by libpcap, each error case also refused by it).
 */
#include <check.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/filters.h"
#include "tests/corpus.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers */

static int parse(const char *expr, struct arena *a, struct node **n, struct sniff_error *err)
{
	memset(a, 0, sizeof(*a));
	return filter_parse(expr, a, n, err);
}

static char *ast_string(const struct node *n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	filter_ast_print(n, f);
	fclose(f);
	return buf;
}

/* libpcap's verdict: 1 compiled, 0 refused (msg filled). */
static int pcap_accepts(const char *expr, int optimize, struct bpf_program *prog, char *msg,
			size_t msz)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	struct bpf_program tmp;
	int rc;

	ck_assert_ptr_nonnull(p);
	rc = pcap_compile(p, prog ? prog : &tmp, expr, optimize, PCAP_NETMASK_UNKNOWN);
	if (rc && msg)
		snprintf(msg, msz, "%s", pcap_geterr(p));
	if (!rc && !prog)
		pcap_freecode(&tmp);
	pcap_close(p);
	return rc == 0;
}

static const char *const in_scope[] = {
	"EN10MB", "LINUX_SLL", "LINUX_SLL2", "RAW", "IPV4", "IPV6", "NULL", "LOOP",
};

static int dlt_in_scope(const char *dlt)
{
	size_t i;

	for (i = 0; dlt && i < ARRAY_SIZE(in_scope); i++)
		if (strcmp(dlt, in_scope[i]) == 0)
			return 1;
	return 0;
}

/* ---- (a) accept corpus */

START_TEST(test_corpus_accept)
{
	struct corpus_file *f = corpus_open("filters/accept.jsonl");
	const struct corpus_case *c;
	int cases = 0, passed = 0, all = 0, all_passed = 0;

	ck_assert_msg(f, "cannot open %s/filters/accept.jsonl: %s", corpus_dir(), strerror(errno));
	while ((c = corpus_next(f))) {
		const char *expr = corpus_str(c, "expr");
		struct sniff_error err;
		struct arena a;
		struct node *n;
		int rc;

		if (!expr)
			continue;
		/* other link types' cases are valid libpcap too: they must parse */
		all++;
		rc = parse(expr, &a, &n, &err);
		all_passed += rc == 0;
		if (!dlt_in_scope(corpus_str(c, "dlt"))) {
			if (rc)
				printf("accept FAIL (%s) line %d: %s: %s\n", corpus_str(c, "dlt"),
				       corpus_line(f), expr, err.msg);
			arena_free(&a);
			continue;
		}
		cases++;
		if (rc == 0) {
			passed++;
		} else if (cases - passed <= 20) {
			printf("accept FAIL line %d [%s] %s\n", corpus_line(f), corpus_str(c, "name"), expr);
			sniff_error_print(stdout, "  ", expr, &err);
		}
		arena_free(&a);
	}
	ck_assert_msg(!corpus_error(f), "%s", corpus_error(f));
	corpus_close(f);
	printf("parse summary: accept.jsonl in-scope: %d cases, %d parsed; all link types: "
	       "%d cases, %d parsed\n", cases, passed, all, all_passed);
	ck_assert_int_gt(cases, 1000);
	ck_assert_int_eq(passed, cases);
	ck_assert_int_eq(all_passed, all);
}
END_TEST

/* apply.jsonl's expressions all run in libpcap: they must parse too. */
START_TEST(test_corpus_apply)
{
	struct corpus_file *f = corpus_open("filters/apply.jsonl");
	const struct corpus_case *c;
	int cases = 0, passed = 0;

	ck_assert_msg(f, "cannot open %s/filters/apply.jsonl: %s", corpus_dir(), strerror(errno));
	while ((c = corpus_next(f))) {
		const char *expr = corpus_str(c, "expr");
		struct sniff_error err;
		struct arena a;
		struct node *n;

		if (!expr)
			continue;
		cases++;
		if (parse(expr, &a, &n, &err) == 0)
			passed++;
		else
			printf("apply FAIL line %d: %s: %s\n", corpus_line(f), expr, err.msg);
		arena_free(&a);
	}
	ck_assert_msg(!corpus_error(f), "%s", corpus_error(f));
	corpus_close(f);
	printf("parse summary: apply.jsonl: %d cases, %d parsed\n", cases, passed);
	ck_assert_int_gt(cases, 300);
	ck_assert_int_eq(passed, cases);
}
END_TEST

/* ---- (b) reject corpus */

/* libpcap's messages from its scanner and from checks in grammar.y's actions;
 * everything else it reports from gencode, which is the generator's job. */
static const char *const parse_level_errors[] = {
	"syntax error",
	"overflows 32 bits",
	"contains non-octal digit",
	"contains non-hex digit",
	"bogus ethernet address",
	"invalid Ethernet address",
	"invalid IPv6 address",
	"bogus IPv6 address",
	"qualifier applied to IPv",
	"modifier applied to",
	"data size must be 1, 2, or 4",
	"unknown PF reason",
	"unknown PF action",
	"invalid 802.11 type value",
	"invalid 802.11 subtype value",
	"unknown 802.11 type",
	"unknown 802.11 subtype",
	"unknown 802.11 direction",
	"unknown LLC type name",
};

static int is_parse_level(const char *error)
{
	size_t i;

	for (i = 0; error && i < ARRAY_SIZE(parse_level_errors); i++)
		if (strstr(error, parse_level_errors[i]))
			return 1;
	return 0;
}

START_TEST(test_corpus_reject)
{
	struct corpus_file *f = corpus_open("filters/reject.jsonl");
	const struct corpus_case *c;
	int cases = 0, passed = 0, others = 0, others_here = 0;

	ck_assert_msg(f, "cannot open %s/filters/reject.jsonl: %s", corpus_dir(), strerror(errno));
	while ((c = corpus_next(f))) {
		const char *expr = corpus_str(c, "expr"), *error = corpus_str(c, "error");
		struct sniff_error err;
		struct arena a;
		struct node *n;
		int rc;

		if (!expr)
			continue; /* savefile cases */
		rc = parse(expr, &a, &n, &err);
		arena_free(&a);
		if (!is_parse_level(error)) {
			others++;
			others_here += rc < 0;
			continue;
		}
		cases++;
		if (rc == -EINVAL && err.column >= 1 &&
		    err.column + err.length - 1 <= (int)strlen(expr)) {
			passed++;
		} else if (cases - passed <= 20) {
			printf("reject FAIL line %d [%s] %s (libpcap: %s) rc=%d col=%d len=%d\n",
			       corpus_line(f), corpus_str(c, "name"), expr, error, rc, err.column,
			       err.length);
		}
	}
	ck_assert_msg(!corpus_error(f), "%s", corpus_error(f));
	corpus_close(f);
	printf("parse summary: reject.jsonl parse-level: %d cases, %d rejected with a column "
	       "in the expression; other rejects (generator's): %d, %d already refused here\n",
	       cases, passed, others, others_here);
	ck_assert_int_gt(cases, 40);
	ck_assert_int_eq(passed, cases);
}
END_TEST

/* ---- (c) hand table: expression -> S-expression (from grammar.y's rules) */

struct ast_case {
	const char *expr;
	const char *ast;
};

static const struct ast_case ast_cases[] = {
	/* the slice */
	{ "ip", "(proto ip)" },
	{ "ip6 or arp", "(or (proto ip6) (proto arp))" },
	{ "tcp and udp or icmp and icmp6",
	  "(and (or (and (proto tcp) (proto udp)) (proto icmp)) (proto icmp6))" },
	{ "host 10.0.0.1", "(prim - - host 10.0.0.1)" },
	{ "src host 10.0.0.1", "(prim - src host 10.0.0.1)" },
	{ "dst host fe80::1", "(prim - dst host fe80::1)" },
	{ "ip6 src host ::1", "(prim ip6 src host ::1)" },
	{ "port 80", "(prim - - port 80)" },
	{ "tcp dst port 0x50", "(prim tcp dst port 80)" },
	{ "udp src port 053", "(prim udp src port 43)" },
	{ "!tcp && !udp || icmp", "(or (and (not (proto tcp)) (not (proto udp))) (proto icmp))" },
	{ "not (tcp or udp)", "(not (or (proto tcp) (proto udp)))" },
	/* and/or: one precedence, left to right */
	{ "tcp or udp and icmp", "(and (or (proto tcp) (proto udp)) (proto icmp))" },
	{ "tcp and (udp or icmp)", "(and (proto tcp) (or (proto udp) (proto icmp)))" },
	{ "not tcp and udp", "(and (not (proto tcp)) (proto udp))" },
	{ "not not tcp", "(not (not (proto tcp)))" },
	/* inheritance */
	{ "host 10.0.0.1 or 10.0.0.2",
	  "(or (prim - - host 10.0.0.1) (prim - - host 10.0.0.2))" },
	{ "tcp port 80 or 443", "(or (prim tcp - port 80) (prim tcp - port 443))" },
	{ "src net 10 or 11", "(or (prim - src net 10) (prim - src net 11))" },
	{ "not host 10.0.0.1 and 10.0.0.2",
	  "(and (not (prim - - host 10.0.0.1)) (prim - - host 10.0.0.2))" },
	{ "host 10.0.0.1 and not 10.0.0.2",
	  "(and (prim - - host 10.0.0.1) (not (prim - - host 10.0.0.2)))" },
	{ "host 10.0.0.1 and port 80 or 443",
	  "(or (and (prim - - host 10.0.0.1) (prim - - port 80)) (prim - - port 443))" },
	{ "host 10.0.0.1 and (port 80) or 10.0.0.2",
	  "(or (and (prim - - host 10.0.0.1) (prim - - port 80)) (prim - - host 10.0.0.2))" },
	{ "host 10.0.0.1 and (tcp) or 10.0.0.2",
	  "(or (and (prim - - host 10.0.0.1) (proto tcp)) (prim - - host 10.0.0.2))" },
	{ "src or dst host 10.0.0.1", "(prim - src-or-dst host 10.0.0.1)" },
	{ "dst and src port 1", "(prim - src-and-dst port 1)" },
	/* id lists */
	{ "host (10.0.0.1 or 10.0.0.2)",
	  "(or (prim - - host 10.0.0.1) (prim - - host 10.0.0.2))" },
	{ "tcp port (80 or 443 and 8080)",
	  "(and (or (prim tcp - port 80) (prim tcp - port 443)) (prim tcp - port 8080))" },
	{ "port (80 or not 443)", "(or (prim - - port 80) (not (prim - - port 443)))" },
	{ "host 10.0.0.1 and (10.0.0.2 or 10.0.0.3)",
	  "(and (prim - - host 10.0.0.1) (or (prim - - host 10.0.0.2) (prim - - host 10.0.0.3)))" },
	{ "port ((80) or 81)", "(or (prim - - port 80) (prim - - port 81))" },
	{ "port ((80))", "(prim - - port 80)" },
	/* ids */
	{ "net 10.1.0.0/16", "(prim - - net 10.1.0.0/16)" },
	{ "net 10.1 mask 255.255.0.0", "(prim - - net 10.1 mask 255.255.0.0)" },
	{ "ip6 net fe80::/10", "(prim ip6 - net fe80::/10)" },
	{ "ether host 0:1:2:3:4:5", "(prim link - host 0:1:2:3:4:5)" },
	{ "ether src 00-11-22-33-44-55", "(prim link src - 00-11-22-33-44-55)" },
	{ "ether dst 0011.2233.4455", "(prim link dst - 0011.2233.4455)" },
	{ "ether host 001122334455", "(prim link - host 001122334455)" },
	{ "link host $1f", "(prim link - host $1f)" },
	{ "portrange 6000-6010", "(prim - - portrange 6000-6010)" },
	{ "ip proto \\tcp", "(prim ip - proto \"tcp\")" },
	{ "host www.example.com", "(prim - - host \"www.example.com\")" },
	{ "ip6 host ::ffff:1.2.3.4", "(prim ip6 - host ::ffff:1.2.3.4)" },
	{ "gateway gw", "(prim - - gateway \"gw\")" },
	{ "ip protochain 6", "(prim ip - protochain 6)" },
	{ "wlan addr2 0:1:2:3:4:5", "(prim link addr2 - 0:1:2:3:4:5)" },
	/* arithmetic: | < & < shifts < + - < * / < unary -, and % ^ always shift */
	{ "1 + 2 * 3 = 7", "(rel = (+ 1 (* 2 3)) 7)" },
	{ "1 - 2 - 3 = 0", "(rel = (- (- 1 2) 3) 0)" },
	{ "1 | 2 & 3 << 4 + 5 * 6 > 0",
	  "(rel > (| 1 (& 2 (<< 3 (+ 4 (* 5 6))))) 0)" },
	{ "1 + 2 % 3 + 4 = 0", "(rel = (+ 1 (% 2 (+ 3 4))) 0)" },
	{ "1 * 2 ^ 3 | 4 = 0", "(rel = (* 1 (^ 2 (| 3 4))) 0)" },
	{ "-1 * 2 = 0", "(rel = (* (neg 1) 2) 0)" },
	{ "-1 % 2 = 0", "(rel = (neg (% 1 2)) 0)" },
	{ "(1 + 2) * 3 != len", "(rel != (* (+ 1 2) 3) len)" },
	{ "ip[0] & 0xf > 5", "(rel > (& (load ip 0 1) 15) 5)" },
	{ "tcp[tcpflags] & (tcp-syn|tcp-ack) != 0",
	  "(rel != (& (load tcp 13 1) (| 2 16)) 0)" },
	{ "icmp[icmptype] == icmp-echo", "(rel = (load icmp 0 1) 8)" },
	{ "ether[12:2] <= 0x5dc", "(rel <= (load link 12 2) 1500)" },
	{ "ip6[len - 4:4] < 1", "(rel < (load ip6 (- len 4) 4) 1)" },
	{ "length >= 100", "(rel >= len 100)" },
	/* other */
	{ "less 100 or greater 200", "(or (less 100) (greater 200))" },
	{ "ether broadcast or ip multicast", "(or (broadcast link) (multicast ip))" },
	{ "broadcast", "(broadcast -)" },
	{ "byte 2 & 0x80", "(byte 2 & 128)" },
	{ "inbound and not outbound", "(and (inbound) (not (outbound)))" },
	{ "ifindex 3", "(ifindex 3)" },
	{ "vlan and vlan 10 and vlan (20)", "(and (and (vlan) (vlan 10)) (vlan 20))" },
	{ "mpls 5 or mpls", "(or (mpls 5) (mpls))" },
	{ "pppoed or pppoes 3 or pppoes", "(or (or (pppoed) (pppoes 3)) (pppoes))" },
	{ "geneve 10 or vxlan or geneve", "(or (or (geneve 10) (vxlan)) (geneve))" },
	{ "llc or llc u or llc rnr", "(or (or (llc) (llc u)) (llc rnr))" },
	{ "llc rulenum or llc SABME", "(or (llc rnr) (llc sabme))" },
	{ "on eth0 or reason congestion or action pass",
	  "(or (or (other on) (other reason)) (other action))" },
	{ "wlan type mgt subtype beacon", "(other type)" },
	{ "vpi 1 and vci (1 or 2) and lane", "(and (and (other vpi) (other vci)) (other lane))" },
	{ "fisu or sio > 3 or hdpc 5", "(or (or (other fisu) (other sio)) (other hdpc))" },
	{ "", "(all)" },
	{ " \t\n", "(all)" },
};

START_TEST(test_ast_table)
{
	const struct ast_case *t = &ast_cases[_i];
	struct sniff_error err;
	struct arena a;
	struct node *n;
	char *got;
	int rc = parse(t->expr, &a, &n, &err);

	ck_assert_msg(rc == 0, "'%s': %s (column %d)", t->expr, err.msg, err.column);
	got = ast_string(n);
	ck_assert_msg(strcmp(got, t->ast) == 0, "'%s':\n  want %s\n  got  %s", t->expr, t->ast,
		      got);
	free(got);
	arena_free(&a);
}
END_TEST

/* Every table expression that libpcap 1.10 on Ethernet can compile is
 * compiled by it: the table stays inside libpcap's language. (Left out: other
 * link types' primitives, names to resolve, and vxlan, newer than 1.10.) */
START_TEST(test_ast_table_libpcap)
{
	static const char *const not_ethernet[] = {
		"vxlan",
		"gateway", "wlan", "on ", "vpi", "fisu", "ip multicast", "\\tcp",
		"www.", "ether broadcast or ip", "link host $", "llc rnr", "ip protochain",
	};
	char msg[256];
	size_t i, j;
	int checked = 0;

	for (i = 0; i < ARRAY_SIZE(ast_cases); i++) {
		for (j = 0; j < ARRAY_SIZE(not_ethernet); j++)
			if (strstr(ast_cases[i].expr, not_ethernet[j]))
				break;
		if (j < ARRAY_SIZE(not_ethernet))
			continue;
		checked++;
		ck_assert_msg(pcap_accepts(ast_cases[i].expr, 0, NULL, msg, sizeof(msg)),
			      "libpcap refuses table case '%s': %s", ast_cases[i].expr, msg);
	}
	printf("parse summary: %zu AST table cases, %d also compiled by libpcap\n",
	       ARRAY_SIZE(ast_cases), checked);
}
END_TEST

/* ---- (c) hand table: expression -> error column (1-based) */

struct err_case {
	const char *expr;
	int column;
	const char *msg_part;
};

static const struct err_case err_cases[] = {
	{ "tcp port", 5, "after 'port'" },
	{ "tcp port and udp", 10, "port" },
	{ "host", 1, "after 'host'" },
	{ "(tcp", 1, "unterminated '('" },
	{ "(tcp or (udp)", 1, "unterminated '('" },
	{ "tcp)", 4, "unexpected ')'" },
	{ "tcp and", 5, "after 'and'" },
	{ "tcp udp", 5, "unexpected 'udp'" },
	{ "tcp or 5", 8, "qualifier" },
	{ "(host 1.2.3.4) or 1.2.3.5", 19, "qualifier" },
	{ "host 1.2.3.4 or ((1.2.3.5))", 18, NULL },
	{ "host 1.2.3.4 and (1.2.3.5 or port 80)", 30, "after 'or'" },
	{ "src or tcp", 8, "dst" },
	{ "len > 5-3", 7, NULL },
	{ "ether host 1:2:3:4:5", 12, "MAC address" },
	{ "ip6 host fe80::1::2", 17, "'::2'" },
	{ "ip6 host fe80::256.1.2.3", 10, "IPv6 address" },
	{ "08", 1, "octal" },
	{ "len > 4294967296", 7, "overflows" },
	{ "0x100000000 > len", 1, "overflows" },
	{ "tcp # 1", 5, "'#'" },
	{ "TCP", 1, "lower case" },
	{ "greater", 1, "expected a length after 'greater'" },
	{ "net 10.0.0.0/", 13, "prefix length after '/'" },
	{ "host 1.2.3.4 and port 80 or 1.2.3.5", 29, "inherited" },
	{ "host \xc3\xa9", 6, "0xc3" },
	{ "tcp or Host 1.2.3.4", 8, "lower case" },
	{ "llc rnr 5", 9, NULL },
	{ "ip[0:3] = 1", 6, "1, 2 or 4" },
	{ "ip[0", 3, "unterminated '['" },
	{ "port 1.2.3.4", 6, "'port' qualifier applied to IPv4 address" },
	{ "proto 1.2.3.0/24", 7, "'proto' qualifier applied to IPv4 address and prefix" },
	{ "portrange fe80::1", 11, "IPv6 address" },
	{ "less (5)", 6, NULL },
	{ "pppoed 1234", 8, NULL },
	{ "byte 1 != 2", 8, NULL },
	{ "len", 1, "comparison" },
	{ "1 + ", 3, NULL },
	{ "not", 1, "after 'not'" },
	{ "host 1.2.3.4 or", 14, "after 'or'" },
	{ "src", 1, "after 'src'" },
	{ "src and tcp", 9, "src" },
	{ "net 10/8", 7, NULL },
	{ "ip and (1.2.3.4)", 9, NULL },
	{ "a:", 1, NULL },
	{ "\\", 1, NULL },
};

START_TEST(test_err_table)
{
	const struct err_case *t = &err_cases[_i];
	struct sniff_error err;
	struct arena a;
	struct node *n;
	char msg[256];
	int rc = parse(t->expr, &a, &n, &err);

	arena_free(&a);
	/* the oracle: libpcap refuses it too */
	ck_assert_msg(!pcap_accepts(t->expr, 0, NULL, msg, sizeof(msg)),
		      "libpcap accepts '%s'", t->expr);
	ck_assert_msg(rc == -EINVAL, "'%s' parsed (rc %d)", t->expr, rc);
	ck_assert_msg(err.column == t->column, "'%s': column %d, want %d (%s)", t->expr,
		      err.column, t->column, err.msg);
	ck_assert_int_ge(err.length, 1);
	if (t->msg_part)
		ck_assert_msg(strstr(err.msg, t->msg_part), "'%s': message '%s' lacks '%s'",
			      t->expr, err.msg, t->msg_part);
}
END_TEST

/* The caret printer's exact format. */
START_TEST(test_error_print)
{
	struct sniff_error err;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_eq(filter_error(&err, 4, 4, "expected %s", "x"), -EINVAL);
	ck_assert_int_eq(err.column, 5);
	ck_assert_int_eq(err.length, 4);
	f = open_memstream(&buf, &len);
	sniff_error_print(f, "tcpdump", "tcp port", &err);
	err.column = 0;
	sniff_error_print(f, "tcpdump", "tcp port", &err);
	fclose(f);
	ck_assert_str_eq(buf, "tcpdump: filter error at column 5: expected x\n"
			      "  tcp port\n"
			      "      ^^^^\n"
			      "tcpdump: expected x\n");
	free(buf);
	ck_assert_int_eq(filter_error(NULL, 0, 1, "x"), -EINVAL);
}
END_TEST

/* ---- libpcap as oracle for precedence: random arithmetic */

static uint32_t rng_state = 12345;

/* Each random test starts from its own seed, moved by $SEED when set so a
 * run can explore more; failures print the expression, enough to replay. */
static void seed(uint32_t base)
{
	const char *e = getenv("SEED");

	rng_state = base + (e ? (uint32_t)strtoul(e, NULL, 0) : 0);
}

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 16) % n;
}

static void gen_arith(char *buf, size_t sz, int depth)
{
	static const char *const ops[] = { "+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>" };
	size_t len = strlen(buf);

	if (depth <= 0 || rnd(4) == 0) {
		snprintf(buf + len, sz - len, "%u", 1 + rnd(9));
		return;
	}
	switch (rnd(6)) {
	case 0:
		snprintf(buf + len, sz - len, "-");
		gen_arith(buf, sz, depth - 1);
		return;
	case 1:
		snprintf(buf + len, sz - len, "(");
		gen_arith(buf, sz, depth - 1);
		len = strlen(buf);
		snprintf(buf + len, sz - len, ")");
		return;
	default:
		gen_arith(buf, sz, depth - 1);
		len = strlen(buf);
		snprintf(buf + len, sz - len, " %s ", ops[rnd(ARRAY_SIZE(ops))]);
		gen_arith(buf, sz, depth - 1);
		return;
	}
}

/* Our AST's value, with bpf_filter's rules; -1 when it divides by zero or
 * shifts by 32 or more (cases the comparison skips). */
static int eval_arith(const struct node *n, uint32_t *v)
{
	uint32_t a, b = 0;

	switch (n->kind) {
	case ND_NUM:
		*v = n->num;
		return 0;
	case ND_NEG:
		if (eval_arith(n->lhs, &a) < 0)
			return -1;
		*v = 0u - a;
		return 0;
	default:
		break;
	}
	if (eval_arith(n->lhs, &a) < 0 || eval_arith(n->rhs, &b) < 0)
		return -1;
	switch (n->kind) {
	case ND_ADD: *v = a + b; return 0;
	case ND_SUB: *v = a - b; return 0;
	case ND_MUL: *v = a * b; return 0;
	case ND_DIV: if (!b) return -1; *v = a / b; return 0;
	case ND_MOD: if (!b) return -1; *v = a % b; return 0;
	case ND_BAND: *v = a & b; return 0;
	case ND_BOR: *v = a | b; return 0;
	case ND_XOR: *v = a ^ b; return 0;
	case ND_SHL: if (b >= 32) return -1; *v = a << b; return 0;
	case ND_SHR: if (b >= 32) return -1; *v = a >> b; return 0;
	default: return -1;
	}
}

START_TEST(test_arith_vs_libpcap)
{
	static const uint8_t pkt[64];
	int cases = 0, equal = 0, skipped = 0, i;

	seed(0x5eed);
	for (i = 0; i < 600; i++) {
		char expr[512] = "", filter[600], msg[256];
		struct bpf_program prog;
		struct sniff_error err;
		struct arena a;
		struct node *n;
		uint32_t v;

		gen_arith(expr, sizeof(expr), 5);
		snprintf(filter, sizeof(filter), "%s = 0", expr);
		ck_assert_msg(parse(filter, &a, &n, &err) == 0, "'%s': %s", filter, err.msg);
		ck_assert_int_eq(n->kind, ND_REL);
		if (eval_arith(n->lhs, &v) < 0) {
			skipped++;
			arena_free(&a);
			continue;
		}
		arena_free(&a);
		cases++;
		/* unoptimized: libpcap computes at run time, no constant folding */
		snprintf(filter, sizeof(filter), "%s = %u", expr, v);
		ck_assert_msg(pcap_accepts(filter, 0, &prog, msg, sizeof(msg)), "libpcap: '%s': %s",
			      filter, msg);
		if (bpf_filter(prog.bf_insns, pkt, sizeof(pkt), sizeof(pkt)))
			equal++;
		else
			printf("arith MISMATCH: %s (our value %u)\n", expr, v);
		pcap_freecode(&prog);
	}
	printf("parse summary: arithmetic vs libpcap: %d cases, %d equal values, %d skipped "
	       "(division by zero or shift >= 32)\n", cases, equal, skipped);
	ck_assert_int_gt(cases, 300);
	ck_assert_int_eq(equal, cases);
}
END_TEST

/* ---- libpcap as oracle for and/or/not and inheritance */

struct pkt_fields {
	uint32_t src, dst;   /* host order */
	uint16_t sport, dport;
	uint8_t proto;       /* 6 or 17 */
};

static const uint32_t hosts[] = { 0x0a000001, 0x0a000002, 0x0a000003 };
static const uint16_t ports[] = { 80, 443, 53 };

static void build_pkt(const struct pkt_fields *f, uint8_t *b, size_t *len)
{
	memset(b, 0, 64);
	b[12] = 0x08; /* IPv4 */
	b[14] = 0x45;
	b[16] = 0;
	b[17] = 40;
	b[22] = 64;
	b[23] = f->proto;
	b[26] = f->src >> 24; b[27] = f->src >> 16; b[28] = f->src >> 8; b[29] = f->src;
	b[30] = f->dst >> 24; b[31] = f->dst >> 16; b[32] = f->dst >> 8; b[33] = f->dst;
	b[34] = f->sport >> 8; b[35] = f->sport;
	b[36] = f->dport >> 8; b[37] = f->dport;
	*len = 14 + 40 + 10;
}

static int addr_of(const struct id *id, uint32_t *a)
{
	unsigned x, y, z, w;

	if (id->kind == ID_NUM) {
		*a = id->num;
		return 0;
	}
	if (id->kind != ID_IPV4 || sscanf(id->s, "%u.%u.%u.%u", &x, &y, &z, &w) != 4)
		return -1;
	*a = x << 24 | y << 16 | z << 8 | w;
	return 0;
}

/* libpcap's meaning of the primitives the generator below uses, for IPv4
 * TCP/UDP packets on Ethernet (gencode.c: gen_host, gen_port, gen_proto_abbrev). */
static int eval_bool(const struct node *n, const struct pkt_fields *f)
{
	uint32_t a;

	switch (n->kind) {
	case ND_AND: return eval_bool(n->lhs, f) && eval_bool(n->rhs, f);
	case ND_OR: return eval_bool(n->lhs, f) || eval_bool(n->rhs, f);
	case ND_NOT: return !eval_bool(n->lhs, f);
	case ND_PROTO:
		return n->q.proto == QP_IP ? 1 : n->q.proto == QP_TCP ? f->proto == 6 :
		       n->q.proto == QP_UDP ? f->proto == 17 : -1000;
	case ND_PRIM:
		if (n->q.proto == QP_TCP && f->proto != 6)
			return 0;
		if (n->q.proto == QP_UDP && f->proto != 17)
			return 0;
		if (n->q.type == QT_PORT) {
			ck_assert_int_eq(n->id.kind, ID_NUM);
			return (n->q.dir != QD_DST && f->sport == n->id.num) ||
			       (n->q.dir != QD_SRC && f->dport == n->id.num);
		}
		ck_assert_msg(addr_of(&n->id, &a) == 0, "bad id");
		return (n->q.dir != QD_DST && f->src == a) || (n->q.dir != QD_SRC && f->dst == a);
	default:
		ck_abort_msg("unexpected node %d", n->kind);
		return 0;
	}
}

static void cat(char *buf, size_t sz, const char *s)
{
	size_t len = strlen(buf);

	snprintf(buf + len, sz - len, "%s", s);
}

static void gen_operand(char *buf, size_t sz, int depth, int allow_bare)
{
	static const char *const heads[] = {
		"host", "src host", "dst host", "ip host", "ip src host", "port", "src port",
		"dst port", "tcp port", "udp dst port", "tcp src port",
	};
	char tmp[32];
	int r = (int)rnd(10);

	if (rnd(5) == 0)
		cat(buf, sz, rnd(2) ? "not " : "!");
	if (allow_bare && r < 3) {
		/* a bare id: inherits (or fails to, which both sides must refuse) */
		if (rnd(2))
			snprintf(tmp, sizeof(tmp), "10.0.0.%u", 1 + rnd(3));
		else
			snprintf(tmp, sizeof(tmp), "%u", ports[rnd(3)]);
		cat(buf, sz, tmp);
		return;
	}
	if (depth > 0 && r < 5) {
		cat(buf, sz, "(");
		gen_operand(buf, sz, depth - 1, 0);
		while (rnd(2)) {
			cat(buf, sz, rnd(2) ? " and " : " or ");
			gen_operand(buf, sz, depth - 1, 1);
		}
		cat(buf, sz, ")");
		return;
	}
	if (r < 6) {
		cat(buf, sz, rnd(3) == 0 ? "tcp" : rnd(2) ? "udp" : "ip");
		return;
	}
	r = (int)rnd(ARRAY_SIZE(heads));
	cat(buf, sz, heads[r]);
	if (strstr(heads[r], "port"))
		snprintf(tmp, sizeof(tmp), " %u", ports[rnd(3)]);
	else
		snprintf(tmp, sizeof(tmp), " 10.0.0.%u", 1 + rnd(3));
	cat(buf, sz, tmp);
	if (rnd(4) == 0) {
		/* an id list */
		snprintf(tmp, sizeof(tmp), strstr(heads[r], "port") ? " or %u)" : " or 10.0.0.%u)",
			 strstr(heads[r], "port") ? ports[rnd(3)] : 1 + rnd(3));
		memmove(strrchr(buf, ' ') + 2, strrchr(buf, ' ') + 1, strlen(strrchr(buf, ' ')));
		strrchr(buf, ' ')[1] = '(';
		cat(buf, sz, tmp);
	}
}

START_TEST(test_bool_vs_libpcap)
{
	int cases = 0, both_refused = 0, decisions = 0, equal = 0, i;

	seed(0xb001);
	for (i = 0; i < 800; i++) {
		char expr[1024] = "", msg[256];
		struct bpf_program prog;
		struct sniff_error err;
		struct arena a;
		struct node *n;
		int ours, theirs, k;

		gen_operand(expr, sizeof(expr), 2, 0);
		for (k = (int)rnd(4); k >= 0; k--) {
			cat(expr, sizeof(expr), rnd(2) ? " and " : rnd(2) ? " or " : " || ");
			gen_operand(expr, sizeof(expr), 2, 1);
		}
		cases++;
		if (i < 4)
			printf("bool example: %s\n", expr);
		ours = parse(expr, &a, &n, &err) == 0;
		theirs = pcap_accepts(expr, 0, &prog, msg, sizeof(msg));
		ck_assert_msg(ours == theirs, "'%s': we %s, libpcap %s (%s%s)", expr,
			      ours ? "accept" : "refuse", theirs ? "accepts" : "refuses",
			      ours ? msg : err.msg, "");
		if (!ours) {
			both_refused++;
			arena_free(&a);
			continue;
		}
		for (k = 0; k < 54; k++) {
			struct pkt_fields f = {
				.src = hosts[k % 3], .dst = hosts[(k / 3) % 3],
				.sport = ports[(k / 9) % 3], .dport = ports[(k / 27) % 3 + 0 * k],
				.proto = k % 2 ? 6 : 17,
			};
			uint8_t pkt[64];
			size_t len;
			int want;

			f.dport = ports[(k / 18) % 3];
			build_pkt(&f, pkt, &len);
			want = bpf_filter(prog.bf_insns, pkt, (u_int)len, (u_int)len) != 0;
			decisions++;
			if (eval_bool(n, &f) == want)
				equal++;
			else
				ck_abort_msg("'%s' decides differently from libpcap on packet %d "
					     "(libpcap %d)", expr, k, want);
		}
		pcap_freecode(&prog);
		arena_free(&a);
	}
	printf("parse summary: and/or/not/inheritance vs libpcap: %d expressions (%d refused "
	       "by both), %d packet decisions, %d equal\n", cases, both_refused, decisions,
	       equal);
	ck_assert_int_eq(equal, decisions);
	ck_assert_int_gt(cases - both_refused, 350);
}
END_TEST

/* ---- libpcap as oracle for the scanner and grammar: random near-valid
 * filters (templates joined and then mutated) and random character soup.
 * What libpcap 1.10 compiles we must parse; what its scanner or grammar
 * refuses we must refuse. (A gencode error says nothing about the rest of the
 * text, so those cases are not compared.) */

static const char *const fuzz_vocab[] = {
	"host", "src", "dst", "port", "net", "tcp", "udp", "ip", "ip6", "arp", "ether", "and",
	"or", "not", "!", "(", ")", "[", "]", ":", "+", "-", "*", "/", "%", "&", "|", "^", "<<",
	">>", "<", ">", "=", "==", "!=", "<=", ">=", "len", "proto", "broadcast", "multicast",
	"less", "greater", "byte", "vlan", "mpls", "gateway", "mask", "portrange", "1.2.3.4",
	"10.0.0.0", "8", "fe80::1", "0:1:2:3:4:5", "80", "0x10", "6000-6010", "icmp-echo",
	"tcpflags", "\\tcp", "icmp", "2", "&&", "||", "pppoes", "pppoed", "protochain",
	"inbound", "outbound", "llc", "icmp6", "sctp", "rarp", "link", "length", "$1f", "0",
};

static const char *const fuzz_templates[] = {
	"host 10.0.0.1", "src port 80", "tcp", "udp dst port 53", "net 10.0.0.0/8",
	"net 10.0.0.0 mask 255.255.0.0", "ip6 host fe80::1", "ether src 0:1:2:3:4:5",
	"len > 100", "ip[0] & 0xf = 5", "vlan", "vlan 100", "less 10", "byte 1 = 2",
	"ip proto 6", "ether multicast", "tcp[tcpflags] & tcp-syn != 0", "portrange 6000-6010",
	"10.0.0.2", "80", "icmp[0] = icmp-echo", "pppoes 3", "mpls", "ip protochain 6",
	"inbound", "(5) + 1 > 2", "-1 < len", "llc", "proto \\tcp", "src or dst host 1.2.3.4",
	"port (80 or 443)", "ip6 net fe80::/10", "1 % 3 ^ 2 = len",
};

static void fuzz_expr(char *buf, size_t sz)
{
	const char *toks[64];
	int n = 0, i, m;

	buf[0] = '\0';
	if (rnd(5) == 0) {
		/* character soup after a qualifier */
		static const char alpha[] = "0123456789abcdefABCDEFx:.-_$\\/ gz";
		/* no host or net names: libpcap would ask DNS about them */
		static const char *const pre[] = { "ether host ", "ether src ", "port ",
						   "proto ", "len > ", "ether[", "" };
		size_t len;

		cat(buf, sz, pre[rnd(ARRAY_SIZE(pre))]);
		len = strlen(buf);
		for (i = (int)rnd(16) + 1; i > 0 && len + 1 < sz; i--)
			buf[len++] = alpha[rnd(sizeof(alpha) - 1)];
		buf[len] = '\0';
		return;
	}
	do {
		if (n)
			toks[n++] = rnd(2) ? "and" : "or";
		if (rnd(4) == 0)
			toks[n++] = "not";
		toks[n++] = fuzz_templates[rnd(ARRAY_SIZE(fuzz_templates))];
	} while (n < 40 && rnd(3));
	for (m = (int)rnd(3); m > 0; m--) {
		int at = (int)rnd((uint32_t)n + 1);

		if (rnd(2) && n > 1) {
			memmove(&toks[at ? at - 1 : 0], &toks[at ? at : 1],
				(size_t)(n - (at ? at : 1)) * sizeof(toks[0]));
			n--;
		} else if (n < 63) {
			memmove(&toks[at + 1], &toks[at], (size_t)(n - at) * sizeof(toks[0]));
			toks[at] = fuzz_vocab[rnd(ARRAY_SIZE(fuzz_vocab))];
			n++;
		}
	}
	for (i = 0; i < n; i++) {
		if (i)
			cat(buf, sz, " ");
		cat(buf, sz, toks[i]);
	}
}

static int pcap_parse_level_error(const char *msg)
{
	return strstr(msg, "syntax error") || strstr(msg, "bogus") ||
	       strstr(msg, "overflows") || strstr(msg, "non-octal");
}

START_TEST(test_fuzz_vs_libpcap)
{
	int cases = 0, accepted = 0, refused = 0, skipped = 0, i;

	seed(0xf022);
	for (i = 0; i < 6000; i++) {
		char expr[1024], msg[512];
		struct sniff_error err;
		struct arena a;
		struct node *n;
		int ours, theirs;

		fuzz_expr(expr, sizeof(expr));
		ours = parse(expr, &a, &n, &err) == 0;
		arena_free(&a);
		theirs = pcap_accepts(expr, 0, NULL, msg, sizeof(msg));
		if (!theirs && !pcap_parse_level_error(msg)) {
			skipped++;
			continue;
		}
		cases++;
		if (theirs) {
			accepted++;
			ck_assert_msg(ours, "libpcap compiles '%s' but we refuse it: %s (column %d)",
				      expr, err.msg, err.column);
		} else {
			refused++;
			ck_assert_msg(!ours, "libpcap refuses '%s' (%s) but we parse it", expr, msg);
		}
	}
	printf("parse summary: fuzz vs libpcap: %d compared (%d compiled, %d refused by its "
	       "scanner/grammar), %d skipped (gencode errors)\n", cases, accepted, refused,
	       skipped);
	ck_assert_int_gt(accepted, 500);
	ck_assert_int_gt(refused, 500);
}
END_TEST

/* ---- the scanner: flex's longest match, earliest rule on ties (scanner.l) */

struct tok_case {
	const char *text;
	const char *want; /* kinds, one letter each: see tok_letter() */
};

static char tok_letter(enum tok_kind k)
{
	switch (k) {
	case TK_NUM: return 'N';
	case TK_ID: return 'I';
	case TK_HID: return '4';
	case TK_HID6: return '6';
	case TK_EID: return 'E';
	case TK_AID: return 'A';
	case TK_PNAME: return 'P';
	case TK_AND: return '&';
	case TK_OR: return '|';
	case TK_NOT: return '!';
	case TK_MINUS: return '-';
	case TK_AMP: return 'a';
	case TK_COLON: return ':';
	case TK_SLASH: return '/';
	case TK_LEN: return 'L';
	case TK_HOST: return 'H';
	case TK_EQ: return '=';
	case TK_NE: return 'n';
	case TK_LSH: return '<';
	default: return '?';
	}
}

static const struct tok_case tok_cases[] = {
	{ "host hostx", "HI" },
	{ "1.2.3.4 1.2.3 1.2 1.2.3.4.5", "444I" },   /* 5 parts: only the name rule fits */
	{ "1.2.", "I" },                             /* a name may end with '.' */
	{ "001122334455 0011.2233.4455 1.2.3.4.5.6", "EEE" },
	{ "0:1:2:3:4:5 aa-bb-cc-dd-ee-ff", "EE" },
	{ "0011223344556", "N" },                    /* 13 digits: a (big) number */
	{ "20-30 a-b tcp-syn icmp-echox", "IINI" },
	{ "a- tcp-", "I-P-" },
	{ "0x1f 0xg 010", "NIN" },
	{ "$1f $abc", "AAI" },
	{ ":: ::1 fe80::1 1::2.3.4.5 ::ffff:1.2.3.4 1:2:3:4:5:6:7:8", "666666" },
	{ "\\tcp \\1.2.3.4", "II" },
	{ "es-is is-is ip6 ether", "PPPP" },
	{ "&&& || ! not and or", "&a|!!&|" },
	{ "len length = == != <<", "LL==n<" },
	{ "fe80::1/64", "6/N" },
};

START_TEST(test_tokens)
{
	const struct tok_case *t = &tok_cases[_i];
	struct sniff_error err;
	struct arena a = { 0 };
	struct token *tok;
	char got[64];
	int n = 0;

	ck_assert_msg(filter_tokenize(t->text, &a, &tok, &err) == 0, "'%s': %s", t->text,
		      err.msg);
	for (; tok->kind != TK_EOF && n < 63; tok = tok->next)
		got[n++] = tok_letter(tok->kind);
	got[n] = '\0';
	ck_assert_msg(strcmp(got, t->want) == 0, "'%s': tokens %s, want %s", t->text, got,
		      t->want);
	arena_free(&a);
}
END_TEST

START_TEST(test_token_values)
{
	struct sniff_error err;
	struct arena a = { 0 };
	struct token *t;

	ck_assert_int_eq(filter_tokenize("0x1F 017 4294967295 tcp-push icmp6-echoreply "
					 "tcpflags \\ip  $0a", &a, &t, &err), 0);
	ck_assert_uint_eq(t->num, 31);
	ck_assert_uint_eq(t->next->num, 15);
	ck_assert_uint_eq(t->next->next->num, 4294967295u);
	t = t->next->next->next;
	ck_assert_uint_eq(t->num, 8);
	ck_assert_uint_eq(t->next->num, 129);
	ck_assert_uint_eq(t->next->next->num, 13);
	t = t->next->next->next;
	ck_assert_int_eq(t->kind, TK_ID);
	ck_assert_str_eq(t->s, "ip");
	ck_assert_int_eq(t->pos, 54);
	ck_assert_int_eq(t->len, 3);
	ck_assert_str_eq(t->next->s, "$0a");
	ck_assert_int_eq(t->next->next->kind, TK_EOF);
	/* the end points at the last token, which is what lacks a continuation */
	ck_assert_int_eq(t->next->next->pos, 59);
	arena_free(&a);
}
END_TEST

/* ---- node spans: the generator points its errors at node->pos/len */

START_TEST(test_spans)
{
	static const char expr[] = "tcp port 80 or 443 and not host (10.0.0.1 or fe80::1)";
	struct sniff_error err;
	struct arena a;
	struct node *n, *p80, *p443, *list;

	ck_assert_int_eq(parse(expr, &a, &n, &err), 0);
	/* ((tcp port 80 or 443) and (not (host (a or b)))) */
	ck_assert_int_eq(n->kind, ND_AND);
	p80 = n->lhs->lhs;
	p443 = n->lhs->rhs;
	ck_assert_int_eq(p80->pos, 0);
	ck_assert_int_eq(p80->len, 11);           /* "tcp port 80" */
	ck_assert_int_eq(p80->id.pos, 9);
	ck_assert_int_eq(p80->id.len, 2);         /* "80" */
	ck_assert_int_eq(p443->pos, 15);
	ck_assert_int_eq(p443->len, 3);           /* "443": its qualifiers are inherited */
	ck_assert_int_eq(n->rhs->kind, ND_NOT);
	ck_assert_int_eq(n->rhs->pos, 23);
	ck_assert_int_eq(n->rhs->pos + n->rhs->len, (int)strlen(expr));
	list = n->rhs->lhs;
	ck_assert_int_eq(list->kind, ND_OR);
	ck_assert_int_eq(list->lhs->pos, 33);     /* "10.0.0.1" */
	ck_assert_int_eq(list->lhs->len, 8);
	ck_assert_int_eq(list->rhs->id.pos, 45);  /* "fe80::1" */
	ck_assert_int_eq(list->rhs->id.len, 7);
	ck_assert_int_eq(n->pos, 0);
	ck_assert_int_eq(n->len, (int)strlen(expr));
	arena_free(&a);
}
END_TEST

/* Deep nesting: what libpcap takes at depth 100 we take; far deeper input
 * fails with a message instead of exhausting the stack. */
START_TEST(test_nesting)
{
	/* prefix once, then OPEN depth times, the middle, CLOSE depth times */
	static const char *const shapes[][4] = {
		{ "", "(", "tcp", ")" }, { "", "not ", "tcp", "" }, { "", "! ", "tcp", "" },
		{ "host 1.2.3.4 and ", "(1.2.3.5 or ", "1.2.3.6", ")" },
		{ "host 1.2.3.4 and ", "not ", "1.2.3.5", "" },
		{ "len = ", "-", "1", "" }, { "len = ", "(", "1", ")" },
		{ "len = ", "1 % ", "1", "" }, { "len = ", "ip[", "1", "]" },
		{ "vlan ", "(", "1", ")" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(shapes); i++) {
		int depths[] = { 100, 20000 }, d, k;

		for (d = 0; d < 2; d++) {
			size_t l1 = strlen(shapes[i][1]), l3 = strlen(shapes[i][3]);
			char *expr = malloc((size_t)depths[d] * (l1 + l3) + 64), *o = expr;
			struct sniff_error err;
			struct arena a;
			struct node *n;
			int rc;

			o += sprintf(o, "%s", shapes[i][0]);
			for (k = 0; k < depths[d]; k++, o += l1)
				memcpy(o, shapes[i][1], l1);
			o += sprintf(o, "%s", shapes[i][2]);
			for (k = 0; k < depths[d]; k++, o += l3)
				memcpy(o, shapes[i][3], l3);
			*o = '\0';
			rc = parse(expr, &a, &n, &err);
			arena_free(&a);
			if (d == 0) {
				/* (libpcap runs out of its 16 registers on a % chain) */
				ck_assert_msg(strchr(shapes[i][1], '%') ||
					      pcap_accepts(expr, 0, NULL, NULL, 0),
					      "libpcap refuses shape %zu at depth 100", i);
				ck_assert_msg(rc == 0, "shape %zu depth 100: %s", i, err.msg);
			} else if (strstr(shapes[i][0], "vlan")) {
				/* parenthesised numbers are read in a loop: any depth */
				ck_assert_msg(rc == 0, "shape %zu deep: %s", i, err.msg);
			} else {
				ck_assert_int_eq(rc, -EINVAL);
				ck_assert_msg(strstr(err.msg, "nests"), "shape %zu: %s", i, err.msg);
			}
			free(expr);
		}
	}
}
END_TEST

/* A long list stays a loop in the parser and in the printer: 100000 terms
 * give 99999 left-nested (or ...) and no stack overflow. */
START_TEST(test_long_chain)
{
	const int terms = 100000;
	char *expr = malloc((size_t)terms * 24), *o = expr, *ast;
	struct sniff_error err;
	struct arena a;
	struct node *n;
	int i, ors = 0;

	for (i = 0; i < terms; i++)
		o += sprintf(o, "%shost 10.%d.%d.%d", i ? " or " : "", i >> 16, (i >> 8) & 255,
			     i & 255);
	ck_assert_msg(parse(expr, &a, &n, &err) == 0, "%s", err.msg);
	ast = ast_string(n);
	for (o = ast; strncmp(o, "(or ", 4) == 0; o += 4)
		ors++;
	ck_assert_int_eq(ors, terms - 1);
	ck_assert(strncmp(o, "(prim - - host 10.0.0.0) (prim - - host 10.0.0.1))", 50) == 0);
	free(ast);
	free(expr);
	arena_free(&a);
}
END_TEST

static Suite *parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("table");

	tcase_add_loop_test(tc, test_ast_table, 0, ARRAY_SIZE(ast_cases));
	tcase_add_test(tc, test_ast_table_libpcap);
	tcase_add_loop_test(tc, test_err_table, 0, ARRAY_SIZE(err_cases));
	tcase_add_test(tc, test_error_print);
	tcase_add_test(tc, test_spans);
	tcase_add_loop_test(tc, test_tokens, 0, ARRAY_SIZE(tok_cases));
	tcase_add_test(tc, test_token_values);
	tcase_add_test(tc, test_nesting);
	tcase_add_test(tc, test_long_chain);
	suite_add_tcase(s, tc);

	tc = tcase_create("libpcap");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_arith_vs_libpcap);
	tcase_add_test(tc, test_bool_vs_libpcap);
	tcase_add_test(tc, test_fuzz_vs_libpcap);
	suite_add_tcase(s, tc);

	tc = tcase_create("corpus");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_corpus_accept);
	tcase_add_test(tc, test_corpus_apply);
	tcase_add_test(tc, test_corpus_reject);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(parse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	printf("parse summary: %d checks, %d failed\n", srunner_ntests_run(sr), failed);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
