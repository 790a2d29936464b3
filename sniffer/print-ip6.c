/* sniffer/print-ip6.c: not written yet */
typedef int sniff_stub_sniffer_print_ip6_c;
