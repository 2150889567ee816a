#!/usr/bin/env bash
# Interop with the real keepalived (Debian's 2.2.7, VRRP only: keepalived -P): directord in dir1
# and keepalived in dir2 form one virtual router (VRID 51, VIP 192.0.2.100), first VRRPv3
# (advert 0.1 s), then VRRPv2 (advert 1 s, auth_type PASS). For each version:
#   1. directord 150, keepalived 100: directord MASTER, keepalived BACKUP, the VIP only on dir1
#   2. kill -9 directord + cut dir1's link: keepalived MASTER, the router reaches the VIP via dir2
#   3. dir1 returns: directord preempts, keepalived back to BACKUP, the VIP moves back
#   4. swapped priorities (directord 100, keepalived 150): keepalived MASTER; keepalived killed
#      with -9 and dir2's link cut: directord MASTER; dir2 returns: keepalived preempts back
#   5. 60 s converged (v3: directord master, v2: keepalived master): no transition on either
#      side, exactly one VIP holder throughout, the backup silent on the wire
# plus both graceful handovers (SIGTERM: a priority-0 advert, the other side master one skew time
# later, timed on the wire), and what each side says of the other's packets: directord drops
# none of keepalived's; keepalived acts on ours (a higher-priority master, priority 0).
# Throughout, tshark captures VRRP on the router's lan0: its VRRP dissector must find no malformed
# packet and no warning in ours, and our checksums correct; keepalived must log nothing about our
# packets (invalid, bogus, checksum, wrong, mismatch).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
KEEPALIVED=${KEEPALIVED:-$(command -v keepalived || echo /usr/sbin/keepalived)}
[ -x "$KEEPALIVED" ] || { echo "SKIP: ${0##*/} needs keepalived"; exit 77; }
command -v tshark >/dev/null || { echo "SKIP: ${0##*/} needs tshark"; exit 77; }
T_START=$(date +%s)
lab_up

VIP=192.0.2.100
US=${LAB_IP4[dir1]}    # directord's source address
KA=${LAB_IP4[dir2]}    # keepalived's
STABLE_SECS=${STABLE_SECS:-60}
S1="$LAB_STATE_DIR/dir1.sock"
CAP="$LAB_STATE_DIR/vrrp.pcapng"
P1=

HANDOVERS=()  # "VERSION FROM TO SIGTERM-TIME SKEW-MS": graceful handovers, timed again on the wire
CRASHES=()    # "VERSION DEAD SUCCESSOR KILL-TIME MASTER-DOWN-MS": kill -9 takeovers, likewise

# pid_gone PID: a PID lab_spawn recorded has exited (or is a zombie).
pid_gone() {
  local start
  start=$(awk -v p="$1" '$1 == p {print $2}' "$LAB_STATE_DIR/pids" | tail -n 1)
  ! _lab_pid_alive "$1" "$start"
}

# exits_then_reap STOP-FUNCTION PID: the process (already sent SIGTERM) exits by itself within 5 s,
# then the stop function reaps it (sending nothing more).
exits_then_reap() { wait_until 5 pid_gone "$2" && "$1" "$2"; }
# no_match REGEX TEXT
no_match() { ! grep -qE "$1" <<<"$2"; }

now_ms() { local t=$EPOCHREALTIME; echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 )); }

# Deadline-bounded wait (each try may itself take up to a second): wait_until SECONDS cmd...
wait_until() {
  local end=$(( $(now_ms) + $1 * 1000 )); shift
  while :; do
    "$@" >/dev/null 2>&1 && return 0
    [ "$(now_ms)" -lt "$end" ] || return 1
    sleep 0.05
  done
}

router_reaches_vip() { on router ping -c1 -W1 -q "$VIP" >/dev/null 2>&1; }
# holds_vip NODE: the VIP is configured on NODE's lan0.
holds_vip() { holds_address "$1" "$VIP"; }
not_holds_vip() { ! holds_vip "$1"; }
mac_of() { on "$1" cat "/sys/class/net/$LAB_LAN_IF/address"; }
# The router's ARP entry for the VIP names NODE's MAC (the holder answered / its GARP arrived).
router_arp_points_at() {
  local entry
  entry=$(on router ip neigh show "$VIP" dev "$LAB_LAN_IF" 2>/dev/null)
  [[ $entry == *"lladdr $(mac_of "$1")"* ]]
}

