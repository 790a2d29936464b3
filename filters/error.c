/* filters/error.c: not written yet */
typedef int sniff_stub_filters_error_c;
