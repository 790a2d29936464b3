/* ebpf/translate.c: not written yet */
typedef int sniff_stub_ebpf_translate_c;
