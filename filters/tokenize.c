/* filters/tokenize.c: not written yet */
typedef int sniff_stub_filters_tokenize_c;
