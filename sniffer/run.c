/* run.c - sniff's main loop: capture from an interface or read a file, then print
 * each packet tcpdump's way or write it to a pcap file, and on exit print the
 * statistics tcpdump prints.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/ethtool.h>
#include <linux/if_arp.h>
#include <linux/sockios.h>
#include <sys/socket.h>
#include <unistd.h>

#include "print.h"
#include "sniffer.h"

struct run {
	const struct sniff_cmd *cmd;
	struct sniff_dumper *dumper;
	struct print_ctx *pc;
	int linktype;
	int write_error;
	int kfd;                /* --kernel-filter: the loaded eBPF program, else -1 */
	int kerr;               /* its first BPF_PROG_TEST_RUN failure */
};

/* The capture a signal handler must stop; set before the handlers are installed. */
static struct sniff_capture *volatile running_cap;

static void on_signal(int sig)
{
	(void)sig;
	if (running_cap)
		sniff_capture__break(running_cap);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A closed output pipe ends the loop through the write error instead. */
	signal(SIGPIPE, SIG_IGN);
}

static void on_packet(void *user, const struct sniff_pkthdr *h, const uint8_t *data)
{
	struct run *r = user;
	struct sniff_pkthdr kh;

	if (r->kfd >= 0) {
		/* the kernel decides; its value is the snap length, as live */
		uint32_t ret = 0;
		int e = sniff_ebpf_test_run_len(r->kfd, data, h->caplen, h->len, &ret);

		if (e < 0) {
			/* the kernel can no longer decide: stop rather than drop silently */
			if (!r->kerr)
				r->kerr = e;
			if (running_cap)
				sniff_capture__break(running_cap);
			return;
		}
		if (ret == 0)
			return;
		kh = *h;
		if (kh.caplen > ret)
			kh.caplen = ret;
		h = &kh;
	}

	if (r->dumper) {
		if (sniff_dumper__write(r->dumper, h, data) < 0 ||
		    (!r->cmd->buffered_write && sniff_dumper__flush(r->dumper) < 0))
			r->write_error = errno ? errno : EIO;
	} else {
		print_packet(r->pc, r->linktype, h, data);
		if (ferror(stdout))
			r->write_error = errno ? errno : EIO;
	}
	if (r->write_error && running_cap)
		sniff_capture__break(running_cap);
}

/* tcpdump's default device: the first interface that is up and running and not
 * a loopback. */
static const char *default_iface(char *buf, size_t sz)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	const char *found = NULL;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	for (i = ifs; fd >= 0 && i && i->if_index; i++) {
		struct ifreq ifr;

		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
			continue;
		if ((ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING) &&
		    !(ifr.ifr_flags & IFF_LOOPBACK)) {
			snprintf(buf, sz, "%s", i->if_name);
			found = buf;
			break;
		}
	}
	if (fd >= 0)
		close(fd);
	if (ifs)
		if_freenameindex(ifs);
	return found;
}

/* One line of `sniff -D`, with what libpcap 1.10's pcap_findalldevs knows. */
struct iface {
	char name[IF_NAMESIZE];
	unsigned flags;                    /* IF_* below */
	unsigned merit;                    /* lower sorts first */
};

enum {
	IF_UP = 1, IF_RUNNING = 2, IF_LOOPBACK = 4, IF_WIRELESS = 8,
	IF_STATUS_UNKNOWN = 0,             /* the status bits, as libpcap's */
	IF_CONNECTED = 0x10, IF_DISCONNECTED = 0x20, IF_NOT_APPLICABLE = 0x30,
	IF_STATUS = 0x30,
};

static int sysfs_exists(const char *name, const char *leaf)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, leaf);
	return access(path, F_OK) == 0;
}

static unsigned sysfs_type(const char *name)
{
	char path[96];
	unsigned type = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/type", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%u", &type) != 1)
			type = 0;
		fclose(f);
	}
	return type;
}

/* libpcap's get_if_flags: wireless or not, then the link state the driver
 * reports (ETHTOOL_GLINK); "not applicable" where the question makes no
 * sense (loopback, drivers without the call). */
