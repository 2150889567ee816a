#!/usr/bin/env bash
# Bad VRRP packets are dropped, counted by reason, and change nothing. directord runs alone in
# dir1 as MASTER of four instances on lan0:
#
#   VI_3  VRRPv3 IPv4  vrid 51  priority 100  advert_int 0.1   192.0.2.51
#   VI_2  VRRPv2 IPv4  vrid 52  priority 100  advert_int 1     192.0.2.52   auth PASS secret12
#   VI_6  VRRPv3 IPv6  vrid 53  priority 100  advert_int 0.1   fd00:2::53
#   VI_U  VRRPv3 IPv4  vrid 54  priority 100  advert_int 0.1   192.0.2.54   unicast_peer dir2
#
# From dir2, vrrp_send.py (raw sockets) sends adverts with priority 254 — each would make dir1
# yield if it were accepted — carrying exactly one fault each: TTL/hop limit != 255, wrong
# checksum, version, type, unknown VRID, too short, too long, address count, the other version,
# (v2) wrong password and wrong interval, and (VI_U) a valid advert from a source that is not its
# unicast peer (keepalived's check_unicast_src, always on here). Per case `directorctl vrrp` must show exactly that
# reason's counter up by the number sent, on the right instance (or "not tied to an instance"),
# and nothing else changed: every instance MASTER, same transition count, no advert accepted, VIPs
# held. Finally the controls: valid priority-254 adverts from the same tool make each instance go
# BACKUP (so the drops above were for the fault, not a broken sender), and it takes over again
# after the master-down interval once they stop.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up

PY=$(lab_python)
SENDER=dir2
SRC4=${LAB_IP4[$SENDER]}
SRC6=$(on "$SENDER" ip -6 -o addr show dev "$LAB_LAN_IF" scope link | awk '{sub(/\/.*/, "", $4); print $4; exit}')
[ -n "$SRC6" ] || lab_die "$SENDER has no IPv6 link-local address on $LAB_LAN_IF"
VIP3=192.0.2.51 VIP2=192.0.2.52 VIP6=fd00:2::53 VIPU=192.0.2.54
DIR1_IP4=${LAB_IP4[dir1]}
NOT_A_PEER=198.51.100.250  # on the LAN, nobody's address: vrrp_send.py writes the IP header itself
S1="$LAB_STATE_DIR/dir1.sock"

cat >"$LAB_STATE_DIR/dir1.conf" <<EOF
global_defs {
    router_id dir1
    vrrp_garp_master_delay 1
}
vrrp_instance VI_3 {
    state BACKUP
    interface lan0
    virtual_router_id 51
    priority 100
    version 3
    advert_int 0.1
    virtual_ipaddress {
        $VIP3/32 dev lan0
    }
}
vrrp_instance VI_2 {
    state BACKUP
    interface lan0
    virtual_router_id 52
    priority 100
    version 2
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret12
    }
    virtual_ipaddress {
        $VIP2/32 dev lan0
    }
}
vrrp_instance VI_6 {
    state BACKUP
    interface lan0
    virtual_router_id 53
    priority 100
    version 3
    advert_int 0.1
    virtual_ipaddress {
        $VIP6/128 dev lan0
    }
}
vrrp_instance VI_U {
    state BACKUP
    interface lan0
    virtual_router_id 54
    priority 100
    version 3
    advert_int 0.1
    unicast_src_ip $DIR1_IP4
    unicast_peer {
        $SRC4
    }
    virtual_ipaddress {
        $VIPU/32 dev lan0
    }
}
EOF

# vrrp_send ARGS...: one vrrp_send.py run in the sender's namespace, on its LAN interface.
vrrp_send() { on "$SENDER" "$PY" "$HERE/vrrp_send.py" --dev "$LAB_LAN_IF" "$@"; }
# Presets: who we pretend to be for each instance (all valid but for the priority of 254).
V3=(--src "$SRC4" -V 3 --vrid 51 --priority 254 --interval 0.1 --address "$VIP3")
V2=(--src "$SRC4" -V 2 --vrid 52 --priority 254 --interval 1 --auth-pass secret12 --address "$VIP2")
V6=(--src "$SRC6" -V 3 --vrid 53 --priority 254 --interval 0.1 --address "$VIP6")
VU=(--src "$SRC4" --dst "$DIR1_IP4" -V 3 --vrid 54 --priority 254 --interval 0.1 --address "$VIPU")

