#!/usr/bin/env bash
# Connection-sync benchmark: directord's sync (gRPC + mutual TLS) against keepalived + conntrackd
# (FTFW over UDP on the lab LAN), in the same run on the same lab (tests/netns/lib.sh):
#   A. bulk: N (100,000) FULLNAT entries of the service in dir1's kernel; the time from the start
#      of dir2's side to N entries in dir2's kernel (conntrack -C polled every 10 ms).
#   B. incremental lag at 5k and 10k new connections/s through dir1 (ct_load: connect, hold 0.5 s,
#      RST; one source port each): conntrack events of both directors (ct_event_stamp), matched
#      by tuple. Headline: the kernel's own creation stamps (nf_conntrack_timestamp), dir2's
#      synced entry - dir1's entry (the client's SYN). Also: user-space receive stamps, dir2's
#      first event - dir1's event that triggers the daemon (SEEN_REPLY for directord, NEW for
#      conntrackd), and directorctl sync's own lag (local event -> peer's ack).
#   C. end-to-end crash failover, VRRPv3 advert 0.1 s, priorities 254/253, 1,000 FULLNAT flows
#      (flowping -> drill_server.py): link cut + kill -9 of dir1; the time until dir2 holds the
#      VIP, until every flow answered again, and how many survived.
# Targets (issue): A <= 1 s; B p99 <= 20 ms; C <= 0.35 s with 100% of the flows.
#
# Use:  sudo bash bench/sync.sh [--quick] [--bulk N] [--rates "5000 10000"] [--load-seconds S]
#                               [--flows N] [--reps N] [--parts ABC]
# Binaries from $HA_BUILD_DIR (default build/release): directord, directorctl and bench/ct_fill,
# ct_event_stamp, ct_load, flowping ($DIRECTORD, $DIRECTORCTL and $SYNC_BENCH_TOOLS override them:
# copy them aside when others rebuild the tree meanwhile). Exit 0 ran, 1 setup failed, 77 skipped.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export HA_SOURCE_DIR=${HA_SOURCE_DIR:-$(cd "$HERE/.." && pwd)}
export HA_BUILD_DIR=${HA_BUILD_DIR:-$HA_SOURCE_DIR/build/release}
# shellcheck source=../tests/netns/lib.sh disable=SC1091
source "$HA_SOURCE_DIR/tests/netns/lib.sh"
# shellcheck source=../tests/netns/sync_lib.sh disable=SC1091
source "$HA_SOURCE_DIR/tests/netns/sync_lib.sh"

BULK=100000 RATES="5000 10000" LOAD_SECONDS=5 FLOWS=1000 REPS=5 PARTS=ABC PING_MS=20
while [ $# -gt 0 ]; do
  case $1 in
    --quick) BULK=20000 RATES="5000" LOAD_SECONDS=2 FLOWS=300 REPS=1 ;;
    --bulk) BULK=${2:?}; shift ;;
    --rates) RATES=${2:?}; shift ;;
    --load-seconds) LOAD_SECONDS=${2:?}; shift ;;
    --flows) FLOWS=${2:?}; shift ;;
    --reps) REPS=${2:?}; shift ;;
    --parts) PARTS=${2:?}; shift ;;
    *) echo "usage: $0 [--quick] [--bulk N] [--rates LIST] [--load-seconds S] [--flows N] [--reps N] [--parts ABC]" >&2; exit 2 ;;
  esac
  shift
done
lab_require_root
ha_find_binaries || exit 1
BB=${SYNC_BENCH_TOOLS:-$HA_BUILD_DIR/bench}
for b in ct_fill ct_event_stamp ct_load flowping; do
  [ -x "$BB/$b" ] || { echo "FAIL: $BB/$b missing (cmake --build $HA_BUILD_DIR --target ct_fill ct_event_stamp ct_load flowping)"; exit 1; }
done
CTD=$(command -v conntrackd || echo /usr/sbin/conntrackd)
KA=$(command -v keepalived || echo /usr/sbin/keepalived)
for t in "$CTD" "$KA" conntrack openssl nginx; do command -v "$t" >/dev/null || { echo "SKIP: needs $t"; exit 77; }; done
if pgrep -x conntrackd >/dev/null; then
  echo "note: a conntrackd runs on this host already (pids $(pgrep -x conntrackd | tr '\n' ' ')): ours use their own config, lock and socket"
