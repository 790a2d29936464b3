/* cbpf/interp.c: not written yet */
typedef int sniff_stub_cbpf_interp_c;
