#!/usr/bin/env bash
# One directord per network namespace. With directord running in dir1 (VRRP VIP, FULLNAT, a
# static address), a second one started in dir1 — with the same config and socket, and with a
# different config and socket — is refused with exit 3 and a message naming the first (pid,
# config, admin socket, start time); the first is untouched: its nft table (stateless listing),
# its addresses, its admin socket (same inode, still answering `directorctl list`), its state and
# lock files are byte for byte the same. `directord -t` needs no lock; a directord in another
# namespace (dir2) is not refused. SIGTERM then leaves nothing behind.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
T0=$(date +%s.%N)
lab_up
start_reals

CONF="$LAB_STATE_DIR/first.conf"
SOCK="$LAB_STATE_DIR/dir1.sock"
cat >"$CONF" <<'EOF'
global_defs {
    router_id first
}
static_ipaddress {
    198.51.100.200/32 dev lan0
}
vrrp_instance VI_1 {
    state MASTER
    interface lan0
    version 3
    virtual_router_id 62
    priority 255
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.100/32 dev lan0
    }
}
local_address_group LAG4 {
    198.51.100.200
}
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG4
    real_server 198.51.100.11 80 {
        weight 1
    }
}
EOF
OTHER_CONF="$LAB_SOURCE_DIR/etc/lab-nat.conf"
OTHER_SOCK="$LAB_STATE_DIR/second.sock"

directord_start dir1 "$CONF" "$SOCK" || { fail "the first directord starts"; finish; }
FIRST=$DIRECTORD_PID
check "the first forwards (client -> VIP)" lab_wait_for 5 vip_request 192.0.2.100
RUNDIR=/run/directord/net-$(on dir1 stat -L -c %i /proc/self/ns/net)

snapshot() {
  echo "--- nft"; on dir1 nft -s list table inet directord
  echo "--- addresses"; on dir1 ip -o addr show dev lan0 | awk '{print $4}' | sort
  echo "--- socket inode"; stat -c %i "$SOCK"
  echo "--- state"; cat "$RUNDIR/state"
  echo "--- lock"; cat "$RUNDIR/lock"
}
before=$(snapshot)

# second NAME CONF SOCK: starts another directord in dir1 (not through directord_start, which
# would clear the socket path first), bounded to 10 s; leaves its exit code and log.
second() {
  local name=$1 conf=$2 sock=$3 log="$LAB_STATE_DIR/second-$1.log" start rc
  start=$(date +%s%N)
  on dir1 timeout 10 "$DIRECTORD" -f "$conf" -l -n --admin-socket "$sock" >"$log" 2>&1
  rc=$?
  SECOND_MS=$((($(date +%s%N) - start) / 1000000))
  SECOND_RC=$rc
  SECOND_LOG=$log
}

for variant in same other; do
  if [ "$variant" = same ]; then second same "$CONF" "$SOCK"; else second other "$OTHER_CONF" "$OTHER_SOCK"; fi
  echo "== second directord, $variant config: exit $SECOND_RC after $SECOND_MS ms"
  sed 's/^/    /' "$SECOND_LOG"
  expect_eq "$variant config: refused with exit 3" 3 "$SECOND_RC"
  check "$variant config: the refusal names the first (pid $FIRST, its config, socket, start time)" \
    grep -qE "another directord runs in this network namespace \(net:\[[0-9]+\]\): pid $FIRST, config $CONF, admin socket $SOCK, started [0-9T:-]+Z; not starting" "$SECOND_LOG"
  check "$variant config: the first is untouched (nft table, addresses, socket inode, state, lock)" \
    test "$before" = "$(snapshot)"
  check "$variant config: the first still answers directorctl list" \
    bash -c 'ip netns exec "$1" "$2" --admin-socket "$3" list | grep -q "192.0.2.100:80"' _ "$(ns dir1)" "$DIRECTORCTL" "$SOCK"
  check "$variant config: the first still forwards" lab_wait_for 2 vip_request 192.0.2.100
done
check "the refused one created no socket" test ! -e "$OTHER_SOCK"

on dir1 "$DIRECTORD" -t -f "$OTHER_CONF" >"$LAB_STATE_DIR/t.log" 2>&1
expect_eq "directord -t in the same namespace needs no lock" 0 "$?"

# Another namespace is another instance: dir2 gets its own runtime directory.
cat >"$LAB_STATE_DIR/dir2.conf" <<'EOF2'
virtual_server 192.0.2.120 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
        weight 1
    }
}
EOF2
directord_start dir2 "$LAB_STATE_DIR/dir2.conf" "$LAB_STATE_DIR/dir2.sock"
check "a directord in dir2 starts while dir1's runs" test -S "$LAB_STATE_DIR/dir2.sock"
check "dir2 stops cleanly" directord_stop "$DIRECTORD_PID"
check "the first is still untouched after dir2 came and went" test "$before" = "$(snapshot)"

check "the first exits within 5 s of SIGTERM" directord_stop "$FIRST"
check "no directord table left in dir1" bash -c '! ip netns exec "$1" nft list tables | grep -qw directord' _ "$(ns dir1)"
check "VIP and static address removed" bash -c '! ip netns exec "$1" ip -o addr | grep -qE " (192\.0\.2\.100|198\.51\.100\.200)/"' _ "$(ns dir1)"
check "runtime directory $RUNDIR removed" test ! -e "$RUNDIR"
check "admin socket removed" test ! -e "$SOCK"
echo "== total $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
finish
