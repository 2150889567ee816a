#!/usr/bin/env bash
# Removing a real from the config + SIGHUP: new connections never reach it, while a connection
# already established to it through the FULLNAT VIP keeps getting answers (like IPVS with
# expire_nodest_conn=0: conntrack keeps the binding).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
start_reals
CONF="$LAB_STATE_DIR/remove-real.conf"
SOCK="$LAB_STATE_DIR/dir1.sock"

# write_conf REAL... : FULLNAT rr service 192.0.2.100:80 over the named reals.
write_conf() {
  {
    cat <<'EOF2'
global_defs {
    router_id test-remove-real
    lb_hash_seed 0x1234abcd
}
static_ipaddress {
    192.0.2.100/32 dev lan0
    198.51.100.200/32 dev lan0
    198.51.100.201/32 dev lan0
}
local_address_group LAG4 {
    198.51.100.200-201
}
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG4
EOF2
    local r
    for r in "$@"; do printf '    real_server %s 80 {\n        weight 1\n    }\n' "${LAB_IP4[$r]}"; done
    echo "}"
  } >"$CONF.tmp" && mv "$CONF.tmp" "$CONF"
}

write_conf real1 real2 real3
directord_start dir1 "$CONF" "$SOCK" || { fail "directord starts"; finish; }
pass "directord started in dir1 (pid $DIRECTORD_PID)"
check "dir1 holds the VIP (within 5 s)" lab_wait_for 5 on dir1 sh -c 'ip -4 addr show dev lan0 | grep -q "inet 192.0.2.100/"'

echo "== one long-lived keep-alive connection through the VIP"
KA_OUT="$LAB_STATE_DIR/keepalive.out"; KA_STOP="$LAB_STATE_DIR/keepalive.stop"
lab_spawn client "$LAB_STATE_DIR/keepalive.log" "$(lab_python)" "$HERE/netclient.py" keepalive 192.0.2.100 80 \
  --out "$KA_OUT" --interval 0.2 --max-seconds 60 --stop-file "$KA_STOP"
KA_PID=$LAB_LAST_PID
lab_wait_for 5 grep -q '^ok ' "$KA_OUT" || { fail "keep-alive connection answered"; cat "$KA_OUT" "$LAB_STATE_DIR/keepalive.log" 2>/dev/null; finish; }
victim=$(awk '/^ok / {print $2; exit}' "$KA_OUT")
pass "keep-alive connection is served by $victim"
keep=()
for r in "${LAB_REALS[@]}"; do [ "$r" != "$victim" ] && keep+=("$r"); done

echo "== remove $victim from the config, SIGHUP"
write_conf "${keep[@]}"
kill -HUP "$DIRECTORD_PID"
gone() {
  local l
  l=$(on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" list) && grep -q "192.0.2.100:80" <<<"$l" &&
    ! grep -q "${LAB_IP4[$victim]}:80" <<<"$l"
}
check "directorctl list drops ${LAB_IP4[$victim]}:80 within 5 s" lab_wait_for 5 gone
check "directord still running after SIGHUP" kill -0 "$DIRECTORD_PID"
before=$(grep -c '^ok ' "$KA_OUT")

echo "== 30 new connections"
out=$(for ((i = 0; i < 30; i++)); do lab_get http://192.0.2.100/ --local-port $((20000 + i)) || echo error; done)
check "30 new connections answered" test "$(grep -c '^real' <<<"$out")" -eq 30
expect_eq "none reached $victim" 0 "$(grep -c "^$victim " <<<"$out")"
echo "    distribution: $(count_reals <<<"$out")"

echo "== the established connection still works"
more() { [ "$(grep -c '^ok ' "$KA_OUT")" -ge $((before + 5)) ]; }
check "5 more answers on the established connection (within 5 s)" lab_wait_for 5 more
check "no error on the established connection" test "$(grep -c '^err' "$KA_OUT")" -eq 0
check "every answer on it came from $victim" test -z "$(awk '/^ok / {print $2}' "$KA_OUT" | grep -vx "$victim")"
touch "$KA_STOP"
lab_stop_pid "$KA_PID" >/dev/null
check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
finish
