#!/bin/bash
# make bench: sniff side by side with tcpdump/libpcap in the same run, as ratios.
#
#   bench/run.sh [offline] [capture] [compile] [kernel]      (default: all)
#
# Uses the shared harness (../shared/bench: traffic generator, runstat, the
# offline/live scripts), copied into the build tree because the shared folder is
# read-only. Live runs happen in a private network namespace the harness creates
# and deletes. Never part of `make check`: timings are for reading, not gating.
set -u
BUILDDIR=${BUILDDIR:-$PWD}
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
SHARED=${SHARED_BENCH:-$SRCDIR/../shared/bench}
WORK=$BUILDDIR/bench/work
SNIFF=$BUILDDIR/sniffer/sniff
REPS=${BENCH_REPS:-5}
export TZ=GMT0   # same TZ for both tools (glibc stats /etc/localtime per packet otherwise)

[ -x "$SNIFF" ] || { echo "bench: build sniff first (make)"; exit 1; }
[ -d "$SHARED" ] || { echo "bench: shared bench harness not found at $SHARED"; exit 1; }
mkdir -p "$WORK" /tmp/bench
cp -f "$SHARED"/*.sh "$SHARED"/*.c "$SHARED"/*.py "$SHARED"/Makefile "$WORK"/ 2>/dev/null
chmod u+w "$WORK"/*
make -s -C "$WORK" >/dev/null || { echo "bench: cannot build the shared harness"; exit 1; }

what=("$@")
[ ${#what[@]} -gt 0 ] || what=(compile kernel offline capture)

for w in "${what[@]}"; do
	case $w in
	offline)
		echo "## offline: 200,000 packets from a file, page-cached (CPU s, paired ratios vs tcpdump)"
		[ -f "$WORK/mid.pcap" ] || "$WORK/gen" -w "$WORK/mid.pcap" -n 200000 -s 1 >/dev/null
		(cd "$WORK" && ./bench_offline.sh -R "$REPS" -W 1 -- \
			"tcpdump -r mid.pcap -w /dev/null 'tcp port 80'" \
			"$SNIFF -r mid.pcap -w /dev/null 'tcp port 80'" \
			"tcpdump -nn -r mid.pcap 'tcp port 80' > /dev/null" \
			"$SNIFF -n -r mid.pcap 'tcp port 80' > /dev/null")
		;;
	capture)
		echo "## live: 1,000,000 frames at 100k pps into veth1 (CPU per captured packet, paired ratios vs tcpdump)"
		# cmd2: tcpdump's block timeout (1 s) instead of sniff's 7 ms: while
		# blocks take longer than 7 ms to fill, the difference is the wake-ups
		(cd "$WORK" && ./bench_capture.sh -n 1000000 -r 100000 -R "$REPS" -f 'udp port 53' -- \
			"tcpdump -i veth1 -B 65536 -w /dev/null 'udp port 53'" \
			"$SNIFF -i veth1 -w /dev/null 'udp port 53'" \
			"$SNIFF -i veth1 --latency 1000 -w /dev/null 'udp port 53'")
		# cmd2: two fanout workers, one ordered writer; cmd3: the null consumer
		# (ring walked, empty callback: the floor under any consumer)
		(cd "$WORK" && ./bench_capture.sh -n 1000000 -r 100000 -R "$REPS" -f all -- \
			"tcpdump -i veth1 -B 65536 -w /dev/null" \
			"$SNIFF -i veth1 -w /dev/null" \
			"$SNIFF -i veth1 --workers 2 -w /dev/null" \
			"$BUILDDIR/examples/nullcap -i veth1")
		echo "## live: 2,000,000 frames at the generator's full rate (drops: kdrop_pct; default ring sizes)"
		(cd "$WORK" && ./bench_capture.sh -n 2000000 -R "$REPS" -f all -- \
			"tcpdump -i veth1 -B 65536 -w /dev/null" \
			"$SNIFF -i veth1 -w /dev/null" \
			"$SNIFF -i veth1 --workers 2 -w /dev/null")
		echo "## idle: 10 s on a silent interface (CPU and wake-ups: none expected)"
		(cd "$WORK" && ./bench_capture.sh -n 1 -R 1 -I 10 -f all -- \
			"tcpdump -i veth1 -B 65536 -w /dev/null" \
			"$SNIFF -i veth1 -w /dev/null")
		;;
	compile)
		if [ -x "$BUILDDIR/bench/compile_bench" ]; then
			echo "## compile: sniff vs pcap_compile"
			"$BUILDDIR/bench/compile_bench" ${BENCH_ARGS:-}
		else
			echo "## compile: bench/compile_bench not built"
		fi
		;;
	kernel)
		if [ -x "$BUILDDIR/bench/kernel_bench" ]; then
			echo "## in-kernel filter cost: our eBPF vs a literal translation of libpcap's program"
			"$BUILDDIR/bench/kernel_bench" ${KBENCH_ARGS:-}
		else
			echo "## kernel: bench/kernel_bench not built"
		fi
		if [ -x "$BUILDDIR/bench/maps_bench" ]; then
			"$BUILDDIR/bench/maps_bench"
		else
			echo "## kernel: bench/maps_bench not built"
		fi
		;;
	*) echo "bench: unknown part '$w' (offline, capture, compile, kernel)"; exit 2 ;;
	esac
done
