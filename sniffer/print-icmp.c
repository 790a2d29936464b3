/* sniffer/print-icmp.c: not written yet */
typedef int sniff_stub_sniffer_print_icmp_c;
