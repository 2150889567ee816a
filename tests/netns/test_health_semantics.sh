#!/usr/bin/env bash
# What a health verdict does to the forwarder (FULLNAT, delay_loop 1, TCP_CHECK connect_timeout 1
# retry 1 delay_before_retry 1). The reals serve HTTP with scripts/real_server.py on 80 and 8080;
# the checks probe other ports (8081-8083, tests/netns/health_server.py) that the test opens and
# closes, so a real can fail its check while its service still answers.
#  inhibit  192.0.2.100:80 over real1 (inhibit_on_failure), real2 (without), real3: one keep-alive
#           connection on each; the checks of real1 and real2 fail -> real1 "inhibited" at weight 0
#           and its connection keeps being answered, real2 "down" and its connection is cut (the
#           contrast), new flows all go to real3; checks pass again -> both up.
#  sorry    192.0.2.103:80 over real1+real2 with sorry_server real3:8080: both down -> clients get
#           real3's answer and `list` names the active sorry server; real1 back -> it serves again.
#  quorum   192.0.2.104:80 over real1-3 with quorum 2 hysteresis 0 and quorum_up/quorum_down
#           scripts: two down -> quorum_down ran exactly once, "(quorum lost)" shown, and a VRRP
#           instance with track_virtual_server on it goes FAULT; one back -> quorum_up ran once and
#           the instance is MASTER again.
#  notify   real2 of 192.0.2.100 has notify_down/notify_up scripts: each ran once per transition.
#  alpha    192.0.2.105:80 with alpha: real1 (its check never passes) was never up (0 transitions)
#           and gets no flows; real2 (passing) came up from down (1 transition) and takes them all.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
source "$HERE/health_lib.sh"
lab_require_root
command -v conntrack >/dev/null || { echo "SKIP: ${0##*/} needs conntrack"; exit 77; }
ha_find_binaries || exit 1
lab_up
start_reals
W=$LAB_STATE_DIR
CONF="$W/health-semantics.conf"
HL_SOCK="$W/dir1.sock"
ISVC="TCP  192.0.2.100:80" SSVC="TCP  192.0.2.103:80" QSVC="TCP  192.0.2.104:80"
for r in real1 real2 real3; do
  hs_start "$r" "chk-$r" 8081:http 8082:http 8083:http || lab_die "$r: check listener did not start"
done
cat >"$W/quorum.sh" <<EOF
#!/bin/sh
echo "\$1 \$(date +%s.%N)" >>"$W/quorum.log"
EOF
cat >"$W/notify.sh" <<EOF
#!/bin/sh
echo "\$*" >>"$W/notify.log"
EOF
chmod +x "$W/quorum.sh" "$W/notify.sh"
: >"$W/quorum.log"
: >"$W/notify.log"

