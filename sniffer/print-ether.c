/* sniffer/print-ether.c: not written yet */
typedef int sniff_stub_sniffer_print_ether_c;
