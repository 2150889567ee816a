#!/usr/bin/env bash
# directord demo: builds (if needed), brings up the netns lab, runs directord in dir1 with
# etc/lab-demo.conf (FULLNAT, NAT and DR services), sends bounded traffic through each mode and
# shows where it went, the service table with counters and dir1's conntrack bindings; then a real's
# server stops and its health checks take it out of rotation and back in. Then VRRP:
# dir1 and dir2 as an active/backup pair (etc/lab-vrrp-dir1.conf, etc/lab-vrrp-dir2.conf), a
# stream of new requests through the VIP while dir1 crashes (kill -9 + link cut), dir2 takes over,
# and dir1 returns and preempts. Then connection sync: the pair again with connection_sync (mutual
# TLS, certificates from scripts/sync-certs.sh), 200 long-lived FULLNAT flows (tests/netns/
# flowdrill.py, half client-first, half server-first) synced to dir2, dir1 crashes, and every flow
# carries on through dir2. Then FULLNAT's client address (etc/lab-toa.conf: TOA added by the
# director, read on real1 by directord-real's programs for an unmodified server). Then TUN: the reals move to a subnet of their own (etc/lab-tun.conf,
# directord-real on each), traffic by IP-in-IP through a VRRP pair, a crash, the same reals after.
# Exit 0 when every act worked, 1 with the failed act named.
#
#   scripts/demo.sh            everything, then tear the lab down
#   scripts/demo.sh --keep     leave the lab and the VRRP pair running (namespaces dlab-*);
#                              explore with scripts/lab.sh exec|status, end with scripts/lab.sh down
#   HA_BUILD_DIR=build/dev scripts/demo.sh    use an existing build instead of build/release
#   DEMO_REQUESTS=30           requests per service (1..1000)
# Needs root (network namespaces).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
export HA_SOURCE_DIR=$SRC

KEEP=0
for a in "$@"; do
  case "$a" in
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown argument $a (try --help)" >&2; exit 2 ;;
  esac
