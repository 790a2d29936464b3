/* test_lib.c - the non-live parts of lib/, held to libpcap: link-type names,
 * error texts, reading pcap files (every corpus capture, packet by packet),
 * offline filters, and writing pcap files that libpcap reads back. */
#include "config.h"
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <pcap/pcap.h>
#include "sniff.h"

static const char *corpus(void)
{
	const char *c = getenv("CORPUS");

	return c ? c : SRCDIR "/../shared/corpus";
}

/* ---- link types: names and descriptions as libpcap gives them */

START_TEST(test_linktype_vs_libpcap)
{
	int v, known = 0;

	for (v = 0; v < 1000; v++) {
		const char *pn = pcap_datalink_val_to_name(v);
		const char *pd = pcap_datalink_val_to_description(v);

		if (!pn) {
			/* newer than this libpcap: ours may know it, but then by a name
			 * that maps back to the value */
			const char *n = sniff_linktype_name(v);

			if (n)
				ck_assert_int_eq(sniff_linktype_from_name(n), v);
			continue;
		}
		known++;
		ck_assert_msg(sniff_linktype_name(v) && strcmp(sniff_linktype_name(v), pn) == 0,
			      "DLT %d: name %s, libpcap %s", v, sniff_linktype_name(v), pn);
		ck_assert_msg(sniff_linktype_description(v) &&
			      strcmp(sniff_linktype_description(v), pd) == 0,
			      "DLT %d: description '%s', libpcap '%s'", v,
			      sniff_linktype_description(v), pd);
		ck_assert_int_eq(sniff_linktype_from_name(pn), pcap_datalink_name_to_val(pn));
	}
	ck_assert_int_gt(known, 100);
	ck_assert_int_eq(sniff_linktype_from_name("en10mb"), pcap_datalink_name_to_val("en10mb"));
	ck_assert_int_eq(sniff_linktype_from_name("nosuch"), pcap_datalink_name_to_val("nosuch"));
	ck_assert_ptr_null(sniff_linktype_name(-5));
}
END_TEST

/* Every link-type name the filter corpus uses is known (the compiler relies
 * on it to say "not supported for this link type" rather than "unknown"). */
START_TEST(test_linktype_corpus_names)
{
	char path[512], line[1 << 16];
	FILE *f;
	int checked = 0;

	snprintf(path, sizeof(path), "%s/filters/accept.jsonl", corpus());
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "\"dlt\": \""), *e;

		if (!p)
			p = strstr(line, "\"dlt\":\"");
		if (!p)
			continue;
		p = strchr(p + 5, '"') + 1;
		e = strchr(p, '"');
		ck_assert_ptr_nonnull(e);
		*e = 0;
		ck_assert_msg(sniff_linktype_from_name(p) >= 0, "unknown link type %s", p);
		checked++;
	}
	fclose(f);
	ck_assert_int_gt(checked, 1000);
}
END_TEST

/* ---- errors */

START_TEST(test_strerror)
{
	int e;

	for (e = 1; e < 134; e++) {
		ck_assert_str_eq(sniff_strerror(-e), strerror(e));
		ck_assert_str_eq(sniff_strerror(e), strerror(e));
	}
	ck_assert_ptr_nonnull(sniff_strerror(-99999));
	ck_assert_ptr_nonnull(strstr(sniff_strerror(-99999), "99999"));
}
END_TEST

static char logged[512];
static int log_level = -1;
static void keep_log(enum sniff_log_level lvl, const char *msg, void *ctx)
{
	ck_assert_ptr_eq(ctx, (void *)logged);
	log_level = (int)lvl;
	snprintf(logged, sizeof(logged), "%s", msg);
}

START_TEST(test_log_path)
{
	char eb[256];
	int fds[2], status;
	pid_t pid;
	ssize_t n;
	char buf[512] = "";

	/* Our callback gets the message and its context. */
	sniff_set_log(keep_log, logged);
	ck_assert_ptr_null(sniff_capture__open_offline("/nonexistent/x.pcap", eb, sizeof(eb)));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(log_level, SNIFF_LOG_ERROR);
	ck_assert_ptr_nonnull(strstr(logged, "/nonexistent/x.pcap"));
	ck_assert_ptr_nonnull(strstr(eb, "/nonexistent/x.pcap"));

	/* The default path writes errors to stderr. */
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 2);
		sniff_set_log(NULL, NULL);
		sniff_capture__open_offline("/nonexistent/y.pcap", NULL, 0);
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	waitpid(pid, &status, 0);
	close(fds[0]);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(strstr(buf, "/nonexistent/y.pcap"));
	ck_assert_str_eq(sniff_version(), "0.1.0");
}
END_TEST

