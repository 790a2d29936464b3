/* lib/capture.c: not written yet */
typedef int sniff_stub_lib_capture_c;
