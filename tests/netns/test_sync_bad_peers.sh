#!/usr/bin/env bash
# Connection sync against peers and entries it must refuse (sync/README.md, "Hostile peers").
#  (a) untrusted peers: dir1 and dir2 name each other as sync peers, dir2 is the VRRP master and
#      carries a few drill flows, but dir2 presents
#        1. a certificate for "dir2" signed by another CA (scripts/sync-certs.sh --rogue dir2),
#        2. a certificate signed by the right CA but for "dir3" (dir1 expects peer dir2).
#      In each case, over ~3 s, neither dir1's incoming stream from dir2 nor dir2's outgoing stream
#      to dir1 ever comes up, dir1 receives and applies nothing, and dir1's conntrack has no entry
#      for the VIP. Control: dir2 with its real certificate syncs the same kind of flows to dir1.
#  (b) refused entries: dir1 (master) has services A 192.0.2.100:9000 and B 192.0.2.100:9001
#      (FNAT), dir2 knows only A. N flows to each through dir1: dir2 receives >= 2N, applies the
#      N of A, rejects the N of B as unknown-service, and its conntrack holds exactly the N
#      entries of A and none of B; N more flows to B while the stream is up are refused as they
#      come (the stream may reset: 8 mostly-refused batches) and never reach dir2's table. Then dir2 restarts (empty conntrack) with A lacking real3: the
#      bulk's A flows to real3 are rejected as unknown-real and never reach dir2's table.
# SYNC_BAD_FLOWS changes N (default 50).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
source "$HERE/sync_lib.sh"
sync_drill_require
N=${SYNC_BAD_FLOWS:-50}
NA=10          # flows through dir2 in part (a)
PORT_B=9001    # service B (drill_server.py on every real, like 9000)
T_START=$SECONDS
lab_up
sync_certs dir1 dir2 dir3
"$LAB_SOURCE_DIR/scripts/sync-certs.sh" "$SYNC_CERTS" --rogue dir2 || lab_die "sync-certs.sh --rogue failed"
drill_servers_start
for r in "${LAB_REALS[@]}"; do
  lab_spawn "$r" "$LAB_STATE_DIR/drill-b-$r.log" "$(lab_python)" "$SYNC_LIB_DIR/drill_server.py" --name "$r" \
    --port "$PORT_B" --push-file "$SYNC_PUSH_FILE"
done
for r in "${LAB_REALS[@]}"; do lab_wait_listen "$r" tcp "$PORT_B" || lab_die "drill_server :$PORT_B in $r did not start"; done
S1="$LAB_STATE_DIR/dir1.sock"
S2="$LAB_STATE_DIR/dir2.sock"
P1='' P2=''

# ct_all NODE [PORT]: every conntrack entry (any state) to the VIP (and PORT) in NODE
ct_all() {
  local out args=(-p tcp --orig-dst "$SYNC_VIP")
  [ -n "${2:-}" ] && args+=(--dport "$2")
  out=$(on "$1" conntrack -L "${args[@]}" 2>/dev/null) || true
  grep -c 'src=' <<<"$out"
}
ct_flush_vip() { on "$1" conntrack -D -p tcp --orig-dst "$SYNC_VIP" >/dev/null 2>&1 || true; }

# service_b: 192.0.2.100:9001 FNAT, the three reals
service_b() { DRILL_PORT=$PORT_B sync_fnat_service "$1"; }
# service_a_without_real3: service A as sync_fnat_service writes it, minus real3's block
service_a_without_real3() { sync_fnat_service "$1" | awk '/real_server 198.51.100.13 /{skip = 1} skip && /^    }/ {skip = 0; next} !skip'; }