tcp_check() {  # PORT
  cat <<EOF
        TCP_CHECK {
            connect_port $1
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
EOF
}
vs_head() {  # VIP
  cat <<EOF
virtual_server $1 80 {
    delay_loop 1
    lb_algo rr
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG4
EOF
}
cat >"$CONF" <<EOF
global_defs {
    router_id test-health-semantics
    lb_hash_seed 0x1234abcd
    vrrp_version 3
}
$(hl_laddr_conf 192.0.2.100 192.0.2.103 192.0.2.104 192.0.2.105)
$(vs_head 192.0.2.100)
    real_server ${LAB_IP4[real1]} 80 {
        inhibit_on_failure
$(tcp_check 8081)
    }
    real_server ${LAB_IP4[real2]} 80 {
        notify_down "$W/notify.sh down real2"
        notify_up "$W/notify.sh up real2"
$(tcp_check 8081)
    }
    real_server ${LAB_IP4[real3]} 80 {
$(tcp_check 8081)
    }
}
$(vs_head 192.0.2.103)
    sorry_server ${LAB_IP4[real3]} 8080
    real_server ${LAB_IP4[real1]} 80 {
$(tcp_check 8082)
    }
    real_server ${LAB_IP4[real2]} 80 {
$(tcp_check 8082)
    }
}
$(vs_head 192.0.2.104)
    quorum 2
    hysteresis 0
    quorum_up "$W/quorum.sh up"
    quorum_down "$W/quorum.sh down"
    real_server ${LAB_IP4[real1]} 80 {
$(tcp_check 8083)
    }
    real_server ${LAB_IP4[real2]} 80 {
$(tcp_check 8083)
    }
    real_server ${LAB_IP4[real3]} 80 {
$(tcp_check 8083)
    }
}
$(vs_head 192.0.2.105)
    alpha
    real_server ${LAB_IP4[real1]} 80 {
$(tcp_check 8089)
    }
    real_server ${LAB_IP4[real2]} 80 {
$(tcp_check 80)
    }
}
vrrp_instance VI_Q {
    interface lan0
    virtual_router_id 61
    priority 150
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.120/32 dev lan0
    }
    track_virtual_server {
        192.0.2.104 80
    }
}
EOF
check "directord -t accepts the config" hl_check_conf "$CONF"
directord_start dir1 "$CONF" "$HL_SOCK" || { fail "directord starts"; finish; }
pass "directord started in dir1 (pid $DIRECTORD_PID)"
check "dir1 holds the VIPs (within 5 s)" lab_wait_for 5 holds_address dir1 192.0.2.104
probed_ok() { [[ $(real_lastcheck "$1" "$2") == ok* ]] && [ "$(real_health "$1" "$2")" = up ]; }
all_ok() {
  local s r
  for s in "$ISVC" "$QSVC"; do for r in real1 real2 real3; do probed_ok "$s" "${LAB_IP4[$r]}:80" || return 1; done; done
  probed_ok "$SSVC" "${LAB_IP4[real1]}:80" && probed_ok "$SSVC" "${LAB_IP4[real2]}:80"
}
check "every real of the three services probed and up (within 6 s)" lab_wait_for 6 all_ok
check "VI_Q MASTER while the quorum holds (within 5 s)" wait_vrrp_state 5 dir1 "$HL_SOCK" MASTER VI_Q

echo "==== alpha: every real starts down until its checks pass"
ASVC="TCP  192.0.2.105:80"
check "alpha: real2 (passing check) up (within 5 s)" wait_health 5 "$ASVC" "${LAB_IP4[real2]}:80" up
transitions() { _hl_health_block "$1" "$2" | awk '$1 == "->" {for (i = 1; i < NF; i++) if ($(i + 1) ~ /^transition/) {print $i; exit}}'; }
expect_eq "alpha: real2 came up from down (transitions)" 1 "$(transitions "$ASVC" "${LAB_IP4[real2]}:80")"
expect_eq "alpha: real1 (nothing listens on 8089) down and never up (health, transitions)" "down 0" \
  "$(real_health "$ASVC" "${LAB_IP4[real1]}:80") $(transitions "$ASVC" "${LAB_IP4[real1]}:80")"
out=$(for ((i = 0; i < 6; i++)); do CURL_TIMEOUT=3 vip_request 192.0.2.105 || echo error; echo; done | grep -v '^$')
expect_eq "alpha: 6 new connections, all to real2" "real1=0 real2=6 real3=0" "$(count_reals <<<"$out")"

echo "==== inhibit_on_failure keeps established flows; without it they are cut"
declare -A KA=()   # real -> keep-alive output file
for i in 1 2 3; do
  out="$W/ka$i.out"
  lab_spawn client "$W/ka$i.log" "$(lab_python)" "$HERE/netclient.py" keepalive 192.0.2.100 80 \
    --out "$out" --interval 0.2 --max-seconds 120 --stop-file "$W/ka.stop"
  lab_wait_for 5 grep -q '^ok ' "$out" || { fail "keep-alive $i answered"; cat "$out" "$W/ka$i.log"; finish; }
  KA[$(awk '/^ok / {print $2; exit}' "$out")]=$out
