# shellcheck shell=bash
# Helpers for the health-check netns tests (tests/netns/test_health_*.sh). Source after lib.sh.
#
#   hs_start NODE NAME [--cert F --key F] PORT:MODE...   tests/netns/health_server.py in NODE,
#       control files in $LAB_STATE_DIR/ctl-NAME (see health_server.py); PID in HS_PID[NAME]
#   hs_stop NAME [SIGNAL]                    stop that server (by its PID, via lab_stop_pid)
#   hs_close NAME PORT / hs_open NAME PORT   close / reopen one listener (accepted connections stay)
#   hs_set NAME PORT status|body VALUE       what GET /<not root> answers from then on
#   hl_list / hl_health                      `directorctl list` / `directorctl health` of $HL_NODE
#                                            (default dir1) on socket $HL_SOCK
#   real_health SVC REAL [LIST]              Health column of REAL ("198.51.100.12:80") under SVC
#                                            ("TCP  192.0.2.100:80"): up/down/inhibited/-
#   real_lastcheck / real_weight SVC REAL [LIST]   the LastCheck text / the Weight column
#   wait_health SECS SVC REAL STATE          poll `list` every 0.1 s (HL_POLLS, HL_SLOWEST)
#   checker_probes SVC REAL [HEALTH]         probe counts of REAL's checkers (directorctl health)
#   has_failures SVC REAL REASON             `health` counts failures of that reason name
#   wait_verdict SECS "TCP VIP:P -> R:P" up|down T0   seconds from T0 to the verdict in directord's log
#   now_s, elapsed_since T0, le A B          wall clock in seconds with ms; A <= B
#   rss_kb PID                               VmRSS of a process in kB

HL_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
declare -gA HS_PID=()
HL_SOCK=${HL_SOCK:-}
HL_NODE=${HL_NODE:-dir1}

now_s() { date +%s.%N | cut -c1-14; }
elapsed_since() { awk -v a="$1" -v b="$(now_s)" 'BEGIN {printf "%.2f", b - a}'; }
# le A B: A <= B (decimals)
le() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a <= b)}'; }

