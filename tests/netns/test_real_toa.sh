#!/usr/bin/env bash
# directord-real toa on a real server: unmodified servers (tests/netns/toa_server.py printing
# what accept() and getpeername() return, and Debian's nginx logging $remote_addr) in a cgroup v2
# directory of their own; a scapy client plays the FULLNAT director, its SYN carrying a TOA
# option with a made-up client address. Control first: without the programs the servers see
# the packet's source; a listener opened before the attach still does (no saved SYN, counted);
# listeners opened after it see the TOA client (IPv4, IPv6, and IPv4 on a dual-stack socket as
# ::ffff:a.b.c.d). Detach removes the pins.
set -u
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/toa_lib.sh"
lab_require_root
PY=$(lab_python)
"$PY" -c "import scapy.all" 2>/dev/null || { echo "SKIP: needs python3-scapy"; exit 77; }
command -v nginx >/dev/null || { echo "SKIP: needs nginx"; exit 77; }
CGROOT=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
[ -n "$CGROOT" ] || { echo "SKIP: no cgroup v2 hierarchy mounted"; exit 77; }
REAL_BIN=${HA_BUILD_DIR:-$LAB_SOURCE_DIR/build/dev}/director/directord-real
[ -x "$REAL_BIN" ] || { echo "FAIL: binary not found: $REAL_BIN (build first, or set HA_BUILD_DIR)"; exit 1; }

LAB_NODES=(client router br real1)
LAB_LAN_NODES=(router real1)
LAB_DIRECTORS=()
LAB_REALS=(real1)
lab_up

REAL4=198.51.100.11 REAL6=fd00:1::11 CLIENT4=203.0.113.10 CLIENT6=fd00:c::10
TOA4=203.0.113.77 TOA6=fd00:c::77 TOA_PORT=4242
CG="$CGROOT/${LAB_PREFIX}toa"
mkdir "$CG" || lab_die "cannot create cgroup $CG"
onreal() { nsenter --net="/run/netns/$(ns real1)" "$REAL_BIN" "$@"; }
# The cgroup goes after lab_down's process stop (hooks run first: detach now, rmdir when empty).
lab_on_down 'onreal toa detach --cgroup "$CG" >/dev/null 2>&1'
_toa_cleanup() { rmdir "$CG" 2>/dev/null || true; }
trap '_lab_exit_trap_toa $?' EXIT
_lab_exit_trap_toa() { local rc=$1; trap - EXIT INT TERM; lab_down; _toa_cleanup; exit "$rc"; }

on client nft -f - <<'NFT'
table inet toatest {
  chain out { type filter hook output priority 0; tcp flags rst drop; }
}
NFT

NGINX_DIR="$LAB_STATE_DIR/nginx"
toa_nginx_conf "$NGINX_DIR"
SERVER_LOG="$LAB_STATE_DIR/toa_server.log"
start_servers() {
  spawn_in_cgroup "$CG" real1 "$SERVER_LOG" "$PY" -u "$LAB_SOURCE_DIR/tests/netns/toa_server.py" --v4 8080 --dual 8081
  SERVER_PID=$LAB_LAST_PID
  spawn_in_cgroup "$CG" real1 "$LAB_STATE_DIR/nginx.out" nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf"
  NGINX_PID=$LAB_LAST_PID
  lab_wait_listen real1 tcp 8081 && lab_wait_listen real1 tcp 80 || { cat "$SERVER_LOG" "$NGINX_DIR/logs/error.log" >&2; lab_die "servers did not start"; }
  check "servers run in $CG" grep -qx "$SERVER_PID" "$CG/cgroup.procs"
}
stop_servers() { lab_stop_pid "$SERVER_PID"; lab_stop_pid "$NGINX_PID"; }

get() {  # SRC DST PORT [TOA]: the body of one GET
  local toa=()
  [ -n "${4:-}" ] && toa=(--toa "$4" --toa-port "$TOA_PORT")
  on client "$PY" "$LAB_SOURCE_DIR/tests/netns/toa_client.py" --src "$1" --dst "$2" --dport "$3" "${toa[@]}" 2>&1
}
last_server_line() { tail -n 1 "$SERVER_LOG"; }
last_nginx_line() { sleep 0.2; tail -n 1 "$NGINX_DIR/logs/access.log"; }
counter() { onreal status | awk -v k="  $1:" 'index($0, k) == 1 {print $2}'; }
real_status() { onreal status; }

