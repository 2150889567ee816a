#!/usr/bin/env bash
# The attack of issue 11, as a test (sync/README.md, "Trust"). A VRRP pair with connection_sync:
# dir1 (150, MASTER) carries N long-lived FULLNAT flows (flowdrill.py), synced to dir2; dir1 has
# `peer_quota 200`. An attacker holds dir2 and its valid certificate:
#  (1) on dir2, `conntrack -U --timeout 600000` (conntrack-tools stops after a few hundred: the
#      rest is updated the same way by ct_sync_tool) and then `conntrack -D` on the copies of
#      dir1's flows: dir2's directord reports them to dir1 as its own. dir1 refuses every one
#      (owned-locally, then not-taught); its entries keep their timeout and stay.
#  (2) dir2's directord stopped, a rogue client (tests/netns_bin/sync_rogue_peer) speaks sync as
#      dir2. (3) First an 8 MiB message after a valid Hello: refused before it is parsed, dir1's
#      RSS grows by less than 4 MiB (the issue measured 308 MB at 35bf836); then a 64 MiB one:
#      dir1's peak RSS grows by less than 16 MiB (the memory quota, not the sender, sets it).
#      Then, on fresh streams that dir1 must still serve, upserts of dir1's flows with a 7-day
#      timeout, removes of them, and 500 planted flows of an invented client: 200 are taken
#      (clamped to dir1's established timeout), 300 refused as over quota. Exact counts, by
#      reason, from `directorctl sync`.
#  (4) three streams that never send a Hello: one is refused at once (stream cap: 2 per peer), the
#      other two are cut at the 5 s Hello deadline; counted.
#  (5) dir2 returns and syncs again; all N flows still work through dir1 (client-first and
#      server-first), each with its own real.
# SYNC_ATTACK_FLOWS changes N (default 1000).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
source "$HERE/sync_lib.sh"
sync_drill_require
BIN=${HA_BUILD_DIR:-$LAB_SOURCE_DIR/build/dev}/tests/netns_bin
ROGUE=${SYNC_ROGUE_PEER:-$BIN/sync_rogue_peer}
TOOL=${CT_SYNC_TOOL:-$BIN/ct_sync_tool}
for b in "$ROGUE" "$TOOL"; do [ -x "$b" ] || { echo "FAIL: binary not found: $b (build it)"; exit 1; }; done
N=${SYNC_ATTACK_FLOWS:-1000}
QUOTA=200
PLANT=500
T_START=$SECONDS
lab_up
sync_certs dir1 dir2
drill_servers_start
S1="$LAB_STATE_DIR/dir1.sock"
S2="$LAB_STATE_DIR/dir2.sock"

write_conf() {  # NODE PRIORITY [QUOTA]
  local node=$1 prio=$2 quota=${3:-262144} peer=dir2
  [ "$node" = dir2 ] && peer=dir1
  {
    sync_global_defs "$node"
    sync_block "$node" "$peer" | sed "/^connection_sync {/a\\    peer_quota $quota"
    sync_vrrp_instance VI_1 51 "$prio" "" 192.0.2.100/32 198.51.100.200/32
    sync_lag LAG4 198.51.100.200
    sync_fnat_service LAG4
  } >"$LAB_STATE_DIR/$node.conf"
}
write_conf dir1 150 "$QUOTA"
write_conf dir2 100
sync_require_support dir1 "$LAB_STATE_DIR/dir1.conf"
sync_directord_start dir2 "$LAB_STATE_DIR/dir2.conf" "$S2" || { fail "directord starts in dir2"; finish; }
P2=$DIRECTORD_PID
sync_directord_start dir1 "$LAB_STATE_DIR/dir1.conf" "$S1" || { fail "directord starts in dir1"; finish; }
P1=$DIRECTORD_PID

