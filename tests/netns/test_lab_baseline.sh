#!/usr/bin/env bash
# The lab itself works, without directord: hand-written nftables rules (baseline_*.nft) carry curl
# from the client to a VIP in FULLNAT, NAT and DR mode. If this fails, every directord netns test
# will too, and the fault is in the lab or the kernel, not in directord.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
lab_up
start_reals

# curls N times from the client to URL, each a new connection from local port BASE+i.
curl_n() {
  local n=$1 url=$2 base=$3 i
  for ((i = 0; i < n; i++)); do lab_get "$url" --local-port $((base + i)) || echo "error"; done
}

echo "== FULLNAT (baseline_fullnat.nft): dnat to a real + snat to 198.51.100.200"
on dir1 ip addr add 192.0.2.100/32 dev lan0
on dir1 ip addr add 198.51.100.200/32 dev lan0
on dir1 nft -f "$HERE/baseline_fullnat.nft" || fail "load baseline_fullnat.nft"
out=$(curl_n 30 http://192.0.2.100/ 20000)
expect_eq "FULLNAT: 30 curls spread round robin" "real1=10 real2=10 real3=10" "$(count_reals <<<"$out")"
expect_eq "FULLNAT: reals saw the local address" "198.51.100.200" "$(awk '{print $2}' <<<"$out" | sort -u | tr '\n' ' ' | sed 's/ $//')"

echo "== FULLNAT UDP/53 and IPv6 (inline rules): the lab's ND for VIPs and the UDP echo work"
on dir1 ip addr add fd00:2::100/128 dev lan0 nodad
on dir1 ip addr add fd00:1::200/128 dev lan0 nodad
on dir1 nft -f - <<'EOF2' || fail "load inline UDP/IPv6 FULLNAT rules"
table inet dbaseline_more {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 192.0.2.100 udp dport 53 dnat ip to numgen inc mod 3 map { 0 : 198.51.100.11, 1 : 198.51.100.12, 2 : 198.51.100.13 }
		ip6 daddr fd00:2::100 tcp dport 80 dnat ip6 to numgen inc mod 3 map { 0 : fd00:1::11, 1 : fd00:1::12, 2 : fd00:1::13 }
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ct original ip daddr 192.0.2.100 snat ip to 198.51.100.200
		ct original ip6 daddr fd00:2::100 snat ip6 to fd00:1::200
	}
}
EOF2
out=$(for _ in 1 2 3; do on client "$(lab_python)" "$HERE/netclient.py" udp 192.0.2.100 53 || echo error; done)
expect_eq "FULLNAT UDP: 3 datagrams, one per real" "real1=1 real2=1 real3=1" "$(count_reals <<<"$out")"
expect_eq "FULLNAT UDP: reals saw the local address" "198.51.100.200" "$(awk '{print $2}' <<<"$out" | sort -u | tr '\n' ' ' | sed 's/ $//')"
out=$(curl_n 6 'http://[fd00:2::100]/' 24000)
expect_eq "FULLNAT IPv6: 6 curls spread round robin" "real1=2 real2=2 real3=2" "$(count_reals <<<"$out")"
expect_eq "FULLNAT IPv6: reals saw the local address" "fd00:1::200" "$(awk '{print $2}' <<<"$out" | sort -u | tr '\n' ' ' | sed 's/ $//')"
on dir1 nft delete table ip dbaseline
on dir1 nft delete table inet dbaseline_more
on dir1 ip addr del 192.0.2.100/32 dev lan0

echo "== DR (baseline_dr.nft): netdev ingress fwd, reals hold the VIP on lo, replies bypass dir1"
real_dr_setup "$VIP_DR4"
on dir1 ip addr add 192.0.2.102/32 dev lan0
on dir1 nft -f "$HERE/baseline_dr.nft" || fail "load baseline_dr.nft"
# A second table counts what dir1 receives from the VIP: DR replies must never pass through it.
on dir1 nft -f - <<'EOF'
table netdev dtest_count {
	chain in_lan0 {
		type filter hook ingress device "lan0" priority -600; policy accept;
		ip saddr 192.0.2.102 counter name replies
	}
	counter replies { }
}
EOF
on router nft -f - <<'EOF'
table netdev dtest_count {
	chain in_lan0 {
		type filter hook ingress device "lan0" priority 0; policy accept;
		ip saddr 192.0.2.102 tcp sport 80 counter name replies
	}
	counter replies { }
}
EOF
out=$(curl_n 30 http://192.0.2.102/ 21000)
dist=$(count_reals <<<"$out")
check "DR: 30 curls all answered ($dist)" test "$(grep -c '^real' <<<"$out")" -eq 30
check "DR: more than one real used" test "$(awk '{print $1}' <<<"$out" | sort -u | grep -c real)" -ge 2
expect_eq "DR: reals saw the client address" "203.0.113.10" "$(awk '{print $2}' <<<"$out" | sort -u | tr '\n' ' ' | sed 's/ $//')"
dir_replies=$(on dir1 nft list counter netdev dtest_count replies | awk '/packets/ {print $2}')
rtr_replies=$(on router nft list counter netdev dtest_count replies | awk '/packets/ {print $2}')
expect_eq "DR: dir1 received no reply packets" 0 "$dir_replies"
check "DR: the router received the replies from the reals ($rtr_replies packets)" test "${rtr_replies:-0}" -ge 60

echo "== NAT (baseline_nat.nft): dnat only, reals route via dir1"
reals_route_via_director 198.51.100.2 fd00:1::2
on dir1 ip addr add 192.0.2.101/32 dev lan0
on dir1 nft -f "$HERE/baseline_nat.nft" || fail "load baseline_nat.nft"
out=$(curl_n 30 http://192.0.2.101/ 22000)
expect_eq "NAT: 30 curls spread round robin" "real1=10 real2=10 real3=10" "$(count_reals <<<"$out")"
expect_eq "NAT: reals saw the client address" "203.0.113.10" "$(awk '{print $2}' <<<"$out" | sort -u | tr '\n' ' ' | sed 's/ $//')"

echo "== DR and NAT side by side (the demo's config): DR replies still bypass dir1"
# real_dr_setup's policy rule sends VIP-sourced replies via the router even with NAT routing.
out=$(curl_n 9 http://192.0.2.102/ 23000)
check "DR with NAT routing: 9 curls answered" test "$(grep -c '^real' <<<"$out")" -eq 9
dir_replies=$(on dir1 nft list counter netdev dtest_count replies | awk '/packets/ {print $2}')
expect_eq "DR with NAT routing: dir1 received no reply packets" 0 "$dir_replies"

finish
