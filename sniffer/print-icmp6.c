/* sniffer/print-icmp6.c: not written yet */
typedef int sniff_stub_sniffer_print_icmp6_c;