fi
echo "== sync bench: bulk $BULK, rates $RATES for ${LOAD_SECONDS}s, $FLOWS flows x $REPS reps; load: $(cut -d' ' -f1-3 /proc/loadavg)"
lab_up
start_reals nginx
drill_servers_start
sync_certs dir1 dir2
S1="$LAB_STATE_DIR/dir1.sock" S2="$LAB_STATE_DIR/dir2.sock"
VIP=192.0.2.100 LADDR=198.51.100.200
REALS=(198.51.100.11 198.51.100.12 198.51.100.13)
# The failover's client: a lost ping is recovered by SACK/RACK as soon as a later one gets
# through, not by an RTO that would back off past the failover (rto_min 1 s keeps the window
# open, initcwnd 100 lets 20 ms pings go out for 2 s). Applies to both pairs alike.
on client ip route change default via 203.0.113.1 dev eth0 rto_min 1000ms initcwnd 100 || lab_die "client route"
on client sysctl -qw net.ipv4.tcp_slow_start_after_idle=0

# ---- configs ----
svc80() {
  cat <<EOF2
virtual_server $VIP 80 {
    lb_algo mh
    mh-port
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG4
$(for r in "${REALS[@]}"; do printf '    real_server %s 80 {\n        weight 1\n    }\n' "$r"; done)
}
EOF2
}
# dconf NODE sync(on|off) vrrp(on|off) PRIORITY
dconf() {
  local node=$1 sync=$2 vrrp=$3 prio=${4:-100} peer=dir2
  [ "$node" = dir2 ] && peer=dir1
  {
    sync_global_defs "$node"
    [ "$sync" = on ] && sync_block "$node" "$peer"
    [ "$vrrp" = on ] && sync_vrrp_instance VI_1 51 "$prio" "" $VIP/32 $LADDR/32
    sync_lag LAG4 $LADDR
    svc80
    sync_fnat_service LAG4
  } >"$LAB_STATE_DIR/$node.conf"
}
# cconf NODE EXTERNAL_CACHE(on|off): conntrackd FTFW over UDP between the LAN addresses
cconf() {
  local node=$1 ext=$2 peer=dir2 d="$LAB_STATE_DIR/ctd-$1" dis=On
  [ "$node" = dir2 ] && peer=dir1
  [ "$ext" = on ] && dis=Off
  mkdir -p "$d"
  cat >"$d/conntrackd.conf" <<EOF2
Sync {
    Mode FTFW {
        DisableExternalCache $dis
        ResendQueueSize 262144
    }
    UDP {
        IPv4_address ${LAB_IP4[$node]}
        IPv4_Destination_Address ${LAB_IP4[$peer]}
        Port 3780
        Interface lan0
        SndSocketBuffer 24985600
        RcvSocketBuffer 24985600
        Checksum on
    }
}
General {
    HashSize 131072
    HashLimit 524288
    LogFile $d/conntrackd.log
    Syslog off
    LockFile $d/lock
    UNIX {
        Path $d/ctl
    }
    NetlinkBufferSize 8388608
    NetlinkBufferSizeMaxGrowth 134217728
    NetlinkOverrunResync On
    Filter From Userspace {
        Protocol Accept {
            TCP
        }
    }
}
EOF2
}
ctd() { local node=$1; shift; on "$node" "$CTD" -C "$LAB_STATE_DIR/ctd-$node/conntrackd.conf" "$@"; }
declare -A DPID=() CPID=() KPID=()
ctd_start() {
  local node=$1 i
  rm -f "$LAB_STATE_DIR/ctd-$node/lock" "$LAB_STATE_DIR/ctd-$node/ctl"
  lab_spawn "$node" "$LAB_STATE_DIR/ctd-$node.out" "$CTD" -C "$LAB_STATE_DIR/ctd-$node/conntrackd.conf"
  CPID[$node]=$LAB_LAST_PID
  for ((i = 0; i < 100; i++)); do [ -S "$LAB_STATE_DIR/ctd-$node/ctl" ] && return 0; sleep 0.1; done
  echo "conntrackd in $node did not open its socket in 10 s:"; tail -5 "$LAB_STATE_DIR/ctd-$node/conntrackd.log" "$LAB_STATE_DIR/ctd-$node.out" 2>/dev/null
  return 1
}
d_start() {  # NODE: directord with $LAB_STATE_DIR/NODE.conf
  local sock="$LAB_STATE_DIR/$1.sock"
  directord_start "$1" "$LAB_STATE_DIR/$1.conf" "$sock" || lab_die "directord in $1"
  DPID[$1]=$DIRECTORD_PID
}
stop_all() {
  local node a r
  for node in dir1 dir2; do
    [ -n "${KPID[$node]:-}" ] && lab_stop_pid "${KPID[$node]}" TERM >/dev/null 2>&1
    [ -n "${CPID[$node]:-}" ] && lab_stop_pid "${CPID[$node]}" TERM >/dev/null 2>&1
    [ -n "${DPID[$node]:-}" ] && lab_stop_pid "${DPID[$node]}" TERM >/dev/null 2>&1
    KPID[$node]= CPID[$node]= DPID[$node]=
    link_restore "$node"
    for a in $VIP $LADDR; do on "$node" ip addr del "$a/32" dev lan0 2>/dev/null; done
    on "$node" conntrack -F >/dev/null 2>&1
  done
  on router ip neigh flush dev lan0 2>/dev/null
  for r in "${LAB_REALS[@]}"; do on "$r" ip neigh flush dev lan0 2>/dev/null; done
  on client conntrack -F >/dev/null 2>&1
  sleep 0.3
}
own_addresses() {  # NODE: the VIP and the local address, announced (manual setup, no VRRP)
  on "$1" ip addr add $VIP/32 dev lan0 && on "$1" ip addr add $LADDR/32 dev lan0
  on "$1" arping -c1 -U -I lan0 $VIP >/dev/null 2>&1 || true
}
ct_total() { on "$1" conntrack -C 2>/dev/null || echo 0; }
now_ns() { date +%s%N; }
ms_since() { echo $(( ($(now_ns) - $1) / 1000000 )); }
# The service's ct mark in NODE, from a real flow's conntrack entry (one GET through the VIP).
# (`nft list table` shows the marks map's data byte-swapped: 0xd1000001 is listed as 0x010000d1.)
service_mark() {
  vip_request $VIP 80 >/dev/null
  local m
  m=$(on "$1" conntrack -L -p tcp --orig-dst $VIP --dport 80 2>/dev/null | grep -o 'mark=[0-9]*' | head -1 | tr -dc 0-9)
  [ -n "$m" ] && printf '0x%08x\n' "$m"
}
# sync_field NODE SOCK REGEX: the directorctl sync output lines matching REGEX (for the report)
dsync() { on "$1" "$DIRECTORCTL" --admin-socket "$2" sync 2>&1; }
# wait_ct NODE MIN SECS -> prints the ms it took (from the global T0) or "timeout"; polls every 10 ms
wait_ct() {
  local node=$1 min=$2 secs=$3 i c
  for ((i = 0; i < secs * 100; i++)); do
    c=$(ct_total "$node")
    [ "${c:-0}" -ge "$min" ] && { now_ns >"$LAB_STATE_DIR/t_done"; ms_since "$T0"; return 0; }
    sleep 0.01
  done
  echo "timeout($c)"
}
declare -A R=()  # results for the summary

