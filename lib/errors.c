/* lib/errors.c: not written yet */
typedef int sniff_stub_lib_errors_c;
