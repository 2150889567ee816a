#!/usr/bin/env bash
# directord demo: builds (if needed), brings up the netns lab, runs directord in dir1 with
# etc/lab-demo.conf (FULLNAT, NAT and DR services), sends bounded traffic through each mode and
# shows where it went, the service table with counters and dir1's conntrack bindings. Then VRRP:
# dir1 and dir2 as an active/backup pair (etc/lab-vrrp-dir1.conf, etc/lab-vrrp-dir2.conf), a
# stream of new requests through the VIP while dir1 crashes (kill -9 + link cut), dir2 takes over,
# and dir1 returns and preempts. Exit 0 when every act worked, 1 with the failed act named.
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
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown argument $a (try --help)" >&2; exit 2 ;;
  esac
done
N=${DEMO_REQUESTS:-30}
[[ $N =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] && [ "$N" -le 1000 ] || { echo "DEMO_REQUESTS must be 1..1000" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: needs root (network namespaces)" >&2; exit 1; }

section() { printf '\n\033[1m=== %s\033[0m\n' "$*"; }
DEMO_T0=$SECONDS
FAILED=()   # acts that went wrong but let the demo go on; the demo then exits 1
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
ha_find_binaries || exit 1
echo "directord:   $DIRECTORD"
echo "directorctl: $DIRECTORCTL"

section "2. Lab"
if [ "$KEEP" = 1 ]; then LAB_DETACH=1; lab_up dlab-; else lab_up; fi
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
directord_start dir1 "$CONF" "$SOCK" || exit 1
echo "directord pid $DIRECTORD_PID, admin socket $SOCK, log $LAB_STATE_DIR/directord-dir1.log"
lab_wait_for 5 on dir1 sh -c 'ip -4 addr show dev lan0 | grep -q "inet 192.0.2.100/"' || echo "warning: VIP 192.0.2.100 not on dir1 after 5 s"
ctl() { on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" "$@"; }

# show LABEL < bodies : per-real counts and the client addresses the reals saw
show() {
  local out failed answered; out=$(cat)
  failed=$(grep -vc '^real' <<<"$out") answered=$(grep -c '^real' <<<"$out")
  printf '  %-34s %s\n' "$1" "$(count_reals <<<"$out")   failed=$failed"
  [ "$failed" -eq 0 ] && [ "$answered" -eq "$N" ] || FAILED+=("$1: $answered of $N requests answered")
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

section "9. Teardown"
if [ "$KEEP" = 1 ]; then
  lab_keep
  cat <<EOF2
  kept: the lab (namespaces dlab-*) and directord (pid $DIRECTORD_PID) keep running.
    scripts/lab.sh exec client curl -s http://192.0.2.100/
    scripts/lab.sh exec dir1 $DIRECTORCTL --admin-socket $SOCK list --stats
    scripts/lab.sh exec dir1 nft list ruleset
    scripts/lab.sh down          # stops directord and the reals, deletes the namespaces
EOF2
else
  directord_stop "$DIRECTORD_PID" && echo "  directord stopped (SIGTERM)"
  lab_down
  echo "  lab removed"
fi
