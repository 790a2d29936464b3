/* test_capture.c - live capture, held to the kernel and to libpcap.
 *
 * Everything runs in a private namespace ("sniff-test-<pid>-<n>") with a veth
 * pair: tests/framegen sends a known mix out of veth0 and writes the same
 * frames to a pcap file; libpcap (pcap_compile + pcap_offline_filter on those
 * frames) says which ones a filter must deliver on veth1, and the kernel's
 * counters must agree with what we delivered. Needs root: without it every
 * test says SKIP on stderr, and fails when CI=true.
 */
#include "config.h"
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <dirent.h>
#include <dlfcn.h>
#include <linux/capability.h>
#include <linux/if_tun.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include "sniff.h"
#include "lib/lib.h"
#include "netns.h"
#include "testutil.h"

static struct netns ns = { .fd = -1 };
static int ns_ok;

/* Root and a namespace, or a visible skip (a failure under CI=true). */
#define NEED_NS()                                                                    \
	do {                                                                         \
		if (!ns_ok) {                                                        \
			if (test_ci_mode())                                                    \
				ck_abort_msg("%s needs root and a netns (CI=true: a skip is a failure)", \
					     __func__);                              \
			fprintf(stderr, "SKIP %s: needs root (network namespaces)\n", __func__); \
			return;                                                      \
		}                                                                    \
		ck_assert_int_eq(netns_enter(&ns), 0);                               \
	} while (0)

static void ns_setup(void)
{
	if (geteuid() != 0)
		return;
	ns_ok = netns_create(&ns) == 0;
	if (!ns_ok)
		fprintf(stderr, "test_capture: cannot create a network namespace\n");
}

static void ns_teardown(void)
{
	if (ns_ok)
		netns_delete(&ns);
	ns_ok = 0;
}

/* ---- packets: what libpcap expects and what we got */

struct pkt {
	struct sniff_pkthdr h;
	uint8_t *data;
};

struct pkts {
	struct pkt *v;
	size_t n, cap;
};

static void pkts_add(struct pkts *p, const struct sniff_pkthdr *h, const uint8_t *data)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
		ck_assert_ptr_nonnull(p->v);
	}
	p->v[p->n].h = *h;
	p->v[p->n].data = malloc(h->caplen ? h->caplen : 1);
	ck_assert_ptr_nonnull(p->v[p->n].data);
	memcpy(p->v[p->n].data, data, h->caplen);
	p->n++;
}

static void pkts_free(struct pkts *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i].data);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

static void collect(void *user, const struct sniff_pkthdr *h, const uint8_t *data)
{
	pkts_add(user, h, data);
}

/* Compile EXPR with libpcap (the oracle) for Ethernet. */
static void oracle_compile(const char *expr, struct bpf_program *fp)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, SNIFF_DEFAULT_SNAPLEN);

	ck_assert_ptr_nonnull(dead);
	ck_assert_msg(pcap_compile(dead, fp, expr, 1, PCAP_NETMASK_UNKNOWN) == 0,
		      "pcap_compile(%s): %s", expr, pcap_geterr(dead));
	pcap_close(dead);
}

/* The frames of FILE that libpcap's EXPR accepts, in order. */
static void oracle_frames(const char *file, const char *expr, struct pkts *out)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct bpf_program fp;
	struct pcap_pkthdr *ph;
	const u_char *d;
	pcap_t *p = pcap_open_offline(file, eb);

	ck_assert_msg(p != NULL, "%s: %s", file, eb);
	oracle_compile(expr, &fp);
	while (pcap_next_ex(p, &ph, &d) == 1) {
		struct sniff_pkthdr h = { .caplen = ph->caplen, .len = ph->len };

		if (pcap_offline_filter(&fp, ph, d))
			pkts_add(out, &h, d);
	}
	pcap_freecode(&fp);
	pcap_close(p);
	unlink(file); /* read once: a failing assertion later leaves nothing behind */
}

static void set_oracle_prog(struct sniff_capture *cap, const char *expr)
{
	struct bpf_program fp;
	struct sniff_prog prog;
	char log[512] = "";

	oracle_compile(expr, &fp);
	prog.len = fp.bf_len;
	prog.insns = (struct sniff_insn *)(void *)fp.bf_insns;
	ck_assert_msg(sniff_capture__set_prog(cap, &prog, log, sizeof(log)) == 0,
		      "set_prog(%s): %s", expr, log);
	pcap_freecode(&fp);
}

static void run_framegen(int n, int seed, const char *mix, const char *out, const char *ifname)
{
	char ns_[16], ss[16];
	char *argv[] = { BUILDDIR "/tests/framegen", "-i", (char *)ifname, "-n", ns_, "-s", ss,
			 "-m", (char *)mix, "-w", (char *)out, NULL };

	snprintf(ns_, sizeof(ns_), "%d", n);
	snprintf(ss, sizeof(ss), "%d", seed);
	ck_assert_int_eq(netns_exec(&ns, argv, NULL, 10000), 0);
}

static void tmpname(char *buf, size_t sz, const char *tag)
{
	snprintf(buf, sz, "/tmp/sniff-test-%d-%s.pcap", (int)getpid(), tag);
}

/* Breaks the loop after MS milliseconds from another thread, unless stopped
 * first; watchdog_stop says whether it fired. */
struct watchdog {
	pthread_t t;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sniff_capture *cap;
	int ms, stop, fired;
};

