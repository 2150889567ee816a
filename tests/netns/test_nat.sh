#!/usr/bin/env bash
# NAT (LVS-NAT) end to end (etc/lab-nat.conf in dir1): rr spreads 30 new connections 10/10/10;
# the reals route via dir1 and see the client's own address 203.0.113.10.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
start_reals
reals_route_via_director 198.51.100.2 fd00:1::2
CONF="$LAB_SOURCE_DIR/etc/lab-nat.conf"
SOCK="$LAB_STATE_DIR/dir1.sock"
directord_start dir1 "$CONF" "$SOCK" || { fail "directord starts with $CONF"; finish; }
pass "directord started in dir1 (pid $DIRECTORD_PID)"
check "dir1 holds the VIP 192.0.2.101 (within 5 s)" lab_wait_for 5 on dir1 sh -c 'ip -4 addr show dev lan0 | grep -q "inet 192.0.2.101/"'

echo "== 30 new connections to 192.0.2.101:80 (rr)"
out=$(for ((i = 0; i < 30; i++)); do lab_get http://192.0.2.101/ --local-port $((20000 + i)) || echo error; done)
expect_eq "rr over 30 connections" "real1=10 real2=10 real3=10" "$(count_reals <<<"$out")"
expect_eq "reals saw the client address" "203.0.113.10" "$(awk '{print $2}' <<<"$out" | sort -u | tr '\n' ' ' | sed 's/ $//')"

echo "== conntrack on dir1: DNAT bindings for the VIP"
ct=$(on dir1 conntrack -L -p tcp --orig-dst 192.0.2.101 2>/dev/null)
sed 's/^/    /' <<<"$ct" | head -n 5
check "dir1's conntrack holds DNAT entries VIP -> reals" grep -qE 'dst=192\.0\.2\.101 .*src=198\.51\.100\.1[123] ' <<<"$ct"

echo "== directorctl list"
list=$(on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" list 2>&1); rc=$?
sed 's/^/    /' <<<"$list"
check "directorctl list shows 192.0.2.101:80" bash -c '[ "$1" -eq 0 ] && grep -q "192.0.2.101:80" <<<"$2"' _ "$rc" "$list"
check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
check "no directord nft table left in dir1" bash -c "! ip netns exec $(ns dir1) nft list tables | grep -qw directord"
finish