# write_dconf PRIORITY VERSION ADVERT: directord's config (dir1).
write_dconf() {
  local auth=
  [ "$2" = 2 ] && auth="authentication {
        auth_type PASS
        auth_pass secret12
    }"
  cat >"$LAB_STATE_DIR/dir1.conf" <<EOF
global_defs {
    router_id dir1
    vrrp_version $2
}
vrrp_instance VI_1 {
    state BACKUP
    interface lan0
    virtual_router_id 51
    priority $1
    advert_int $3
    $auth
    virtual_ipaddress {
        $VIP/32 dev lan0
    }
}
EOF
}
# write_kconf PRIORITY VERSION ADVERT: keepalived's config (dir2), the same virtual router.
write_kconf() {
  local auth=
  [ "$2" = 2 ] && auth="authentication {
        auth_type PASS
        auth_pass secret12
    }"
  cat >"$LAB_STATE_DIR/dir2-keepalived.conf" <<EOF
global_defs {
    router_id dir2
    vrrp_version $2
    script_user root
}
vrrp_instance VI_1 {
    state BACKUP
    interface lan0
    virtual_router_id 51
    priority $1
    advert_int $3
    $auth
    virtual_ipaddress {
        $VIP/32 dev lan0
    }
}
EOF
}

start_directord() {
  directord_start dir1 "$LAB_STATE_DIR/dir1.conf" "$S1" || { fail "directord starts in dir1"; finish; }
  P1=$DIRECTORD_PID
}
start_keepalived() {
  keepalived_start dir2 "$LAB_STATE_DIR/dir2-keepalived.conf" || { fail "keepalived starts in dir2"; finish; }
}

# dump_keepalived_logs: on failure, the logs the finish() of lib.sh does not print.
dump_keepalived_logs() {
  [ "$CHECK_FAILS" -eq 0 ] && return 0
  local log
  for log in "$LAB_STATE_DIR"/keepalived-*.log; do
    [ -f "$log" ] || continue
    echo "---- last lines of ${log##*/} ----"; tail -n 30 "$log" | sed 's/^/    /'
  done
}

# directord_counters_clean WHAT: directord found nothing wrong with keepalived's adverts: it
# received some, dropped none (TTL, length, version, checksum, VRID, address count, auth,
# interval), none unattributed, no address-list mismatch, no send error.
directord_counters_clean() {
  local what=$1 out recv
  out=$(on dir1 "$DIRECTORCTL" --admin-socket "$S1" vrrp 2>&1)
  recv=$(sed -n 's/.*received \([0-9]*\) (priority 0.*/\1/p' <<<"$out" | head -n 1)
  echo "   $what: $(grep -E '^  adverts:' <<<"$out" | sed 's/^ *//')"
  check "$what: directord received keepalived's adverts (${recv:-none})" test "${recv:-0}" -gt 0
  expect_eq "$what: directord's drops" "dropped: none" "$(grep -E '^  dropped:' <<<"$out" | sed 's/^ *//')"
  expect_eq "$what: directord's packets not tied to an instance" none "$(sed -n 's/.*not tied to an instance: //p' <<<"$out")"
  check "$what: no address-list mismatch or send error" no_match "address list mismatch|send errors" "$out"
}
# directord_p0_received: priority-0 adverts directord received so far.
directord_p0_received() {
  on dir1 "$DIRECTORCTL" --admin-socket "$S1" vrrp 2>/dev/null | sed -n 's/.*received [0-9]* (priority 0: \([0-9]*\)).*/\1/p' | head -n 1
}

