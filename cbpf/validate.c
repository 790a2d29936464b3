/* cbpf/validate.c: not written yet */
typedef int sniff_stub_cbpf_validate_c;
