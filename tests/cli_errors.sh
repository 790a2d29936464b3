#!/bin/bash
# Bad input to the sniff command: each case must give exit status 1, exactly one
# line on stderr (filter errors: the message line, then the expression and a
# caret line), nothing on stdout, and no output file left behind.
set -u
BUILDDIR=${BUILDDIR:-$PWD}
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
SNIFF=$BUILDDIR/sniffer/sniff
SAMPLE=$SRCDIR/pcaps/sample.pcap
TMP=$(mktemp -d /tmp/sniff-cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0 n=0

# case NAME EXPECTED-STDERR-REGEX LINES -- ARGS...
case_() {
	local name=$1 re=$2 lines=$3; shift 4
	n=$((n + 1))
	rm -f "$TMP/out.pcap"
	"$SNIFF" "$@" >"$TMP/stdout" 2>"$TMP/stderr"
	local rc=$? got
	got=$(wc -l <"$TMP/stderr")
	if [ $rc != 1 ]; then echo "FAIL: $name: exit status $rc, expected 1"; fails=$((fails + 1));
	elif [ "$got" != "$lines" ]; then echo "FAIL: $name: $got stderr lines, expected $lines"; cat "$TMP/stderr"; fails=$((fails + 1));
	elif ! grep -qE "$re" "$TMP/stderr"; then echo "FAIL: $name: stderr does not match /$re/:"; cat "$TMP/stderr"; fails=$((fails + 1));
	elif [ -s "$TMP/stdout" ]; then echo "FAIL: $name: wrote to stdout"; fails=$((fails + 1));
	elif [ -e "$TMP/out.pcap" ]; then echo "FAIL: $name: left an output file"; fails=$((fails + 1));
	else echo "ok: $name: $(head -1 "$TMP/stderr")"; fi
}

case_ "unknown option" "^sniff: unknown option '-Z'" 1 -- -Z
case_ "unknown long option" "^sniff: unknown option '--frobnicate'" 1 -- --frobnicate
case_ "missing argument" "^sniff: option '-c' needs an argument" 1 -- -r "$SAMPLE" -c
case_ "bad count" "^sniff: invalid packet count 'ten'" 1 -- -r "$SAMPLE" -c ten
case_ "bad snaplen" "^sniff: invalid snapshot length" 1 -- -r "$SAMPLE" -s 999999999
case_ "bad buffer size" "^sniff: invalid buffer size '0'" 1 -- -i lo -B 0 -w "$TMP/out.pcap"
case_ "bad latency" "^sniff: invalid latency '0\.5'" 1 -- -i lo --latency 0.5 -w "$TMP/out.pcap"
case_ "missing interface" "^sniff: no-such-if0: .*([Nn]o such (device|interface)|does not exist)" 1 -- -i no-such-if0 -w "$TMP/out.pcap"
case_ "unreadable file" "^sniff: .*/nonexistent.pcap: No such file or directory" 1 -- -r "$TMP/nonexistent.pcap" -w "$TMP/out.pcap"
printf 'this is not a capture file at all, just text\n' >"$TMP/bad.pcap"
case_ "not a pcap file" "^sniff: .*bad.pcap" 1 -- -r "$TMP/bad.pcap"
case_ "filter syntax" "^sniff: filter error at column 5: " 3 -- -r "$SAMPLE" -w "$TMP/out.pcap" "tcp port"
case_ "filter caret" "^      \^" 3 -- -r "$SAMPLE" "tcp port"
case_ "unbalanced paren" "^sniff: filter error at column [0-9]+: " 3 -- -r "$SAMPLE" "(tcp or udp"
case_ "bad address" "^sniff: filter error at column 6: " 3 -- -d -y EN10MB "host 1.2.3.4.5"
case_ "bad linktype" "^sniff: invalid data link type FOO" 1 -- -d -y FOO ip
case_ "ebpf without -d" "^sniff: --ebpf goes with -d" 1 -- --ebpf ip
case_ "bad -Q" "^sniff: invalid direction 'sideways'" 1 -- -Q sideways -r "$SAMPLE"

# Without privileges: one line that names the missing capability.
# nobody NAME REGEX ARGS...
nobody() {
	local name=$1 re=$2 rc; shift 2
	n=$((n + 1))
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		"$SNIFF" "$@" >"$TMP/stdout" 2>"$TMP/stderr"
	rc=$?
	if [ $rc = 1 ] && [ "$(wc -l <"$TMP/stderr")" = 1 ] && grep -qE "$re" "$TMP/stderr"; then
		echo "ok: $name: $(cat "$TMP/stderr")"
	else
		echo "FAIL: $name: exit $rc, stderr:"; cat "$TMP/stderr"; fails=$((fails + 1))
	fi
}
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	nobody "no privileges" "CAP_NET_RAW" -i lo
	# the kernel refuses the program (not the file): only if unprivileged BPF is off
	if [ "$(cat /proc/sys/kernel/unprivileged_bpf_disabled 2>/dev/null)" != 0 ]; then
		chmod 755 "$TMP"
		cp "$SAMPLE" "$TMP/sample.pcap" && chmod 644 "$TMP/sample.pcap"
		nobody "--kernel-filter without CAP_BPF" "^sniff: the kernel refused the filter: .*CAP_BPF" \
			-r "$TMP/sample.pcap" --kernel-filter tcp
	fi
else
	echo "SKIP: the no-privilege cases need root (to drop privileges) and setpriv"
	[ "${CI:-}" = true ] && fails=$((fails + 1))
fi

echo "cli errors: $n cases, $fails failures"
[ $fails = 0 ]