# Both sides converged with WHO (directord|keepalived) as master: states, the VIP, the router.
expect_master() {
  local who=$1 secs=$2 what=$3
  if [ "$who" = directord ]; then
    check "$what: directord MASTER within ${secs} s" wait_vrrp_state "$secs" dir1 "$S1" MASTER
    check "$what: keepalived BACKUP" wait_keepalived_state "$secs" BACKUP
    check "$what: dir1 holds the VIP" wait_until 2 holds_vip dir1
    check "$what: dir2 does not" wait_until 2 not_holds_vip dir2
    check "$what: the router reaches the VIP" wait_until 3 router_reaches_vip
    check "$what: the router's ARP entry for the VIP is dir1's MAC" wait_until 2 router_arp_points_at dir1
  else
    check "$what: keepalived MASTER within ${secs} s" wait_keepalived_state "$secs" MASTER
    check "$what: directord BACKUP" wait_vrrp_state "$secs" dir1 "$S1" BACKUP
    check "$what: dir2 holds the VIP" wait_until 2 holds_vip dir2
    check "$what: dir1 does not" wait_until 2 not_holds_vip dir1
    check "$what: the router reaches the VIP" wait_until 3 router_reaches_vip
    check "$what: the router's ARP entry for the VIP is dir2's MAC" wait_until 2 router_arp_points_at dir2
  fi
}

# stability VERSION WHO: STABLE_SECS converged; transitions unchanged on both sides, one VIP
# holder throughout.
# Leaves the window in STABLE_FROM/STABLE_TO (epoch seconds) for the capture check.
declare -A STABLE_FROM STABLE_TO STABLE_MASTER
stability() {
  local ver=$1 who=$2 t1 k1 t2 k2 bad=0 i holder want=dir1
  [ "$who" = keepalived ] && want=dir2
  echo "== v$ver stability: ${STABLE_SECS} s with $who as master"
  sleep 1  # let the last GARPs and any in-flight advert settle before counting
  t1=$(vrrp_transitions dir1 "$S1"); k1=$(keepalived_transitions)
  STABLE_FROM[$ver]=$EPOCHREALTIME STABLE_MASTER[$ver]=$who
  for ((i = 0; i < STABLE_SECS; i++)); do
    sleep 1
    holder=
    holds_vip dir1 && holder+=dir1
    holds_vip dir2 && holder+=dir2
    [ "$holder" = "$want" ] || { bad=$((bad + 1)); echo "   t=${i}s: VIP held by '${holder}'"; }
  done
  STABLE_TO[$ver]=$EPOCHREALTIME
  t2=$(vrrp_transitions dir1 "$S1"); k2=$(keepalived_transitions)
  expect_eq "v$ver: directord's transitions unchanged over ${STABLE_SECS} s" "$t1" "$t2"
  expect_eq "v$ver: keepalived's transitions unchanged over ${STABLE_SECS} s" "$k1" "$k2"
  expect_eq "v$ver: seconds in which the VIP was not held by $want alone" 0 "$bad"
  if [ "$who" = directord ]; then
    expect_eq "v$ver: directord still MASTER" MASTER "$(vrrp_state dir1 "$S1")"
    expect_eq "v$ver: keepalived still BACKUP" BACKUP "$(keepalived_state)"
  else
    expect_eq "v$ver: keepalived still MASTER" MASTER "$(keepalived_state)"
    expect_eq "v$ver: directord still BACKUP" BACKUP "$(vrrp_state dir1 "$S1")"
  fi
}