static unsigned if_status(int fd, const char *name, unsigned flags)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_GLINK };
	struct ifreq ifr;

	if (flags & IF_LOOPBACK)
		return IF_NOT_APPLICABLE;
	if (sysfs_exists(name, "wireless")) {
		flags |= IF_WIRELESS;
	} else {
		switch (sysfs_type(name)) {
		case ARPHRD_LOOPBACK:
			return 0;
		case ARPHRD_IRDA: case ARPHRD_IEEE80211: case ARPHRD_IEEE80211_PRISM:
		case ARPHRD_IEEE80211_RADIOTAP: case ARPHRD_IEEE802154:
		case ARPHRD_IEEE802154_MONITOR: case ARPHRD_6LOWPAN:
			flags |= IF_WIRELESS;
			break;
		}
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		return (flags & IF_WIRELESS) |
			(errno == EOPNOTSUPP || errno == EINVAL ? IF_NOT_APPLICABLE : 0);
	return (flags & IF_WIRELESS) | (ev.data ? IF_CONNECTED : IF_DISCONNECTED);
}

/* libpcap's get_figure_of_merit: running, up, connected, not loopback first;
 * "any" after the other usable ones; ties keep the kernel's order. */
static unsigned if_merit(const struct iface *d)
{
	unsigned n = 0;

	if (!(d->flags & IF_RUNNING))
		n |= 0x80000000u;
	if (!(d->flags & IF_UP))
		n |= 0x40000000u;
	if (!(d->flags & IF_WIRELESS) && (d->flags & IF_STATUS) == IF_DISCONNECTED)
		n |= 0x20000000u;
	if (d->flags & IF_LOOPBACK)
		n |= 0x10000000u;
	if (strcmp(d->name, "any") == 0)
		n |= 0x08000000u;
	return n;
}

static void print_iface(int n, const struct iface *d)
{
	static const struct { unsigned bit; const char *text; } tok[] = {
		{ IF_UP, "Up" }, { IF_RUNNING, "Running" }, { IF_LOOPBACK, "Loopback" },
		{ IF_WIRELESS, "Wireless" },
	};
	static const char *const wired[] = { ", Connection status unknown", ", Connected",
					     ", Disconnected", "" };
	static const char *const wireless[] = { ", Association status unknown",
						", Associated", ", Not associated", "" };
	const char *sep = "";
	size_t i;

	printf("%d.%s", n, d->name);
	if (strcmp(d->name, "any") == 0)
		printf(" (Pseudo-device that captures on all interfaces)");
	if (d->flags) {
		printf(" [");
		for (i = 0; i < sizeof(tok) / sizeof(tok[0]); i++)
			if (d->flags & tok[i].bit) {
				printf("%s%s", sep, tok[i].text);
				sep = ", ";
			}
		if (!*sep)
			printf("none");
		printf("%s]", (d->flags & IF_WIRELESS ? wireless : wired)
		       [(d->flags & IF_STATUS) >> 4]);
	}
	putchar('\n');
}

/* tcpdump -D: every network interface and "any", in libpcap's order. The
 * non-network sources libpcap may add (D-Bus, netfilter, Bluetooth) are
 * left out: sniff cannot capture on them. */
