/* ebpf/load.c: not written yet */
typedef int sniff_stub_ebpf_load_c;
