#!/usr/bin/env bash
# Forwarding benchmark: what directord's FULLNAT costs per packet, against baselines measured in
# the same run on the netns lab (tests/netns/lib.sh). One real (real1: nginx, one worker, and
# iperf3 -s) sits behind every path, so the paths differ only in what forwards:
#   direct          client -> router -> real1 (no director)
#   nft-fullnat     hand-written minimal FULLNAT rule in dir1 (tests/netns/baseline_fullnat.nft,
#                   narrowed to real1 and to ports 80 and 5201)
#   directord       directord in dir1, FULLNAT, rr, real1, local address 198.51.100.200
#   dird-nostats    the same with conntrack accounting off (directord killed, its orphaned tables
#                   forwarding, net.netfilter.nf_conntrack_acct=0): what the per-real counters
#                   cost   (--no-nostats: skip)
# The other paths run with accounting off, as a host without directord would: the counters'
# cost is inside the directord/nft-fullnat ratio. directord's per-real bytes are checked against
# real1's own nft counters (IP bytes to and from the local address: the truth on the wire) for
# every directord window; target: within 1%.
#   haproxy         haproxy in dir1, mode tcp, roundrobin, real1 (nbthread: --haproxy-threads)
#   dird-toa        directord FULLNAT as `directord`, with client_address toa (the eBPF datapath
#                   adds the client's address to every SYN); target: new-conn >= 0.97 of directord
#   dird-dr         directord DR (netdev ingress) to real1, which holds the VIP 192.0.2.102 on lo
#   dird-tun        directord TUN (eBPF IP-in-IP) to real1, which decapsulates (directord-real)
#   For every path, "dir1 tx/real tx": the bytes dir1 sent on its LAN per byte real1 sent, in the
#   keep-alive window: ~1 + requests/replies when replies pass the director (FULLNAT, haproxy),
#   ~requests/replies when they go straight to the client (DR, TUN).
# Workloads: wrk keep-alive, wrk with "Connection: close" (a new connection per request), iperf3.
# Repetitions are interleaved (rep 1: every path, rep 2: every path, ...; the order rotates),
# each (path, workload) keeps the median. Prints absolute numbers and ratios with their targets.
#
# Use:  sudo bash bench/forwarding.sh [--quick] [--reps N] [--duration S] [--haproxy-threads N]
#          [--no-nostats] [--paths a,b,...] [--quiet-wait S] [--out FILE] [--strict]
#   defaults: 5 reps of 3 s per (path, workload) (~5 min), haproxy nbthread 2;  --quick: 1 rep;
#   --paths  measure only these (comma-separated; ratios that need a missing path are left out);
#   --quiet-wait  before each path wait up to S s (default 10) for idle CPUs, else note it;
#   --out  also write the raw per-run numbers to FILE (path workload rep value);
#   --strict exit 3 when a target ratio is missed (default: targets are reported only).
# Binaries from $HA_BUILD_DIR (default build/release). Exit 0 ran, 1 setup failed, 77 skipped.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export HA_SOURCE_DIR=${HA_SOURCE_DIR:-$(cd "$HERE/.." && pwd)}
export HA_BUILD_DIR=${HA_BUILD_DIR:-$HA_SOURCE_DIR/build/release}
# shellcheck source=../tests/netns/lib.sh disable=SC1091
source "$HA_SOURCE_DIR/tests/netns/lib.sh"

REPS=5 DUR=3 HA_THREADS=2 NOSTATS=1 OUT='' STRICT=0 ONLY='' QUIET_WAIT=10 FOREIGN_MAX=5 STEAL_MAX=10
WRK_THREADS=2 WRK_CONNS=32
while [ $# -gt 0 ]; do
  case $1 in
    --quick) REPS=1 DUR=3 ;;
    --reps) REPS=${2:?}; shift ;;
    --duration) DUR=${2:?}; shift ;;
    --haproxy-threads) HA_THREADS=${2:?}; shift ;;
    --no-nostats) NOSTATS=0 ;;
    --out) OUT=${2:?}; shift ;;
    --strict) STRICT=1 ;;
    --paths) ONLY=${2:?}; shift ;;
    --quiet-wait) QUIET_WAIT=${2:?}; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $REPS =~ ^[1-9][0-9]?$ && $DUR =~ ^[1-9][0-9]?$ && $HA_THREADS =~ ^[1-9]$ && $QUIET_WAIT =~ ^[0-9]{1,3}$ ]] ||
  { echo "--reps 1-99, --duration 1-99 s, --haproxy-threads 1-9, --quiet-wait 0-999 s" >&2; exit 2; }

