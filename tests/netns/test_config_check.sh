#!/usr/bin/env bash
# Config checking: `directord -t` accepts every example config in etc/ and rejects a broken one
# with exit 2, naming each problem as file:line; directord started with the broken config exits
# non-zero and leaves nothing behind (no nft table, no address).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up

echo "== every example config passes directord -t"
for conf in "$LAB_SOURCE_DIR"/etc/*.conf; do
  out=$("$DIRECTORD" -t -f "$conf" 2>&1); rc=$?
  [ "$rc" -eq 0 ] || sed 's/^/    /' <<<"$out"
  expect_eq "directord -t ${conf#"$LAB_SOURCE_DIR"/} exit status" 0 "$rc"
done

echo "== a broken config"
BAD="$LAB_STATE_DIR/broken.conf"
# Line numbers matter: each problem is on a known line (see ERRORS below).
cat >"$BAD" <<'EOF2'
global_defs {
    router_id broken
}
local_address_group LAG1 {
    198.51.100.200-201
}
virtual_server 192.0.2.100 80 {
    lb_algo nosuchscheduler
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG1
    real_server 198.51.100.300 80 {
        weight 1
    }
    real_server 198.51.100.12 70000 {
        weight 1
    }
}
virtual_server 192.0.2.101 80 {
    lb_algo rr
    lb_kind FNAT
    protocol TCP
    laddr_group_name NOSUCHGROUP
    real_server 198.51.100.11 80 {
        weight 1
    }
}
EOF2
# "what: accepted line numbers" (a problem may be reported on its keyword's line or its block's).
ERRORS=("unknown scheduler nosuchscheduler: 8"
  "invalid address 198.51.100.300: 12"
  "port 70000 out of range: 15"
  "undefined local_address_group NOSUCHGROUP: 23 19")
out=$("$DIRECTORD" -t -f "$BAD" 2>&1); rc=$?
sed 's/^/    /' <<<"$out"
expect_eq "directord -t on the broken config exits 2" 2 "$rc"
for e in "${ERRORS[@]}"; do
  what=${e%%:*} lines=${e#*: } found=0
  for l in $lines; do grep -qE "(^|[^0-9a-zA-Z])${BAD//./\\.}:$l: error" <<<"$out" && found=1; done
  check "reported with file:line: $what (line ${lines// / or })" test "$found" -eq 1
done

echo "== directord (not -t) with the broken config"
SOCK="$LAB_STATE_DIR/dir1.sock"
out=$(timeout 10 ip netns exec "$(ns dir1)" "$DIRECTORD" -f "$BAD" -l -n --admin-socket "$SOCK" 2>&1); rc=$?
sed 's/^/    /' <<<"$out" | head -n 20
check "directord exits by itself (not killed by the 10 s timeout)" test "$rc" -ne 124
check "directord exits non-zero (status $rc)" test "$rc" -ne 0
check "no directord nft table in dir1" bash -c "! ip netns exec $(ns dir1) nft list tables | grep -qw directord"
check "no VIP added in dir1" bash -c "! ip -n $(ns dir1) addr show | grep -q '192\.0\.2\.'"
finish
