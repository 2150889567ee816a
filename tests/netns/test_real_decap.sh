#!/usr/bin/env bash
# directord-real tun on a real server in another subnet than the client: a scapy "director" in
# the client namespace sends IP-in-IP (and IPv6-in-IPv6) SYNs to the real; the BPF decapsulator
# at tcx ingress of lan0 strips the outer header and the real answers SYN-ACK straight to the
# client from the VIP. Refused and counted: an inner destination that is not a VIP, an outer
# source that is not an allowed director. Bad input changes nothing; up twice is idempotent;
# down removes the pins, the VIPs on lo and restores the sysctls.
#
#   client (eth0 203.0.113.10, "directors" .50 allowed and .51 not) -- router -- real1 (lan0 198.51.100.11)
set -u
source "$(dirname "$0")/lib.sh"
lab_require_root
"$(lab_python)" -c "import scapy.all" 2>/dev/null || { echo "SKIP: needs python3-scapy"; exit 77; }
command -v nsenter >/dev/null || { echo "SKIP: needs nsenter"; exit 77; }
REAL_BIN=${HA_BUILD_DIR:-$LAB_SOURCE_DIR/build/dev}/director/directord-real
[ -x "$REAL_BIN" ] || { echo "FAIL: binary not found: $REAL_BIN (build first, or set HA_BUILD_DIR)"; exit 1; }

LAB_NODES=(client router br real1)
LAB_LAN_NODES=(router real1)
LAB_DIRECTORS=()
LAB_REALS=(real1)
lab_up

VIP4=192.0.2.80 VIP6=fd00:2::80 NOT_VIP4=192.0.2.81
DIR4=203.0.113.50 ROGUE4=203.0.113.51 DIR6=fd00:c::50
REAL4=198.51.100.11 REAL6=fd00:1::11
PORT=8080
ip -n "$(ns client)" addr add "$DIR4/24" dev eth0
ip -n "$(ns client)" addr add "$ROGUE4/24" dev eth0
ip -n "$(ns client)" addr add "$DIR6/64" dev eth0 nodad
# The client's kernel has no socket for the SYN-ACKs and would reset them: harmless, but quiet.
on client nft -f - <<'NFT'
table inet realtest {
  chain out { type filter hook output priority 0; tcp flags rst drop; }
}
NFT

# nsenter keeps the host's mount namespace, where the bpffs pins outlive the command
# (ip netns exec gives each command a private /sys: directord-real refuses to pin there).
REAL_NETNS_INO=$(stat -L -c %i "/run/netns/$(ns real1)")
onreal() { nsenter --net="/run/netns/$(ns real1)" "$REAL_BIN" "$@"; }
# Whatever a failed run left: down in the namespace, then the pin dir and state named by its inode.
lab_on_down 'onreal tun down >/dev/null 2>&1; rm -rf "$LAB_BPFFS/directord-real/net-$REAL_NETNS_INO" "/run/directord-real/net-$REAL_NETNS_INO"'

PY=$(lab_python)
probe() {  # OUTER_SRC VIP [COUNT]: prints "synacks N/COUNT"
  local outer=$1 vip=$2 client=203.0.113.10 real=$REAL4
  [[ $vip == *:* ]] && { client=fd00:c::10; real=$REAL6; }
  on client "$PY" "$LAB_SOURCE_DIR/tests/netns/real_tun_probe.py" --outer-src "$outer" --real "$real" \
    --client "$client" --vip "$vip" --port "$PORT" --count "${3:-3}"
}
counter() { onreal status | awk -v k="  $1:" 'index($0, k) == 1 {print $2}'; }
lo_has() { ip -n "$(ns real1)" -o addr show dev lo | grep -q " $1/"; }
sysctl_of() { on real1 sysctl -n "$1"; }

lab_spawn real1 "$LAB_STATE_DIR/listener.log" "$PY" -c "
import socket, time
s4 = socket.socket(); s4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s4.bind(('0.0.0.0', $PORT)); s4.listen(64)
s6 = socket.socket(socket.AF_INET6); s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1); s6.bind(('::', $PORT)); s6.listen(64)
time.sleep(600)"
lab_wait_listen real1 tcp "$PORT" || lab_die "listener did not start"