lab_require_root
for t in wrk iperf3 haproxy nginx conntrack timeout; do
  command -v "$t" >/dev/null || { echo "SKIP: ${0##*/} needs $t (scripts/install-deps.sh)"; exit 77; }
done

PY=$(lab_python)
# shellcheck disable=SC2153  # LADDR4 comes from lib.sh
VIP=$VIP_FNAT4 LADDR=${LADDR4[0]} REAL=real1 REAL_IP=${LAB_IP4[real1]}
PATHS=(direct nft-fullnat directord)
[ "$NOSTATS" = 1 ] && PATHS+=(dird-nostats)
PATHS+=(haproxy dird-toa dird-dr dird-tun)
if [ -n "$ONLY" ]; then
  IFS=, read -r -a PATHS <<<"$ONLY"
  for p in "${PATHS[@]}"; do
    [[ $p =~ ^[a-z-]+$ && " direct nft-fullnat directord dird-nostats haproxy dird-toa dird-dr dird-tun " == *" $p "* ]] ||
      { echo "--paths: unknown path $p (a comma-separated list)" >&2; exit 2; }
  done
fi
[[ " ${PATHS[*]} " =~ " "(directord|dird-nostats|dird-toa|dird-dr|dird-tun)" " ]] && { ha_find_binaries || exit 1; }
T0=$SECONDS

# shellcheck disable=SC2119
lab_up
# Load client: reuse TIME_WAIT ports and a wide port range, or new-connection runs decay.
# (odd end: the kernel wants start and end of different parity, and splits connect/bind by parity)
_lab_sysctl client net.ipv4.tcp_tw_reuse=1 "net.ipv4.ip_local_port_range=1024 65001"
# haproxy opens its own connections to the real from dir1: same treatment there.
_lab_sysctl dir1 net.ipv4.tcp_tw_reuse=1 "net.ipv4.ip_local_port_range=1024 65001"
start_reals nginx
lab_spawn "$REAL" "$LAB_STATE_DIR/iperf3.log" iperf3 -s -p 5201
IPERF_PID=$LAB_LAST_PID
lab_wait_listen "$REAL" tcp 5201 || lab_die "iperf3 -s did not start on $REAL"
# DR and TUN: the reals hold those VIPs on lo (and decapsulate IP-in-IP) whatever path runs.
[[ " ${PATHS[*]} " == *" dird-dr "* ]] && real_dr_setup "$VIP_DR4"
[[ " ${PATHS[*]} " == *" dird-tun "* ]] && real_tun_setup "$VIP_TUN4"
RESULTS=$LAB_STATE_DIR/results
: >"$RESULTS"
BYTES=$LAB_STATE_DIR/bytes   # directord windows: rep, direction, directord's bytes, the truth
: >"$BYTES"
# The truth for the per-real bytes: what real1 receives from / sends to the local address. Loaded
# for every path, so its cost is the same everywhere.
truth_load() {  # (re)loaded to start from zero: `nft reset counters` spares rule counters
  on "$REAL" nft -f - <<EOF
table inet truth
delete table inet truth
table inet truth {
  chain input { type filter hook input priority 0; ip saddr $LADDR counter; }
  chain output { type filter hook output priority 0; ip daddr $LADDR counter; }
}
EOF
}
truth_load || lab_die "$REAL: truth counters"

# ---- the paths ---------------------------------------------------------------------------------
dir1_has_addr() { on dir1 ip -4 addr show dev lan0 | grep -q "inet $1/"; }
hold_vip() { on dir1 ip addr replace "$VIP/32" dev lan0 && on dir1 ip addr replace "$LADDR/32" dev lan0; }
drop_vip() { on dir1 ip addr del "$VIP/32" dev lan0 2>/dev/null; on dir1 ip addr del "$LADDR/32" dev lan0 2>/dev/null; true; }

