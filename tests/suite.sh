#!/bin/bash
# The whole test suite, from a fresh clone on Debian, as root (README Quick start,
# line 2; .ci/run runs exactly this):
#   1. install the Debian packages that are missing (build, test oracles, live tools);
#   2. build with -Werror (also the benchmark programs) and run `make check` (unit,
#      differential and live tests);
#   3. build again with --enable-sanitizers (ASan+UBSan) and run `make check` there;
#   4. `make distcheck` (the tarball builds and passes on its own).
# Build trees go to build-suite/ and build-suite-san/ under the project root.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
jobs=$(nproc 2>/dev/null || echo 2)

pkgs="build-essential autoconf automake libtool pkg-config libpcap-dev libnet1-dev check
      tcpdump iproute2 bpftool python3"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "suite: installing$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "suite: missing packages and not root: apt-get install$missing" >&2
		exit 1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

[ -x configure ] || ./autogen.sh >/dev/null 2>&1

run_tree() { # name, configure flags...
	local dir=$top/$1; shift
	rm -rf "$dir"; mkdir -p "$dir"
	echo "suite: === $(basename "$dir"): configure $* && make check ==="
	(cd "$dir" && "$top/configure" -q "$@" && make -s -j"$jobs" && make -s -j"$jobs" bench-programs &&
		make -j"$jobs" check) || {
		echo "suite: FAILED in $(basename "$dir")"
		for f in "$dir"/tests/*.log; do
			[ -f "$f" ] || continue
			case "$f" in */test-suite.log) continue ;; esac
			grep -qE '^(FAIL|ERROR)' "${f%.log}.trs" 2>/dev/null && { echo "--- $f"; tail -50 "$f"; }
		done
		return 1
	}
}

run_tree build-suite
run_tree build-suite-san --enable-sanitizers
echo "suite: === make distcheck ==="
(cd "$top/build-suite" && make -s -j"$jobs" distcheck >/dev/null) || { echo "suite: FAILED in distcheck"; exit 1; }
echo "suite: all passed"