# write_conf NODE PRIORITY CERT SERVICES...: SERVICES are shell functions taking the LAG name;
# CERT is the base name of the certificate/key in $SYNC_CERTS that NODE presents.
write_conf() {
  local node=$1 prio=$2 cert=$3 peer=dir2 s; shift 3
  [ "$node" = dir2 ] && peer=dir1
  {
    sync_global_defs "$node"
    sync_block "$node" "$peer" | sed "s|$SYNC_CERTS/$node\.|$SYNC_CERTS/$cert.|"
    sync_vrrp_instance VI_1 51 "$prio" "" 192.0.2.100/32 198.51.100.200/32
    sync_lag LAG4 198.51.100.200
    for s in "$@"; do "$s" LAG4; done
  } >"$LAB_STATE_DIR/$node.conf"
}
start() {  # start NODE
  local sock=$S1
  [ "$1" = dir2 ] && sock=$S2
  sync_directord_start "$1" "$LAB_STATE_DIR/$1.conf" "$sock" || { fail "directord starts in $1"; finish; }
  if [ "$1" = dir1 ]; then P1=$DIRECTORD_PID; else P2=$DIRECTORD_PID; fi
}
stop_both() {
  [ -n "$P1" ] && directord_stop "$P1" >/dev/null
  [ -n "$P2" ] && directord_stop "$P2" >/dev/null
  P1='' P2=''
}
# in_up / out_up NODE SOCK PEER: the incoming / outgoing stream with PEER is up
in_up() { sync_status "$1" "$2" | awk -v p="$3" '$1 == p && NF > 4 {ok = $4 == "up"} END {exit !ok}'; }
out_up() { sync_status "$1" "$2" | awk -v p="$3" '$1 == p && NF > 4 {ok = $3 == "up"} END {exit !ok}'; }
# never_up SECS: neither dir1's incoming stream from dir2 nor dir2's outgoing one to dir1 comes up
# in SECS (polled every 0.2 s); prints how many polls saw one up
never_up() {
  local i bad=0
  for ((i = 0; i < $1 * 5; i++)); do
    in_up dir1 "$S1" dir2 && bad=$((bad + 1))
    out_up dir2 "$S2" dir1 && bad=$((bad + 1))
    sleep 0.2
  done
  echo "$bad"
}
show_sync() {  # show_sync NODE SOCK
  echo "   directorctl sync on $1:"; sync_status "$1" "$2" | sed 's/^/     /'
}
tag_n=0
# open_flows PREFIX COUNT: COUNT drill flows to 192.0.2.100:$DRILL_PORT; their flowdrill tag in TAG
open_flows() {
  tag_n=$((tag_n + 1)); TAG=$1$tag_n
  flowdrill_start "$TAG" "$2"
  flowdrill_wait_ready "$TAG" 15 || { fail "flowdrill $TAG opened its flows within 15 s"; flowdrill_log "$TAG"; finish; }
}

# ---- (a) untrusted peers -----------------------------------------------------------------------
write_conf dir1 100 dir1 sync_fnat_service
write_conf dir2 150 rogue-dir2 sync_fnat_service
sync_require_support dir1 "$LAB_STATE_DIR/dir1.conf"
echo "== (a1) dir2 presents a certificate for dir2 signed by a rogue CA"
start dir1; start dir2
check "dir2 MASTER within 3 s" wait_vrrp_state 3 dir2 "$S2" MASTER
check "dir1 BACKUP" wait_vrrp_state 3 dir1 "$S1" BACKUP
open_flows R "$NA"
expect_eq "$NA flows open through dir2" "$NA" "$(fd_get "$TAG" ready opened)"
expect_eq "dir2's conntrack holds them" "$NA" "$(ct_count dir2)"
expect_eq "polls (3 s, every 0.2 s) that saw dir1<-dir2 or dir2->dir1 up" 0 "$(never_up 3)"
expect_eq "dir1 received from dir2" 0 "$(sync_in dir1 "$S1" dir2 received)"
expect_eq "dir1 applied from dir2" 0 "$(sync_in dir1 "$S1" dir2 applied)"
expect_eq "dir1's conntrack entries for $SYNC_VIP" 0 "$(ct_all dir1)"
show_sync dir1 "$S1"; show_sync dir2 "$S2"
lab_stop_pid "${FD_PID[$TAG]}" >/dev/null