done
expect_eq "rr put the three keep-alive connections on three reals" "real1 real2 real3" "$(printf '%s\n' "${!KA[@]}" | sort | tr '\n' ' ' | sed 's/ $//')"
[ -n "${KA[real1]:-}" ] && [ -n "${KA[real2]:-}" ] && [ -n "${KA[real3]:-}" ] || finish
ct_of() { on dir1 conntrack -L -p tcp --orig-dst 192.0.2.100 2>/dev/null | grep -cE "src=${LAB_IP4[$1]} dst=198\.51\.100\.20[01] sport=80 "; }
echo "    conntrack flows via the VIP before: real1=$(ct_of real1) real2=$(ct_of real2) real3=$(ct_of real3)"
hs_close chk-real1 8081
hs_close chk-real2 8081
check "real1 (inhibit_on_failure) shown inhibited (within 6 s)" wait_health 6 "$ISVC" "${LAB_IP4[real1]}:80" inhibited
check "real2 (no inhibit) shown down (within 6 s)" wait_health 6 "$ISVC" "${LAB_IP4[real2]}:80" down
t_down=$(now_s)
list=$(hl_list); echo "$list" | sed 's/^/    /'
expect_eq "weights: real1 (inhibited) real2 (down) real3" "0 0 1" \
  "$(real_weight "$ISVC" "${LAB_IP4[real1]}:80" "$list") $(real_weight "$ISVC" "${LAB_IP4[real2]}:80" "$list") $(real_weight "$ISVC" "${LAB_IP4[real3]}:80" "$list")"
n1=$(grep -c '^ok ' "${KA[real1]}")
check "real2's keep-alive connection is cut within 3 s (conntrack deleted)" lab_wait_for 3 grep -q '^err' "${KA[real2]}"
echo "    real2's keep-alive client: $(grep -m1 '^err' "${KA[real2]}" || echo 'no error') ($(elapsed_since "$t_down") s after the down was seen)"
more1() { [ "$(grep -c '^ok ' "${KA[real1]}")" -ge $((n1 + 10)) ]; }
check "real1's keep-alive connection keeps being answered: 10 more answers (within 5 s)" lab_wait_for 5 more1
expect_eq "errors on real1's and real3's keep-alive connections" "0 0" "$(grep -c '^err' "${KA[real1]}") $(grep -c '^err' "${KA[real3]}")"
check "every answer on real1's connection came from real1" test -z "$(awk '/^ok / {print $2}' "${KA[real1]}" | grep -vx real1)"
echo "    conntrack flows via the VIP after: real1=$(ct_of real1) real2=$(ct_of real2) real3=$(ct_of real3)"
check "real1's flow is still in dir1's conntrack" test "$(ct_of real1)" -ge 1
expect_eq "real2's flows left in dir1's conntrack" 0 "$(ct_of real2)"
out=$(for ((i = 0; i < 15; i++)); do CURL_TIMEOUT=3 vip_request 192.0.2.100 || echo error; echo; done | grep -v '^$')
expect_eq "15 new connections all go to real3" "real1=0 real2=0 real3=15" "$(count_reals <<<"$out")"
hs_open chk-real1 8081
hs_open chk-real2 8081
check "real1 up again (within 6 s)" wait_health 6 "$ISVC" "${LAB_IP4[real1]}:80" up
check "real2 up again (within 6 s)" wait_health 6 "$ISVC" "${LAB_IP4[real2]}:80" up
out=$(for ((i = 0; i < 15; i++)); do CURL_TIMEOUT=3 vip_request 192.0.2.100 || echo error; echo; done | grep -v '^$')
expect_eq "15 new connections rr over the three again" "real1=5 real2=5 real3=5" "$(count_reals <<<"$out")"
touch "$W/ka.stop"
expect_eq "real2's notify_down and notify_up each ran once, in order" "down real2,up real2," "$(tr '\n' ',' <"$W/notify.log")"