# run_version VERSION ADVERT WAIT STABLE-MASTER: scenarios 1-5 for one VRRP version.
# WAIT bounds every convergence (a few master-down intervals).
run_version() {
  local ver=$1 adv=$2 secs=$3 stable=$4 t0 took reach
  local down100  # master-down interval of a priority-100 backup, in ms (RFC 5798 / RFC 3768)
  local skew100  # its skew time: all a priority-0 advert leaves it to wait
  skew100=$(awk -v a="$adv" 'BEGIN {printf "%.1f", (256 - 100) * a / 256 * 1000}')
  [ "$ver" = 2 ] && skew100=$(awk 'BEGIN {printf "%.1f", (256 - 100) / 256 * 1000}')
  down100=$(awk -v a="$adv" -v s="$skew100" 'BEGIN {printf "%.1f", 3 * a * 1000 + s}')

  echo "== v$ver (advert_int $adv): 1. directord 150, keepalived 100"
  write_dconf 150 "$ver" "$adv"
  write_kconf 100 "$ver" "$adv"
  check "v$ver: directord accepts its config" "$DIRECTORD" -t -f "$LAB_STATE_DIR/dir1.conf"
  check "v$ver: keepalived accepts its config" on dir2 "$KEEPALIVED" -t -f "$LAB_STATE_DIR/dir2-keepalived.conf"
  start_keepalived
  start_directord
  expect_master directord "$secs" "v$ver election"
  [ "$stable" = directord ] && stability "$ver" directord

  echo "== v$ver: 2. kill -9 directord and cut dir1's link: keepalived takes over"
  kill -9 "$P1"; link_cut dir1
  t0=$(now_ms)
  CRASHES+=("$ver $US $KA $EPOCHREALTIME $down100")
  check "v$ver: keepalived MASTER within ${secs} s of the crash" wait_keepalived_state "$secs" MASTER
  took=$(( $(now_ms) - t0 ))
  check "v$ver: the router reaches the VIP via dir2" wait_until "$secs" router_reaches_vip
  reach=$(( $(now_ms) - t0 ))
  echo "   keepalived MASTER ${took} ms after the crash, VIP answering at ${reach} ms (master-down at priority 100: ${down100} ms)"
  check "v$ver: dir2 holds the VIP" holds_vip dir2
  check "v$ver: the router's ARP entry for the VIP is dir2's MAC" wait_until 2 router_arp_points_at dir2
  lab_stop_pid "$P1" KILL >/dev/null  # reap the killed directord (already gone)

  echo "== v$ver: 3. dir1 returns: directord preempts"
  link_restore dir1
  t0=$(now_ms)
  start_directord
  expect_master directord "$secs" "v$ver preemption by directord"
  echo "   VIP back on dir1 and answering $(( $(now_ms) - t0 )) ms after directord's restart"

  check "v$ver: keepalived took our priority-150 advert as a higher-priority master's" \
    grep -q "(VI_1) Master received advert from $US with higher priority 150" "$KEEPALIVED_LOG"
  directord_counters_clean "v$ver (directord restarted under keepalived)"

  echo "== v$ver: 3b. SIGTERM to directord: keepalived takes over on its priority-0 advert"
  HANDOVERS+=("$ver $US $KA $EPOCHREALTIME $skew100")
  t0=$(now_ms)
  kill -TERM "$P1"
  check "v$ver: keepalived MASTER after directord's SIGTERM" wait_keepalived_state "$secs" MASTER
  echo "   keepalived MASTER $(( $(now_ms) - t0 )) ms after directord's SIGTERM (skew time at priority 100: ${skew100} ms)"
  check "v$ver: directord exits on SIGTERM" exits_then_reap directord_stop "$P1"
  check "v$ver: keepalived took our priority-0 advert" grep -q "(VI_1) Backup received priority 0 advertisement" "$KEEPALIVED_LOG"
  check "v$ver: the router reaches the VIP via dir2" wait_until 3 router_reaches_vip

  echo "== v$ver: 4. swapped priorities: directord 100, keepalived 150"
  check "v$ver: keepalived stops (SIGTERM)" keepalived_stop
  check "v$ver: no VIP left on either node" eval "not_holds_vip dir1 && not_holds_vip dir2"
  write_dconf 100 "$ver" "$adv"
  write_kconf 150 "$ver" "$adv"
  start_directord
  start_keepalived
  expect_master keepalived "$secs" "v$ver swapped election"

  echo "== v$ver: 4b. kill -9 keepalived and cut dir2's link: directord takes over"
  check "v$ver: keepalived (parent and VRRP child) killed with -9" keepalived_crash
  link_cut dir2
  t0=$(now_ms)
  CRASHES+=("$ver $KA $US $EPOCHREALTIME $down100")
  check "v$ver: directord MASTER within ${secs} s of the crash" wait_vrrp_state "$secs" dir1 "$S1" MASTER
  took=$(( $(now_ms) - t0 ))
  check "v$ver: the router reaches the VIP via dir1" wait_until "$secs" router_reaches_vip
  reach=$(( $(now_ms) - t0 ))
  echo "   directord MASTER ${took} ms after the crash, VIP answering at ${reach} ms (master-down at priority 100: ${down100} ms)"
  check "v$ver: dir1 holds the VIP" holds_vip dir1
  check "v$ver: the router's ARP entry for the VIP is dir1's MAC" wait_until 2 router_arp_points_at dir1

  echo "== v$ver: 4c. dir2 returns: keepalived preempts"
  check "v$ver: dir2 still has the stale VIP after kill -9" holds_vip dir2
  link_restore dir2
  t0=$(now_ms)
  start_keepalived
  expect_master keepalived "$secs" "v$ver preemption by keepalived"
  echo "   VIP back on dir2 and answering $(( $(now_ms) - t0 )) ms after keepalived's restart"
  [ "$stable" = keepalived ] && stability "$ver" keepalived
  directord_counters_clean "v$ver (directord backup to keepalived)"

  echo "== v$ver: 4d. keepalived stops (SIGTERM): directord takes over on its priority-0 advert"
  local p0a p0b
  p0a=$(directord_p0_received)
  HANDOVERS+=("$ver $KA $US $EPOCHREALTIME $skew100")
  t0=$(now_ms)
  kill -TERM "$KEEPALIVED_PID"
  check "v$ver: directord MASTER after keepalived's SIGTERM" wait_vrrp_state "$secs" dir1 "$S1" MASTER
  echo "   directord MASTER $(( $(now_ms) - t0 )) ms after keepalived's SIGTERM (skew time at priority 100: ${skew100} ms)"
  check "v$ver: keepalived exits on SIGTERM" exits_then_reap keepalived_stop "$KEEPALIVED_PID"
  p0b=$(directord_p0_received)
  check "v$ver: directord counted keepalived's priority-0 advert (${p0a:-?} -> ${p0b:-?})" test "${p0b:-0}" -gt "${p0a:-0}"
  check "v$ver: the router reaches the VIP via dir1" wait_until 3 router_reaches_vip
  check "v$ver: directord stops (SIGTERM)" directord_stop "$P1"
}