echo "== (a2) dir2 presents a valid certificate (right CA) for dir3; dir1 expects peer dir2"
directord_stop "$P2" >/dev/null; P2=
ct_flush_vip dir2
write_conf dir2 150 dir3 sync_fnat_service
start dir2
check "dir2 MASTER again within 3 s" wait_vrrp_state 3 dir2 "$S2" MASTER
ct_flush_vip dir1
open_flows W "$NA"
expect_eq "$NA flows open through dir2" "$NA" "$(fd_get "$TAG" ready opened)"
expect_eq "polls (3 s, every 0.2 s) that saw dir1<-dir2 or dir2->dir1 up" 0 "$(never_up 3)"
expect_eq "dir1 received from dir2" 0 "$(sync_in dir1 "$S1" dir2 received)"
expect_eq "dir1 applied from dir2" 0 "$(sync_in dir1 "$S1" dir2 applied)"
expect_eq "dir1's conntrack entries for $SYNC_VIP" 0 "$(ct_all dir1)"
show_sync dir1 "$S1"; show_sync dir2 "$S2"
echo "   dir1's log on the refused peer (first lines mentioning dir2/cert/name):"
grep -iE 'dir3|certif|verify|handshake|refus|reject' "$LAB_STATE_DIR/directord-dir1.log" | head -n 6 | sed 's/^/     /'

echo "== (a3) control: dir2 with its real certificate syncs to dir1"
lab_stop_pid "${FD_PID[$TAG]}" >/dev/null
directord_stop "$P2" >/dev/null; P2=
ct_flush_vip dir2
write_conf dir2 150 dir2 sync_fnat_service
start dir2
check "dir2 MASTER again within 3 s" wait_vrrp_state 3 dir2 "$S2" MASTER
check "dir1 sees both streams with dir2 up (within 5 s)" lab_wait_for 5 sync_both_up dir1 "$S1" dir2
open_flows C "$NA"
check "dir1 applied >= $NA flows from dir2 (within 10 s)" sync_wait_applied 10 dir1 "$S1" dir2 "$NA"
check "dir1's conntrack now holds >= $NA drill flows" ct_wait_ge 5 dir1 "$NA"
lab_stop_pid "${FD_PID[$TAG]}" >/dev/null
stop_both

# ---- (b) entries the receiver does not admit ----------------------------------------------------
echo "== (b1) dir1 (master) has services A :9000 and B :$PORT_B, dir2 knows only A: $N flows to each"
echo "   through dir1 alone, then dir2 starts and receives them in dir1's bulk"
ct_flush_vip dir1; ct_flush_vip dir2
write_conf dir1 150 dir1 sync_fnat_service service_b
write_conf dir2 100 dir2 sync_fnat_service
start dir1
check "dir1 MASTER within 3 s" wait_vrrp_state 3 dir1 "$S1" MASTER
open_flows A "$N"; TA=$TAG
DRILL_PORT=$PORT_B open_flows B "$N"; TB=$TAG
expect_eq "$N flows open to A" "$N" "$(fd_get "$TA" ready opened)"
expect_eq "$N flows open to B" "$N" "$(fd_get "$TB" ready opened)"
echo "   A per real $(fd_get "$TA" ready per_real), B per real $(fd_get "$TB" ready per_real)"
start dir2
check "dir2 BACKUP" wait_vrrp_state 3 dir2 "$S2" BACKUP
check "dir1's bulk into dir2 complete (within 10 s)" lab_wait_for 10 sync_bulk_complete dir2 "$S2" dir1
rej_ge() { [ "$(sync_in dir2 "$S2" dir1 unknown-service)" -ge "$1" ]; }
check "dir2 applied >= $N (within 5 s)" sync_wait_applied 5 dir2 "$S2" dir1 "$N"
check "dir2 rejected >= $N as unknown-service (within 5 s)" lab_wait_for 5 rej_ge "$N"
check "dir1's queue to dir2 drained (within 5 s)" sync_wait_drained 5 dir1 "$S1" dir2
sleep 0.3
show_sync dir1 "$S1"; show_sync dir2 "$S2"
recv=$(sync_in dir2 "$S2" dir1 received); appl=$(sync_in dir2 "$S2" dir1 applied)
rej=$(sync_in dir2 "$S2" dir1 rejected); rus=$(sync_in dir2 "$S2" dir1 unknown-service)
check "dir2 received >= 2N ($recv >= $((2 * N)))" test "$recv" -ge $((2 * N))
expect_eq "dir2 applied (the flows of A)" "$N" "$appl"
expect_eq "dir2 rejected (the flows of B)" "$N" "$rej"
expect_eq "dir2 rejected as unknown-service" "$N" "$rus"
expect_eq "received = applied + rejected" "$recv" "$((appl + rej))"
expect_eq "dir2 malformed" 0 "$(sync_in dir2 "$S2" dir1 malformed)"
expect_eq "dir2 stream resets" 0 "$(sync_in dir2 "$S2" dir1 resets)"
expect_eq "dir2's conntrack entries of A (established)" "$N" "$(ct_count dir2)"
expect_eq "dir2's conntrack entries of A (any state)" "$N" "$(ct_all dir2 9000)"
expect_eq "dir2's conntrack entries of B" 0 "$(ct_all dir2 "$PORT_B")"
expect_eq "dir1's conntrack entries of B (control: they exist)" "$N" "$(ct_all dir1 "$PORT_B")"

