#!/usr/bin/env bash
# virtual_server_group and virtual_server fwmark end to end in dir1:
#  - a NAT group of two VIPs (port 80) and a VIP range (port 8080): every member address reaches
#    the group's reals, rr over the group as one service (one slot table, one counter);
#  - an FNAT fwmark service selected by the operator's own nft rule (meta mark set 42 in a
#    prerouting chain at priority mangle, before directord's dnat at -100): marked traffic reaches
#    the real on the packet's own port (real_server without a port), unmarked traffic does not;
#  - directorctl: -L shows "FWM  42" and the group with its members, lookup with a mark, runtime
#    edits by -f MARK and by a group member's VIP:PORT.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
start_reals
reals_route_via_director 198.51.100.2 fd00:1::2
CONF="$LAB_STATE_DIR/vsgroup.conf"
cat >"$CONF" <<'CONF'
global_defs {
    router_id lab-dir1
    lb_hash_seed 0x1234abcd
}
static_ipaddress {
    192.0.2.110/32 dev lan0
    192.0.2.111/32 dev lan0
    192.0.2.120/32 dev lan0
    192.0.2.121/32 dev lan0
    192.0.2.130/32 dev lan0
    198.51.100.200/32 dev lan0
}
local_address_group LAG4 {
    198.51.100.200
}
virtual_server_group web {
    192.0.2.110 80
    192.0.2.111 80
    192.0.2.120-121 8080
}
virtual_server group web {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80
    real_server 198.51.100.12 80
}
virtual_server fwmark 42 {
    lb_algo rr
    lb_kind FNAT
    laddr_group_name LAG4
    real_server 198.51.100.13 {
        weight 1
    }
}
CONF
SOCK="$LAB_STATE_DIR/dir1.sock"
ctl() { on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" "$@"; }
check "config test passes" "$DIRECTORD" --config-test -f "$CONF"
directord_start dir1 "$CONF" "$SOCK" || { fail "directord starts with $CONF"; finish; }
pass "directord started in dir1 (pid $DIRECTORD_PID)"
check "dir1 holds 192.0.2.130 (within 5 s)" lab_wait_for 5 on dir1 sh -c 'ip -4 addr show dev lan0 | grep -q "inet 192.0.2.130/"'

# The operator's rule: directord never sets packet marks; the mark must exist before its nat
# prerouting hook (priority -100, dstnat), so a mangle-priority (-150) chain sets it.
on dir1 nft -f - <<'NFT' || lab_die "operator's nft rule"
table inet operator {
    chain pre {
        type filter hook prerouting priority mangle; policy accept;
        ip daddr 192.0.2.130 tcp dport 8080 meta mark set 42
    }
}
NFT
lab_on_down "ip netns exec $(ns dir1) nft delete table inet operator 2>/dev/null || true"

echo "== the group: 4 connections to each member, rr over one service"
all=""
port=21000
for target in 192.0.2.110:80 192.0.2.111:80 192.0.2.120:8080 192.0.2.121:8080; do
  out=$(for ((i = 0; i < 4; i++)); do lab_get "http://$target/" --local-port $((port + i)) || echo error; done)
  port=$((port + 4))
  expect_eq "$target answered by the group's reals" "4" "$(grep -cE '^real[12] ' <<<"$out")"
  all+="$out"$'\n'
done
expect_eq "rr over the whole group" "real1=8 real2=8 real3=0" "$(count_reals <<<"$all")"
out=$(lab_get http://192.0.2.110:8080/ --local-port 21100 2>/dev/null || echo error)
check "192.0.2.110:8080 is not a member (not forwarded)" bash -c '! grep -qE "^real" <<<"$1"' _ "$out"

echo "== the fwmark service: marked 192.0.2.130:8080 reaches real3 on port 8080"
out=$(for ((i = 0; i < 6; i++)); do lab_get http://192.0.2.130:8080/ --local-port $((21200 + i)) || echo error; done)
expect_eq "marked connections reach real3" "real1=0 real2=0 real3=6" "$(count_reals <<<"$out")"
expect_eq "FNAT: real3 saw the local address" "198.51.100.200" "$(awk '{print $2}' <<<"$out" | sort -u | tr -d '\n')"
out=$(for ((i = 0; i < 3; i++)); do lab_get http://192.0.2.130:80/ --local-port $((21300 + i)) 2>/dev/null || echo error; done)
expect_eq "unmarked 192.0.2.130:80 does not hit the service" "real1=0 real2=0 real3=0" "$(count_reals <<<"$out")"
ct=$(on dir1 conntrack -L -p tcp --orig-dst 192.0.2.130 2>/dev/null)
check "marked flows carry directord's ct mark" grep -qE 'dport=8080 .*mark=350[0-9]+' <<<"$ct"

echo "== directorctl"
list=$(ctl -L -n 2>&1)
sed 's/^/    /' <<<"$list"
check "-L shows FWM  42 rr" grep -qE '^FWM  42 rr' <<<"$list"
check "-L shows the group and its members" bash -c 'grep -q "^TCP  group web rr" <<<"$1" && grep -q "members: 192.0.2.110-192.0.2.111:80 192.0.2.120-192.0.2.121:8080" <<<"$1"' _ "$list"
look=$(ctl lookup tcp 203.0.113.10 40000 192.0.2.130 8080 fwmark 42 2>&1)
echo "    $look"
check "lookup with the mark finds FWM 42 and the real on port 8080" grep -q "198.51.100.13:8080" <<<"$look"
look=$(ctl lookup tcp 203.0.113.10 40000 192.0.2.121 8080 2>&1)
check "lookup of a member finds the group" grep -q "group web" <<<"$look"

echo "== runtime edits: -a -f 42 adds a real; -e by a member's VIP:PORT edits the group"
check "directorctl -a -f 42 -r 198.51.100.12 -b" ctl -a -f 42 -r 198.51.100.12 -b
out=$(for ((i = 0; i < 6; i++)); do lab_get http://192.0.2.130:8080/ --local-port $((21400 + i)) || echo error; done)
expect_eq "the added real shares the marked traffic" "real1=0 real2=3 real3=3" "$(count_reals <<<"$out")"
check "directorctl -e -t 192.0.2.121:8080 -r 198.51.100.12:80 -w 0 (drain)" ctl -e -t 192.0.2.121:8080 -r 198.51.100.12:80 -w 0
out=$(for ((i = 0; i < 4; i++)); do lab_get http://192.0.2.110/ --local-port $((21500 + i)) || echo error; done)
expect_eq "draining via one member drains the whole group" "real1=4 real2=0 real3=0" "$(count_reals <<<"$out")"

check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
check "no directord nft table left in dir1" bash -c "! ip netns exec $(ns dir1) nft list tables | grep -qw directord"
finish