echo "==== sorry_server when every real is down"
out=$(for ((i = 0; i < 4; i++)); do CURL_TIMEOUT=3 vip_request 192.0.2.103 || echo error; echo; done | grep -v '^$')
expect_eq "192.0.2.103 served by real1 and real2 while they are up" "real1=2 real2=2 real3=0" "$(count_reals <<<"$out")"
hs_close chk-real1 8082
hs_close chk-real2 8082
check "real1 down (within 6 s)" wait_health 6 "$SSVC" "${LAB_IP4[real1]}:80" down
check "real2 down (within 6 s)" wait_health 6 "$SSVC" "${LAB_IP4[real2]}:80" down
t0=$(now_s)
sorry_serves() { CURL_TIMEOUT=2 vip_request 192.0.2.103 | grep -q '^real3 '; }
check "a client of 192.0.2.103 gets the sorry server real3:8080 (within 3 s)" lab_wait_for 3 sorry_serves
echo "    MEASURED sorry server answering $(elapsed_since "$t0") s after both were shown down"
out=$(for ((i = 0; i < 10; i++)); do CURL_TIMEOUT=3 vip_request 192.0.2.103 || echo error; echo; done | grep -v '^$')
expect_eq "10 new connections, all answered by the sorry server" "real1=0 real2=0 real3=10" "$(count_reals <<<"$out")"
list=$(hl_list)
check "directorctl list names the active sorry server" grep -q "${LAB_IP4[real3]}:8080 (sorry server, active)" <<<"$list"
awk '/192.0.2.103:80/ {f=1; print "    " $0; next} /^(TCP|UDP) / {f=0} f {print "    " $0}' <<<"$list"
hs_open chk-real1 8082
check "real1 up again (within 6 s)" wait_health 6 "$SSVC" "${LAB_IP4[real1]}:80" up
t0=$(now_s)
real1_serves() { CURL_TIMEOUT=2 vip_request 192.0.2.103 | grep -q '^real1 '; }
check "real1 serves 192.0.2.103 again (within 3 s)" lab_wait_for 3 real1_serves
out=$(for ((i = 0; i < 6; i++)); do CURL_TIMEOUT=3 vip_request 192.0.2.103 || echo error; echo; done | grep -v '^$')
expect_eq "6 new connections, all to real1 (real2 still down), none to the sorry server" "real1=6 real2=0 real3=0" "$(count_reals <<<"$out")"
check "list no longer shows the sorry server active" bash -c "! grep -q 'sorry server, active' <<<\"\$1\"" _ "$(hl_list)"
hs_open chk-real2 8082

echo "==== quorum 2 of 3: scripts and track_virtual_server"
qcount() { grep -c "^$1 " "$W/quorum.log"; }
ups0=$(qcount up) downs0=$(qcount down)
echo "    quorum.log before: up=$ups0 down=$downs0"
expect_eq "no quorum_down while the quorum held" 0 "$downs0"
hs_close chk-real1 8083
hs_close chk-real2 8083
t0=$(now_s)
both_down() { wait_health 6 "$QSVC" "${LAB_IP4[real1]}:80" down && wait_health 6 "$QSVC" "${LAB_IP4[real2]}:80" down; }
check "real1 and real2 down (within 6 s)" both_down
check "quorum_down ran (within 3 s)" lab_wait_for 3 grep -q '^down ' "$W/quorum.log"
check "VI_Q goes FAULT while the quorum is lost (within 3 s)" wait_vrrp_state 3 dir1 "$HL_SOCK" FAULT VI_Q
echo "    MEASURED quorum loss -> FAULT: $(elapsed_since "$t0") s after the checks started failing"
check "VI_Q released its address" lab_wait_for 2 bash -c "! ip netns exec $(ns dir1) ip -o addr show dev lan0 | grep -q ' 192.0.2.120/'"
check "directorctl list marks the service (quorum lost)" bash -c 'grep -q "192.0.2.104:80.*(quorum lost)" <<<"$1"' _ "$(hl_list)"
sleep 2
expect_eq "quorum_down ran exactly once" 1 "$(qcount down)"
t0=$(now_s)
hs_open chk-real1 8083
check "real1 up again (within 6 s)" wait_health 6 "$QSVC" "${LAB_IP4[real1]}:80" up
check "quorum_up ran (within 3 s)" lab_wait_for 3 bash -c "[ \$(grep -c '^up ' '$W/quorum.log') -gt $ups0 ]"
check "VI_Q MASTER again (within 3 s)" wait_vrrp_state 3 dir1 "$HL_SOCK" MASTER VI_Q
echo "    MEASURED quorum back -> MASTER: $(elapsed_since "$t0") s after the check listener reopened"
sleep 2
expect_eq "quorum_up ran exactly once more, quorum_down still once" "$((ups0 + 1)) 1" "$(qcount up) $(qcount down)"
check "list no longer marks the quorum lost" bash -c '! grep -q "(quorum lost)" <<<"$1"' _ "$(hl_list)"
echo "    quorum.log:"; sed 's/^/      /' "$W/quorum.log"
on dir1 "$DIRECTORCTL" --admin-socket "$HL_SOCK" vrrp | sed 's/^/    /'
check "directord still running" kill -0 "$DIRECTORD_PID"
check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
finish