int cmd_list_ifaces(const struct sniff_cmd *cmd)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct iface *list;
	size_t n = 0, k, j;

	if (!ifs || fd < 0) {
		cmd_error(cmd, "can't list interfaces: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		if (ifs)
			if_freenameindex(ifs);
		return 1;
	}
	for (i = ifs; i->if_index; i++)
		n++;
	list = calloc(n + 1, sizeof(*list));
	if (!list) {
		cmd_error(cmd, "can't list interfaces: %s", strerror(errno));
		if_freenameindex(ifs);
		close(fd);
		return 1;
	}
	for (n = 0, i = ifs; i->if_index; i++) {
		struct iface *d = &list[n];
		struct ifreq ifr;

		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
			continue; /* gone meanwhile */
		snprintf(d->name, sizeof(d->name), "%s", i->if_name);
		d->flags = (ifr.ifr_flags & IFF_UP ? IF_UP : 0) |
			(ifr.ifr_flags & IFF_RUNNING ? IF_RUNNING : 0) |
			(ifr.ifr_flags & IFF_LOOPBACK ? IF_LOOPBACK : 0);
		d->flags |= if_status(fd, d->name, d->flags);
		n++;
	}
	snprintf(list[n].name, sizeof(list[n].name), "any");
	list[n++].flags = IF_UP | IF_RUNNING | IF_NOT_APPLICABLE;
	/* a stable insertion sort, as libpcap inserts each device after the
	 * ones whose figure is not worse */
	for (k = 0; k < n; k++)
		list[k].merit = if_merit(&list[k]);
	for (k = 1; k < n; k++) {
		struct iface t = list[k];

		for (j = k; j > 0 && list[j - 1].merit > t.merit; j--)
			list[j] = list[j - 1];
		list[j] = t;
	}
	for (k = 0; k < n; k++)
		print_iface((int)k + 1, &list[k]);
	free(list);
	if_freenameindex(ifs);
	close(fd);
	return 0;
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

struct sniff_capture *cmd_open_offline(const struct sniff_cmd *cmd)
{
	char errbuf[512];
	struct sniff_capture *cap;

	cap = sniff_capture__open_offline(cmd->rfile, errbuf, sizeof(errbuf));
	/* Say which file, as every other error names its object. */
	if (!cap && strncmp(errbuf, cmd->rfile, strlen(cmd->rfile)))
		cmd_error(cmd, "%s: %s", cmd->rfile, errbuf);
	else if (!cap)
		cmd_error(cmd, "%s", errbuf);
	return cap;
}

static struct sniff_capture *open_capture(const struct sniff_cmd *cmd, const char **name)
{
	static char ifbuf[IF_NAMESIZE];
	struct sniff_capture *cap;

	if (cmd->rfile) {
		*name = cmd->rfile;
		return cmd_open_offline(cmd);
	}
	*name = cmd->iface ? cmd->iface : default_iface(ifbuf, sizeof(ifbuf));
	if (!*name) {
		cmd_error(cmd, "no interface is up to capture on: give one with -i (sniff -D lists them)");
		return NULL;
	}
	SNIFF_OPTS(sniff_capture_opts, o,
		   .snaplen = cmd->snaplen, .promisc = cmd->promisc,
		   .direction = (enum sniff_direction)cmd->direction,
		   .latency_ms = cmd->immediate ? 1 : cmd->latency_ms, .tstamp_nano = cmd->nano,
		   .buffer_size = cmd->buffer_size,
		   .workers = cmd->workers, .fanout = (enum sniff_fanout)cmd->fanout);
	cap = sniff_capture__open(*name, &o);
	if (!cap)
		cmd_lib_error(cmd, *name, -errno);
	return cap;
}

/* --kernel-filter: compile for the file as -r does (its snap length, no
 * netmask, VLAN tags in the data) and load as the live path would, except
 * that `len` is the file's wire length (see wirelen_in_cb). A refusal by
 * the kernel is reported here, in one line, and returns 1. */
static int load_kernel_filter(const struct sniff_cmd *cmd, struct sniff_capture *cap, int *fd,
			      struct sniff_error *err)
{
	SNIFF_OPTS(sniff_compile_opts, o, .snaplen = sniff_capture__snaplen(cap),
		   .optimize = cmd->optimize, .mode = SNIFF_MODE_SAVEFILE, .wirelen_in_cb = 1);
	struct sniff_ebpf_prog ep = { 0 };
	char log[512];
	int rc;

	rc = sniff_ebpf_compile(cmd->expr ? cmd->expr : "", sniff_capture__linktype(cap), &o,
				&ep, err);
	if (rc)
		return rc;
	rc = sniff_ebpf_load(&ep, log, sizeof(log));
	sniff_ebpf_free(&ep);
	if (rc < 0) {
		if (log[0])
			cmd_error(cmd, "the kernel refused the filter: %s", log);
		else
			cmd_lib_error(cmd, "the kernel refused the filter", rc);
		return 1;
	}
	*fd = rc;
	return 0;
}

int cmd_run(const struct sniff_cmd *cmd)
{
	struct print_ctx pc;
	struct run r = { .cmd = cmd, .pc = &pc };
	struct sniff_error ferr = { 0 };
	struct sniff_stats st = { 0 };
	struct sniff_capture *cap;
	const char *name;
	char errbuf[512];
	long n;
	int rc, status = 0;

	cap = open_capture(cmd, &name);
	if (!cap)
		return 1;
	r.linktype = sniff_capture__linktype(cap);
	r.kfd = -1;

	if (cmd->kernel_filter)
		rc = load_kernel_filter(cmd, cap, &r.kfd, &ferr);
	else
		rc = sniff_capture__set_filter(cap, cmd->expr, cmd->optimize, &ferr);
	if (rc) {
		if (rc > 0)
			; /* reported */
		else if (ferr.msg[0])
			cmd_filter_error(cmd, &ferr);
		else
			cmd_lib_error(cmd, "can't set the filter", rc);
		sniff_capture__close(cap);
		return 1;
	}
	if (!cmd->rfile) {
		rc = sniff_capture__activate(cap);
		if (rc) {
			cmd_lib_error(cmd, name, rc);
			sniff_capture__close(cap);
			return 1;
		}
	}
	if (cmd->wfile) {
		r.dumper = sniff_dumper__open(cmd->wfile, r.linktype, sniff_capture__snaplen(cap),
					      cmd->nano, errbuf, sizeof(errbuf));
		if (!r.dumper) {
			cmd_error(cmd, "%s", errbuf);
			sniff_capture__close(cap);
			return 1;
		}
	} else {
		SNIFF_OPTS(print_opts, po, .out = stdout, .tflag = cmd->tflag, .eflag = cmd->eflag,
			   .qflag = cmd->qflag, .vflag = cmd->vflag, .xflag = cmd->xflag,
			   .Xflag = cmd->Xflag, .Sflag = cmd->Sflag, .number = cmd->number,
			   .nano = cmd->nano);
		print_init(&pc, &po);
	}

	if (cmd->rfile) {
		fprintf(stderr, "reading from file %s, link-type %s (%s), snapshot length %u\n",
			name, sniff_linktype_name(r.linktype),
			sniff_linktype_description(r.linktype), sniff_capture__snaplen(cap));
	} else {
		if (!cmd->wfile && !cmd->vflag)
			fprintf(stderr, "%s: verbose output suppressed, use -v[v]... for full protocol decode\n",
				cmd->prog);
		else
			fprintf(stderr, "%s: ", cmd->prog);
		fprintf(stderr, "listening on %s, link-type %s (%s), snapshot length %u bytes\n",
			name, sniff_linktype_name(r.linktype), sniff_linktype_description(r.linktype),
			sniff_capture__snaplen(cap));
	}
	fflush(stderr);

	running_cap = cap;
	install_signals();
	/* -w: the library writes straight from the ring, in timestamp order */
	if (r.dumper && r.kfd < 0) {
		if (!cmd->buffered_write)
			sniff_dumper__set_packet_buffered(r.dumper, 1);
		n = sniff_capture__dump(cap, cmd->count, r.dumper);
	} else {
		n = sniff_capture__loop(cap, cmd->count, on_packet, &r);
	}
	if (n < 0) {
		cmd_lib_error(cmd, name, (int)n);
		status = 1;
	}
	if (r.kerr) {
		cmd_lib_error(cmd, "BPF_PROG_TEST_RUN", r.kerr);
		status = 1;
	}
	if (r.kfd >= 0)
		close(r.kfd);
	fflush(stdout);
	if (r.write_error && r.write_error != EPIPE) {
		cmd_error(cmd, "%s: %s", cmd->wfile ? cmd->wfile : "standard output", strerror(r.write_error));
		status = 1;
	}
	if (r.dumper && sniff_dumper__close(r.dumper) < 0) {
		cmd_error(cmd, "%s: %s", cmd->wfile, strerror(errno));
		status = 1;
	}
	if (!cmd->wfile)
		print_cleanup(&pc);
	if (!cmd->rfile && sniff_capture__stats(cap, &st) == 0) {
		fprintf(stderr, "%llu packet%s captured\n", (unsigned long long)st.captured, plural(st.captured));
		fprintf(stderr, "%llu packet%s received by filter\n", (unsigned long long)st.received,
			plural(st.received));
		fprintf(stderr, "%llu packet%s dropped by kernel\n", (unsigned long long)st.dropped,
			plural(st.dropped));
		if (st.ifdropped)
			fprintf(stderr, "%llu packet%s dropped by interface\n",
				(unsigned long long)st.ifdropped, plural(st.ifdropped));
	}
	running_cap = NULL;
	sniff_capture__close(cap);
	return status;
}
