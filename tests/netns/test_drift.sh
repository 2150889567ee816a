#!/usr/bin/env bash
# Drift: someone else changes directord's nf_tables tables. dir1 runs FULLNAT (192.0.2.100) and
# DR (192.0.2.102) while an outage probe opens a new connection to the FULLNAT VIP every 10 ms.
#  1. nftables_owner persist (default): `nft delete table` (inet and netdev), `nft flush ruleset`
#     and a foreign rule are refused or skip our tables: the probe never fails; a reload works;
#     kill -9 leaves the tables forwarding, and the restarted directord owns them again.
#  2. nftables_owner none: the same commands succeed, and directord puts its tables back: the
#     probe's longest outage is under 1 s (printed), `directorctl status` counts each drift and
#     names the process, the foreign rule is gone, and a reload afterwards works.
#  3. nftables_owner process: kill -9 takes the tables with it (fail closed).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
start_reals
real_dr_setup "$VIP_DR4"
SOCK="$LAB_STATE_DIR/dir1.sock"
MAX_OUTAGE_MS=1000

# make_conf OWNER WEIGHT: lab-fullnat.conf with nftables_owner OWNER, real1's weight WEIGHT, and a
# DR service on 192.0.2.102 (so there is a netdev table too).
make_conf() {
  local out="$LAB_STATE_DIR/drift-$1.conf"
  sed -e "s/^    lb_hash_seed 0x1234abcd$/    lb_hash_seed 0x1234abcd\n    nftables_owner $1/" \
    -e "0,/^        weight 3$/s//        weight $2/" "$LAB_SOURCE_DIR/etc/lab-fullnat.conf" >"$out"
  cat >>"$out" <<'EOF'
static_ipaddress {
    192.0.2.102/32 dev lan0
}
virtual_server 192.0.2.102 80 {
    lb_algo mh
    mh-port
    lb_kind DR
    protocol TCP
    real_server 198.51.100.11 80 {
        weight 1
    }
    real_server 198.51.100.12 80 {
        weight 1
    }
}
EOF
  echo "$out"
}

