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
