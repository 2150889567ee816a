#!/usr/bin/env bash
# Connection-sync drill 1, a VRRP pair: dir1 (150) and dir2 (100), VRRPv3 advert 0.1 s for the
# VIP 192.0.2.100 and the FULLNAT local address 198.51.100.200, mh + FNAT to drill_server.py on
# three reals (port 9000), connection_sync between them over mutual TLS. 1,000 long-lived flows
# (flowdrill.py: half client-first, half server-first) are open and synced to dir2; then dir1 is
# killed (-9) and its link cut. dir2 takes the VIP and the local address, and every flow carries on
# with the same real: client-first flows get their "ping" answered, server-first flows receive the
# real's push (only possible if dir2 holds the flow's conntrack entry with its NAT bindings).
# Control: the same drill with no connection_sync block must lose server-first flows (so the
# drill can fail). SYNC_DRILL_FLOWS / SYNC_CONTROL_FLOWS change the flow counts (1000 / 200).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
source "$HERE/sync_lib.sh"
sync_drill_require
N=${SYNC_DRILL_FLOWS:-1000}
NCTL=${SYNC_CONTROL_FLOWS:-200}
lab_up
sync_certs dir1 dir2
drill_servers_start
S1="$LAB_STATE_DIR/dir1.sock"
S2="$LAB_STATE_DIR/dir2.sock"

# write_conf NODE PRIORITY on|off
write_conf() {
  local node=$1 prio=$2 sync=$3 peer=dir2
  [ "$node" = dir2 ] && peer=dir1
  {
    sync_global_defs "$node"
    [ "$sync" = on ] && sync_block "$node" "$peer"
    sync_vrrp_instance VI_1 51 "$prio" "" 192.0.2.100/32 198.51.100.200/32
    sync_lag LAG4 198.51.100.200
    sync_fnat_service LAG4
  } >"$LAB_STATE_DIR/$node.conf"
}

write_conf dir1 150 on
write_conf dir2 100 on
sync_require_support dir1 "$LAB_STATE_DIR/dir1.conf"
sync_directord_start dir2 "$LAB_STATE_DIR/dir2.conf" "$S2" || { fail "directord starts in dir2"; finish; }
P2=$DIRECTORD_PID
sync_directord_start dir1 "$LAB_STATE_DIR/dir1.conf" "$S1" || { fail "directord starts in dir1"; finish; }
P1=$DIRECTORD_PID

echo "== drill 1: $N flows, sync on"
check "dir1 MASTER within 3 s" wait_vrrp_state 3 dir1 "$S1" MASTER
check "dir2 BACKUP" wait_vrrp_state 3 dir2 "$S2" BACKUP
holds_both() { holds_address "$1" 192.0.2.100 && holds_address "$1" 198.51.100.200; }
check "dir1 sees both streams to dir2 up" lab_wait_for 5 sync_both_up dir1 "$S1" dir2
check "dir2 sees both streams to dir1 up" lab_wait_for 5 sync_both_up dir2 "$S2" dir1

t0=$(date +%s%N)
flowdrill_start A "$N"
check "flowdrill opened its flows (within 30 s)" flowdrill_wait_ready A 30
echo "   open in $(fd_get A ready open_ms) ms: opened $(fd_get A ready opened) per real $(fd_get A ready per_real) per laddr $(fd_get A ready per_laddr) failures $(fd_get A ready failures)"
expect_eq "all $N flows open" "$N" "$(fd_get A ready opened)"
check "dir2 applied >= $N flows from dir1 (within 10 s)" sync_wait_applied 10 dir2 "$S2" dir1 "$N"
check "dir1's queue to dir2 drained (within 5 s)" sync_wait_drained 5 dir1 "$S1" dir2
check "dir2's conntrack holds >= $N established drill flows (within 5 s)" ct_wait_ge 5 dir2 "$N"
echo "   synced $(( ($(date +%s%N) - t0) / 1000000 )) ms after flowdrill started; dir1 ct $(ct_count dir1), dir2 ct $(ct_count dir2)"
echo "   directorctl sync on dir1:"; sync_status dir1 "$S1" | sed 's/^/     /'
echo "   directorctl sync on dir2:"; sync_status dir2 "$S2" | sed 's/^/     /'

echo "== crash: kill -9 dir1 and cut its link"
kill -9 "$P1"; link_cut dir1
t0=$(date +%s%N)
check "dir2 MASTER within 2 s" wait_vrrp_state 2 dir2 "$S2" MASTER
echo "   dir2 MASTER after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "dir2 holds the VIP and the local address" holds_both dir2
flowdrill_go A
check "flowdrill result within 15 s" flowdrill_wait_result A 15
drill_report A
expect_eq "client-first flows that survived" "$((N / 2))" "$(fd_get A result client_first_ok)"
expect_eq "server-first flows that survived" "$((N - N / 2))" "$(fd_get A result server_first_ok)"
expect_eq "flows that reached another real" 0 "$(fd_get A result failures/wrong-real)"
echo "   directorctl sync on dir2 after the failover:"; sync_status dir2 "$S2" | sed 's/^/     /'

echo "== control: the same drill with $NCTL flows and no connection_sync"
directord_stop "$P2" >/dev/null
link_restore dir1
write_conf dir1 150 off
write_conf dir2 100 off
directord_start dir2 "$LAB_STATE_DIR/dir2.conf" "$S2" || { fail "directord restarts in dir2"; finish; }
P2=$DIRECTORD_PID
directord_start dir1 "$LAB_STATE_DIR/dir1.conf" "$S1" || { fail "directord restarts in dir1"; finish; }
P1=$DIRECTORD_PID
check "dir1 MASTER again within 3 s" wait_vrrp_state 3 dir1 "$S1" MASTER
check "dir2 BACKUP again" wait_vrrp_state 3 dir2 "$S2" BACKUP
ct_before=$(ct_count dir2)
flowdrill_start B "$NCTL" --timeout 5
check "flowdrill opened the control flows (within 30 s)" flowdrill_wait_ready B 30
expect_eq "all $NCTL control flows open" "$NCTL" "$(fd_get B ready opened)"
sleep 1
expect_eq "dir2 got no conntrack entries for them (sync off)" "$ct_before" "$(ct_count dir2)"
kill -9 "$P1"; link_cut dir1
check "dir2 MASTER within 2 s" wait_vrrp_state 2 dir2 "$S2" MASTER
flowdrill_go B
check "control result within 10 s" flowdrill_wait_result B 10
drill_report B
sf=$(fd_get B result server_first); sfok=$(fd_get B result server_first_ok)
check "without sync, server-first flows are lost ($sfok of $sf survived)" test "$sfok" -lt "$sf"
echo "   (client-first without sync: $(fd_get B result client_first_ok)/$(fd_get B result client_first) — conntrack picks them up mid-stream on dir2)"
finish
