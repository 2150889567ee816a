#!/usr/bin/env bash
# UDP_CHECK and MISC_CHECK end to end (FULLNAT, delay_loop 1, retry 1, delay_before_retry 1).
# UDP 192.0.2.101:53 over real1-3, each UDP_CHECK { payload 6869 require_reply 7265616c
# connect_timeout 5 } (the lab's UDP servers answer "<real> <peer>", so the reply starts with
# "real"): real2's UDP socket closes -> ICMP port unreachable -> down well before connect_timeout
# (5 s) with a refused/unreachable reason, and 12 new UDP flows all go to real1/real3; it reopens ->
# up. A UDP_CHECK whose require_reply (6869, "hi") the server never sends -> down, reply mismatch.
# TCP 192.0.2.101:80 (wrr): real1 has a MISC_CHECK testing a flag file: flag removed -> down, no new
# flows, flag back -> up; real2 has a misc_dynamic MISC_CHECK: exit 7 -> weight 5 in `directorctl
# list`, and 35 new connections split 5/25/5 (the forwarder uses it). Script surroundings (issue
# 11): directord runs with SECRET_TOKEN in its environment, real1's script records its own: only
# PATH=/usr/sbin:/usr/bin:/sbin:/bin reaches it; the `sleep` each run leaves in the background is
# gone once the script exits; the resolved path is logged.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
source "$HERE/health_lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
W=$LAB_STATE_DIR
CONF="$W/health-udp-misc.conf"
HL_SOCK="$W/dir1.sock"
USVC="UDP  192.0.2.101:53" TSVC="TCP  192.0.2.101:80" XSVC="UDP  192.0.2.113:53"
CONNECT_TIMEOUT=5

for r in real1 real2 real3; do hs_start "$r" "$r" 53:udp 80:http || lab_die "$r: health_server did not start"; done
touch "$W/misc.flag"
echo 0 >"$W/misc.code"
cat >"$W/misc_flag.sh" <<EOF
#!/bin/sh
# MISC_CHECK of real1: passes while the flag file exists. Records its environment, and leaves a
# sleep in the background (its pid in misc.bg) that must not outlive it.
env >"$W/misc.env"
sleep 1000 &
echo \$! >"$W/misc.bg"
test -f "$W/misc.flag"
EOF
cat >"$W/misc_dyn.sh" <<EOF
#!/bin/sh
# misc_dynamic MISC_CHECK of real2: exits with the code in the file (2..255: weight = code - 2).
exit \$(cat "$W/misc.code")
EOF
chmod +x "$W/misc_flag.sh" "$W/misc_dyn.sh"

udp_real() {  # REAL REQUIRE_REPLY
  cat <<EOF
    real_server ${LAB_IP4[$1]} 53 {
        UDP_CHECK {
            connect_port 53
            payload 6869
            require_reply $2
            connect_timeout $CONNECT_TIMEOUT
            retry 1
            delay_before_retry 1
        }
    }
EOF
}
{
  cat <<EOF
global_defs {
    router_id test-health-udp-misc
    lb_hash_seed 0x1234abcd
}
$(hl_laddr_conf 192.0.2.101)
virtual_server 192.0.2.101 53 {
    delay_loop 1
    lb_algo rr
    lb_kind FNAT
    protocol UDP
    laddr_group_name LAG4
$(udp_real real1 7265616c)
$(udp_real real2 7265616c)
$(udp_real real3 7265616c)
}
virtual_server 192.0.2.113 53 {
    delay_loop 1
    lb_algo rr
    lb_kind FNAT
    protocol UDP
    laddr_group_name LAG4
$(udp_real real1 6869)
}
virtual_server 192.0.2.101 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG4
    real_server ${LAB_IP4[real1]} 80 {
        weight 1
        MISC_CHECK {
            misc_path "$W/misc_flag.sh"
            misc_timeout 2
            retry 1
            delay_before_retry 1
        }
    }
    real_server ${LAB_IP4[real2]} 80 {
        weight 1
        MISC_CHECK {
            misc_path "$W/misc_dyn.sh"
            misc_timeout 2
            misc_dynamic
            retry 1
            delay_before_retry 1
        }
    }
    real_server ${LAB_IP4[real3]} 80 {
        weight 1
    }
}
EOF
} >"$CONF"
check "directord -t accepts the UDP_CHECK/MISC_CHECK config" hl_check_conf "$CONF"
export SECRET_TOKEN=hunter2-must-not-leak
directord_start dir1 "$CONF" "$HL_SOCK" || { fail "directord starts"; finish; }
unset SECRET_TOKEN
pass "directord started in dir1 (pid $DIRECTORD_PID)"
check "dir1 holds the VIP 192.0.2.101 (within 5 s)" lab_wait_for 5 holds_address dir1 192.0.2.101

