/* ebpf/dump.c: not written yet */
typedef int sniff_stub_ebpf_dump_c;
