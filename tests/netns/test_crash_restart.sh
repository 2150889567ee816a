#!/usr/bin/env bash
# Own what you create, across crashes. directord in dir1 holds static_ipaddress entries (a FULLNAT
# local address, a labelled IPv4 and an IPv6 address, a DR VIP), a VRRP VIP (priority 255: MASTER
# at once) in front of a FULLNAT service, and both tables (inet, netdev for DR). Under a bounded
# client loop it is killed with kill -9 and restarted 20 times: after each restart it forwards
# again, and the state file lists what it holds. Once, a route of ours is planted in the ledger
# (as the routed cluster will write them) to show a restart removes it. Then SIGTERM with admin
# calls in flight: no address, table, route, process, socket or state file of ours is left; an
# operator's address that the config also names survives everything. RSS of each incarnation,
# measured at the same point, stays flat. Last, kill -9 and a restart with a broken config: exit
# 2, and it has swept everything its predecessor held.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
CYCLES=${CRASH_CYCLES:-20}
RSS_MARGIN_KB=${CRASH_RSS_MARGIN_KB:-3072}
T0=$(date +%s.%N)
lab_up
start_reals
real_dr_setup 192.0.2.102

CONF="$LAB_STATE_DIR/crash.conf"
SOCK="$LAB_STATE_DIR/dir1.sock"
cat >"$CONF" <<'EOF'
global_defs {
    router_id crash-dir1
    lb_hash_seed 0x1234abcd
}
static_ipaddress {
    198.51.100.200/32 dev lan0
    192.0.2.150/32 dev lan0 label lan0:st
    192.0.2.151/32 dev lan0
    fd00:2::150/128 dev lan0
    192.0.2.102/32 dev lan0
}
vrrp_instance VI_1 {
    state MASTER
    interface lan0
    version 3
    virtual_router_id 61
    priority 255
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.100/32 dev lan0
    }
}
local_address_group LAG4 {
    198.51.100.200
}
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG4
    real_server 198.51.100.11 80 {
        weight 1
    }
    real_server 198.51.100.12 80 {
        weight 1
    }
}
virtual_server 192.0.2.102 80 {
    lb_algo mh
    lb_kind DR
    protocol TCP
    real_server 198.51.100.13 80 {
        weight 1
    }
}
EOF
OURS4=(192.0.2.100 192.0.2.102 192.0.2.150 198.51.100.200)
OURS6=(fd00:2::150)
FOREIGN=192.0.2.151  # the operator's: present before directord ever ran, named by the config too
ROUTE=192.0.2.160/32

NETNS_INO=$(on dir1 stat -L -c %i /proc/self/ns/net)
RUNDIR=/run/directord/net-$NETNS_INO
# A directory left by an earlier run of a namespace that had this inode is not ours to judge.
[ -e "$RUNDIR" ] && lab_log "note: $RUNDIR exists before the test (left by a namespace that had this inode)"
on dir1 ip addr add "$FOREIGN/32" dev lan0

