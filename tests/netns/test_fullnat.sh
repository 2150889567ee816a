#!/usr/bin/env bash
# FULLNAT end to end (etc/lab-fullnat.conf in dir1): wrr 3:2:1 splits 60 new connections exactly
# 30/20/10 (numgen rotation is exact for one client); the reals see only local addresses; IPv6
# FULLNAT and the UDP service answer; SIGTERM removes directord's table and addresses.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
start_reals
CONF="$LAB_SOURCE_DIR/etc/lab-fullnat.conf"
SOCK="$LAB_STATE_DIR/dir1.sock"
directord_start dir1 "$CONF" "$SOCK" || { fail "directord starts with $CONF"; finish; }
pass "directord started in dir1 (pid $DIRECTORD_PID)"
check "dir1 holds the VIP 192.0.2.100 (within 5 s)" lab_wait_for 5 on dir1 sh -c 'ip -4 addr show dev lan0 | grep -q "inet 192.0.2.100/"'
check "dir1 holds the local address 198.51.100.200" lab_wait_for 5 on dir1 sh -c 'ip -4 addr show dev lan0 | grep -q "inet 198.51.100.200/"'

echo "== IPv4 TCP: 60 new connections to 192.0.2.100:80 (wrr 3:2:1)"
out=$(for ((i = 0; i < 60; i++)); do lab_get http://192.0.2.100/ --local-port $((20000 + i)) || echo error; done)
expect_eq "wrr 3:2:1 over 60 connections" "real1=30 real2=20 real3=10" "$(count_reals <<<"$out")"
seen=$(awk '{print $2}' <<<"$out" | sort -u | tr '\n' ' ')
check "reals saw only local addresses 198.51.100.200/.201 (saw: $seen)" \
  test -z "$(awk '{print $2}' <<<"$out" | grep -vxE '198\.51\.100\.20[01]')"
# curl connected to the VIP and got the real's body: the reply came from the VIP.
check "no request failed" test "$(grep -c '^real' <<<"$out")" -eq 60

echo "== IPv6 TCP: 6 new connections to [fd00:2::100]:80 (rr)"
out=$(for ((i = 0; i < 6; i++)); do lab_get 'http://[fd00:2::100]/' --local-port $((21000 + i)) || echo error; done)
expect_eq "IPv6 rr over 6 connections" "real1=2 real2=2 real3=2" "$(count_reals <<<"$out")"
check "IPv6 reals saw only local addresses fd00:1::200/201 (saw: $(awk '{print $2}' <<<"$out" | sort -u | tr '\n' ' '))" \
  test -z "$(awk '{print $2}' <<<"$out" | grep -vxE 'fd00:1::20[01]')"

echo "== UDP: 3 datagrams to 192.0.2.100:53 (rr), each from a new socket"
out=$(for ((i = 0; i < 3; i++)); do on client "$(lab_python)" "$HERE/netclient.py" udp 192.0.2.100 53 || echo error; done)
expect_eq "UDP rr over 3 flows" "real1=1 real2=1 real3=1" "$(count_reals <<<"$out")"
check "UDP reals saw only local addresses" test -z "$(awk '{print $2}' <<<"$out" | grep -vxE '198\.51\.100\.20[01]')"

echo "== directorctl list --stats"
list=$(on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" list --stats 2>&1); rc=$?
sed 's/^/    /' <<<"$list"
check "directorctl list --stats exits 0" test "$rc" -eq 0
check "list shows TCP 192.0.2.100:80 and its three reals" \
  bash -c 'grep -q "192.0.2.100:80" <<<"$1" && grep -q "198.51.100.11:80" <<<"$1" && grep -q "198.51.100.12:80" <<<"$1" && grep -q "198.51.100.13:80" <<<"$1"' _ "$list"
check "list shows the IPv6 service [fd00:2::100]:80" grep -q "fd00:2::100" <<<"$list"

echo "== SIGTERM: directord removes its table and addresses"
check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
check "no directord nft table left in dir1" bash -c "! ip netns exec $(ns dir1) nft list tables | grep -qw directord"
check "VIP 192.0.2.100 removed from dir1" bash -c "! ip -n $(ns dir1) -4 addr show dev lan0 | grep -q 'inet 192.0.2.100/'"
check "local address 198.51.100.200 removed from dir1" bash -c "! ip -n $(ns dir1) -4 addr show dev lan0 | grep -q 'inet 198.51.100.200/'"
finish
