#!/usr/bin/env bash
# SIGUSR1 / SIGUSR2 like keepalived, under traffic: NAT service on VRRP master dir1 with TCP_CHECKs.
# Each round sends SIGUSR1, SIGUSR2 and keepalived's SIGJSON (SIGRTMIN+2) while a client keeps
# opening connections to the VIP. Checks: the process lives through every round, keepalived.data
# (VRRP instance, state, VIP, virtual server, reals, sync section) and keepalived.stats (VRRP
# counters, adverts sent > 0) are written in --dump-dir, readable by all, no temp file left; every
# connection of the traffic answered; the pid file (-p) holds the PID and is gone after SIGTERM,
# with the nft table; exit status 0.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
start_reals
reals_route_via_director 198.51.100.2 fd00:1::2
CONF="$LAB_STATE_DIR/dir1.conf"
SOCK="$LAB_STATE_DIR/dir1.sock"
DUMPS="$LAB_STATE_DIR/dumps"
PIDFILE="$LAB_STATE_DIR/dir1.pid"
LOG="$LAB_STATE_DIR/directord-dir1.log"
ROUNDS=20
mkdir -p "$DUMPS"
cat >"$CONF" <<'CONF'
global_defs {
    router_id dir1
    vrrp_version 3
}
vrrp_instance VI_1 {
    interface lan0
    virtual_router_id 51
    priority 150
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.101/32 dev lan0
    }
}
virtual_server 192.0.2.101 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    delay_loop 1
    real_server 198.51.100.11 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 198.51.100.12 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
CONF

lab_spawn dir1 "$LOG" "$DIRECTORD" -f "$CONF" -l -n --admin-socket "$SOCK" -p "$PIDFILE" --dump-dir "$DUMPS"
PID=$LAB_LAST_PID
check "admin socket up within 5 s" lab_wait_for 5 test -S "$SOCK"
check "VI_1 becomes MASTER" wait_vrrp_state 5 dir1 "$SOCK" MASTER
expect_eq "the pid file holds directord's PID" "$PID" "$(tr -d '\n' <"$PIDFILE" 2>/dev/null)"

echo "== traffic: one new connection every 50 ms from the client, through $ROUNDS signal rounds"
TRAFFIC="$LAB_STATE_DIR/traffic.out"
on client sh -c 'i=0; while [ $i -lt 200 ]; do curl -s --max-time 2 http://192.0.2.101/ || echo FAILED; i=$((i+1)); sleep 0.05; done' >"$TRAFFIC" 2>&1 &
TRAFFIC_PID=$!
alive_rounds=0
for ((r = 0; r < ROUNDS; r++)); do
  kill -USR1 "$PID"; kill -USR2 "$PID"; kill -s RTMIN+2 "$PID"
  sleep 0.2
  kill -0 "$PID" 2>/dev/null && alive_rounds=$((alive_rounds + 1))
done
wait "$TRAFFIC_PID"
expect_eq "directord alive after every round" "$ROUNDS" "$alive_rounds"
answered=$(grep -c '^real[12] 203.0.113.10' "$TRAFFIC")
expect_eq "every connection answered while signalled" 200 "$answered"
check "no connection failed" bash -c "! grep -q FAILED '$TRAFFIC'"

DATA="$DUMPS/keepalived.data"
STATS="$DUMPS/keepalived.stats"
check "keepalived.data written" test -s "$DATA"
check "keepalived.stats written" test -s "$STATS"
echo "---- keepalived.data"; sed 's/^/    /' "$DATA" | head -n 40
echo "---- keepalived.stats"; sed 's/^/    /' "$STATS" | head -n 12
for want in '------< VRRP Topology >------' ' VRRP Instance = VI_1' '   State = MASTER' '   Interface = lan0' \
  '   Virtual Router ID = 51' '   Virtual IP (1):' '     192.0.2.101/32 dev lan0 scope global' \
  '------< LVS Topology >------' ' Virtual Server = TCP 192.0.2.101:80' '   Real Server = 198.51.100.11:80 weight 1' \
  '     Checker = TCP_CHECK 198.51.100.12:80: up' '------< Connection sync >------'; do
  check "keepalived.data has '$want'" grep -qxF -- "$want" <(sed 's/, probes.*//' "$DATA")
done
check "keepalived.stats has VI_1's advert counters" grep -qx 'VRRP Instance: VI_1' "$STATS"
sent=$(awk '/^  Advertisements:/{a=1; next} a && /^    Sent:/{print $2; exit}' "$STATS")
check "adverts sent counted ($sent)" test "${sent:-0}" -gt 0
expect_eq "dump files readable by all" "644 644" "$(stat -c %a "$DATA" "$STATS" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "no temp file left in the dump directory" 2 "$(find "$DUMPS" -type f | wc -l)"
check "SIGRTMIN+2 logged, not fatal" grep -q "SIGRTMIN+2 .* received: nothing to do" "$LOG"
check "directorctl still answers" on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" list

echo "== SIGTERM"
kill -TERM "$PID"
check "directord exits within 10 s of SIGTERM" lab_wait_for 10 sh -c "! kill -0 $PID 2>/dev/null"
wait "$PID" 2>/dev/null; rc=$?
expect_eq "exit status" 0 "$rc"
check "the pid file is removed" test ! -e "$PIDFILE"
check "no directord nft table left in dir1" bash -c "! ip netns exec $(ns dir1) nft list tables | grep -qw directord"
finish