done
N=${DEMO_REQUESTS:-30}
[[ $N =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] && [ "$N" -le 1000 ] || { echo "DEMO_REQUESTS must be 1..1000" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: needs root (network namespaces)" >&2; exit 1; }

section() { printf '\n\033[1m=== %s\033[0m\n' "$*"; }
DEMO_T0=$SECONDS
# Acts that went wrong but let the demo go on (one line each; show runs in pipelines, so a file):
# the demo then exits 1 at the end. act_soft_fail MESSAGE
act_soft_fail() { echo "$*" >>"$LAB_STATE_DIR/demo-failed"; }
# act_fail ACT MESSAGE [LOG...]: an act cannot go on. Names it, shows the logs' tails, exits 1
# (the EXIT trap of lib.sh stops what the lab started and deletes the namespaces).
act_fail() {
  local act=$1 msg=$2 log; shift 2
  printf '\n\033[1;31mdemo.sh: act %s FAILED: %s\033[0m\n' "$act" "$msg" >&2
  for log in "$@"; do
    [ -f "$log" ] || continue
    echo "---- last lines of $log ----" >&2
    tail -n 20 "$log" | sed 's/^/    /' >&2
  done
  exit 1
}

section "1. Dependencies and build"
bash "$SRC/scripts/install-deps.sh" || { echo "demo.sh: installing dependencies failed" >&2; exit 1; }
if [ -n "${HA_BUILD_DIR:-}" ]; then
  HA_BUILD_DIR=$(cd "$HA_BUILD_DIR" && pwd) || exit 1
  echo "using HA_BUILD_DIR=$HA_BUILD_DIR (no build)"
else
  export HA_BUILD_DIR=$SRC/build/release
  (
    cd "$SRC" || exit 1
    if [ ! -f "$HA_BUILD_DIR/CMakeCache.txt" ]; then cmake --preset release || exit 1; fi
    cmake --build --preset release
  ) || { echo "demo.sh: build failed" >&2; exit 1; }
fi
export HA_BUILD_DIR

if [ "$KEEP" = 1 ]; then
  LAB_STATE_DIR=/run/dlab
  if [ -s /run/dlab/namespaces ]; then echo "demo.sh: a lab is up already; run scripts/lab.sh down first" >&2; exit 1; fi
fi
source "$SRC/tests/netns/lib.sh"
source "$SRC/tests/netns/toa_lib.sh"
ha_find_binaries || exit 1
echo "directord:   $DIRECTORD"
echo "directorctl: $DIRECTORCTL"

section "2. Lab"
if [ "$KEEP" = 1 ]; then LAB_DETACH=1; lab_up dlab-; else lab_up; fi
rm -f "$LAB_STATE_DIR/demo-failed"
start_reals
real_dr_setup "$VIP_DR4"
reals_route_via_director 198.51.100.2 fd00:1::2
cat <<EOF2
  client 203.0.113.10 ── router 203.0.113.1 | 198.51.100.1 ══ bridge ══ dir1 198.51.100.2 (directord)
                                                               ══ real1 .11  real2 .12  real3 .13
  namespaces: $(printf "$LAB_PREFIX%s " "${LAB_NODES[@]}")
  reals: HTTP on 80/8080, UDP echo on 53, each answering "<real> <client address it saw>";
         VIP 192.0.2.102 on lo (DR); default route via dir1 (NAT)
EOF2

section "3. directord in dir1 with etc/lab-demo.conf"
CONF=$SRC/etc/lab-demo.conf
SOCK=$LAB_STATE_DIR/dir1.sock
"$DIRECTORD" -t -f "$CONF" && echo "config check: ok"
directord_start dir1 "$CONF" "$SOCK" || act_fail 3 "directord did not start in dir1 with $CONF"
echo "directord pid $DIRECTORD_PID, admin socket $SOCK, log $LAB_STATE_DIR/directord-dir1.log"
lab_wait_for 5 on dir1 sh -c 'ip -4 addr show dev lan0 | grep -q "inet 192.0.2.100/"' || echo "warning: VIP 192.0.2.100 not on dir1 after 5 s"
ctl() { on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" "$@"; }

# show LABEL < bodies : per-real counts and the client addresses the reals saw
show() {
  local out failed answered; out=$(cat)
  failed=$(grep -vc '^real' <<<"$out") answered=$(grep -c '^real' <<<"$out")
  printf '  %-34s %s\n' "$1" "$(count_reals <<<"$out")   failed=$failed"
  [ "$failed" -eq 0 ] && [ "$answered" -eq "$N" ] || act_soft_fail "$1: $answered of $N requests answered, $failed failed"
  printf '  %-34s %s\n' "  reals saw client address(es):" "$(awk '/^real/ {print $2}' <<<"$out" | sort | uniq -c | awk '{printf "%s(x%s) ", $2, $1}')"
}
many() {  # URL BASEPORT
  local i
  for ((i = 0; i < N; i++)); do lab_get "$1" --local-port $(($2 + i)) || echo error; done
}

section "4. FULLNAT: $N new connections each (DNAT to a real + SNAT to a local address)"
many http://192.0.2.100/ 20000 | show "TCP 192.0.2.100:80 wrr 3:2:1"
many 'http://[fd00:2::100]/' 21000 | show "TCP [fd00:2::100]:80 rr"
for ((i = 0; i < N; i++)); do on client "$(lab_python)" "$SRC/tests/netns/netclient.py" udp 192.0.2.100 53 || echo error; done |
  show "UDP 192.0.2.100:53 rr"

section "5. NAT: $N new connections (DNAT only; reals route back via dir1)"
many http://192.0.2.101/ 22000 | show "TCP 192.0.2.101:80 rr"

section "6. DR: $N new connections (MAC rewrite; reals answer the client directly)"
dr=$(many http://192.0.2.102/ 23000)
show "TCP 192.0.2.102:80 mh (mh-port)" <<<"$dr"
echo "  client port 23000 was answered by: $(head -n 1 <<<"$dr")"
echo "  directorctl lookup tcp 203.0.113.10 23000 192.0.2.102 80 says:"
ctl lookup tcp 203.0.113.10 23000 192.0.2.102 80 | sed 's/^/    /'

section "7. directorctl list --stats"
ctl list --stats | sed 's/^/  /'

section "8. conntrack on dir1 (FULLNAT and NAT bindings; DR never reaches conntrack)"
for vip in 192.0.2.100 192.0.2.101 192.0.2.102 fd00:2::100; do
  lines=$(on dir1 conntrack -L --orig-dst "$vip" 2>/dev/null)
  echo "  $vip: $(grep -c . <<<"$lines") entries$( [ -n "$lines" ] && echo ', first 3:')"
  [ -n "$lines" ] && head -n 3 <<<"$lines" | sed 's/^/    /'
done

# ---- Health checks --------------------------------------------------------------------------------
section "9. Health checks: real2's server stops, directord takes it out of rotation, then back"
# real2's server is the one start_reals spawned in our own real2 namespace (so ours to end).
real2_server_pids() {
  local p
  for p in $(ip netns pids "$(ns real2)" 2>/dev/null); do
    grep -q real_server.py "/proc/$p/cmdline" 2>/dev/null && echo "$p"
  done
}
real2_line() { ctl list 2>/dev/null | grep -A3 '^TCP  192.0.2.100:80' | grep '198.51.100.12:80'; }
real2_is() { real2_line | grep -q " $1 "; }
echo "  each real of TCP 192.0.2.100:80 runs HTTP_GET / every 1 s (retry 1, delay_before_retry 1,"
echo "  connect_timeout 1: down within delay_loop x retry + connect_timeout = 2 s, plus the probe in flight)"
ctl list | grep -A3 '^TCP  192.0.2.100:80' | sed 's/^/  /'
pids=$(real2_server_pids)
[ -n "$pids" ] || act_fail 9 "real2's server process not found"
t0=$(date +%s%N)
kill $pids
echo "  stopped real2's server (pid $pids) at t=0"
if lab_wait_for 6 real2_is down; then
  echo "  real2 marked down after $(( ($(date +%s%N) - t0) / 1000000 )) ms:"
  real2_line | sed 's/^/    /'
else
  act_soft_fail "health: real2 not marked down within 6 s"
fi
many http://192.0.2.100/ 24000 | show "TCP 192.0.2.100:80 while real2 is down"
[ "$(many http://192.0.2.100/ 24500 | grep -c '^real2')" -eq 0 ] || act_soft_fail "health: new connections reached real2 while it was down"
lab_spawn real2 "$LAB_STATE_DIR/real2-restarted.log" "$(lab_python)" "$SRC/scripts/real_server.py" --name real2 --tcp 80,8080 --udp 53
t0=$(date +%s%N)
if lab_wait_for 6 real2_is up; then
  echo "  real2's server restarted; back in rotation after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
else
  act_soft_fail "health: real2 not back up within 6 s of its restart"
fi
many http://192.0.2.100/ 25000 | show "TCP 192.0.2.100:80 with real2 back"
echo "  directorctl health (probes, failures by reason, latency):"
ctl health | grep -B1 -A3 '198.51.100.12:80' | head -n 12 | sed 's/^/    /'
ctl health | tail -n 1 | sed 's/^/    /'

# ---- VRRP ---------------------------------------------------------------------------------------
VCONF1=$SRC/etc/lab-vrrp-dir1.conf VCONF2=$SRC/etc/lab-vrrp-dir2.conf
S1=$LAB_STATE_DIR/vrrp-dir1.sock S2=$LAB_STATE_DIR/vrrp-dir2.sock
LOG1=$LAB_STATE_DIR/directord-dir1.log LOG2=$LAB_STATE_DIR/directord-dir2.log
PROBE_OUT=$LAB_STATE_DIR/vrrp-stream.out PROBE_STOP=$LAB_STATE_DIR/vrrp-stream.stop
vctl() { local node=$1 sock=$2; shift 2; on "$node" "$DIRECTORCTL" --admin-socket "$sock" "$@"; }
show_vrrp() { echo "  $1\$ directorctl vrrp"; vctl "$1" "$2" vrrp 2>&1 | sed 's/^/    /'; }
last_transition() { vctl "$1" "$2" vrrp 2>/dev/null | sed -n 's/^ *last: //p' | head -n 1; }
holds_both() { holds_address "$1" 192.0.2.100 && holds_address "$1" 198.51.100.200; }
holds_none() { ! holds_address "$1" 192.0.2.100 && ! holds_address "$1" 198.51.100.200; }
holder() { local n h=; for n in dir1 dir2; do holds_address "$n" "$1" && h+=${h:+,}$n; done; echo "${h:-nobody}"; }
now_ns() { date +%s%N; }
ms_since() { echo $(( ($(now_ns) - $1) / 1000000 )); }
# answered_after T: the stream has an answered request launched at or after T (ns)
answered_after() { awk -v t="$1" '$1 >= t && $3 == "ok" {f = 1} END {exit !f}' "$PROBE_OUT" 2>/dev/null; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

section "10. VRRP: dir1 and dir2 as an active/backup pair (etc/lab-vrrp-dir1.conf, lab-vrrp-dir2.conf)"
echo "  stopping directord in dir1 (pid $DIRECTORD_PID, lab-demo.conf): SIGTERM removes its table and addresses"
directord_stop "$DIRECTORD_PID" || act_fail 10 "directord (pid $DIRECTORD_PID) in dir1 did not stop"
lab_wait_for 2 holds_none dir1 || act_fail 10 "dir1 still holds 192.0.2.100/198.51.100.200 after directord stopped"
reals_route_via_director "$ROUTER4" "$ROUTER6"
echo "  reals route via the router again (the NAT act pointed them at dir1; FULLNAT needs no special route)"
for c in "$VCONF1" "$VCONF2"; do
  "$DIRECTORD" -t -f "$c" >/dev/null 2>&1 || act_fail 10 "config check failed: $DIRECTORD -t -f $c"
done
echo "  config check: ok (VRRPv3 VI_1 on lan0, VRID 51, advert 0.1 s, priority 150 on dir1 / 100 on dir2;"
echo "  virtual_ipaddress: the FULLNAT VIP 192.0.2.100 and its local address 198.51.100.200; mh service)"
directord_start dir1 "$VCONF1" "$S1" || act_fail 10 "directord did not start in dir1 with $VCONF1"
P1=$DIRECTORD_PID
directord_start dir2 "$VCONF2" "$S2" || act_fail 10 "directord did not start in dir2 with $VCONF2"
P2=$DIRECTORD_PID
echo "  directord: dir1 pid $P1, dir2 pid $P2 (both start BACKUP; the higher priority wins)"
wait_vrrp_state 3 dir1 "$S1" MASTER ||
  act_fail 10 "dir1 (priority 150) is not MASTER 3 s after start (state: $(vrrp_state dir1 "$S1"))" "$LOG1"
wait_vrrp_state 3 dir2 "$S2" BACKUP ||
  act_fail 10 "dir2 (priority 100) is not BACKUP 3 s after start (state: $(vrrp_state dir2 "$S2"))" "$LOG2"
lab_wait_for 2 holds_both dir1 || act_fail 10 "dir1 is MASTER but does not hold 192.0.2.100 and 198.51.100.200" "$LOG1"
holds_none dir2 || act_fail 10 "dir2 is BACKUP but holds a virtual address" "$LOG2"
show_vrrp dir1 "$S1"
show_vrrp dir2 "$S2"
echo "  192.0.2.100 is on: $(holder 192.0.2.100)   198.51.100.200 is on: $(holder 198.51.100.200)"
out=$(CURL_TIMEOUT=2 vip_request) || act_fail 10 "a request to http://192.0.2.100/ through dir1 failed"
echo "  client\$ curl http://192.0.2.100/  ->  $out   (FULLNAT: the real saw the local address)"

section "11. VRRP failover: dir1 crashes under a stream of new requests, dir2 takes over"
rm -f "$PROBE_OUT" "$PROBE_STOP"
lab_spawn client "$LAB_STATE_DIR/vrrp-stream.log" "$(lab_python)" "$SRC/bench/failover_probe.py" 192.0.2.100 80 \
  --out "$PROBE_OUT" --every-ms 50 --timeout-ms 1000 --max-seconds 15 --stop-file "$PROBE_STOP"
PROBE=$LAB_LAST_PID
T_START=$(now_ns)
echo "  client: a NEW connection + GET / to 192.0.2.100:80 every 50 ms (20/s), 1 s timeout each,"
echo "          at most 15 s (bench/failover_probe.py, pid $PROBE; \"<launch_ns> <done_ns> ok|fail\" lines)"
sleep 2
steady_ok=$(grep -c ' ok$' "$PROBE_OUT" 2>/dev/null) steady_fail=$(grep -c ' fail$' "$PROBE_OUT" 2>/dev/null)
echo "  2 s through dir1: ${steady_ok:-0} answered, ${steady_fail:-0} failed"
[ "${steady_ok:-0}" -ge 10 ] || act_fail 11 "the request stream through dir1 is not being answered (${steady_ok:-0} in 2 s)" "$LAB_STATE_DIR/vrrp-stream.log"

echo "  CRASH dir1: kill -9 directord (pid $P1) and cut its link (lan0 down) - nothing is sent"
# Both at once: killing directord alone would leave its nftables rules forwarding in the kernel.
T_CRASH=$(now_ns)
kill -KILL "$P1" 2>/dev/null || act_fail 11 "could not kill -9 directord (pid $P1) in dir1"
link_cut dir1 || act_fail 11 "could not cut dir1's link"
lab_stop_pid "$P1" KILL >/dev/null 2>&1 || act_fail 11 "directord (pid $P1) in dir1 survived kill -9"
wait_vrrp_state 3 dir2 "$S2" MASTER ||
  act_fail 11 "dir2 did not become MASTER within 3 s of dir1's crash (state: $(vrrp_state dir2 "$S2"))" "$LOG2"
took=$(ms_since "$T_CRASH")
echo "  dir2 is MASTER ${took} ms after the crash (its master-down interval at priority 100 is"
echo "  3 x 100 ms + skew (256-100)/256 x 100 ms = 360.9 ms after dir1's last advert; this script"
echo "  polls directorctl every 50 ms)"
lab_wait_for 2 holds_both dir2 || act_fail 11 "dir2 is MASTER but does not hold 192.0.2.100 and 198.51.100.200" "$LOG2"
show_vrrp dir2 "$S2"
echo "  why dir2 moved: $(last_transition dir2 "$S2")"
echo "  dir2 now holds 192.0.2.100 and 198.51.100.200 and announced them by gratuitous ARP;"
holds_address dir1 192.0.2.100 && echo "  dir1 still has its stale copy of the VIP (kill -9 removes nothing), but its link is down"
lab_wait_for 3 answered_after "$T_CRASH" ||
  act_fail 11 "no new request through the VIP was answered within 3 s of the crash (dir2 MASTER)" "$LOG2"
sleep 1.5
echo "  requests keep being answered, now through dir2"

section "12. VRRP: dir1 comes back and preempts (priority 150 > 100)"
cp "$LOG1" "$LAB_STATE_DIR/directord-dir1.crashed.log" 2>/dev/null
T_RESTORE=$(now_ns)
link_restore dir1
directord_start dir1 "$VCONF1" "$S1" || act_fail 12 "directord did not restart in dir1"
P1=$DIRECTORD_PID
echo "  dir1: link up again, directord restarted (pid $P1); it drops the stale addresses and starts as BACKUP"
wait_vrrp_state 3 dir1 "$S1" MASTER ||
  act_fail 12 "dir1 did not preempt: not MASTER within 3 s of its restart (state: $(vrrp_state dir1 "$S1"))" "$LOG1" "$LOG2"
took=$(ms_since "$T_RESTORE")
wait_vrrp_state 2 dir2 "$S2" BACKUP ||
  act_fail 12 "dir2 did not go back to BACKUP after dir1 preempted (state: $(vrrp_state dir2 "$S2"))" "$LOG2"
lab_wait_for 2 holds_none dir2 || act_fail 12 "dir2 is BACKUP but still holds a virtual address" "$LOG2"
T_PREEMPTED=$(now_ns)
echo "  dir1 is MASTER again ${took} ms after its link came back (restart included)"
show_vrrp dir1 "$S1"
show_vrrp dir2 "$S2"
echo "  why dir1 moved: $(last_transition dir1 "$S1")"
echo "  why dir2 moved: $(last_transition dir2 "$S2")"
echo "  192.0.2.100 is on: $(holder 192.0.2.100)  198.51.100.200 is on: $(holder 198.51.100.200)"
lab_wait_for 3 answered_after "$T_PREEMPTED" ||
  act_fail 12 "no new request through the VIP was answered within 3 s of dir1's preemption" "$LOG1"
sleep 1
touch "$PROBE_STOP"
T_STOP=$(now_ns)
lab_wait_for 3 pid_gone "$PROBE"
lab_stop_pid "$PROBE" >/dev/null 2>&1

section "13. VRRP failover: what the client saw"
# Per request (sorted by launch): phase of the request, then the summary. A request belongs to the
# crash window if it was still open at the crash or launched before dir1 returned; to the preempt
# window if launched after dir1 returned. Requests abandoned by stopping the stream are left out.
awk -v tc="$T_CRASH" -v tr="$T_RESTORE" -v ts="$T_STOP" -v t0="$T_START" '
  function ms(ns) { return sprintf("%+.0f", ns / 1e6) }
  $2 >= ts { next }
  { n++; L[n] = $1; D[n] = $2; R[n] = $3 }
  END {
    if (n == 0) { print "  no requests recorded"; exit 1 }
    # order by launch time (the file is in completion order)
    for (i = 2; i <= n; i++) for (j = i; j > 1 && L[j-1] > L[j]; j--) {
      t = L[j]; L[j] = L[j-1]; L[j-1] = t; t = D[j]; D[j] = D[j-1]; D[j-1] = t; t = R[j]; R[j] = R[j-1]; R[j-1] = t }
    line = ""; crashmark = 0; restmark = 0
    for (i = 1; i <= n; i++) {
      if (!crashmark && L[i] >= tc) { line = line "|"; crashmark = 1 }
      if (!restmark && L[i] >= tr) { line = line "^"; restmark = 1 }
      line = line (R[i] == "ok" ? "." : "x")
      if (D[i] <= tc) { w = "steady" } else if (L[i] < tr) { w = "crash" } else { w = "back" }
      tot[w]++; if (R[i] != "ok") { bad[w]++; if (!(w in fb)) fb[w] = L[i]; lb[w] = L[i] }
      if (R[i] == "ok") { m++; OK[m] = D[i] }
    }
    # the gap: the longest silence between two consecutive answers that ends after the crash
    # and before dir1 returns (50 ms when nothing is lost: one request every 50 ms)
    for (i = 2; i <= m; i++) for (j = i; j > 1 && OK[j-1] > OK[j]; j--) { t = OK[j]; OK[j] = OK[j-1]; OK[j-1] = t }
    gap = -1
    for (i = 2; i <= m; i++) if (OK[i] > tc && OK[i] < tr && OK[i] - OK[i-1] > gap) { gap = OK[i] - OK[i-1]; g0 = OK[i-1]; g1 = OK[i] }
    print "  one mark per request in launch order (. answered, x failed; | crash of dir1, ^ dir1 back):"
    for (p = 1; p <= length(line); p += 64) print "    " substr(line, p, 64)
    printf "  before the crash:         %3d requests, %d failed\n", tot["steady"], bad["steady"]
    printf "  crash, dir2 takes over:   %3d requests, %d failed", tot["crash"], bad["crash"]
    if (bad["crash"]) printf " (launched %s .. %s ms from the crash)", ms(fb["crash"] - tc), ms(lb["crash"] - tc)
    printf "\n"
    printf "  dir1 back and preempting: %3d requests, %d failed", tot["back"], bad["back"]
    if (bad["back"]) printf " (launched %s .. %s ms from dir1 coming back)", ms(fb["back"] - tr), ms(lb["back"] - tr)
    printf "\n"
    if (gap >= 0)
      printf "  the gap: no answer for %.0f ms, from %s ms to %s ms after the crash (answers every 50 ms otherwise)\n", gap / 1e6, ms(g0 - tc), ms(g1 - tc)
    printf "GAP %.0f %d %d\n", (gap >= 0 ? gap / 1e6 : 99999), bad["steady"] + 0, bad["crash"] + 0 > "/dev/stderr"
  }' "$PROBE_OUT" 2>"$LAB_STATE_DIR/vrrp-summary" || act_fail 13 "the request stream recorded nothing ($PROBE_OUT)"
read -r _ gap steady_bad crash_bad <"$LAB_STATE_DIR/vrrp-summary"
[ "${steady_bad:-1}" -eq 0 ] || act_fail 13 "$steady_bad request(s) failed before the crash, with both directors up"
[ "${gap:-99999}" -lt 3000 ] || act_fail 13 "the VIP was unanswered for ${gap:-?} ms after the crash"
echo "  => dir2 took over by itself: ${crash_bad:-0} new requests lost, service back after ${gap} ms."

# ---- Connection sync ------------------------------------------------------------------------------
section "14. Connection sync: established flows survive the master's crash (sync/README.md)"
T_ACT14=$SECONDS
source "$SRC/tests/netns/sync_lib.sh"
# Its own configs, sockets and logs (the VRRP acts' logs are kept as directord-dirN.vrrp.log).
SC1=$LAB_STATE_DIR/sync-dir1.conf SC2=$LAB_STATE_DIR/sync-dir2.conf
SS1=$LAB_STATE_DIR/sync-dir1.sock SS2=$LAB_STATE_DIR/sync-dir2.sock
SYNC_FLOWS=200
echo "  stopping the VRRP pair of acts 10-13 (SIGTERM: dir1 pid $P1, dir2 pid $P2)"
directord_stop "$P1" || act_fail 14 "directord (pid $P1) in dir1 did not stop"
directord_stop "$P2" || act_fail 14 "directord (pid $P2) in dir2 did not stop"
P1='' P2=''
for n in dir1 dir2; do cp "$LAB_STATE_DIR/directord-$n.log" "$LAB_STATE_DIR/directord-$n.vrrp.log" 2>/dev/null; done
sync_certs dir1 dir2
echo "  scripts/sync-certs.sh $SYNC_CERTS dir1 dir2: a throwaway CA and one certificate per director"
echo "  (CN and DNS SAN = the node's router_id; each side checks the other's against the CA and its name)"
sync_conf() {  # NODE PEER PRIORITY
  sync_global_defs "$1"
  sync_block "$1" "$2"
  sync_vrrp_instance VI_1 51 "$3" "" 192.0.2.100/32 198.51.100.200/32
  sync_lag LAG4 198.51.100.200
  sync_fnat_service LAG4
}
sync_conf dir1 dir2 150 >"$SC1"
sync_conf dir2 dir1 100 >"$SC2"
for c in "$SC1" "$SC2"; do
  out=$("$DIRECTORD" -t -f "$c" 2>&1) || act_fail 14 "config check failed: $DIRECTORD -t -f $c: $out"
done
echo "  $SC1 (dir2's is the mirror image, priority 100):"
sed -n '/^connection_sync/,/^}/p' "$SC1" | sed 's/^/    /'
echo "    + VRRPv3 VI_1 (VRID 51, advert 0.1 s, 150/100) for 192.0.2.100 and 198.51.100.200,"
echo "      virtual_server 192.0.2.100 9000: mh + mh-port, FNAT via 198.51.100.200, real1-3:9000"
drill_servers_start
echo "  reals: tests/netns/drill_server.py on TCP 9000 (answers each line; pushes to server-first flows)"
directord_start dir1 "$SC1" "$SS1" || act_fail 14 "directord did not start in dir1 with $SC1"
P1=$DIRECTORD_PID
directord_start dir2 "$SC2" "$SS2" || act_fail 14 "directord did not start in dir2 with $SC2"
P2=$DIRECTORD_PID
LOG1=$LAB_STATE_DIR/directord-dir1.log LOG2=$LAB_STATE_DIR/directord-dir2.log
wait_vrrp_state 3 dir1 "$SS1" MASTER || act_fail 14 "dir1 is not MASTER 3 s after start (state: $(vrrp_state dir1 "$SS1"))" "$LOG1"
wait_vrrp_state 3 dir2 "$SS2" BACKUP || act_fail 14 "dir2 is not BACKUP 3 s after start (state: $(vrrp_state dir2 "$SS2"))" "$LOG2"
lab_wait_for 5 sync_both_up dir1 "$SS1" dir2 || act_fail 14 "dir1's sync streams with dir2 are not up within 5 s" "$LOG1" "$LOG2"
echo "  directord: dir1 pid $P1 (MASTER), dir2 pid $P2 (BACKUP); sync streams up both ways (mutual TLS)"
flowdrill_start demo "$SYNC_FLOWS"
flowdrill_wait_ready demo 30 || act_fail 14 "flowdrill did not open its flows within 30 s" "$(_fd demo log)"
opened=$(fd_get demo ready opened)
echo "  client: tests/netns/flowdrill.py opened $opened long-lived flows to 192.0.2.100:9000 through dir1 in"
echo "          $(fd_get demo ready open_ms) ms (even: client-first, odd: server-first); per real $(fd_get demo ready per_real)"
[ "$opened" = "$SYNC_FLOWS" ] || act_soft_fail "sync: only $opened of $SYNC_FLOWS flows opened"
sync_wait_applied 10 dir2 "$SS2" dir1 "$opened" || act_soft_fail "sync: dir2 did not apply $opened flows from dir1 within 10 s"
sync_wait_drained 5 dir1 "$SS1" dir2 || act_soft_fail "sync: dir1's queue to dir2 did not drain within 5 s"
ct_wait_ge 5 dir2 "$opened" || true
echo "  conntrack, established drill flows: dir1 $(ct_count dir1), dir2 $(ct_count dir2) (the BACKUP holds copies with their NAT bindings)"
echo "  dir1\$ directorctl sync"; sync_status dir1 "$SS1" | sed 's/^/    /'
echo "  dir2\$ directorctl sync"; sync_status dir2 "$SS2" | sed 's/^/    /'
echo "  dir2's copy of one flow:"
on dir2 conntrack -L -p tcp --orig-dst 192.0.2.100 --dport 9000 2>/dev/null | grep -m1 ESTABLISHED | sed 's/^/    /'

echo "  CRASH dir1: kill -9 directord (pid $P1) and cut its link"
T_CRASH=$(now_ns)
kill -KILL "$P1" 2>/dev/null || act_fail 14 "could not kill -9 directord (pid $P1) in dir1"
link_cut dir1 || act_fail 14 "could not cut dir1's link"
lab_stop_pid "$P1" KILL >/dev/null 2>&1 || act_fail 14 "directord (pid $P1) in dir1 survived kill -9"
P1=
wait_vrrp_state 3 dir2 "$SS2" MASTER ||
  act_fail 14 "dir2 did not become MASTER within 3 s of dir1's crash (state: $(vrrp_state dir2 "$SS2"))" "$LOG2"
echo "  dir2 is MASTER $(ms_since "$T_CRASH") ms after the crash; it holds 192.0.2.100 and 198.51.100.200: $(holds_both dir2 && echo yes || echo NO)"
flowdrill_go demo
flowdrill_wait_result demo 15 || act_fail 14 "flowdrill wrote no result within 15 s" "$(_fd demo log)"
cf=$(fd_get demo result client_first) cfok=$(fd_get demo result client_first_ok)
sf=$(fd_get demo result server_first) sfok=$(fd_get demo result server_first_ok)
SYNC_SURVIVED=$((cfok + sfok))
echo "  go: client-first flows send \"ping\" and must be answered by the same real; server-first flows"
echo "  stay silent and must receive the real's push (only if dir2 has the flow's NAT binding):"
echo "    client-first $cfok/$cf, server-first $sfok/$sf, failures $(fd_get demo result failures), $(fd_get demo result elapsed_ms) ms"
# gRPC keepalive (1 s + 1 s timeout) tells dir2 that its peer is gone
peer_down() { sync_status dir2 "$SS2" | awk '$1 == "dir1" && NF > 4 {ok = $3 == "down" && $4 == "down"} END {exit !ok}'; }
if lab_wait_for 4 peer_down; then
  echo "  dir2\$ directorctl sync   (the survivor, $(ms_since "$T_CRASH") ms after the crash: keepalive found dir1 gone)"
else
  echo "  dir2\$ directorctl sync   (the survivor; its streams to dir1 not yet marked down 4 s after the crash)"
fi
sync_status dir2 "$SS2" | sed 's/^/    /'
if [ "$SYNC_SURVIVED" -eq "$SYNC_FLOWS" ]; then
  echo "  => all $SYNC_SURVIVED of $SYNC_FLOWS established flows survived the master's crash"
else
  echo "  => only $SYNC_SURVIVED of $SYNC_FLOWS established flows survived the master's crash"
  act_soft_fail "sync: $SYNC_SURVIVED of $SYNC_FLOWS flows survived dir1's crash (client-first $cfok/$cf, server-first $sfok/$sf)"
fi
lab_stop_pid "${FD_PID[demo]}" >/dev/null 2>&1
echo "  (act 14 took $((SECONDS - T_ACT14)) s)"
if [ "$KEEP" = 1 ]; then
  echo "  (--keep: back to the VRRP pair of acts 10-13 for exploring)"
  directord_stop "$P2" >/dev/null 2>&1; P2=
  link_restore dir1
  directord_start dir1 "$VCONF1" "$S1" || act_fail 14 "directord did not restart in dir1 with $VCONF1"
  P1=$DIRECTORD_PID
  directord_start dir2 "$VCONF2" "$S2" || act_fail 14 "directord did not restart in dir2 with $VCONF2"
  P2=$DIRECTORD_PID
  wait_vrrp_state 3 dir1 "$S1" MASTER || act_soft_fail "--keep: dir1 not MASTER again within 3 s"
fi

# ---- FULLNAT's client address ------------------------------------------------------------------
CGROOT=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
if [ "$KEEP" = 1 ] || [ -z "$CGROOT" ]; then
  section "15. client address (skipped: ${CGROOT:+--keep keeps the pair running}${CGROOT:-no cgroup v2 hierarchy})"
else
  section "15. FULLNAT's client address: TOA from the eBPF datapath, read on the real without a module"
  T_ACT15=$SECONDS
  for p in $P1 $P2; do directord_stop "$p" >/dev/null 2>&1; done
  P1='' P2=''
  link_restore dir1
  ACONF=$SRC/etc/lab-toa.conf AS=$LAB_STATE_DIR/toa-dir1.sock
  directord_start dir1 "$ACONF" "$AS" || act_fail 15 "directord did not start in dir1 with $ACONF"
  P1=$DIRECTORD_PID
  CG="$CGROOT/${LAB_PREFIX}demo-toa"
  mkdir -p "$CG"
  onreal1() { nsenter --net="/run/netns/$(ns real1)" "$DIRECTORD_REAL" "$@"; }
  lab_on_down "nsenter --net=/run/netns/$(ns real1) $DIRECTORD_REAL toa detach --cgroup $CG >/dev/null 2>&1; rmdir $CG 2>/dev/null"
  onreal1 toa attach --cgroup "$CG" >/dev/null || act_fail 15 "directord-real toa attach --cgroup $CG failed on real1"
  echo "  real1\$ directord-real toa attach --cgroup $CG   (sockops + cgroup getpeername4/6)"
  # An unmodified server in that cgroup (it joins before opening its socket), in real1's network
  # namespace: it prints what accept() and getpeername() return.
  spawn_in_cgroup "$CG" real1 "$LAB_STATE_DIR/toa_server.log" "$(lab_python)" -u "$SRC/tests/netns/toa_server.py" --v4 8081
  TOA_SERVER=$LAB_LAST_PID
  lab_wait_listen real1 tcp 8081 || act_fail 15 "toa_server.py did not start on real1"
  lab_get "http://192.0.2.104:8080/" --local-port 27001 >/dev/null
  sleep 0.2
  echo "  client 203.0.113.10:27001 -> 192.0.2.104:8080 (FULLNAT, client_address toa) -> real1:8081 says:"
  echo "    $(tail -n 1 "$LAB_STATE_DIR/toa_server.log")"
  b=$(lab_get "http://192.0.2.104:81/" --local-port 27002) || b="no answer"
  echo "  the same real behind 192.0.2.104:81 (FULLNAT without the option; a server started before the attach): $b"
  tail -n 1 "$LAB_STATE_DIR/toa_server.log" | grep -q "accept $CLIENT4 27001 getpeername $CLIENT4 27001" ||
    act_soft_fail "client address: real1 did not see the client 203.0.113.10:27001"
  echo "  dir1\$ directorctl status   (the datapath's counters)"
  on dir1 "$DIRECTORCTL" --admin-socket "$AS" status | sed -n '/eBPF datapath/,$p' | grep -v ' 0$' | sed 's/^/    /'
  directord_stop "$P1" >/dev/null 2>&1; P1=
  lab_stop_pid "$TOA_SERVER" >/dev/null 2>&1
  onreal1 toa detach --cgroup "$CG" >/dev/null 2>&1; rmdir "$CG" 2>/dev/null
  echo "  (act 15 took $((SECONDS - T_ACT15)) s)"
fi

# ---- TUN ----------------------------------------------------------------------------------------
if [ "$KEEP" = 1 ]; then
  section "16. TUN (skipped with --keep: it moves the reals off the LAN, under the kept pair)"
else
  section "16. TUN: the reals in a subnet of their own, reached by IP-in-IP from the eBPF datapath"
  T_ACT16=$SECONDS
  for p in $P1 $P2; do directord_stop "$p" >/dev/null 2>&1; done
  P1='' P2=''
  link_restore dir1
  lab_tun_layout
  real_tun_setup "$VIP_TUN4" "$VIP_TUN6"
  echo "  reals moved to 192.0.2.128/25 behind the router; each ran: directord-real tun up --vip $VIP_TUN4 --vip $VIP_TUN6"
  TCONF=$SRC/etc/lab-tun.conf T1=$LAB_STATE_DIR/tun-dir1.sock T2=$LAB_STATE_DIR/tun-dir2.sock
  start_tun() {  # NODE SOCKET: directord -i NODE (the @dir1 / @dir2 lines of etc/lab-tun.conf)
    rm -f "$2"
    lab_spawn "$1" "$LAB_STATE_DIR/directord-tun-$1.log" "$DIRECTORD" -f "$TCONF" -i "$1" -l -n --admin-socket "$2"
    lab_wait_for 5 test -S "$2" || act_fail 16 "directord did not start in $1 with $TCONF" "$LAB_STATE_DIR/directord-tun-$1.log"
  }
  start_tun dir1 "$T1"; P1=$LAB_LAST_PID
  start_tun dir2 "$T2"; P2=$LAB_LAST_PID
  wait_vrrp_state 5 dir1 "$T1" MASTER VI_TUN || act_fail 16 "dir1 not MASTER of VI_TUN within 5 s" "$LAB_STATE_DIR/directord-tun-dir1.log"
  echo "  dir1\$ directorctl -L -n"
  on dir1 "$DIRECTORCTL" --admin-socket "$T1" -L -n | sed 's/^/    /'
  many "http://$VIP_TUN4/" 26000 | show "TUN http://$VIP_TUN4/"
  b6=$(lab_get "http://[$VIP_TUN6]/") || b6="no answer"
  echo "  IPv6-in-IPv6 http://[$VIP_TUN6]/ -> $b6"
  txb() { on "$1" cat "/sys/class/net/lan0/statistics/tx_bytes"; }
  d0=$(txb dir1) r0=$(( $(txb real1) + $(txb real2) + $(txb real3) ))
  size=$(on client curl -sS --max-time 20 -o /dev/null -w '%{size_download}' "http://$VIP_TUN4/bytes/20971520") || size=0
  d1=$(txb dir1) r1=$(( $(txb real1) + $(txb real2) + $(txb real3) ))
  echo "  a 20 MB download: the reals sent $(( (r1 - r0) / 1048576 )) MiB straight to the client; dir1 sent $(( (d1 - d0) / 1024 )) KiB (the client's ACKs, encapsulated)"
  [ "$size" = 20971520 ] || act_soft_fail "TUN: the 20 MB download got $size bytes"
  echo "  dir1\$ directorctl status   (the datapath's counters)"
  on dir1 "$DIRECTORCTL" --admin-socket "$T1" status | sed -n '/eBPF datapath/,$p' | grep -v ' 0$' | sed 's/^/    /'
  on client "$(lab_python)" "$SRC/tests/netns/tun_flows.py" "$CLIENT4" "$VIP_TUN4" 80 41000 50 >"$LAB_STATE_DIR/tun-before"
  T_CRASH=$(now_ns)
  lab_stop_pid "$P1" KILL >/dev/null 2>&1; P1=
  link_cut dir1
  wait_vrrp_state 3 dir2 "$T2" MASTER VI_TUN || act_fail 16 "dir2 did not take over VI_TUN" "$LAB_STATE_DIR/directord-tun-dir2.log"
  echo "  dir1 crashed (kill -9 + link down): dir2 is MASTER $(ms_since "$T_CRASH") ms later"
  on client "$(lab_python)" "$SRC/tests/netns/tun_flows.py" "$CLIENT4" "$VIP_TUN4" 80 41000 50 >"$LAB_STATE_DIR/tun-after"
  same=$(join "$LAB_STATE_DIR/tun-before" "$LAB_STATE_DIR/tun-after" | awk '$2 == $3 && $2 != "none"' | wc -l)
  echo "  50 fixed flows (source ports 41000-41049) before and after: $same reached the same real through dir2 (same seed, same Maglev table)"
  [ "$same" = 50 ] || act_soft_fail "TUN: $same of 50 flows reached the same real after the failover"
  echo "  (act 16 took $((SECONDS - T_ACT16)) s)"
fi

section "17. Teardown"
if [ "$KEEP" = 1 ]; then
  lab_keep
  failed=$(cat "$LAB_STATE_DIR/demo-failed" 2>/dev/null)
  cat <<EOF2
  kept: the lab (namespaces dlab-*) and the VRRP pair: directord in dir1 (pid $P1, MASTER) and
  dir2 (pid $P2, BACKUP), both with the FULLNAT service 192.0.2.100:80.
    scripts/lab.sh exec client curl -s http://192.0.2.100/
    scripts/lab.sh exec dir1 $DIRECTORCTL --admin-socket $S1 vrrp
    scripts/lab.sh exec dir2 $DIRECTORCTL --admin-socket $S2 vrrp
    scripts/lab.sh exec dir1 ip link set lan0 down      # cut dir1's link: dir2 takes over
    scripts/lab.sh exec dir1 sh -c 'ip link set lan0 up && ip route replace default via 198.51.100.1'
                                 # ... dir1 preempts again (link down dropped its default route)
    scripts/lab.sh down          # stops directord and the reals, deletes the namespaces
EOF2
else
  for p in $P1 $P2; do directord_stop "$p" && echo "  directord (pid $p) stopped (SIGTERM)"; done
  failed=$(cat "$LAB_STATE_DIR/demo-failed" 2>/dev/null)
  lab_down
  echo "  lab removed"
fi
if [ -n "$failed" ]; then
  printf '\n\033[1;31mdemo.sh: FAILED: requests went unanswered or flows were lost:\033[0m\n' >&2
  sed 's/^/  /' <<<"$failed" >&2
  exit 1
fi
echo
echo "demo.sh: every act worked; connection sync: $SYNC_SURVIVED/$SYNC_FLOWS flows survived the master's crash ($((SECONDS - DEMO_T0)) s)"
