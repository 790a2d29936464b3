/* lib/offline.c: not written yet */
typedef int sniff_stub_lib_offline_c;