probed_ok() { [[ $(real_lastcheck "$1" "$2") == ok* ]] && [ "$(real_health "$1" "$2")" = up ]; }
all_ok() {
  local r
  for r in real1 real2 real3; do probed_ok "$USVC" "${LAB_IP4[$r]}:53" || return 1; done
  probed_ok "$TSVC" "${LAB_IP4[real1]}:80" && probed_ok "$TSVC" "${LAB_IP4[real2]}:80"
}
check "every UDP_CHECK and MISC_CHECK probed and passing (within 5 s)" lab_wait_for 5 all_ok
expect_eq "real3 of the TCP service has no checker: Health column" "-" "$(real_health "$TSVC" "${LAB_IP4[real3]}:80")"
hl_show

echo "== MISC_CHECK's surroundings"
check "directord's own environment has SECRET_TOKEN (the test's premise)" grep -qz '^SECRET_TOKEN=' "/proc/$DIRECTORD_PID/environ"
check "real1's script ran and recorded its environment" test -s "$W/misc.env"
expect_eq "the script's environment (but dash's PWD)" "PATH=/usr/sbin:/usr/bin:/sbin:/bin" "$(grep -v '^PWD=' "$W/misc.env")"
# Each run (one a second) leaves a `sleep 1000`; the one of the run in progress may be alive for
# a few ms, one that outlived its script would be older than a second.
old_sleeps() {
  local p
  for p in $(ip netns pids "$(ns dir1)"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] || continue
    [ "$(ps -o etimes= -p "$p" 2>/dev/null | tr -d ' ')" -ge 2 ] 2>/dev/null && echo "$p"
  done | wc -l
}
sleep 3  # a few more runs
check "the script recorded its background sleep's pid" test -s "$W/misc.bg"
expect_eq "no background 'sleep 1000' older than 2 s in dir1 after several runs" 0 "$(old_sleeps)"
check "the resolved script path is logged" grep -q "MISC_CHECK for real_server ${LAB_IP4[real1]}:80 uses $W/misc_flag.sh" "$LAB_STATE_DIR/directord-dir1.log"

echo "== UDP_CHECK whose require_reply (6869) the server never sends"
X="${LAB_IP4[real1]}:53"
if wait_health 6 "$XSVC" "$X" down; then
  pass "down: $(real_lastcheck "$XSVC" "$X")"
  check "directorctl health counts reply-mismatch for it" has_failures "$XSVC" "$X" reply-mismatch
else
  fail "UDP_CHECK with require_reply 6869 down within 6 s (shows '$(real_health "$XSVC" "$X")' '$(real_lastcheck "$XSVC" "$X")')"
fi

