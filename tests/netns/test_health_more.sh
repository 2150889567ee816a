#!/usr/bin/env bash
# SMTP_CHECK, DNS_CHECK, PING_CHECK and FILE_CHECK end to end (FULLNAT, delay_loop 1, retry 1,
# delay_before_retry 1), each real going down and coming back:
# - TCP 192.0.2.101:25 over real1-3, SMTP_CHECK { helo_name checker.test }: health_server's smtp
#   mode (220 banner, multi-line 250, 221); real2's banner turns 421 -> down with the 421 in the
#   reason; 220 again -> up. real3's listener closes -> down (refused), reopens -> up.
# - UDP 192.0.2.101:53 over real1-3, DNS_CHECK { type A name www.example.org }: real2 answers
#   SERVFAIL -> down ("SERVFAIL"); NOERROR again -> up. real3's DNS socket closes -> down at once
#   (ICMP port unreachable), reopens -> up.
# - TCP 192.0.2.101:80 over real1-3, PING_CHECK { connect_timeout 1 }: real3 stops answering
#   echo requests (icmp_echo_ignore_all=1) -> down (timeout); answers again -> up. IPv6: a
#   PING_CHECK of real1's fd00:1:: address passes. dir1 allows no ping sockets: raw sockets.
# - TCP 192.0.2.113:80 over real1 (FILE_CHECK weight 2 on track_file W) and real2 (FILE_CHECK on
#   track_file G, weight 0): G holds 1 -> real2 down, 0 -> up; W holds 3 -> real1's weight 1 + 6
#   = 7 in `directorctl list`; W deleted -> weight 1 again. init_file creates G with 0 at start.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
source "$HERE/health_lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
W=$LAB_STATE_DIR
CONF="$W/health-more.conf"
HL_SOCK="$W/dir1.sock"
SSVC="TCP  192.0.2.101:25" DSVC="UDP  192.0.2.101:53" PSVC="TCP  192.0.2.101:80" FSVC="TCP  192.0.2.113:80"

for r in real1 real2 real3; do hs_start "$r" "$r" 25:smtp 53:dns 80:http || lab_die "$r: health_server did not start"; done
mkdir -p "$W/track"
rm -f "$W/track/G"
echo 0 >"$W/track/W"

real_block() {  # REAL PORT CHECKER-BODY
  printf '    real_server %s %s {\n%s\n    }\n' "${LAB_IP4[$1]}" "$2" "$3"
}
smtp_check='        SMTP_CHECK {
            helo_name checker.test
            connect_timeout 2
            retry 1
            delay_before_retry 1
        }'
dns_check='        DNS_CHECK {
            type A
            name www.example.org
            connect_timeout 2
            retry 1
            delay_before_retry 1
        }'
ping_check='        PING_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }'
service() {  # VIP PORT PROTO BODY
  printf 'virtual_server %s %s {\n    delay_loop 1\n    lb_algo rr\n    lb_kind FNAT\n' "$1" "$2"
  printf '    protocol %s\n    laddr_group_name LAG4\n%s\n}\n' "$3" "$4"
}
{
  printf 'global_defs {\n    router_id test-health-more\n}\n'
  hl_laddr_conf 192.0.2.101 192.0.2.113
  printf 'track_file W {\n    file "%s"\n}\n' "$W/track/W"
  printf 'track_file G {\n    file "%s"\n    weight 0\n    init_file 0\n}\n' "$W/track/G"
  service 192.0.2.101 25 TCP "$(for r in real1 real2 real3; do real_block $r 25 "$smtp_check"; done)"
  service 192.0.2.101 53 UDP "$(for r in real1 real2 real3; do real_block $r 53 "$dns_check"; done)"
  service 192.0.2.101 80 TCP "$(for r in real1 real2 real3; do real_block $r 80 "$ping_check"; done)
$(real_block real1 8080 "        PING_CHECK {
            connect_ip ${LAB_IP6[real1]}
        }")"
  service 192.0.2.113 80 TCP "$(real_block real1 80 '        FILE_CHECK {
            track_file W
            weight 2
        }')
$(real_block real2 80 '        FILE_CHECK {
            track_file G
        }')
$(real_block real3 80 '')"
} >"$CONF"
check "directord -t accepts the SMTP/DNS/PING/FILE_CHECK config" hl_check_conf "$CONF"
# No group may open ping sockets in dir1 (a new namespace's default, set to be sure): PING_CHECK
# takes its raw-socket path here; the unit tests run where root's group may (the ping socket).
on dir1 sysctl -qw "net.ipv4.ping_group_range=1 0"
directord_start dir1 "$CONF" "$HL_SOCK" || { fail "directord starts"; finish; }
pass "directord started in dir1 (pid $DIRECTORD_PID)"
check "dir1 holds the VIP 192.0.2.101 (within 5 s)" lab_wait_for 5 holds_address dir1 192.0.2.101
check "init_file created track file G with 0" grep -qx 0 "$W/track/G"

