#!/usr/bin/env bash
# Captures real keepalived VRRP adverts and writes them as golden files for
# tests/unit/vrrp/packet_test.cc (format: tests/unit/data/vrrp/README.md).
#
# Needs root, keepalived, tcpdump and tshark. Everything runs in a throwaway network namespace
# (ha-cap-$$) holding one veth pair; keepalived sends on one end, tcpdump listens on the other, so
# the host's interfaces, pid files and VRRP traffic are never touched. The namespace, the
# keepalived and tcpdump processes this script started and its temp dir are removed on any exit.
#
# Usage: sudo scripts/capture-keepalived-adverts.sh [OUT_DIR]   (default tests/unit/data/vrrp)
#        KEEP_TMP=1 keeps the pcaps and tshark -V dumps under the printed temp dir.
set -eEuo pipefail  # -E: the ERR trap below also reports failures inside capture()

if [[ $EUID -ne 0 ]]; then
  echo "capture-keepalived-adverts: needs root (network namespace, raw sockets)" >&2
  exit 77
fi
for tool in keepalived tcpdump tshark ip; do
  command -v "$tool" >/dev/null || { echo "capture-keepalived-adverts: $tool not found" >&2; exit 77; }
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out_dir=${1:-$here/../tests/unit/data/vrrp}
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)

ns=ha-cap-$$
tmp=$(mktemp -d /tmp/ha-cap.XXXXXX)
pids=()  # only processes this script started

