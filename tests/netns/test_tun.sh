#!/usr/bin/env bash
# TUN (LVS-TUN) end to end: etc/lab-tun.conf on a VRRPv3 pair; the reals sit in their own subnet
# behind the router (lib.sh lab_tun_layout) and take packets only by tunnel (directord-real tun up).
#   - HTTP through the VIP (IPv4 and IPv6) spreads over the 3 reals, which see the client's address;
#   - a 50 MB download does not pass the director (its lan0 tx counter), a 20 MB upload completes
#     (oversize packets are answered with ICMP frag-needed, so the client's path MTU shrinks);
#   - 200 fixed flows reach the same real through dir1 and, after a failover, through dir2; and
#     the real `directorctl lookup` names;
#   - the director keeps no conntrack entry for the VIP; stop detaches the datapath.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
[ -x "$DIRECTORD_REAL" ] || { echo "FAIL: binary not found: $DIRECTORD_REAL"; exit 1; }
lab_up
lab_tun_layout
start_reals
real_tun_setup "$VIP_TUN4" "$VIP_TUN6"
CONF="$LAB_SOURCE_DIR/etc/lab-tun.conf"
PY=$(lab_python)
declare -A PID SOCK
start_director() {
  local d=$1
  SOCK[$d]="$LAB_STATE_DIR/$d.sock"
  rm -f "${SOCK[$d]}"
  lab_spawn "$d" "$LAB_STATE_DIR/directord-$d.log" "$DIRECTORD" -f "$CONF" -i "$d" -l -n --admin-socket "${SOCK[$d]}"
  PID[$d]=$LAB_LAST_PID
  check "directord started in $d" lab_wait_for 5 test -S "${SOCK[$d]}"
}
start_director dir1
check "dir1 holds the VIP $VIP_TUN4 (within 5 s)" lab_wait_for 5 holds_address dir1 "$VIP_TUN4"
check "dir1's datapath is attached to lan0 (tcx ingress)" lab_wait_for 3 sh -c \
  "ip netns exec $(ns dir1) $DIRECTORCTL --admin-socket ${SOCK[dir1]} status | grep -q 'attached to lan0'"
# The pinned tcx link of a director: PIN_DIR/tcx-ingress-<ifindex of lan0>.
pin_of() {
  local ino ifindex
  ino=$(stat -L -c %i "/run/netns/$(ns "$1")") ifindex=$(on "$1" cat /sys/class/net/lan0/ifindex)
  echo "$LAB_BPFFS/directord/net-$ino/tcx-ingress-$ifindex"
}
check "dir1 pinned its link ($(pin_of dir1))" test -e "$(pin_of dir1)"

echo "== HTTP through the VIP"
used="" seen_client=0
for ((i = 0; i < 30; i++)); do
  body=$(lab_get "http://$VIP_TUN4/" --local-port $((31000 + i))) || body="error"
  used+="${body%% *} "
  [[ $body == *" $CLIENT4" ]] && seen_client=$((seen_client + 1))
done
spread=$(tr ' ' '\n' <<<"$used" | grep -c '^real[123]$')
reals=$(tr ' ' '\n' <<<"$used" | grep '^real' | sort -u | wc -l)
expect_eq "30 of 30 requests answered" 30 "$spread"
expect_eq "the flows spread over the 3 reals ($(tr ' ' '\n' <<<"$used" | grep . | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}'))" 3 "$reals"
expect_eq "every real saw the client's own address" 30 "$seen_client"
body6=$(lab_get "http://[$VIP_TUN6]/") || body6=error
check "IPv6-in-IPv6: $VIP_TUN6 answered ($body6)" test "${body6#* }" = "$CLIENT6"
ct=$(on dir1 conntrack -L -d "$VIP_TUN4" 2>/dev/null | grep -c "dport=80")
expect_eq "dir1 tracks no connection to the TUN VIP (tcx ingress, before conntrack)" 0 "$ct"

echo "== 50 MB download: the bytes do not pass the director"
txb() { on "$1" cat "/sys/class/net/$2/statistics/tx_bytes"; }
d0=$(txb dir1 lan0)
size=$(on client curl -sS -g --max-time 30 -o /dev/null -w '%{size_download}' "http://$VIP_TUN4/bytes/52428800") || size=0
d1=$(txb dir1 lan0)
expect_eq "the download arrived whole" 52428800 "$size"
sent=$((d1 - d0))
check "dir1 sent $((sent / 1024)) KiB on lan0 for it (the client's ACKs, encapsulated: < 10% of 50 MB)" test "$sent" -lt 5242880

echo "== 20 MB upload: the director answers oversize packets with ICMP frag-needed (as IPVS)"
head -c 20971520 /dev/zero >"$LAB_STATE_DIR/upload"
up=$(on client curl -sS -g --max-time 30 --data-binary "@$LAB_STATE_DIR/upload" -H 'Content-Type: application/octet-stream' "http://$VIP_TUN4/upload") || up=error
check "the upload completed: '$up'" test "${up##* }" = 20971520
icmp=$(on dir1 "$DIRECTORCTL" --admin-socket "${SOCK[dir1]}" status 2>/dev/null | awk '$1 == "tun_icmp_sent" {print $2}')
check "the director answered oversize packets with ICMP (tun_icmp_sent ${icmp:-?})" test "${icmp:-0}" -gt 0
route=$(on client ip route get "$VIP_TUN4")
check "the client learned the tunnel's path MTU ($(grep -o 'mtu [0-9]*' <<<"$route"))" grep -q "mtu 1480" <<<"$route"

