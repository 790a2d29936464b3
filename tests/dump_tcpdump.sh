#!/bin/bash
# sniff -d/-dd/-ddd against tcpdump -d/-dd/-ddd (libpcap's compiler) for the
# first slice of the language. Where our program has the same length as
# libpcap's, all three listings must be byte-identical; where it differs it must
# be shorter (never longer), and the difference is reported. Decisions on
# packets are checked by the unit tests; this test is about the printed form.
set -u
BUILDDIR=${BUILDDIR:-$PWD}
SNIFF=$BUILDDIR/sniffer/sniff
command -v tcpdump >/dev/null || { echo "SKIP: tcpdump not installed"; [ "${CI:-}" = true ] && exit 1; exit 77; }

exprs=(
	"" "ip" "ip6" "arp" "tcp" "udp" "icmp" "icmp6" "not ip" "ip or arp" "ip and tcp"
	"host 10.0.0.1" "src host 10.0.0.1" "dst host 10.0.0.1" "host 2001:db8::1"
	"src host 2001:db8::1" "dst host fe80::1" "port 80" "src port 53" "dst port 443"
	"tcp port 80" "udp port 53" "tcp dst port 22" "udp src port 123"
	"tcp and port 80" "host 10.0.0.1 and port 80" "tcp port 80 or tcp port 443"
	"ip && !tcp" "(tcp || udp) && port 53" "not (arp or icmp)" "icmp or icmp6"
	"host 192.168.1.1 or host 192.168.1.2" "src host 10.0.0.1 and dst host 10.0.0.2"
	"ip6 and tcp" "ip6 and udp port 53" "arp or (ip and not icmp)"
)

# Where sniff is deliberately longer than libpcap -O: libpcap's optimizer moves a
# test above a load that may fail, so a truncated frame gets another verdict
# than from libpcap's own unoptimized program. Each entry names such a frame
# (hex); the test checks that libpcap -O and -O0 disagree on it and that sniff
# keeps the -O0 verdict (the language's meaning: a failed load rejects).
declare -A deliberate=(
	# IPv6/TCP, source port 443, cut after the source port (56 bytes)
	["tcp port 80 or tcp port 443"]="00000000000000000000000086dd6000000000000640$(printf '00%.0s' $(seq 32))01bb"
	# IPv4 from 192.168.1.2, cut after the source address (30 bytes)
	["host 192.168.1.1 or host 192.168.1.2"]="0000000000000000000000000800450000140000000040060000c0a80102"
)
TMPD=$(mktemp -d /tmp/sniff-dump.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT
frame_pcap() { # hex -> $TMPD/f.pcap
	python3 - "$1" "$TMPD/f.pcap" <<'PY'
import struct, sys
fr = bytes.fromhex(sys.argv[1])
with open(sys.argv[2], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
    f.write(struct.pack('<IIII', 1, 0, len(fr), len(fr)) + fr)
PY
}
count() { "$@" 2>/dev/null | wc -l; }

same=0 shorter=0 longer=0 fails=0
for e in "${exprs[@]}"; do
	d_same=0
	for style in -d -dd -ddd; do
		exp=$(tcpdump -y EN10MB $style "$e" 2>/dev/null)
		got=$("$SNIFF" -y EN10MB $style "$e" 2>&1)
		if [ "$exp" = "$got" ]; then
			[ $style = -d ] && { same=$((same + 1)); d_same=1; }
			continue
		fi
		if [ $style != -d ]; then
			# Same program as libpcap's, so every format must print the same.
			[ $d_same = 1 ] && { fails=$((fails + 1)); echo "FAIL: '$e' $style differs"; }
			continue
		fi
		nexp=$(printf '%s\n' "$exp" | wc -l); ngot=$(printf '%s\n' "$got" | grep -c '^(')
		if [ "$ngot" -gt 0 ] && [ "$ngot" -lt "$nexp" ]; then
			shorter=$((shorter + 1))
			echo "shorter: '$e': $ngot instructions, libpcap $nexp"
		elif [ -n "${deliberate[$e]:-}" ]; then
			frame_pcap "${deliberate[$e]}"
			o1=$(count tcpdump -r "$TMPD/f.pcap" "$e"); o0=$(count tcpdump -O -r "$TMPD/f.pcap" "$e")
			us=$(count "$SNIFF" -r "$TMPD/f.pcap" "$e")
			if [ "$o1" != "$o0" ] && [ "$us" = "$o0" ] && [ "$ngot" -le $((nexp + 3)) ]; then
				longer=$((longer + 1))
				echo "longer on purpose: '$e': $ngot instructions, libpcap $nexp; on a truncated frame libpcap -O says $o1, -O0 and sniff say $o0"
			else
				fails=$((fails + 1))
				echo "FAIL: '$e': longer ($ngot vs $nexp) without the documented reason (libpcap -O $o1, -O0 $o0, sniff $us)"
			fi
		else
			fails=$((fails + 1))
			echo "FAIL: '$e' $style differs (ours $ngot, libpcap $nexp instructions)"
			diff <(printf '%s\n' "$exp") <(printf '%s\n' "$got") | head -20
		fi
	done
done
echo "dump vs tcpdump: ${#exprs[@]} expressions, $same identical, $shorter shorter, $longer longer on purpose, $fails failures"
[ $fails = 0 ]
