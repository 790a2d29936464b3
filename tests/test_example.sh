#!/bin/bash
# The example program of libsniff(3), examples/sniffcount, held to tcpdump on
# pcap files (packet counts per filter) and, live in a private network
# namespace, to the frames tests/framegen sent (2 workers, stopped by SIGINT:
# every frame counted once, captured == received, nothing dropped).
# The live half needs root: it skips with a notice, and fails when CI=true.
set -u
BUILDDIR=${BUILDDIR:-$PWD}
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
EX=$BUILDDIR/examples/sniffcount
FRAMEGEN=$BUILDDIR/tests/framegen
PCAP=$SRCDIR/pcaps/sample.pcap
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

[ -x "$EX" ] || { echo "FAIL: build examples/sniffcount first"; exit 1; }
command -v tcpdump >/dev/null || { echo "SKIP: tcpdump not installed"; exit 77; }

for f in "" "tcp" "udp port 53" "ip6" "not ip" "greater 100"; do
	want=$(tcpdump -r "$PCAP" $f 2>/dev/null | wc -l)
	got=$("$EX" -r "$PCAP" $f 2>/dev/null | sed -n 's/^\([0-9]*\) packets.*/\1/p')
	[ "$got" = "$want" ] || fail "offline '$f': sniffcount $got packets, tcpdump $want"
done
got=$("$EX" -r "$PCAP" -c 3 2>/dev/null | sed -n 's/^\([0-9]*\) packets.*/\1/p')
[ "$got" = 3 ] || fail "offline -c 3: $got packets"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: live half needs root (network namespaces)"
	[ "${CI:-}" = true ] && { echo "FAIL: CI=true, a skipped live test is a failure"; exit 1; }
	exit $((fails ? 1 : 0))
fi
NS=sniff-example-$$
TMP=$(mktemp -d /tmp/sniff-example.XXXXXX)
EPID=""
cleanup() {
	[ -n "$EPID" ] && kill -KILL "$EPID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
ip netns add "$NS" || { echo "FAIL: cannot create a network namespace"; exit 1; }
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NS" link add veth0 type veth peer name veth1 || exit 1
for d in lo veth0 veth1; do ip -n "$NS" link set "$d" up; done

ip netns exec "$NS" "$EX" -i veth1 -w 2 >"$TMP/out" 2>"$TMP/err" &
EPID=$!
for i in $(seq 1 100); do grep -q counting "$TMP/err" && break; sleep 0.05; done
ip netns exec "$NS" "$FRAMEGEN" -i veth0 -n 500 -s 3 -m tcp4,udp4,icmp4,arp,tcp6,udp6 \
	-w "$TMP/sent.pcap" >/dev/null || fail "framegen"
sleep 0.3
kill -INT "$EPID"
for i in $(seq 1 100); do kill -0 "$EPID" 2>/dev/null || break; sleep 0.05; done
wait "$EPID"; rc=$?; EPID=""
[ $rc = 0 ] || fail "sniffcount exit status $rc: $(cat "$TMP/err")"
want=$(tcpdump -r "$TMP/sent.pcap" 2>/dev/null | wc -l)
got=$(sed -n 's/^\([0-9]*\) packets.*/\1/p' "$TMP/out")
[ "$got" = "$want" ] || fail "live: counted $got packets, $want frames sent"
grep -q "^captured $want received $want dropped 0$" "$TMP/out" ||
	fail "live: statistics '$(tail -1 "$TMP/out")', expected $want captured and received"
echo "sniffcount: offline and live (2 workers, $got of $want frames) checked"
exit $((fails ? 1 : 0))
