#!/usr/bin/env bash
# What steering the connection-count schedulers costs (director/sched/README.md): directord
# with N wlc services (NAT, three nginx reals) against the same N services under rr, in the same
# run on the netns lab, under new-connection load (wrk "Connection: close" on 8 services at once).
# For each (N, scheduler): new connections/s, directord's CPU (% of one core), and nf_tables
# element updates/s and transactions/s (counted by `nft monitor` in the director).
#
# Use:  sudo bash bench/steering.sh [--services 1000,10000] [--duration S] [--reps N]
# Binaries from $HA_BUILD_DIR (default build/release). Each run has a lab of its own;
# STEER_SCHEDS="wlc rr" changes the order of the runs.
# Exit 0 ran, 1 setup failed, 77 skipped.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export HA_SOURCE_DIR=${HA_SOURCE_DIR:-$(cd "$HERE/.." && pwd)}
export HA_BUILD_DIR=${HA_BUILD_DIR:-$HA_SOURCE_DIR/build/release}
# shellcheck source=../tests/netns/lib.sh disable=SC1091
source "$HA_SOURCE_DIR/tests/netns/lib.sh"

SIZES=1000,10000 DUR=5 REPS=1 LOADED=8
while [ $# -gt 0 ]; do
  case $1 in
    --services) SIZES=${2:?}; shift ;;
    --duration) DUR=${2:?}; shift ;;
    --reps) REPS=${2:?}; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $SIZES =~ ^[0-9]+(,[0-9]+)*$ && $DUR =~ ^[1-9][0-9]?$ && $REPS =~ ^[1-9]$ ]] ||
  { echo "--services N[,N...], --duration 1-99 s, --reps 1-9" >&2; exit 2; }
lab_require_root
for t in wrk nginx conntrack nft timeout; do
  command -v "$t" >/dev/null || { echo "SKIP: ${0##*/} needs $t (scripts/install-deps.sh)"; exit 77; }
done
ha_find_binaries || exit 1

# A lab per run: a run after another in one lab inherits its TIME_WAIT sockets on the reals and
# reuses its client ports towards them, and collapses (bench/README.md).
fresh_lab() {
  lab_up
  _lab_sysctl client net.ipv4.tcp_tw_reuse=1 "net.ipv4.ip_local_port_range=1024 65001"
  start_reals nginx
  reals_route_via_director 198.51.100.2 fd00:1::2
}
export DIRECTORD_START_TENTHS=600  # 10k services take seconds to load
VIP=192.0.2.101 BASE=10000

write_conf() {  # SERVICES SCHEDULER
  local i
  printf 'global_defs {\n    router_id bench-dir1\n}\nstatic_ipaddress {\n    %s/32 dev lan0\n}\n' "$VIP"
  for ((i = 0; i < $1; i++)); do
    printf 'virtual_server %s %d {\n    lb_algo %s\n    lb_kind NAT\n    protocol TCP\n' "$VIP" $((BASE + i)) "$2"
    printf '    real_server 198.51.100.11 80 {\n    }\n    real_server 198.51.100.12 80 {\n    }\n'
    printf '    real_server 198.51.100.13 80 {\n    }\n}\n'
  done
}

run_one() {  # SERVICES SCHEDULER -> "conns/s cpu% elements/s transactions/s"
  fresh_lab >&2
  local conf="$LAB_STATE_DIR/steer-$1-$2.conf" sock="$LAB_STATE_DIR/dir1.sock" i t0 t1 c0 c1 hz total
  write_conf "$1" "$2" >"$conf"
  directord_start dir1 "$conf" "$sock" || { echo "NaN NaN NaN NaN"; return; }
  lab_wait_for 60 on dir1 sh -c "nft list map inet directord services4 >/dev/null 2>&1" || true
  sleep 2
  on dir1 conntrack -F >/dev/null 2>&1
  lab_spawn dir1 "$LAB_STATE_DIR/monitor.log" nft monitor
  local monitor=$LAB_LAST_PID
  sleep 0.5
  hz=$(getconf CLK_TCK)
  c0=$(awk '{ print $14 + $15 }' "/proc/$DIRECTORD_PID/stat")
  t0=$EPOCHREALTIME
  local loads=()
  for ((i = 0; i < LOADED; i++)); do
    on client timeout $((DUR + 10)) wrk -t1 -c8 -d"${DUR}s" -H "Connection: close" \
      "http://$VIP:$((BASE + i * ($1 / LOADED)))/" >"$LAB_STATE_DIR/wrk-$i.log" 2>&1 &
    loads+=($!)
  done
  wait "${loads[@]}"
  t1=$EPOCHREALTIME
  c1=$(awk '{ print $14 + $15 }' "/proc/$DIRECTORD_PID/stat")
  lab_stop_pid "$monitor" TERM
  total=$(awk '/Requests\/sec/ { s += $2 } END { printf "%.0f", s }' "$LAB_STATE_DIR"/wrk-*.log)
  awk -v n="$total" -v c0="$c0" -v c1="$c1" -v hz="$hz" -v t0="$t0" -v t1="$t1" '
    /element/ { e++ } /^# new generation/ { g++ }
    END { d = t1 - t0; printf "%s %.1f %.0f %.0f\n", n, 100 * (c1 - c0) / hz / d, e / d, g / d }' \
    "$LAB_STATE_DIR/monitor.log"
  directord_stop "$DIRECTORD_PID"
  lab_down
}

echo "steering bench: ${DUR}s of wrk Connection: close on $LOADED services at once, $REPS rep(s)"
printf '%-9s %-5s %10s %12s %14s %10s\n' services sched "conns/s" "directord %" "elements/s" "tx/s"
IFS=, read -r -a sizes <<<"$SIZES"
for n in "${sizes[@]}"; do
  for ((rep = 1; rep <= REPS; rep++)); do
    for sched in ${STEER_SCHEDS:-rr wlc}; do
      read -r conns cpu elems txs <<<"$(run_one "$n" "$sched")"
      printf '%-9s %-5s %10s %12s %14s %10s\n' "$n" "$sched" "$conns" "$cpu" "$elems" "$txs"
    done
  done
done
