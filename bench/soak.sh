#!/usr/bin/env bash
# Soak (not in CI): directord in dir1 under steady load through a FULLNAT service for --minutes
# (default 10), reloaded (SIGHUP) every --reload-every seconds (default 10), alternating between two
# configs that differ (real2's weight 1 <-> 3; a second virtual service 192.0.2.100:8080 present
# <-> absent), with TCP_CHECK on every real (delay_loop 1). Every --sample-every seconds (default 2)
# it samples directord's RSS (VmRSS), open fds and threads. At the end, per series: first, last,
# min, max, mean, and the least-squares slope per minute over the samples after the warm-up (the
# first --warmup seconds, default 60, or a quarter of the run if shorter). Exit 1 when a slope is
# clearly positive:
#   RSS      slope > 256 kB/min AND the last quarter's mean > the first quarter's by > 1 MB
#   fds      slope > 0.5/min    AND the last quarter's mean > the first quarter's by > 1
#   threads  slope > 0.2/min    AND the last quarter's mean > the first quarter's by > 0.5
# (a leak of one fd per 2 minutes, one thread per 5, 256 kB a minute, that also shows up in the
# data as a step, not just as noise around a flat line). Also exit 1 if a reload is refused, if
# directord dies, or if the traffic fails (< 99% of requests answered).
#
# Use:  sudo bash bench/soak.sh [--minutes N] [--reload-every S] [--sample-every S] [--rate R]
# Binaries from $HA_BUILD_DIR (default build/release). Exit 0 flat, 1 growth or failure, 77 skipped.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export HA_SOURCE_DIR=${HA_SOURCE_DIR:-$(cd "$HERE/.." && pwd)}
export HA_BUILD_DIR=${HA_BUILD_DIR:-$HA_SOURCE_DIR/build/release}
# shellcheck source=../tests/netns/lib.sh disable=SC1091
source "$HA_SOURCE_DIR/tests/netns/lib.sh"

MINUTES=10 RELOAD_EVERY=10 SAMPLE_EVERY=2 RATE=100 WARMUP=60
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) MINUTES=${2:?}; shift ;;
    --reload-every) RELOAD_EVERY=${2:?}; shift ;;
    --sample-every) SAMPLE_EVERY=${2:?}; shift ;;
    --rate) RATE=${2:?}; shift ;;
    --warmup) WARMUP=${2:?}; shift ;;
    *) echo "usage: $0 [--minutes N] [--reload-every S] [--sample-every S] [--rate R] [--warmup S]" >&2; exit 2 ;;
  esac
  shift
done
lab_require_root
ha_find_binaries || exit 1
SECONDS_TOTAL=$(awk -v m="$MINUTES" 'BEGIN {printf "%d", m * 60}')
[ "$SECONDS_TOTAL" -ge 30 ] || { echo "--minutes must give at least 30 s"; exit 2; }
[ $((WARMUP * 4)) -le "$SECONDS_TOTAL" ] || WARMUP=$((SECONDS_TOTAL / 4))
lab_up
start_reals
W=$LAB_STATE_DIR
CONF=$W/soak.conf SOCK=$W/soak.sock

