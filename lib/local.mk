# lib/: the capture engine and the rest of the public API
noinst_HEADERS += lib/lib.h
libsniff_core_la_SOURCES += \
	lib/errors.c \
	lib/linktype.c \
	lib/capture.c \
	lib/ring.c \
	lib/workers.c \
	lib/merge.c \
	lib/cooked.c \
	lib/offline.c \
	lib/dumper.c

# tests of lib/ (registered here: tests/local.mk holds only the shared flags)
check_PROGRAMS += tests/test_lib tests/test_capture tests/framegen
TESTS += tests/test_lib tests/test_capture
tests_test_lib_SOURCES = tests/test_lib.c
tests_test_lib_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_lib_CFLAGS = $(TEST_CFLAGS)
tests_test_lib_LDADD = $(TEST_LIBS)
tests_test_capture_SOURCES = tests/test_capture.c tests/testutil.c tests/testutil.h tests/netns.c tests/netns.h
tests_test_capture_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_capture_CFLAGS = $(TEST_CFLAGS)
tests_test_capture_LDADD = $(TEST_LIBS) -lpthread
# framegen: a helper the live tests run, never a test itself
tests_framegen_SOURCES = tests/framegen.c
tests_framegen_CPPFLAGS = $(AM_CPPFLAGS)
tests_framegen_CFLAGS = $(AM_CFLAGS) $(PCAP_CFLAGS)
tests_framegen_LDADD = $(PCAP_LIBS) $(LIBNET_LIBS)

# libsniff(3), and its example program (public API only), run by
# tests/test_example.sh against tcpdump and, live, the frames sent
dist_man_MANS += docs/libsniff.3
noinst_PROGRAMS += examples/sniffcount
examples_sniffcount_SOURCES = examples/sniffcount.c
examples_sniffcount_LDADD = libsniff.la
# the null consumer of `make bench` (bench/run.sh, part capture)
noinst_PROGRAMS += examples/nullcap
examples_nullcap_SOURCES = examples/nullcap.c
examples_nullcap_LDADD = libsniff.la
TESTS += tests/test_example.sh
EXTRA_DIST += tests/test_example.sh

# sniff -D against tcpdump -D in a namespace of known interfaces (h15)
TESTS += tests/iflist.sh
EXTRA_DIST += tests/iflist.sh
