#!/usr/bin/env bash
# bench/edit_latency.sh — how long a runtime edit takes at 10,000 services (bench/README.md,
# "## edit latency"). directord runs in a namespace of its own (lan0: one end of a veth pair) with a NAT config of
# 1 service, then of 10,000 (9,999 more on 192.0.2.150-249, ports 10000-10099, 3 reals each);
# bench/edit_latency (one open admin channel) drains and restores reals of a service, one
# ApplyEdits each, and times each call to its reply. With 10,000 services one of them has two
# reals, so the 2-slot class chain exists and a drain edits map elements only; with 1 service it
# does not, and each drain creates and each restore removes that chain (a rule change). directord replies once the kernel has
# acknowledged the nf_tables batch, so the reply time bounds command -> change in the kernel.
# Also timed: `directorctl -e ... -w N` as an operator runs it (process start + channel + call).
# Options: --edits N (default 400), --ctl N directorctl runs (default 40).
# Binaries from $HA_BUILD_DIR (default build/release). Exit 0 ran, 1 setup failed, 77 skipped.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
BUILD=${HA_BUILD_DIR:-$SRC/build/release}
EDITS=400 CTL_RUNS=40
while [ $# -gt 0 ]; do
  case $1 in
    --edits) EDITS=${2:?}; shift ;;
    --ctl) CTL_RUNS=${2:?}; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $EDITS =~ ^[1-9][0-9]{0,4}$ && $CTL_RUNS =~ ^[1-9][0-9]{0,3}$ ]] || { echo "--edits 1-99999, --ctl 1-9999" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespace, nf_tables)"; exit 77; }
for b in director/directord director/directorctl bench/edit_latency; do
  [ -x "$BUILD/$b" ] || { echo "FAIL: $BUILD/$b not built"; exit 1; }
done

NS=edl-$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')
DIR=$(mktemp -d /tmp/edit-latency.XXXXXX)
DIRD_PID=
cleanup() {
  if [ -n "$DIRD_PID" ] && kill -0 "$DIRD_PID" 2>/dev/null; then
    kill -TERM "$DIRD_PID"
    for _ in $(seq 1 100); do kill -0 "$DIRD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$DIRD_PID" 2>/dev/null && kill -KILL "$DIRD_PID"
  fi
  ip netns delete "$NS" 2>/dev/null
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
ip netns add "$NS" || { echo "FAIL: cannot create namespace $NS"; exit 1; }
ip -n "$NS" link set lo up
ip -n "$NS" link add lan0 type veth peer name lan0p && ip -n "$NS" link set lan0 up && ip -n "$NS" link set lan0p up ||
  { echo "FAIL: veth lan0"; exit 1; }

write_config() {  # FILE NSERVICES
  awk -v n="$2" '
    function service(v, p, last) {
      printf "virtual_server %s %d {\n    lb_algo rr\n    lb_kind NAT\n", v, p
      for (r = 11; r <= last; r++) printf "    real_server 198.51.100.%d %d\n", r, p
      printf "}\n"
    }
    BEGIN {
      printf "global_defs {\n    router_id edit-latency\n}\nstatic_ipaddress {\n    192.0.2.100/32 dev lan0\n}\n"
      service("192.0.2.100", 80, 13)
      # One service with two reals keeps the 2-slot class chain alive, as a real config with
      # mixed real counts does: a drain then edits map elements only (bench/README.md).
      for (k = 0; k < n - 1; k++) service("192.0.2." (150 + int(k / 100)), 10000 + k % 100, k == 0 ? 12 : 13)
    }' >"$1"
}

start_dird() {  # CONF
  local sock=$DIR/admin.sock i
  rm -f "$sock"
  ip netns exec "$NS" "$BUILD/director/directord" -f "$1" -l -n --admin-socket "$sock" >"$DIR/directord.log" 2>&1 &
  DIRD_PID=$!
  for ((i = 0; i < 600; i++)); do
    [ -S "$sock" ] && return 0
    kill -0 "$DIRD_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$DIR/directord.log" >&2
  echo "FAIL: directord did not start with $1"; exit 1
}
stop_dird() {
  kill -TERM "$DIRD_PID"
  for _ in $(seq 1 100); do kill -0 "$DIRD_PID" 2>/dev/null || break; sleep 0.1; done
  wait "$DIRD_PID" 2>/dev/null
  DIRD_PID=
}

summary() {  # LABEL FILE (microseconds, one per line)
  sort -n "$2" | awk -v label="$1" '{ v[NR] = $1 } END {
    if (NR == 0) { printf "  %-44s no samples\n", label; exit }
    p50 = v[int((NR + 1) / 2)]; i99 = int(NR * 0.99 + 0.999); if (i99 > NR) i99 = NR
    printf "  %-44s median %7.3f ms   p99 %7.3f ms   max %7.3f ms   (n=%d)\n", label, p50 / 1000, v[i99] / 1000, v[NR] / 1000, NR }'
}
median_ms() { sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%.3f", NR ? v[int((NR + 1) / 2)] / 1000 : 0 }'; }

echo "== edit latency: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); binaries: $BUILD"
for n in 1 10000; do
  conf=$DIR/edits-$n.conf
  write_config "$conf" "$n"
  start_dird "$conf"
  if [ "$n" = 1 ]; then vip=192.0.2.100 port=80; else vip=192.0.2.199 port=10050; fi  # the 5,050th
  ip netns exec "$NS" "$BUILD/bench/edit_latency" "$DIR/admin.sock" "$EDITS" "$vip" "$port" \
    198.51.100.11 198.51.100.12 198.51.100.13 >"$DIR/rpc-$n" || { echo "FAIL: edit_latency ($n services)"; exit 1; }
  : >"$DIR/ctl-$n"
  for ((i = 0; i < CTL_RUNS; i++)); do
    t0=$(date +%s%N)
    ip netns exec "$NS" "$BUILD/director/directorctl" --admin-socket "$DIR/admin.sock" \
      -e -t "$vip:$port" -r "198.51.100.12:$port" -w $((i % 2)) || { echo "FAIL: directorctl -e"; exit 1; }
    echo $((($(date +%s%N) - t0) / 1000)) >>"$DIR/ctl-$n"
  done
  # The kernel holds the last edit: the drained/restored real is in the backend map (or not).
  stop_dird
done
echo "  ApplyEdits call -> reply (the kernel acknowledged the batch before the reply):"
summary "1 service" "$DIR/rpc-1"
summary "10,000 services (edit of the 5,050th)" "$DIR/rpc-10000"
echo "  directorctl -e -w N, process start to exit (what an operator waits):"
summary "1 service" "$DIR/ctl-1"
summary "10,000 services" "$DIR/ctl-10000"
a=$(median_ms "$DIR/rpc-1") b=$(median_ms "$DIR/rpc-10000")
awk -v a="$a" -v b="$b" 'BEGIN {
  printf "  10k / 1 (median call): %.2f\n", (a > 0 ? b / a : 0)
  printf "  reference: the prototype measured 0.27-0.81 ms; target <= 5 ms median at 10k: %s\n", (b <= 5 ? "met" : "NOT met") }'
