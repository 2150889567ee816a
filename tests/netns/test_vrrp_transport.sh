#!/usr/bin/env bash
# VRRP's I/O adapters against a real kernel: RawSocketTransport (adverts over raw IP, v4 and v6,
# multicast and unicast, TTL 255), PacketAnnouncer (gratuitous ARP, unsolicited NA) and
# NetlinkLinkMonitor (link state, source address, up/down events). Two throwaway namespaces
# joined by a veth pair; the gtest binary runs in A and setns()es into B to watch the wire:
#
#   A  vrrpa  198.51.100.100/32 (VIP, first)  198.51.100.1/24  fd00:1::1/64  fd00:1::100/128
#   B  vrrpb  198.51.100.2/24                 fd00:1::2/64
#
# Frames the binary captured in B are then decoded by tshark (when installed): no "Malformed".
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: ${0##*/} needs root (network namespaces)"
  exit 77
fi
command -v ip >/dev/null || { echo "SKIP: ${0##*/} needs ip"; exit 77; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${HA_BUILD_DIR:-$HERE/../../build/dev}
BIN=$BUILD_DIR/tests/netns_bin/vrrp_transport_netns_test
[ -x "$BIN" ] || { echo "FAIL: $BIN not built (cmake --build $BUILD_DIR --target vrrp_transport_netns_test)"; exit 1; }

TAG=$$-$RANDOM
NSA=ha-vrrpa-$TAG
NSB=ha-vrrpb-$TAG
WORK=$(mktemp -d "/tmp/ha-vrrp-transport.XXXXXX")
cleanup() {
  ip netns del "$NSA" 2>/dev/null || true
  ip netns del "$NSB" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for n in "$NSA" "$NSB"; do
  ip netns add "$n" || { echo "FAIL: cannot create namespace $n"; exit 1; }
  ip -n "$n" link set lo up
  # Before the veth exists, so its link-local is usable at once (no DAD wait).
  ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 >/dev/null
done
if ! ip -n "$NSA" link add vrrpa type veth peer name vrrpb netns "$NSB" 2>/dev/null; then
  echo "SKIP: ${0##*/} needs the veth interface type"
  exit 77
fi
# The VIP goes first: primaryAddress() must skip it although the kernel lists it first.
ip -n "$NSA" addr add 198.51.100.100/32 dev vrrpa
ip -n "$NSA" addr add 198.51.100.1/24 dev vrrpa
ip -n "$NSA" addr add fd00:1::1/64 dev vrrpa nodad
ip -n "$NSA" addr add fd00:1::100/128 dev vrrpa nodad
ip -n "$NSB" addr add 198.51.100.2/24 dev vrrpb
ip -n "$NSB" addr add fd00:1::2/64 dev vrrpb nodad
ip -n "$NSA" link set vrrpa up
ip -n "$NSB" link set vrrpb up

# Both link-locals present and past DAD (bounded: 5 s).
lladdr_ready() {
  ip -n "$1" -6 addr show dev "$2" scope link | grep -q "inet6 fe80" &&
    ! ip -n "$1" -6 addr show dev "$2" scope link | grep -q tentative
}
for ((i = 0; i < 50; i++)); do
  lladdr_ready "$NSA" vrrpa && lladdr_ready "$NSB" vrrpb && break
  sleep 0.1
done
lladdr_ready "$NSA" vrrpa && lladdr_ready "$NSB" vrrpb || { echo "FAIL: no usable link-local after 5 s"; exit 1; }

failed=0
check() {  # check DESCRIPTION COMMAND...
  if "${@:2}"; then echo "ok   - $1"; else echo "FAIL - $1"; failed=1; fi
}

echo "== VRRP transport, announcer and link monitor in namespaces $NSA / $NSB"
HA_NETNS_PEER=/run/netns/$NSB HA_NETNS_PCAP_DIR=$WORK ip netns exec "$NSA" "$BIN" --gtest_brief=1
check "vrrp_transport_netns_test passes" test $? -eq 0

# tshark's reading of what went over the wire; "Malformed" would mean a field it could not parse.
decoded() {  # decoded PCAP PATTERN
  local out
  out=$(tshark -r "$WORK/$1" -V 2>/dev/null) || return 1
  grep -q "$2" <<<"$out" && ! grep -qi malformed <<<"$out"
}
if command -v tshark >/dev/null; then
  for f in garp.pcap na.pcap vrrp4.pcap vrrp6.pcap; do
    check "$f was captured" test -s "$WORK/$f"
  done
  check "tshark: gratuitous ARP" decoded garp.pcap "Is gratuitous: True"
  check "tshark: neighbour advert, Override set" decoded na.pcap "Override: Set"
  check "tshark: neighbour advert, Router set (RFC 5798 §6.4.1)" decoded na.pcap "Router: Set"
  check "tshark: NA target link-layer option" decoded na.pcap "Target link-layer address"
  check "tshark: VRRPv3 over IPv4" decoded vrrp4.pcap "Virtual Router Redundancy Protocol"
  check "tshark: VRRPv3 over IPv6" decoded vrrp6.pcap "Virtual Router Redundancy Protocol"
  check "tshark: NA checksum correct" decoded na.pcap 'Checksum: 0x[0-9a-f]* \[correct\]'
  check "tshark: VRRPv3 (IPv4) checksum correct" decoded vrrp4.pcap 'Checksum: 0x[0-9a-f]* \[correct\]'
  check "tshark: VRRPv3 (IPv6) checksum correct" decoded vrrp6.pcap 'Checksum: 0x[0-9a-f]* \[correct\]'
else
  echo "note - tshark not installed: decoded checks skipped"
fi

[ "$failed" -eq 0 ] && echo "PASS: ${0##*/}" || echo "FAIL: ${0##*/}"
exit "$failed"