# Capture every VRRP packet on the router's side of the LAN for the whole run.
lab_spawn router "$LAB_STATE_DIR/tshark.log" tshark -i "$LAB_LAN_IF" -w "$CAP" -f 'ip proto 112 or ip6 proto 112'
TSHARK_PID=$LAB_LAST_PID
wait_until 15 grep -q "Capturing on" "$LAB_STATE_DIR/tshark.log" ||
  { cat "$LAB_STATE_DIR/tshark.log"; fail "tshark captures on the router's lan0"; finish; }

run_version 3 0.1 3 directord
run_version 2 1 10 keepalived

echo "== the capture"
lab_stop_pid "$TSHARK_PID" TERM >/dev/null
TS=(tshark -n -o vrrp.v3_checksum_as_in_v2:FALSE)
count() { "${TS[@]}" -r "$1" -Y "$2" 2>/dev/null | wc -l; }
BAD='_ws.malformed || _ws.expert.severity >= "Warning"'

# The filters must see a defect: a v3 advert from us with a wrong checksum is flagged by both.
"$(lab_python)" - "$LAB_STATE_DIR/bad.pcap" "$US" <<'PY'
import socket, struct, sys
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
src, dst = socket.inet_aton(sys.argv[2]), socket.inet_aton("224.0.0.18")
vrrp = struct.pack("!BBBBHH4s", 0x31, 51, 150, 1, 10, 0xdead, socket.inet_aton("192.0.2.100"))
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0xc0, 20 + len(vrrp), 0, 0, 255, 112, 0, src, dst)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
eth = bytes.fromhex("01005e000012" "00005e000133" "0800")
frame = eth + ip + vrrp
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    f.write(struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame)
PY
expect_eq "self-test: the warning filter flags a corrupted advert" 1 "$(count "$LAB_STATE_DIR/bad.pcap" "ip.src == $US && ($BAD)")"
expect_eq "self-test: its checksum status is Bad (0)" 1 "$(count "$LAB_STATE_DIR/bad.pcap" "vrrp.checksum.status == 0")"

