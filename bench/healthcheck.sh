#!/usr/bin/env bash
# Health-check benchmark (issue 4): N reals (IPv6 addresses on one namespace's interface, served by
# one accept-and-close responder, bench/hc_responder.cc) behind N/10 NAT virtual servers, every real
# with TCP_CHECK at delay_loop 1 s. For N = 1,000 and 10,000 it prints:
#   - directord's CPU share (utime+stime of the whole process, and of its health thread) over a
#     window, beside the same config without checkers (the baseline, same run), against the target
#     of 20% of one core at 10k reals (DPVS's checker: 265% of a core for 51k reals);
#   - the probe rate actually achieved (directorctl health totals);
#   - detection time: K reals start refusing (nft `reject with tcp reset` in the reals' namespace,
#     as a killed server does) at T0; time until directord logs each one down, vs the configured
#     bound delay_loop x retry + connect_timeout; then the same for a black hole (packets dropped),
#     and the time to come back (rise 1) after the fault clears.
#
# Use:  sudo bash bench/healthcheck.sh [--reals "1000 10000"] [--window 20] [--victims 100]
# Binaries from $HA_BUILD_DIR (default build/release). Exit 0 ran, 1 setup failed, 77 skipped.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export HA_SOURCE_DIR=${HA_SOURCE_DIR:-$(cd "$HERE/.." && pwd)}
export HA_BUILD_DIR=${HA_BUILD_DIR:-$HA_SOURCE_DIR/build/release}
# shellcheck source=../tests/netns/lib.sh disable=SC1091
source "$HA_SOURCE_DIR/tests/netns/lib.sh"

REALS="1000 10000" WINDOW=20 VICTIMS=100
DELAY_LOOP=1 CONNECT_TIMEOUT=1 RETRY=1 DELAY_BEFORE_RETRY=1
while [ $# -gt 0 ]; do
  case $1 in
    --reals) REALS=${2:?}; shift ;;
    --window) WINDOW=${2:?}; shift ;;
    --victims) VICTIMS=${2:?}; shift ;;
    *) echo "usage: $0 [--reals LIST] [--window S] [--victims K]" >&2; exit 2 ;;
  esac
  shift
done
lab_require_root
ha_find_binaries || exit 1
RESPONDER=$HA_BUILD_DIR/bench/hc_responder PROBER=$HA_BUILD_DIR/bench/hc_prober
for b in "$RESPONDER" "$PROBER"; do [ -x "$b" ] || { echo "FAIL: $b not built"; exit 1; }; done
lab_up
TICKS=$(getconf CLK_TCK)
REAL_NS=real1 DIR_NS=dir1
SOCK=$LAB_STATE_DIR/hc.sock
MAX_REALS=0
for n in $REALS; do [ "$n" -gt "$MAX_REALS" ] && MAX_REALS=$n; done

# real_addr I: the I-th real's address (fd00:7::/64, documentation-style ULA).
real_addr() { printf 'fd00:7::%x:%x' $(($1 / 65536)) $(($1 % 65536)); }

echo "== $MAX_REALS addresses on $REAL_NS's $LAB_LAN_IF, one responder on port 80"
{
  for ((i = 1; i <= MAX_REALS; i++)); do echo "addr add $(real_addr "$i")/128 dev $LAB_LAN_IF nodad"; done
} >"$LAB_STATE_DIR/addrs.batch"
on "$REAL_NS" ip -6 -b "$LAB_STATE_DIR/addrs.batch" || lab_die "adding addresses"
on "$REAL_NS" sysctl -qw net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535
on "$DIR_NS" ip -6 route add fd00:7::/64 via "${LAB_IP6[$REAL_NS]}" || lab_die "route to the reals"
on "$DIR_NS" sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
lab_spawn "$REAL_NS" "$LAB_STATE_DIR/responder.log" "$RESPONDER" 80
on "$REAL_NS" nft -f - <<'EOF2' || lab_die "nft in the reals' namespace"
table inet hcbench {
  set refuse { type ipv6_addr; }
  set blackhole { type ipv6_addr; }
  chain input {
    type filter hook input priority 0;
    ip6 daddr @refuse tcp dport 80 reject with tcp reset
    ip6 daddr @blackhole tcp dport 80 drop
  }
}
EOF2

