#!/usr/bin/env bash
# Real servers flapping: FULLNAT 192.0.2.100:80 (rr) over 12 reals (real1-3, ports 8001-8004 each,
# tests/netns/health_server.py), TCP_CHECK delay_loop 0.3, retry 1, delay_before_retry 0.2,
# connect_timeout 0.5, rise 2. With bounded traffic running (loadgen.py: new connections and
# keep-alive ones), FLAPS (100) flaps in FLAP_SECONDS (58): a real's listener closes for a random
# 0.1-1.5 s and reopens (seeded schedule, several reals down at once, never one real twice at
# once). Then:
#   - verdicts end where the servers are: three listeners closed for good -> exactly those three
#     are down in `directorctl list`, absent from the kernel's slot table (backends4) and from
#     `lookup`'s rotation, and their conntrack entries are gone; reopened -> all 12 back;
#   - no stuck state: every checker's probe counter keeps rising and its last result is recent;
#     the in-flight total is bounded;
#   - no leak: directord's RSS and fd count before and after (after a warm-up, all up both times)
#     within a small margin, and the element counts of our nft maps back to the original.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
source "$HERE/health_lib.sh"
lab_require_root
command -v conntrack >/dev/null || { echo "SKIP: ${0##*/} needs conntrack"; exit 77; }
ha_find_binaries || exit 1
FLAPS=${FLAPS:-100}
FLAP_SECONDS=${FLAP_SECONDS:-58}
SEED=${FLAP_SEED:-11}
RSS_MARGIN_KB=${RSS_MARGIN_KB:-4096}
FD_MARGIN=${FD_MARGIN:-1}
PORTS=(8001 8002 8003 8004)
lab_up
W=$LAB_STATE_DIR
CONF="$W/health-flap.conf"
HL_SOCK="$W/dir1.sock"
SVC="TCP  192.0.2.100:80"
REALS=()  # "node:port"
for r in real1 real2 real3; do
  hs_start "$r" "$r" "${PORTS[@]/%/:http}" || lab_die "$r: health_server did not start"
  for p in "${PORTS[@]}"; do REALS+=("$r:$p"); done
done
ep() { echo "${LAB_IP4[${1%%:*}]}:${1##*:}"; }  # real1:8001 -> 198.51.100.11:8001