in1() { sync_in dir1 "$S1" dir2 "$1"; }  # a field of dir1's "in:" line for dir2
in1_ge() { [ "$(in1 "$1")" -ge "$2" ]; }
# stream_stat NAME: a counter of dir1's "incoming streams" line (hello timeouts, over cap, ...)
stream_stat() { sync_status dir1 "$S1" | sed -n "s/.*[ ,]$1 \\([0-9]*\\).*/\\1/p" | head -n1; }
# ct_lines NODE [ARGS]: conntrack -L of the drill service (any state)
ct_lines() { on "$1" conntrack -L -p tcp --orig-dst "$SYNC_VIP" --dport "$DRILL_PORT" "${@:2}" 2>/dev/null; }
# max_timeout NODE [ARGS]: the longest remaining timeout among those entries (field 3)
max_timeout() { ct_lines "$@" | awk 'BEGIN {m = 0} $3 + 0 > m {m = $3 + 0} END {print m}'; }
count_lines() { ct_lines "$@" | grep -c 'src='; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
rogue() { on dir1 "$ROGUE" --target "${LAB_IP4[dir1]}:$SYNC_PORT" --server dir1 --ca "$SYNC_CERTS/ca.pem" \
  --cert "$SYNC_CERTS/dir2.pem" --key "$SYNC_CERTS/dir2.key" --node dir2 "$@"; }
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | head -n1; }  # kv KEY OUTPUT
show_sync() { echo "   directorctl sync on $1:"; sync_status "$1" "$2" | sed 's/^/     /'; }

check "dir1 MASTER within 3 s" wait_vrrp_state 3 dir1 "$S1" MASTER
check "dir2 BACKUP" wait_vrrp_state 3 dir2 "$S2" BACKUP
check "sync streams up between dir1 and dir2 (within 5 s)" lab_wait_for 5 sync_both_up dir1 "$S1" dir2
EST=$(on dir1 sysctl -n net.netfilter.nf_conntrack_tcp_timeout_established)

echo "== $N flows through dir1, synced to dir2"
flowdrill_start A "$N"
check "flowdrill opened its flows (within 30 s)" flowdrill_wait_ready A 30
expect_eq "all $N flows open" "$N" "$(fd_get A ready opened)"
check "dir2 applied >= $N flows (within 10 s)" sync_wait_applied 10 dir2 "$S2" dir1 "$N"
check "dir2's conntrack holds >= $N drill flows (within 5 s)" ct_wait_ge 5 dir2 "$N"
on dir1 "$TOOL" dump --raw | awk -v p="$DRILL_PORT" '$5 == p' >"$LAB_STATE_DIR/own.raw"
expect_eq "dir1's own flows (ct_sync_tool dump)" "$N" "$(wc -l <"$LAB_STATE_DIR/own.raw")"
echo "   dir1: $(count_lines dir1) entries, longest timeout $(max_timeout dir1) s (established timeout $EST s)"

echo "== (1) on dir2: conntrack -U --timeout 600000, then conntrack -D, on the copies of dir1's flows"
# conntrack-tools 1.4.7 updates entries while it dumps them and gives up once the dump is
# interrupted (ENOBUFS / EPROTO after a few hundred): what it did update is counted, and the
# attacker finishes the job with the same ctnetlink update from one process (ct_sync_tool apply).
out=$(on dir2 conntrack -U -p tcp --orig-dst "$SYNC_VIP" --dport "$DRILL_PORT" --timeout 600000 2>&1 >/dev/null)
K=$(ct_lines dir2 | awk '$3 > 500000' | wc -l)
echo "   dir2: conntrack -U: $out ($K entries now past 500000 s)"
check "dir1 refused the $K upserts from dir2 as owned-locally (within 10 s)" lab_wait_for 10 in1_ge owned-locally "$K"
sleep 0.3
expect_eq "dir1's owned-locally refusals after conntrack -U" "$K" "$(in1 owned-locally)"
on dir2 "$TOOL" dump --raw | awk -v p="$DRILL_PORT" '$5 == p {$12 = 600000; print}' >"$LAB_STATE_DIR/copies.raw"
out=$(on dir2 "$TOOL" apply "$LAB_STATE_DIR/copies.raw")
echo "   dir2: the same update of all $(wc -l <"$LAB_STATE_DIR/copies.raw") copies: $out; longest timeout there now $(max_timeout dir2) s"
check "dir1 refused $((K + N)) upserts from dir2 as owned-locally (within 10 s)" lab_wait_for 10 in1_ge owned-locally $((K + N))
out=$(on dir2 conntrack -D -p tcp --orig-dst "$SYNC_VIP" --dport "$DRILL_PORT" 2>&1 >/dev/null)
echo "   dir2: $out"
check "dir1 refused $N removes from dir2 as not-taught (within 10 s)" lab_wait_for 10 in1_ge not-taught "$N"
sleep 0.3
expect_eq "dir1's owned-locally refusals" "$((K + N))" "$(in1 owned-locally)"
expect_eq "dir1's not-taught refusals" "$N" "$(in1 not-taught)"
expect_eq "dir1 applied from dir2" 0 "$(in1 applied)"
expect_eq "dir1's entries of the drill flows still there" "$N" "$(count_lines dir1)"
t=$(max_timeout dir1)
check "dir1's entries kept their timeout (longest $t s <= $EST s, not 600000)" test "$t" -le "$EST"
show_sync dir1 "$S1"
echo "   dir1's log:"; grep -E "sync: refused" "$LAB_STATE_DIR/directord-dir1.log" | head -n 4 | sed 's/^/     /'