addr_list() { on dir1 ip -o addr show 2>/dev/null; }
holds_all_ours() {
  local a list
  list=$(addr_list) || return 1
  for a in "${OURS4[@]}" "${OURS6[@]}"; do grep -q " $a/" <<<"$list" || return 1; done
}
# The state file is a journal: the last line naming an item decides ("forget ..." = not listed).
# state_entry KEY prints that line when the item is listed, nothing otherwise.
state_entry() { awk -v k="$1" 'index($0, k) { last = $0 } END { if (last !~ /^forget /) print last }' "$RUNDIR/state"; }
forwards() { [[ "$(vip_request 192.0.2.100)" == real* ]] && [[ "$(vip_request 192.0.2.102)" == real3* ]]; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# The client: one new connection at a time to the FULLNAT VIP, bounded in count and time, until
# the stop file appears. Each line: ok or fail.
TRAFFIC_LOG="$LAB_STATE_DIR/traffic.log"
STOP_FILE="$LAB_STATE_DIR/traffic.stop"
lab_spawn client "$LAB_STATE_DIR/traffic.err" bash -c '
  end=$((SECONDS + 80))
  for ((i = 0; i < 20000 && SECONDS < end; i++)); do
    [ -e "$2" ] && break
    if curl -s --max-time 1 -o /dev/null http://192.0.2.100/; then echo ok; else echo fail; fi
    sleep 0.02
  done >>"$1"' _ "$TRAFFIC_LOG" "$STOP_FILE"
TRAFFIC_PID=$LAB_LAST_PID

directord_start dir1 "$CONF" "$SOCK" || { fail "directord starts"; finish; }
check "first start forwards (FULLNAT via the VRRP VIP, DR) within 5 s" lab_wait_for 5 forwards
check "first start holds every address of ours" holds_all_ours
RSS=("$(rss_kb "$DIRECTORD_PID")")
RESTART_MS=()
forward_fail=0
for ((cycle = 1; cycle <= CYCLES; cycle++)); do
  lab_stop_pid "$DIRECTORD_PID" KILL >/dev/null || { fail "cycle $cycle: kill -9 of $DIRECTORD_PID"; break; }
  # What the crash left: the addresses, the tables, and a state file listing them.
  if [ "$cycle" = 1 ]; then
    check "after kill -9 the addresses are still configured (as a crash leaves them)" holds_all_ours
    expect_eq "after kill -9 the state file lists the VRRP VIP" "address 192.0.2.100/32 dev lan0 role vrrp" \
      "$(state_entry "address 192.0.2.100/32 dev lan0")"
    expect_eq "after kill -9 the state file lists the labelled static address" \
      "address 192.0.2.150/32 dev lan0 label lan0:st role static" "$(state_entry "address 192.0.2.150/32 dev lan0")"
    expect_eq "after kill -9 the state file lists the inet table" "table inet directord" "$(state_entry "table inet directord")"
    expect_eq "after kill -9 the state file lists the netdev table" "table netdev directord" "$(state_entry "table netdev directord")"
    expect_eq "the operator's $FOREIGN is not listed in the state file" "" "$(state_entry "address $FOREIGN/32 dev lan0")"
  fi
  if [ "$cycle" = 2 ]; then
    # As the routed cluster will: a route in a table of ours, listed before it exists.
    echo "route $ROUTE table 100 type unicast dev lo" >>"$RUNDIR/state"
    on dir1 ip route add "$ROUTE" dev lo table 100
  fi
  t_start=$(date +%s%N)
  directord_start dir1 "$CONF" "$SOCK" || { fail "cycle $cycle: restart"; break; }
  if ! lab_wait_for 5 forwards; then
    fail "cycle $cycle: forwards again within 5 s"
    forward_fail=$((forward_fail + 1))
    continue
  fi
  RESTART_MS+=($((($(date +%s%N) - t_start) / 1000000)))
  RSS+=("$(rss_kb "$DIRECTORD_PID")")
  if [ "$cycle" = 2 ]; then
    check "the restart removed the route the state file listed" \
      bash -c '[ -z "$(ip netns exec "$1" ip route show table 100 "$2")" ]' _ "$(ns dir1)" "$ROUTE"
  fi
done
[ "$forward_fail" = 0 ] && pass "forwards again after each of $CYCLES kill -9 + restart (restart to first answer, ms: ${RESTART_MS[*]})"
check "still holds every address of ours after the last restart" holds_all_ours
dup=$(addr_list | grep -c " 192.0.2.100/")
expect_eq "the VRRP VIP is configured once" 1 "$dup"

echo "== RSS per incarnation (kB, after its first forwarded request): ${RSS[*]}"
first=${RSS[0]} last=${RSS[${#RSS[@]} - 1]}
check "RSS stays flat: last $last kB <= first $first kB + $RSS_MARGIN_KB kB" test "$last" -le $((first + RSS_MARGIN_KB))

touch "$STOP_FILE"
lab_stop_pid "$TRAFFIC_PID" >/dev/null
ok=$(grep -c '^ok$' "$TRAFFIC_LOG"); failed=$(grep -c '^fail$' "$TRAFFIC_LOG")
echo "== client loop during the cycles: $ok ok, $failed failed"
check "the client loop got answers ($ok)" test "$ok" -gt 0

echo "== SIGTERM while admin calls are in flight: nothing of ours is left"
PID=$DIRECTORD_PID
# Admin calls in a tight bounded loop: some are in flight when SIGTERM arrives. The admin server
# stops before the director loop, so none of them can wait on a loop that is gone.
lab_spawn dir1 "$LAB_STATE_DIR/ctl-loop.log" bash -c \
  'for ((i = 0; i < 400; i++)); do "$1" --admin-socket "$2" list >/dev/null 2>&1 || true; done' _ "$DIRECTORCTL" "$SOCK"
CTL_PID=$LAB_LAST_PID
sleep 0.3
t_stop=$(date +%s%N)
check "directord exits within 5 s of SIGTERM (admin calls in flight)" directord_stop "$PID"
echo "    stopped in $((($(date +%s%N) - t_stop) / 1000000)) ms"
lab_stop_pid "$CTL_PID" >/dev/null
list=$(addr_list)
for a in "${OURS4[@]}" "${OURS6[@]}"; do
  check "address $a removed" bash -c '! grep -q " $1/" <<<"$2"' _ "$a" "$list"
done
check "the operator's $FOREIGN is still there" grep -q " $FOREIGN/" <<<"$list"
check "dir1's own 198.51.100.2 is still there" grep -q " 198.51.100.2/" <<<"$list"
check "no directord nft table (inet or netdev)" bash -c '! ip netns exec "$1" nft list tables | grep -qw directord' _ "$(ns dir1)"
check "no route of ours in table 100" bash -c '[ -z "$(ip netns exec "$1" ip route show table 100)" ]' _ "$(ns dir1)"
procs=$(for p in $(ip netns pids "$(ns dir1)"); do cat "/proc/$p/comm" 2>/dev/null; done | grep -c '^directord$')
expect_eq "no directord process in dir1" 0 "$procs"
check "no socket of pid $PID in dir1 (raw VRRP, packet, netlink, unix)" \
  bash -c '! ip netns exec "$1" ss -Hanp 2>/dev/null | grep -q "pid=$2,"' _ "$(ns dir1)" "$PID"
check "admin socket file removed" test ! -e "$SOCK"
check "runtime directory $RUNDIR removed (lock and state file gone)" test ! -e "$RUNDIR"
log="$LAB_STATE_DIR/directord-dir1.log"
check "the last start reclaimed from the state file" grep -q "reclaimed what a previous directord" "$log"
check "the stop found nothing left for the sweep" bash -c '! grep -q "removed what the state file still listed" "$1"' _ "$log"
echo "== kill -9, then a restart with a broken config: it sweeps what its predecessor left, exit 2"
directord_start dir1 "$CONF" "$SOCK" || fail "start again"
check "forwards again" lab_wait_for 5 forwards
lab_stop_pid "$DIRECTORD_PID" KILL >/dev/null
BROKEN="$LAB_STATE_DIR/broken.conf"
{ cat "$CONF"; echo "virtual_server 192.0.2.200 {"; } >"$BROKEN"
on dir1 timeout 10 "$DIRECTORD" -f "$BROKEN" -l -n --admin-socket "$SOCK" >"$LAB_STATE_DIR/broken.log" 2>&1
expect_eq "a broken config exits 2" 2 "$?"
list=$(addr_list)
left=$(for a in "${OURS4[@]}" "${OURS6[@]}"; do grep -q " $a/" <<<"$list" && echo "$a"; done)
expect_eq "no address of ours left" "" "$left"
check "the operator's $FOREIGN is still there" grep -q " $FOREIGN/" <<<"$list"
check "no directord nft table left" bash -c '! ip netns exec "$1" nft list tables | grep -qw directord' _ "$(ns dir1)"
check "runtime directory removed" test ! -e "$RUNDIR"
check "the log says what it swept" grep -q "removed what the state file still listed (the config has errors)" "$LAB_STATE_DIR/broken.log"
echo "== total $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
finish
