/* cbpf/asm.c: not written yet */
typedef int sniff_stub_cbpf_asm_c;
