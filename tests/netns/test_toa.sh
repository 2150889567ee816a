#!/usr/bin/env bash
# FULLNAT with the client's address end to end (etc/lab-toa.conf in dir1, client_address toa):
# directord's eBPF datapath adds TOA to client SYNs, `directord-real toa attach` on real1 hands it
# to unmodified servers (nginx's $remote_addr, tests/netns/toa_server.py's accept/getpeername).
#   - control: without the real-side programs, the servers see dir1's local address;
#   - with them: the client's address and port, IPv4 and IPv6; a service without the option (the
#     same real) still shows the local address;
#   - a TOA option the client forges is overwritten with the real client (never trusted);
#   - on the wire (tshark at real1): the SYN carries kind 254, len 8, the client's port and
#     address, with good checksums after the director's NAT.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/toa_lib.sh"
lab_require_root
ha_find_binaries || exit 1
PY=$(lab_python)
"$PY" -c "import scapy.all" 2>/dev/null || { echo "SKIP: needs python3-scapy"; exit 77; }
CGROOT=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
[ -n "$CGROOT" ] || { echo "SKIP: no cgroup v2 hierarchy mounted"; exit 77; }

LAB_NODES=(client router br dir1 real1)
LAB_LAN_NODES=(router dir1 real1)
LAB_DIRECTORS=(dir1)
LAB_REALS=(real1)
lab_up
VIP=192.0.2.104 VIP6=fd00:2::104 LOCAL4=198.51.100.200
CG="$CGROOT/${LAB_PREFIX}toa"
mkdir "$CG" || lab_die "cannot create cgroup $CG"
onreal() { nsenter --net="/run/netns/$(ns real1)" "$DIRECTORD_REAL" "$@"; }
lab_on_down 'onreal toa detach --cgroup "$CG" >/dev/null 2>&1'
trap '_toa_exit $?' EXIT
_toa_exit() { local rc=$1; trap - EXIT INT TERM; lab_down; rmdir "$CG" 2>/dev/null; exit "$rc"; }

NGINX_DIR="$LAB_STATE_DIR/nginx"
toa_nginx_conf "$NGINX_DIR"
SERVER_LOG="$LAB_STATE_DIR/toa_server.log"
start_servers() {
  spawn_in_cgroup "$CG" real1 "$SERVER_LOG" "$PY" -u "$HERE/toa_server.py" --v4 8081
  SERVER_PID=$LAB_LAST_PID
  spawn_in_cgroup "$CG" real1 "$LAB_STATE_DIR/nginx.out" nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf"
  NGINX_PID=$LAB_LAST_PID
  lab_wait_listen real1 tcp 8081 && lab_wait_listen real1 tcp 80 || { cat "$SERVER_LOG" >&2; lab_die "servers did not start"; }
}
stop_servers() { lab_stop_pid "$SERVER_PID"; lab_stop_pid "$NGINX_PID"; }
last_nginx() { sleep 0.2; tail -n 1 "$NGINX_DIR/logs/access.log"; }
last_server() { sleep 0.2; tail -n 1 "$SERVER_LOG"; }
dctl() { on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" "$@"; }
counter() { dctl status | awk -v k="$1" '$1 == k {print $2}'; }

SOCK="$LAB_STATE_DIR/dir1.sock"
directord_start dir1 "$LAB_SOURCE_DIR/etc/lab-toa.conf" "$SOCK" || { fail "directord starts with etc/lab-toa.conf"; finish; }
pass "directord started in dir1 (client_address toa on $VIP:80, :8080, [$VIP6]:80; :81 without)"
start_servers

echo "== control: no programs on the real"
lab_get "http://$VIP/" --local-port 34001 >/dev/null
check "nginx logs dir1's local address ($(last_nginx))" grep -q "^$LOCAL4 " <<<"$(last_nginx)"
lab_get "http://$VIP:8080/" --local-port 34002 >/dev/null
check "getpeername is dir1's local address ($(last_server))" grep -q "accept $LOCAL4 [0-9]* getpeername $LOCAL4 " <<<"$(last_server)"

echo "== directord-real toa attach: the client's own address"
out=$(onreal toa attach --cgroup "$CG" 2>&1) || fail "toa attach: $out"
stop_servers; start_servers   # listeners opened after the attach save their SYNs
lab_get "http://$VIP/" --local-port 34011 >/dev/null
expect_eq "nginx logs the client's address and port" "$CLIENT4 34011" "$(last_nginx)"
lab_get "http://$VIP:8080/" --local-port 34012 >/dev/null
check "accept() and getpeername() return the client ($(last_server))" \
  grep -q "accept $CLIENT4 34012 getpeername $CLIENT4 34012" <<<"$(last_server)"
lab_get "http://[$VIP6]/" --local-port 34013 >/dev/null
expect_eq "IPv6 (the 20-byte option): nginx logs the client" "$CLIENT6 34013" "$(last_nginx)"
lab_get "http://$VIP:81/" --local-port 34014 >/dev/null
check "a service without client_address on the same real: the local address ($(last_nginx))" grep -q "^$LOCAL4 " <<<"$(last_nginx)"

echo "== a client that forges TOA"
on client nft -f - <<'NFT'
table inet toatest {
  chain out { type filter hook output priority 0; tcp flags rst drop; }
}
NFT
body=$(on client "$PY" "$HERE/toa_client.py" --src "$CLIENT4" --dst "$VIP" --dport 8080 --toa 192.0.2.66 --toa-port 4242 2>&1)
check "the forged client 192.0.2.66 is not what the real sees ($(last_server))" \
  grep -q "accept $CLIENT4 [0-9]* getpeername $CLIENT4 " <<<"$(last_server)"
on client nft delete table inet toatest
forged=$(counter toa_forged)
check "the director counted the forgery (toa_forged ${forged:-?})" test "${forged:-0}" -ge 1

echo "== on the wire at real1"
on client ethtool -K eth0 tx off >/dev/null 2>&1   # final checksums in the client's SYN
pcap="$LAB_STATE_DIR/toa.pcap"
on real1 timeout 10 tshark -q -i lan0 -a duration:3 -f "tcp[tcpflags] & tcp-syn != 0 and dst port 80" -w "$pcap" >/dev/null 2>&1 &
TSHARK=$!
sleep 1.5
lab_get "http://$VIP/" --local-port 34021 >/dev/null
wait "$TSHARK"
line=$(tshark -r "$pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0" \
  -T fields -E separator=' ' -e ip.src -e tcp.options -e ip.checksum.status -e tcp.checksum.status 2>/dev/null | head -n 1)
echo "    SYN at real1: $line"
read -r src opts ipok tcpok <<<"$line"
want=$(printf 'fe08%04x%02x%02x%02x%02x' 34021 203 0 113 10)
check "from the local address, the option kind 254 len 8 = port 34021 + $CLIENT4 (fe08...)" \
  test "$src" = "$LOCAL4" -a -n "$(grep -o "$want" <<<"${opts//:/}")"
check "IPv4 and TCP checksums good after the director's option and NAT ($ipok $tcpok)" test "$ipok" = 1 -a "$tcpok" = 1
added=$(counter toa_added)
check "toa_added counts the SYNs (${added:-?})" test "${added:-0}" -ge 4

check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
finish