for ver in 3 2; do
  ours=$(count "$CAP" "vrrp.version == $ver && ip.src == $US")
  theirs=$(count "$CAP" "vrrp.version == $ver && ip.src == $KA")
  echo "   v$ver: $ours adverts from directord ($US), $theirs from keepalived ($KA)"
  check "v$ver: the capture holds adverts from directord ($ours)" test "$ours" -gt 0
  check "v$ver: the capture holds adverts from keepalived ($theirs)" test "$theirs" -gt 0
  expect_eq "v$ver: our adverts whose checksum tshark finds correct (status Good)" "$ours" \
    "$(count "$CAP" "vrrp.version == $ver && ip.src == $US && vrrp.checksum.status == 1")"
  expect_eq "v$ver: keepalived's adverts whose checksum tshark finds correct" "$theirs" \
    "$(count "$CAP" "vrrp.version == $ver && ip.src == $KA && vrrp.checksum.status == 1")"
  # The wire form matches keepalived's: every field but priority and checksum.
  f=(-T fields -e ip.ttl -e ip.dst -e vrrp.type -e vrrp.virt_rtr_id -e vrrp.addr_count
     -e vrrp.auth_type -e vrrp.adver_int -e vrrp.short_adver_int -e vrrp.ip_addr -e vrrp.auth_string)
  mine=$("${TS[@]}" -r "$CAP" -Y "vrrp.version == $ver && ip.src == $US && vrrp.prio != 0" "${f[@]}" 2>/dev/null | sort -u)
  kas=$("${TS[@]}" -r "$CAP" -Y "vrrp.version == $ver && ip.src == $KA && vrrp.prio != 0" "${f[@]}" 2>/dev/null | sort -u)
  echo "   v$ver fields (ttl dst type vrid count auth adv adv3 vip pass): ours [$(tr '\t\n' ' ;' <<<"$mine")] keepalived's [$(tr '\t\n' ' ;' <<<"$kas")]"
  expect_eq "v$ver: our adverts carry the same header fields as keepalived's" "$kas" "$mine"
  # The converged window: the master's adverts only, at its rate (no flapping on the wire).
  if [ -n "${STABLE_FROM[$ver]:-}" ]; then
    win="frame.time_epoch >= ${STABLE_FROM[$ver]} && frame.time_epoch <= ${STABLE_TO[$ver]} && vrrp.version == $ver"
    m=$US b=$KA
    [ "${STABLE_MASTER[$ver]}" = keepalived ] && m=$KA b=$US
    nm=$(count "$CAP" "$win && ip.src == $m")
    nb=$(count "$CAP" "$win && ip.src == $b")
    span=$(awk -v a="${STABLE_FROM[$ver]}" -v b="${STABLE_TO[$ver]}" 'BEGIN {printf "%.1f", b - a}')
    adv=0.1; [ "$ver" = 2 ] && adv=1
    expected=$(awk -v s="$span" -v a="$adv" 'BEGIN {printf "%d", s / a}')
    echo "   v$ver window ${span} s: ${nm} adverts from the master (${STABLE_MASTER[$ver]}; ~${expected} expected), ${nb} from the backup"
    expect_eq "v$ver: the backup sent nothing in the converged window" 0 "$nb"
    check "v$ver: the master advertised at its rate in the window ($nm of ~$expected)" \
      test "$nm" -ge $((expected * 9 / 10)) -a "$nm" -le $((expected * 11 / 10 + 2))
  fi