echo "== (2) the attacker replaces dir2's directord with a rogue sync client (dir2's certificate)"
directord_stop "$P2" >/dev/null; P2=
in_down() { sync_status dir1 "$S1" | awk '$1 == "dir2" && NF > 4 {ok = $4 == "down"} END {exit !ok}'; }
check "dir1 sees dir2's stream down" lab_wait_for 5 in_down
echo "== (3) first, an 8 MiB and a 64 MiB message after a valid Hello"
# big BYTES: sends one message; leaves RSS before/after and the peak growth (VmHWM) in KiB in
# RSS0, RSS1, PEAK and the stream's end in STATUS.
big() {
  RSS0=$(rss_kib "$P1")
  echo 5 >"/proc/$P1/clear_refs"  # VmHWM := VmRSS: the peak during the message is measured
  local out; out=$(rogue big "$1"); echo "   $out"
  sleep 0.5
  RSS1=$(rss_kib "$P1")
  PEAK=$(( $(awk '/^VmHWM:/ {print $2}' "/proc/$P1/status") - RSS0 ))
  STATUS=$(kv status "$out")
  echo "   dir1's directord RSS: $RSS0 KiB before, $RSS1 KiB after ($((RSS1 - RSS0)) KiB), peak +$PEAK KiB"
}
# gRPC 1.51 buffers a message whole before its size check; the memory quota (3 MiB here) is what
# stops it: a stream reset (RESOURCE_EXHAUSTED) or the connection closed under the writer
# (UNAVAILABLE). The peak varies with how far the sender got (36 KiB to 7.3 MiB seen for 8 MiB).
big $((8 * 1024 * 1024))
check "the 8 MiB message's stream is ended by dir1 ($STATUS)" grep -qE '^(RESOURCE_EXHAUSTED|UNAVAILABLE)$' <<<"$STATUS"
check "dir1's RSS grew by less than 4 MiB" test $((RSS1 - RSS0)) -lt 4096
rss8=$((RSS1 - RSS0)) peak8=$PEAK
big $((64 * 1024 * 1024))
check "the 64 MiB message's stream is ended by dir1 ($STATUS)" grep -qE '^(RESOURCE_EXHAUSTED|UNAVAILABLE)$' <<<"$STATUS"
check "dir1's peak RSS does not follow the sender (+$PEAK KiB < 16 MiB for 64 MiB)" test "$PEAK" -lt 16384
check "dir1's RSS grew by less than 4 MiB" test $((RSS1 - RSS0)) -lt 4096
peak64=$PEAK
expect_eq "nothing of it was parsed (malformed)" 0 "$(in1 malformed)"
expect_eq "dir1 still MASTER" MASTER "$(vrrp_state dir1 "$S1")"