/* ---- offline: every corpus capture, packet by packet, as libpcap reads it */

struct cmp {
	pcap_t *ref;
	long n;
	int bad;
	char why[256];
};

static void cmp_cb(void *user, const struct sniff_pkthdr *h, const uint8_t *data)
{
	struct cmp *c = user;
	struct pcap_pkthdr *ph;
	const u_char *d;

	if (c->bad)
		return;
	if (pcap_next_ex(c->ref, &ph, &d) != 1) {
		c->bad = 1;
		snprintf(c->why, sizeof(c->why), "packet %ld: libpcap has no more", c->n);
		return;
	}
	if (h->ts_ns != (uint64_t)ph->ts.tv_sec * 1000000000u + (uint64_t)ph->ts.tv_usec ||
	    h->caplen != ph->caplen || h->len != ph->len || memcmp(data, d, h->caplen)) {
		c->bad = 1;
		snprintf(c->why, sizeof(c->why), "packet %ld differs (caplen %u/%u len %u/%u)",
			 c->n, h->caplen, ph->caplen, h->len, ph->len);
	}
	c->n++;
}

static int is_capture(const char *name)
{
	size_t l = strlen(name);

	return (l > 5 && strcmp(name + l - 5, ".pcap") == 0) ||
	       (l > 7 && strcmp(name + l - 7, ".pcapng") == 0);
}

static void compare_file(const char *path, long *files, long *pkts)
{
	char eb[PCAP_ERRBUF_SIZE], ours[256];
	struct cmp c = { 0 };
	struct sniff_capture *cap;
	struct pcap_pkthdr *ph;
	const u_char *d;
	long r;

	c.ref = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
	cap = sniff_capture__open_offline(path, ours, sizeof(ours));
	if (!c.ref) {
		ck_assert_msg(cap == NULL, "%s: libpcap refuses it (%s), we open it", path, eb);
		return;
	}
	ck_assert_msg(cap != NULL, "%s: %s", path, ours);
	ck_assert_int_eq(sniff_capture__linktype(cap), pcap_datalink(c.ref));
	ck_assert_uint_eq(sniff_capture__snaplen(cap), (uint32_t)pcap_snapshot(c.ref));
	r = sniff_capture__loop(cap, -1, cmp_cb, &c);
	if (r < 0) {
		/* a damaged file: libpcap must fail at the same packet */
		ck_assert_msg(!c.bad, "%s: %s", path, c.why);
		ck_assert_msg(pcap_next_ex(c.ref, &ph, &d) == PCAP_ERROR,
			      "%s: we failed after %ld packets, libpcap did not", path, c.n);
	} else {
		ck_assert_msg(!c.bad, "%s: %s", path, c.why);
		ck_assert_msg(pcap_next_ex(c.ref, &ph, &d) == PCAP_ERROR_BREAK,
			      "%s: we stopped after %ld packets, libpcap has more", path, c.n);
		ck_assert_int_eq(r, c.n);
	}
	sniff_capture__close(cap);
	pcap_close(c.ref);
	(*files)++;
	*pkts += c.n;
}