echo "== on the wire: tshark and scapy read the director's packets as IPIP"
# The client's checksums are computed in software, so the capture shows them final.
on client ethtool -K eth0 tx off >/dev/null 2>&1
pcap="$LAB_STATE_DIR/tun.pcap"
on router timeout 10 tshark -q -i far0 -a duration:4 -f "ip proto 4 or ip6 proto 41" -w "$pcap" >/dev/null 2>&1 &
TSHARK_PID=$!
sleep 1.5
for ((i = 0; i < 3; i++)); do lab_get "http://$VIP_TUN4/" --local-port $((33000 + i)) >/dev/null; done
lab_get "http://[$VIP_TUN6]/" --local-port 33010 >/dev/null
wait "$TSHARK_PID"
fields=$(tshark -r "$pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -Y "ip.proto == 4" \
  -T fields -E separator=' ' -e ip.src -e ip.dst -e ip.checksum.status -e tcp.checksum.status 2>/dev/null | head -n 1)
# outer src, inner src; outer dst, inner dst; outer and inner IPv4 checksum status; TCP checksum
echo "    first IPIP packet: $fields"
read -r srcs dsts ipok tcpok <<<"$fields"
check "outer 198.51.100.2 (dir1's address toward the reals) -> a real, inner client -> VIP" \
  test "$srcs" = "198.51.100.2,$CLIENT4" -a "${dsts#*,}" = "$VIP_TUN4"
check "tshark: both IPv4 header checksums good, the inner TCP checksum good ($ipok $tcpok)" \
  test "$ipok" = "1,1" -a "$tcpok" = 1
n6=$(tshark -r "$pcap" -Y "ipv6.nxt == 41 && tcp" 2>/dev/null | wc -l)
check "tshark decodes IPv6-in-IPv6 packets ($n6)" test "$n6" -gt 0
check "scapy reads every captured packet as a well-formed tunnel (lengths, checksums)" \
  "$PY" "$HERE/tun_wire_check.py" "$pcap"

echo "== kill -9 of directord: the pinned datapath goes on forwarding; a restart takes it over"
lab_stop_pid "${PID[dir1]}" KILL
ok=0
for ((i = 0; i < 10; i++)); do
  body=$(lab_get "http://$VIP_TUN4/" --local-port $((32000 + i))) && [[ $body == real* ]] && ok=$((ok + 1))
done
expect_eq "10 of 10 requests answered with directord dead (the link is pinned)" 10 "$ok"
mv "$LAB_STATE_DIR/directord-dir1.log" "$LAB_STATE_DIR/directord-dir1.before-crash.log"
start_director dir1
check "the restarted directord took over the pinned link" lab_wait_for 5 grep -q "took over the pinned link" "$LAB_STATE_DIR/directord-dir1.log"
check "dir1 holds the VIP again" lab_wait_for 5 holds_address dir1 "$VIP_TUN4"
ok=0
for ((i = 0; i < 10; i++)); do
  body=$(lab_get "http://$VIP_TUN4/" --local-port $((32100 + i))) && [[ $body == real* ]] && ok=$((ok + 1))
done
expect_eq "10 of 10 requests answered after the restart" 10 "$ok"

start_director dir2
check "dir2 is BACKUP" wait_vrrp_state 5 dir2 "${SOCK[dir2]}" BACKUP VI_TUN

echo "== 200 fixed flows: dir1, then dir2 after a failover"
on client "$PY" "$HERE/tun_flows.py" "$CLIENT4" "$VIP_TUN4" 80 40000 200 >"$LAB_STATE_DIR/flows-dir1"
answered=$(grep -vc ' none$' "$LAB_STATE_DIR/flows-dir1")
expect_eq "200 flows answered through dir1" 200 "$answered"
matched=0
while read -r port real; do
  want=$(on dir1 "$DIRECTORCTL" --admin-socket "${SOCK[dir1]}" lookup tcp "$CLIENT4" "$port" "$VIP_TUN4" 80 2>&1 |
    grep -oE '192\.0\.2\.13[123]' | head -n 1)
  [ "real${want##*.13}" = "$real" ] && matched=$((matched + 1))
done < <(head -n 20 "$LAB_STATE_DIR/flows-dir1")
expect_eq "the answering real is the one directorctl lookup names (20 flows)" 20 "$matched"
t0=$(date +%s%N)
lab_stop_pid "${PID[dir1]}" KILL
on dir1 ip link set lan0 down
check "dir2 became MASTER and holds the VIP" lab_wait_for 5 holds_address dir2 "$VIP_TUN4"
echo "    failover: $(( ($(date +%s%N) - t0) / 1000000 )) ms to the VIP on dir2"
on client "$PY" "$HERE/tun_flows.py" "$CLIENT4" "$VIP_TUN4" 80 40000 200 >"$LAB_STATE_DIR/flows-dir2"
answered=$(grep -vc ' none$' "$LAB_STATE_DIR/flows-dir2")
expect_eq "200 new flows answered through dir2 after the failover" 200 "$answered"
same=$(join "$LAB_STATE_DIR/flows-dir1" "$LAB_STATE_DIR/flows-dir2" | awk '$2 == $3 && $2 != "none"' | wc -l)
expect_eq "each of the 200 flows reached the same real through both directors" 200 "$same"

echo "== stop"
pin=$(pin_of dir2)
link=$(bpftool link show pinned "$pin" 2>/dev/null | awk -F: 'NR == 1 {print $1}')
check "dir2's link is pinned (link ${link:-none})" test -n "$link"
check "directord in dir2 exits within 5 s of SIGTERM" directord_stop "${PID[dir2]}"
check "dir2's datapath is detached (link $link gone, pin removed)" sh -c \
  "! bpftool link show id $link >/dev/null 2>&1 && ! test -e $pin"
finish
