#!/usr/bin/env bash
# Connection-sync drill 2, bulk resync: dir1 (150) MASTER, dir2 (100) BACKUP, both with
# track_sync, 1,000 long-lived FULLNAT flows open and synced to dir2. dir2 crashes and comes back
# empty (kill -9 and its conntrack table flushed: a rebooted backup): the bulk from dir1 must give
# it every flow again. Then dir1 crashes (kill -9 + link cut): still 100% of the flows survive on
# dir2. Then track_sync on the higher-priority node: dir1 comes back empty while dir2 carries new
# flows; it must not preempt before it has dir2's bulk, and after its preemption every one of
# those flows survives the handover. SYNC_DRILL_FLOWS changes the flow count (1000).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
source "$HERE/sync_lib.sh"
sync_drill_require
N=${SYNC_DRILL_FLOWS:-1000}
lab_up
sync_certs dir1 dir2
drill_servers_start
S1="$LAB_STATE_DIR/dir1.sock"
S2="$LAB_STATE_DIR/dir2.sock"

write_conf() {  # NODE PRIORITY
  local node=$1 prio=$2 peer=dir2
  [ "$node" = dir2 ] && peer=dir1
  {
    sync_global_defs "$node"
    sync_block "$node" "$peer"
    sync_vrrp_instance VI_1 51 "$prio" track_sync 192.0.2.100/32 198.51.100.200/32
    sync_lag LAG4 198.51.100.200
    sync_fnat_service LAG4
  } >"$LAB_STATE_DIR/$node.conf"
}
show_sync() { echo "   directorctl sync on $1 ($3):"; sync_status "$1" "$2" | sed 's/^/     /'; }

write_conf dir1 150
write_conf dir2 100
sync_require_support dir1 "$LAB_STATE_DIR/dir1.conf"
sync_directord_start dir1 "$LAB_STATE_DIR/dir1.conf" "$S1" || { fail "directord starts in dir1"; finish; }
P1=$DIRECTORD_PID
sync_directord_start dir2 "$LAB_STATE_DIR/dir2.conf" "$S2" || { fail "directord starts in dir2"; finish; }
P2=$DIRECTORD_PID
check "dir1 MASTER within 12 s (track_sync: at most the ready timeout)" wait_vrrp_state 12 dir1 "$S1" MASTER
check "dir2 BACKUP" wait_vrrp_state 3 dir2 "$S2" BACKUP
check "sync streams up between dir1 and dir2 (within 5 s)" lab_wait_for 5 sync_both_up dir2 "$S2" dir1

echo "== $N flows through dir1, synced to dir2"
flowdrill_start A "$N"
check "flowdrill opened its flows (within 30 s)" flowdrill_wait_ready A 30
expect_eq "all $N flows open" "$N" "$(fd_get A ready opened)"
echo "   per real $(fd_get A ready per_real), open in $(fd_get A ready open_ms) ms"
check "dir2 applied >= $N flows (within 10 s)" sync_wait_applied 10 dir2 "$S2" dir1 "$N"
check "dir2's conntrack holds >= $N drill flows (within 5 s)" ct_wait_ge 5 dir2 "$N"

echo "== dir2 crashes and returns empty: the bulk from dir1 refills it"
kill -9 "$P2"
lab_stop_pid "$P2" KILL >/dev/null
on dir2 conntrack -F >/dev/null 2>&1
expect_eq "dir2's conntrack is empty after the flush" 0 "$(ct_count dir2)"
t0=$(date +%s%N)
sync_directord_start dir2 "$LAB_STATE_DIR/dir2.conf" "$S2" || { fail "directord restarts in dir2"; finish; }
P2=$DIRECTORD_PID
check "dir2 has dir1's bulk, complete (within 10 s)" lab_wait_for 10 sync_bulk_complete dir2 "$S2" dir1
check "dir2 applied >= $N flows since its restart (within 5 s)" sync_wait_applied 5 dir2 "$S2" dir1 "$N"
check "dir2's conntrack holds >= $N drill flows again (within 5 s)" ct_wait_ge 5 dir2 "$N"
echo "   refilled $(( ($(date +%s%N) - t0) / 1000000 )) ms after the restart began; dir2 ct $(ct_count dir2), received $(sync_in dir2 "$S2" dir1 received)"
check "dir2 is ready (every live peer's bulk received)" sync_ready dir2 "$S2"
check "dir2 BACKUP again" wait_vrrp_state 3 dir2 "$S2" BACKUP
expect_eq "dir1 stayed MASTER" MASTER "$(vrrp_state dir1 "$S1")"
show_sync dir2 "$S2" "after its restart"
show_sync dir1 "$S1" "the sender of the bulk"

echo "== then dir1 crashes: kill -9 + link cut"
kill -9 "$P1"; link_cut dir1
check "dir2 MASTER within 2 s" wait_vrrp_state 2 dir2 "$S2" MASTER
flowdrill_go A
check "flowdrill result within 15 s" flowdrill_wait_result A 15
drill_report A
expect_eq "client-first flows that survived" "$((N / 2))" "$(fd_get A result client_first_ok)"
expect_eq "server-first flows that survived" "$((N - N / 2))" "$(fd_get A result server_first_ok)"

echo "== track_sync: dir1 (150) returns empty while dir2 carries $N new flows; no preemption before its bulk"
lab_stop_pid "$P1" KILL >/dev/null
link_restore dir1
on dir1 conntrack -F >/dev/null 2>&1
flowdrill_start B "$N"
check "flowdrill opened the new flows through dir2 (within 30 s)" flowdrill_wait_ready B 30
expect_eq "all $N new flows open" "$N" "$(fd_get B ready opened)"
sync_directord_start dir1 "$LAB_STATE_DIR/dir1.conf" "$S1" || { fail "directord restarts in dir1"; finish; }
P1=$DIRECTORD_PID
# Poll: state first, then readiness (readiness only ever turns on, so "MASTER, then not ready" is
# a real preemption before the bulk).
early=0 master=0
for ((i = 0; i < 300; i++)); do  # <= 15 s at 50 ms
  st=$(vrrp_state dir1 "$S1")
  if [ "$st" = MASTER ]; then
    master=1
    sync_ready dir1 "$S1" || early=1
    break
  fi
  sleep 0.05
done
check "dir1 preempts within 15 s" test "$master" = 1
check "dir1 was ready (dir2's bulk complete) when it became MASTER" test "$early" = 0
check "dir1 has dir2's bulk, complete" sync_bulk_complete dir1 "$S1" dir2
check "dir2 goes BACKUP" wait_vrrp_state 3 dir2 "$S2" BACKUP
show_sync dir1 "$S1" "after its return"
echo "   dir1's log since its return:"
grep -E "bulk from dir2|sync: ready|preemption allowed|Entering MASTER" "$LAB_STATE_DIR/directord-dir1.log" | tail -n 4 | sed 's/^/     /'
flowdrill_go B
check "flowdrill result within 15 s" flowdrill_wait_result B 15
drill_report B
expect_eq "client-first flows that survived the preemption" "$((N / 2))" "$(fd_get B result client_first_ok)"
expect_eq "server-first flows that survived the preemption" "$((N - N / 2))" "$(fd_get B result server_first_ok)"
finish