# ================================================================ A. bulk
part_A() {
  echo
  echo "== A. bulk: $BULK FULLNAT entries of $VIP:80 in dir1's kernel -> dir2's kernel"
  stop_all
  dconf dir1 on off; dconf dir2 on off
  d_start dir1
  own_addresses dir1
  local mark; mark=$(service_mark dir1)
  [ -n "$mark" ] || { echo "   no mark for $VIP:80 in dir1's table"; on dir1 nft list table inet directord | head -40; return; }
  echo "   service mark in dir1: $mark"
  local out; out=$(on dir1 "$BB/ct_fill" "$BULK" $VIP 80 $LADDR "${mark#0x}" "${REALS[@]}")
  echo "   dir1: ct_fill $out" | tr '\n' ' '; echo
  R[A.fill]=$(grep -o '= [0-9]* entries/s' <<<"$out" | tr -dc 0-9)
  sleep 1
  local base; base=$(ct_total dir2)
  T0=$(now_ns)
  d_start dir2
  local t; t=$(wait_ct dir2 $((base + BULK)) 30)
  R[A.d]=$t
  sleep 0.3
  local s2; s2=$(dsync dir2 "$S2")
  echo "   directord: dir2 start -> $BULK entries in dir2's kernel: $t ms (conntrack -C: $(ct_total dir2))"
  echo "   directorctl sync on dir2:"; sed 's/^/     /' <<<"$s2"
  # The sync log lines of both sides since dir2's start, in ms from it; the bulk starts when dir1's
  # stream to dir2 comes up (dir1 then dumps its table and sends it).
  echo "   sync log lines (ms from dir2's start):"
  for n in dir1 dir2; do grep -h "sync:" "$LAB_STATE_DIR/directord-$n.log" | sed "s/^/$n /"; done |
    awk -v t="$T0" '{ ms = ($2 * 1000) - t / 1e6; if (ms >= -50) { $2 = sprintf("%+8.0f", ms); print } }' | sort -k2 -n | sed 's/^/     /'
  local tb td
  tb=$(grep -h "sync: stream to dir2 up, bulk of" "$LAB_STATE_DIR/directord-dir1.log" | tail -1 | awk '{print $1}')
  td=$(cat "$LAB_STATE_DIR/t_done" 2>/dev/null)
  [ -n "$tb" ] && [ -n "$td" ] && R[A.dfrombulk]=$(awk -v b="$tb" -v d="$td" 'BEGIN { printf "%.0f", d / 1e6 - b * 1000 }')
  echo "   directord: start of the bulk (dir1's stream to dir2 up) -> $BULK entries in dir2's kernel: ${R[A.dfrombulk]:-?} ms"
  R[A.dbulk]=$(grep -h "bulk from dir1 complete" "$LAB_STATE_DIR/directord-dir2.log" | tail -1 | grep -o 'in [0-9]* ms' | tr -dc 0-9)
  # conntrackd: the same entries in dir1 (filled again after a flush), conntrackd on both,
  # dir2 writing straight into its kernel (DisableExternalCache On); `conntrackd -n` on dir2 asks
  # dir1 for the resync.
  stop_all
  dconf dir1 off off; dconf dir2 off off
  d_start dir1; d_start dir2
  own_addresses dir1
  mark=$(service_mark dir1)
  out=$(on dir1 "$BB/ct_fill" "$BULK" $VIP 80 $LADDR "${mark#0x}" "${REALS[@]}")
  cconf dir1 off; cconf dir2 off
  ctd_start dir1 || return; ctd_start dir2 || return
  local i n1=0
  for ((i = 0; i < 300; i++)); do  # dir1's conntrackd dumps the kernel into its internal cache
    n1=$(ctd dir1 -s 2>/dev/null | awk '/cache internal/ {f=1} f && /current active connections/ {print $NF; exit}')
    [ "${n1:-0}" -ge "$BULK" ] && break
    sleep 0.1
  done
  echo "   conntrackd dir1 internal cache: ${n1:-?} entries"
  base=$(ct_total dir2)
  T0=$(now_ns)
  ctd dir2 -n
  t=$(wait_ct dir2 $((base + BULK)) 30)
  R[A.c]=$t
  echo "   conntrackd: dir2 -n (resync request) -> $BULK entries in dir2's kernel: $t ms (conntrack -C: $(ct_total dir2))"
  ctd dir2 -s 2>/dev/null | grep -A3 -i "traffic\|multicast\|UDP" | head -8 | sed 's/^/     /'
  stop_all
}

