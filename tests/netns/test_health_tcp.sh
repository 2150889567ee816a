#!/usr/bin/env bash
# TCP_CHECK end to end (FULLNAT 192.0.2.100:80 over real1-3, delay_loop 1, connect_timeout 1,
# retry 1, delay_before_retry 1, rise 2): every real is probed and up; the listener of the real that
# serves a long-lived keep-alive connection closes (its process keeps serving that connection, so
# only directord can end it) -> the real is shown down within delay_loop x retry + connect_timeout
# (+1.5 s slack) with a connect failure as the reason, its conntrack entries are gone, the
# keep-alive client gets a reset at once instead of answers, and 60 new connections all go to the
# others; the listener reopens -> up again only after rise (2) passes, and takes its share again;
# then the same real's server process is killed -> down again, and a new process -> up.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
source "$HERE/health_lib.sh"
lab_require_root
command -v conntrack >/dev/null || { echo "SKIP: ${0##*/} needs conntrack"; exit 77; }
ha_find_binaries || exit 1
lab_up
W=$LAB_STATE_DIR
CONF="$W/health-tcp.conf"
HL_SOCK="$W/dir1.sock"
SVC="TCP  192.0.2.100:80"
DELAY_LOOP=1 RETRY=1 CONNECT_TIMEOUT=1 RISE=2
BOUND=$((DELAY_LOOP * RETRY + CONNECT_TIMEOUT))

for r in real1 real2 real3; do hs_start "$r" "$r" 80:http || lab_die "$r: health_server did not start"; done