udp_burst() {  # N: N datagrams to the VIP, each from a new socket; one answer (or "error") a line
  local i
  for ((i = 0; i < $1; i++)); do on client "$(lab_python)" "$HERE/netclient.py" udp 192.0.2.101 53 --timeout 2 || echo error; done
}
echo "== real2's UDP socket closes: ICMP port unreachable"
V="${LAB_IP4[real2]}:53"
t0=$(now_s)
hs_close real2 53
check "nothing bound to udp/53 in real2 (within 2 s)" lab_wait_for 2 bash -c "! ip netns exec $(ns real2) ss -Hlun 'sport = :53' | grep -q ."
if wait_health 15 "$USVC" "$V" down; then
  detect=$(elapsed_since "$t0")
  reason=$(real_lastcheck "$USVC" "$V")
  echo "    MEASURED UDP detection: ${detect} s (connect_timeout ${CONNECT_TIMEOUT} s; by timeouts it would take >= $((2 * CONNECT_TIMEOUT + 1)) s)"
  check "down before connect_timeout (${detect} s < ${CONNECT_TIMEOUT} s): the ICMP error fails the probe" le "$detect" "$CONNECT_TIMEOUT"
  check "the reason is the ICMP port unreachable ('$reason')" grep -Eqi 'refused|unreachable' <<<"$reason"
  check "directorctl health counts connect-refused (not timeouts) for real2" has_failures "$USVC" "$V" connect-refused
else
  fail "real2's UDP_CHECK down within 15 s"
fi
out=$(udp_burst 12)
expect_eq "12 new UDP flows answered" 12 "$(grep -c '^real' <<<"$out")"
expect_eq "none reached real2" 0 "$(grep -c '^real2 ' <<<"$out")"
echo "    distribution: $(count_reals <<<"$out")"
t0=$(now_s)
hs_open real2 53
if wait_health 8 "$USVC" "$V" up; then
  echo "    MEASURED UDP recovery: $(elapsed_since "$t0") s"; pass "real2 up again once its UDP socket is back"
else
  fail "real2's UDP_CHECK up within 8 s of reopening"
fi
out=$(udp_burst 6)
expect_eq "6 new UDP flows (rr) after recovery" "real1=2 real2=2 real3=2" "$(count_reals <<<"$out")"

echo "== MISC_CHECK: the flag file goes"
M1="${LAB_IP4[real1]}:80"
t0=$(now_s)
rm -f "$W/misc.flag"
if wait_health 8 "$TSVC" "$M1" down; then
  echo "    MEASURED MISC_CHECK detection: $(elapsed_since "$t0") s"
  pass "real1 down: $(real_lastcheck "$TSVC" "$M1")"
  check "directorctl health counts script-failed for it" has_failures "$TSVC" "$M1" script-failed
else
  fail "real1 (MISC_CHECK) down within 8 s of its flag's removal"
fi
out=$(for ((i = 0; i < 12; i++)); do CURL_TIMEOUT=3 vip_request 192.0.2.101 || echo error; echo; done | grep -v '^$')
expect_eq "12 new connections answered, none by real1" "12 0" "$(grep -c '^real' <<<"$out") $(grep -c '^real1 ' <<<"$out")"
touch "$W/misc.flag"
check "real1 up again with its flag back (within 8 s)" wait_health 8 "$TSVC" "$M1" up

echo "== misc_dynamic: real2's script exits 7 -> weight 5"
M2="${LAB_IP4[real2]}:80"
echo 7 >"$W/misc.code"
weight5() { [ "$(real_weight "$TSVC" "$M2")" = 5 ]; }
check "directorctl list shows weight 5 for real2 (within 6 s)" lab_wait_for 6 weight5
expect_eq "real2 stays up meanwhile" up "$(real_health "$TSVC" "$M2")"
hl_show
out=$(for ((i = 0; i < 35; i++)); do CURL_TIMEOUT=3 vip_request 192.0.2.101 || echo error; echo; done | grep -v '^$')
expect_eq "wrr 1:5:1 over 35 new connections" "real1=5 real2=25 real3=5" "$(count_reals <<<"$out")"
echo 0 >"$W/misc.code"
sleep 3
echo "    after exit 0 again: real2 weight $(real_weight "$TSVC" "$M2"), health $(real_health "$TSVC" "$M2")"
_hl_health_block "$TSVC" "$M2" | sed 's/^/    /'
check "directord still running" kill -0 "$DIRECTORD_PID"
check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
finish
