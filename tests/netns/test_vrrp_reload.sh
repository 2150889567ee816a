#!/usr/bin/env bash
# VRRP across SIGHUP: an unchanged instance keeps its state (no transition, no VIP gap); a reload
# adding an instance on an interface that does not exist is refused with the reason ("instance
# VI_2 not started: ...") and changes nothing; a reload adding a valid second instance starts it;
# a reload removing an instance releases its addresses. Start-up with an unknown interface fails
# with the same reason.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
CONF="$LAB_STATE_DIR/dir1.conf"
SOCK="$LAB_STATE_DIR/dir1.sock"

instance() {  # NAME VRID DEV VIP
  printf 'vrrp_instance %s {\n    interface %s\n    virtual_router_id %s\n    priority 100\n    advert_int 0.1\n    virtual_ipaddress {\n        %s/32 dev lan0\n    }\n}\n' "$1" "$3" "$2" "$4"
}
write_conf() {  # [extra instance args...]
  {
    printf 'global_defs {\n    router_id dir1\n    vrrp_version 3\n}\n'
    instance VI_1 51 lan0 192.0.2.100
    if [ $# -gt 0 ]; then instance "$@"; fi
  } >"$CONF.tmp" && mv "$CONF.tmp" "$CONF"
}

echo "== start-up with an unknown interface is refused with the reason"
write_conf VI_2 52 lan9 192.0.2.102
lab_spawn dir1 "$LAB_STATE_DIR/refused.log" "$DIRECTORD" -f "$CONF" -l -n --admin-socket "$SOCK"
pid=$LAB_LAST_PID
check "directord exits" lab_wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"
wait "$pid" 2>/dev/null; rc=$?
check "exit status is non-zero ($rc)" test "$rc" -ne 0
check "the log names the instance and the reason" grep -q "instance VI_2 not started: .*lan9" "$LAB_STATE_DIR/refused.log"
grep "not started" "$LAB_STATE_DIR/refused.log" | sed 's/^/   /'
check "no address was left behind" sh -c "! ip netns exec ${LAB_PREFIX}dir1 ip -o addr show | grep -q 192.0.2.10"

echo "== a valid start"
write_conf
directord_start dir1 "$CONF" "$SOCK" || { fail "directord starts"; finish; }
check "VI_1 becomes MASTER (alone on the LAN)" wait_vrrp_state 3 dir1 "$SOCK" MASTER
t=$(vrrp_transitions dir1 "$SOCK")

echo "== SIGHUP with VI_1 unchanged: no transition"
kill -HUP "$DIRECTORD_PID"; sleep 1
expect_eq "VI_1 still MASTER" MASTER "$(vrrp_state dir1 "$SOCK")"
expect_eq "VI_1 made no transition" "$t" "$(vrrp_transitions dir1 "$SOCK")"

echo "== SIGHUP adding VI_2 on lan9: refused, nothing changes"
write_conf VI_2 52 lan9 192.0.2.102
kill -HUP "$DIRECTORD_PID"; sleep 1
check "the log says why" grep -q "reload refused: instance VI_2 not started: .*lan9" "$LAB_STATE_DIR/directord-dir1.log"
expect_eq "VI_2 is not running" "" "$(vrrp_state dir1 "$SOCK" VI_2)"
expect_eq "VI_1 made no transition" "$t" "$(vrrp_transitions dir1 "$SOCK")"
check "VI_1 still holds its VIP" holds_address dir1 192.0.2.100

echo "== SIGHUP adding VI_2 on lan0: started"
write_conf VI_2 52 lan0 192.0.2.102
kill -HUP "$DIRECTORD_PID"
check "VI_2 becomes MASTER" wait_vrrp_state 3 dir1 "$SOCK" MASTER VI_2
check "VI_2 holds its VIP" lab_wait_for 2 holds_address dir1 192.0.2.102
expect_eq "VI_1 made no transition" "$t" "$(vrrp_transitions dir1 "$SOCK")"

echo "== SIGHUP removing VI_2: its address goes"
write_conf
kill -HUP "$DIRECTORD_PID"
check "VI_2's VIP is released" lab_wait_for 2 sh -c "! ip netns exec ${LAB_PREFIX}dir1 ip -o addr show dev lan0 | grep -q ' 192.0.2.102/'"
expect_eq "VI_2 is gone from directorctl vrrp" "" "$(vrrp_state dir1 "$SOCK" VI_2)"
check "VI_1 still holds its VIP" holds_address dir1 192.0.2.100

echo "== SIGTERM releases everything"
directord_stop "$DIRECTORD_PID"
check "no VIP left on dir1" sh -c "! ip netns exec ${LAB_PREFIX}dir1 ip -o addr show | grep -q 192.0.2.10"
finish
