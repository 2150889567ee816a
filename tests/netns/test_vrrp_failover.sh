#!/usr/bin/env bash
# Two directord nodes in one virtual router (VRRPv3, advert 0.1 s) in front of a FULLNAT service
# whose local address is a VRRP address too. The master is killed with kill -9 and its link cut:
# the backup takes the VIP and the local address and serves traffic. The old master returns and
# preempts; with nopreempt it does not. A SIGTERM hands over with priority 0 (faster than the
# master-down interval). Never two holders of the VIP once both see each other's adverts.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
start_reals

# write_conf NODE PRIORITY [EXTRA-INSTANCE-LINES]
write_conf() {
  local node=$1 prio=$2 extra=${3:-}
  cat >"$LAB_STATE_DIR/$node.conf" <<EOF2
global_defs {
    router_id $node
    lb_hash_seed 0x1234abcd
    vrrp_version 3
    vrrp_garp_master_delay 1
}
vrrp_instance VI_1 {
    state BACKUP
    interface lan0
    virtual_router_id 51
    priority $prio
    advert_int 0.1
    $extra
    virtual_ipaddress {
        192.0.2.100/32 dev lan0
        198.51.100.200/32 dev lan0
    }
}
local_address_group LAG4 {
    198.51.100.200
}
virtual_server 192.0.2.100 80 {
    lb_algo mh
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG4
    real_server 198.51.100.11 80 {
        weight 1
    }
    real_server 198.51.100.12 80 {
        weight 1
    }
    real_server 198.51.100.13 80 {
        weight 1
    }
}
EOF2
}

holds_both() { holds_address "$1" 192.0.2.100 && holds_address "$1" 198.51.100.200; }
holds_none() { ! holds_address "$1" 192.0.2.100 && ! holds_address "$1" 198.51.100.200; }
S1="$LAB_STATE_DIR/dir1.sock"
S2="$LAB_STATE_DIR/dir2.sock"
write_conf dir1 150
write_conf dir2 100
directord_start dir2 "$LAB_STATE_DIR/dir2.conf" "$S2" || { fail "directord starts in dir2"; finish; }
P2=$DIRECTORD_PID
directord_start dir1 "$LAB_STATE_DIR/dir1.conf" "$S1" || { fail "directord starts in dir1"; finish; }
P1=$DIRECTORD_PID

echo "== election"
check "dir1 (priority 150) becomes MASTER within 3 s" wait_vrrp_state 3 dir1 "$S1" MASTER
check "dir2 (priority 100) is BACKUP" wait_vrrp_state 3 dir2 "$S2" BACKUP
check "dir1 holds the VIP and the local address" holds_both dir1
check "dir2 holds neither" holds_none dir2
out=$(vip_request)
check "a request through the VIP is answered via the local address ($out)" grep -q " 198.51.100.200$" <<<"$out"
sleep 2
t1=$(vrrp_transitions dir1 "$S1"); t2=$(vrrp_transitions dir2 "$S2")
sleep 2
expect_eq "no transitions on dir1 over 2 s of adverts" "$t1" "$(vrrp_transitions dir1 "$S1")"
expect_eq "no transitions on dir2 over 2 s of adverts" "$t2" "$(vrrp_transitions dir2 "$S2")"

echo "== crash: kill -9 the master and cut its link"
kill -9 "$P1"; link_cut dir1
t0=$(date +%s%N)
check "dir2 becomes MASTER within 2 s" wait_vrrp_state 2 dir2 "$S2" MASTER
took=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "   dir2 MASTER ${took} ms after the crash (master-down interval at priority 100: 3 x 100 + 60.9 = 360.9 ms)"
check "takeover within 1 s of the crash" test "$took" -lt 1000
ok=0
for i in $(seq 1 40); do out=$(CURL_TIMEOUT=0.5 vip_request) && { ok=1; break; }; sleep 0.05; done
check "traffic through the VIP is served by dir2 ($out)" test "$ok" = 1
check "dir2 holds the VIP and the local address" holds_both dir2

echo "== the old master returns (its VIP is still configured from before the crash) and preempts"
check "dir1 still has the stale VIP after kill -9" holds_address dir1 192.0.2.100
link_restore dir1
directord_start dir1 "$LAB_STATE_DIR/dir1.conf" "$S1" || { fail "directord restarts in dir1"; finish; }
P1=$DIRECTORD_PID
check "dir1 removed the stale VIP at start (it starts as BACKUP)" lab_wait_for 1 holds_none dir1
check "dir1 preempts: MASTER within 3 s" wait_vrrp_state 3 dir1 "$S1" MASTER
check "dir2 goes back to BACKUP" wait_vrrp_state 2 dir2 "$S2" BACKUP
check "dir2 released the VIP and the local address" lab_wait_for 2 holds_none dir2
ok=0
for i in $(seq 1 40); do out=$(CURL_TIMEOUT=0.5 vip_request) && { ok=1; break; }; sleep 0.05; done
check "traffic through the VIP after preemption ($out)" test "$ok" = 1

echo "== SIGTERM: the master hands over with priority 0"
t0=$(date +%s%N)
directord_stop "$P1"
check "dir2 MASTER after dir1's SIGTERM" wait_vrrp_state 2 dir2 "$S2" MASTER
took=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "   dir2 MASTER ${took} ms after SIGTERM (skew time at priority 100: 60.9 ms)"
check "dir1 removed its VIP on SIGTERM" holds_none dir1
p0=$(on dir2 "$DIRECTORCTL" --admin-socket "$S2" vrrp | grep -o 'received [0-9]* (priority 0: [0-9]*)' | grep -o 'priority 0: [0-9]*' | grep -o '[0-9]*$')
check "dir2 counted dir1's priority-0 advert ($p0)" test "${p0:-0}" -ge 1

echo "== nopreempt: dir1 returns with nopreempt and stays BACKUP"
write_conf dir1 150 nopreempt
directord_start dir1 "$LAB_STATE_DIR/dir1.conf" "$S1" || { fail "directord restarts in dir1"; finish; }
P1=$DIRECTORD_PID
check "dir1 comes up as BACKUP" wait_vrrp_state 2 dir1 "$S1" BACKUP
sleep 2
expect_eq "dir1 is still BACKUP 2 s later (nopreempt)" BACKUP "$(vrrp_state dir1 "$S1")"
expect_eq "dir2 is still MASTER" MASTER "$(vrrp_state dir2 "$S2")"
echo "== then dir2 dies; dir1 takes over"
kill -9 "$P2"; link_cut dir2
check "dir1 becomes MASTER" wait_vrrp_state 2 dir1 "$S1" MASTER
on dir1 "$DIRECTORCTL" --admin-socket "$S1" vrrp | sed 's/^/   /'
finish
