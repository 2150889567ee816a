#!/usr/bin/env bash
# sd_notify (Type=notify) and the watchdog, on a NOTIFY_SOCKET the test owns (notify_listener.py)
# with WATCHDOG_USEC=1 s, as systemd would set them:
#  1. READY=1 with a STATUS= line once the config is applied and the admin socket listens;
#     WATCHDOG=1 repeatedly (>= 8 in 3 s: every 250 ms); SIGHUP -> RELOADING=1 with MONOTONIC_USEC,
#     then READY=1 again; SIGTERM -> STOPPING=1, exit 0.
#  2. --debug-hang-loop=health:3:4 (the documented test aid: 3 s after start one handler sleeps 4 s
#     on the health thread): WATCHDOG=1 stops for >= 2.5 s while the health loop hangs, the log
#     names the stuck thread, and the feeding resumes once the loop turns again.
#  3. No WATCHDOG_USEC: no WATCHDOG=1 at all.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
CONF="$LAB_STATE_DIR/dir1.conf"
SOCK="$LAB_STATE_DIR/dir1.sock"
PY=$(lab_python)
cat >"$CONF" <<'CONF'
global_defs {
    vrrp_version 3
}
static_ipaddress {
    192.0.2.101/32 dev lan0
}
vrrp_instance VI_1 {
    interface lan0
    virtual_router_id 51
    priority 150
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.100/32 dev lan0
    }
}
virtual_server 192.0.2.101 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
        weight 1
    }
}
CONF

# run NAME [env...] -- [directord args...]: a listener and directord with NOTIFY_SOCKET set.
run() {
  local name=$1; shift
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  NOTIFY_OUT="$LAB_STATE_DIR/notify-$name.out"
  LOG="$LAB_STATE_DIR/directord-$name.log"
  : >"$NOTIFY_OUT"
  lab_spawn dir1 "$LAB_STATE_DIR/listener-$name.log" "$PY" "$HERE/notify_listener.py" "$LAB_STATE_DIR/notify-$name.sock" "$NOTIFY_OUT" 60
  LISTENER=$LAB_LAST_PID
  lab_wait_for 5 test -S "$LAB_STATE_DIR/notify-$name.sock" || lab_die "the notify listener did not bind"
  rm -f "$SOCK"
  lab_spawn dir1 "$LOG" env NOTIFY_SOCKET="$LAB_STATE_DIR/notify-$name.sock" "${envs[@]}" \
    "$DIRECTORD" -f "$CONF" -l -n --admin-socket "$SOCK" "$@"
  PID=$LAB_LAST_PID
}
stop() {
  kill -TERM "$PID"
  check "directord exits within 10 s of SIGTERM" lab_wait_for 10 sh -c "! kill -0 $PID 2>/dev/null"
  wait "$PID" 2>/dev/null; local rc=$?
  expect_eq "exit status" 0 "$rc"
  sleep 0.3  # the listener reads the last datagram
  lab_stop_pid "$LISTENER" >/dev/null
}
count() { grep -c -- "$1" "$NOTIFY_OUT"; }
# Largest gap (s) between consecutive WATCHDOG=1 messages.
largest_gap() { awk '/WATCHDOG=1/ {if (p) {g = $1 - p; if (g > m) m = g}; p = $1} END {printf "%.1f", m}' "$NOTIFY_OUT"; }

echo "== 1. READY, STATUS, WATCHDOG, RELOADING"
run plain WATCHDOG_USEC=1000000 --
check "READY=1 within 5 s" lab_wait_for 5 grep -q 'READY=1' "$NOTIFY_OUT"
check "admin socket listens when READY=1 is sent" test -S "$SOCK"
check "STATUS= names the service and VRRP" lab_wait_for 2 grep -q 'STATUS=running: 1 virtual service; VRRP' "$NOTIFY_OUT"
sleep 3
wd=$(count WATCHDOG=1)
check "WATCHDOG=1 repeatedly ($wd in ~3 s)" test "$wd" -ge 8
kill -HUP "$PID"
check "RELOADING=1 with MONOTONIC_USEC after SIGHUP" lab_wait_for 5 grep -q 'RELOADING=1|MONOTONIC_USEC=[0-9]' "$NOTIFY_OUT"
check "READY=1 again after the reload" lab_wait_for 5 sh -c "grep -A100 RELOADING=1 '$NOTIFY_OUT' | grep -q READY=1"
check "directord still runs after SIGHUP" kill -0 "$PID"
stop
check "STOPPING=1 at SIGTERM" grep -q 'STOPPING=1' "$NOTIFY_OUT"
echo "---- notifications (first 6)"; grep -v 'WATCHDOG=1$' "$NOTIFY_OUT" | head -n 6 | sed 's/^/    /'

echo "== 2. a hung health loop stops the feeding"
run hang WATCHDOG_USEC=1000000 -- --debug-hang-loop=health:3:4
check "READY=1 within 5 s" lab_wait_for 5 grep -q 'READY=1' "$NOTIFY_OUT"
check "the log names the stuck health thread" lab_wait_for 8 grep -q "watchdog: the health thread has not run for" "$LOG"
check "the log says the threads run again" lab_wait_for 8 grep -q "watchdog: every thread runs again" "$LOG"
sleep 1
gap=$(largest_gap)
echo "    largest gap between WATCHDOG=1: ${gap} s (the hang lasts 4 s)"
check "no WATCHDOG=1 for >= 2.5 s while the health loop hung" awk -v g="$gap" 'BEGIN {exit !(g >= 2.5)}'
before=$(count WATCHDOG=1)
sleep 1
check "the feeding resumed" test "$(count WATCHDOG=1)" -gt "$before"
stop

echo "== 3. without WATCHDOG_USEC: READY, no WATCHDOG"
run nowd --
check "READY=1 within 5 s" lab_wait_for 5 grep -q 'READY=1' "$NOTIFY_OUT"
sleep 1.5
expect_eq "WATCHDOG=1 messages" 0 "$(count WATCHDOG=1)"
stop
finish