# Bad input changes nothing.
out=$(onreal toa attach --cgroup /nonexistent/cg 2>&1); rc=$?
expect_eq "attach to a missing cgroup: exit 1 ($out)" 1 "$rc"
out=$(onreal toa attach --cgroup "$LAB_STATE_DIR" 2>&1); rc=$?
expect_eq "attach to a directory that is no cgroup v2: exit 1 ($out)" 1 "$rc"
CG_INO=$(stat -c %i "$CG")
check "no TOA pins after bad input" test ! -e "$LAB_BPFFS/directord-real/toa-cg-$CG_INO"

# Control: no programs; the servers see the packet's source.
start_servers
body=$(get "$CLIENT4" "$REAL4" 8080 "$TOA4")
expect_eq "control: HTTP body names the packet's source" "peer $CLIENT4" "$(cut -d' ' -f1-2 <<<"$body")"
check "control: getpeername is the packet's source ($(last_server_line))" grep -q "^8080 accept $CLIENT4 [0-9]* getpeername $CLIENT4 " <<<"$(last_server_line)"
get "$CLIENT4" "$REAL4" 80 "$TOA4" >/dev/null
check "control: nginx logs the packet's source ($(last_nginx_line))" grep -q "^$CLIENT4 " <<<"$(last_nginx_line)"

out=$(onreal toa attach --cgroup "$CG" 2>&1); rc=$?
expect_eq "toa attach: exit 0 ($out)" 0 "$rc"
out=$(onreal toa attach --cgroup "$CG" 2>&1); rc=$?
expect_eq "toa attach twice: exit 0 ($out)" 0 "$rc"
check "toa attach twice: says already attached" grep -q "already attached" <<<"$out"
check "status lists the cgroup" grep -qx "toa: $CG" <<<"$(real_status)"

# A listener opened before the attach: its SYNs were not saved, so no TOA (the documented trap).
get "$CLIENT4" "$REAL4" 8080 "$TOA4" >/dev/null
check "listener from before the attach: still the packet's source ($(last_server_line))" grep -q "getpeername $CLIENT4 " <<<"$(last_server_line)"
check "no-saved-syn counted ($(counter no-saved-syn))" test "$(counter no-saved-syn)" -ge 1

# Listeners opened after the attach see the TOA client.
stop_servers
start_servers
body=$(get "$CLIENT4" "$REAL4" 8080 "$TOA4")
expect_eq "IPv4: the HTTP body names the TOA client" "peer $TOA4 $TOA_PORT" "$body"
check "IPv4: accept() and getpeername() agree on the TOA client ($(last_server_line))" grep -q "^8080 accept $TOA4 $TOA_PORT getpeername $TOA4 $TOA_PORT\$" <<<"$(last_server_line)"
get "$CLIENT4" "$REAL4" 80 "$TOA4" >/dev/null
expect_eq "IPv4: nginx logs the TOA client" "$TOA4 $TOA_PORT" "$(last_nginx_line)"
body=$(get "$CLIENT4" "$REAL4" 8081 "$TOA4")
expect_eq "IPv4 client on a dual-stack socket: v4-mapped" "peer ::ffff:$TOA4 $TOA_PORT" "$body"
body=$(get "$CLIENT6" "$REAL6" 8081 "$TOA6")
expect_eq "IPv6 (len 20 option): the TOA client" "peer $TOA6 $TOA_PORT" "$body"
get "$CLIENT6" "$REAL6" 80 "$TOA6" >/dev/null
expect_eq "IPv6: nginx logs the TOA client" "$TOA6 $TOA_PORT" "$(last_nginx_line)"
body=$(get "$CLIENT4" "$REAL4" 8080)
expect_eq "a SYN without the option: the packet's source" "peer $CLIENT4" "$(cut -d' ' -f1-2 <<<"$body")"
expect_eq "option-found counter" 5 "$(counter option-found)"
check "no-option counted ($(counter no-option))" test "$(counter no-option)" -ge 1

out=$(onreal toa detach --cgroup "$CG" 2>&1); rc=$?
expect_eq "toa detach: exit 0 ($out)" 0 "$rc"
check "detach: no pins left" test ! -e "$LAB_BPFFS/directord-real/toa-cg-$CG_INO"
check "detach: status says not attached" grep -qx "toa: not attached" <<<"$(real_status)"
stop_servers
start_servers
body=$(get "$CLIENT4" "$REAL4" 8080 "$TOA4")
expect_eq "after detach: the packet's source again" "peer $CLIENT4" "$(cut -d' ' -f1-2 <<<"$body")"
out=$(onreal toa detach --cgroup "$CG" 2>&1); rc=$?
expect_eq "detach twice: exit 0 ($out)" 0 "$rc"
stop_servers
finish