{
  cat <<EOF
global_defs {
    router_id test-health-tcp
    lb_hash_seed 0x1234abcd
}
$(hl_laddr_conf 192.0.2.100)
virtual_server 192.0.2.100 80 {
    delay_loop $DELAY_LOOP
    lb_algo rr
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG4
EOF
  for r in real1 real2 real3; do
    cat <<EOF
    real_server ${LAB_IP4[$r]} 80 {
        weight 1
        TCP_CHECK {
            connect_timeout $CONNECT_TIMEOUT
            retry $RETRY
            delay_before_retry 1
            rise $RISE
        }
    }
EOF
  done
  echo "}"
} >"$CONF"
check "directord -t accepts the TCP_CHECK config" hl_check_conf "$CONF"
directord_start dir1 "$CONF" "$HL_SOCK" || { fail "directord starts"; finish; }
pass "directord started in dir1 (pid $DIRECTORD_PID)"
check "dir1 holds the VIP (within 5 s)" lab_wait_for 5 holds_address dir1 192.0.2.100

echo "== (a) every real probed and up"
all_probed_ok() {
  local l r
  l=$(hl_list)
  for r in real1 real2 real3; do
    [ "$(real_health "$SVC" "${LAB_IP4[$r]}:80" "$l")" = up ] || return 1
    [[ $(real_lastcheck "$SVC" "${LAB_IP4[$r]}:80" "$l") == ok* ]] || return 1
  done
}
check "all three reals up with a passed probe (within 5 s)" lab_wait_for 5 all_probed_ok
hl_show

echo "== (c) a long-lived keep-alive connection through the VIP"
KA_OUT="$W/keepalive.out"; KA_STOP="$W/keepalive.stop"
lab_spawn client "$W/keepalive.log" "$(lab_python)" "$HERE/netclient.py" keepalive 192.0.2.100 80 \
  --out "$KA_OUT" --interval 0.2 --max-seconds 90 --stop-file "$KA_STOP"
KA_PID=$LAB_LAST_PID
lab_wait_for 5 grep -q '^ok ' "$KA_OUT" || { fail "keep-alive connection answered"; cat "$KA_OUT" "$W/keepalive.log" 2>/dev/null; finish; }
victim=$(awk '/^ok / {print $2; exit}' "$KA_OUT")
VIP_OF_VICTIM=${LAB_IP4[$victim]}
V="$VIP_OF_VICTIM:80"
pass "keep-alive connection is served by $victim ($V)"
others=()
for r in real1 real2 real3; do [ "$r" != "$victim" ] && others+=("$r"); done
ct_victim() { on dir1 conntrack -L -p tcp --orig-dst 192.0.2.100 2>/dev/null | grep -E "src=$VIP_OF_VICTIM dst=198\.51\.100\.20[01] sport=80 "; }
n=$(ct_victim | wc -l)
check "dir1's conntrack holds the keep-alive flow VIP -> $victim ($n entries)" test "$n" -ge 1

echo "== (b) $victim's listener closes (its process keeps serving accepted connections)"
t0=$(now_s)
hs_close "$victim" 80
check "nothing listens on $victim:80 (within 2 s)" lab_wait_for 2 bash -c "! ip netns exec $(ns "$victim") ss -Hltn 'sport = :80' | grep -q ."
LIMIT=$(awk -v b=$BOUND 'BEGIN {print b + 1.5}')
KEY="TCP 192.0.2.100:80 -> $V"
# detected T0 WHAT: the verdict's time in directord's log and when `list` first showed it.
detected() {
  local shown verdict
  shown=$(elapsed_since "$1")
  verdict=$(wait_verdict 2 "$KEY" down "$1")
  echo "    MEASURED $2: verdict ${verdict:-?} s after (directord's log), shown by list after ${shown} s" \
    "($HL_POLLS list calls, slowest ${HL_SLOWEST} s); configured delay_loop x retry + connect_timeout = ${BOUND} s"
  check "verdict within ${BOUND} s + 1.5 s (${verdict:-none} s)" le "${verdict:-99}" "$LIMIT"
  # The poll's own latency is not directord's: a list call that took long is forgiven.
  check "list shows it within ${BOUND} s + 1.5 s (+ the slowest list call, ${HL_SLOWEST} s): ${shown} s" \
    le "$shown" "$(awk -v a="$LIMIT" -v b="$HL_SLOWEST" 'BEGIN {print a + b}')"
}
if wait_health 10 "$SVC" "$V" down; then
  detected "$t0" "detection (listener closed -> down)"
else
  fail "$victim shown down within 10 s (list says '$(real_health "$SVC" "$V")')"
fi
t_down=$(now_s)
list=$(hl_list); echo "$list" | sed 's/^/    /'
reason=$(real_lastcheck "$SVC" "$V" "$list")
check "the reason names the connect failure ('$reason')" grep -Eqi 'refused|connect' <<<"$reason"
expect_eq "weight column of the down real" 0 "$(real_weight "$SVC" "$V" "$list")"
check "directorctl health counts connect-refused failures for $V" has_failures "$SVC" "$V" connect-refused

echo "== (c) the keep-alive flow to $victim: deleted, the client learns at once"
if lab_wait_for 4 grep -q '^err' "$KA_OUT"; then
  learn=$(elapsed_since "$t_down")
  err=$(grep -m1 '^err' "$KA_OUT")
  echo "    MEASURED keep-alive client error ${learn} s after the down was seen: $err"
  check "the keep-alive client's error is a reset/close, not a timeout ('$err')" bash -c '! grep -qi "timed out" <<<"$1"' _ "$err"
  check "it came within 2 s of the down (${learn} s)" le "$learn" 2
else
  fail "the keep-alive client saw an error within 4 s of the down (it got $(grep -c '^ok ' "$KA_OUT") answers in all: $(tail -n 2 "$KA_OUT" | tr '\n' ' '))"
fi
n=$(ct_victim | wc -l)
expect_eq "conntrack entries VIP -> $victim:80 left in dir1" 0 "$n"
[ "$n" -eq 0 ] || ct_victim | sed 's/^/    /'

echo "== (b) 60 new connections while $victim is down"
out=$(for ((i = 0; i < 60; i++)); do CURL_TIMEOUT=3 vip_request || echo error; echo; done | grep -v '^$')
expect_eq "60 new connections answered" 60 "$(grep -c '^real' <<<"$out")"
expect_eq "none reached $victim" 0 "$(grep -c "^$victim " <<<"$out")"
echo "    distribution: $(count_reals <<<"$out")"

echo "== (d) the listener reopens: up again after rise $RISE passes"
# Probe counters of the victim's checker when it reopens; at the first "up" seen, how many passes
# ran since (probes - failures): rise 2 must have needed two.
counts() { _hl_health_block "$SVC" "$V" | awk '$1 == "probes" {gsub(",", "", $2); gsub(",", "", $4); print $2, $4; exit}'; }
read -r p0 f0 <<<"$(counts)"; p0=${p0:-0} f0=${f0:-0}
t1=$(now_s)
hs_open "$victim" 80
if wait_health 10 "$SVC" "$V" up; then
  back=$(elapsed_since "$t1")
  read -r p1 f1 <<<"$(counts)"; p1=${p1:-0} f1=${f1:-0}
  passes=$(((p1 - p0) - (f1 - f0)))
  up_after=$(wait_verdict 1 "$KEY" up "$t1")
  echo "    MEASURED recovery (listener open -> list shows up): ${back} s ($HL_POLLS list calls, slowest ${HL_SLOWEST} s);" \
    "verdict after ${up_after:-?} s (log); passes counted: $passes (probes $p0->$p1, failures $f0->$f1)"
  check "up only after $RISE passes (counted $passes when list first showed it up)" test "$passes" -ge "$RISE"
  # rise passes, delay_before_retry (1 s) apart, the first within delay_loop (+5% jitter).
  check "up verdict within rise x 1 s + 1.5 s of reopening (${up_after:-none} s)" le "${up_after:-99}" $((RISE + 1)).5
else
  fail "$victim back up within 10 s (list says '$(real_health "$SVC" "$V")')"
fi
out=$(for ((i = 0; i < 30; i++)); do CURL_TIMEOUT=3 vip_request || echo error; echo; done | grep -v '^$')
expect_eq "rr over 30 new connections includes $victim again" "real1=10 real2=10 real3=10" "$(count_reals <<<"$out")"

echo "== (b') $victim's server process is killed (SIGKILL): down again; a new process: up"
t2=$(now_s)
hs_stop "$victim" KILL
if wait_health 10 "$SVC" "$V" down; then
  detected "$t2" "detection (kill -9 -> down)"
else
  fail "$victim shown down within 10 s of its kill"
fi
out=$(for ((i = 0; i < 12; i++)); do CURL_TIMEOUT=3 vip_request || echo error; echo; done | grep -v '^$')
expect_eq "12 new connections answered, none by $victim" "12 0" "$(grep -c '^real' <<<"$out") $(grep -c "^$victim " <<<"$out")"
t3=$(now_s)
hs_start "$victim" "$victim" 80:http || fail "$victim: health_server restarts"
if wait_health 10 "$SVC" "$V" up; then
  echo "    MEASURED recovery after restart: $(elapsed_since "$t3") s"
  pass "$victim up again after its server restarted"
else
  fail "$victim up within 10 s of its restart"
fi
out=$(for ((i = 0; i < 30; i++)); do CURL_TIMEOUT=3 vip_request || echo error; echo; done | grep -v '^$')
expect_eq "rr over 30 new connections after the restart" "real1=10 real2=10 real3=10" "$(count_reals <<<"$out")"

touch "$KA_STOP"
lab_stop_pid "$KA_PID" >/dev/null
check "directord still running" kill -0 "$DIRECTORD_PID"
check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
finish
