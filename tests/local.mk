# tests/: unit tests (check), differential tests against libpcap/tcpdump, live
# tests in network namespaces. Run all with `make check`.
TEST_CPPFLAGS = $(AM_CPPFLAGS) -DSRCDIR='"$(abs_top_srcdir)"' -DBUILDDIR='"$(abs_top_builddir)"'
TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(PCAP_CFLAGS)
TEST_LIBS = libsniff_core.la $(CHECK_LIBS) $(PCAP_LIBS)
AM_TESTS_ENVIRONMENT = SRCDIR='$(abs_top_srcdir)' BUILDDIR='$(abs_top_builddir)' \
	CORPUS='$(abs_top_srcdir)/../shared/corpus'; export SRCDIR BUILDDIR CORPUS;
