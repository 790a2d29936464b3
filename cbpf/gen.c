/* cbpf/gen.c: not written yet */
typedef int sniff_stub_cbpf_gen_c;