# snapshot: `directorctl vrrp` as sorted key=value lines: per instance its state, transitions,
# adverts received and every non-zero drop counter; "-.drop.REASON" for drops not tied to one.
snapshot() {
  on dir1 "$DIRECTORCTL" --admin-socket "$S1" vrrp 2>/dev/null | awk '
    function drops(owner, text,    n, parts, i, kv) {
      if (text == "none") return
      n = split(text, parts, ", ")
      for (i = 1; i <= n; i++) { split(parts[i], kv, " "); print owner ".drop." kv[1] "=" kv[2] }
    }
    /^Instance / { next }
    /^packets received/ { t = $0; sub(/.*not tied to an instance: /, "", t); drops("-", t); next }
    /^[^ ]/ { cur = $1; print cur ".state=" $5; print cur ".trans=" $NF; next }
    /^  adverts:/ { for (i = 1; i < NF; i++) if ($i == "received") print cur ".received=" $(i + 1) }
    /^  dropped: / { t = $0; sub(/^  dropped: /, "", t); drops(cur, t) }' | sort
}
# kv SNAPSHOT KEY: the value, 0 when absent (drop counters at zero are not listed).
kv() { awk -F= -v k="$2" '$1 == k { v = $2 } END { print (v == "" ? 0 : v) }' <<<"$1"; }
# dir1_holds ADDR...: every ADDR is on dir1's LAN interface. (lib.sh's holds_address pipes into
# grep -q, which under pipefail fails at random when ip gets SIGPIPE; read the whole list instead.)
dir1_holds() {
  local out a
  out=$(on dir1 ip -o addr show dev "$LAB_LAN_IF") || return 1
  for a in "$@"; do [[ $out == *" $a/"* ]] || return 1; done
}
dir1_lacks() { ! dir1_holds "$1"; }
holds_all_vips() { dir1_holds "$VIP3" "$VIP2" "$VIP6" "$VIPU"; }

# bad_case DESCRIPTION OWNER REASON N VRRP_SEND_ARGS...: send N packets, then OWNER's (an
# instance, or "-" for not tied to one) REASON counter is up by exactly N and nothing else moved.
bad_case() {
  local desc=$1 owner=$2 reason=$3 n=$4 before after want got i changed
  shift 4
  local key="$owner.drop.$reason" who="$owner"
  [ "$owner" = - ] && who="not tied to an instance"
  before=$(snapshot)
  if ! vrrp_send --repeat "$n" "$@"; then
    fail "$desc: vrrp_send.py failed"
    return
  fi
  want=$(($(kv "$before" "$key") + n))
  # Bounded: the counter normally moves within milliseconds; 3 s when it never does.
  for ((i = 0; i < 30; i++)); do
    got=$(kv "$(snapshot)" "$key")
    [ "$got" -ge "$want" ] && break
    sleep 0.1
  done
  sleep 0.05  # a packet accepted by mistake would have made its transition by now
  after=$(snapshot)
  expect_eq "$desc: $reason ($who) +$n" "$want" "$(kv "$after" "$key")"
  changed=$(diff <(grep -v "^$key=" <<<"$before") <(grep -v "^$key=" <<<"$after") | grep '^[<>]' | tr '\n' ' ')
  if [ -z "$changed" ]; then
    pass "$desc: nothing else changed (all MASTER, same transitions, no advert accepted)"
  else
    fail "$desc: something else changed: $changed"
  fi
  check "$desc: dir1 still holds every VIP" holds_all_vips
}

directord_start dir1 "$LAB_STATE_DIR/dir1.conf" "$S1" || { fail "directord starts in dir1"; finish; }
P1=$DIRECTORD_PID

echo "== alone on the LAN, dir1 becomes MASTER of all four instances"
# v2: master-down interval 3 x 1 s + skew 0.61 s.
check "VI_3 (v3) MASTER within 3 s" wait_vrrp_state 3 dir1 "$S1" MASTER VI_3
check "VI_2 (v2) MASTER within 6 s" wait_vrrp_state 6 dir1 "$S1" MASTER VI_2
check "VI_6 (v3, IPv6) MASTER within 3 s" wait_vrrp_state 3 dir1 "$S1" MASTER VI_6
check "VI_U (v3, unicast) MASTER within 3 s" wait_vrrp_state 3 dir1 "$S1" MASTER VI_U
check "dir1 holds $VIP3, $VIP2, $VIP6 and $VIPU" lab_wait_for 2 holds_all_vips
on dir1 "$DIRECTORCTL" --admin-socket "$S1" vrrp | sed 's/^/   /'