# ================================================================ B. incremental lag
B_IP=20
# Where connections of the load get lost: dir1's conntrack drops / insert failures / early drops,
# the reals' accept-queue overflows, the host's softnet backlog drops (all namespaces).
diag_counters() {
  local ct lo sd r
  ct=$(on dir1 conntrack -S 2>/dev/null | awk '{for (i = 1; i <= NF; i++) {split($i, kv, "="); if (kv[1] ~ /^(drop|insert_failed|early_drop|invalid)$/) s[kv[1]] += kv[2]}} END {printf "drop=%d insert_failed=%d early_drop=%d invalid=%d", s["drop"], s["insert_failed"], s["early_drop"], s["invalid"]}')
  lo=0
  for r in "${LAB_REALS[@]}"; do
    lo=$((lo + $(on "$r" awk '/^TcpExt:/ {if (!h) {for (i = 1; i <= NF; i++) n[i] = $i; h = 1} else for (i = 1; i <= NF; i++) if (n[i] == "ListenOverflows") print $i}' /proc/net/netstat)))
  done
  sd=0
  while read -r _ d _; do sd=$((sd + 16#$d)); done </proc/net/softnet_stat
  local est=0
  for r in "${LAB_REALS[@]}"; do est=$((est + $(on "$r" ss -Htn state established '( sport = :80 )' | wc -l))); done
  echo "dir1 ct $ct; reals ListenOverflows=$lo, established on :80 $est; host softnet dropped=$sd"
}
run_lag() {  # IMPL RATE
  local impl=$1 rate=$2 src count first=10000 ref=seen
  src=203.0.113.$B_IP; B_IP=$((B_IP + 1))
  count=$((rate * LOAD_SECONDS))
  [ $((first + count)) -le 65000 ] || count=$((65000 - first))
  on client ip addr add "$src/24" dev eth0 2>/dev/null
  [ "$impl" = conntrackd ] && ref=first
  local f1="$LAB_STATE_DIR/stamp-$impl-$rate-dir1" f2="$LAB_STATE_DIR/stamp-$impl-$rate-dir2" p1 p2 secs
  secs=$((LOAD_SECONDS + 8))
  lab_spawn dir1 "$f1.log" "$BB/ct_event_stamp" $VIP 80 "$secs" "$f1"; p1=$LAB_LAST_PID
  lab_spawn dir2 "$f2.log" "$BB/ct_event_stamp" $VIP 80 "$secs" "$f2"; p2=$LAB_LAST_PID
  sleep 0.5
  local before; before=$(diag_counters)
  local load; load=$(on client "$BB/ct_load" $VIP 80 "$src" "$first" "$count" "$rate")
  printf '   %-10s %6s/s  counters before: %s\n   %-10s %6s/s  counters after:  %s\n' "$impl" "$rate" "$before" "$impl" "$rate" "$(diag_counters)"
  sleep 2
  # Every flow is closed by now: flushing both tables sends DESTROY events, which carry the
  # kernel's creation stamps (the "kernel" lag).
  on dir1 conntrack -F >/dev/null 2>&1; sleep 0.5; on dir2 conntrack -F >/dev/null 2>&1; sleep 1
  lab_stop_pid "$p1" TERM >/dev/null 2>&1; lab_stop_pid "$p2" TERM >/dev/null 2>&1
  local est; est=$(awk '{print $4}' <<<"$load")
  local lag; lag=$("$(lab_python)" "$HERE/sync_lag.py" "$f1" "$f2" "$src" "$est" "$ref")
  printf '   %-10s %6s/s  load: %s\n' "$impl" "$rate" "$load"
  printf '   %-10s %6s/s  lag (ms, ref=dir1 %s): %s; stamps: dir1 %s, dir2 %s\n' "$impl" "$rate" \
    "$([ $ref = seen ] && echo SEEN_REPLY || echo NEW)" "$lag" "$(tail -1 "$f1.log")" "$(tail -1 "$f2.log")"
  R[B.$impl.$rate]=$lag
  R[B.$impl.$rate.rate]=$(awk '{print $NF}' <<<"$load")
  if [ "$impl" = directord ]; then
    # the same flows referenced to dir1's first event too (the conntrackd column's reference)
    R[B.$impl.$rate.first]=$("$(lab_python)" "$HERE/sync_lag.py" "$f1" "$f2" "$src" "$est" first)
    local s1; s1=$(dsync dir1 "$S1")
    R[B.$impl.$rate.own]=$(awk '$1 == "dir2" && NF > 4 {print "lag p50/p99 " $11 " ms"; exit}' <<<"$s1")
    echo "   directorctl sync on dir1:"; sed 's/^/     /' <<<"$s1"
  else
    R[B.$impl.$rate.seen]=$("$(lab_python)" "$HERE/sync_lag.py" "$f1" "$f2" "$src" "$est" seen)
  fi
  R[B.$impl.$rate.kernel]=$("$(lab_python)" "$HERE/sync_lag.py" "$f1" "$f2" "$src" "$est" kernel)
  printf '   %-10s %6s/s  kernel stamps (dir2 entry created - dir1 SYN): %s\n' "$impl" "$rate" "${R[B.$impl.$rate.kernel]}"
}
part_B() {
  echo
  echo "== B. incremental lag: new connections/s through dir1 for ${LOAD_SECONDS}s (connect, hold 0.5 s, RST)"
  local rate n
  for n in dir1 dir2; do on $n sysctl -qw net.netfilter.nf_conntrack_timestamp=1 || echo "   (no conntrack timestamps in $n)"; done
  stop_all
  dconf dir1 on off; dconf dir2 on off
  d_start dir2; d_start dir1
  own_addresses dir1
  lab_wait_for 10 sync_both_up dir1 "$S1" dir2 || echo "   (dir1's streams to dir2 not both up after 10 s)"
  lab_wait_for 10 sync_ready dir2 "$S2" || true
  vip_request $VIP 80 >/dev/null || echo "   (a GET through the VIP failed)"
  for rate in $RATES; do run_lag directord "$rate"; sleep 1; done
  stop_all
  dconf dir1 off off; dconf dir2 off off
  d_start dir1; d_start dir2
  own_addresses dir1
  cconf dir1 off; cconf dir2 off
  ctd_start dir1 || return; ctd_start dir2 || return
  vip_request $VIP 80 >/dev/null || echo "   (a GET through the VIP failed)"
  for rate in $RATES; do run_lag conntrackd "$rate"; sleep 1; done
  ctd dir2 -s 2>/dev/null | head -30 > "$LAB_STATE_DIR/ctd-dir2-stats.txt"
  stop_all
}

# ================================================================ C. crash failover
ka_conf() {  # NODE PRIORITY
  local node=$1 prio=$2 d="$LAB_STATE_DIR/ctd-$1"
  cat >"$d/notify.sh" <<EOF2
#!/bin/sh
# conntrackd's documented primary-backup.sh (doc/sync/primary-backup.sh) for this node's config.
C="$CTD -C $d/conntrackd.conf"
echo "\$(date +%s%N) \$1 start" >> $d/notify.log
case "\$1" in
  primary) \$C -c; \$C -f; \$C -R; \$C -B ;;
  backup) \$C -s >/dev/null || exit 1; \$C -t; \$C -n ;;
  fault) \$C -t ;;