echo "== (b1 live) $N more flows to B while the streams are up: refused as they come"
echo "   (sync/README.md: 8 mostly-refused batches in a row reset the stream; the reconnect sends a bulk)"
DRILL_PORT=$PORT_B open_flows B "$N"; TB2=$TAG
expect_eq "$N more flows open to B" "$N" "$(fd_get "$TB2" ready opened)"
check "dir2 rejected >= $((2 * N)) as unknown-service (within 10 s)" lab_wait_for 10 rej_ge $((2 * N))
check "both streams with dir1 up again (within 5 s)" lab_wait_for 5 sync_both_up dir2 "$S2" dir1
check "dir1's queue to dir2 drained (within 5 s)" sync_wait_drained 5 dir1 "$S1" dir2
sleep 0.3
show_sync dir2 "$S2"
echo "   dir2: unknown-service $(sync_in dir2 "$S2" dir1 unknown-service), applied $(sync_in dir2 "$S2" dir1 applied)," \
  "resets $(sync_in dir2 "$S2" dir1 resets); dir1 bulks sent: $(sync_status dir1 "$S1" | sed -n 's/^ *out: bulks \([0-9]*\).*/\1/p')"
expect_eq "dir2's conntrack entries of A still" "$N" "$(ct_all dir2 9000)"
expect_eq "dir2's conntrack entries of B still" 0 "$(ct_all dir2 "$PORT_B")"
echo "== (b2) dir2 restarts with an empty table and A without real3: dir1's bulk brings both services again"
directord_stop "$P2" >/dev/null; P2=
ct_flush_vip dir2
on_r3=$(fd_get "$TA" ready per_real/real3)
write_conf dir2 100 dir2 service_a_without_real3
grep -q 198.51.100.13 "$LAB_STATE_DIR/dir2.conf" && fail "dir2's config still names real3"
start dir2
check "dir2 BACKUP" wait_vrrp_state 3 dir2 "$S2" BACKUP
check "dir1's bulk into dir2 complete (within 10 s)" lab_wait_for 10 sync_bulk_complete dir2 "$S2" dir1
rur_ge() { [ "$(sync_in dir2 "$S2" dir1 unknown-real)" -ge "$1" ]; }
lab_wait_for 5 rur_ge "$on_r3"
sleep 0.5
show_sync dir2 "$S2"
recv=$(sync_in dir2 "$S2" dir1 received); appl=$(sync_in dir2 "$S2" dir1 applied)
expect_eq "dir2 rejected as unknown-real (A's flows on real3)" "$on_r3" "$(sync_in dir2 "$S2" dir1 unknown-real)"
expect_eq "dir2 rejected as unknown-service (B's $((2 * N)) flows)" "$((2 * N))" "$(sync_in dir2 "$S2" dir1 unknown-service)"
expect_eq "dir2 applied (A's flows on real1 and real2)" "$((N - on_r3))" "$appl"
expect_eq "dir2 received (A's $N and B's $((2 * N)))" "$((3 * N))" "$recv"
expect_eq "dir2's conntrack entries of A" "$((N - on_r3))" "$(ct_all dir2 9000)"
expect_eq "dir2's conntrack entries of A to real3" 0 \
  "$(on dir2 conntrack -L -p tcp --orig-dst "$SYNC_VIP" --dport 9000 --reply-src 198.51.100.13 2>/dev/null | grep -c 'src=')"
expect_eq "dir2's conntrack entries of B" 0 "$(ct_all dir2 "$PORT_B")"
echo "   ${0##*/} ran $((SECONDS - T_START)) s"
finish
