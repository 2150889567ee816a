#!/usr/bin/env bash
# Tracking end to end, two directord nodes (VRRPv3, advert 0.1 s): a vrrp_script with weight -60
# failing on the master (150 -> 90) lets the backup (100) preempt, and it comes back when the
# script succeeds again; a tracked interface going down puts the master in FAULT (the backup takes
# over) and up again lets it return; notify scripts run with keepalived's arguments
# (notify: INSTANCE NAME STATE PRIORITY; notify_master etc.: their own arguments only).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
W=$LAB_STATE_DIR
# A second interface on dir1 to track: a veth pair inside dir1 (no dummy links in this kernel).
on dir1 ip link add trk0 type veth peer name trk1
on dir1 ip link set trk1 up
on dir1 ip link set trk0 up
touch "$W/dir1.healthy"

write_conf() {  # NODE PRIORITY
  local node=$1 prio=$2 track=''
  [ "$node" = dir1 ] && track="track_script {
        chk_flag
    }
    track_interface {
        trk0
    }"
  cat >"$W/$node.conf" <<EOF2
global_defs {
    router_id $node
    vrrp_version 3
}
vrrp_script chk_flag {
    script "/usr/bin/test -f $W/$node.healthy"
    interval 1
    weight -60
    fall 1
    rise 1
}
vrrp_instance VI_1 {
    interface lan0
    virtual_router_id 51
    priority $prio
    advert_int 0.1
    $track
    notify "/bin/sh -c 'echo \"\\\$*\" >> $W/$node.notify' notify"
    notify_master "/bin/sh -c 'echo master-script \"\\\$*\" >> $W/$node.notify' x"
    virtual_ipaddress {
        192.0.2.100/32 dev lan0
    }
}
EOF2
}
write_conf dir1 150
write_conf dir2 100
for n in dir1 dir2; do
  "$DIRECTORD" -t -f "$W/$n.conf" >/dev/null 2>"$W/$n.check" || { cat "$W/$n.check"; fail "$n config is valid"; finish; }
done
S1="$W/dir1.sock"; S2="$W/dir2.sock"
directord_start dir2 "$W/dir2.conf" "$S2" || { fail "directord starts in dir2"; finish; }
directord_start dir1 "$W/dir1.conf" "$S1" || { fail "directord starts in dir1"; finish; }
check "dir1 MASTER (150)" wait_vrrp_state 5 dir1 "$S1" MASTER
check "dir2 BACKUP" wait_vrrp_state 3 dir2 "$S2" BACKUP
check "dir1's notify ran: INSTANCE VI_1 MASTER 150" lab_wait_for 3 grep -qx "INSTANCE VI_1 MASTER 150" "$W/dir1.notify"
# "$*" of notify_master is empty: keepalived passes the state scripts no arguments of its own.
check "dir1's notify_master ran with only its own arguments" lab_wait_for 3 grep -qx "master-script " "$W/dir1.notify"

echo "== the tracked script fails on dir1: priority 150 - 60 = 90 < 100"
rm -f "$W/dir1.healthy"
check "dir2 preempts: MASTER" wait_vrrp_state 5 dir2 "$S2" MASTER
check "dir1 BACKUP" wait_vrrp_state 3 dir1 "$S1" BACKUP
prio=$(on dir1 "$DIRECTORCTL" --admin-socket "$S1" vrrp | awk '$1 == "VI_1" {print $6}')
expect_eq "dir1 shows effective(base) priority" "90(150)" "$prio"
check "dir2's notify: INSTANCE VI_1 MASTER 100" lab_wait_for 3 grep -qx "INSTANCE VI_1 MASTER 100" "$W/dir2.notify"
check "dir1's notify: INSTANCE VI_1 BACKUP 90" lab_wait_for 3 grep -qx "INSTANCE VI_1 BACKUP 90" "$W/dir1.notify"
check "the VIP moved to dir2" lab_wait_for 3 holds_address dir2 192.0.2.100

echo "== the script succeeds again: dir1 back to 150, preempts"
touch "$W/dir1.healthy"
check "dir1 MASTER again" wait_vrrp_state 5 dir1 "$S1" MASTER
check "dir2 BACKUP again" wait_vrrp_state 3 dir2 "$S2" BACKUP

echo "== the tracked interface goes down on dir1: FAULT"
on dir1 ip link set trk0 down
check "dir1 FAULT" wait_vrrp_state 5 dir1 "$S1" FAULT
check "dir2 takes over" wait_vrrp_state 3 dir2 "$S2" MASTER
check "dir1 released the VIP" lab_wait_for 2 sh -c "! ip netns exec ${LAB_PREFIX}dir1 ip -o addr show dev lan0 | grep -q ' 192.0.2.100/'"
fault=$(on dir1 "$DIRECTORCTL" --admin-socket "$S1" vrrp | sed -n 's/^  fault: //p')
check "directorctl vrrp names the fault ($fault)" grep -q "trk0" <<<"$fault"
check "dir1's notify: INSTANCE VI_1 FAULT" lab_wait_for 3 grep -q "^INSTANCE VI_1 FAULT" "$W/dir1.notify"
on dir1 ip link set trk0 up
check "dir1 leaves FAULT and preempts" wait_vrrp_state 5 dir1 "$S1" MASTER
check "dir2 BACKUP" wait_vrrp_state 3 dir2 "$S2" BACKUP
echo "   dir1 notifications:"; sed 's/^/     /' "$W/dir1.notify"
finish