echo "== VRRPv3 over IPv4 (VI_3, vrid 51): one fault per packet, priority 254"
bad_case "TTL 64" VI_3 bad_ttl 3 "${V3[@]}" --ttl 64
bad_case "TTL 254" VI_3 bad_ttl 2 "${V3[@]}" --ttl 254
bad_case "corrupted checksum" VI_3 bad_checksum 3 "${V3[@]}" --checksum bad
bad_case "v3 checksum without the pseudo-header" VI_3 bad_checksum 3 "${V3[@]}" --checksum nopseudo
bad_case "version 4" VI_3 bad_version 3 "${V3[@]}" -V 4
bad_case "version 1" VI_3 bad_version 2 "${V3[@]}" -V 1
bad_case "type 2" VI_3 bad_type 3 "${V3[@]}" --type 2
bad_case "unknown VRID 99" - unknown_vrid 3 "${V3[@]}" --vrid 99
bad_case "IPv6 instance's VRID 53 over IPv4" - unknown_vrid 2 "${V3[@]}" --vrid 53
bad_case "count 1 but no address (8 bytes)" VI_3 too_short 3 "${V3[@]}" --truncate 4
bad_case "shorter than the header (4 bytes)" VI_3 too_short 2 "${V3[@]}" --truncate 8
bad_case "1-byte message (no VRID)" - too_short 2 "${V3[@]}" --truncate 11
bad_case "4 trailing bytes" VI_3 too_long 3 "${V3[@]}" --pad 4
bad_case "2 addresses, instance has 1" VI_3 address_count 3 "${V3[@]}" --address 192.0.2.99
bad_case "0 addresses, instance has 1" VI_3 address_count 2 --src "$SRC4" -V 3 --vrid 51 --priority 254
bad_case "valid v2 advert to the v3 instance" VI_3 version_mismatch 3 "${V3[@]}" -V 2 --interval 1

echo "== VRRPv2 over IPv4 (VI_2, vrid 52, auth PASS secret12, advert_int 1)"
bad_case "v2 TTL 64" VI_2 bad_ttl 3 "${V2[@]}" --ttl 64
bad_case "v2 corrupted checksum" VI_2 bad_checksum 3 "${V2[@]}" --checksum bad
bad_case "v2 type 3" VI_2 bad_type 2 "${V2[@]}" --type 3
bad_case "v2 without its auth data" VI_2 too_short 2 "${V2[@]}" --truncate 8
bad_case "v2 with 4 trailing bytes" VI_2 too_long 2 "${V2[@]}" --pad 4
bad_case "v2 with 2 addresses" VI_2 address_count 3 "${V2[@]}" --address 192.0.2.99
bad_case "v2 wrong password" VI_2 auth_mismatch 3 "${V2[@]}" --auth-pass wrong123
bad_case "v2 password with a different 8th byte" VI_2 auth_mismatch 2 "${V2[@]}" --auth-pass secret13
bad_case "v2 no authentication (type 0)" VI_2 auth_mismatch 2 "${V2[@]}" --auth-type 0 --auth-pass ""
bad_case "v2 interval 2 s (configured 1 s)" VI_2 interval_mismatch 3 "${V2[@]}" --interval 2
bad_case "valid v3 advert to the v2 instance" VI_2 version_mismatch 3 --src "$SRC4" -V 3 --vrid 52 --priority 254 --interval 1 --address "$VIP2"

echo "== VRRPv3 over IPv6 (VI_6, vrid 53, to ff02::12 from $SRC6)"
bad_case "hop limit 64" VI_6 bad_ttl 3 "${V6[@]}" --ttl 64
bad_case "IPv6 checksum without the pseudo-header" VI_6 bad_checksum 3 "${V6[@]}" --checksum nopseudo
bad_case "IPv6 type 2" VI_6 bad_type 2 "${V6[@]}" --type 2
bad_case "VRRPv2 over IPv6" VI_6 bad_version 3 "${V6[@]}" -V 2 --interval 1 --auth-pass secret12
bad_case "IPv6 unknown VRID 99" - unknown_vrid 2 "${V6[@]}" --vrid 99
bad_case "IPv6 count 1 but no address" VI_6 too_short 2 "${V6[@]}" --truncate 16
bad_case "IPv6 2 addresses" VI_6 address_count 3 "${V6[@]}" --address fd00:2::99

