/* cbpf/names.c: not written yet */
typedef int sniff_stub_cbpf_names_c;
