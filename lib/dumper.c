/* lib/dumper.c: not written yet */
typedef int sniff_stub_lib_dumper_c;