echo "== unicast (VI_U, vrid 54, unicast_peer $SRC4): adverts from anyone else"
bad_case "valid advert from $NOT_A_PEER, not a unicast peer" VI_U not_unicast_peer 3 "${VU[@]}" --src "$NOT_A_PEER"
bad_case "multicast advert from $NOT_A_PEER" VI_U not_unicast_peer 2 --src "$NOT_A_PEER" -V 3 --vrid 54 --priority 254 --interval 0.1 --address "$VIPU"

# control INSTANCE VIP BACK_WITHIN REPEAT GAP VRRP_SEND_ARGS...: REPEAT valid priority-254
# adverts, GAP seconds apart, in the background: the instance goes BACKUP to the sender and
# releases its VIP; once they stop it is MASTER again within BACK_WITHIN seconds.
control() {
  local inst=$1 vip=$2 back=$3 repeat=$4 gap=$5 t0 r0 pid master rc
  shift 5
  local before src
  src=$(printf '%s\n' "$@" | awk 'take { print; exit } $0 == "--src" { take = 1 }')
  before=$(snapshot)
  t0=$(kv "$before" "$inst.trans")
  r0=$(kv "$before" "$inst.received")
  lab_spawn "$SENDER" "$LAB_STATE_DIR/control-$inst.log" "$PY" "$HERE/vrrp_send.py" \
    --dev "$LAB_LAN_IF" --repeat "$repeat" --gap "$gap" "$@"
  pid=$LAB_LAST_PID
  check "$inst: a valid priority-254 advert makes it BACKUP within 2 s" wait_vrrp_state 2 dir1 "$S1" BACKUP "$inst"
  master=$(on dir1 "$DIRECTORCTL" --admin-socket "$S1" vrrp | awk -v i="$inst" '$1 == i { print $7; exit }')
  check "$inst: the master it sees is the sender ($master)" test "$master" = "$src"
  check "$inst: released $vip" lab_wait_for 2 dir1_lacks "$vip"
  sleep 0.5  # longer than v3's master-down interval (0.36 s)
  expect_eq "$inst: still BACKUP while the adverts keep coming" BACKUP "$(vrrp_state dir1 "$S1" "$inst")"
  wait "$pid"; rc=$?
  lab_stop_pid "$pid" >/dev/null
  expect_eq "$inst: vrrp_send.py exit status" 0 "$rc"
  check "$inst: MASTER again within $back s of the last advert" wait_vrrp_state "$back" dir1 "$S1" MASTER "$inst"
  check "$inst: holds $vip again" lab_wait_for 2 dir1_holds "$vip"
  local after
  after=$(snapshot)
  expect_eq "$inst: two transitions (MASTER -> BACKUP -> MASTER)" "$((t0 + 2))" "$(kv "$after" "$inst.trans")"
  expect_eq "$inst: adverts received up by $repeat" "$((r0 + repeat))" "$(kv "$after" "$inst.received")"
}

echo "== controls: the same tool's VALID adverts are accepted"
# v3: master-down interval learnt from the advert, 3 x 0.1 + 0.061 s.
control VI_3 "$VIP3" 3 15 0.1 "${V3[@]}"
# v2: 3 x 1 s + 0.61 s.
control VI_2 "$VIP2" 6 3 1 "${V2[@]}"
control VI_6 "$VIP6" 3 15 0.1 "${V6[@]}"
# The unicast peer's own adverts are accepted: the filter dropped the others for their source.
control VI_U "$VIPU" 3 15 0.1 "${VU[@]}"
echo "== the other instances were not disturbed by the controls"
for inst in VI_3 VI_2 VI_6 VI_U; do
  expect_eq "$inst is MASTER at the end" MASTER "$(vrrp_state dir1 "$S1" "$inst")"
done
# kill -0 would pass on a crashed (zombie) directord: ask it instead.
answers() { on dir1 "$DIRECTORCTL" --admin-socket "$S1" vrrp >/dev/null 2>&1; }
check "directord in dir1 is still running and answering (pid $P1)" answers
on dir1 "$DIRECTORCTL" --admin-socket "$S1" vrrp | sed 's/^/   /'
finish
