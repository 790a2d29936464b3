/* sniffcount.c - count packets and bytes with libsniff, the whole API in one
 * small program (see libsniff(3)):
 *
 *   sniffcount [-i IFACE | -r FILE] [-w WORKERS] [-c COUNT] [EXPRESSION]
 *
 * Live, it runs until COUNT packets or SIGINT/SIGTERM, then prints the exact
 * statistics; with several workers the callback may run on several threads
 * (PARALLEL delivery), so the counters are atomic.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sniff.h>

struct counts {
	atomic_ulong packets, bytes;
};

static struct sniff_capture *volatile cap_to_stop;

static void on_signal(int sig)
{
	(void)sig;
	if (cap_to_stop)
		sniff_capture__break(cap_to_stop); /* async-signal-safe */
}

static void on_packet(void *user, const struct sniff_pkthdr *h, const uint8_t *data)
{
	struct counts *c = user;

	(void)data;
	atomic_fetch_add_explicit(&c->packets, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->bytes, h->len, memory_order_relaxed);
}

static char *join(char **argv, int argc)
{
	size_t n = 1;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	s = calloc(1, n);
	for (i = 0; s && i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

int main(int argc, char **argv)
{
	const char *ifname = NULL, *file = NULL;
	struct counts c = { 0 };
	struct sniff_error ferr;
	struct sniff_stats st;
	struct sniff_capture *cap;
	struct sigaction sa;
	long count = 0, n;
	int opt, workers = 1, rc;
	char *expr, errbuf[256];

	while ((opt = getopt(argc, argv, "i:r:w:c:")) != -1) {
		switch (opt) {
		case 'i': ifname = optarg; break;
		case 'r': file = optarg; break;
		case 'w': workers = atoi(optarg); break;
		case 'c': count = atol(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-i IFACE | -r FILE] [-w WORKERS] [-c COUNT] "
				"[EXPRESSION]\n", argv[0]);
			return 2;
		}
	}
	if (!ifname == !file) {
		fprintf(stderr, "%s: give one of -i IFACE or -r FILE\n", argv[0]);
		return 2;
	}
	expr = join(argv + optind, argc - optind);
	if (file) {
		cap = sniff_capture__open_offline(file, errbuf, sizeof(errbuf));
		if (!cap) {
			fprintf(stderr, "%s: %s\n", argv[0], errbuf);
			return 1;
		}
	} else {
		SNIFF_OPTS(sniff_capture_opts, o, .workers = workers,
			   .delivery = SNIFF_DELIVER_PARALLEL);

		cap = sniff_capture__open(ifname, &o);
		if (!cap) {
			fprintf(stderr, "%s: %s: %s\n", argv[0], ifname, sniff_strerror(-errno));
			return 1;
		}
	}
	rc = sniff_capture__set_filter(cap, expr, 1, &ferr);
	if (rc) {
		sniff_error_print(stderr, argv[0], expr, &ferr);
		return 1;
	}
	if (!file && (rc = sniff_capture__activate(cap))) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], ifname, sniff_strerror(rc));
		return 1;
	}
	cap_to_stop = cap;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "%s: counting on %s with %d worker(s)\n", argv[0], file ? file : ifname,
		sniff_capture__workers(cap));

	n = sniff_capture__loop(cap, count, on_packet, &c);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", argv[0], sniff_strerror((int)n));
		return 1;
	}
	printf("%lu packets, %lu bytes\n", (unsigned long)atomic_load(&c.packets),
	       (unsigned long)atomic_load(&c.bytes));
	if (!file && sniff_capture__stats(cap, &st) == 0)
		printf("captured %llu received %llu dropped %llu\n",
		       (unsigned long long)st.captured, (unsigned long long)st.received,
		       (unsigned long long)st.dropped);
	cap_to_stop = NULL;
	sniff_capture__close(cap);
	free(expr);
	return 0;
}
