/* cbpf/compile.c: not written yet */
typedef int sniff_stub_cbpf_compile_c;