echo "== (2, continued) then its upserts, removes and planted flows (the server still reads)"
out=$(rogue upsert "$LAB_STATE_DIR/own.raw" 604800); echo "   upserts of dir1's flows, 7 days: $out"
expect_eq "rogue upserts refused (acks' count)" "$N" "$(kv rejected "$out")"
out=$(rogue remove "$LAB_STATE_DIR/own.raw"); echo "   removes of dir1's flows: $out"
expect_eq "rogue removes refused (acks' count)" "$N" "$(kv rejected "$out")"
out=$(rogue plant "$PLANT" "$SYNC_VIP" "$DRILL_PORT" 198.51.100.11 198.51.100.200)
echo "   $PLANT planted flows of 203.0.113.77, 7-day timeouts: $out"
expect_eq "planted flows refused (acks' count)" "$((PLANT - QUOTA))" "$(kv rejected "$out")"
expect_eq "dir1: owned-locally (dir2's $((K + N)) + the rogue's $N)" "$((K + 2 * N))" "$(in1 owned-locally)"
expect_eq "dir1: not-taught (dir2's $N + the rogue's $N)" "$((2 * N))" "$(in1 not-taught)"
expect_eq "dir1: quota" "$((PLANT - QUOTA))" "$(in1 quota)"
expect_eq "dir1: applied (the planted flows within the quota)" "$QUOTA" "$(in1 applied)"
expect_eq "dir1: taught by dir2" "$QUOTA" "$(in1 taught)"
expect_eq "dir1: clamped (each planted flow's 7 days)" "$QUOTA" "$(in1 clamped)"
expect_eq "dir1: rejected in all" "$((K + 4 * N + PLANT - QUOTA))" "$(in1 rejected)"
expect_eq "dir1's planted entries" "$QUOTA" "$(count_lines dir1 -s 203.0.113.77)"
t=$(max_timeout dir1 -s 203.0.113.77)
check "planted entries clamped (longest $t s <= $EST s)" test "$t" -le "$EST"
expect_eq "dir1's own entries still there" "$N" "$(count_lines dir1 -s 203.0.113.10)"
t=$(max_timeout dir1 -s 203.0.113.10)
check "dir1's own entries kept their timeout (longest $t s <= $EST s)" test "$t" -le "$EST"

echo "== (4) three streams at once that never send a Hello (cap: 2 per configured peer)"
out=$(rogue silent 3); sed 's/^/   /' <<<"$out"
dl=$(grep -o 'status=DEADLINE_EXCEEDED' <<<"$out" | wc -l)
ex=$(grep -o 'status=RESOURCE_EXHAUSTED' <<<"$out" | wc -l)
expect_eq "streams cut at the Hello deadline" 2 "$dl"
expect_eq "streams refused over the cap" 1 "$ex"
slowest=$(grep -o 'ended_ms=[0-9]*' <<<"$out" | cut -d= -f2 | sort -n | tail -n1)
check "cut within 5-8 s of opening (slowest $slowest ms)" test "$slowest" -ge 4900 -a "$slowest" -le 8000
expect_eq "dir1 counts hello timeouts" 2 "$(stream_stat 'hello timeouts')"
expect_eq "dir1 counts streams over the cap" 1 "$(stream_stat 'over cap')"

echo "== (5) dir2 returns; the $N flows through dir1"
sync_directord_start dir2 "$LAB_STATE_DIR/dir2.conf" "$S2" || { fail "directord restarts in dir2"; finish; }
P2=$DIRECTORD_PID
check "sync streams up again between dir1 and dir2 (within 5 s)" lab_wait_for 5 sync_both_up dir1 "$S1" dir2
flowdrill_go A
check "flowdrill result within 15 s" flowdrill_wait_result A 15
drill_report A
expect_eq "client-first flows that work" "$((N / 2))" "$(fd_get A result client_first_ok)"
expect_eq "server-first flows that work" "$((N - N / 2))" "$(fd_get A result server_first_ok)"
expect_eq "flows that reached another real" 0 "$(fd_get A result failures/wrong-real)"
show_sync dir1 "$S1"
echo "   figures: dir1 refused owned-locally $(in1 owned-locally), not-taught $(in1 not-taught)," \
  "quota $(in1 quota); taught $(in1 taught), clamped $(in1 clamped); 8 MiB message: RSS +$rss8 KiB (peak +$peak8 KiB);" \
  "64 MiB message: peak +$peak64 KiB;" \
  "hello timeouts $(stream_stat 'hello timeouts'), over cap $(stream_stat 'over cap')"
echo "   ${0##*/} ran $((SECONDS - T_START)) s"
finish
