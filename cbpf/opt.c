/* cbpf/opt.c: not written yet */
typedef int sniff_stub_cbpf_opt_c;
