#!/usr/bin/env bash
# static_routes / static_rules and virtual_routes / virtual_rules through rtnetlink. dir1 (priority
# 150) and dir2 (100) run one VRRP instance whose virtual routes and rule follow the master; each
# also installs static routes (IPv4 and IPv6, a blackhole, tables by number) and rules.
#  1. Start: the static routes and rules are in dir1's tables; an identical route the operator added
#     first is "found present" (logged) and left alone; the virtual ones are on the master only.
#  2. Reload (SIGHUP): only the difference is added and removed; a changed virtual_routes block
#     takes effect on the master without a VRRP transition.
#  3. Failover: kill -9 + link cut on dir1: dir2 takes the virtual routes and rule. dir1 restarts
#     with one static route dropped from its config: the next start removes it (ledger), adopts
#     the others, and preempts; dir2 gives the virtual routes back.
#  4. Stop (SIGTERM): everything directord added is gone from both; the operator's routes remain.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up

# write_conf NODE PRIORITY STATIC-ROUTES-EXTRA VIRTUAL-ROUTES-EXTRA
write_conf() {
  local node=$1 prio=$2 static_extra=$3 virtual_extra=$4
  cat >"$LAB_STATE_DIR/$node.conf" <<EOF2
global_defs {
    router_id $node
    vrrp_version 3
}
static_routes {
    203.0.113.0/26 via 198.51.100.1 dev lan0 table 100
    blackhole 203.0.113.64/26 table 100
    fd00:9::/64 via fd00:1::1 dev lan0 table 100
    $static_extra
}
static_rules {
    from 192.0.2.0/24 table 100 priority 1000
    from fd00:2::/64 table 100 priority 1000
}
vrrp_instance VI_1 {
    state BACKUP
    interface lan0
    virtual_router_id 52
    priority $prio
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.100/32 dev lan0
    }
    virtual_routes {
        src 192.0.2.100 203.0.113.128/26 via 198.51.100.1 dev lan0 table 101
        blackhole 10.99.0.0/16 table 101
        $virtual_extra
    }
    virtual_rules {
        fwmark 0x42 table 101 priority 1001
    }
}
EOF2
}

routes() { on "$1" ip "${@:3}" route show table "$2" 2>/dev/null; }  # NODE TABLE [-6]
has_route() { local r; r=$(routes "$1" "$2" "${@:4}") || return 1; grep -q -- "$3" <<<"$r"; }
no_route() { ! has_route "$@"; }
rules() { on "$1" ip "${@:2}" rule show 2>/dev/null; }
has_rule() { local r; r=$(rules "$1" "${@:3}") || return 1; grep -q -- "$2" <<<"$r"; }
no_rule() { ! has_rule "$@"; }
count_in_log() { grep -c -- "$2" "$LAB_STATE_DIR/directord-$1.log" 2>/dev/null || true; }
virtual_on() {  # NODE: the master's virtual routes and rule are all there
  has_route "$1" 101 "203.0.113.128/26 via 198.51.100.1 dev lan0 proto keepalived src 192.0.2.100" &&
    has_route "$1" 101 "blackhole 10.99.0.0/16 proto keepalived" && has_rule "$1" "1001:.*fwmark 0x42 lookup 101"
}
virtual_off() { [ -z "$(routes "$1" 101)" ] && no_rule "$1" "fwmark 0x42"; }

S1="$LAB_STATE_DIR/dir1.sock"
S2="$LAB_STATE_DIR/dir2.sock"
# The operator's routes, there before directord: one identical to a configured static route
# (same protocol, so the kernel says EEXIST), one directord never heard of.
# Blackholes, so the link cut below (which flushes routes through lan0) leaves them in place.
on dir1 ip route add blackhole 203.0.113.64/26 table 100 proto keepalived
on dir1 ip route add blackhole 203.0.113.192/26 table 100
write_conf dir1 150 "blackhole 198.51.100.128/25 table 100" ""
write_conf dir2 100 "" ""
on dir1 "$DIRECTORD" -t -f "$LAB_STATE_DIR/dir1.conf" >/dev/null 2>&1
check "directord -t accepts the config" test $? -eq 0
directord_start dir2 "$LAB_STATE_DIR/dir2.conf" "$S2" || { fail "directord starts in dir2"; finish; }
P2=$DIRECTORD_PID
directord_start dir1 "$LAB_STATE_DIR/dir1.conf" "$S1" || { fail "directord starts in dir1"; finish; }
P1=$DIRECTORD_PID