static void compare_dir(const char *dir, long *files, long *pkts)
{
	char path[1024];
	struct dirent *e;
	DIR *dp = opendir(dir);

	ck_assert_msg(dp != NULL, "%s: %s", dir, strerror(errno));
	while ((e = readdir(dp))) {
		if (!is_capture(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		compare_file(path, files, pkts);
	}
	closedir(dp);
}

START_TEST(test_offline_corpus)
{
	char dir[512];
	long files = 0, pkts = 0;

	sniff_set_log(keep_log, logged); /* damaged files are expected: keep quiet */
	snprintf(dir, sizeof(dir), "%s/filters/captures", corpus());
	compare_dir(dir, &files, &pkts);
	snprintf(dir, sizeof(dir), "%s/print", corpus());
	compare_dir(dir, &files, &pkts);
	fprintf(stderr, "offline: %ld files, %ld packets identical to libpcap's reading\n",
		files, pkts);
	ck_assert_int_gt(files, 100);
}
END_TEST

/* ---- offline filters (our interpreter) against pcap_offline_filter */

struct count {
	long n;
	const struct bpf_program *fp;
	int mismatch;
};

static void count_cb(void *user, const struct sniff_pkthdr *h, const uint8_t *data)
{
	((struct count *)user)->n++;
	(void)h;
	(void)data;
}

START_TEST(test_offline_filter)
{
	static const char *const exprs[] = {
		"tcp", "udp port 53", "ip6", "arp or icmp", "not ip", "greater 200",
		"tcp[tcpflags] & tcp-syn != 0", "vlan", "ether broadcast",
	};
	char dir[512], path[1024], eb[PCAP_ERRBUF_SIZE];
	struct dirent *e;
	DIR *dp;
	long checked = 0;
	size_t i;

	snprintf(dir, sizeof(dir), "%s/print", corpus());
	dp = opendir(dir);
	ck_assert_ptr_nonnull(dp);
	sniff_set_log(keep_log, logged);
	while ((e = readdir(dp)) && checked < 2000) {
		pcap_t *ref;

		if (!is_capture(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ref = pcap_open_offline(path, eb);
		if (!ref || pcap_datalink(ref) != DLT_EN10MB) {
			if (ref)
				pcap_close(ref);
			continue;
		}
		for (i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
			struct bpf_program fp;
			struct sniff_prog prog;
			struct sniff_capture *cap;
			struct pcap_pkthdr *ph;
			const u_char *d;
			struct count c = { 0 };
			long want = 0, r;
			pcap_t *p = pcap_open_offline(path, eb);

			ck_assert_int_eq(pcap_compile(p, &fp, exprs[i], 1, PCAP_NETMASK_UNKNOWN), 0);
			while (pcap_next_ex(p, &ph, &d) == 1)
				want += pcap_offline_filter(&fp, ph, d) != 0;
			cap = sniff_capture__open_offline(path, NULL, 0);
			ck_assert_ptr_nonnull(cap);
			prog.len = fp.bf_len;
			prog.insns = (struct sniff_insn *)(void *)fp.bf_insns;
			ck_assert_int_eq(sniff_capture__set_prog(cap, &prog, NULL, 0), 0);
			r = sniff_capture__loop(cap, -1, count_cb, &c);
			if (r >= 0) /* damaged files: compare what both read */
				ck_assert_msg(c.n == want, "%s '%s': %ld packets, libpcap %ld",
					      e->d_name, exprs[i], c.n, want);
			sniff_capture__close(cap);
			pcap_freecode(&fp);
			pcap_close(p);
			checked++;
		}
		pcap_close(ref);
	}
	closedir(dp);
	ck_assert_int_gt(checked, 100);
}
END_TEST

/* ---- dumper: libpcap reads back exactly what we wrote */

static void write_and_check(int nano, int buffered)
{
	char path[256], eb[PCAP_ERRBUF_SIZE];
	struct sniff_dumper *d;
	pcap_t *p;
	struct pcap_pkthdr *ph;
	const u_char *data;
	uint8_t pkt[1500];
	int i, n = 500;

	snprintf(path, sizeof(path), "/tmp/sniff-test-lib-%d.pcap", (int)getpid());
	d = sniff_dumper__open(path, SNIFF_DLT_EN10MB, 1500, nano, eb, sizeof(eb));
	ck_assert_msg(d != NULL, "%s", eb);
	if (buffered)
		ck_assert_int_eq(sniff_dumper__set_packet_buffered(d, 1), 0);
	for (i = 0; i < n; i++) {
		struct sniff_pkthdr h = {
			.ts_ns = 1700000000ull * 1000000000u + (uint64_t)i * 123456789u,
			.caplen = (uint32_t)(60 + i * 3 % 1400),
			.len = (uint32_t)(60 + i * 3 % 1400 + i % 2),
		};

		memset(pkt, i, sizeof(pkt));
		ck_assert_int_eq(sniff_dumper__write(d, &h, pkt), 0);
	}
	ck_assert_int_eq(sniff_dumper__close(d), 0);

	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
	ck_assert_msg(p != NULL, "%s", eb);
	ck_assert_int_eq(pcap_datalink(p), DLT_EN10MB);
	ck_assert_int_eq(pcap_snapshot(p), 1500);
	for (i = 0; i < n; i++) {
		uint64_t ts = 1700000000ull * 1000000000u + (uint64_t)i * 123456789u;

		ck_assert_int_eq(pcap_next_ex(p, &ph, &data), 1);
		if (!nano)
			ts -= ts % 1000;
		ck_assert_uint_eq((uint64_t)ph->ts.tv_sec * 1000000000u + (uint64_t)ph->ts.tv_usec, ts);
		ck_assert_uint_eq(ph->caplen, (uint32_t)(60 + i * 3 % 1400));
		ck_assert_uint_eq(ph->len, (uint32_t)(60 + i * 3 % 1400 + i % 2));
		ck_assert_uint_eq(data[0], (uint8_t)i);
		ck_assert_uint_eq(data[ph->caplen - 1], (uint8_t)i);
	}
	ck_assert_int_eq(pcap_next_ex(p, &ph, &data), PCAP_ERROR_BREAK);
	pcap_close(p);
	unlink(path);
}

START_TEST(test_dumper_roundtrip)
{
	write_and_check(0, 0);
	write_and_check(1, 0);
	write_and_check(1, 1);
}
END_TEST

/* A writer that dies without flushing (crash, _exit) leaves a file that
 * libpcap reads to its last packet: only whole records ever reach the file. */
static void die_after(int k, int *got)
{
	char path[256], eb[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *ph;
	const u_char *data;
	int status, r, n = 0;
	pcap_t *p;
	pid_t pid;

	snprintf(path, sizeof(path), "/tmp/sniff-test-die-%d.pcap", (int)getpid());
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct sniff_dumper *d = sniff_dumper__open(path, SNIFF_DLT_EN10MB, 65535, 0,
							    NULL, 0);
		static uint8_t pkt[9000];
		int i;

		memset(pkt, 0xab, sizeof(pkt));
		for (i = 0; d && i < k; i++) {
			struct sniff_pkthdr h = { .ts_ns = (uint64_t)i,
						  .caplen = 64 + ((uint32_t)i * 7919) % 8900 };

			h.len = h.caplen;
			if (sniff_dumper__write(d, &h, pkt) < 0)
				_exit(1);
		}
		_exit(d ? 0 : 1); /* no flush, no close */
	}
	waitpid(pid, &status, 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	p = pcap_open_offline(path, eb);
	ck_assert_msg(p != NULL, "%s", eb);
	while ((r = pcap_next_ex(p, &ph, &data)) == 1) {
		ck_assert_uint_eq(ph->caplen, 64 + ((uint32_t)n * 7919) % 8900);
		n++;
	}
	ck_assert_msg(r == PCAP_ERROR_BREAK, "after %d packets: %s", n, pcap_geterr(p));
	ck_assert_int_le(n, k);
	pcap_close(p);
	unlink(path);
	*got = n;
}

START_TEST(test_dumper_dies)
{
	static const int ks[] = { 0, 1, 57, 113, 1000, 4321 };
	int i, n, most = 0;

	for (i = 0; i < (int)(sizeof(ks) / sizeof(ks[0])); i++) {
		die_after(ks[i], &n);
		if (n > most)
			most = n;
	}
	ck_assert_int_gt(most, 100); /* full buffers did reach the file */
}
END_TEST

/* ---- "-": a dumper writes standard output, a reader reads standard input */

static void count_and_check(void *user, const struct sniff_pkthdr *h, const uint8_t *data)
{
	long *n = user;

	ck_assert_uint_eq(h->caplen, 60 + (uint32_t)*n);
	ck_assert_uint_eq(data[0], (uint8_t)*n);
	(*n)++;
}

START_TEST(test_stdio)
{
	char path[256], eb[256];
	struct sniff_capture *cap;
	long n = 0;
	int status, fd;
	pid_t pid;

	snprintf(path, sizeof(path), "/tmp/sniff-test-stdio-%d.pcap", (int)getpid());
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct sniff_dumper *d;
		uint8_t pkt[200];
		int i;

		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(1);
		d = sniff_dumper__open("-", SNIFF_DLT_EN10MB, 262144, 1, NULL, 0);
		for (i = 0; d && i < 100; i++) {
			struct sniff_pkthdr h = { .ts_ns = (uint64_t)i, .caplen = 60 + (uint32_t)i,
						  .len = 60 + (uint32_t)i };

			memset(pkt, i, sizeof(pkt));
			if (sniff_dumper__write(d, &h, pkt))
				_exit(1);
		}
		/* written packet by packet: all there even without a close */
		_exit(d ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fd, 0);
		cap = sniff_capture__open_offline("-", eb, sizeof(eb));
		if (!cap || sniff_capture__loop(cap, -1, count_and_check, &n) != 100 || n != 100)
			_exit(1);
		sniff_capture__close(cap);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	close(fd);
	unlink(path);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reading stdin failed");
}
END_TEST

static Suite *lib_suite(void)
{
	Suite *s = suite_create("lib");
	TCase *tc = tcase_create("lib");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_linktype_vs_libpcap);
	tcase_add_test(tc, test_linktype_corpus_names);
	tcase_add_test(tc, test_strerror);
	tcase_add_test(tc, test_log_path);
	tcase_add_test(tc, test_offline_corpus);
	tcase_add_test(tc, test_offline_filter);
	tcase_add_test(tc, test_dumper_roundtrip);
	tcase_add_test(tc, test_dumper_dies);
	tcase_add_test(tc, test_stdio);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lib_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
