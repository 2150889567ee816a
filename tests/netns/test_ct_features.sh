#!/usr/bin/env bash
# lvs_timeouts (global and per virtual_server) in the conntrack entries of our flows, directorctl
# --set / -L --timeout at run time (and a reload discarding it), persistence_granularity (two
# clients of one /24 land on one real, one affinity entry), and ops (UDP: every datagram
# scheduled, no conntrack entry, replies from the VIP).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
start_reals
reals_route_via_director 198.51.100.2 fd00:1::2
PY=$(lab_python)
W=$LAB_STATE_DIR
# The ops service's reals answer on their own port: an ops real:port may serve no tracked service.
for r in real1 real2 real3; do
  lab_spawn "$r" "$W/$r-5300.log" "$PY" "$LAB_SOURCE_DIR/scripts/real_server.py" --name "$r" --tcp "" --udp 5300 --no-ipv6
done
CONF="$W/ct.conf"
SOCK="$W/dir1.sock"
write_conf() {  # GLOBAL_TIMEOUTS
  cat >"$CONF" <<CONF
global_defs {
    lvs_timeouts $1
}
static_ipaddress {
    192.0.2.101/32 dev lan0
}
virtual_server 192.0.2.101 80 {
    lb_algo rr
    lb_kind NAT
    persistence_timeout 60
    persistence_granularity 255.255.255.0
    real_server 198.51.100.11 80 { weight 1 }
    real_server 198.51.100.12 80 { weight 1 }
    real_server 198.51.100.13 80 { weight 1 }
}
virtual_server 192.0.2.101 8080 {
    lb_algo rr
    lb_kind NAT
    real_server 198.51.100.11 8080 { weight 1 }
    real_server 198.51.100.12 8080 { weight 1 }
}
virtual_server 192.0.2.101 53 {
    protocol UDP
    lb_algo rr
    lb_kind NAT
    lvs_timeouts udp 77
    real_server 198.51.100.11 53 { weight 1 }
    real_server 198.51.100.12 53 { weight 1 }
}
virtual_server 192.0.2.101 5353 {
    protocol UDP
    lb_algo rr
    lb_kind NAT
    ops
    real_server 198.51.100.11 5300 { weight 1 }
    real_server 198.51.100.12 5300 { weight 1 }
    real_server 198.51.100.13 5300 { weight 1 }
}
CONF
}
write_conf "tcp 700 tcpfin 50 udp 200"
ctl() { on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" "$@"; }

directord_start dir1 "$CONF" "$SOCK" || { fail "directord starts"; finish; }
pass "directord started in dir1 (pid $DIRECTORD_PID)"
check "dir1 holds the VIP 192.0.2.101 (within 5 s)" lab_wait_for 5 on dir1 sh -c "ip -4 addr show dev lan0 | grep -q 'inet 192.0.2.101/'"

# ct_timeout PROTO DPORT: the remaining timeout (s) of the newest conntrack entry to VIP:DPORT.
ct_timeout() {
  on dir1 conntrack -L -p "$1" --orig-dst 192.0.2.101 --orig-port-dst "$2" 2>/dev/null |
    awk '{print $3}' | sort -n | tail -1
}
# hold_tcp NAME: one TCP connection to VIP:8080 held open (one request, then idle).
hold_tcp() {
  lab_spawn client "$W/$1.log" "$PY" "$HERE/netclient.py" keepalive 192.0.2.101 8080 \
    --out "$W/$1.out" --interval 300 --max-seconds 120
  HELD_PID=$LAB_LAST_PID
  lab_wait_for 5 grep -q '^ok ' "$W/$1.out"
}
in_range() { [ -n "$1" ] && [ "$1" -le "$3" ] && [ "$1" -ge "$2" ]; }

echo "== lvs_timeouts tcp 700 tcpfin 50 udp 200, udp 77 on :53"
expect_eq "directorctl -L --timeout prints ipvsadm's line" "Timeout (tcp tcpfin udp): 700 50 200" "$(ctl -L --timeout)"
check "an established TCP flow answers" hold_tcp held1
t=$(ctl -L --timeout >/dev/null; ct_timeout tcp 8080)
check "its conntrack entry expires within 700 s, not conntrack's 5 days (got $t)" in_range "$t" 690 700
lab_stop_pid "$HELD_PID" TERM >/dev/null
on client "$PY" "$HERE/netclient.py" udp 192.0.2.101 53 >/dev/null
t=$(ct_timeout udp 53)
check "a UDP flow of the :53 service (own lvs_timeouts udp 77) expires within 77 s (got $t)" in_range "$t" 70 77
echo "== directorctl --set 300 0 100"
out=$(ctl --set 300 0 100 2>&1); rc=$?
expect_eq "--set exits 0 ($out)" 0 "$rc"
expect_eq "-L --timeout shows the new tcp and udp, tcpfin unchanged" "Timeout (tcp tcpfin udp): 300 50 100" "$(ctl -L --timeout)"
check "a new established TCP flow answers" hold_tcp held2
t=$(ct_timeout tcp 8080)
check "its conntrack entry expires within 300 s (got $t)" in_range "$t" 290 300
lab_stop_pid "$HELD_PID" TERM >/dev/null
on client "$PY" "$HERE/netclient.py" udp 192.0.2.101 53 >/dev/null
t=$(ct_timeout udp 53)
check "the :53 service keeps its own udp 77 (got $t)" in_range "$t" 70 77
out=$(ctl --set 3000000 0 0 2>&1); rc=$?
check "--set 3000000 (more than 31 days) is refused ($out)" test "$rc" -ne 0
expect_eq "... and changes nothing" "Timeout (tcp tcpfin udp): 300 50 100" "$(ctl -L --timeout)"

echo "== persistence_granularity 255.255.255.0: clients .10 and .11 of one /24"
on client ip addr add 203.0.113.11/24 dev eth0
reals=""
for src in 203.0.113.10 203.0.113.11 203.0.113.10 203.0.113.11 203.0.113.10 203.0.113.11; do
  body=$(on client curl -s --max-time 3 --interface "$src" http://192.0.2.101/ || true)
  reals+="${body%% *} "
done
expect_eq "6 connections from two clients of one /24 reach one real ($reals)" 1 "$(tr ' ' '\n' <<<"$reals" | grep . | sort -u | wc -l)"
entries=$(on dir1 nft list map inet directord persist4 2>/dev/null | grep -c 'expires' || true)
expect_eq "persist4 holds one affinity entry for the /24" 1 "$entries"
check "... keyed by the masked client 203.0.113.0" bash -c "ip netns exec $(ns dir1) nft list map inet directord persist4 | grep -q '203.0.113.0 '"

echo "== ops on UDP :5353: 100 datagrams from one client socket"
out=$(on client "$PY" "$HERE/netclient.py" udp-burst 192.0.2.101 5353 --count 100 --timeout 1); rc=$?
expect_eq "100 datagrams answered from 192.0.2.101:5353" "0 answered=100 from=192.0.2.101:5353" "$rc $(tail -1 <<<"$out")"
counts=$(grep '^real' <<<"$out" | cut -d' ' -f1 | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ' | sed 's/ $//')
expect_eq "rr spreads them over the three reals" "real1=34 real2=33 real3=33" "$(tr ' ' '\n' <<<"$counts" | sort | tr '\n' ' ' | sed 's/ $//')"
n=$(on dir1 conntrack -L -p udp --orig-dst 192.0.2.101 --orig-port-dst 5353 2>/dev/null | wc -l)
expect_eq "no conntrack entry for the ops service" 0 "$n"
n=$(on dir1 conntrack -L -p udp --orig-src 198.51.100.11 --orig-port-src 5300 2>/dev/null | wc -l)
expect_eq "no conntrack entry for the replies either" 0 "$n"

echo "== reload (SIGHUP) discards the --set values"
kill -HUP "$DIRECTORD_PID"
check "-L --timeout shows the config's values again (within 5 s)" \
  lab_wait_for 5 bash -c "[ \"\$(ip netns exec $(ns dir1) '$DIRECTORCTL' --admin-socket '$SOCK' -L --timeout)\" = 'Timeout (tcp tcpfin udp): 700 50 200' ]"
check "the log names the discarded override" grep -q "runtime override discarded by reload: lvs_timeouts" "$W/directord-dir1.log"

check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
finish