hs_start() {
  local node=$1 name=$2; shift 2
  local ctl="$LAB_STATE_DIR/ctl-$name" spec port mode
  mkdir -p "$ctl"
  lab_spawn "$node" "$LAB_STATE_DIR/hs-$name.log" "$(lab_python)" "$HL_LIB_DIR/health_server.py" \
    --name "$node" --control "$ctl" --log-requests "$@"
  HS_PID[$name]=$LAB_LAST_PID
  for spec in "$@"; do
    [[ $spec == *:* ]] || continue
    port=${spec%%:*} mode=${spec#*:}
    [ -e "$ctl/$port.closed" ] && continue
    if [ "$mode" = udp ] || [ "$mode" = dns ]; then
      lab_wait_listen "$node" udp "$port" || { cat "$LAB_STATE_DIR/hs-$name.log" >&2; return 1; }
    else
      lab_wait_listen "$node" tcp "$port" || { cat "$LAB_STATE_DIR/hs-$name.log" >&2; return 1; }
    fi
  done
}
hs_stop() { lab_stop_pid "${HS_PID[$1]}" "${2:-TERM}" >/dev/null; }
hs_close() { touch "$LAB_STATE_DIR/ctl-$1/$2.closed"; }
hs_open() { rm -f "$LAB_STATE_DIR/ctl-$1/$2.closed"; }
hs_set() { printf '%s' "$4" >"$LAB_STATE_DIR/ctl-$1/$2.$3.tmp" && mv "$LAB_STATE_DIR/ctl-$1/$2.$3.tmp" "$LAB_STATE_DIR/ctl-$1/$2.$3"; }
# hs_listening NODE PROTO PORT: something listens (tcp) / is bound (udp) on PORT in NODE.
hs_listening() {
  local flag=-Hltn
  [ "$2" = udp ] && flag=-Hlun
  [ -n "$(on "$1" ss $flag "sport = :$3" 2>/dev/null)" ]
}

hl_ctl() { on "$HL_NODE" "$DIRECTORCTL" --admin-socket "$HL_SOCK" "$@"; }
hl_list() { hl_ctl list 2>&1; }
hl_health() { hl_ctl health 2>&1; }

# _hl_real_line SVC REAL LIST: the real's line of `list`, under the service's header line.
_hl_real_line() {
  awk -v svc="$1" -v real="$2" '
    /^(TCP|UDP|SCTP) / { s = $1 "  " $2; insvc = (s == svc); next }
    insvc && $1 == "->" && $2 == real { print; exit }' <<<"$3"
}
real_health() {
  local l=${3-$(hl_list)}
  _hl_real_line "$1" "$2" "$l" | awk '{print $7}'
}
real_weight() {
  local l=${3-$(hl_list)}
  _hl_real_line "$1" "$2" "$l" | awk '{print $4}'
}
real_lastcheck() {
  local l=${3-$(hl_list)}
  _hl_real_line "$1" "$2" "$l" | awk '{$1 = $2 = $3 = $4 = $5 = $6 = $7 = ""; sub(/^ +/, ""); print}'
}
# wait_health SECS SVC REAL STATE: polls `list` every 0.1 s. Leaves HL_POLLS (calls made) and
# HL_SLOWEST (the longest `directorctl list` call, seconds): what a late answer owes to the poll.
HL_POLLS=0 HL_SLOWEST=0
wait_health() {
  local secs=$1 svc=$2 real=$3 want=$4 t0 deadline c0 c1 l
  t0=$(now_s)
  deadline=$(awk -v a="$t0" -v s="$secs" 'BEGIN {printf "%.2f", a + s}')
  HL_POLLS=0 HL_SLOWEST=0
  while :; do
    c0=$(now_s)
    l=$(hl_list)
    c1=$(now_s)
    HL_POLLS=$((HL_POLLS + 1))
    HL_SLOWEST=$(awk -v m="$HL_SLOWEST" -v d="$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b - a}')" 'BEGIN {printf "%.2f", (d > m ? d : m)}')
    [ "$(real_health "$svc" "$real" "$l")" = "$want" ] && return 0
    le "$deadline" "$(now_s)" && break
    sleep 0.1
  done
  return 1
}
# _hl_health_block SVC REAL [HEALTH]: the real's block of `directorctl health`.
_hl_health_block() {
  local h=${3-$(hl_health)}
  awk -v svc="$1" -v real="$2" '
    /^(TCP|UDP|SCTP) / { s = $1 "  " $2; insvc = (s == svc); inreal = 0; next }
    /^probes:/ { insvc = 0; inreal = 0 }
    insvc && $1 == "->" { inreal = ($2 == real) }
    insvc && inreal { print }' <<<"$h"
}
# checker_probes SVC REAL [HEALTH]: "N M ..." probe counts of the real's checkers, in order.
checker_probes() {
  _hl_health_block "$@" | awk '$1 == "probes" {gsub(",", "", $2); printf "%s ", $2}' | sed 's/ $//'
}
rss_kb() { awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status" 2>/dev/null; }

# hl_show: print `directorctl list` indented (what the test saw, for the log).
hl_show() { hl_list | sed 's/^/    /'; }
hl_show_health() { hl_health | sed 's/^/    /'; }

# hl_laddr_conf: the static addresses and local address group every FULLNAT health test uses.
# hl_laddr_conf VIP...
hl_laddr_conf() {
  local v
  echo "static_ipaddress {"
  for v in "$@"; do echo "    $v/32 dev lan0"; done
  echo "    198.51.100.200/32 dev lan0"
  echo "    198.51.100.201/32 dev lan0"
  echo "}"
  echo "local_address_group LAG4 {"
  echo "    198.51.100.200-201"
  echo "}"
}

# hl_check_conf CONF: directord -t accepts it (prints the diagnostics otherwise).
hl_check_conf() {
  local out
  out=$("$DIRECTORD" -t -f "$1" 2>&1) && return 0
  echo "$out" | sed 's/^/    /'
  return 1
}

# has_failures SVC REAL REASON: `directorctl health` counts REASON (e.g. connect-refused) for REAL.
has_failures() { _hl_health_block "$1" "$2" | grep -q " $3=\| ($3="; }
# failures_total SVC REAL: the sum of the failure counters of REAL's checkers.
failures_total() {
  _hl_health_block "$1" "$2" | awk '$1 == "probes" {gsub(",", "", $4); n += $4} END {print n + 0}'
}
# service_block SVC [HEALTH]: the service's part of `directorctl health`.
service_block() {
  local h=${2-$(hl_health)}
  awk -v svc="$1" '/^(TCP|UDP|SCTP) / {f = ($1 "  " $2 == svc)} /^probes:/ {f = 0} f' <<<"$h"
}
# verdict_at "TCP 192.0.2.100:80 -> 198.51.100.12:80" up|down T0 [NODE]: the time (epoch seconds, from
# directord's log) of the first verdict for that real after T0, or nothing.
verdict_at() {
  local log="$LAB_STATE_DIR/directord-${4:-$HL_NODE}.log"
  awk -v key="real $1 $2" -v t0="$3" '$1 + 0 >= t0 + 0 && index($0, key) {print $1; exit}' "$log" 2>/dev/null
}
# wait_verdict SECS KEY up|down T0: waits for it in the log; prints seconds from T0 to it.
wait_verdict() {
  local i t
  for ((i = 0; i < $1 * 10; i++)); do
    t=$(verdict_at "$2" "$3" "$4")
    [ -n "$t" ] && { awk -v a="$4" -v b="$t" 'BEGIN {printf "%.2f", b - a}'; return 0; }
    sleep 0.1
  done
  return 1
}