{
  cat <<EOF
global_defs {
    router_id test-health-flap
    lb_hash_seed 0x1234abcd
}
$(hl_laddr_conf 192.0.2.100)
virtual_server 192.0.2.100 80 {
    delay_loop 0.3
    lb_algo rr
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG4
EOF
  for rp in "${REALS[@]}"; do
    cat <<EOF
    real_server ${LAB_IP4[${rp%%:*}]} ${rp##*:} {
        weight 1
        TCP_CHECK {
            connect_timeout 0.5
            retry 1
            delay_before_retry 0.2
            rise 2
        }
    }
EOF
  done
  echo "}"
} >"$CONF"
check "directord -t accepts the config" hl_check_conf "$CONF"
directord_start dir1 "$CONF" "$HL_SOCK" || { fail "directord starts"; finish; }
PID=$DIRECTORD_PID

# ---- observations --------------------------------------------------------------------------
# fd_census: "ALL IDLE" now. IDLE: sockets no /proc/net table lists, i.e. TCP sockets in CLOSED
# state -- the TCP_CHECK's pool of disconnected sockets kept for reuse (healthcheck/tcp_checker.cc
# IdleSockets), which grows to the most probes ever in flight at once and stays there by design.
fd_census() {
  local f l ino all=0 idle=0 listed
  listed=$(on dir1 cat /proc/net/{tcp,tcp6,udp,udp6,raw,raw6,unix,netlink,packet} 2>/dev/null)
  for f in /proc/"$PID"/fd/*; do
    l=$(readlink "$f") || continue
    all=$((all + 1))
    [[ $l == socket:* ]] || continue
    ino=${l#socket:[}; ino=${ino%]}
    grep -qw "$ino" <<<"$listed" || idle=$((idle + 1))
  done
  echo "$all $idle"
}
# The fewest fds other than idle probe sockets over 5 looks 0.1 s apart (a probe's socket open at
# one instant is not a leak), and the idle pool at the last look: "OTHER IDLE".
fd_floor() {
  local i all idle m=999999
  for ((i = 0; i < 5; i++)); do
    read -r all idle <<<"$(fd_census)"
    ((all - idle < m)) && m=$((all - idle))
    sleep 0.1
  done
  echo "$m $idle"
}
# What each open fd is ("socket:[inode]" -> "socket", anon_inode:[eventfd] ...), counted by kind.
fd_kinds() { for f in /proc/"$PID"/fd/*; do readlink "$f"; done 2>/dev/null | sed 's/:\[[0-9]*\]$//; s/^\/.*/file/' | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}'; }
threads() { awk '$1 == "Threads:" {print $2}' "/proc/$PID/status"; }
thread_names() { cat /proc/"$PID"/task/*/comm 2>/dev/null | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}'; }
# Element counts of the maps directord writes (not the data path's stats/conns sets), "name=N ...".
map_counts() {
  local m out=
  for m in services4 marks4 backends4 laddrs4 fullnat; do
    out+="$m=$(on dir1 nft -j list map inet directord "$m" 2>/dev/null |
      "$(lab_python)" -c 'import json,sys
d=json.load(sys.stdin)
print(sum(len(o["map"].get("elem", [])) for o in d["nftables"] if "map" in o))' 2>/dev/null || echo "?") "
  done
  echo "${out% }"
}
# The reals in the kernel's slot table (backends4 values), sorted and unique, "addr:port ...".
slot_reals() {
  on dir1 nft -j list map inet directord backends4 2>/dev/null | "$(lab_python)" -c '
import json, sys
d = json.load(sys.stdin)
reals = set()
for o in d["nftables"]:
    for e in o.get("map", {}).get("elem", []):
        v = e[1]["concat"] if isinstance(e[1], dict) else e[1]
        reals.add(f"{v[0]}:{v[1]}")
print(" ".join(sorted(reals)))'
}
down_in_list() {  # reals shown down (or inhibited), sorted
  local l rp out=()
  l=$(hl_list)
  for rp in "${REALS[@]}"; do
    case $(real_health "$SVC" "$(ep "$rp")" "$l") in down | inhibited) out+=("$(ep "$rp")") ;; esac
  done
  printf '%s\n' "${out[@]}" | sort | paste -sd ' '
}
expected_up() {  # every real but the ones given (node:port), sorted "addr:port ..."
  local rp x skip out=()
  for rp in "${REALS[@]}"; do
    skip=0
    for x in "$@"; do [ "$x" = "$rp" ] && skip=1; done
    [ $skip = 0 ] && out+=("$(ep "$rp")")
  done
  printf '%s\n' "${out[@]}" | sort | paste -sd ' '
}
rotation() {  # lookup's candidates for a new flow, sorted unique
  on dir1 "$DIRECTORCTL" --admin-socket "$HL_SOCK" lookup tcp 203.0.113.10 40000 192.0.2.100 80 |
    sed -n 's/.*one of \(.*\) (rr rotation.*/\1/p' | tr ' ' '\n' | sort -u | paste -sd ' '
}
# Per checker "probes age_ms": from `health` (probes N, ...; last passed/failed X.Ys ago).
probe_counts() { hl_health | awk '$1 == "probes" && $2 ~ /,$/ {gsub(",", "", $2); printf "%s ", $2}'; }
stale_checkers() {  # checkers whose last result is older than $1 seconds (or never probed)
  hl_health | awk -v lim="$1" '
    / TCP_CHECK / { n++; if ($0 ~ /not probed yet/) {bad++; next}
                    if (match($0, /last (passed|failed) [0-9.]+s ago/)) {s = substr($0, RSTART, RLENGTH); gsub(/[^0-9.]/, "", s); if (s + 0 > lim) bad++} }
    END {print bad + 0}'
}
in_flight() { hl_health | awk '/^probes: / {print $(NF - 2)}'; }
ct_to() {  # conntrack entries of the VIP whose reply comes from real ADDR:PORT (any state)
  on dir1 conntrack -L -p tcp --orig-dst 192.0.2.100 2>/dev/null | grep -c "src=${1%:*} dst=198\.51\.100\.20[01] sport=${1##*:} "
}
all_up() { [ -z "$(down_in_list)" ] && [ "$(slot_reals)" = "$(expected_up)" ]; }

echo "== warm-up: every real up, traffic running"
check "all 12 reals up and in the slot table (within 10 s)" lab_wait_for 10 all_up
LOAD_OUT="$W/load.json" LOAD_STOP="$W/load.stop"
lab_spawn client "$W/load.log" "$(lab_python)" "$HERE/loadgen.py" 192.0.2.100 80 --out "$LOAD_OUT" \
  --rate 40 --concurrency 4 --keepalive 4 --timeout 1 --max-seconds $((FLAP_SECONDS + 20)) --stop-file "$LOAD_STOP"
LOAD_PID=$LAB_LAST_PID
sleep 3
maps0=$(map_counts)
fdlist0=$(for f in /proc/"$PID"/fd/*; do readlink "$f"; done 2>/dev/null)
rss0=$(rss_kb "$PID") fd0= idle0=
read -r fd0 idle0 <<<"$(fd_floor)"
th0=$(threads) kinds0=$(fd_kinds) names0=$(thread_names)
probes0=$(probe_counts)
echo "   before: RSS ${rss0} kB, fds $fd0 (+ $idle0 idle probe sockets), threads $th0; maps: $maps0"

echo "== $FLAPS flaps in $FLAP_SECONDS s over ${#REALS[@]} reals (seed $SEED)"
FLAP_LOG="$W/flaps.log"
t_flap=$(now_s)
"$(lab_python)" - "$W" "$FLAPS" "$FLAP_SECONDS" "$SEED" "${REALS[@]}" >"$FLAP_LOG" <<'EOF'
import os, random, sys, time
w, flaps, seconds, seed, reals = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
rng = random.Random(seed)
start = time.monotonic()
events = []  # (t, real, "down"/"up")
busy_until = {r: 0.0 for r in reals}
for k in range(flaps):
    t = k * seconds / flaps
    free = [r for r in reals if busy_until[r] <= t]
    r = rng.choice(free)
    d = rng.uniform(0.1, 1.5)
    busy_until[r] = t + d + 0.05
    events += [(t, r, "down"), (t + d, r, "up")]
events.sort()
for t, r, what in events:
    delay = start + t - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    node, port = r.split(":")
    path = os.path.join(w, f"ctl-{node}", f"{port}.closed")
    if what == "down":
        open(path, "w").close()
    else:
        os.unlink(path)
    print(f"{time.time():.3f} {r} {what}", flush=True)
EOF
flap_s=$(elapsed_since "$t_flap")
downs=$(grep -c ' down$' "$FLAP_LOG")
echo "   MEASURED $downs flaps done in $flap_s s; per real: $(awk '$3 == "down" {c[$2]++} END {for (r in c) printf "%s=%d ", r, c[r]}' "$FLAP_LOG")"
expect_eq "flaps performed" "$FLAPS" "$downs"
# Down verdicts logged per real during the flaps (short flaps may pass unseen: retry 1).
verdicts=$(awk -v t0="$t_flap" '$1 + 0 >= t0 && / of TCP 192\.0\.2\.100:80 down/ {n++} END {print n + 0}' "$W/directord-dir1.log")
ups=$(awk -v t0="$t_flap" '$1 + 0 >= t0 && / of TCP 192\.0\.2\.100:80 up/ {n++} END {print n + 0}' "$W/directord-dir1.log")
echo "   MEASURED verdicts during the flaps: $verdicts down, $ups up (for $downs listener closures of 0.1-1.5 s)"
# Each verdict against when the listeners really were closed (the servers' own log lines, not the
# flap schedule: a loaded server applies a control file late): a down only while (or just after)
# that real's listener was closed, an up only while it was open, and every closure of >= 1 s
# (twice the detection bound of delay_loop x 1.05 + delay_before_retry, plus latency) seen as a
# down (or already down when it began: a reopening shorter than rise passes need not bring a real
# back).
audit=$("$(lab_python)" - "$W/directord-dir1.log" "$t_flap" "$FLAP_LOG" "$W"/hs-real*.log <<'EOF'
import re, sys
log, t0, flaps, servers = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4:]
ip = {"real1": "198.51.100.11", "real2": "198.51.100.12", "real3": "198.51.100.13"}
closures, closed_at = {}, {}
pat_srv = re.compile(r"^(\d+\.\d+) (real\d): \w+ on (\d+): (closed|listening)$")
for path in servers:
    for line in open(path):
        m = pat_srv.match(line.strip())
        if not m or float(m.group(1)) < t0:
            continue
        key = f"{ip[m.group(2)]}:{m.group(3)}"
        if m.group(4) == "closed":
            closed_at[key] = float(m.group(1))
        elif key in closed_at:
            closures.setdefault(key, []).append((closed_at.pop(key), float(m.group(1))))
for key, a in closed_at.items():  # still closed (the final three): open-ended
    closures.setdefault(key, []).append((a, float("inf")))
# How late the servers applied the schedule (load): flap log time -> the server's own time.
scheduled = sorted(float(l.split()[0]) for l in open(flaps) if l.split()[2] == "down")
actual = sorted(a for cs in closures.values() for a, b in cs)
lag = max((x - y for x, y in zip(actual, scheduled)), default=0.0)
verdicts = []
pat = re.compile(r"^(\d+\.\d+) .* real (\S+) of TCP 192\.0\.2\.100:80 (up|down)")
for line in open(log):
    m = pat.match(line)
    if m and float(m.group(1)) >= t0:
        verdicts.append((float(m.group(1)), m.group(2), m.group(3)))
false_down = [v for v in verdicts if v[2] == "down" and not any(a <= v[0] <= b + 0.5 for a, b in closures.get(v[1], []))]
false_up = [v for v in verdicts if v[2] == "up" and any(a + 0.2 < v[0] < b for a, b in closures.get(v[1], []))]
def down_at(k, t):  # the real's verdict state at t: its last verdict before t (up at the start)
    last = [v for v in verdicts if v[1] == k and v[0] < t]
    return bool(last) and last[-1][2] == "down"
missed = [(k, a, b) for k, cs in closures.items() for a, b in cs
          if 1.0 <= b - a < float("inf") and not down_at(k, a)
          and not any(v[1] == k and v[2] == "down" and a <= v[0] <= b + 0.5 for v in verdicts)]
long = sum(1 for cs in closures.values() for a, b in cs if 1.0 <= b - a < float("inf"))
print(len(false_down), len(false_up), len(missed), long, f"{lag:.3f}")
for v in (false_down + false_up)[:3]:
    print(f"example verdict {v}", file=sys.stderr)
for m in missed[:3]:
    nearby = [v for v in verdicts if v[1] == m[0] and m[1] - 3 <= v[0] <= m[2] + 3]
    print(f"example missed closure {m}; verdicts for it within 3 s: {nearby}", file=sys.stderr)
EOF
)
read -r false_down false_up missed long lag <<<"$audit"
echo "   MEASURED audit (against the servers' own close/open times; they ran up to ${lag} s behind the schedule):" \
  "$long closures >= 1 s, missed $missed; down verdicts without a closure $false_down; up verdicts while closed $false_up"
expect_eq "down verdicts for a real whose listener was open" 0 "$false_down"
expect_eq "up verdicts for a real whose listener was closed" 0 "$false_up"
expect_eq "closures of >= 1 s not seen as down" 0 "$missed"

echo "== verdicts end where the servers are: three listeners closed for good"
FINAL=(real1:8002 real2:8004 real3:8001)
for rp in "${FINAL[@]}"; do hs_close "${rp%%:*}" "${rp##*:}"; done
t_final=$(now_s)
want_down=$(for rp in "${FINAL[@]}"; do ep "$rp"; done | sort | paste -sd ' ')
final_ok() { [ "$(down_in_list)" = "$want_down" ] && [ "$(slot_reals)" = "$(expected_up "${FINAL[@]}")" ]; }
if lab_wait_for 5 final_ok; then
  pass "exactly $want_down down in list and absent from the slot table ($(elapsed_since "$t_final") s after closing)"
else
  fail "list/slot table settle on the three closed reals within 5 s (down: '$(down_in_list)'; slot table: '$(slot_reals)')"
fi
sleep 1  # a late verdict would undo it: it must hold
expect_eq "down in list 1 s later" "$want_down" "$(down_in_list)"
expect_eq "reals in the kernel's slot table" "$(expected_up "${FINAL[@]}")" "$(slot_reals)"
expect_eq "reals in lookup's rotation" "$(expected_up "${FINAL[@]}")" "$(rotation)"
n=0; for rp in "${FINAL[@]}"; do n=$((n + $(ct_to "$(ep "$rp")"))); done
expect_eq "conntrack entries through the VIP to the closed reals" 0 "$n"

echo "== no stuck state"
p1=$(probe_counts); sleep 2; p2=$(probe_counts)
rising=$(paste <(tr ' ' '\n' <<<"$p1") <(tr ' ' '\n' <<<"$p2") | awk 'NF == 2 && $2 >= $1 + 3 {n++} END {print n + 0}')
expect_eq "checkers whose probe count rose by >= 3 in 2 s" "${#REALS[@]}" "$rising"
expect_eq "checkers whose last result is older than 1.5 s" 0 "$(stale_checkers 1.5)"
fl=$(in_flight)
check "probes in flight bounded by the checker count ($fl <= ${#REALS[@]})" test "${fl:-99}" -le "${#REALS[@]}"
echo "   probe counts before the flaps: $probes0"
echo "   probe counts now:              $p2"

echo "== reopened: all back; nothing leaked"
for rp in "${FINAL[@]}"; do hs_open "${rp%%:*}" "${rp##*:}"; done
check "all 12 reals up and in the slot table again (within 5 s)" lab_wait_for 5 all_up
touch "$LOAD_STOP"
lab_wait_for 10 grep -q '"done": true' "$LOAD_OUT"
lab_stop_pid "$LOAD_PID" >/dev/null
echo "   MEASURED traffic: $(cat "$LOAD_OUT")"
sleep 2  # deletion work and freed probes settle
maps1=$(map_counts)
rss1=$(rss_kb "$PID") fd1= idle1=
read -r fd1 idle1 <<<"$(fd_floor)"
th1=$(threads) kinds1=$(fd_kinds) names1=$(thread_names)
echo "   MEASURED after: RSS ${rss1} kB (before ${rss0}, +$((rss1 - rss0)) kB), fds $fd1 + $idle1 idle probe sockets (before $fd0 + $idle0), threads $th1 (before $th0)"
echo "   fds by kind before: $kinds0"
echo "   fds by kind after:  $kinds1"
echo "   threads before: $names0"
echo "   threads after:  $names1"
expect_eq "nft map element counts back to the original" "$maps0" "$maps1"
check "fds other than idle probe sockets within +$FD_MARGIN of before ($fd0 -> $fd1)" test "$fd1" -le $((fd0 + FD_MARGIN))
check "idle probe sockets bounded by the probes that can be in flight at once ($idle1 <= ${#REALS[@]})" test "$idle1" -le "${#REALS[@]}"
if [ "$fd1" -gt "$fd0" ]; then
  echo "   fds opened since the first sample (and where /proc/net lists each socket):"
  for f in /proc/"$PID"/fd/*; do
    l=$(readlink "$f") || continue
    grep -qxF "$l" <<<"$fdlist0" && continue
    where=
    if [[ $l == socket:* ]]; then
      ino=${l#socket:[}; ino=${ino%]}
      for t in tcp tcp6 udp udp6 raw raw6 unix netlink packet; do
        on dir1 grep -qw "$ino" "/proc/net/$t" 2>/dev/null && where+=" $t"
      done
    fi
    echo "     fd ${f##*/}: $l${where:+ (in /proc/net/$where)}"
  done
fi
check "RSS within +$RSS_MARGIN_KB kB of before ($rss0 -> $rss1 kB)" test "$rss1" -le $((rss0 + RSS_MARGIN_KB))
# gRPC sizes its own pools (one sync-server thread per concurrent admin call, event engine
# workers): only the threads directord starts itself must not change.
own_threads() { tr ' ' '\n' <<<"$1" | grep -E '^(directord|vrrp|health|sync)=' | paste -sd ' '; }
expect_eq "directord's own threads unchanged (gRPC's pools: ${th0} -> ${th1} threads in all)" "$(own_threads "$names0")" "$(own_threads "$names1")"
ok=$("$(lab_python)" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["ok"], d["requests"])' "$LOAD_OUT")
read -r ok_n req_n <<<"$ok"
check "traffic flowed throughout ($ok_n of $req_n new-connection requests answered)" test "${ok_n:-0}" -gt $((req_n / 2))
check "directord still running" kill -0 "$PID"
hl_show_health | tail -n 3
check "directord exits within 5 s of SIGTERM" directord_stop "$PID"
finish