echo "== start"
check "dir1 becomes MASTER" wait_vrrp_state 3 dir1 "$S1" MASTER
check "dir2 is BACKUP" wait_vrrp_state 3 dir2 "$S2" BACKUP
routes dir1 100 | sed 's/^/   dir1 table 100: /'
check "static route in table 100, proto keepalived" has_route dir1 100 "203.0.113.0/26 via 198.51.100.1 dev lan0 proto keepalived"
check "static blackhole in table 100" has_route dir1 100 "blackhole 198.51.100.128/25 proto keepalived"
check "static IPv6 route in table 100" has_route dir1 100 "fd00:9::/64 via fd00:1::1 dev lan0 proto keepalived" -6
check "static rule (IPv4)" has_rule dir1 "1000:.*from 192.0.2.0/24 lookup 100"
check "static rule (IPv6)" has_rule dir1 "1000:.*from fd00:2::/64 lookup 100" -6
check "the operator's identical route is logged as found present" \
  test "$(count_in_log dir1 'route blackhole 203.0.113.64/26 .* found present')" -ge 1
check "dir1 (MASTER) has the virtual routes and rule" lab_wait_for 2 virtual_on dir1
check "dir2 (BACKUP) has none of them" virtual_off dir2
check "dir2 has its own static routes" has_route dir2 100 "203.0.113.0/26 via 198.51.100.1"

echo "== reload: the difference only"
added_before=$(count_in_log dir1 'added static route')
t1=$(vrrp_transitions dir1 "$S1")
write_conf dir1 150 "blackhole 203.0.113.224/27 table 100" "198.18.0.0/15 via 198.51.100.1 dev lan0 table 101"
kill -HUP "$P1"
check "the new static route appears" lab_wait_for 3 has_route dir1 100 "blackhole 203.0.113.224/27"
check "the dropped blackhole is removed" lab_wait_for 3 no_route dir1 100 "blackhole 198.51.100.128/25"
check "the new virtual route is on the master" lab_wait_for 3 has_route dir1 101 "198.18.0.0/15 via 198.51.100.1"
expect_eq "exactly one static route added by the reload" 1 "$(( $(count_in_log dir1 'added static route') - added_before ))"
expect_eq "exactly one static route removed by the reload" 1 "$(count_in_log dir1 'removed route .*no longer in the config')"
expect_eq "no VRRP transition for a virtual_routes change" "$t1" "$(vrrp_transitions dir1 "$S1")"
check "the unchanged static route is still there" has_route dir1 100 "203.0.113.0/26 via 198.51.100.1"
write_conf dir2 100 "" "198.18.0.0/15 via 198.51.100.1 dev lan0 table 101"
kill -HUP "$P2"
sleep 0.5

echo "== failover: kill -9 the master and cut its link"
kill -9 "$P1"
sleep 0.2
check "dir1's routes outlive the kill -9 (the kernel keeps them)" has_route dir1 100 "203.0.113.224/27"
link_cut dir1
check "dir2 becomes MASTER" wait_vrrp_state 2 dir2 "$S2" MASTER
check "dir2 now has the virtual routes and rule" lab_wait_for 2 virtual_on dir2
check "dir2 has the reloaded virtual route too" has_route dir2 101 "198.18.0.0/15 via 198.51.100.1"
echo "== dir1 returns, without 203.0.113.224/27 in its config"
write_conf dir1 150 "" "198.18.0.0/15 via 198.51.100.1 dev lan0 table 101"
link_restore dir1
no_tentative() { [ -z "$(on dir1 ip -6 addr show dev lan0 tentative)" ]; }
check "dir1's IPv6 address is usable again (DAD done)" lab_wait_for 5 no_tentative
directord_start dir1 "$LAB_STATE_DIR/dir1.conf" "$S1" || { fail "directord restarts in dir1"; finish; }
P1=$DIRECTORD_PID
check "the next start removed the route dropped while it was down" lab_wait_for 2 no_route dir1 100 "203.0.113.224/27"
check "the still-configured static route is adopted (present)" has_route dir1 100 "203.0.113.0/26 via 198.51.100.1"
check "dir1 preempts" wait_vrrp_state 3 dir1 "$S1" MASTER
check "dir2 goes back to BACKUP" wait_vrrp_state 2 dir2 "$S2" BACKUP
check "dir2 removed the virtual routes and rule" lab_wait_for 2 virtual_off dir2
check "dir1 holds them again" lab_wait_for 2 virtual_on dir1

echo "== stop: everything directord added goes, the operator's routes stay"
directord_stop "$P1"
directord_stop "$P2"
routes dir1 100 | sed 's/^/   dir1 table 100 after stop: /'
expect_eq "dir1 table 100 holds only the operator's two routes" 2 "$(routes dir1 100 | wc -l)"
check "the operator's identical route remains" has_route dir1 100 "blackhole 203.0.113.64/26"
check "the operator's other route remains" has_route dir1 100 "blackhole 203.0.113.192/26"
check "dir1: no IPv6 static route left" test -z "$(routes dir1 100 -6)"
check "dir1: no static rules left" no_rule dir1 "lookup 100"
check "dir1: no static IPv6 rule left" no_rule dir1 "lookup 100" -6
check "dir1: no virtual routes or rule left" virtual_off dir1
check "dir2: table 100 empty" test -z "$(routes dir2 100)"
check "dir2: nothing left" virtual_off dir2
finish
