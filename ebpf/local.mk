# ebpf/: classic -> eBPF translation, loader, eBPF dumps
noinst_HEADERS += ebpf/ebpf.h
libsniff_core_la_SOURCES += \
	ebpf/translate.c \
	ebpf/load.c \
	ebpf/dump.c

# Needs CAP_BPF (root): skips with a notice otherwise, fails when CI=true.
# SNIFF_EBPF_PROGS / SNIFF_EBPF_KPROGS size the random runs, SNIFF_SEED repeats one.
check_PROGRAMS += tests/test_ebpf
TESTS += tests/test_ebpf
tests_test_ebpf_SOURCES = tests/test_ebpf.c
tests_test_ebpf_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_ebpf_CFLAGS = $(TEST_CFLAGS)
tests_test_ebpf_LDADD = $(TEST_LIBS)