# Strict rp_filter before up: up makes it loose; the sysctls are restored by down.
on real1 sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.lan0.rp_filter=1
on real1 sysctl -qw net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.all.arp_announce=0

# The control: without decapsulation the real answers nothing (no ipip module here, nor tunl0).
expect_eq "before up: no SYN-ACK to an encapsulated SYN" "synacks 0/3" "$(probe "$DIR4" "$VIP4")"

# Bad input changes nothing.
out=$(onreal tun up --vip "$VIP4" --device nosuch0 2>&1); rc=$?
expect_eq "unknown device: exit 1" 1 "$rc"
check "unknown device: the error names it ($out)" grep -q "nosuch0" <<<"$out"
out=$(onreal tun up --vip 192.0.2.999 --device lan0 2>&1); rc=$?
expect_eq "bad VIP: exit 2 (usage)" 2 "$rc"
check "after bad input: no VIP on lo" bash -c "! ip -n $(ns real1) -o addr show dev lo | grep -q 192.0.2."
check "after bad input: no pin dir" test ! -e "$LAB_BPFFS/directord-real/net-$REAL_NETNS_INO"
check "after bad input: no state" test ! -e "/run/directord-real/net-$REAL_NETNS_INO"
expect_eq "after bad input: arp_ignore untouched" 0 "$(sysctl_of net.ipv4.conf.all.arp_ignore)"

# --decap ipip without the ipip module (this kernel has none): refused, naming what is missing.
if ! ip -n "$(ns real1)" link show tunl0 >/dev/null 2>&1; then
  out=$(onreal tun up --vip "$VIP4" --device lan0 --decap ipip 2>&1); rc=$?
  expect_eq "--decap ipip without tunl0: exit 1" 1 "$rc"
  check "--decap ipip: the error names tunl0 and the module ($out)" grep -q "no tunl0.*modprobe ipip" <<<"$out"
  check "--decap ipip refused: no VIP on lo, no state" bash -c "! ip -n $(ns real1) -o addr show dev lo | grep -q $VIP4 && [ ! -e /run/directord-real/net-$REAL_NETNS_INO ]"
fi

# ip netns exec: a private mount namespace without bpffs: refused, nothing changed.
if ! on real1 sh -c 'grep -q " /sys/fs/bpf bpf " /proc/self/mounts'; then
  out=$(on real1 "$REAL_BIN" tun up --vip "$VIP4" --device lan0 2>&1); rc=$?
  if [ "$rc" = 0 ]; then
    # PID 1's mount namespace was reachable and joined: the pins live there. Start over.
    pass "ip netns exec: a bpffs outside /sys is visible (the lab's $LAB_BPFFS), the pins go there"
    onreal tun down >/dev/null
  else
    expect_eq "ip netns exec without a shared bpffs: exit 1" 1 "$rc"
    check "ip netns exec: the error says why ($out)" grep -q "private mount namespace" <<<"$out"
    check "ip netns exec refused: no VIP on lo" bash -c "! ip -n $(ns real1) -o addr show dev lo | grep -q $VIP4"
  fi
fi

out=$(onreal tun up --vip "$VIP4,$VIP6" --device lan0 --director "$DIR4 $DIR6" 2>&1); rc=$?
expect_eq "tun up: exit 0 ($out)" 0 "$rc"
check "VIP4 on lo" lo_has "$VIP4"
check "VIP6 on lo" lo_has "$VIP6"
expect_eq "arp_ignore all" 1 "$(sysctl_of net.ipv4.conf.all.arp_ignore)"
expect_eq "arp_announce lan0" 2 "$(sysctl_of net.ipv4.conf.lan0.arp_announce)"
expect_eq "rp_filter all strict -> loose" 2 "$(sysctl_of net.ipv4.conf.all.rp_filter)"
check "decap link pinned" test -e "$LAB_BPFFS/directord-real/net-$REAL_NETNS_INO/decap_link"
PROG_ID=$(onreal status | sed -n 's/.*attached: yes (program \([0-9]*\)).*/\1/p')
check "status: attached, program id '$PROG_ID'" test -n "$PROG_ID"