write_nft() {  # tests/netns/baseline_fullnat.nft with real1 only, ports 80 and 5201
  cat >"$LAB_STATE_DIR/bench_fullnat.nft" <<EOF
table ip dbench
delete table ip dbench
table ip dbench {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $VIP tcp dport 80 dnat to numgen inc mod 1 map { 0 : $REAL_IP }
		ip daddr $VIP tcp dport 5201 dnat to numgen inc mod 1 map { 0 : $REAL_IP }
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ct original ip daddr $VIP snat to $LADDR
	}
}
EOF
}

write_directord_conf() {
  local port
  {
    cat <<EOF
# bench/forwarding.sh: FULLNAT rr to one real, one local address (as the nft baseline).
global_defs {
    router_id bench-dir1
    lb_hash_seed 0x1234abcd
}
static_ipaddress {
    $VIP/32 dev lan0
    $LADDR/32 dev lan0
}
local_address_group LAG4 {
    $LADDR
}
EOF
    for port in 80 5201; do
      cat <<EOF
virtual_server $VIP $port {
    lb_algo rr
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG4
    real_server $REAL_IP $port {
        weight 1
    }
}
EOF
    done
  } >"$LAB_STATE_DIR/bench-directord.conf"
  sed 's/^    laddr_group_name LAG4$/&\n    client_address toa/' "$LAB_STATE_DIR/bench-directord.conf" >"$LAB_STATE_DIR/bench-toa.conf"
  local kind vip
  for kind in DR TUN; do
    vip=$VIP_DR4; [ "$kind" = TUN ] && vip=$VIP_TUN4
    {
      printf 'global_defs {\n    router_id bench-dir1\n    lb_hash_seed 0x1234abcd\n}\n'
      printf 'static_ipaddress {\n    %s/32 dev lan0\n}\n' "$vip"
      for port in 80 5201; do
        printf 'virtual_server %s %s {\n    lb_algo mh\n    lb_kind %s\n    protocol TCP\n' "$vip" "$port" "$kind"
        printf '    real_server %s %s {\n        weight 1\n    }\n}\n' "$REAL_IP" "$port"
      done
    } >"$LAB_STATE_DIR/bench-$kind.conf"
  done
}

