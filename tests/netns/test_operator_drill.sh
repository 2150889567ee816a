#!/usr/bin/env bash
# An operator's keepalived.conf, the way such files are written: a VRRP pair (VRRPv3, advert
# 0.1 s) holding a range of VIPs and a local address, a virtual_server_group over
# that range, no lb_algo (keepalived's default, wlc), FULLNAT with persistence, and HTTP_GET
# checks with status_code. It must load unchanged on both directors and:
#  - elect dir1, which holds both VIPs and the local address; dir2 holds none;
#  - say "wlc" for the group on both (keepalived's default), with its members, in -L;
#  - answer through both member VIPs, one client always on one real (persistence), from the
#    local address;
#  - take a real out when its HTTP_GET fails (the real refuses port 80) and back when it answers,
#    without a failed request through the VIPs meanwhile;
#  - on kill -9 of dir1, move the VIPs to dir2 within 1 s and keep answering through both;
#  - name the next pick in `directorctl lookup` (wlc: the counts it chose from).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
start_reals

real_block() {  # LAST-OCTET WEIGHT: a real_server with keepalived's usual HTTP_GET
  cat <<EOF
    real_server 198.51.100.$1 80 {
        weight $2
        HTTP_GET {
            url {
              path /
              status_code 200
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
EOF
}

write_conf() {  # NODE PRIORITY
  cat >"$LAB_STATE_DIR/$1.conf" <<EOF
! Configuration File for keepalived
global_defs {
   router_id $1
   vrrp_garp_master_delay 1
   vrrp_version 3
}

vrrp_instance VI_WEB {
    state BACKUP
    interface lan0
    virtual_router_id 61
    priority $2
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.100/32 dev lan0
        192.0.2.101/32 dev lan0
        198.51.100.200/32 dev lan0
    }
}

local_address_group LAG {
    198.51.100.200
}

virtual_server_group WEB {
    192.0.2.100-101 80
}

virtual_server group WEB {
    delay_loop 1
    lb_kind FNAT
    laddr_group_name LAG
    persistence_timeout 60
    protocol TCP

$(for r in 11:1 12:1 13:2; do real_block "${r%:*}" "${r#*:}"; done)
}
EOF
}

S1="$LAB_STATE_DIR/dir1.sock"
S2="$LAB_STATE_DIR/dir2.sock"
write_conf dir1 150
write_conf dir2 100

echo "== the config loads unchanged, with keepalived's note"
out=$(on dir1 "$DIRECTORD" -t -f "$LAB_STATE_DIR/dir1.conf" 2>&1)
check "directord -t accepts it ($(tr '\n' ' ' <<<"$out" | cut -c1-160))" \
  on dir1 "$DIRECTORD" -t -f "$LAB_STATE_DIR/dir1.conf"
check "the default scheduler is announced as keepalived does" \
  grep -q "no scheduler set, setting default 'wlc'" <<<"$out"

directord_start dir2 "$LAB_STATE_DIR/dir2.conf" "$S2" || { fail "directord starts in dir2"; finish; }
directord_start dir1 "$LAB_STATE_DIR/dir1.conf" "$S1" || { fail "directord starts in dir1"; finish; }
P1=$DIRECTORD_PID

holds_not() { ! holds_address "$@"; }

echo "== election"
check "dir1 becomes MASTER within 3 s" wait_vrrp_state 3 dir1 "$S1" MASTER VI_WEB
check "dir2 is BACKUP" wait_vrrp_state 3 dir2 "$S2" BACKUP VI_WEB
for a in 192.0.2.100 192.0.2.101 198.51.100.200; do
  check "dir1 holds $a" holds_address dir1 "$a"
  check "dir2 does not hold $a" holds_not dir2 "$a"
done

ctl() { local node=$1 sock=$2; shift 2; on "$node" "$DIRECTORCTL" --admin-socket "$sock" "$@"; }
# reals_listed NODE SOCK: how many of the three reals are up (their HTTP_GET passed; -L keeps a
# down real's line, with its Health column saying so).
reals_listed() { ctl "$1" "$2" -L -n 2>/dev/null | grep -- "-> 198.51.100.1[123]:80" | grep -cw up; }
wait_reals() {  # NODE SOCK COUNT SECONDS
  local i
  for ((i = 0; i < $4 * 10; i++)); do
    [ "$(reals_listed "$1" "$2")" = "$3" ] && return 0
    sleep 0.1
  done
  return 1
}
check "dir1 lists the three reals once their HTTP_GET passed" wait_reals dir1 "$S1" 3 5
listing=$(ctl dir1 "$S1" -L -n)
check "-L names wlc with persistence for the group" grep -Eq "wlc.*persistent 60" <<<"$listing"
check "-L resolves a group member (-t 192.0.2.101:80) to the group" \
  ctl dir1 "$S1" -L -n -t 192.0.2.101:80
check "dir2 runs the same service (wlc)" grep -q "wlc" <<<"$(ctl dir2 "$S2" -L -n)"

echo "== traffic through both member VIPs; persistence keeps the client on one real"
first=$(vip_request 192.0.2.100)
check "a request through 192.0.2.100 is answered from the local address ($first)" \
  grep -q " 198.51.100.200$" <<<"$first"
sticky=${first%% *}
answers=""
for ((i = 0; i < 10; i++)); do
  answers+="$(vip_request 192.0.2.100) "
  answers+="$(vip_request 192.0.2.101) "
done
expect_eq "20 requests over both VIPs reach one real ($sticky), as persistence says" \
  "20" "$(tr ' ' '\n' <<<"$answers" | grep -c "^$sticky$")"
look=$(ctl dir1 "$S1" lookup tcp 203.0.113.99 40000 192.0.2.100 80 2>&1)
check "lookup names wlc's next pick for a new client ($(head -c 160 <<<"$look"))" \
  grep -q "wlc: the next connection goes to" <<<"$look"

echo "== HTTP_GET takes the persistent client's real out, and back"
on "$sticky" nft -f - <<EOF
table inet drill {
  chain input { type filter hook input priority 0; tcp dport 80 reject with tcp reset; }
}
EOF
# keepalived's bound: delay_loop + retry x delay_before_retry + connect_timeout = 3 s, plus a loop.
check "$sticky is taken down within 5 s of refusing port 80" wait_reals dir1 "$S1" 2 5
failures=0
for ((i = 0; i < 10; i++)); do
  r=$(vip_request 192.0.2.101) || r=""
  [ -n "$r" ] && [ "${r%% *}" != "$sticky" ] || failures=$((failures + 1))
done
expect_eq "10 new requests while $sticky is out are all answered by the others" 0 "$failures"
on "$sticky" nft delete table inet drill
check "$sticky returns within 4 s of answering again" wait_reals dir1 "$S1" 3 4

echo "== kill -9 dir1: dir2 takes the VIPs and answers"
kill -9 "$P1"
t0=$(date +%s%N)
check "dir2 becomes MASTER" wait_vrrp_state 3 dir2 "$S2" MASTER VI_WEB
took_ms=$((($(date +%s%N) - t0) / 1000000))
check "within 1 s ($took_ms ms)" test "$took_ms" -le 1000
check "dir2 lists the three reals" wait_reals dir2 "$S2" 3 5
ok=0
for ((i = 0; i < 5; i++)); do
  vip_request 192.0.2.100 | grep -q " 198.51.100.200$" && ok=$((ok + 1))
  vip_request 192.0.2.101 | grep -q " 198.51.100.200$" && ok=$((ok + 1))
done
expect_eq "10 requests through both VIPs are answered via dir2" 10 "$ok"
finish