probed_ok() { [[ $(real_lastcheck "$1" "$2") == ok* ]] && [ "$(real_health "$1" "$2")" = up ]; }
all_ok() {
  local r
  for r in real1 real2 real3; do
    probed_ok "$SSVC" "${LAB_IP4[$r]}:25" && probed_ok "$DSVC" "${LAB_IP4[$r]}:53" &&
      probed_ok "$PSVC" "${LAB_IP4[$r]}:80" || return 1
  done
  probed_ok "$PSVC" "${LAB_IP4[real1]}:8080" && [ "$(real_health "$FSVC" "${LAB_IP4[real2]}:80")" = up ]
}
check "every SMTP/DNS/PING check probed and passing, FILE_CHECK up (within 6 s)" lab_wait_for 6 all_ok
hl_show
check "real1's SMTP server was greeted with HELO checker.test" grep -q "HELO checker.test" "$W/ctl-real1/25.helo"

# wait_down_up SVC REAL BREAK-CMD MEND-CMD REASON-REGEX: down within 8 s with the reason, up within
# 8 s of mending.
wait_down_up() {
  local svc=$1 real=$2 breaker=$3 mender=$4 regex=$5 t0 reason
  t0=$(now_s)
  eval "$breaker"
  if wait_health 8 "$svc" "$real" down; then
    reason=$(real_lastcheck "$svc" "$real")
    pass "$svc -> $real down in $(elapsed_since "$t0") s: $reason"
    check "the reason names it ('$regex')" grep -Eqi "$regex" <<<"$reason $(_hl_health_block "$svc" "$real")"
  else
    fail "$svc -> $real down within 8 s (shows '$(real_health "$svc" "$real")' '$(real_lastcheck "$svc" "$real")')"
  fi
  t0=$(now_s)
  eval "$mender"
  if wait_health 8 "$svc" "$real" up; then
    pass "$svc -> $real up again in $(elapsed_since "$t0") s"
  else
    fail "$svc -> $real up within 8 s of mending"
  fi
}

echo "== SMTP_CHECK: real2's banner says 421"
wait_down_up "$SSVC" "${LAB_IP4[real2]}:25" 'hs_set real2 25 status 421' 'hs_set real2 25 status 220' '421'
echo "== SMTP_CHECK: real3's SMTP listener closes"
wait_down_up "$SSVC" "${LAB_IP4[real3]}:25" 'hs_close real3 25' 'hs_open real3 25' 'refused'

echo "== DNS_CHECK: real2 answers SERVFAIL"
wait_down_up "$DSVC" "${LAB_IP4[real2]}:53" 'hs_set real2 53 rcode 2' 'hs_set real2 53 rcode 0' 'SERVFAIL'
echo "== DNS_CHECK: real3's DNS socket closes"
wait_down_up "$DSVC" "${LAB_IP4[real3]}:53" 'hs_close real3 53' 'hs_open real3 53' 'refused|unreachable'

echo "== PING_CHECK: real3 ignores echo requests"
wait_down_up "$PSVC" "${LAB_IP4[real3]}:80" 'on real3 sysctl -qw net.ipv4.icmp_echo_ignore_all=1' \
  'on real3 sysctl -qw net.ipv4.icmp_echo_ignore_all=0' 'no echo reply|timeout'

echo "== FILE_CHECK: track_file G (weight 0) holds 1"
wait_down_up "$FSVC" "${LAB_IP4[real2]}:80" "echo 1 >'$W/track/G'" "echo 0 >'$W/track/G'" 'track_file G|FILE_CHECK'
echo "== FILE_CHECK: track_file W (weight 2) holds 3: real1's weight 1 + 6"
F1="${LAB_IP4[real1]}:80"
echo 3 >"$W/track/W"
weight_is() { [ "$(real_weight "$FSVC" "$F1")" = "$1" ]; }
check "directorctl list shows weight 7 for real1 (within 3 s)" lab_wait_for 3 weight_is 7
expect_eq "real1 stays up" up "$(real_health "$FSVC" "$F1")"
rm -f "$W/track/W"
check "W deleted: weight 1 again (within 3 s)" lab_wait_for 3 weight_is 1
hl_show
check "directord still running" kill -0 "$DIRECTORD_PID"
check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
finish