write_haproxy_cfg() {
  local tmpl
  tmpl=$(<"$HERE/haproxy.cfg.tmpl")
  tmpl=${tmpl//@NBTHREAD@/$HA_THREADS}
  tmpl=${tmpl//@VIP@/$VIP}
  tmpl=${tmpl//@SERVERS_HTTP@/    server $REAL $REAL_IP:80}
  tmpl=${tmpl//@SERVERS_IPERF@/    server $REAL $REAL_IP:5201}
  printf '%s\n' "$tmpl" >"$LAB_STATE_DIR/haproxy.cfg"
}

# Conntrack accounting (the per-real counters' source) in dir1: directord turns it on; every other
# path measures without it.
accounting() { on dir1 sysctl -qw "net.netfilter.nf_conntrack_acct=$1"; }

truth_bytes() {  # "in out": IP bytes real1 received from / sent to the local address
  on "$REAL" nft list table inet truth | awk '/chain input/ {d = "in"} /chain output/ {d = "out"}
    /counter packets/ {for (i = 1; i <= NF; i++) if ($i == "bytes") b[d] = $(i + 1)}
    END {print b["in"] + 0, b["out"] + 0}'
}
unsuffix() {  # ipvsadm's print_largenum: 123456K -> 123456000
  awk '{n = $1; m = 1; if (n ~ /K$/) m = 1e3; else if (n ~ /M$/) m = 1e6; else if (n ~ /G$/) m = 1e9; else if (n ~ /T$/) m = 1e12
        sub(/[KMGT]$/, "", n); printf "%.0f\n", n * m}'
}
dird_real_bytes() {  # "in out" of real1 in directord's `list --stats`, summed over both services
  local line bin=0 bout=0 a
  while read -r line; do
    read -r -a a <<<"$line"
    bin=$((bin + $(unsuffix <<<"${a[5]}"))) bout=$((bout + $(unsuffix <<<"${a[6]}")))
  done < <(on dir1 "$DIRECTORCTL" --admin-socket "$LAB_STATE_DIR/dir1.sock" list --stats 2>/dev/null |
    awk -v r="$REAL_IP" '$1 == "->" && $2 ~ "^" r ":"')
  echo "$bin $bout"
}

DIRD_PID='' HAPROXY_PID=''
path_up() {  # PATH: make it the only active forwarder; sets TARGET (host) and EXPECT_SRC
  local p=$1
  TARGET=$VIP EXPECT_SRC=$LADDR
  case $p in
    direct) TARGET=$REAL_IP EXPECT_SRC=$CLIENT4; accounting 0 || return 1 ;;
    nft-fullnat)
      accounting 0 || return 1
      hold_vip || return 1
      on dir1 nft -f "$LAB_STATE_DIR/bench_fullnat.nft" || return 1 ;;
    directord|dird-nostats)
      directord_start dir1 "$LAB_STATE_DIR/bench-directord.conf" "$LAB_STATE_DIR/dir1.sock" || return 1
      DIRD_PID=$DIRECTORD_PID
      { lab_wait_for 5 dir1_has_addr "$VIP" && lab_wait_for 5 dir1_has_addr "$LADDR"; } || { lab_log "directord did not add $VIP/$LADDR"; return 1; }
      lab_wait_for 5 nft_has_directord_table dir1 || return 1
      if [ "$p" = dird-nostats ]; then
        lab_stop_pid "$DIRD_PID" KILL >/dev/null; DIRD_PID=
        accounting 0 || return 1
      fi ;;
    dird-toa|dird-dr|dird-tun)
      local conf=toa
      case $p in dird-dr) conf=DR TARGET=$VIP_DR4 EXPECT_SRC=$CLIENT4 ;; dird-tun) conf=TUN TARGET=$VIP_TUN4 EXPECT_SRC=$CLIENT4 ;; esac
      accounting 0 || return 1
      directord_start dir1 "$LAB_STATE_DIR/bench-$conf.conf" "$LAB_STATE_DIR/dir1.sock" || return 1
      DIRD_PID=$DIRECTORD_PID
      lab_wait_for 5 dir1_has_addr "$TARGET" || { lab_log "directord did not add $TARGET"; return 1; }
      [ "$p" = dird-toa ] && { lab_wait_for 5 dir1_has_addr "$LADDR" || return 1; } ;;
    haproxy)
      accounting 0 || return 1
      hold_vip || return 1
      lab_spawn dir1 "$LAB_STATE_DIR/haproxy.log" haproxy -db -f "$LAB_STATE_DIR/haproxy.cfg"
      HAPROXY_PID=$LAB_LAST_PID
      EXPECT_SRC=${LAB_IP4[dir1]}
      { lab_wait_listen dir1 tcp 80 && lab_wait_listen dir1 tcp 5201; } || { cat "$LAB_STATE_DIR/haproxy.log" >&2; return 1; } ;;
  esac
  # The path answers, from the right real, which saw the expected source address.
  local body
  body=$(lab_get "http://$TARGET/") || { lab_log "$p: GET http://$TARGET/ failed"; return 1; }
  [ "$body" = "$REAL $EXPECT_SRC" ] || { lab_log "$p: expected '$REAL $EXPECT_SRC', got '$body'"; return 1; }
}

