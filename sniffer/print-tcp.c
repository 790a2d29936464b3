/* sniffer/print-tcp.c: not written yet */
typedef int sniff_stub_sniffer_print_tcp_c;