cleanup() {
  local pid pidfile
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  # A keepalived of ours that outlived its parent (its pid files live only in our temp dir).
  for pidfile in "$tmp"/*.pid; do
    [[ -s $pidfile ]] && kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
  done
  ip netns del "$ns" 2>/dev/null || true
  if [[ -n ${KEEP_TMP:-} ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'echo "capture-keepalived-adverts: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

# Foreground only: a backgrounded shell function would make $! the subshell, not the program.
in_ns() { ip netns exec "$ns" "$@"; }

ip netns add "$ns"
# No DAD: keepalived's IPv6 adverts leave from the link-local address, which must not be tentative.
in_ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
in_ns ip link set lo up
# Fixed, locally administered MACs: the IPv6 link-local source (EUI-64, fe80::ff:fe00:1) and so
# the v3 IPv6 checksum come out the same on every run.
in_ns ip link add veth0 address 02:00:00:00:00:01 type veth peer name veth1 address 02:00:00:00:00:02
in_ns ip link set veth0 up
in_ns ip link set veth1 up
# Documentation ranges only (RFC 5737, RFC 4193 ULA).
in_ns ip addr add 198.51.100.1/24 dev veth0
in_ns ip addr add 198.51.100.2/24 dev veth1
in_ns ip addr add fd00:1::1/64 dev veth0 nodad
in_ns ip addr add fd00:1::2/64 dev veth1 nodad
sleep 1  # link-local addresses and multicast joins settle

ka_version=$(keepalived --version 2>&1 | sed -n 1p)
tshark_version=$(tshark --version 2>/dev/null | sed -n 1p)

# capture NAME SUMMARY CONFIG: runs keepalived with CONFIG for a few seconds, captures on the peer
# end, and writes NAME.hex from its first advert with a non-zero priority (priority 0 is the
# shutdown advert, RFC 5798 §6.4.3).
capture() {
  local name=$1 summary=$2 config=$3
  local conf=$tmp/$name.conf pcap=$tmp/$name.pcap
  printf '%s\n' "$config" >"$conf"

  # `ip netns exec` execs its program, so $! is tcpdump (and below, keepalived's parent process).
  ip netns exec "$ns" tcpdump -i veth1 -U -n -w "$pcap" 'ip proto 112 or ip6 proto 112' 2>"$tmp/$name.tcpdump.log" &
  local tcpdump_pid=$!
  pids+=("$tcpdump_pid")
  sleep 1
  # SIGTERM to keepalived's parent stops its VRRP child too. Pid files under $tmp: nothing
  # collides with a keepalived on the host. It starts in BACKUP and becomes master after
  # Master_Down_Interval (~3.6 s at advert_int 1), hence the wait.
  ip netns exec "$ns" keepalived -P -n -l -G -D -f "$conf" -p "$tmp/$name.pid" -r "$tmp/$name.vrrp.pid" \
    >"$tmp/$name.keepalived.log" 2>&1 &
  local ka_pid=$!
  pids+=("$ka_pid")
  sleep 6
  kill -TERM "$ka_pid" 2>/dev/null || true
  wait "$ka_pid" 2>/dev/null || true
  sleep 1
  kill -TERM "$tcpdump_pid" 2>/dev/null || true
  wait "$tcpdump_pid" 2>/dev/null || true
  pids=()  # both reaped: never signal a recycled pid from cleanup()

  tshark -r "$pcap" -V >"$tmp/$name.tshark.txt" 2>/dev/null
  local frame
  frame=$(tshark -r "$pcap" -Y 'vrrp && vrrp.prio != 0' -T fields -e frame.number 2>/dev/null | sed -n 1p)
  if [[ -z $frame ]]; then
    echo "capture-keepalived-adverts: no advert captured for $name; keepalived said:" >&2
    cat "$tmp/$name.keepalived.log" >&2
    exit 1
  fi
  local src dst ttl payload
  read -r src dst ttl < <(tshark -r "$pcap" -Y "frame.number == $frame" -T fields -E separator=' ' \
    -e ip.src -e ip.dst -e ip.ttl -e ipv6.src -e ipv6.dst -e ipv6.hlim 2>/dev/null)
  # With the VRRP dissector off, the IP payload is shown as plain data: the VRRP message exactly.
  payload=$(tshark -r "$pcap" --disable-protocol vrrp -Y "frame.number == $frame" -T fields \
    -e data.data 2>/dev/null)
  # What tshark's own VRRP dissector makes of the same frame (checksum verdict included).
  local verdict
  verdict=$(tshark -r "$pcap" -Y "frame.number == $frame" -O vrrp -V 2>/dev/null |
    sed -n '/^Virtual Router Redundancy Protocol/,/^$/p' | sed '/^$/d; s/^/#   /')

  {
    echo "# $ka_version advert, captured by scripts/capture-keepalived-adverts.sh"
    echo "# config: $summary"
    echo "# frame $frame of the capture: src $src dst $dst ttl/hop limit $ttl"
    echo "# tshark -V (${tshark_version%% (Git*}, default preferences) dissects it as:"
    echo "$verdict"
    echo "src $src"
    echo "dst $dst"
    echo "ttl $ttl"
    # One 32-bit row of the RFC 5798 §5.1 diagram per line.
    echo "$payload" | sed 's/../& /g; s/ $//' | tr ' ' '\n' | paste -d' ' - - - -
  } >"$out_dir/$name.hex"
  echo "wrote $out_dir/$name.hex (frame $frame: $src -> $dst, ${#payload} hex digits)"
}

capture keepalived_v3_ipv4 \
  "vrrp_version 3, IPv4 multicast, virtual_router_id 51, priority 150, advert_int 1, VIPs 192.0.2.10/32 192.0.2.11/32" \
  "global_defs {
  router_id ha-cap
  vrrp_version 3
}
vrrp_instance CAP4 {
  state MASTER
  interface veth0
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.10/32
    192.0.2.11/32
  }
}"

capture keepalived_v3_ipv6 \
  "vrrp_version 3, IPv6 multicast, virtual_router_id 52, priority 100, advert_int 0.1, VIP fd00:2::10/128" \
  "global_defs {
  router_id ha-cap
  vrrp_version 3
}
vrrp_instance CAP6 {
  state MASTER
  interface veth0
  virtual_router_id 52
  priority 100
  advert_int 0.1
  virtual_ipaddress {
    fd00:2::10/128
  }
}"

capture keepalived_v2_pass \
  "vrrp_version 2, IPv4 multicast, virtual_router_id 53, priority 150, advert_int 1, auth_type PASS auth_pass secret12, VIP 192.0.2.20/32" \
  "global_defs {
  router_id ha-cap
  vrrp_version 2
}
vrrp_instance CAP2 {
  state MASTER
  interface veth0
  virtual_router_id 53
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret12
  }
  virtual_ipaddress {
    192.0.2.20/32
  }
}"
