/* sniffer/print-arp.c: not written yet */
typedef int sniff_stub_sniffer_print_arp_c;
