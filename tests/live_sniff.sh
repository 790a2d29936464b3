#!/bin/bash
# Live end-to-end test of the sniff command, in a private network namespace.
#
# For each filter: start `sniff -i veth1 -w FILE FILTER` (and a printing run),
# send a known mix of frames built with libnet (tests/framegen) into veth0, stop
# sniff with SIGINT, then check against tcpdump/libpcap on the frames sent:
#   - the file holds exactly the matching frames, byte for byte, in order;
#   - "captured" == "received by filter" == the expected count, 0 dropped;
#   - while sniff runs, the kernel lists our eBPF socket filter (bpftool);
#   - printed lines equal tcpdump's lines for the same frames (-t, no times);
#   - the same with two workers (threads), whose rings are merged back in order.
# Needs root (netns, AF_PACKET, BPF): skips with a notice otherwise, and fails
# instead of skipping when CI=true.
set -u
N=${LIVE_FRAMES:-300}
. "$(dirname "$0")/netns-lib.sh"
netns_setup sniff-live

run_filter() {
	# $2: more options (--workers 2: one thread per ring, merged in order)
	local f=$1 x=${2:-} label="filter '$1'${2:+ ($2)}" exp got before=$fails
	# 1. -w: the file must hold exactly the matching frames.
	start_sniff "$TMP/w.out" "$TMP/w.err" -i veth1 $x -w "$TMP/got.pcap" $f || { fail "$label: start"; return; }
	if [ "${CHECKED_BPFTOOL:-0}" = 0 ]; then
		bpftool prog show | grep -A0 "socket_filter" | grep -q "name sniff" ||
			fail "$label: no eBPF socket_filter named sniff in 'bpftool prog show' while capturing"
		CHECKED_BPFTOOL=1
	fi
	nsx "$FRAMEGEN" -i veth0 -n "$N" -s 7 -w "$TMP/sent.pcap" >/dev/null || { fail "$label: framegen"; stop_sniff; return; }
	stop_sniff || fail "$label: sniff exited with status $?"
	tcpdump -r "$TMP/sent.pcap" -w "$TMP/exp.pcap" $f 2>/dev/null || { fail "$label: tcpdump"; return; }
	exp=$(tcpdump -r "$TMP/exp.pcap" 2>/dev/null | wc -l)
	got=$(tcpdump -r "$TMP/got.pcap" 2>/dev/null | wc -l)
	[ "$exp" -gt 0 ] || [ "$f" = "icmp6" ] || fail "$label: the mix has no matching frame (test is too weak)"
	cmp -s <(tcpdump -r "$TMP/exp.pcap" -t -nn -xx 2>/dev/null) <(tcpdump -r "$TMP/got.pcap" -t -nn -xx 2>/dev/null) ||
		fail "$label: -w file differs from the expected frames ($got frames, expected $exp)"
	check_counters "$TMP/w.err" "$exp" "$label (-w)"

	# 2. printing: the same lines as tcpdump prints for the expected frames.
	start_sniff "$TMP/p.out" "$TMP/p.err" -i veth1 $x -t -n $f || { fail "$label: start (print)"; return; }
	nsx "$FRAMEGEN" -i veth0 -n "$N" -s 7 >/dev/null || fail "$label: framegen"
	stop_sniff || fail "$label: sniff (print) exited with status $?"
	tcpdump -r "$TMP/exp.pcap" -t -n 2>/dev/null >"$TMP/p.exp"
	cmp -s "$TMP/p.exp" "$TMP/p.out" || { fail "$label: printed lines differ from tcpdump's";
		diff "$TMP/p.exp" "$TMP/p.out" | head -5; }
	check_counters "$TMP/p.err" "$exp" "$label (print)"
	[ $fails = "$before" ] && echo "ok: $label: $exp of $N frames captured and printed, counters exact"
}

for f in "" "tcp" "udp port 53" "arp or icmp" "ip6" "tcp port 80 and not src port 80" \
	"host 10.1.0.1 or host 10.1.0.2" "not ip and not arp" "icmp6"; do
	run_filter "$f"
done
# several workers: the file and the printed lines are still in the order sent
for f in "" "tcp port 80 and not src port 80"; do
	run_filter "$f" "--workers 2"
done
# -B (KiB, as tcpdump) and --latency reach the ring the kernel reports: 2 MiB
# in 16 blocks of 128 KiB, the block timeout 7/10 of 50 ms; and capture stays exact
run_filter "udp port 53" "-B 2048 --latency 50"
if start_sniff "$TMP/b.out" "$TMP/b.err" -i veth1 -B 2048 --latency 50 -w "$TMP/b.pcap"; then
	ring=$(nsx ss -0 -e -i | grep -o 'ring_rx([^)]*)')
	case $ring in
	*blk_size:131072,blk_nr:16,*tmo:35,*) echo "ok: -B 2048 --latency 50: $ring" ;;
	*) fail "-B 2048 --latency 50: the kernel reports '$ring'" ;;
	esac
	stop_sniff || fail "-B: sniff exited with status $?"
else
	fail "-B: start"
fi
echo "live test: $fails failure(s)"
[ $fails = 0 ]