# write_conf A|B: the two configs a reload alternates between.
write_conf() {
  local variant=$1 w2=1 r
  [ "$variant" = B ] && w2=3
  {
    cat <<EOF
global_defs {
    router_id soak
    lb_hash_seed 0x1234abcd
}
static_ipaddress {
    192.0.2.100/32 dev lan0
    198.51.100.200/32 dev lan0
    198.51.100.201/32 dev lan0
}
local_address_group LAG4 {
    198.51.100.200-201
}
EOF
    for port in 80 8080; do
      [ "$variant" = B ] && [ "$port" = 8080 ] && continue
      cat <<EOF
virtual_server 192.0.2.100 $port {
    delay_loop 1
    lb_algo wrr
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG4
EOF
      for r in real1 real2 real3; do
        cat <<EOF
    real_server ${LAB_IP4[$r]} $port {
        weight $([ "$r" = real2 ] && echo "$w2" || echo 1)
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
EOF
      done
      echo "}"
    done
  } >"$CONF.tmp" && mv "$CONF.tmp" "$CONF"
}
write_conf A
"$DIRECTORD" -t -f "$CONF" >/dev/null 2>&1 || { "$DIRECTORD" -t -f "$CONF"; lab_die "config A refused"; }
write_conf B
"$DIRECTORD" -t -f "$CONF" >/dev/null 2>&1 || { "$DIRECTORD" -t -f "$CONF"; lab_die "config B refused"; }
write_conf A
directord_start dir1 "$CONF" "$SOCK" || lab_die "directord did not start"
PID=$DIRECTORD_PID
lab_wait_for 5 sh -c "ip netns exec $(ns client) curl -s --max-time 1 http://192.0.2.100/ | grep -q real" ||
  lab_die "the VIP does not answer"

LOAD=$W/load.json
lab_spawn client "$W/load.log" "$(lab_python)" "$HA_SOURCE_DIR/tests/netns/loadgen.py" 192.0.2.100 80 \
  --out "$LOAD" --rate "$RATE" --concurrency 8 --keepalive 4 --timeout 2 --max-seconds $((SECONDS_TOTAL + 30)) \
  --stop-file "$W/load.stop"
LOAD_PID=$LAB_LAST_PID

SAMPLES=$W/samples.tsv
: >"$SAMPLES"
echo "== soak: $MINUTES min, load $RATE req/s (+4 keep-alive), SIGHUP every ${RELOAD_EVERY}s (A <-> B), samples every ${SAMPLE_EVERY}s"
t0=$(date +%s.%N) next_reload=$RELOAD_EVERY variant=A reloads=0 dead=0
while :; do
  el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
  awk -v e="$el" -v t="$SECONDS_TOTAL" 'BEGIN {exit !(e >= t)}' && break
  if ! kill -0 "$PID" 2>/dev/null; then dead=1; break; fi
  if awk -v e="$el" -v n="$next_reload" 'BEGIN {exit !(e >= n)}'; then
    variant=$([ "$variant" = A ] && echo B || echo A)
    write_conf "$variant"
    kill -HUP "$PID"
    reloads=$((reloads + 1))
    next_reload=$((next_reload + RELOAD_EVERY))
  fi
  rss=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$PID/status" 2>/dev/null)
  thr=$(awk '$1 == "Threads:" {print $2}' "/proc/$PID/status" 2>/dev/null)
  # The least of three looks 50 ms apart: a health probe's socket open at that instant is no leak.
  fds=999999
  for _ in 1 2 3; do n=$(ls "/proc/$PID/fd" 2>/dev/null | wc -l); ((n < fds)) && fds=$n; sleep 0.05; done
  printf '%s\t%s\t%s\t%s\n' "$el" "${rss:-0}" "$fds" "${thr:-0}" >>"$SAMPLES"
  if (( $(wc -l <"$SAMPLES") % 30 == 0 )); then
    echo "   t=${el}s RSS ${rss} kB fds $fds threads $thr reloads $reloads load $("$(lab_python)" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["ok"], "/", d["requests"], "ok")' "$LOAD" 2>/dev/null)"
  fi
  sleep "$SAMPLE_EVERY"
done
touch "$W/load.stop"
lab_wait_for 10 grep -q '"done": true' "$LOAD"
lab_stop_pid "$LOAD_PID" >/dev/null

refused=$(grep -c "reload refused\|reload failed" "$W/directord-dir1.log")
applied=$(grep -c "reloading " "$W/directord-dir1.log")
echo "== reloads: $reloads sent, $applied logged, $refused refused or failed"
echo "== traffic: $(cat "$LOAD")"
echo "== samples: $(wc -l <"$SAMPLES") (warm-up ${WARMUP}s excluded from the slopes)"
"$(lab_python)" - "$SAMPLES" "$WARMUP" <<'EOF'
import sys
rows = [tuple(float(x) for x in l.split("\t")) for l in open(sys.argv[1]) if l.strip()]
warm = float(sys.argv[2])
after = [r for r in rows if r[0] >= warm]
# series: (name, column, unit, slope limit per minute, step limit between the first and last quarter)
limits = [("RSS", 1, "kB", 256.0, 1024.0), ("fds", 2, "", 0.5, 1.0), ("threads", 3, "", 0.2, 0.5)]
bad = []
for name, col, unit, slope_lim, step_lim in limits:
    xs = [r[0] / 60.0 for r in after]
    ys = [r[col] for r in after]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    q = max(1, n // 4)
    first_q, last_q = sum(ys[:q]) / q, sum(ys[-q:]) / q
    allv = [r[col] for r in rows]
    growing = slope > slope_lim and last_q - first_q > step_lim
    print(f"   {name:8s} first {allv[0]:.0f} last {allv[-1]:.0f} min {min(allv):.0f} max {max(allv):.0f} "
          f"mean {sum(allv) / len(allv):.1f} {unit}; slope {slope:+.2f} {unit}/min after the warm-up "
          f"(limit {slope_lim}), first/last quarter {first_q:.1f}/{last_q:.1f} -> {'GROWING' if growing else 'flat'}")
    if growing:
        bad.append(name)
print("SLOPE-VERDICT " + ("growth: " + " ".join(bad) if bad else "flat"))
sys.exit(1 if bad else 0)
EOF
verdict=$?
rc=0
[ "$verdict" -eq 0 ] || { echo "FAIL: a series grows"; rc=1; }
[ "$dead" -eq 0 ] || { echo "FAIL: directord died during the soak"; rc=1; }
[ "$refused" -eq 0 ] || { echo "FAIL: $refused reloads refused or failed:"; grep "reload refused\|reload failed" "$W/directord-dir1.log" | head -5; rc=1; }
[ "$applied" -ge "$reloads" ] || { echo "FAIL: $reloads SIGHUPs sent, $applied reloads logged"; rc=1; }
ok=$("$(lab_python)" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(1 if d["requests"] and d["ok"] >= 0.99 * d["requests"] else 0)' "$LOAD" 2>/dev/null || echo 0)
[ "$ok" = 1 ] || { echo "FAIL: fewer than 99% of the requests answered"; rc=1; }
kill -0 "$PID" 2>/dev/null && { directord_stop "$PID" || { echo "FAIL: directord did not stop on SIGTERM"; rc=1; }; }
[ "$rc" -eq 0 ] && echo "RESULT: soak flat over $MINUTES min" || echo "RESULT: soak FAILED"
exit "$rc"
