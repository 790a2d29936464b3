# bench/: `make bench` (never part of `make check`): sniff beside tcpdump and
# libpcap in the same run, reported as ratios. bench/run.sh runs the parts
# (compile, kernel, offline, capture); `make bench BENCH="compile"` picks some.
EXTRA_DIST += bench/run.sh
EXTRA_PROGRAMS = bench/compile_bench
bench_compile_bench_SOURCES = bench/compile_bench.c
bench_compile_bench_CPPFLAGS = $(AM_CPPFLAGS)
bench_compile_bench_CFLAGS = $(AM_CFLAGS) $(PCAP_CFLAGS)
bench_compile_bench_LDADD = libsniff_core.la $(PCAP_LIBS)

.PHONY: bench bench-compile
bench: all bench/compile_bench$(EXEEXT)
	BUILDDIR='$(abs_top_builddir)' SRCDIR='$(abs_top_srcdir)' \
		SHARED_BENCH='$(CORPUS_DIR)/../bench' BENCH_ARGS='$(BENCH_ARGS)' \
		KBENCH_ARGS='$(KBENCH_ARGS)' $(SHELL) $(srcdir)/bench/run.sh $(BENCH)
bench-compile: bench/compile_bench$(EXEEXT)
	./bench/compile_bench$(EXEEXT) $(BENCH_ARGS)

# In-kernel filter cost: our eBPF vs a literal translation of libpcap's
# program (h8). Needs root; bench/run.sh runs it as part "kernel".
EXTRA_PROGRAMS += bench/kernel_bench
bench_kernel_bench_SOURCES = bench/kernel_bench.c
bench_kernel_bench_CPPFLAGS = $(AM_CPPFLAGS)
bench_kernel_bench_CFLAGS = $(AM_CFLAGS) $(PCAP_CFLAGS)
bench_kernel_bench_LDADD = libsniff_core.la $(PCAP_LIBS)

bench: bench/kernel_bench$(EXEEXT)
.PHONY: bench-kernel
bench-kernel: bench/kernel_bench$(EXEEXT)
	./bench/kernel_bench$(EXEEXT) $(KBENCH_ARGS)

# Long `or` lists as maps vs the plain compare chain, IPv4 and IPv6, 10 to
# 10,000 members (h14). Needs root; bench/run.sh runs it in part "kernel".
EXTRA_PROGRAMS += bench/maps_bench
bench_maps_bench_SOURCES = bench/maps_bench.c
bench_maps_bench_CPPFLAGS = $(AM_CPPFLAGS)
bench_maps_bench_CFLAGS = $(AM_CFLAGS) $(PCAP_CFLAGS)
bench_maps_bench_LDADD = libsniff_core.la $(PCAP_LIBS)
bench: bench/maps_bench$(EXEEXT)

# The benchmark programs are not part of `make check`; tests/suite.sh builds
# them anyway (-Werror) so a change that breaks `make bench` fails CI.
.PHONY: bench-programs
bench-programs: $(EXTRA_PROGRAMS)
