#!/usr/bin/env bash
# DR (LVS-DR) end to end (etc/lab-dr.conf in dir1, mh + mh-port): the reals hold the VIP on lo;
# replies go real -> router and never pass dir1; for 20 client source ports the real that answered
# is the one `directorctl lookup` names (the flow-lookup oracle matches the kernel's hash).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
start_reals
real_dr_setup "$VIP_DR4"
CONF="$LAB_SOURCE_DIR/etc/lab-dr.conf"
SOCK="$LAB_STATE_DIR/dir1.sock"
VIP=$VIP_DR4

# Count packets sourced from the VIP arriving on dir1's and the router's lan0 (separate tables,
# so they do not touch directord's).
for node in dir1 router; do
  on "$node" nft -f - <<'EOF2' || fail "load the reply counter in $node"
table netdev dtest_count {
	counter replies { }
	chain in_lan0 {
		type filter hook ingress device "lan0" priority -1000; policy accept;
		ip saddr 192.0.2.102 tcp sport 80 counter name replies
	}
}
EOF2
done
replies() { on "$1" nft list counter netdev dtest_count replies | awk '/packets/ {print $2}'; }

directord_start dir1 "$CONF" "$SOCK" || { fail "directord starts with $CONF"; finish; }
pass "directord started in dir1 (pid $DIRECTORD_PID)"
check "dir1 holds the VIP $VIP (within 5 s)" lab_wait_for 5 on dir1 sh -c "ip -4 addr show dev lan0 | grep -q 'inet $VIP/'"

echo "== 20 connections from distinct source ports; answer vs directorctl lookup"
declare -A addr_of=([real1]=198.51.100.11:80 [real2]=198.51.100.12:80 [real3]=198.51.100.13:80)
answered=0 matched=0 used=""
for ((i = 0; i < 20; i++)); do
  port=$((30000 + 7 * i))
  body=$(lab_get "http://$VIP/" --local-port "$port") || body="error"
  real=${body%% *}
  want=$(on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" lookup tcp "$CLIENT4" "$port" "$VIP" 80 2>&1 |
    grep -oE '198\.51\.100\.1[123]:80' | head -n 1)
  got=${addr_of[$real]:-none}
  [[ $body == real* ]] && answered=$((answered + 1))
  [[ $body == *" $CLIENT4" ]] || echo "    port $port: the real saw '${body#* }', not $CLIENT4"
  if [ "$got" = "$want" ]; then matched=$((matched + 1)); else echo "    port $port: answered by $got, lookup says ${want:-nothing}"; fi
  used+="$real "
done
expect_eq "all 20 connections answered" 20 "$answered"
expect_eq "answering real == directorctl lookup, for every port" 20 "$matched"
check "mh-port spread the 20 flows over more than one real ($(tr ' ' '\n' <<<"$used" | grep . | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}'))" \
  test "$(tr ' ' '\n' <<<"$used" | grep real | sort -u | wc -l)" -ge 2

echo "== replies bypass the director"
d=$(replies dir1); r=$(replies router)
expect_eq "dir1 received no packet from $VIP:80 (replies went real -> router)" 0 "$d"
check "the router received the replies from the reals ($r packets)" test "${r:-0}" -ge 40
ct=$(on dir1 conntrack -L -d "$VIP" 2>/dev/null | grep -c "dport=80")
expect_eq "dir1 tracks no connection to the DR VIP (netdev ingress, before conntrack)" 0 "$ct"

check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
check "no directord nft table left in dir1" bash -c "! ip netns exec $(ns dir1) nft list tables | grep -qw directord"
finish
