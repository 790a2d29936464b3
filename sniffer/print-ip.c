/* sniffer/print-ip.c: not written yet */
typedef int sniff_stub_sniffer_print_ip_c;
