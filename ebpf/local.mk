# ebpf/: classic -> eBPF translation, loader, eBPF dumps
noinst_HEADERS += ebpf/ebpf.h
libsniff_core_la_SOURCES += \
	ebpf/translate.c \
	ebpf/cache.c \
	ebpf/btf.c \
	ebpf/loop.c \
	ebpf/load.c \
	ebpf/lists.c \
	ebpf/sets.c \
	ebpf/shape.c \
	ebpf/keys.c \
	ebpf/dump.c

# Needs CAP_BPF (root): skips with a notice otherwise, fails when CI=true.
# SNIFF_EBPF_PROGS / SNIFF_EBPF_KPROGS size the random runs, SNIFF_SEED repeats one.
check_PROGRAMS += tests/test_ebpf
TESTS += tests/test_ebpf
tests_test_ebpf_SOURCES = tests/test_ebpf.c tests/testutil.c tests/testutil.h
tests_test_ebpf_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_ebpf_CFLAGS = $(TEST_CFLAGS)
tests_test_ebpf_LDADD = $(TEST_LIBS)

# Long `or` lists as map lookups, programs past 4096 instructions, the
# kernel's verdicts against libpcap's (BPF_PROG_TEST_RUN; live in a netns).
check_PROGRAMS += tests/test_ebpf_lists
TESTS += tests/test_ebpf_lists
tests_test_ebpf_lists_SOURCES = tests/test_ebpf_lists.c tests/testutil.c tests/testutil.h tests/netns.c tests/netns.h
tests_test_ebpf_lists_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_ebpf_lists_CFLAGS = $(TEST_CFLAGS)
tests_test_ebpf_lists_LDADD = $(TEST_LIBS)

# sniff -r --kernel-filter against the interpreter, and a live capture with a
# 1000-host map filter, in a private network namespace (root; skips otherwise).
TESTS += tests/kernel_filter.sh
EXTRA_DIST += tests/kernel_filter.sh

# protochain in the kernel as a bounded loop (ebpf/loop.c) against libpcap's
# own looping program and our unrolled one (root; skips otherwise).
check_PROGRAMS += tests/test_ebpf_protochain
TESTS += tests/test_ebpf_protochain
tests_test_ebpf_protochain_SOURCES = tests/test_ebpf_protochain.c tests/testutil.c tests/testutil.h
tests_test_ebpf_protochain_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_ebpf_protochain_CFLAGS = $(TEST_CFLAGS)
tests_test_ebpf_protochain_LDADD = $(TEST_LIBS)
