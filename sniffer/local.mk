# sniffer/: the sniff command and its protocol printers
bin_PROGRAMS += sniffer/sniff
noinst_HEADERS += sniffer/print.h sniffer/sniffer.h
# The printers are a convenience library so tests can drive them directly.
noinst_LTLIBRARIES += sniffer/libprint.la
sniffer_libprint_la_SOURCES = \
	sniffer/print.c \
	sniffer/print-ether.c \
	sniffer/print-sll.c \
	sniffer/print-null.c \
	sniffer/print-raw.c \
	sniffer/print-arp.c \
	sniffer/print-llc.c \
	sniffer/print-stp.c \
	sniffer/print-ip.c \
	sniffer/print-ip6.c \
	sniffer/print-esp.c \
	sniffer/print-tcp.c \
	sniffer/print-udp.c \
	sniffer/print-txtproto.c \
	sniffer/print-domain.c \
	sniffer/print-bootp.c \
	sniffer/print-vxlan.c \
	sniffer/print-ntp.c \
	sniffer/print-igmp.c \
	sniffer/print-ssh.c \
	sniffer/print-icmp.c \
	sniffer/print-icmp6.c
sniffer_sniff_SOURCES = sniffer/main.c sniffer/dumpcode.c sniffer/run.c
sniffer_sniff_LDADD = sniffer/libprint.la libsniff.la

# Printer tests: a driver that prints a pcap with libprint (tests/print_driver.c)
# and tests/test_print.c, which compares it with tcpdump on the corpus.
check_PROGRAMS += tests/print_driver tests/test_print
tests_print_driver_SOURCES = tests/print_driver.c
tests_print_driver_CFLAGS = $(AM_CFLAGS) $(PCAP_CFLAGS)
tests_print_driver_LDADD = sniffer/libprint.la $(PCAP_LIBS)
tests_test_print_SOURCES = tests/test_print.c tests/testutil.c tests/testutil.h tests/print_cases.h
tests_test_print_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_print_CFLAGS = $(TEST_CFLAGS)
tests_test_print_LDADD = sniffer/libprint.la $(TEST_LIBS)
TESTS += tests/test_print
