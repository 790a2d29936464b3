/* offline.c - capture handles that read pcap and pcapng files through
 * libpcap's savefile reader (nanosecond precision); filters run in our own
 * interpreter, with savefile semantics (VLAN tags are in the data). */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "lib.h"

struct sniff_capture *sniff_capture__open_offline(const char *path, char *errbuf,
						  size_t errbuf_sz)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct sniff_capture *cap;
	pcap_t *p;

	if (errbuf && errbuf_sz)
		errbuf[0] = 0;
	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!p) {
		/* libpcap gives a message but no errno for format errors. */
		int err = errno && errno != EINVAL ? errno : EINVAL;

		if (errbuf && errbuf_sz)
			snprintf(errbuf, errbuf_sz, "%s", ebuf);
		lib_log(SNIFF_LOG_ERROR, "%s", ebuf);
		errno = err;
		return NULL;
	}
	cap = cap_new_offline();
	if (!cap) {
		pcap_close(p);
		errno = ENOMEM;
		return NULL;
	}
	cap->pcap = p;
	cap->linktype = pcap_datalink(p);
	cap->snaplen = (uint32_t)pcap_snapshot(p);
	return cap;
}

int off_set_prog(struct sniff_capture *cap, const struct sniff_prog *prog)
{
	struct sniff_insn *copy;

	copy = malloc(prog->len * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, prog->insns, prog->len * sizeof(*copy));
	free(cap->prog.insns);
	cap->prog.insns = copy;
	cap->prog.len = prog->len;
	return 0;
}

int off_set_filter(struct sniff_capture *cap, const char *expr, int optimize,
		   struct sniff_error *err)
{
	SNIFF_OPTS(sniff_compile_opts, o, .optimize = optimize, .mode = SNIFF_MODE_SAVEFILE);
	struct sniff_prog prog = { 0 };
	int ret;

	/* tcpdump -r compiles with the file's snap length and no netmask. */
	o.snaplen = cap->snaplen;
	o.netmask = SNIFF_NETMASK_UNKNOWN;
	ret = sniff_compile(expr ? expr : "", cap->linktype, &o, &prog, err);
	if (ret)
		return ret;
	ret = sniff_capture__set_prog(cap, &prog, NULL, 0);
	sniff_prog_free(&prog);
	return ret;
}

long off_loop(struct sniff_capture *cap, long count, sniff_packet_cb cb, void *user)
{
	long n = 0;

	while (count <= 0 || n < count) {
		struct pcap_pkthdr *ph;
		const u_char *data;
		struct sniff_pkthdr hdr;
		int r;

		if (atomic_load(&cap->break_req)) {
			atomic_store(&cap->break_req, 0);
			break;
		}
		r = pcap_next_ex(cap->pcap, &ph, &data);
		if (r == PCAP_ERROR_BREAK)  /* end of file */
			break;
		if (r < 0) {
			lib_log(SNIFF_LOG_ERROR, "%s", pcap_geterr(cap->pcap));
			return -EIO;
		}
		if (cap->prog.len &&
		    !sniff_prog_run(&cap->prog, data, ph->len, ph->caplen))
			continue;
		memset(&hdr, 0, sizeof(hdr));
		/* With nanosecond precision libpcap puts nanoseconds in tv_usec. */
		hdr.ts_ns = (uint64_t)ph->ts.tv_sec * 1000000000u + (uint64_t)ph->ts.tv_usec;
		hdr.caplen = ph->caplen;
		hdr.len = ph->len;
		cap->st.captured++;
		cap->st.received++;
		cb(user, &hdr, data);
		n++;
	}
	return n;
}

void off_close(struct sniff_capture *cap)
{
	if (cap->pcap)
		pcap_close(cap->pcap);
	cap->pcap = NULL;
	free(cap->prog.insns);
	cap->prog.insns = NULL;
}