static void *watchdog_run(void *arg)
{
	struct watchdog *w = arg;
	struct timespec dl;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += w->ms / 1000;
	dl.tv_nsec += (long)(w->ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		if (pthread_cond_timedwait(&w->cv, &w->mu, &dl) == ETIMEDOUT) {
			w->fired = 1;
			sniff_capture__break(w->cap);
			break;
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void watchdog_start(struct watchdog *w, struct sniff_capture *cap, int ms)
{
	pthread_condattr_t ca;

	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	/* monotonic: test_clock_set_back moves the realtime clock */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	w->cap = cap;
	w->ms = ms;
	ck_assert_int_eq(pthread_create(&w->t, NULL, watchdog_run, w), 0);
}

static int watchdog_stop(struct watchdog *w)
{
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->t, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	return w->fired;
}

/* Deliver until the ring has been idle: a loop broken by a watchdog after MS. */
static long loop_until_idle(struct sniff_capture *cap, struct pkts *got, int ms)
{
	struct watchdog w;
	long r;

	watchdog_start(&w, cap, ms);
	r = sniff_capture__loop(cap, -1, collect, got);
	watchdog_stop(&w);
	ck_assert_msg(r >= 0, "loop: %ld", r);
	return r;
}

static void assert_same(const struct pkts *got, const struct pkts *want, const char *what)
{
	size_t i;

	ck_assert_msg(got->n == want->n, "%s: delivered %zu packets, libpcap expects %zu",
		      what, got->n, want->n);
	for (i = 0; i < got->n; i++) {
		ck_assert_msg(got->v[i].h.len == want->v[i].h.len,
			      "%s: packet %zu: len %u, sent %u", what, i, got->v[i].h.len,
			      want->v[i].h.len);
		ck_assert_msg(got->v[i].h.caplen == want->v[i].h.caplen,
			      "%s: packet %zu: caplen %u, sent %u", what, i,
			      got->v[i].h.caplen, want->v[i].h.caplen);
		ck_assert_msg(memcmp(got->v[i].data, want->v[i].data, got->v[i].h.caplen) == 0,
			      "%s: packet %zu: bytes differ from the frame sent", what, i);
	}
}

/* ---- the known mix through a filter, exactly */

static const char *const mix_filters[] = {
	"",
	"tcp",
	"udp port 53",
	"ip6",
	"arp or icmp",
	"host 10.1.0.3 or host 10.2.0.5",
	"tcp[tcpflags] & tcp-syn != 0",
	"not ip",
	"greater 200",
	"ether src 02:00:5e:10:01:02 and not tcp",
	"icmp6 or (udp and dst port 123)",
};

/* An active capture on veth1 with options O and, unless FILTER is NULL,
 * libpcap's program for FILTER. */
static struct sniff_capture *open_veth1(const struct sniff_capture_opts *o, const char *filter)
{
	struct sniff_capture *cap = sniff_capture__open("veth1", o);

	ck_assert_msg(cap != NULL, "open veth1: %s", strerror(errno));
	if (filter)
		set_oracle_prog(cap, filter);
	ck_assert_int_eq(sniff_capture__activate(cap), 0);
	return cap;
}

static void mix_case(int i, int classic)
{
	SNIFF_OPTS(sniff_capture_opts, o, .classic_bpf = classic);
	struct pkts got = { 0 }, want = { 0 };
	struct sniff_capture *cap;
	struct sniff_stats st;
	struct watchdog w;
	char file[128], what[160];
	long r;

	tmpname(file, sizeof(file), "mix");
	snprintf(what, sizeof(what), "filter '%s' (%s)", mix_filters[i], classic ? "classic" : "eBPF");
	cap = sniff_capture__open("veth1", &o);
	ck_assert_msg(cap != NULL, "open veth1: %s", strerror(errno));
	set_oracle_prog(cap, mix_filters[i][0] ? mix_filters[i] : "");
	if (!classic)
		ck_assert_msg(cap->prog_fd >= 0, "%s: the eBPF path was not used", what);
	ck_assert_int_eq(sniff_capture__activate(cap), 0);

	run_framegen(400, 1000 + i, "tcp4,udp4,icmp4,arp,tcp6,udp6,icmp6", file, "veth0");
	oracle_frames(file, mix_filters[i], &want);

	/* Small counts: the loop must resume inside a block. The frames are all
	 * sent already, so a watchdog firing means packets are missing. */
	while (got.n < want.n) {
		int fired;

		watchdog_start(&w, cap, 500);
		r = sniff_capture__loop(cap, want.n - got.n < 7 ? (long)(want.n - got.n) : 7,
					collect, &got);
		fired = watchdog_stop(&w);
		ck_assert_msg(r >= 0, "%s: loop: %ld", what, r);
		if (fired)
			break;
	}
	/* Nothing more may come. */
	loop_until_idle(cap, &got, 30);

	assert_same(&got, &want, what);
	ck_assert_int_eq(sniff_capture__stats(cap, &st), 0);
	ck_assert_msg(st.captured == want.n && st.received == want.n && st.dropped == 0,
		      "%s: captured %llu received %llu dropped %llu, expected %zu", what,
		      (unsigned long long)st.captured, (unsigned long long)st.received,
		      (unsigned long long)st.dropped, want.n);
	sniff_capture__close(cap);
	pkts_free(&got);
	pkts_free(&want);
}

START_TEST(test_mix_ebpf)
{
	NEED_NS();
	mix_case(_i, 0);
}
END_TEST

START_TEST(test_mix_classic)
{
	NEED_NS();
	mix_case(_i, 1);
}
END_TEST

/* The same through our own compiler (sniff_capture__set_filter). */
START_TEST(test_mix_set_filter)
{
	SNIFF_OPTS(sniff_capture_opts, o);
	struct pkts got = { 0 }, want = { 0 };
	struct sniff_capture *cap;
	struct sniff_error err;
	struct sniff_stats st;
	char file[128];
	int ret;

	NEED_NS();
	tmpname(file, sizeof(file), "setf");
	cap = sniff_capture__open("veth1", &o);
	ck_assert_ptr_nonnull(cap);
	ret = sniff_capture__set_filter(cap, mix_filters[_i], 1, &err);
	ck_assert_msg(ret == 0, "set_filter(%s): %s", mix_filters[_i], err.msg);
	ck_assert_int_eq(sniff_capture__activate(cap), 0);
	run_framegen(400, 2000 + _i, "tcp4,udp4,icmp4,arp,tcp6,udp6,icmp6", file, "veth0");
	oracle_frames(file, mix_filters[_i], &want);
	loop_until_idle(cap, &got, 50);
	assert_same(&got, &want, mix_filters[_i]);
	ck_assert_int_eq(sniff_capture__stats(cap, &st), 0);
	ck_assert_uint_eq(st.received, want.n);
	ck_assert_uint_eq(st.captured, want.n);
	ck_assert_uint_eq(st.dropped, 0);
	sniff_capture__close(cap);
	pkts_free(&got);
	pkts_free(&want);
}
END_TEST

/* ---- latency: one packet, seen within 10 ms of being sent */

struct lat {
	struct timespec seen;
	int n;
	struct sniff_capture *brk;   /* break this loop at the first packet */
};

static void lat_cb(void *user, const struct sniff_pkthdr *h, const uint8_t *data)
{
	struct lat *l = user;

	(void)h;
	(void)data;
	clock_gettime(CLOCK_MONOTONIC, &l->seen);
	if (!l->n++ && l->brk)
		sniff_capture__break(l->brk);
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static int raw_sender(const char *ifname, struct sockaddr_ll *to)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(to, 0, sizeof(*to));
	to->sll_family = AF_PACKET;
	to->sll_ifindex = (int)if_nametoindex(ifname);
	to->sll_halen = ETH_ALEN;
	ck_assert_int_gt(to->sll_ifindex, 0);
	return fd;
}

/* A UDP-to-port-9 frame (the payload does not matter to the filter). */
static size_t discard_frame(uint8_t *f, uint16_t tag)
{
	static const uint8_t head[] = {
		0x02, 0x00, 0x5e, 0x10, 0x02, 0x01, 0x02, 0x00, 0x5e, 0x10, 0x01, 0x01, 0x08, 0x00,
		0x45, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
		10, 1, 0, 1, 10, 2, 0, 1,
		0x30, 0x39, 0x00, 0x09, 0x00, 0x0c, 0x00, 0x00,
	};

	memcpy(f, head, sizeof(head));
	f[sizeof(head)] = (uint8_t)(tag >> 8);
	f[sizeof(head) + 1] = (uint8_t)tag;
	memset(f + sizeof(head) + 2, 0, 2);
	return sizeof(head) + 4;
}


/* Send probe TAG and run a loop until it arrives: a loop of one packet, or
 * (THREADS) one without a count, broken at the packet, which with several
 * workers runs their threads. Returns the ms it took. */
static double one_probe(struct sniff_capture *cap, int fd, const struct sockaddr_ll *to,
			uint16_t tag, int threads)
{
	struct lat l = { .n = 0, .brk = threads ? cap : NULL };
	struct watchdog w;
	struct timespec t0;
	uint8_t frame[64];
	size_t len = discard_frame(frame, tag);
	long r;

	watchdog_start(&w, cap, 1000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(sendto(fd, frame, len, 0, (const struct sockaddr *)to, sizeof(*to)),
			 (int)len);
	r = sniff_capture__loop(cap, threads ? -1 : 1, lat_cb, &l);
	ck_assert_msg(!watchdog_stop(&w), "probe %u did not arrive within 1 s", tag);
	ck_assert_int_eq(r, 1);
	return ms_between(&t0, &l.seen);
}

/* _i == 1: two workers, so the loop runs their threads and merges (a loop
 * without a count, broken at the packet); the frame goes to one of them,
 * and the merger must not wait for the silent one longer than the bound. */
START_TEST(test_latency)
{
	SNIFF_OPTS(sniff_capture_opts, o, .workers = 1 + _i);
	struct sniff_capture *cap;
	struct sockaddr_ll to;
	double worst = 0, sum = 0;
	int fd, i, late = 0, rounds = 20;

	NEED_NS();
	cap = open_veth1(&o, "udp dst port 9");
	fd = raw_sender("veth0", &to);
	for (i = 0; i < rounds; i++) {
		double ms;

		usleep(1000 + 700 * (unsigned)(i % 5)); /* land at different points of the timer */
		ms = one_probe(cap, fd, &to, (uint16_t)i, _i);
		sum += ms;
		if (ms > worst)
			worst = ms;
		late += ms >= 10.0;
	}
	fprintf(stderr, "latency, %d worker(s): mean %.2f ms, worst %.2f ms over %d packets "
		"(latency_ms %d)\n", 1 + _i, sum / rounds, worst, rounds, cap->opts.latency_ms);
	/* One late packet is forgiven: this VM's hypervisor steals whole ms. */
	ck_assert_msg(late <= 1, "%d of %d packets took 10 ms or more (worst %.2f ms)",
		      late, rounds, worst);
	close(fd);
	sniff_capture__close(cap);
}
END_TEST

/* ---- the clock set back: the merges compare packet time stamps (the
 * kernel's realtime clock) with the realtime clock now. The library's view
 * of CLOCK_REALTIME is set back an hour (this program's clock_gettime comes
 * first), so every packet looks stamped just before a step back. */

static int64_t clock_back_ns;
static int (*libc_clock_gettime)(clockid_t, struct timespec *);

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	int r = libc_clock_gettime ? libc_clock_gettime(clk, ts) :
		(int)syscall(SYS_clock_gettime, clk, ts);
	int64_t back = __atomic_load_n(&clock_back_ns, __ATOMIC_RELAXED);

	if (!r && clk == CLOCK_REALTIME && back) {
		int64_t t = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec - back;

		ts->tv_sec = t / 1000000000;
		ts->tv_nsec = t % 1000000000;
	}
	return r;
}

/* Two workers, a packet to one of them, the other silent: before, the merge
 * waited for the clock to pass the packet's time stamp, an hour. _i == 0:
 * a count-limited loop (ring.c's merge), 1: the worker threads (merge.c). */
START_TEST(test_clock_set_back)
{
	SNIFF_OPTS(sniff_capture_opts, o, .workers = 2);
	struct sniff_capture *cap;
	struct sockaddr_ll to;
	struct sniff_stats st;
	int fd, i;

	NEED_NS();
	cap = open_veth1(&o, "udp dst port 9");
	fd = raw_sender("veth0", &to);
	__atomic_store_n(&clock_back_ns, 3600 * (int64_t)1000000000, __ATOMIC_RELAXED);
	for (i = 0; i < 3; i++)
		fprintf(stderr, "clock set back an hour, %s: packet %d in %.2f ms\n",
			_i ? "worker threads" : "count-limited loop", i,
			one_probe(cap, fd, &to, (uint16_t)i, _i));
	__atomic_store_n(&clock_back_ns, 0, __ATOMIC_RELAXED);
	ck_assert_int_eq(sniff_capture__stats(cap, &st), 0);
	ck_assert_uint_eq(st.captured, 3);
	ck_assert_uint_eq(st.captured + st.dropped, st.received);
	close(fd);
	sniff_capture__close(cap);
}
END_TEST

/* ---- latency after a burst and under a steady stream: the loop's pause
 * (ring.c pause_us) must not hold a packet past the bound: latency_ms (10)
 * below 40k packets/s, 2 x latency_ms while busy, and latency_ms again once
 * the loop has seen the rate fall (two busy pauses, 2 x 17 ms, after the
 * last busy look) */

#define PROBES 20
#define PROBE_TAG_OFF 42                 /* where discard_frame puts the tag */

struct probe_run {
	struct sniff_capture *cap;
	struct timespec seen[PROBES];
	int got[PROBES];
	long ret;
	int stream;                          /* background sender: frames a ms, 0 stops */
	int fd;
	struct sockaddr_ll to;
};

static void probe_cb(void *user, const struct sniff_pkthdr *h, const uint8_t *data)
{
	struct probe_run *p = user;
	unsigned tag;

	if (h->caplen < PROBE_TAG_OFF + 2)
		return;
	tag = (unsigned)data[PROBE_TAG_OFF] << 8 | data[PROBE_TAG_OFF + 1];
	if (tag < PROBES && !__atomic_load_n(&p->got[tag], __ATOMIC_ACQUIRE)) {
		clock_gettime(CLOCK_MONOTONIC, &p->seen[tag]);
		/* the sender thread reads seen[] once it sees got[] */
		__atomic_store_n(&p->got[tag], 1, __ATOMIC_RELEASE);
	}
}

static void *probe_loop(void *arg)
{
	struct probe_run *p = arg;

	p->ret = sniff_capture__loop(p->cap, -1, probe_cb, p);
	return NULL;
}

/* p->stream frames about every ms until told to stop (bounded: 5 s). */
static void *stream_sender(void *arg)
{
	struct probe_run *p = arg;
	uint8_t frame[64];
	size_t len = discard_frame(frame, 0xffff);
	int i, j, n = __atomic_load_n(&p->stream, __ATOMIC_RELAXED);

	for (i = 0; i < 5000 && __atomic_load_n(&p->stream, __ATOMIC_RELAXED); i++) {
		for (j = 0; j < n; j++)
			if (sendto(p->fd, frame, len, 0, (struct sockaddr *)&p->to, sizeof(p->to)) < 0)
				return NULL;
		usleep(1000);
	}
	return NULL;
}

/* Send the probes one by one, spaced to land at different points of the
 * pause; returns how many took bound_ms or more, or, of those sent after_ms
 * or later after the burst (the first probe goes 3 ms after it), 10 ms or
 * more. */
static int send_probes(struct probe_run *p, const char *what, double bound_ms, double after_ms)
{
	struct timespec sent[PROBES];
	uint8_t frame[64];
	double worst = 0, worst_after = 0, sum = 0;
	int i, late = 0, seen = 0;

	/* release: the callback writes seen[] of the next phase only after the
	 * sender's reads of this one */
	for (i = 0; i < PROBES; i++)
		__atomic_store_n(&p->got[i], 0, __ATOMIC_RELEASE);
	for (i = 0; i < PROBES; i++) {
		size_t len = discard_frame(frame, (uint16_t)i);

		usleep(3000 + 1300 * (unsigned)(i % 5));
		clock_gettime(CLOCK_MONOTONIC, &sent[i]);
		ck_assert_int_eq(sendto(p->fd, frame, len, 0, (struct sockaddr *)&p->to,
					sizeof(p->to)), (int)len);
	}
	usleep(200000);
	for (i = 0; i < PROBES; i++) {
		double ms;

		if (!__atomic_load_n(&p->got[i], __ATOMIC_ACQUIRE))
			continue;
		seen++;
		ms = ms_between(&sent[i], &p->seen[i]);
		sum += ms;
		if (ms > worst)
			worst = ms;
		if (ms_between(&sent[0], &sent[i]) + 3.0 >= after_ms) {
			if (ms > worst_after)
				worst_after = ms;
			late += ms >= 10.0;
		} else {
			late += ms >= bound_ms;
		}
	}
	fprintf(stderr, "latency %s: mean %.2f ms, worst %.2f ms over %d packets", what,
		seen ? sum / seen : 0, worst, seen);
	if (after_ms > 0 && after_ms < 1000)
		fprintf(stderr, ", worst %.2f ms from %.0f ms on", worst_after, after_ms);
	fprintf(stderr, " (bound %.0f ms)\n", bound_ms);
	ck_assert_msg(seen == PROBES, "%s: %d of %d probes seen", what, seen, PROBES);
	return late;
}

/* Probes in a stream of PER_MS frames a ms must take less than BOUND_MS
 * (tried 3 times, as below). */
static void stream_probes(struct probe_run *p, int per_ms, double bound_ms)
{
	char what[64];
	pthread_t s;
	int tries, late;

	snprintf(what, sizeof(what), "in a %dk frames/s stream", per_ms);
	for (tries = 0, late = PROBES; late > 1 && tries < 3; tries++) {
		p->stream = per_ms;
		ck_assert_int_eq(pthread_create(&s, NULL, stream_sender, p), 0);
		usleep(100000);
		late = send_probes(p, what, bound_ms, 1e9);
		__atomic_store_n(&p->stream, 0, __ATOMIC_RELAXED);
		pthread_join(s, NULL);
	}
	ck_assert_msg(late <= 1, "%s: %d of %d probes took %.0f ms or more, 3 times", what, late,
		      PROBES, bound_ms);
}

START_TEST(test_latency_after_burst)
{
	SNIFF_OPTS(sniff_capture_opts, o);
	struct probe_run p = { 0 };
	struct sniff_stats st;
	uint8_t frame[64];
	size_t len = discard_frame(frame, 0xffff);
	pthread_t t;
	int i, late, tries, bursts = 0;

	NEED_NS();
	p.cap = open_veth1(&o, "udp dst port 9");
	p.fd = raw_sender("veth0", &p.to);
	ck_assert_int_eq(pthread_create(&t, NULL, probe_loop, &p), 0);
	/* A phase is tried again (3 times at most) when more than one probe was
	 * late: on this shared 2-CPU machine another tenant's burst can starve
	 * the loop's thread for tens of ms; a pause that is too long fails all
	 * three. One late packet is forgiven: the hypervisor steals whole ms. */
	for (tries = 0, late = PROBES; late > 1 && tries < 3; tries++) {
		/* a burst fills blocks fast: the loop learns a high rate and pauses */
		for (i = 0; i < 30000; i++)
			ck_assert_int_eq(sendto(p.fd, frame, len, 0, (struct sockaddr *)&p.to,
						sizeof(p.to)), (int)len);
		bursts++;
		late = send_probes(&p, "after a 30000-frame burst", 20.0, 40.0);
	}
	ck_assert_msg(late <= 1, "after a burst: %d of %d probes took 20 ms or more, or 10 ms "
		      "40 ms after the burst, 3 times", late, PROBES);
	stream_probes(&p, 20, 10.0);
	/* busy: the loop batches two block timeouts, within 2 x latency_ms */
	stream_probes(&p, 60, 20.0);
	usleep(50000);
	sniff_capture__break(p.cap);
	pthread_join(t, NULL);
	ck_assert_int_ge(p.ret, 30000L * bursts + 3 * PROBES);
	ck_assert_int_eq(sniff_capture__stats(p.cap, &st), 0);
	ck_assert_uint_eq(st.captured, (uint64_t)p.ret);
	ck_assert_uint_eq(st.captured + st.dropped, st.received);
	close(p.fd);
	sniff_capture__close(p.cap);
}
END_TEST

/* ---- break */

struct loop_arg {
	struct sniff_capture *cap;
	struct pkts got;
	long ret;
	struct timespec end;
};

static void *loop_thread(void *arg)
{
	struct loop_arg *a = arg;

	a->ret = sniff_capture__loop(a->cap, -1, collect, &a->got);
	clock_gettime(CLOCK_MONOTONIC, &a->end);
	return NULL;
}

START_TEST(test_break_idle)
{
	SNIFF_OPTS(sniff_capture_opts, o);
	struct loop_arg a = { 0 };
	struct timespec t0;
	pthread_t t;

	NEED_NS();
	a.cap = open_veth1(&o, NULL);
	ck_assert_int_eq(pthread_create(&t, NULL, loop_thread, &a), 0);
	usleep(50000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sniff_capture__break(a.cap);
	pthread_join(t, NULL);
	ck_assert_int_eq(a.ret, 0);
	ck_assert_msg(ms_between(&t0, &a.end) < 100, "loop took %.1f ms to return",
		      ms_between(&t0, &a.end));
	sniff_capture__close(a.cap);
}
END_TEST

/* Break right after traffic, while packets still sit in the open block: the
 * loop must drain them so the counters add up exactly. */
START_TEST(test_break_drains)
{
	SNIFF_OPTS(sniff_capture_opts, o, .latency_ms = 100);
	struct loop_arg a = { 0 };
	struct pkts want = { 0 };
	struct sniff_stats st;
	char file[128];
	pthread_t t;

	NEED_NS();
	tmpname(file, sizeof(file), "drain");
	a.cap = open_veth1(&o, "ip or ip6");
	ck_assert_int_eq(pthread_create(&t, NULL, loop_thread, &a), 0);
	run_framegen(3000, 7, "tcp4,udp4,arp,tcp6", file, "veth0");
	sniff_capture__break(a.cap);
	pthread_join(t, NULL);
	oracle_frames(file, "ip or ip6", &want);
	ck_assert_int_eq(sniff_capture__stats(a.cap, &st), 0);
	ck_assert_msg(st.captured + st.dropped == st.received,
		      "captured %llu + dropped %llu != received %llu",
		      (unsigned long long)st.captured, (unsigned long long)st.dropped,
		      (unsigned long long)st.received);
	ck_assert_uint_eq(st.received, want.n);
	ck_assert_uint_eq(st.captured, (uint64_t)a.ret);
	ck_assert_uint_eq(a.got.n, (size_t)a.ret);
	if (!st.dropped)
		assert_same(&a.got, &want, "drain");
	sniff_capture__close(a.cap);
	pkts_free(&a.got);
	pkts_free(&want);
}
END_TEST

static struct sniff_capture *sig_cap;
static void on_alarm(int sig)
{
	(void)sig;
	sniff_capture__break(sig_cap);
}

START_TEST(test_break_signal)
{
	SNIFF_OPTS(sniff_capture_opts, o);
	struct itimerval it = { .it_value = { 0, 30000 } };
	struct pkts got = { 0 };
	struct sigaction sa = { .sa_handler = on_alarm };

	NEED_NS();
	sig_cap = open_veth1(&o, NULL);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	ck_assert_int_eq(sniff_capture__loop(sig_cap, -1, collect, &got), 0);
	sniff_capture__close(sig_cap);
	pkts_free(&got);
}
END_TEST

/* ---- VLAN: the kernel strips the tag; the data we deliver has it back */

START_TEST(test_vlan)
{
	SNIFF_OPTS(sniff_capture_opts, o);
	struct pkts got = { 0 }, want = { 0 };
	struct sniff_capture *cap;
	struct sniff_stats st;
	char file[128];
	size_t i;

	NEED_NS();
	tmpname(file, sizeof(file), "vlan");
	cap = open_veth1(&o, NULL);
	run_framegen(60, 3, "vlan,udp4", file, "veth0");
	oracle_frames(file, "", &want);
	loop_until_idle(cap, &got, 50);
	assert_same(&got, &want, "vlan");
	for (i = 0; i < got.n; i++) {
		const uint8_t *d = want.v[i].data;
		int tagged = d[12] == 0x81 && d[13] == 0x00;

		ck_assert_int_eq(got.v[i].h.vlan_valid, tagged);
		if (tagged) {
			ck_assert_uint_eq(got.v[i].h.vlan_tci, (unsigned)(d[14] << 8 | d[15]));
			ck_assert_uint_eq(got.v[i].h.vlan_tpid, 0x8100);
		}
	}
	ck_assert_int_eq(sniff_capture__stats(cap, &st), 0);
	ck_assert_uint_eq(st.captured, want.n);
	ck_assert_uint_eq(st.received, want.n);
	sniff_capture__close(cap);
	pkts_free(&got);
	pkts_free(&want);
}
END_TEST

/* ---- direction: on the sender's side every frame is outgoing */

START_TEST(test_direction)
{
	static const enum sniff_direction dirs[] = { SNIFF_DIR_INOUT, SNIFF_DIR_IN, SNIFF_DIR_OUT };
	struct sniff_capture *cap[3];
	struct pkts got[3] = { { 0 } };
	struct sniff_stats st;
	char file[128];
	int i;

	NEED_NS();
	tmpname(file, sizeof(file), "dir");
	for (i = 0; i < 3; i++) {
		SNIFF_OPTS(sniff_capture_opts, o, .direction = dirs[i]);

		cap[i] = sniff_capture__open("veth0", &o);
		ck_assert_ptr_nonnull(cap[i]);
		ck_assert_int_eq(sniff_capture__activate(cap[i]), 0);
	}
	run_framegen(200, 11, "tcp4,udp4,arp", file, "veth0");
	unlink(file);
	for (i = 0; i < 3; i++) {
		loop_until_idle(cap[i], &got[i], 50);
		ck_assert_int_eq(sniff_capture__stats(cap[i], &st), 0);
		ck_assert_uint_eq(st.captured, got[i].n);
		ck_assert_uint_eq(st.received, got[i].n);
	}
	ck_assert_uint_eq(got[0].n, 200);
	ck_assert_uint_eq(got[1].n, 0);
	ck_assert_uint_eq(got[2].n, 200);
	ck_assert_uint_eq(got[2].v[0].h.direction, PACKET_OUTGOING);
	for (i = 0; i < 3; i++) {
		sniff_capture__close(cap[i]);
		pkts_free(&got[i]);
	}
}
END_TEST

/* ---- lo: each frame once, though the kernel shows it leaving and arriving */

START_TEST(test_loopback_once)
{
	SNIFF_OPTS(sniff_capture_opts, o);
	struct pkts got = { 0 }, want = { 0 };
	struct sniff_capture *cap;
	struct sniff_stats st;
	char file[128];

	NEED_NS();
	tmpname(file, sizeof(file), "lo");
	cap = sniff_capture__open("lo", &o);
	ck_assert_ptr_nonnull(cap);
	ck_assert_int_eq(sniff_capture__linktype(cap), SNIFF_DLT_EN10MB);
	set_oracle_prog(cap, "ether[6:4] = 0x02005e10");
	ck_assert_int_eq(sniff_capture__activate(cap), 0);
	run_framegen(100, 5, "udp4,tcp4,arp", file, "lo");
	oracle_frames(file, "", &want);
	loop_until_idle(cap, &got, 50);
	assert_same(&got, &want, "lo");
	ck_assert_int_eq(sniff_capture__stats(cap, &st), 0);
	ck_assert_uint_eq(st.received, want.n);
	sniff_capture__close(cap);
	pkts_free(&got);
	pkts_free(&want);
}
END_TEST

/* ---- snap length: the kernel cuts, the wire length stays */

START_TEST(test_snaplen)
{
	SNIFF_OPTS(sniff_capture_opts, o, .snaplen = 60);
	struct pkts got = { 0 }, want = { 0 };
	struct sniff_capture *cap;
	char file[128];
	size_t i;

	NEED_NS();
	tmpname(file, sizeof(file), "snap");
	cap = sniff_capture__open("veth1", &o);
	ck_assert_ptr_nonnull(cap);
	ck_assert_uint_eq(sniff_capture__snaplen(cap), 60);
	ck_assert_int_eq(sniff_capture__activate(cap), 0);
	run_framegen(100, 9, "tcp4,udp6", file, "veth0");
	oracle_frames(file, "", &want);
	loop_until_idle(cap, &got, 50);
	ck_assert_uint_eq(got.n, want.n);
	for (i = 0; i < got.n; i++) {
		uint32_t cut = want.v[i].h.len < 60 ? want.v[i].h.len : 60;

		ck_assert_uint_eq(got.v[i].h.len, want.v[i].h.len);
		ck_assert_uint_eq(got.v[i].h.caplen, cut);
		ck_assert_int_eq(memcmp(got.v[i].data, want.v[i].data, cut), 0);
	}
	sniff_capture__close(cap);
	pkts_free(&got);
	pkts_free(&want);
}
END_TEST

/* ---- errors: the codes and the messages that say what is missing */

static char last_log[512];
static void keep_log(enum sniff_log_level lvl, const char *msg, void *ctx)
{
	(void)lvl;
	(void)ctx;
	snprintf(last_log, sizeof(last_log), "%s", msg);
}

START_TEST(test_no_such_interface)
{
	struct sniff_capture *cap;

	NEED_NS();
	sniff_set_log(keep_log, NULL);
	errno = 0;
	cap = sniff_capture__open("nosuchif0", NULL);
	ck_assert_ptr_null(cap);
	ck_assert_int_eq(errno, ENODEV);
	ck_assert_msg(strstr(last_log, "nosuchif0") && strstr(last_log, "no such interface"),
		      "log: %s", last_log);
	sniff_set_log(NULL, NULL);
}
END_TEST

START_TEST(test_needs_cap_net_raw)
{
	struct sniff_capture *cap;
	int kernel_says;

	NEED_NS();
	/* This test runs in its own process: dropping root here is contained. */
	ck_assert_int_eq(setgid(65534), 0);
	ck_assert_int_eq(setuid(65534), 0);
	kernel_says = socket(AF_PACKET, SOCK_RAW, 0) < 0 ? errno : 0;
	ck_assert_int_eq(kernel_says, EPERM);
	sniff_set_log(keep_log, NULL);
	cap = sniff_capture__open("veth1", NULL);
	ck_assert_ptr_null(cap);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_msg(strstr(last_log, "CAP_NET_RAW"), "log: %s", last_log);
}
END_TEST

START_TEST(test_interface_down)
{
	char *down[] = { "ip", "link", "set", "veth1", "down", NULL };
	char *up[] = { "ip", "link", "set", "veth1", "up", NULL };
	struct sniff_capture *cap;

	NEED_NS();
	ck_assert_int_eq(netns_exec(&ns, down, NULL, 5000), 0);
	sniff_set_log(keep_log, NULL);
	cap = sniff_capture__open("veth1", NULL);
	ck_assert_ptr_nonnull(cap);
	ck_assert_int_eq(sniff_capture__activate(cap), -ENETDOWN);
	ck_assert_msg(strstr(last_log, "not up"), "log: %s", last_log);
	sniff_capture__close(cap);
	ck_assert_int_eq(netns_exec(&ns, up, NULL, 5000), 0);
}
END_TEST

/* ---- promiscuous mode: the kernel's promiscuity count (ip -d link) says it
 * is on, and off again once the capture is closed (membership dies with the
 * socket). SIOCGIFFLAGS cannot tell: it shows only "ip link set promisc". */

static int promiscuity(const char *ifname)
{
	char out[128], line[512];
	char *argv[] = { "ip", "-d", "link", "show", (char *)ifname, NULL };
	int n = -1;
	FILE *f;

	snprintf(out, sizeof(out), "/tmp/sniff-test-%d-ip.txt", (int)getpid());
	ck_assert_int_eq(netns_exec(&ns, argv, out, 5000), 0);
	f = fopen(out, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "promiscuity ");

		if (p)
			n = atoi(p + 12);
	}
	fclose(f);
	unlink(out);
	ck_assert_int_ge(n, 0);
	return n;
}

START_TEST(test_promisc)
{
	SNIFF_OPTS(sniff_capture_opts, on, .promisc = 1);
	SNIFF_OPTS(sniff_capture_opts, off);
	struct sniff_capture *cap;

	NEED_NS();
	ck_assert_int_eq(promiscuity("veth1"), 0);
	cap = sniff_capture__open("veth1", &off);
	ck_assert_ptr_nonnull(cap);
	ck_assert_int_eq(sniff_capture__activate(cap), 0);
	ck_assert_int_eq(promiscuity("veth1"), 0);
	sniff_capture__close(cap);
	cap = sniff_capture__open("veth1", &on);
	ck_assert_ptr_nonnull(cap);
	ck_assert_int_eq(sniff_capture__activate(cap), 0);
	ck_assert_int_eq(promiscuity("veth1"), 1);
	sniff_capture__close(cap);
	ck_assert_int_eq(promiscuity("veth1"), 0);
}
END_TEST

/* ---- a loop after a break captures again (the freeze is undone) */

START_TEST(test_reloop_after_break)
{
	SNIFF_OPTS(sniff_capture_opts, o);
	struct pkts got = { 0 }, want = { 0 };
	struct sniff_capture *cap;
	struct sniff_stats st;
	char file[128];
	int round;

	NEED_NS();
	tmpname(file, sizeof(file), "reloop");
	cap = open_veth1(&o, NULL);
	for (round = 0; round < 3; round++) {
		run_framegen(50, 40 + round, "udp4,tcp6", file, "veth0");
		oracle_frames(file, "", &want);
		loop_until_idle(cap, &got, 40);
		ck_assert_msg(got.n == want.n, "round %d: %zu delivered, %zu sent", round,
			      got.n, want.n);
	}
	ck_assert_int_eq(sniff_capture__stats(cap, &st), 0);
	ck_assert_uint_eq(st.captured, want.n);
	ck_assert_uint_eq(st.received, want.n);
	assert_same(&got, &want, "reloop");
	sniff_capture__close(cap);
	pkts_free(&got);
	pkts_free(&want);
}
END_TEST

/* ---- the interface goes away under a running loop: an error, not a hang */

static void *delete_later(void *arg)
{
	char *argv[] = { "ip", "link", "del", "veth2", NULL };

	(void)arg;
	usleep(50000);
	netns_exec(&ns, argv, NULL, 5000);
	return NULL;
}

/* _i == 1: with two workers, whose threads see the error and end the merge */
START_TEST(test_interface_gone)
{
	SNIFF_OPTS(sniff_capture_opts, o, .workers = 1 + _i);
	char *add[] = { "ip", "link", "add", "veth2", "type", "veth", "peer", "name", "veth3", NULL };
	char *up[] = { "ip", "link", "set", "veth3", "up", NULL };
	struct pkts got = { 0 };
	struct sniff_capture *cap;
	struct watchdog w;
	pthread_t t;
	long r;

	NEED_NS();
	ck_assert_int_eq(netns_exec(&ns, add, NULL, 5000), 0);
	ck_assert_int_eq(netns_exec(&ns, up, NULL, 5000), 0);
	sniff_set_log(keep_log, NULL);
	cap = sniff_capture__open("veth3", &o);
	ck_assert_ptr_nonnull(cap);
	ck_assert_int_eq(sniff_capture__activate(cap), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, delete_later, NULL), 0);
	watchdog_start(&w, cap, 3000);
	r = sniff_capture__loop(cap, -1, collect, &got);
	ck_assert_msg(!watchdog_stop(&w), "the loop did not notice the interface going away");
	pthread_join(t, NULL);
	ck_assert_int_eq(r, -ENETDOWN);
	ck_assert_msg(strstr(last_log, "veth3"), "log: %s", last_log);
	sniff_capture__close(cap);
}
END_TEST

/* ---- CAP_NET_RAW alone: eBPF needs CAP_BPF (said so), classic BPF works */

static void keep_only_net_raw(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	ck_assert_int_eq(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
	ck_assert_int_eq(setgid(65534), 0);
	ck_assert_int_eq(setuid(65534), 0);
	d[0].effective = d[0].permitted = 1u << CAP_NET_RAW;
	ck_assert_int_eq(syscall(SYS_capset, &h, d), 0);
}

START_TEST(test_needs_cap_bpf)
{
	SNIFF_OPTS(sniff_capture_opts, o);
	SNIFF_OPTS(sniff_capture_opts, oc, .classic_bpf = 1);
	struct pkts got = { 0 }, want = { 0 };
	struct sniff_capture *cap, *ccap;
	struct bpf_program fp;
	struct sniff_prog prog;
	char file[128], log[256] = "";
	FILE *f;
	int disabled = 0, go[2], status;
	pid_t sender;

	NEED_NS();
	tmpname(file, sizeof(file), "capbpf");
	f = fopen("/proc/sys/kernel/unprivileged_bpf_disabled", "r");
	if (f) {
		if (fscanf(f, "%d", &disabled) != 1)
			disabled = 0;
		fclose(f);
	}
	oracle_compile("udp", &fp);
	prog.len = fp.bf_len;
	prog.insns = (struct sniff_insn *)(void *)fp.bf_insns;
	/* Owned by the uid we become, so that we can still remove it. */
	close(open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	ck_assert_int_eq(chown(file, 65534, 65534), 0);
	/* The sender needs root: start it now, held until the capture is ready. */
	ck_assert_int_eq(pipe(go), 0);
	sender = fork();
	ck_assert_int_ge(sender, 0);
	if (sender == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(3);
		execl(BUILDDIR "/tests/framegen", "framegen", "-i", "veth0", "-n", "60", "-s", "77",
		      "-m", "udp4,tcp4,arp", "-w", file, (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	keep_only_net_raw();
	sniff_set_log(keep_log, NULL);
	cap = sniff_capture__open("veth1", &o);
	ck_assert_msg(cap != NULL, "CAP_NET_RAW should be enough to open: %s", strerror(errno));
	if (disabled) {
		/* the kernel's verdict first: it refuses bpf() to us */
		ck_assert_int_eq(sniff_capture__set_prog(cap, &prog, log, sizeof(log)), -EPERM);
		ck_assert_msg(strstr(last_log, "CAP_BPF"), "log: %s", last_log);
	} else {
		fprintf(stderr, "test_needs_cap_bpf: unprivileged eBPF allowed here\n");
	}
	sniff_capture__close(cap);
	/* classic filters need no CAP_BPF: a whole capture works */
	ccap = sniff_capture__open("veth1", &oc);
	ck_assert_ptr_nonnull(ccap);
	ck_assert_int_eq(sniff_capture__set_prog(ccap, &prog, log, sizeof(log)), 0);
	ck_assert_int_eq(sniff_capture__activate(ccap), 0);
	pcap_freecode(&fp);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	close(go[1]);
	ck_assert_int_eq(waitpid(sender, &status, 0), sender);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	oracle_frames(file, "udp", &want);
	loop_until_idle(ccap, &got, 40);
	assert_same(&got, &want, "classic, CAP_NET_RAW only");
	sniff_capture__close(ccap);
	pkts_free(&got);
	pkts_free(&want);
}
END_TEST

/* ---- "any": cooked LINUX_SLL2 packets, each frame seen leaving veth0 and
 * arriving on veth1. The expected packets are built from the frames sent with
 * the kernel's rules (sockaddr_ll: source MAC, eth_type_trans's packet type),
 * and libpcap's SLL2 filter decides which of them must come. */

static void sll2_of(const struct pkt *f, int ifindex, uint8_t pkttype, struct pkts *out)
{
	uint8_t buf[2048];
	struct sniff_pkthdr h = { .caplen = f->h.caplen + 6, .len = f->h.len + 6 };

	ck_assert_uint_le(f->h.caplen + 6, sizeof(buf));
	memcpy(buf, f->data + 12, 2);                 /* protocol */
	buf[2] = buf[3] = 0;
	buf[4] = (uint8_t)(ifindex >> 24);
	buf[5] = (uint8_t)(ifindex >> 16);
	buf[6] = (uint8_t)(ifindex >> 8);
	buf[7] = (uint8_t)ifindex;
	buf[8] = 0;
	buf[9] = 1;                                   /* ARPHRD_ETHER */
	buf[10] = pkttype;
	buf[11] = 6;
	memcpy(buf + 12, f->data + 6, 6);             /* source MAC */
	buf[18] = buf[19] = 0;
	memcpy(buf + 20, f->data + 14, f->h.caplen - 14);
	pkts_add(out, &h, buf);
}

static uint8_t rx_pkttype(const uint8_t *frame, const uint8_t *own_mac)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (memcmp(frame, bcast, 6) == 0)
		return PACKET_BROADCAST;
	if (frame[0] & 1)
		return PACKET_MULTICAST;
	return memcmp(frame, own_mac, 6) == 0 ? PACKET_HOST : PACKET_OTHERHOST;
}

static void mac_of_if(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ck_assert_int_eq(ioctl(fd, SIOCGIFHWADDR, &ifr), 0);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
}

static const char *const any_filters[] = {
	"", "udp", "inbound and tcp", "outbound and arp", "greater 100", "ip6 or arp",
};

START_TEST(test_any)
{
	SNIFF_OPTS(sniff_capture_opts, o);
	struct pkts got = { 0 }, frames = { 0 }, all = { 0 }, want_out = { 0 }, want_in = { 0 };
	struct pkts got_out = { 0 }, got_in = { 0 };
	const char *expr = any_filters[_i];
	struct sniff_capture *cap;
	struct sniff_stats st;
	struct bpf_program fp;
	struct sniff_prog prog;
	pcap_t *dead;
	uint8_t mac1[6];
	char file[128];
	int if0, if1;
	size_t i;

	NEED_NS();
	tmpname(file, sizeof(file), "any");
	if0 = (int)if_nametoindex("veth0");
	if1 = (int)if_nametoindex("veth1");
	mac_of_if("veth1", mac1);
	cap = sniff_capture__open("any", &o);
	ck_assert_msg(cap != NULL, "open any: %s", strerror(errno));
	ck_assert_int_eq(sniff_capture__linktype(cap), SNIFF_DLT_LINUX_SLL2);
	dead = pcap_open_dead(DLT_LINUX_SLL2, SNIFF_DEFAULT_SNAPLEN);
	ck_assert_int_eq(pcap_compile(dead, &fp, expr, 1, PCAP_NETMASK_UNKNOWN), 0);
	prog.len = fp.bf_len;
	prog.insns = (struct sniff_insn *)(void *)fp.bf_insns;
	ck_assert_int_eq(sniff_capture__set_prog(cap, &prog, NULL, 0), 0);
	ck_assert_int_eq(sniff_capture__activate(cap), 0);

	run_framegen(200, 60 + _i, "tcp4,udp4,arp,udp6", file, "veth0");
	oracle_frames(file, "", &frames);
	for (i = 0; i < frames.n; i++) {
		struct pcap_pkthdr ph;

		sll2_of(&frames.v[i], if0, PACKET_OUTGOING, &all);
		sll2_of(&frames.v[i], if1, rx_pkttype(frames.v[i].data, mac1), &all);
		ph.caplen = all.v[2 * i].h.caplen;
		ph.len = all.v[2 * i].h.len;
		if (pcap_offline_filter(&fp, &ph, all.v[2 * i].data))
			pkts_add(&want_out, &all.v[2 * i].h, all.v[2 * i].data);
		if (pcap_offline_filter(&fp, &ph, all.v[2 * i + 1].data))
			pkts_add(&want_in, &all.v[2 * i + 1].h, all.v[2 * i + 1].data);
	}
	loop_until_idle(cap, &got, 50);
	for (i = 0; i < got.n; i++)
		pkts_add(got.v[i].data[10] == PACKET_OUTGOING ? &got_out : &got_in,
			 &got.v[i].h, got.v[i].data);
	assert_same(&got_out, &want_out, "any, leaving veth0");
	assert_same(&got_in, &want_in, "any, arriving on veth1");
	ck_assert_int_eq(sniff_capture__stats(cap, &st), 0);
	ck_assert_uint_eq(st.captured, got.n);
	ck_assert_uint_eq(st.received, got.n);
	ck_assert_uint_eq(st.dropped, 0);
	pcap_freecode(&fp);
	pcap_close(dead);
	sniff_capture__close(cap);
	pkts_free(&got);
	pkts_free(&got_out);
	pkts_free(&got_in);
	pkts_free(&want_out);
	pkts_free(&want_in);
	pkts_free(&all);
	pkts_free(&frames);
}
END_TEST

/* ---- while traffic flows, a capture opened with a filter delivers nothing
 * the filter rejects, not even at its start (the filter is attached before
 * the socket is bound) */

START_TEST(test_no_leak_at_start)
{
	struct pkts got = { 0 };
	char file[128], n[] = "20000";
	char *argv[] = { BUILDDIR "/tests/framegen", "-i", "veth0", "-n", n, "-m",
			 "tcp4,udp4,arp", "-w", file, NULL };
	int round, status;
	size_t i;
	pid_t pid;

	NEED_NS();
	tmpname(file, sizeof(file), "leak");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	for (round = 0; round < 5; round++) {
		SNIFF_OPTS(sniff_capture_opts, o, .classic_bpf = round & 1);
		struct sniff_capture *cap = open_veth1(&o, "arp");

		loop_until_idle(cap, &got, 5);
		sniff_capture__close(cap);
	}
	waitpid(pid, &status, 0);
	unlink(file);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (i = 0; i < got.n; i++)
		ck_assert_msg(got.v[i].data[12] == 0x08 && got.v[i].data[13] == 0x06,
			      "packet %zu is not ARP: the filter was late", i);
	ck_assert_msg(got.n > 0, "no traffic seen while the sender ran");
	pkts_free(&got);
}
END_TEST

/* ---- a tun device (ARPHRD_NONE): raw IP, link type RAW as libpcap says */

START_TEST(test_tun_raw)
{
	char *add[] = { "ip", "tuntap", "add", "dev", "sniff-tun0", "mode", "tun", NULL };
	char *up[] = { "ip", "link", "set", "sniff-tun0", "up", NULL };
	char *del[] = { "ip", "link", "del", "sniff-tun0", NULL };
	static const uint8_t ip4[28] = {
		0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
		10, 9, 0, 1, 10, 9, 0, 2, 0x30, 0x39, 0x00, 0x09, 0x00, 0x08, 0x00, 0x00,
	};
	SNIFF_OPTS(sniff_capture_opts, o);
	struct pkts got = { 0 };
	struct sniff_capture *cap;
	struct ifreq ifr;
	pcap_t *dead;
	int fd, i;

	NEED_NS();
	ck_assert_int_eq(netns_exec(&ns, add, NULL, 5000), 0);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "sniff-tun0");
	ck_assert_int_eq(ioctl(fd, TUNSETIFF, &ifr), 0);
	ck_assert_int_eq(netns_exec(&ns, up, NULL, 5000), 0);
	cap = sniff_capture__open("sniff-tun0", &o);
	ck_assert_ptr_nonnull(cap);
	dead = pcap_open_dead(DLT_RAW, 65535);
	/* libpcap names it the same way */
	ck_assert_int_eq(sniff_capture__linktype(cap), pcap_datalink(dead));
	pcap_close(dead);
	ck_assert_int_eq(sniff_capture__activate(cap), 0);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(write(fd, ip4, sizeof(ip4)), (int)sizeof(ip4));
	loop_until_idle(cap, &got, 50);
	ck_assert_uint_eq(got.n, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_uint_eq(got.v[i].h.caplen, sizeof(ip4));
		ck_assert_int_eq(memcmp(got.v[i].data, ip4, sizeof(ip4)), 0);
	}
	sniff_capture__close(cap);
	close(fd);
	netns_exec(&ns, del, NULL, 5000);
	pkts_free(&got);
}
END_TEST


/* ---- workers: several sockets in one fanout group, each in its own netns */

static pthread_mutex_t collect_mu = PTHREAD_MUTEX_INITIALIZER;

/* PARALLEL delivery calls from several threads at once. */
static void collect_locked(void *user, const struct sniff_pkthdr *h, const uint8_t *data)
{
	pthread_mutex_lock(&collect_mu);
	pkts_add(user, h, data);
	pthread_mutex_unlock(&collect_mu);
}

static int pkt_cmp(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;

	if (x->h.caplen != y->h.caplen)
		return x->h.caplen < y->h.caplen ? -1 : 1;
	return memcmp(x->data, y->data, x->h.caplen);
}

/* The same frames, each as often, whatever the order. */
static void assert_same_set(struct pkts *got, struct pkts *want, const char *what)
{
	qsort(got->v, got->n, sizeof(*got->v), pkt_cmp);
	qsort(want->v, want->n, sizeof(*want->v), pkt_cmp);
	assert_same(got, want, what);
}

static void assert_ts_order(const struct pkts *p, const char *what)
{
	size_t i;

	for (i = 1; i < p->n; i++)
		ck_assert_msg(p->v[i].h.ts_ns >= p->v[i - 1].h.ts_ns,
			      "%s: packet %zu (ts %llu) before packet %zu (ts %llu)", what, i,
			      (unsigned long long)p->v[i].h.ts_ns, i - 1,
			      (unsigned long long)p->v[i - 1].h.ts_ns);
}

/* Every worker took part and the totals are the sums, exactly. */
static void assert_worker_stats(struct sniff_capture *cap, size_t want, const char *what)
{
	struct sniff_stats st, one;
	uint64_t sum = 0, rsum = 0;
	int i;

	ck_assert_int_eq(sniff_capture__stats(cap, &st), 0);
	ck_assert_msg(st.captured == want && st.received == want && st.dropped == 0,
		      "%s: captured %llu received %llu dropped %llu, expected %zu", what,
		      (unsigned long long)st.captured, (unsigned long long)st.received,
		      (unsigned long long)st.dropped, want);
	for (i = 0; i < sniff_capture__workers(cap); i++) {
		ck_assert_int_eq(sniff_capture__worker_stats(cap, i, &one), 0);
		ck_assert_msg(one.captured > 0, "%s: worker %d got nothing: no fanout?", what, i);
		sum += one.captured;
		rsum += one.received;
	}
	ck_assert_uint_eq(sum, st.captured);
	ck_assert_uint_eq(rsum, st.received);
}

static struct sniff_capture *open_workers(int n, enum sniff_delivery dl, enum sniff_fanout f)
{
	SNIFF_OPTS(sniff_capture_opts, o, .workers = n, .delivery = dl, .fanout = f);
	struct sniff_capture *cap = open_veth1(&o, "");

	ck_assert_int_eq(sniff_capture__workers(cap), n);
	return cap;
}

#define WK_MIX "tcp4,udp4,icmp4,arp,tcp6,udp6,icmp6"

/* Each frame exactly once over two workers, for every delivery mode; the
 * ordered mode also in timestamp order. */
START_TEST(test_workers_once)
{
	static const char *const names[] = { "ordered", "serial", "parallel" };
	struct pkts got = { 0 }, want = { 0 };
	struct sniff_capture *cap;
	char file[128], what[64];

	NEED_NS();
	snprintf(what, sizeof(what), "2 workers, %s", names[_i]);
	tmpname(file, sizeof(file), "workers");
	cap = open_workers(2, (enum sniff_delivery)_i, SNIFF_FANOUT_HASH);
	run_framegen(2000, 4242 + _i, WK_MIX, file, "veth0");
	oracle_frames(file, "", &want);
	{
		struct watchdog w;
		long r;

		watchdog_start(&w, cap, 400);
		r = sniff_capture__loop(cap, -1, _i == SNIFF_DELIVER_PARALLEL ? collect_locked :
					collect, &got);
		watchdog_stop(&w);
		ck_assert_msg(r == (long)got.n, "%s: loop returned %ld for %zu packets", what, r,
			      got.n);
	}
	if (_i == SNIFF_DELIVER_ORDERED)
		assert_ts_order(&got, what);
	assert_same_set(&got, &want, what);
	assert_worker_stats(cap, want.n, what);
	sniff_capture__close(cap);
	pkts_free(&got);
	pkts_free(&want);
}
END_TEST

/* Every fanout mode spreads without losing or doubling (lb: strictly both). */
START_TEST(test_workers_fanout_modes)
{
	struct pkts got = { 0 }, want = { 0 };
	struct sniff_capture *cap;
	char file[128], what[64];

	NEED_NS();
	snprintf(what, sizeof(what), "3 workers, fanout mode %d", _i);
	tmpname(file, sizeof(file), "fanout");
	cap = open_workers(3, SNIFF_DELIVER_ORDERED, (enum sniff_fanout)_i);
	run_framegen(600, 99 + _i, WK_MIX, file, "veth0");
	oracle_frames(file, "", &want);
	loop_until_idle(cap, &got, 300);
	assert_ts_order(&got, what);
	assert_same_set(&got, &want, what);
	if (_i == SNIFF_FANOUT_LB)
		assert_worker_stats(cap, want.n, what);
	sniff_capture__close(cap);
	pkts_free(&got);
	pkts_free(&want);
}
END_TEST

/* Read back with libpcap (the oracle for the file format). */
static void read_pcap(const char *file, struct pkts *out, int nano)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *ph;
	const u_char *d;
	pcap_t *p = pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, eb);
	int r;

	(void)nano;
	ck_assert_msg(p != NULL, "%s: %s", file, eb);
	while ((r = pcap_next_ex(p, &ph, &d)) == 1) {
		struct sniff_pkthdr h = {
			.ts_ns = (uint64_t)ph->ts.tv_sec * 1000000000u + (uint64_t)ph->ts.tv_usec,
			.caplen = ph->caplen, .len = ph->len,
		};

		pkts_add(out, &h, d);
	}
	ck_assert_msg(r == PCAP_ERROR_BREAK, "%s: after %zu records: %s", file, out->n,
		      pcap_geterr(p));
	pcap_close(p);
}

/* One ring to a file (ring.c's block-at-a-time path, record headers written
 * into the ring): VLAN-tagged and plain frames, with and without a snap
 * length, read back by libpcap byte for byte, the file's count equal to
 * "captured". */
START_TEST(test_dump_one_ring)
{
	static const uint32_t snaps[] = { 0, 40 };
	struct pkts got = { 0 }, want = { 0 };
	SNIFF_OPTS(sniff_capture_opts, o, .snaplen = snaps[_i]);
	struct sniff_capture *cap;
	struct sniff_dumper *d;
	struct sniff_stats st;
	struct watchdog w;
	char file[128], out[128], eb[256];
	size_t i;
	long r;

	NEED_NS();
	tmpname(file, sizeof(file), "dump1sent");
	tmpname(out, sizeof(out), "dump1out");
	cap = open_veth1(&o, NULL);
	d = sniff_dumper__open(out, sniff_capture__linktype(cap), sniff_capture__snaplen(cap),
			       1, eb, sizeof(eb));
	ck_assert_msg(d != NULL, "%s", eb);
	run_framegen(2000, 77, "vlan,udp4,tcp4,arp", file, "veth0");
	oracle_frames(file, "", &want);
	for (i = 0; snaps[_i] && i < want.n; i++)
		if (want.v[i].h.caplen > snaps[_i])
			want.v[i].h.caplen = snaps[_i];
	watchdog_start(&w, cap, 400);
	r = sniff_capture__dump(cap, -1, d);
	watchdog_stop(&w);
	ck_assert_int_eq(sniff_dumper__close(d), 0);
	ck_assert_msg(r == (long)want.n, "dump returned %ld, %zu frames sent", r, want.n);
	ck_assert_int_eq(sniff_capture__stats(cap, &st), 0);
	ck_assert_uint_eq(st.captured, want.n);
	ck_assert_uint_eq(st.received, want.n);
	ck_assert_uint_eq(st.dropped, 0);
	read_pcap(out, &got, 1);
	unlink(out);
	assert_same(&got, &want, snaps[_i] ? "file, snaplen 40" : "file");
	assert_ts_order(&got, "file from one ring");
	sniff_capture__close(cap);
	pkts_free(&got);
	pkts_free(&want);
}
END_TEST

/* A callback that takes about 20 us a packet. */
static void slow_collect(void *user, const struct sniff_pkthdr *h, const uint8_t *data)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while (ms_between(&t0, &t) < 0.02);
	pkts_add(user, h, data);
}

/* Two workers and a slow callback: the worker threads must wait for the
 * merger, with their queues full (_i == 0: 40000 frames, more than a worker
 * queues) or with every block of their rings out (_i == 1: 1 MiB rings,
 * which the frames may overflow), and the break comes while they wait.
 * Nothing is lost, doubled or reordered, and the counts add up. */
START_TEST(test_workers_slow)
{
	SNIFF_OPTS(sniff_capture_opts, o, .workers = 2, .buffer_size = _i ? 1u << 20 : 0);
	struct pkts got = { 0 }, want = { 0 };
	struct sniff_capture *cap;
	struct sniff_stats st;
	struct watchdog w;
	char file[128], what[64];
	long r;

	NEED_NS();
	snprintf(what, sizeof(what), "2 workers, slow callback, %s", _i ? "1 MiB rings" :
		 "full queues");
	tmpname(file, sizeof(file), "slow");
	cap = open_veth1(&o, "");
	run_framegen(_i ? 6000 : 40000, 6060 + _i, WK_MIX, file, "veth0");
	oracle_frames(file, "", &want);
	watchdog_start(&w, cap, 300); /* the drain delivers the rest */
	r = sniff_capture__loop(cap, -1, slow_collect, &got);
	watchdog_stop(&w);
	ck_assert_int_eq(sniff_capture__stats(cap, &st), 0);
	fprintf(stderr, "%s: %zu of %zu frames, %llu dropped\n", what, got.n, want.n,
		(unsigned long long)st.dropped);
	ck_assert_msg(r == (long)got.n && st.captured == got.n, "%s: loop returned %ld, "
		      "captured %llu, callback saw %zu", what, r,
		      (unsigned long long)st.captured, got.n);
	ck_assert_msg(st.received == want.n && st.captured + st.dropped == st.received,
		      "%s: captured %llu + dropped %llu != received %llu (sent %zu)", what,
		      (unsigned long long)st.captured, (unsigned long long)st.dropped,
		      (unsigned long long)st.received, want.n);
	assert_ts_order(&got, what);
	if (!_i) {
		ck_assert_uint_eq(st.dropped, 0);
		assert_same_set(&got, &want, what);
	}
	sniff_capture__close(cap);
	pkts_free(&got);
	pkts_free(&want);
}
END_TEST

/* Two workers, one file: every frame once, records in timestamp order, the
 * count in the file equal to "captured". */
START_TEST(test_workers_dump)
{
	struct pkts got = { 0 }, want = { 0 };
	struct sniff_capture *cap;
	struct sniff_dumper *d;
	struct sniff_stats st;
	struct watchdog w;
	char file[128], out[128], eb[256];
	long r;

	NEED_NS();
	tmpname(file, sizeof(file), "dumpsent");
	tmpname(out, sizeof(out), "dumpout");
	cap = open_workers(2, SNIFF_DELIVER_ORDERED, SNIFF_FANOUT_HASH);
	d = sniff_dumper__open(out, sniff_capture__linktype(cap), sniff_capture__snaplen(cap),
			       1, eb, sizeof(eb));
	ck_assert_msg(d != NULL, "%s", eb);
	run_framegen(3000, 5150, WK_MIX, file, "veth0");
	oracle_frames(file, "", &want);
	watchdog_start(&w, cap, 400);
	r = sniff_capture__dump(cap, -1, d);
	watchdog_stop(&w);
	ck_assert_int_eq(sniff_dumper__close(d), 0);
	ck_assert_msg(r == (long)want.n, "dump returned %ld, %zu frames sent", r, want.n);
	ck_assert_int_eq(sniff_capture__stats(cap, &st), 0);
	read_pcap(out, &got, 1);
	unlink(out);
	ck_assert_uint_eq(got.n, st.captured);
	assert_ts_order(&got, "file from 2 workers");
	assert_same_set(&got, &want, "file from 2 workers");
	assert_worker_stats(cap, want.n, "file from 2 workers");
	sniff_capture__close(cap);
	pkts_free(&got);
	pkts_free(&want);
}
END_TEST

static pid_t spawn(char *const argv[], const char *err_file)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(err_file ? err_file : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Wait for PID at most MS milliseconds (then kill it); the wait status. */
static int wait_bounded(pid_t pid, int ms)
{
	int status = 0, i;

	for (i = 0; i < ms / 5; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(5000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ck_abort_msg("pid %d did not finish within %d ms", (int)pid, ms);
	return status;
}

static int file_has(const char *file, const char *what)
{
	char buf[4096];
	FILE *f = fopen(file, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = 0;
	return strstr(buf, what) != NULL;
}

static long stat_line(const char *file, const char *what)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(file, "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, what))
			v = strtol(line, NULL, 10);
	fclose(f);
	return v;
}

/* Frames IFNAME has received (this namespace's /proc/net/dev), -1 if unknown. */
static long rx_packets(const char *ifname)
{
	char line[512], name[32];
	long v = -1, rx;
	FILE *f = fopen("/proc/net/dev", "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %31[^:]: %*s %ld", name, &rx) == 2 && !strcmp(name, ifname))
			v = rx;
	fclose(f);
	return v;
}

/* Threads of process PID. */
static int task_count(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* The real command: SIGINT while frames still arrive leaves a valid file
 * holding exactly "captured" packets, and the counts add up. */
START_TEST(test_sniff_sigint)
{
	char out[128], err[128], sent[128];
	char *sniff[] = { BUILDDIR "/sniffer/sniff", "-i", "veth1", "--workers", "2", "-w", out,
			  NULL };
	char *gen[] = { BUILDDIR "/tests/framegen", "-i", "veth0", "-n", "30000", "-s", "7",
			"-m", WK_MIX, "-w", sent, NULL };
	struct pkts got = { 0 };
	long captured, received, dropped, rx0;
	pid_t sp, gp;
	int i, status;

	NEED_NS();
	tmpname(out, sizeof(out), "sigint");
	tmpname(sent, sizeof(sent), "sigintsent");
	snprintf(err, sizeof(err), "/tmp/sniff-test-%d-sigint.err", (int)getpid());
	sp = spawn(sniff, err);
	for (i = 0; i < 600 && !file_has(err, "listening on"); i++)
		usleep(5000);
	ck_assert_msg(file_has(err, "listening on"), "sniff did not start");
	rx0 = rx_packets("veth1");
	gp = spawn(gen, NULL);
	/* the generator's start-up takes long in a sanitizer build on a busy
	 * machine: interrupt once frames flow, not after a fixed time */
	for (i = 0; i < 2000 && rx_packets("veth1") <= rx0; i++)
		usleep(1000);
	usleep(10000);
	/* a thread per worker walks its ring; the main thread merges and writes
	 * (a sanitizer may add a thread of its own) */
	i = task_count(sp);
	ck_assert_msg(i >= 3, "sniff --workers 2 -w runs %d threads, expected 3", i);
	kill(sp, SIGINT);
	status = wait_bounded(sp, 5000);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sniff exit status %d",
		      status);
	wait_bounded(gp, 10000);
	unlink(sent);
	captured = stat_line(err, "packets captured");
	received = stat_line(err, "received by filter");
	dropped = stat_line(err, "dropped by kernel");
	read_pcap(out, &got, 0);
	unlink(out);
	unlink(err);
	fprintf(stderr, "test_sniff_sigint: %ld of 30000 frames captured before SIGINT\n",
		captured);
	ck_assert_int_gt(captured, 0);
	ck_assert_int_eq((long)got.n, captured);
	ck_assert_int_eq(captured + dropped, received);
	assert_ts_order(&got, "sniff --workers 2 -w");
	pkts_free(&got);
}
END_TEST

static Suite *capture_suite(void)
{
	Suite *s = suite_create("capture");
	TCase *tc = tcase_create("live");
	int nf = (int)(sizeof(mix_filters) / sizeof(mix_filters[0]));

	tcase_add_unchecked_fixture(tc, ns_setup, ns_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_mix_ebpf, 0, nf);
	tcase_add_loop_test(tc, test_mix_classic, 0, nf);
	tcase_add_loop_test(tc, test_mix_set_filter, 0, nf);
	tcase_add_loop_test(tc, test_latency, 0, 2);
	tcase_add_test(tc, test_latency_after_burst);
	tcase_add_loop_test(tc, test_clock_set_back, 0, 2);
	tcase_add_test(tc, test_break_idle);
	tcase_add_test(tc, test_break_drains);
	tcase_add_test(tc, test_break_signal);
	tcase_add_test(tc, test_vlan);
	tcase_add_test(tc, test_direction);
	tcase_add_test(tc, test_loopback_once);
	tcase_add_test(tc, test_snaplen);
	tcase_add_test(tc, test_no_such_interface);
	tcase_add_test(tc, test_needs_cap_net_raw);
	tcase_add_test(tc, test_interface_down);
	tcase_add_test(tc, test_reloop_after_break);
	tcase_add_test(tc, test_promisc);
	tcase_add_test(tc, test_no_leak_at_start);
	tcase_add_test(tc, test_tun_raw);
	tcase_add_loop_test(tc, test_any, 0, (int)(sizeof(any_filters) / sizeof(any_filters[0])));
	tcase_add_loop_test(tc, test_interface_gone, 0, 2);
	tcase_add_test(tc, test_needs_cap_bpf);
	suite_add_tcase(s, tc);

	/* a namespace per test: set up in each test's own process */
	tc = tcase_create("workers");
	tcase_add_checked_fixture(tc, ns_setup, ns_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_workers_once, 0, 3);
	tcase_add_loop_test(tc, test_workers_fanout_modes, 0, 4);
	tcase_add_test(tc, test_workers_dump);
	tcase_add_loop_test(tc, test_workers_slow, 0, 2);
	tcase_add_loop_test(tc, test_dump_one_ring, 0, 2);
	tcase_add_test(tc, test_sniff_sigint);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(capture_suite());
	int failed;

	libc_clock_gettime = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT,
									   "clock_gettime");

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