expect_eq "IPIP SYN to the VIP: SYN-ACK from the VIP straight to the client" "synacks 3/3" "$(probe "$DIR4" "$VIP4")"
expect_eq "decapsulated counter" 3 "$(counter decapsulated)"
expect_eq "IPv6-in-IPv6 SYN to the v6 VIP: SYN-ACK" "synacks 2/2" "$(probe "$DIR6" "$VIP6" 2)"
expect_eq "decapsulated counter (v4 + v6)" 5 "$(counter decapsulated)"
expect_eq "inner destination not a VIP: not answered" "synacks 0/2" "$(probe "$DIR4" "$NOT_VIP4" 2)"
expect_eq "refused-not-vip counter" 2 "$(counter refused-not-vip)"
expect_eq "outer source not an allowed director: not answered" "synacks 0/2" "$(probe "$ROGUE4" "$VIP4" 2)"
expect_eq "refused-director counter" 2 "$(counter refused-director)"

# up again, same arguments: nothing changes, the counters keep counting (same maps).
out=$(onreal tun up --vip "$VIP4,$VIP6" --device lan0 --director "$DIR4 $DIR6" 2>&1); rc=$?
expect_eq "tun up twice: exit 0 ($out)" 0 "$rc"
expect_eq "up twice: the same program attached" "$PROG_ID" "$(onreal status | sed -n 's/.*attached: yes (program \([0-9]*\)).*/\1/p')"
expect_eq "up twice: one link runs it" 1 "$(bpftool link show | grep -c " prog $PROG_ID\b")"
expect_eq "up twice: the VIP once on lo" 1 "$(ip -n "$(ns real1)" -o addr show dev lo | grep -c " $VIP4/")"
expect_eq "up twice: counters kept" 5 "$(counter decapsulated)"
# up again without the allow-list: the rogue director's packets pass now.
out=$(onreal tun up --vip "$VIP4,$VIP6" --device lan0 2>&1); rc=$?
expect_eq "tun up without --director: exit 0" 0 "$rc"
expect_eq "without the allow-list: any outer source" "synacks 2/2" "$(probe "$ROGUE4" "$VIP4" 2)"
# up on another device while up: refused, nothing changed.
out=$(onreal tun up --vip "$VIP4" --device lo 2>&1); rc=$?
expect_eq "up on another device while up: exit 1" 1 "$rc"
check "still up on lan0 after the refusal" lo_has "$VIP6"

out=$(onreal tun down 2>&1); rc=$?
expect_eq "tun down: exit 0 ($out)" 0 "$rc"
check "down: no pin dir" test ! -e "$LAB_BPFFS/directord-real/net-$REAL_NETNS_INO"
check "down: no state" test ! -e "/run/directord-real/net-$REAL_NETNS_INO"
check "down: VIP4 gone from lo" bash -c "! ip -n $(ns real1) -o addr show dev lo | grep -q ' $VIP4/'"
check "down: VIP6 gone from lo" bash -c "! ip -n $(ns real1) -o addr show dev lo | grep -q ' $VIP6/'"
expect_eq "down: arp_ignore restored" 0 "$(sysctl_of net.ipv4.conf.all.arp_ignore)"
expect_eq "down: rp_filter restored" 1 "$(sysctl_of net.ipv4.conf.all.rp_filter)"
expect_eq "down: no link runs the program" 0 "$(bpftool link show | grep -c " prog $PROG_ID\b")"
check "down: the program is gone (its link was its last user)" bash -c "! bpftool prog show id $PROG_ID >/dev/null 2>&1"
expect_eq "down: encapsulated SYNs unanswered again" "synacks 0/2" "$(probe "$DIR4" "$VIP4" 2)"
out=$(onreal tun down 2>&1); rc=$?
expect_eq "down twice: exit 0 ($out)" 0 "$rc"

# A VIP the operator had on lo already stays after down.
ip -n "$(ns real1)" addr add "$VIP4/32" dev lo
onreal tun up --vip "$VIP4" --device lan0 >/dev/null
expect_eq "operator's VIP: answered" "synacks 2/2" "$(probe "$DIR4" "$VIP4" 2)"
onreal tun down >/dev/null
check "operator's VIP survives down" lo_has "$VIP4"
finish
