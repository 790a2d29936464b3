/* cbpf/dump.c: not written yet */
typedef int sniff_stub_cbpf_dump_c;
