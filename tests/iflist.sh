#!/bin/bash
# `sniff -D` against `tcpdump -D`, byte for byte, in a private network namespace
# whose interfaces cover libpcap's cases: loopback down then up, a veth pair
# with both ends up (Connected), one with one end up (Up, Disconnected) and the
# other down (none, Disconnected), and, where the kernel has them, a bridge
# (down, Disconnected) and an ifb (no link state: Not applicable) and a dummy.
# libpcap also lists capture sources that are not network interfaces (D-Bus,
# netfilter, Bluetooth) when it was built with them: sniff cannot capture
# there, so their lines are taken out of tcpdump's list and the rest
# renumbered before comparing. Every other byte must match.
set -u
. "$(dirname "$0")/netns-lib.sh"
netns_setup sniff-iflist

compare() { # label
	local label=$1
	nsx tcpdump -D >"$TMP/td.raw" 2>"$TMP/td.err" || { fail "$label: tcpdump -D: $(cat "$TMP/td.err")"; return; }
	nsx "$SNIFF" -D >"$TMP/sn.out" 2>"$TMP/sn.err" || { fail "$label: sniff -D: $(cat "$TMP/sn.err")"; return; }
	# keep "any" and the namespace's network interfaces, renumbered
	nsx ls /sys/class/net >"$TMP/names"
	awk 'NR == FNR { net[$1] = 1; next }
	     { name = $0; sub(/^[0-9]+\./, "", name); sub(/ .*/, "", name) }
	     name == "any" || (name in net) { line = $0; sub(/^[0-9]+\./, "", line); print ++n "." line }' \
		"$TMP/names" "$TMP/td.raw" >"$TMP/td.exp"
	[ "$(wc -l <"$TMP/td.exp")" -ge 3 ] || fail "$label: tcpdump listed fewer interfaces than the namespace has"
	if cmp -s "$TMP/td.exp" "$TMP/sn.out"; then
		echo "ok: $label: $(wc -l <"$TMP/sn.out") lines equal tcpdump -D's"
	else
		fail "$label: sniff -D differs from tcpdump -D"
		diff "$TMP/td.exp" "$TMP/sn.out"
	fi
}

# The kernel publishes a carrier change to operstate later (linkwatch can
# wait up to a second), so tcpdump and sniff, run one after the other, could
# see different states: wait until IF's operstate is STATE (at most 3 s).
settle() { # IF STATE
	local i
	for i in $(seq 30); do
		[ "$(nsx cat "/sys/class/net/$1/operstate")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "note: $1 still not $2 after 3 s"
}

# netns_setup made veth0/veth1 and brought lo, veth0 and veth1 up: connected.
ip -n "$NS" link add vhalf0 type veth peer name vhalf1 || exit 1
ip -n "$NS" link set vhalf0 up                      # carrier needs both ends
ip -n "$NS" link add br9 type bridge 2>/dev/null || echo "note: no bridge support, case left out"
ip -n "$NS" link add ifb3 type ifb 2>/dev/null || echo "note: no ifb support, case left out"
ip -n "$NS" link add dum0 type dummy 2>/dev/null && ip -n "$NS" link set dum0 up ||
	echo "note: no dummy support, case left out"
settle veth0 up; settle veth1 up; settle vhalf0 lowerlayerdown
compare "lo up, veth pair up, half-up veth pair"
ip -n "$NS" link set lo down
ip -n "$NS" link set veth1 down                     # veth0 loses its carrier
settle veth0 lowerlayerdown
compare "lo down, veth1 down"
echo "iflist test: $fails failure(s)"
[ $fails = 0 ]
