# sniffer/: the sniff command and its protocol printers
bin_PROGRAMS += sniffer/sniff
noinst_HEADERS += sniffer/print.h sniffer/sniffer.h
# The printers are a convenience library so tests can drive them directly.
noinst_LTLIBRARIES += sniffer/libprint.la
sniffer_libprint_la_SOURCES = \
	sniffer/print.c \
	sniffer/print-ether.c \
	sniffer/print-arp.c \
	sniffer/print-ip.c \
	sniffer/print-ip6.c \
	sniffer/print-tcp.c \
	sniffer/print-udp.c \
	sniffer/print-icmp.c \
	sniffer/print-icmp6.c
sniffer_sniff_SOURCES = sniffer/main.c
sniffer_sniff_LDADD = sniffer/libprint.la libsniff.la
