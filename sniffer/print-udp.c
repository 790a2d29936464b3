/* sniffer/print-udp.c: not written yet */
typedef int sniff_stub_sniffer_print_udp_c;
