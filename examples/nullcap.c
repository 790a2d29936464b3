/* nullcap.c - the null consumer for `make bench`: the capture loop walks the
 * ring and calls an empty callback, so its CPU cost is the floor under any
 * real consumer (sniff -w pays this plus writing).
 *
 *   nullcap -i IFACE [-w WORKERS] [EXPRESSION]
 *
 * Stops on SIGINT/SIGTERM and prints tcpdump's closing lines, which the
 * benchmark scripts parse.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sniff.h>

static struct sniff_capture *volatile cap_to_stop;

static void on_signal(int sig)
{
	(void)sig;
	if (cap_to_stop)
		sniff_capture__break(cap_to_stop);
}

static void on_packet(void *user, const struct sniff_pkthdr *h, const uint8_t *data)
{
	(void)user;
	(void)h;
	(void)data;
}

int main(int argc, char **argv)
{
	const char *ifname = NULL, *expr = "";
	struct sniff_capture *cap;
	struct sniff_error ferr;
	struct sniff_stats st;
	struct sigaction sa;
	int opt, workers = 1;

	while ((opt = getopt(argc, argv, "i:w:")) != -1) {
		if (opt == 'i')
			ifname = optarg;
		else if (opt == 'w')
			workers = atoi(optarg);
		else
			return 2;
	}
	if (optind < argc)
		expr = argv[optind];
	if (!ifname) {
		fprintf(stderr, "usage: %s -i IFACE [-w WORKERS] [EXPRESSION]\n", argv[0]);
		return 2;
	}
	{
		SNIFF_OPTS(sniff_capture_opts, o, .workers = workers);

		cap = sniff_capture__open(ifname, &o);
	}
	if (!cap || sniff_capture__set_filter(cap, expr, 1, &ferr) ||
	    sniff_capture__activate(cap)) {
		fprintf(stderr, "%s: %s: cannot capture\n", argv[0], ifname);
		return 1;
	}
	cap_to_stop = cap;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "%s: listening on %s\n", argv[0], ifname);
	if (sniff_capture__loop(cap, -1, on_packet, NULL) < 0)
		return 1;
	sniff_capture__stats(cap, &st);
	fprintf(stderr, "%llu packets captured\n%llu packets received by filter\n"
		"%llu packets dropped by kernel\n", (unsigned long long)st.captured,
		(unsigned long long)st.received, (unsigned long long)st.dropped);
	sniff_capture__close(cap);
	return 0;
}