path_down() {
  local p=$1
  case $p in
    nft-fullnat) on dir1 nft delete table ip dbench; drop_vip ;;
    directord|dird-toa|dird-dr|dird-tun)
      directord_stop "$DIRD_PID" || lab_log "directord did not stop"
      DIRD_PID= ;;
    dird-nostats)  # what the killed directord left: its orphaned tables and addresses
      on dir1 nft delete table inet directord
      drop_vip ;;
    haproxy) lab_stop_pid "$HAPROXY_PID"; HAPROXY_PID=; drop_vip ;;
  esac
  # Nothing of this path survives into the next: no VIP, no tables, no conntrack entries.
  if [ "$p" != direct ]; then
    ! dir1_has_addr "$TARGET" || { lab_log "$p: dir1 still holds $TARGET"; return 1; }
    [ -z "$(on dir1 nft list ruleset)" ] || { lab_log "$p: dir1 still has rules"; on dir1 nft list ruleset >&2; return 1; }
  fi
  on dir1 conntrack -F >/dev/null 2>&1
  true
}

# ---- the workloads -----------------------------------------------------------------------------
run_wrk() {  # URL [extra wrk args]: prints requests/s, or NaN
  local url=$1 out rps errs; shift
  out=$(on client timeout $((DUR + 20)) wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${DUR}s" "$@" "$url" 2>&1)
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  errs=$(grep -E 'Socket errors|Non-2xx' <<<"$out" | tr -s ' ' | tr '\n' ';')
  [ -n "$errs" ] && echo "$CUR: $errs" >>"$LAB_STATE_DIR/notes"
  echo "${rps:-NaN}"
}

run_iperf() {  # HOST: prints Gbit/s received, or NaN
  local out bps
  out=$(on client timeout $((DUR + 20)) iperf3 -c "$1" -p 5201 -t "$DUR" -J 2>/dev/null)
  bps=$(jq -r '.end.sum_received.bits_per_second // empty' <<<"$out" 2>/dev/null)
  if [ -z "$bps" ]; then
    echo "$CUR: iperf3 failed: $(jq -r '.error // empty' <<<"$out" 2>/dev/null)" >>"$LAB_STATE_DIR/notes"
    echo NaN; return
  fi
  awk -v b="$bps" 'BEGIN {printf "%.3f\n", b / 1e9}'
}

# The host is shared: before each path, wait (bounded) until the CPUs are idle (nothing of ours runs
# between paths), and note it when they are not, so a disturbed run is visible in the report.
cpu_idle_pct() {  # idle share of all CPUs over 0.5 s
  local a b
  a=$(awk '/^cpu /{print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
  sleep 0.5
  b=$(awk '/^cpu /{print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); d = y[2] - x[2]; print (d > 0 ? int(100 * (y[1] - x[1]) / d) : 100) }'
}
wait_quiet() {  # LABEL
  local i idle=0
  for ((i = 0; i < QUIET_WAIT * 2; i++)); do
    idle=$(cpu_idle_pct)
    [ "$idle" -ge 85 ] && return 0
  done
  echo "$1: host busy before the run (CPUs ${idle}% idle after waiting ${QUIET_WAIT}s)" >>"$LAB_STATE_DIR/notes"
}

# Other users of the host: CPU time taken during a window by processes outside the lab's namespaces
# (kernel threads aside: ksoftirqd may be running our own packets). A path's window that lost more
# than FOREIGN_MAX % of the host's CPU is measured again (at most twice, within a retry budget).
foreign_snap() {  # "pid:starttime ticks" for every user process outside our namespaces
  local inodes n
  inodes=$(for n in "${LAB_NODES[@]}"; do stat -L -c %i "/run/netns/$(ns "$n")"; done | tr '\n' ' ')
  "$PY" - "$inodes" <<'SNAP'
import os, sys
ours = set(sys.argv[1].split())
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        if str(os.stat(f"/proc/{pid}/ns/net").st_ino) in ours:
            continue
        s = open(f"/proc/{pid}/stat").read()
        f = s[s.rindex(")") + 2:].split()
        if int(f[6]) & 0x200000:  # PF_KTHREAD
            continue
        print(f"{pid}:{f[19]} {int(f[11]) + int(f[12])}")
    except (OSError, ValueError, IndexError):
        pass
SNAP
}
foreign_pct() {  # BEFORE-SNAPSHOT START-EPOCHREALTIME: % of all CPUs used outside the lab since
  local hz ncpu
  hz=$(getconf CLK_TCK) ncpu=$(nproc)
  awk -v hz="$hz" -v n="$ncpu" -v t0="$2" -v t1="$EPOCHREALTIME" '
    FNR == NR { before[$1] = $2; next }
    { used += $2 - ($1 in before ? before[$1] : 0) }
    END { w = (t1 - t0) * hz * n; printf "%d\n", (w > 0 ? 100 * used / w : 0) }' <(echo "$1") <(foreign_snap)
}
RETRIES_LEFT=0 DISTURBED=0 RETRIED=0

# Steal: the hypervisor ran someone else on our CPUs (this is a VM). Above STEAL_MAX % of a path's
# window, the window is measured again like one disturbed from inside.
cpu_steal() { awk '/^cpu /{print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
steal_pct() {  # BEFORE: % of CPU time stolen since
  awk -v a="$1" -v b="$(cpu_steal)" 'BEGIN { split(a, x, " "); split(b, y, " "); d = y[2] - x[2];
    printf "%d\n", (d > 0 ? 100 * (y[1] - x[1]) / d : 0) }'
}

# directord's own CPU (user + system ticks) while a workload runs: on this host it shares the two
# cores with the client, the real and the softirqs, so what it spends is taken from the ratio.
dird_ticks() { [ -n "$DIRD_PID" ] && awk '{ print $14 + $15 }' "/proc/$DIRD_PID/stat" 2>/dev/null || echo 0; }
dird_cpu_pct() {  # TICKS_BEFORE T0: % of one CPU since
  awk -v a="$1" -v b="$(dird_ticks)" -v t0="$2" -v t1="$EPOCHREALTIME" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.1f", (t1 > t0 ? 100 * (b - a) / hz / (t1 - t0) : 0) }'
}

measure() {  # PATH REP: the three workloads, again when someone else took CPU meanwhile
  local p=$1 rep=$2 ka nc ip s0 snap t0 f st why try flag="" din dout tin tout c0 w0 cpu=""
  for ((try = 0; ; try++)); do
    wait_quiet "$p rep$rep"
    if [ "$p" = directord ]; then  # directord's per-real bytes from here on, and the truth's
      truth_load || lab_log "$REAL: truth counters not reloaded"
      on dir1 "$DIRECTORCTL" --admin-socket "$LAB_STATE_DIR/dir1.sock" -Z || lab_log "directorctl -Z failed"
    fi
    s0=$(cpu_steal) snap=$(foreign_snap) t0=$EPOCHREALTIME
    cpu=""
    c0=$(dird_ticks) w0=$EPOCHREALTIME
    local tx0 rx0
    tx0=$(on dir1 cat /sys/class/net/lan0/statistics/tx_bytes) rx0=$(on "$REAL" cat /sys/class/net/lan0/statistics/tx_bytes)
    CUR="$p rep$rep keepalive"; ka=$(run_wrk "http://$TARGET/")
    share=$(awk -v d="$(( $(on dir1 cat /sys/class/net/lan0/statistics/tx_bytes) - tx0 ))" \
      -v r="$(( $(on "$REAL" cat /sys/class/net/lan0/statistics/tx_bytes) - rx0 ))" 'BEGIN {printf "%.3f", r ? d / r : 0}')
    [ "$p" = directord ] && cpu+=" $(dird_cpu_pct "$c0" "$w0")"
    c0=$(dird_ticks) w0=$EPOCHREALTIME
    CUR="$p rep$rep newconn"; nc=$(run_wrk "http://$TARGET/" -H "Connection: close")
    [ "$p" = directord ] && cpu+=" $(dird_cpu_pct "$c0" "$w0")"
    c0=$(dird_ticks) w0=$EPOCHREALTIME
    CUR="$p rep$rep iperf3"; ip=$(run_iperf "$TARGET")
    [ "$p" = directord ] && cpu+=" $(dird_cpu_pct "$c0" "$w0")"
    f=$(foreign_pct "$snap" "$t0") st=$(steal_pct "$s0")
    if [ "$p" = directord ]; then
      sleep 0.5  # the last FINs and ACKs
      read -r din dout < <(dird_real_bytes)
      read -r tin tout < <(truth_bytes)
      printf '%s in %s %s\n%s out %s %s\n' "$rep" "$din" "$tin" "$rep" "$dout" "$tout" >>"$BYTES"
    fi
    [ "$f" -le "$FOREIGN_MAX" ] && [ "$st" -le "$STEAL_MAX" ] && break
    why="${f}% foreign CPU, ${st}% steal"
    if [ "$try" -ge 2 ] || [ "$RETRIES_LEFT" -le 0 ]; then
      echo "$p rep$rep: kept although disturbed ($why)" >>"$LAB_STATE_DIR/notes"
      DISTURBED=$((DISTURBED + 1)) flag=" (disturbed: $why)"
      break
    fi
    printf '  %-13s rep %d: discarded (%s); again\n' "$p" "$rep" "$why"
    RETRIES_LEFT=$((RETRIES_LEFT - 1)) RETRIED=$((RETRIED + 1))
  done
  printf '%s keepalive %s %s\n%s newconn %s %s\n%s iperf3 %s %s\n%s dirshare %s %s\n' "$p" "$rep" "$ka" "$p" "$rep" "$nc" "$p" "$rep" "$ip" "$p" "$rep" "$share" >>"$RESULTS"
  [ -n "$cpu" ] && flag+=" (directord CPU %:$cpu)"
  printf '  %-13s rep %d: keep-alive %9s req/s  new-conn %9s req/s  iperf3 %7s Gbit/s  dir1 tx/real tx %s%s\n' "$p" "$rep" "$ka" "$nc" "$ip" "$share" "$flag"
}

write_nft
write_directord_conf
write_haproxy_cfg
if [ -n "${DIRECTORD:-}" ]; then
  out=$(on dir1 "$DIRECTORD" -t -f "$LAB_STATE_DIR/bench-directord.conf" 2>&1) || { echo "$out" >&2; lab_die "directord -t rejects the bench config"; }
fi
haproxy -c -q -f "$LAB_STATE_DIR/haproxy.cfg" || lab_die "haproxy -c rejects the bench config"

read -r LOAD1 _ </proc/loadavg
echo "== load average (1 min) before the run: $LOAD1 on $(nproc) CPUs$(awk -v l="$LOAD1" 'BEGIN { if (l > 0.5) print "  -- NOT QUIET: numbers will be noisy" }')"
echo "== forwarding bench: $REPS rep(s), wrk -t$WRK_THREADS -c$WRK_CONNS -d${DUR}s, iperf3 -t$DUR; real: $REAL only (nginx 1 worker); haproxy nbthread $HA_THREADS; $(nproc) CPUs"
np=${#PATHS[@]}
RETRIES_LEFT=$(((REPS * np + 1) / 2))   # bounded: at most +50% of the run
for ((rep = 1; rep <= REPS; rep++)); do
  for ((k = 0; k < np; k++)); do
    p=${PATHS[$(((k + rep - 1) % np))]}   # rotate the order every rep
    path_up "$p" || { path_down "$p"; lab_die "path $p did not come up"; }
    measure "$p" "$rep"
    path_down "$p" || lab_die "path $p did not tear down cleanly"
  done
done
lab_stop_pid "$IPERF_PID" >/dev/null

[ -n "$OUT" ] && cp "$RESULTS" "$OUT"
echo
python_rc=0
"$(lab_python)" - "$RESULTS" "$REPS" "$STRICT" "$BYTES" <<'PY' || python_rc=$?
import math, statistics, sys
path, reps, strict = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
runs = {}  # (path, workload) -> {rep: value}
for line in open(path):
    p, w, rep, v = line.split()
    if not math.isnan(float(v)):
        runs.setdefault((p, w), {})[int(rep)] = float(v)
def med(p, w):
    xs = list(runs.get((p, w), {}).values())
    return statistics.median(xs) if xs else float("nan")
def spread(p, w):
    xs = list(runs.get((p, w), {}).values())
    m = statistics.median(xs) if xs else 0
    return "±%.0f%%" % (100 * (max(xs) - min(xs)) / 2 / m) if len(xs) > 1 and m else ""
order = ["direct", "nft-fullnat", "directord", "dird-nostats", "haproxy", "dird-toa", "dird-dr", "dird-tun"]
paths = [p for p in order if any(k[0] == p for k in runs)]
W = [("keepalive", "keep-alive req/s"), ("newconn", "new-conn req/s"), ("iperf3", "iperf3 Gbit/s"),
     ("dirshare", "dir1 tx/real tx")]
print(f"median of {reps} run(s); ± = half the min-max spread")
print(f"{'path':<14}" + "".join(f"{h:>22}" for _, h in W))
for p in paths:
    cells = []
    for w, _ in W:
        m = med(p, w)
        cells.append(f"{(f'{m:.0f}' if w in ('keepalive', 'newconn') else f'{m:.2f}')} {spread(p, w):>5}")
    print(f"{p:<14}" + "".join(f"{c:>22}" for c in cells))
print()
# ratio rows: (numerator, denominator, {workload: target})
R = [("directord", "nft-fullnat", {"keepalive": 0.97, "newconn": 0.97, "iperf3": 0.97}),
     ("directord", "haproxy", {"keepalive": 1.8, "newconn": 3.0}),
     ("nft-fullnat", "direct", {}),
     ("directord", "direct", {}),
     ("dird-nostats", "directord", {}),
     ("dird-nostats", "nft-fullnat", {}),
     ("dird-toa", "directord", {"newconn": 0.97}),
     ("dird-tun", "dird-dr", {}),
     ("dird-tun", "directord", {})]
print("ratio = median / median, the one checked against a target; in brackets the same ratio taken within")
print("each rep (paths a minute apart at most, so slow drift of the host cancels): median: min-max")
print(f"{'ratio':<25}" + "".join(f"{h.split()[0]:>33}" for _, h in W[:3]))
missed = []
for a, b, tgt in R:
    if a not in paths or b not in paths: continue
    cells = []
    for w, _ in W[:3]:
        r = med(a, w) / med(b, w) if med(b, w) else float("nan")
        ra, rb = runs.get((a, w), {}), runs.get((b, w), {})
        per = [ra[k] / rb[k] for k in ra if k in rb and rb[k]]
        c = f"{r:.2f}" + (f" ({statistics.median(per):.2f}: {min(per):.2f}-{max(per):.2f})" if len(per) > 1 else "")
        if w in tgt:
            ok = r >= tgt[w]
            c += f" {'ok' if ok else 'MISS'}≥{tgt[w]:g}"
            if not ok: missed.append(f"{a}/{b} {w} {r:.2f} < {tgt[w]:g}")
        cells.append(c)
    print(f"{a + '/' + b:<25}" + "".join(f"{c:>33}" for c in cells))
print()
# Per-real bytes: directord's (conntrack accounting) against real1's own counters, per window.
worst = None
for line in open(sys.argv[4]):
    rep, d, dird, truth = line.split()
    dird, truth = float(dird), float(truth)
    err = abs(dird - truth) / truth if truth else (0.0 if dird == 0 else float("inf"))
    print(f"per-real bytes rep {rep} {d:>3}: directord {dird:.0f}  real1 saw {truth:.0f}  off by {100 * err:.3f}%")
    worst = err if worst is None else max(worst, err)
if worst is not None:
    ok = worst <= 0.01
    print(f"per-real bytes vs the truth: worst {100 * worst:.3f}% {'ok' if ok else 'MISS'}<=1%")
    if not ok: missed.append(f"per-real bytes off by {100 * worst:.2f}%")
print()
print("targets: all met" if not missed else "targets missed: " + "; ".join(missed))
sys.exit(3 if (missed and strict) else 0)
PY
if [ -s "$LAB_STATE_DIR/notes" ]; then echo; echo "notes:"; sort -u "$LAB_STATE_DIR/notes" | sed 's/^/  /'; fi
echo "windows re-measured (foreign CPU > ${FOREIGN_MAX}% or steal > ${STEAL_MAX}%): $RETRIED; kept although disturbed: $DISTURBED"
echo "runtime: $((SECONDS - T0)) s"
exit "$python_rc"