done
# Graceful handovers on the wire: the priority-0 advert, then the backup's first advert one skew
# time later (RFC 5798 6.4.2 / RFC 3768 6.4.2), far below the master-down interval.
name_of() { if [ "$1" = "$US" ]; then echo directord; else echo keepalived; fi; }
for h in "${HANDOVERS[@]}"; do
  read -r ver from to t skew <<<"$h"
  p0=$("${TS[@]}" -r "$CAP" -Y "vrrp.version == $ver && frame.time_epoch >= $t && ip.src == $from && vrrp.prio == 0" \
    -T fields -e frame.time_epoch 2>/dev/null | head -n 1)
  nxt=
  [ -n "$p0" ] && nxt=$("${TS[@]}" -r "$CAP" -Y "vrrp.version == $ver && frame.time_epoch > $p0 && ip.src == $to && vrrp.prio > 0" \
    -T fields -e frame.time_epoch 2>/dev/null | head -n 1)
  what="v$ver: $(name_of "$from") -> $(name_of "$to") handover"
  if [ -z "$p0" ] || [ -z "$nxt" ]; then
    fail "$what: priority-0 advert (${p0:-none}) and the successor's first advert (${nxt:-none}) captured"
    continue
  fi
  ms=$(awk -v a="$p0" -v b="$nxt" 'BEGIN {printf "%d", (b - a) * 1000}')
  echo "   $what: first advert ${ms} ms after the priority-0 advert (skew time ${skew} ms)"
  hi=$(awk -v s="$skew" 'BEGIN {printf "%d", s + 150}')
  lo=$(awk -v s="$skew" 'BEGIN {printf "%d", s * 0.9}')
  check "$what: the successor waited one skew time, ${lo}..${hi} ms (${ms} ms)" test "$ms" -ge "$lo" -a "$ms" -le "$hi"
done

# Crash takeovers on the wire: the dead master's last advert, then the backup's first one a
# master-down interval later (3 x the master's advert interval + skew: each side read the
# other's interval right).
for c in "${CRASHES[@]}"; do
  read -r ver from to t down <<<"$c"
  last=$("${TS[@]}" -r "$CAP" -Y "vrrp.version == $ver && frame.time_epoch <= $t && ip.src == $from" \
    -T fields -e frame.time_epoch 2>/dev/null | tail -n 1)
  nxt=
  [ -n "$last" ] && nxt=$("${TS[@]}" -r "$CAP" -Y "vrrp.version == $ver && frame.time_epoch > $t && ip.src == $to && vrrp.prio > 0" \
    -T fields -e frame.time_epoch 2>/dev/null | head -n 1)
  what="v$ver: $(name_of "$from") crash -> $(name_of "$to")"
  if [ -z "$last" ] || [ -z "$nxt" ]; then
    fail "$what: the dead master's last advert (${last:-none}) and the successor's first (${nxt:-none}) captured"
    continue
  fi
  ms=$(awk -v a="$last" -v b="$nxt" 'BEGIN {printf "%d", (b - a) * 1000}')
  echo "   $what: first advert ${ms} ms after the dead master's last (master-down interval ${down} ms)"
  hi=$(awk -v s="$down" 'BEGIN {printf "%d", s + 250}')
  lo=$(awk -v s="$down" 'BEGIN {printf "%d", s * 0.95}')
  check "$what: the successor waited one master-down interval, ${lo}..${hi} ms (${ms} ms)" test "$ms" -ge "$lo" -a "$ms" -le "$hi"
done

bad=$("${TS[@]}" -r "$CAP" -Y "ip.src == $US && ($BAD)" 2>/dev/null)
expect_eq "tshark finds no malformed packet and no warning among ours" "" "$bad"
kbad=$("${TS[@]}" -r "$CAP" -Y "ip.src == $KA && ($BAD)" 2>/dev/null | wc -l)
echo "   (keepalived's packets flagged by the same filter: $kbad)"

echo "== keepalived's opinion of our packets"
complaints=$(grep -hiE "invalid|bogus|checksum|wrong|mismatch" "$LAB_STATE_DIR"/keepalived-*.log)
expect_eq "keepalived logged no complaint (invalid/bogus/checksum/wrong/mismatch)" "" "$complaints"

echo "   runtime $(( $(date +%s) - T_START )) s"
dump_keepalived_logs
finish
