#!/usr/bin/env bash
# TUN interop: the director's IP-in-IP packets are taken apart by a decapsulator we did not
# write — scapy's IPIP dissector (tests/netns/scapy_decap.py only hands the inner packet to the
# real's own stack) — and the real's unmodified server answers the client: real1 runs no
# directord-real, just the VIP on lo with arp_ignore/arp_announce, as a real with the kernel's
# ipip module would.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
PY=$(lab_python)
"$PY" -c "import scapy.all" 2>/dev/null || { echo "SKIP: needs python3-scapy"; exit 77; }
LAB_NODES=(client router br dir1 real1)
LAB_LAN_NODES=(router dir1 real1)
LAB_DIRECTORS=(dir1)
LAB_REALS=(real1)
lab_up
lab_tun_layout
start_reals
# The VIP on lo, never answered for by ARP; replies leave by real1's default route (the router).
on real1 ip addr add "$VIP_TUN4/32" dev lo
_lab_sysctl real1 net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
  net.ipv4.conf.lan0.arp_ignore=1 net.ipv4.conf.lan0.arp_announce=2
# No handler for protocol 4 in this kernel: keep it from answering each IPIP packet with an ICMP
# protocol-unreachable (the decapsulator reads them from the wire).
on real1 nft -f - <<'NFT'
table inet interop {
	chain in {
		type filter hook input priority 0;
		meta l4proto 4 drop
	}
}
NFT
# veth hands the client's segments on with the TCP checksum still to be filled in (offload); a
# decapsulator that reads the wire, as this one does, needs them final.
on client ethtool -K eth0 tx off >/dev/null
CONF="$LAB_STATE_DIR/dir1.conf"
cat >"$CONF" <<EOF2
global_defs {
    lb_hash_seed 0x1234abcd
}
static_ipaddress {
    $VIP_TUN4/32 dev lan0
}
virtual_server $VIP_TUN4 80 {
    lb_algo mh
    lb_kind TUN
    real_server ${LAB_IP4[real1]} 80
}
EOF2
SOCK="$LAB_STATE_DIR/dir1.sock"
directord_start dir1 "$CONF" "$SOCK" || { fail "directord starts"; finish; }
lab_spawn real1 "$LAB_STATE_DIR/decap.log" "$PY" -u "$HERE/scapy_decap.py" lan0 200 20
DECAP=$LAB_LAST_PID
check "the decapsulator is ready" lab_wait_for 10 grep -q sniffing "$LAB_STATE_DIR/decap.log"
ok=0
for ((i = 0; i < 5; i++)); do
  body=$(lab_get "http://$VIP_TUN4/" --local-port $((35000 + i))) || body=error
  [ "$body" = "real1 $CLIENT4" ] && ok=$((ok + 1))
done
expect_eq "5 of 5 requests answered by real1 through scapy's decapsulation (the server saw $CLIENT4)" 5 "$ok"
lab_stop_pid "$DECAP" >/dev/null 2>&1
n=$(grep -o 'decapsulated [0-9]*' "$LAB_STATE_DIR/decap.log" | tail -n 1 | awk '{print $2}')
check "scapy decapsulated the director's packets (${n:-?})" test "${n:-0}" -ge 5
check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
finish
