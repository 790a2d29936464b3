# tests/: unit tests (check), differential tests against libpcap/tcpdump, live
# tests in network namespaces. Run all with `make check`.
TEST_CPPFLAGS = $(AM_CPPFLAGS) -DSRCDIR='"$(abs_top_srcdir)"' -DBUILDDIR='"$(abs_top_builddir)"' \
	-DCORPUS_DIR='"$(CORPUS_DIR)"'
TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(PCAP_CFLAGS)
TEST_LIBS = libsniff_core.la $(CHECK_LIBS) $(PCAP_LIBS)
AM_TESTS_ENVIRONMENT = SRCDIR='$(abs_top_srcdir)' BUILDDIR='$(abs_top_builddir)' \
	CORPUS='$(CORPUS_DIR)'; export SRCDIR BUILDDIR CORPUS;
AM_DISTCHECK_CONFIGURE_FLAGS = --with-corpus=$(CORPUS_DIR)
EXTRA_DIST += tests/suite.sh pcaps/make-sample.py pcaps/sample.pcap

# Command-level tests of the sniff program (the lead's): -d output against
# tcpdump's, and the live end-to-end capture in a network namespace.
TESTS += tests/cli_errors.sh tests/dump_tcpdump.sh tests/live_sniff.sh
EXTRA_DIST += tests/cli_errors.sh tests/dump_tcpdump.sh tests/live_sniff.sh tests/netns-lib.sh

# Corpus filters through our compiler, eb_translate and the kernel verifier,
# kernel verdicts against libpcap's (h8). Needs CAP_BPF: skips with a notice,
# fails when CI=true.
check_PROGRAMS += tests/test_kernel_corpus
TESTS += tests/test_kernel_corpus
tests_test_kernel_corpus_SOURCES = tests/test_kernel_corpus.c tests/testutil.c tests/testutil.h tests/corpus.c tests/corpus.h \
	tests/packets.c tests/packets.h
tests_test_kernel_corpus_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_kernel_corpus_CFLAGS = $(TEST_CFLAGS)
tests_test_kernel_corpus_LDADD = $(TEST_LIBS)
