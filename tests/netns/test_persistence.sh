#!/usr/bin/env bash
# persistence_timeout: every new connection from one client reaches the same real while the
# affinity entry lives; different clients are spread; the entry sits in the persist4 map.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
start_reals

CONF="$LAB_STATE_DIR/persist.conf"
SOCK="$LAB_STATE_DIR/dir1.sock"
cat > "$CONF" <<'CONF'
global_defs {
    lb_hash_seed 0x1234abcd
}
static_ipaddress {
    192.0.2.100/32 dev lan0
    198.51.100.200/32 dev lan0
}
local_address_group LAG4 {
    198.51.100.200
}
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind FNAT
    laddr_group_name LAG4
    persistence_timeout 60
    real_server 198.51.100.11 80 { weight 1 }
    real_server 198.51.100.12 80 { weight 1 }
    real_server 198.51.100.13 80 { weight 1 }
}
CONF

directord_start dir1 "$CONF" "$SOCK" || { fail "directord starts"; finish; }
pass "directord started in dir1 (pid $DIRECTORD_PID)"
check "dir1 holds the VIP 192.0.2.100 (within 5 s)" lab_wait_for 5 on dir1 sh -c "ip -4 addr show dev lan0 | grep -q 'inet 192.0.2.100/'"

# Three more client addresses, so four clients in all.
for i in 11 12 13; do on client ip addr add 203.0.113.$i/24 dev eth0; done
declare -A first
for src in 203.0.113.10 203.0.113.11 203.0.113.12 203.0.113.13; do
  reals=""
  for n in $(seq 1 9); do
    body=$(on client curl -s --max-time 3 --interface "$src" http://192.0.2.100/ || true)
    reals+="${body%% *} "
  done
  distinct=$(tr ' ' '\n' <<<"$reals" | grep . | sort -u | wc -l)
  expect_eq "client $src: 9 new connections all reach one real ($reals)" 1 "$distinct"
  first[$src]=${reals%% *}
done
spread=$(printf '%s\n' "${first[@]}" | sort -u | wc -l)
check "four clients are not all pinned to one real (${first[*]})" test "$spread" -ge 2
entries=$(on dir1 nft list map inet directord persist4 2>/dev/null | grep -c 'expires' || true)
expect_eq "persist4 holds one affinity entry per client" 4 "$entries"

directord_stop "$DIRECTORD_PID"
finish
