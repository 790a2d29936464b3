# netns-lib.sh - shared prologue of the live shell tests (sourced, not run).
#
#   netns_setup PREFIX   needs root and ip/tcpdump/bpftool/sniff/framegen, then
#                        makes namespace PREFIX-$$ with veth0 <-> veth1 (both
#                        inside, IPv6 off so only the test's frames cross), a
#                        temp dir $TMP, and an EXIT trap that kills $SPID and
#                        deletes both.
#   skip MSG             exit 77 (automake SKIP), but fail when CI=true.
#   fail MSG             count a failure in $fails.
#   nsx CMD...           run CMD in the namespace.
#   start_sniff OUT ERR ARGS...  / stop_sniff   run sniff in the namespace as $SPID
#                        and stop it with SIGINT (failing if it does not stop).
#   check_counters ERR N LABEL   sniff's closing lines say N captured and received, 0 dropped.
BUILDDIR=${BUILDDIR:-$PWD}
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
SNIFF=$BUILDDIR/sniffer/sniff
FRAMEGEN=$BUILDDIR/tests/framegen
SPID=""
fails=0

skip() {
	echo "SKIP: $*"
	[ "${CI:-}" = true ] && { echo "FAIL: CI=true, a skipped live test is a failure"; exit 1; }
	exit 77
}

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

nsx() { ip netns exec "$NS" "$@"; }

netns_cleanup() {
	[ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}

netns_setup() {
	[ "$(id -u)" = 0 ] || skip "live test needs root (network namespaces, CAP_NET_RAW, CAP_BPF)"
	for t in ip tcpdump bpftool; do command -v $t >/dev/null || skip "$t not installed"; done
	[ -x "$SNIFF" ] && [ -x "$FRAMEGEN" ] || { echo "FAIL: build sniff and tests/framegen first"; exit 1; }
	NS=$1-$$
	TMP=$(mktemp -d "/tmp/$1.XXXXXX")
	trap netns_cleanup EXIT
	trap 'exit 1' INT TERM
	ip netns add "$NS" || skip "cannot create a network namespace"
	nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$NS" link add veth0 type veth peer name veth1 || exit 1
	for d in lo veth0 veth1; do ip -n "$NS" link set "$d" up; done
}

# Start sniff in the namespace; wait (bounded) for its "listening on" line.
start_sniff() { # out-file err-file args...
	local out=$1 err=$2; shift 2
	: >"$out"; : >"$err"   # empty, so a stale "listening on" cannot count
	# ip netns exec execs sniff, so $! is sniff itself and gets our signals.
	ip netns exec "$NS" "$SNIFF" "$@" >"$out" 2>"$err" &
	SPID=$!
	for _ in $(seq 100); do
		grep -qs "listening on" "$err" && return 0
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.05
	done
	echo "sniff did not start:"; cat "$err"
	return 1
}

stop_sniff() {
	sleep 0.3   # well above the 10 ms block timeout: every frame is in the ring
	kill -INT "$SPID"
	for _ in $(seq 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$SPID" 2>/dev/null; then
		kill -KILL "$SPID"; wait "$SPID" 2>/dev/null; SPID=""
		echo "sniff did not stop within 5 s of SIGINT"
		return 99
	fi
	wait "$SPID"; local rc=$?
	SPID=""
	return $rc
}

stat_of() { sed -n "s/^\([0-9]*\) packets\{0,1\} $1\$/\1/p" "$2"; }

check_counters() { # err-file expected label
	local c r d
	c=$(stat_of captured "$1"); r=$(stat_of "received by filter" "$1"); d=$(stat_of "dropped by kernel" "$1")
	[ "$c" = "$2" ] && [ "$r" = "$2" ] && [ "$d" = 0 ] ||
		fail "$3: counters captured=$c received=$r dropped=$d, expected $2/$2/0"
}
