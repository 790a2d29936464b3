/* print_driver: read a pcap file with libpcap and print it with sniff's
 * printers, taking tcpdump's printing options, so tests can compare the
 * output with `tcpdump -r FILE` without the sniff command.
 *
 *   print_driver [-#eqSvxXtn] FILE
 */
#include "config.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sniffer/print.h"

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct print_ctx pc;
	struct pcap_pkthdr *ph;
	const u_char *data;
	pcap_t *p;
	int c, rc, linktype;
	SNIFF_OPTS(print_opts, po, .out = stdout);

	while ((c = getopt(argc, argv, "#eqSvxXtn")) != -1) {
		switch (c) {
		case '#':
			po.number = 1;
			break;
		case 'e':
			po.eflag = 1;
			break;
		case 'q':
			po.qflag++;
			break;
		case 'S':
			po.Sflag = 1;
			break;
		case 'v':
			po.vflag++;
			break;
		case 'x':
			po.xflag++;
			break;
		case 'X':
			po.Xflag++;
			break;
		case 't':
			po.tflag++;
			break;
		case 'n':
			break;
		default:
			fprintf(stderr, "usage: print_driver [-#eqSvxXtn] FILE\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: print_driver [-#eqSvxXtn] FILE\n");
		return 2;
	}
	/* tcpdump reads at microsecond precision unless told otherwise */
	p = pcap_open_offline_with_tstamp_precision(argv[optind], PCAP_TSTAMP_PRECISION_MICRO,
						    errbuf);
	if (!p) {
		fprintf(stderr, "print_driver: %s\n", errbuf);
		return 1;
	}
	linktype = pcap_datalink(p);
	if (print_init(&pc, &po) != 0)
		return 1;
	while ((rc = pcap_next_ex(p, &ph, &data)) == 1) {
		struct sniff_pkthdr h;

		memset(&h, 0, sizeof(h));
		h.ts_ns = (uint64_t)ph->ts.tv_sec * 1000000000u + (uint64_t)ph->ts.tv_usec * 1000u;
		h.caplen = ph->caplen;
		h.len = ph->len;
		print_packet_ts(&pc, linktype, &h, ph->ts.tv_sec, (uint32_t)ph->ts.tv_usec, data);
	}
	print_cleanup(&pc);
	if (rc == PCAP_ERROR) {
		/* tcpdump reports a damaged file after the packets it could read */
		fflush(stdout);
		fprintf(stderr, "print_driver: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	return 0;
}
