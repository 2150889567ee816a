#!/usr/bin/env bash
# Connection-count scheduling through NAT: wlc steered from conntrack's events places long-lived
# connections where IPVS's wlc would. 30 connections opened one at a time spread 10/10/10; the 10
# of one real close (their TIME_WAIT entries stay, inactive), and of 20 more the IPVS model puts 13
# on that real (10 to catch up, then every third: its inactive connections lose the ties). The same
# sequence under rr puts about 7 there: the two are asserted to differ. directorctl lookup names
# the next pick. Then a mixed load (150 connections at 20/s; real1 holds its connections 10x
# longer): the share real1 takes and the open connections per weight unit, measured under wlc and
# rr and beside the IPVS wlc model replaying the same arrivals.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
reals_route_via_director 198.51.100.2 fd00:1::2
PY=$(lab_python)
for r in "${LAB_REALS[@]}"; do
  lab_spawn "$r" "$LAB_STATE_DIR/$r-drill.log" "$PY" "$LAB_SOURCE_DIR/tests/netns/drill_server.py" --name "$r" --port 9000
done
for r in "${LAB_REALS[@]}"; do
  lab_wait_listen "$r" tcp 9000 || { cat "$LAB_STATE_DIR/$r-drill.log" >&2; lab_die "$r did not start"; }
done

conf() {  # SCHEDULER
  cat <<CONF
global_defs {
    router_id lab-dir1
}
static_ipaddress {
    192.0.2.101/32 dev lan0
}
virtual_server 192.0.2.101 9000 {
    lb_algo $1
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 9000 {
    }
    real_server 198.51.100.12 9000 {
    }
    real_server 198.51.100.13 9000 {
    }
}
CONF
}
CONF="$LAB_STATE_DIR/lc.conf"
SOCK="$LAB_STATE_DIR/dir1.sock"
conf wlc >"$CONF"
directord_start dir1 "$CONF" "$SOCK" || { fail "directord starts with lb_algo wlc"; finish; }
pass "directord started in dir1 with lb_algo wlc (pid $DIRECTORD_PID)"
check "dir1 holds the VIP (within 5 s)" lab_wait_for 5 on dir1 sh -c 'ip -4 addr show dev lan0 | grep -q "inet 192.0.2.101/"'

# Round "then": how many of the 20 landed on the real whose 10 were closed.
landed_on_closed() {  # OUTPUT
  local victim
  victim=$(awk '$1 == "closed" { split($2, a, "="); print a[1] }' <<<"$1")
  awk -v v="$victim" '$1 == "then" { for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == v) n = a[2] } } END { print n + 0 }' <<<"$1"
}
drill() {  # -> stdout of hold_conns.py in the client
  on client timeout 60 "$PY" "$LAB_SOURCE_DIR/tests/netns/hold_conns.py" --vip 192.0.2.101 --port 9000 \
    --first 30 --then 20 --pace 0.05 --close-real real2
}

echo "== wlc: 30 long-lived connections, then real2's close, then 20 more"
out=$(drill); sed 's/^/    /' <<<"$out"
expect_eq "wlc spreads 30 long-lived connections" "first real1=10 real2=10 real3=10" "$(grep '^first' <<<"$out")"
wlc_landed=$(landed_on_closed "$out")
check "wlc: at least 12 of the 20 new connections land on real2 (IPVS model: 13; got $wlc_landed)" test "$wlc_landed" -ge 12

lookup=$(on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" lookup tcp 203.0.113.10 5555 192.0.2.101 9000 2>&1)
echo "    $lookup"
check "directorctl lookup names wlc's next pick" grep -qE '198\.51\.100\.1[123]:9000 \(wlc: the next connection goes to' <<<"$lookup"

mixed() {  # LABEL: the mixed load from a clean table; prints its report, returns real1's measured share
  on dir1 conntrack -F >/dev/null 2>&1
  sleep 0.5
  local out
  out=$(on client timeout 60 "$PY" "$LAB_SOURCE_DIR/tests/netns/mixed_load.py" --vip 192.0.2.101 --port 9000 \
    --count 150 --rate 20 --hold 0.3 --slow real1 --slow-factor 10)
  sed "s/^/    $1 /" <<<"$out" >&2
  MIXED_MEASURED=$(awk '$1 == "measured" { for (i = 2; i <= NF; i++) if ($i ~ /^real1=/ && seen++) { split($i, a, "="); print a[2] } }' <<<"$out")
  MIXED_MODEL=$(awk '$1 == "model" { for (i = 2; i <= NF; i++) if ($i ~ /^real1=/ && seen++) { split($i, a, "="); print a[2] } }' <<<"$out")
}
echo "== wlc: mixed load, real1 holds its connections 10x longer"
mixed wlc
wlc_share=$MIXED_MEASURED model_share=$MIXED_MODEL
check "wlc gives the slow real about the share the IPVS model gives it ($wlc_share vs $model_share, within 0.08)" \
  awk -v a="$wlc_share" -v b="$model_share" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 0.08) }'

echo "== rr: the same sequence"
conf rr >"$CONF"
kill -HUP "$DIRECTORD_PID"
check "reload to rr applied (within 5 s)" lab_wait_for 5 bash -c "ip netns exec $(ns dir1) '$DIRECTORCTL' --admin-socket '$SOCK' -Ln 2>/dev/null | grep -q '^TCP  192.0.2.101:9000 rr'"
out=$(drill); sed 's/^/    /' <<<"$out"
rr_landed=$(landed_on_closed "$out")
check "rr: the closed real gets its turn only (at most 8 of 20; got $rr_landed)" test "$rr_landed" -le 8
check "wlc and rr place the new connections differently ($wlc_landed vs $rr_landed)" test "$wlc_landed" -gt "$rr_landed"
echo "== rr: the mixed load"
mixed rr
rr_share=$MIXED_MEASURED
check "rr keeps sending the slow real its third ($rr_share), wlc much less ($wlc_share)" \
  awk -v r="$rr_share" -v w="$wlc_share" 'BEGIN { exit !(r != "" && w != "" && r >= 0.28 && r - w >= 0.1) }'

check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
finish
