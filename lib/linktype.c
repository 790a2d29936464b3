/* lib/linktype.c: not written yet */
typedef int sniff_stub_lib_linktype_c;
