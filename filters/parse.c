/* filters/parse.c: not written yet */
typedef int sniff_stub_filters_parse_c;