ctl() { on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" "$@"; }
status_field() { ctl status 2>/dev/null | sed -n "s/^Drift: .*, \([0-9]*\) seen, \([0-9]*\) repaired.*/\1 \2/p"; }
foreign() { on dir1 nft "$@" 2>&1; }

PROBE_OUT=
PROBE_PID=
probe_start() {
  PROBE_OUT="$LAB_STATE_DIR/probe-$1.out"
  rm -f "$LAB_STATE_DIR/probe.stop"
  lab_spawn client "$PROBE_OUT" "$(lab_python)" "$HERE/outage_probe.py" 192.0.2.100 80 \
    --max-seconds 30 --stop-file "$LAB_STATE_DIR/probe.stop"
  PROBE_PID=$LAB_LAST_PID
  sleep 0.3
}
probe_stop() {  # prints "attempts=.. failures=.. longest_outage_ms=.."
  touch "$LAB_STATE_DIR/probe.stop"
  local i
  for ((i = 0; i < 50; i++)); do grep -q attempts= "$PROBE_OUT" 2>/dev/null && break; sleep 0.1; done
  lab_stop_pid "$PROBE_PID" >/dev/null 2>&1
  cat "$PROBE_OUT"
}
field() { sed -n "s/.*\b$1=\([0-9-]*\).*/\1/p" <<<"$2"; }
repairs_at_least() { local s; s=$(status_field); [ -n "$s" ] && [ "${s#* }" -ge "$1" ]; }
# wait_repairs N: until directorctl status counts N repairs (5 s at most)
wait_repairs() { lab_wait_for 5 repairs_at_least "$1"; }
our_tables() { on dir1 nft list tables 2>/dev/null | grep -cw directord; }
tables_are() { [ "$(our_tables)" -eq "$1" ]; }
weight_is() { ctl list 2>/dev/null | grep -qE "198\.51\.100\.11:80 +FullNat +$1 "; }
owner_is() { ctl status 2>/dev/null | grep -q "^Owner: $1 --"; }
no_reload_failure() { ! grep -q 'reload failed\|reload refused' "$LAB_STATE_DIR/directord-dir1.log"; }

dr_request() { lab_get http://192.0.2.102/ >/dev/null; }

echo "== 1. nftables_owner persist (the default)"
CONF=$(make_conf persist 3)
directord_start dir1 "$CONF" "$SOCK" || { fail "directord starts with $CONF"; finish; }
check "dir1 holds the VIP (within 5 s)" lab_wait_for 5 on dir1 sh -c 'ip -4 addr show dev lan0 | grep -q "inet 192.0.2.100/"'
st=$(ctl status); sed 's/^/    /' <<<"$st"
check "status: tables owned by directord and persistent" grep -q "^Owner: owner,persist -- only this process" <<<"$st"
check "DR answers before" dr_request
prerouting_before=$(on dir1 nft list chain inet directord prerouting)
probe_start persist
out=$(foreign delete table inet directord); rc=$?
echo "    nft delete table inet directord: rc=$rc: $out" | head -1
check "nft delete table inet directord is refused (EPERM)" bash -c "[ $rc -ne 0 ] && grep -q 'Operation not permitted' <<<\"\$1\"" _ "$out"
out=$(foreign delete table netdev directord); rc=$?
check "nft delete table netdev directord is refused" bash -c "[ $rc -ne 0 ] && grep -q 'Operation not permitted' <<<\"\$1\"" _ "$out"
foreign flush ruleset >/dev/null
check "nft flush ruleset leaves both of our tables" tables_are 2
out=$(foreign add rule inet directord prerouting counter drop comment foreign); rc=$?
check "a foreign rule in our chain is refused" bash -c "[ $rc -ne 0 ]"
check "our prerouting chain is unchanged" test "$prerouting_before" = "$(on dir1 nft list chain inet directord prerouting)"
res=$(probe_stop); echo "    probe: $res"
expect_eq "no probe failed while others tried to change our tables" 0 "$(field failures "$res")"
check "DR answers after" dr_request
expect_eq "no drift seen (nothing got through)" "0 0" "$(status_field)"

echo "== reload after the attempts (real1 weight 3 -> 5)"
make_conf persist 5 >/dev/null  # rewrites $CONF
kill -HUP "$DIRECTORD_PID"
check "reload applied: list shows real1 with weight 5" lab_wait_for 5 weight_is 5
check "no reload failure logged" no_reload_failure

echo "== kill -9: persistent tables keep forwarding; a restart owns them again"
probe_start crash
kill -9 "$DIRECTORD_PID"; lab_stop_pid "$DIRECTORD_PID" KILL >/dev/null 2>&1
sleep 0.5
check "both tables are still there after kill -9" tables_are 2
res=$(probe_stop); echo "    probe across the crash: $res"
expect_eq "the VIP answered throughout the crash" 0 "$(field failures "$res")"
directord_start dir1 "$CONF" "$SOCK" || { fail "directord restarts"; finish; }
check "restarted: status says owner,persist" lab_wait_for 5 owner_is owner,persist
out=$(foreign delete table inet directord); rc=$?
check "after the restart nft delete table is refused again" bash -c "[ $rc -ne 0 ]"
check "the VIP answers after the restart" lab_get http://192.0.2.100/
check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
check "SIGTERM removed both tables" tables_are 0

echo "== 2. nftables_owner none: drift is repaired"
CONF=$(make_conf none 3)
directord_start dir1 "$CONF" "$SOCK" || { fail "directord starts with $CONF"; finish; }
check "dir1 holds the VIP (within 5 s)" lab_wait_for 5 on dir1 sh -c 'ip -4 addr show dev lan0 | grep -q "inet 192.0.2.100/"'
check "status: anyone may change the tables" owner_is none
check "the VIP answers" lab_get http://192.0.2.100/

probe_start delete
check "nft delete table inet directord succeeds (not owned)" on dir1 nft delete table inet directord
check "directord counts the drift and repairs it" wait_repairs 1
res=$(probe_stop); echo "    probe: $res"
outage=$(field longest_outage_ms "$res")
echo "    MEASURED: forwarding back ${outage} ms after 'nft delete table inet directord'"
check "forwarding back within $MAX_OUTAGE_MS ms (${outage} ms)" test "${outage:-99999}" -lt "$MAX_OUTAGE_MS"
st=$(ctl status); sed 's/^/    /' <<<"$st"
check "status names the change and the process" grep -q "^Last drift: delete table inet directord.* by nft\[" <<<"$st"

probe_start flush
check "nft flush ruleset succeeds" on dir1 nft flush ruleset
check "directord repairs the flush" wait_repairs 2
res=$(probe_stop); echo "    probe: $res"
outage=$(field longest_outage_ms "$res")
echo "    MEASURED: forwarding back ${outage} ms after 'nft flush ruleset'"
check "forwarding back within $MAX_OUTAGE_MS ms (${outage} ms)" test "${outage:-99999}" -lt "$MAX_OUTAGE_MS"
check "both tables are back" tables_are 2
check "DR answers after the flush" dr_request

check "a foreign rule can be added to our prerouting chain" on dir1 nft add rule inet directord prerouting counter comment '"foreign"'
check "directord repairs it" wait_repairs 3
check "the foreign rule is gone" bash -c "! ip netns exec $(ns dir1) nft list chain inet directord prerouting | grep -q foreign"

check "nft delete table netdev directord succeeds" on dir1 nft delete table netdev directord
check "directord repairs the netdev table" wait_repairs 4
check "DR answers after the netdev table was restored" dr_request
st=$(ctl status); sed 's/^/    /' <<<"$st"
expect_eq "status: 4 drifts seen, 4 repaired" "4 4" "$(status_field)"
status_ok() { ctl status >/dev/null; }
check "status exits 0 (nothing pending)" status_ok
list_ok() { ctl list >/dev/null; }
check "list exits 0 (the kernel holds the plan)" list_ok

echo "== reload after the repairs (real1 weight 3 -> 5)"
make_conf none 5 >/dev/null  # rewrites $CONF
kill -HUP "$DIRECTORD_PID"
check "reload applied: list shows real1 with weight 5" lab_wait_for 5 weight_is 5
check "no reload failure logged" no_reload_failure
check "the VIP answers after the reload" lab_get http://192.0.2.100/
check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
check "SIGTERM removed both tables" tables_are 0

echo "== 3. nftables_owner process: the tables die with the process"
CONF=$(make_conf process 3)
directord_start dir1 "$CONF" "$SOCK" || { fail "directord starts with $CONF"; finish; }
check "status says owner (not persistent)" lab_wait_for 5 owner_is owner
check "the VIP answers" lab_get http://192.0.2.100/
kill -9 "$DIRECTORD_PID"; lab_stop_pid "$DIRECTORD_PID" KILL >/dev/null 2>&1
check "kill -9 took both tables (within 1 s)" lab_wait_for 1 tables_are 0
finish