# write_conf N CHECKS(0|1) FILE
write_conf() {
  local n=$1 checks=$2 file=$3 vs i
  {
    echo "global_defs { router_id hc-bench }"
    for ((vs = 0; vs < n / 10; vs++)); do
      printf 'virtual_server fd00:2::1:%x 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  delay_loop %s\n' "$vs" "$DELAY_LOOP"
      for ((i = vs * 10 + 1; i <= vs * 10 + 10; i++)); do
        if [ "$checks" = 1 ]; then
          printf '  real_server %s 80 {\n    TCP_CHECK {\n      connect_timeout %s\n      retry %s\n      delay_before_retry %s\n    }\n  }\n' \
            "$(real_addr "$i")" "$CONNECT_TIMEOUT" "$RETRY" "$DELAY_BEFORE_RETRY"
        else
          printf '  real_server %s 80 {\n    weight 1\n  }\n' "$(real_addr "$i")"
        fi
      done
      echo "}"
    done
  } >"$file"
}

# The node logs each forwarding change: "<epoch.ms> directord info: real [ADDR]:80 of TCP ... down: ..."
DOWN_RE='info: real [^ ]+ of (TCP|UDP) [^ ]+ down'
UP_RE='info: real [^ ]+ of (TCP|UDP) [^ ]+ up'
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }
sys_ticks() { awk '{print $15}' "/proc/$1/stat" 2>/dev/null; }
# health_thread_ticks PID: the thread named "health" (the health io_context thread), if named.
health_thread_ticks() {
  local t
  for t in /proc/"$1"/task/*; do
    if [ "$(cat "$t/comm" 2>/dev/null)" = health ]; then awk '{print $14 + $15}' "$t/stat"; return; fi
  done
  echo ""
}
# "probes: 7 distinct (identical probes run once), 1234 run, 2 in flight" -> 1234
probes_run() { "$DIRECTORCTL" --admin-socket "$SOCK" health 2>/dev/null | grep '^probes:' | grep -oE '[0-9]+ run' | tr -dc '0-9'; }
share() { awk -v t="$1" -v w="$WINDOW" -v hz="$TICKS" 'BEGIN {printf "%.1f%%", 100 * t / hz / w}'; }

# detect SET K LABEL LOG: puts K reals in SET at T0, waits for K "down" lines, prints percentiles.
detect() {
  local set=$1 k=$2 label=$3 log=$4 i t0 deadline victims=()
  for ((i = 1; i <= k; i++)); do victims+=("$(real_addr $((i * 7)))"); done
  local before; before=$(wc -l <"$log")
  t0=$(date +%s.%N)
  on "$REAL_NS" nft add element inet hcbench "$set" "{ $(IFS=,; echo "${victims[*]}") }"
  deadline=$((SECONDS + 20))
  while [ "$(tail -n +"$((before + 1))" "$log" | grep -cE "$DOWN_RE")" -lt "$k" ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  tail -n +"$((before + 1))" "$log" | grep -E "$DOWN_RE" | awk -v t0="$t0" '{print ($1 - t0) * 1000}' | sort -n >"$LAB_STATE_DIR/detect.ms"
  local got; got=$(wc -l <"$LAB_STATE_DIR/detect.ms")
  awk -v label="$label" -v k="$k" -v got="$got" '{a[NR] = $1} END {
    if (NR == 0) {printf "  %-22s %d/%d detected\n", label, got, k; exit}
    p50 = int(NR * 0.5 + 0.5); if (p50 < 1) p50 = 1
    p99 = int(NR * 0.99 + 0.5); if (p99 > NR) p99 = NR; if (p99 < 1) p99 = 1
    printf "  %-22s %d/%d detected   p50 %5.0f ms   p99 %5.0f ms   max %5.0f ms\n", label, got, k, a[p50], a[p99], a[NR]}' "$LAB_STATE_DIR/detect.ms"
  before=$(wc -l <"$log")
  t0=$(date +%s.%N)
  on "$REAL_NS" nft flush set inet hcbench "$set"
  deadline=$((SECONDS + 20))
  while [ "$(tail -n +"$((before + 1))" "$log" | grep -cE "$UP_RE")" -lt "$k" ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  tail -n +"$((before + 1))" "$log" | grep -E "$UP_RE" | awk -v t0="$t0" '{print ($1 - t0) * 1000}' | sort -n |
    awk -v label="$label cleared" -v k="$k" '{a[NR] = $1} END {p = int(NR * 0.5 + 0.5); if (p < 1) p = 1
      if (NR) printf "  %-22s %d/%d back up     p50 %5.0f ms   max %5.0f ms\n", label, NR, k, a[p], a[NR]}'
}

for n in $REALS; do
  echo
  echo "== $n reals, $((n / 10)) virtual servers, TCP_CHECK every ${DELAY_LOOP}s (connect_timeout $CONNECT_TIMEOUT, retry $RETRY, delay_before_retry $DELAY_BEFORE_RETRY)"
  for checks in 0 1; do
    conf=$LAB_STATE_DIR/hc-$n-$checks.conf
    write_conf "$n" "$checks" "$conf"
    log=$LAB_STATE_DIR/directord-$n-$checks.log
    rm -f "$SOCK"
    lab_spawn "$DIR_NS" "$log" "$DIRECTORD" -f "$conf" -l -n --admin-socket "$SOCK"
    pid=$LAB_LAST_PID
    lab_wait_for 60 test -S "$SOCK" || { echo "FAIL: directord did not start"; cat "$log"; exit 1; }
    sleep $((DELAY_LOOP * 3 + 2))  # start-up spread and the first rounds
    p0=$(probes_run); c0=$(cpu_ticks "$pid"); h0=$(health_thread_ticks "$pid"); s0=$(sys_ticks "$pid")
    if [ "$checks" = 1 ] && [ -n "${HC_PROFILE:-}" ] && command -v perf >/dev/null; then
      # HC_PROFILE=FILE: a perf profile of the window (costs a little CPU itself), report to FILE
      perf record -q -F 999 -g -p "$pid" -o "$LAB_STATE_DIR/perf.data" -- sleep "$WINDOW" >/dev/null 2>&1
      perf report -i "$LAB_STATE_DIR/perf.data" --no-children --percent-limit 0.7 --stdio 2>/dev/null | grep -v '^$' | head -n 150 >"$HC_PROFILE-$n.txt"
    else
      sleep "$WINDOW"
    fi
    p1=$(probes_run); c1=$(cpu_ticks "$pid"); h1=$(health_thread_ticks "$pid"); s1=$(sys_ticks "$pid")
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    if [ "$checks" = 0 ]; then
      base=$((c1 - c0))
      printf '  %-22s CPU %s of one core   RSS %d MB\n' "no checkers (baseline)" "$(share "$base")" $((rss / 1024))
    else
      total=$((c1 - c0))
      hthread=$([ -n "$h0" ] && [ -n "$h1" ] && share $((h1 - h0)) || echo "n/a")
      rate=$(awk -v a="${p0:-0}" -v b="${p1:-0}" -v w="$WINDOW" 'BEGIN {printf "%.0f", (b - a) / w}')
      printf '  %-22s CPU %s of one core (health thread %s; kernel %s)   probes %s/s (expected %d/s)   RSS %d MB\n' \
        "with checkers" "$(share "$total")" "$hthread" "$(share $((s1 - s0)))" "$rate" "$n" $((rss / 1024))
      # The bare connect-and-RST loop at the same rate to the same reals: what the handshakes
      # themselves cost in this testbed (the reals' side of each veth hop runs in the prober's
      # context too), so directord's own overhead is what it spends beyond it.
      lab_spawn "$DIR_NS" "$LAB_STATE_DIR/prober-$n.log" "$PROBER" fd00:7: "$n" 80 $((WINDOW + 4))
      ppid=$LAB_LAST_PID
      sleep 2
      q0=$(cpu_ticks "$ppid"); qs0=$(sys_ticks "$ppid")
      sleep "$WINDOW"
      q1=$(cpu_ticks "$ppid"); qs1=$(sys_ticks "$ppid")
      lab_wait_for 10 sh -c "! kill -0 $ppid" || lab_stop_pid "$ppid" TERM
      printf '  %-22s CPU %s of one core (kernel %s)   %s\n' "bare prober (baseline)" "$(share $((q1 - q0)))" "$(share $((qs1 - qs0)))" \
        "$(tail -n 1 "$LAB_STATE_DIR/prober-$n.log")"
      awk -v t="$total" -v b="$base" -v q=$((q1 - q0)) -v w="$WINDOW" -v hz="$TICKS" -v n="$n" 'BEGIN {
        c = 100 * (t - b) / hz / w; p = 100 * q / hz / w
        printf "  %-22s %.1f%% of one core for %d probes/s = %.1f us/probe; %.2f x the bare prober (%.1f us/probe);\n", "checker cost", c, n, c / 100 * 1e6 / n, (p > 0 ? c / p : 0), p / 100 * 1e6 / n
        printf "  %-22s directord beyond the bare prober: %.1f%% of one core (%.1f us/probe); target at 10k: total <= 20%% (total is %.2f of target)\n", "", c - p, (c - p) / 100 * 1e6 / n, (c * 10000 / n) / 20}'
      bound=$(awk -v d="$DELAY_LOOP" -v r="$RETRY" -v c="$CONNECT_TIMEOUT" 'BEGIN {print (d * r + c) * 1000}')
      echo "  detection ($VICTIMS reals; configured bound delay_loop x retry + connect_timeout = ${bound} ms):"
      detect refuse "$VICTIMS" "refused (RST)" "$log"
      detect blackhole "$VICTIMS" "black hole (drop)" "$log"
    fi
    lab_stop_pid "$pid" TERM
  done
done