esac
echo "\$(date +%s%N) \$1 done" >> $d/notify.log
EOF2
  chmod +x "$d/notify.sh"
  cat >"$LAB_STATE_DIR/$node-ka.conf" <<EOF2
global_defs {
    router_id $node
    vrrp_version 3
    vrrp_garp_master_delay 1
    script_user root
}
vrrp_instance VI_1 {
    state BACKUP
    interface lan0
    virtual_router_id 51
    priority $prio
    advert_int 0.1
    virtual_ipaddress {
        $VIP/32 dev lan0
        $LADDR/32 dev lan0
    }
    notify_master "$d/notify.sh primary"
    notify_backup "$d/notify.sh backup"
    notify_fault "$d/notify.sh fault"
}
EOF2
}
ka_start() {
  local node=$1 d="$LAB_STATE_DIR/ka-$1"
  mkdir -p "$d"; rm -f "$d"/*.pid
  lab_spawn "$node" "$LAB_STATE_DIR/keepalived-$node.log" "$KA" -P -n -l -D -G -f "$LAB_STATE_DIR/$node-ka.conf" \
    -p "$d/keepalived.pid" -r "$d/vrrp.pid" -c "$d/checkers.pid" -b "$d/bfd.pid"
  KPID[$node]=$LAB_LAST_PID
}
vip_poll() {  # in the background: the first time (ns) dir2 holds the VIP -> file
  local out=$1 i
  for ((i = 0; i < 1000; i++)); do
    ip -n "$(ns dir2)" -o addr show dev lan0 2>/dev/null | grep -q " $VIP/" && { now_ns >"$out"; return; }
    sleep 0.003
  done
}
crash_once() {  # IMPL REP
  local impl=$1 rep=$2 tag="$1-$2"
  stop_all
  if [ "$impl" = directord ] || [ "$impl" = nosync ]; then
    local sy=on; [ "$impl" = nosync ] && sy=off
    dconf dir1 $sy on 254; dconf dir2 $sy on 253
    d_start dir1
    lab_wait_for 15 holds_address dir1 $VIP || { echo "   dir1 did not take the VIP"; return; }
    d_start dir2
    if [ $sy = on ]; then
      lab_wait_for 10 sync_both_up dir1 "$S1" dir2 || echo "   (dir1's streams to dir2 not both up)"
      lab_wait_for 10 sync_ready dir2 "$S2" || true
    fi
    wait_vrrp_state 3 dir2 "$S2" BACKUP || echo "   (dir2 not BACKUP)"
  else
    dconf dir1 off off; dconf dir2 off off
    cconf dir1 on; cconf dir2 on
    ka_conf dir1 254; ka_conf dir2 253
    d_start dir1; d_start dir2
    ctd_start dir1 || return; ctd_start dir2 || return
    ka_start dir1
    lab_wait_for 15 holds_address dir1 $VIP || { echo "   dir1 did not take the VIP"; return; }
    ka_start dir2
  fi
  sleep 1.5
  local mac1 seen
  mac1=$(on dir1 cat /sys/class/net/lan0/address)
  vip_request $VIP 80 >/dev/null
  seen=$(on router ip neigh show $VIP dev lan0 | awk '{print $3}')
  [ "$seen" = "$mac1" ] || echo "   (router's neighbour entry for the VIP is $seen, not dir1's $mac1)"
  local ready="$LAB_STATE_DIR/fp-$tag.ready" t0f="$LAB_STATE_DIR/fp-$tag.t0" out="$LAB_STATE_DIR/fp-$tag.out"
  rm -f "$ready" "$t0f"
  lab_spawn client "$LAB_STATE_DIR/fp-$tag.log" "$BB/flowping" $VIP "$DRILL_PORT" "$FLOWS" "$ready" "$t0f" "$out" "$PING_MS" 5
  local fp=$LAB_LAST_PID
  lab_wait_for 60 test -s "$ready" || { echo "   flowping did not open its flows"; return; }
  # dir2 must hold the flows before the crash: directord applied them; conntrackd's external cache
  local i c=0
  for ((i = 0; i < 100; i++)); do
    if [ "$impl" != conntrackd ]; then c=$(ct_count dir2); [ "$impl" = nosync ] && break; else
      c=$(ctd dir2 -s 2>/dev/null | awk '/cache external/ {f=1} f && /current active connections/ {print $NF; exit}'); fi
    [ "${c:-0}" -ge "$FLOWS" ] && break
    sleep 0.1
  done
  local pre="dir2 holds ${c:-0} of the flows before the crash ($([ "$impl" != conntrackd ] && echo "kernel" || echo "conntrackd external cache"))"
  sleep 0.5
  rm -f "$LAB_STATE_DIR/vip2"
  vip_poll "$LAB_STATE_DIR/vip2" &
  local vp=$!
  sleep 0.2
  link_cut dir1
  local t0; t0=$(now_ns)
  echo "$t0" >"$t0f.tmp" && mv "$t0f.tmp" "$t0f"
  if [ "$impl" != conntrackd ]; then
    kill -9 "${DPID[dir1]}" 2>/dev/null
    wait "${DPID[dir1]}" 2>/dev/null
  else
    local child; child=$(cat "$LAB_STATE_DIR/ka-dir1/vrrp.pid" 2>/dev/null)
    kill -STOP "${KPID[dir1]}" 2>/dev/null; [ -n "$child" ] && kill -9 "$child" 2>/dev/null
    kill -9 "${KPID[dir1]}" "${CPID[dir1]}" "${DPID[dir1]}" 2>/dev/null
    wait "${KPID[dir1]}" "${CPID[dir1]}" "${DPID[dir1]}" 2>/dev/null
  fi
  lab_wait_for 10 test -s "$out"
  wait "$vp" 2>/dev/null
  lab_stop_pid "$fp" TERM >/dev/null 2>&1
  local vipms=timeout res
  [ -s "$LAB_STATE_DIR/vip2" ] && vipms=$(( ($(cat "$LAB_STATE_DIR/vip2") - t0) / 1000000 ))
  res=$(tail -1 "$LAB_STATE_DIR/fp-$tag.log")
  if ! grep -q survived <<<"$res"; then
    echo "      flowping gave no result; its log and files:"; tail -5 "$LAB_STATE_DIR/fp-$tag.log" | sed 's/^/        /'
    ls -la "$LAB_STATE_DIR"/fp-"$tag".* | sed 's/^/        /'
  fi
  local firstms; firstms=$(awk '$3 !~ /fail/ {print $3}' "$out" 2>/dev/null | sort -n | head -1)
  printf '   %-10s rep %d: VIP on dir2 after %s ms; first flow answered after %s ms; %s\n' "$impl" "$rep" "$vipms" "${firstms:-?}" "$res"
  [ "$vipms" != timeout ] && [ -n "$firstms" ] && C_FIRST[$impl]+="$(awk -v f="$firstms" -v v="$vipms" 'BEGIN { printf "%.0f", f - v }') "
  echo "      $pre"
  if [ "$impl" = conntrackd ]; then
    awk -v t="$t0" '{ $1 = sprintf("%+.0f ms", ($1 - t) / 1e6); print "      dir2 notify_master script: " $0 }' "$LAB_STATE_DIR/ctd-dir2/notify.log" 2>/dev/null | tail -2
    rm -f "$LAB_STATE_DIR/ctd-dir2/notify.log"
  fi
  C_VIP[$impl]+="$vipms "
  C_LAST[$impl]+="$(awk '{for (i = 1; i < NF; i++) if ($i == "last") print $(i + 1)}' <<<"$res") "
  C_P50[$impl]+="$(awk '{for (i = 1; i < NF; i++) if ($i == "p50") print $(i + 1)}' <<<"$res") "
  local lastms; lastms=$(awk '{for (i = 1; i < NF; i++) if ($i == "last") print $(i + 1)}' <<<"$res")
  [ "$vipms" != timeout ] && [ -n "$lastms" ] && [ "$lastms" != - ] && C_AFTER[$impl]+="$(awk -v l="$lastms" -v v="$vipms" 'BEGIN { printf "%.0f", l - v }') "
  C_SURV[$impl]+="$(awk '{for (i = 1; i < NF; i++) if ($i == "survived") print $(i + 1)}' <<<"$res") "
}
declare -A C_VIP=() C_LAST=() C_P50=() C_SURV=() C_AFTER=() C_FIRST=()
part_C() {
  echo
  echo "== C. crash failover: $FLOWS flows, advert 0.1 s, priorities 254/253; t0 = dir1's link cut (then kill -9)"
  echo "   (flowping pings every unanswered flow every $PING_MS ms from t0: a flow's time is its first answer)"
  local r
  for ((r = 1; r <= REPS; r++)); do
    crash_once directord "$r"
    crash_once conntrackd "$r"
  done
  # Control: the directord pair without connection_sync. Client-first pings can be picked up
  # mid-stream by dir2's conntrack (nf_conntrack_tcp_loose) and NATed to the same real by mh with
  # the same seed, so survival alone does not prove sync; this shows what the lab makes of it.
  crash_once nosync 1
  stop_all
}

median() { tr ' ' '\n' | grep -E '^-?[0-9.]+$' | sort -n | awk '{v[NR]=$1} END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }
field() { awk -v k="$2" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1); exit}}' <<<"$1"; }

[[ $PARTS == *A* ]] && part_A
[[ $PARTS == *B* ]] && part_B
[[ $PARTS == *C* ]] && part_C

echo
echo "== summary (load now: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-44s %-16s %-16s %-8s %s\n' "what" directord "ka+conntrackd" "d/c" target
if [[ $PARTS == *A* ]]; then
  eps() { awk -v n="$BULK" -v t="$1" 'BEGIN { if (t + 0 > 0) printf "%.0f/s", n / t * 1000; else print "-" }'; }
  printf '%-44s %-16s %-16s %-8s %s\n' "A. bulk start -> $BULK in dir2's kernel (ms)" "${R[A.dfrombulk]:-?}" "${R[A.c]:-?}" "$(ratio "${R[A.dfrombulk]:-}" "${R[A.c]:-}")" "<= 1000 ms"
  printf '%-44s %-16s %-16s\n' "   entries/s" "$(eps "${R[A.dfrombulk]:-}")" "$(eps "${R[A.c]:-}")"
  printf '%-44s %-16s %-16s\n' "   dir2 daemon start / -n -> all in kernel (ms)" "${R[A.d]:-?}" "${R[A.c]:-?}"
  printf '%-44s %-16s %-16s\n' "   directorctl bulk (BulkBegin -> End, ms)" "${R[A.dbulk]:-?}" "-"
  printf '%-44s %-16s\n' "   ct_fill insert into dir1 (entries/s)" "${R[A.fill]:-?}"
fi
if [[ $PARTS == *B* ]]; then
  for rate in $RATES; do
    d=${R[B.directord.$rate.kernel]:-} c=${R[B.conntrackd.$rate.kernel]:-}
    ud=${R[B.directord.$rate]:-} uc=${R[B.conntrackd.$rate]:-}
    printf '%-44s %-16s %-16s %-8s %s\n' "B. $rate/s lag p50 (ms; kernel stamps)" "$(field "$d" p50)" "$(field "$c" p50)" "$(ratio "$(field "$d" p50)" "$(field "$c" p50)")" ""
    printf '%-44s %-16s %-16s %-8s %s\n' "   p99 (ms)" "$(field "$d" p99)" "$(field "$c" p99)" "$(ratio "$(field "$d" p99)" "$(field "$c" p99)")" "<= 20 ms"
    printf '%-44s %-16s %-16s\n' "   max (ms)" "$(field "$d" max)" "$(field "$c" max)"
    printf '%-44s %-16s %-16s\n' "   matched / established" "$(field "$d" matched)/$(field "$d" sent)" "$(field "$c" matched)/$(field "$c" sent)"
    printf '%-44s %-16s %-16s\n' "   achieved rate (conn/s)" "${R[B.directord.$rate.rate]:-?}" "${R[B.conntrackd.$rate.rate]:-?}"
    printf '%-44s %-16s %-16s\n' "   event stamps, own trigger: p50/p99/max" "$(field "$ud" p50)/$(field "$ud" p99)/$(field "$ud" max)" "$(field "$uc" p50)/$(field "$uc" p99)/$(field "$uc" max)"
    printf '%-44s %-16s %-16s\n' "   event stamps: negative lags (clipped)" "$(field "$ud" negative)" "$(field "$uc" negative)"
    printf '%-44s %s\n' "   directorctl sync (dir1) says" "${R[B.directord.$rate.own]:-?}"
  done
fi
if [[ $PARTS == *C* ]]; then
  dv=$(median <<<"${C_VIP[directord]:-}") cv=$(median <<<"${C_VIP[conntrackd]:-}")
  dl=$(median <<<"${C_LAST[directord]:-}") cl=$(median <<<"${C_LAST[conntrackd]:-}")
  printf '%-44s %-16s %-16s %-8s %s\n' "C. VIP on dir2 (ms, median of $REPS)" "$dv" "$cv" "$(ratio "$dv" "$cv")" ""
  printf '%-44s %-16s %-16s %-8s %s\n' "   all flows answered (last flow, ms)" "$dl" "$cl" "$(ratio "$dl" "$cl")" "<= 350 ms"
  printf '%-44s %-16s %-16s\n' "   first flow - VIP on dir2 (ms, median)" "$(median <<<"${C_FIRST[directord]:-}")" "$(median <<<"${C_FIRST[conntrackd]:-}")"
  printf '%-44s %-16s %-16s\n' "   last flow - VIP on dir2 (ms, median)" "$(median <<<"${C_AFTER[directord]:-}")" "$(median <<<"${C_AFTER[conntrackd]:-}")"
  printf '%-44s %-16s %-16s\n' "   p50 flow (ms)" "$(median <<<"${C_P50[directord]:-}")" "$(median <<<"${C_P50[conntrackd]:-}")"
  printf '%-44s %-16s %-16s %-8s %s\n' "   survived per rep (of $FLOWS)" "${C_SURV[directord]:-}" "${C_SURV[conntrackd]:-}" "" "100%"
  printf '%-44s %-16s %-16s\n' "   runs: last flow (ms)" "${C_LAST[directord]:-}" "${C_LAST[conntrackd]:-}"
  printf '%-44s %s\n' "   control, directord without sync" "VIP ${C_VIP[nosync]:-?}ms, last flow ${C_LAST[nosync]:-?}ms (VIP + ${C_AFTER[nosync]:-?}), survived ${C_SURV[nosync]:-?}"
fi
echo "done"
