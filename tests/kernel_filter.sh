#!/bin/bash
# --kernel-filter and map-based list filters, end to end, in a private
# network namespace:
#   1. `sniff -r FILE --kernel-filter EXPR` (every packet through the loaded
#      eBPF program with BPF_PROG_TEST_RUN) prints exactly what `sniff -r FILE
#      EXPR` (the user-space interpreter) prints, on pcaps/sample.pcap and on
#      a capture of framegen's frames, for plain filters and long `or` lists;
#   2. live captures with a 1000-host filter, IPv4 and IPv6 (map lookups in
#      the kernel: bpftool lists the map), keep exactly the frames tcpdump -O
#      keeps.
# Needs root (netns, BPF): skips with a notice otherwise, fails when CI=true.
set -u
N=400
. "$(dirname "$0")/netns-lib.sh"
netns_setup sniff-kf

# framegen's sources are 10.1.0.1-8: a list from 10.1.0.5 on matches half.
python3 - "$TMP" <<'PY'
import sys
d = sys.argv[1]
hosts = [0x0a010005 + i for i in range(1000)]
open(d + "/hosts1000", "w").write(" or ".join(
    "host %d.%d.%d.%d" % (h >> 24, (h >> 16) & 255, (h >> 8) & 255, h & 255) for h in hosts))
# and fd00:1::1-8 (framegen's IPv6 sources): from fd00:1::5 on, half again
open(d + "/hosts6_1000", "w").write(" or ".join(
    "host fd00:1::%x" % (5 + i) for i in range(1000)))
PY

nsx "$FRAMEGEN" -i veth0 -n "$N" -s 11 -w "$TMP/gen.pcap" >/dev/null || { echo "FAIL: framegen"; exit 1; }

# 1. --kernel-filter against the interpreter.
compare() { # pcap label sniff-filter-args...
	local pcap=$1 label=$2 a b; shift 2
	a=$("$SNIFF" -n -r "$pcap" "$@" 2>/dev/null) || { fail "$label: sniff -r failed"; return; }
	b=$("$SNIFF" -n -r "$pcap" --kernel-filter "$@" 2>"$TMP/kf.err") ||
		{ fail "$label: --kernel-filter failed: $(head -2 "$TMP/kf.err")"; return; }
	if [ "$a" != "$b" ]; then
		fail "$label: --kernel-filter output differs"
		diff <(echo "$a") <(echo "$b") | head -5
	else
		echo "ok: $label: $(echo -n "$a" | grep -c '') lines"
	fi
}
for f in "" "tcp" "udp port 53" "arp" "ip6" "tcp[13] & 2 != 0" "not tcp" \
	"port 22 or port 53 or port 80 or port 123 or port 443 or port 8080 or port 1 or port 2"; do
	compare "$SRCDIR/pcaps/sample.pcap" "sample.pcap '$f'" $f
	compare "$TMP/gen.pcap" "framegen '$f'" $f
done
# `len` is the wire length, also where the file holds less (-s 60): the
# oracle is tcpdump itself on the cut file
"$SNIFF" -r "$TMP/gen.pcap" -s 60 -w "$TMP/cut.pcap" 2>/dev/null || fail "sniff -s 60 -w"
for f in "greater 100" "less 80" "len > 60 and len <= 120" "ip[2:2] > 80"; do
	compare "$TMP/cut.pcap" "cut to 60 bytes '$f'" $f
	a=$(tcpdump -n -r "$TMP/cut.pcap" $f 2>/dev/null | md5sum)
	b=$("$SNIFF" -n -r "$TMP/cut.pcap" --kernel-filter $f 2>/dev/null | md5sum)
	[ "$a" = "$b" ] || fail "cut to 60 bytes '$f': --kernel-filter differs from tcpdump"
	n=$(tcpdump -n -r "$TMP/cut.pcap" $f 2>/dev/null | grep -c '')
	[ "$n" -gt 0 ] && [ "$n" -lt "$N" ] || fail "cut to 60 bytes '$f': $n of $N match, expected some but not all"
done
compare "$TMP/gen.pcap" "framegen 1000 hosts" -F "$TMP/hosts1000"
compare "$TMP/gen.pcap" "framegen 1000 IPv6 hosts" -F "$TMP/hosts6_1000"
# the lists really are maps in what --kernel-filter loads
for h in hosts1000 hosts6_1000; do
	"$SNIFF" -d --ebpf -F "$TMP/$h" 2>/dev/null | grep -q "bpf_map_lookup_elem" ||
		fail "sniff -d --ebpf: the $h filter is not a map lookup"
done
# and the snap length the program returns is applied (-s 60: frames cut to 60)
a=$("$SNIFF" -r "$TMP/gen.pcap" -s 60 -w - tcp 2>/dev/null | tcpdump -r - -nn -xx 2>/dev/null | md5sum)
b=$("$SNIFF" -r "$TMP/gen.pcap" -s 60 --kernel-filter -w - tcp 2>/dev/null | tcpdump -r - -nn -xx 2>/dev/null | md5sum)
[ "$a" = "$b" ] || fail "-w output differs with --kernel-filter"

# 2. live captures with the 1000-host lists.
live() { # hosts-file label
	local hosts=$1 label=$2 exp got
	rm -f "$TMP/got.pcap" "$TMP/exp.pcap"
	start_sniff "$TMP/live.out" "$TMP/live.err" -i veth1 -w "$TMP/got.pcap" -F "$TMP/$hosts" ||
		{ fail "$label: sniff did not start"; return; }
	bpftool map show 2>/dev/null | grep -q "hash.*name sniff" ||
		fail "$label: no hash map named sniff while capturing"
	nsx "$FRAMEGEN" -i veth0 -n "$N" -s 11 >/dev/null || fail "$label: framegen"
	stop_sniff || fail "$label: sniff exited with status $?"
	# tcpdump -O: libpcap's optimizer needs minutes for 1000 hosts
	tcpdump -O -r "$TMP/gen.pcap" -w "$TMP/exp.pcap" -F "$TMP/$hosts" 2>/dev/null ||
		fail "$label: tcpdump"
	exp=$(tcpdump -r "$TMP/exp.pcap" 2>/dev/null | wc -l)
	got=$(tcpdump -r "$TMP/got.pcap" 2>/dev/null | wc -l)
	[ "$exp" -gt 0 ] && [ "$exp" -lt "$N" ] ||
		fail "$label: $exp of $N frames match: the test is too weak"
	if cmp -s <(tcpdump -r "$TMP/exp.pcap" -t -nn -xx 2>/dev/null) \
		<(tcpdump -r "$TMP/got.pcap" -t -nn -xx 2>/dev/null); then
		echo "ok: $label: $got of $N frames, exactly tcpdump's"
		check_counters "$TMP/live.err" "$exp" "$label"
	else
		fail "$label: captured $got frames, expected $exp (tcpdump -O)"
	fi
}
live hosts1000 "live 1000-host map filter"
live hosts6_1000 "live 1000-host IPv6 map filter"

[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
exit 0
