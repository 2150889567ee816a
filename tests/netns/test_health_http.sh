#!/usr/bin/env bash
# HTTP_GET and SSL_GET end to end (FULLNAT, delay_loop 1, connect_timeout 1, retry 1). Each real
# runs tests/netns/health_server.py, whose /health answer (status, body) the test switches:
#   real1 HTTP_GET url { path /health status_code 200 }: 503 -> down naming the status (and no new
#         flows), 200 -> up;
#   real2 HTTP_GET url { path /health digest <md5 of its body> }: up with the right body, another
#         body -> down (digest mismatch), the body back -> up;
#   real3 the same check as real1, never switched: stays up throughout (the control).
# SSL_GET to real1:443, a TLS server with a self-signed certificate made at test time (CN
# real1.test), each on its own virtual server: without verify_peer -> up; verify_peer with the
# global SSL { ca <that certificate> } and virtualhost real1.test -> up; verify_peer with
# virtualhost wrong.test -> down with a TLS verification reason.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
source "$HERE/health_lib.sh"
lab_require_root
command -v openssl >/dev/null || { echo "SKIP: ${0##*/} needs openssl"; exit 77; }
ha_find_binaries || exit 1
lab_up
W=$LAB_STATE_DIR
CONF="$W/health-http.conf"
HL_SOCK="$W/dir1.sock"
SVC="TCP  192.0.2.100:80"
R1="${LAB_IP4[real1]}:80" R2="${LAB_IP4[real2]}:80" R3="${LAB_IP4[real3]}:80"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=real1.test -keyout "$W/real1.key" -out "$W/real1.crt" >"$W/openssl.log" 2>&1 ||
  { cat "$W/openssl.log"; lab_die "openssl could not make a self-signed certificate"; }
mkdir -p "$W/ctl-real1" "$W/ctl-real2" "$W/ctl-real3"
hs_set real2 80 body "real2 is healthy
"
DIGEST=$(md5sum "$W/ctl-real2/80.body" | awk '{print $1}')
echo "    md5 of real2's /health body: $DIGEST"
hs_start real1 real1 --cert "$W/real1.crt" --key "$W/real1.key" 80:http 443:https || lab_die "real1 server"
hs_start real2 real2 80:http || lab_die "real2 server"
hs_start real3 real3 80:http || lab_die "real3 server"

timing="connect_timeout 1
            retry 1
            delay_before_retry 1"
ssl_vs() {  # VIP EXTRA-KEYWORDS
  cat <<EOF
virtual_server $1 80 {
    delay_loop 1
    lb_algo rr
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG4
    real_server ${LAB_IP4[real1]} 80 {
        SSL_GET {
            url {
                path /health
                status_code 200
            }
            connect_port 443
            $timing
            $2
        }
    }
}
EOF
}
cat >"$CONF" <<EOF
global_defs {
    router_id test-health-http
    lb_hash_seed 0x1234abcd
}
SSL {
    ca $W/real1.crt
}
$(hl_laddr_conf 192.0.2.100)
virtual_server 192.0.2.100 80 {
    delay_loop 1
    lb_algo rr
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG4
    real_server ${LAB_IP4[real1]} 80 {
        HTTP_GET {
            url {
                path /health
                status_code 200
            }
            $timing
        }
    }
    real_server ${LAB_IP4[real2]} 80 {
        HTTP_GET {
            url {
                path /health
                digest $DIGEST
            }
            $timing
        }
    }
    real_server ${LAB_IP4[real3]} 80 {
        HTTP_GET {
            url {
                path /health
                status_code 200
            }
            $timing
        }
    }
}
$(ssl_vs 192.0.2.110 "")
$(ssl_vs 192.0.2.111 "verify_peer
            enable_sni
            virtualhost real1.test")
$(ssl_vs 192.0.2.112 "verify_peer
            enable_sni
            virtualhost wrong.test")
EOF
check "directord -t accepts the HTTP_GET/SSL_GET config" hl_check_conf "$CONF"
directord_start dir1 "$CONF" "$HL_SOCK" || { fail "directord starts"; finish; }
pass "directord started in dir1 (pid $DIRECTORD_PID)"
check "dir1 holds the VIP (within 5 s)" lab_wait_for 5 holds_address dir1 192.0.2.100

probed_ok() { [[ $(real_lastcheck "$1" "$2") == ok* ]] && [ "$(real_health "$1" "$2")" = up ]; }
echo "== every HTTP_GET passes with the server as configured"
check "real1 (status 200) up with a passed probe (within 5 s)" lab_wait_for 5 probed_ok "$SVC" "$R1"
check "real2 (digest $DIGEST) up with a passed probe" lab_wait_for 5 probed_ok "$SVC" "$R2"
check "real3 up with a passed probe" lab_wait_for 5 probed_ok "$SVC" "$R3"

echo "== SSL_GET against the self-signed certificate"
check "without verify_peer: up with a passed probe (within 5 s)" lab_wait_for 5 probed_ok "TCP  192.0.2.110:80" "$R1"
check "verify_peer + SSL { ca } + virtualhost real1.test: up with a passed probe" lab_wait_for 5 probed_ok "TCP  192.0.2.111:80" "$R1"
if wait_health 6 "TCP  192.0.2.112:80" "$R1" down; then
  reason=$(real_lastcheck "TCP  192.0.2.112:80" "$R1")
  pass "verify_peer + virtualhost wrong.test: down"
  check "its reason is a TLS verification failure ('$reason')" grep -Eqi 'verif|certificate' <<<"$reason"
else
  fail "verify_peer + virtualhost wrong.test: down within 6 s (shows '$(real_health "TCP  192.0.2.112:80" "$R1")' '$(real_lastcheck "TCP  192.0.2.112:80" "$R1")')"
fi
check "directorctl health counts tls-verify failures for the wrong.test checker" has_failures "TCP  192.0.2.112:80" "$R1" tls-verify
check "the TLS server on real1:443 completed handshakes with the two passing SSL_GETs ($(cat "$W/ctl-real1/443.conns" 2>/dev/null) connections)" \
  test "$(cat "$W/ctl-real1/443.conns" 2>/dev/null || echo 0)" -ge 2
hl_show

echo "== real1 answers 503"
t0=$(now_s)
echo "    t0 $t0"
hs_set real1 80 status 503
if wait_health 8 "$SVC" "$R1" down; then
  echo "    MEASURED 503 -> down: $(elapsed_since "$t0") s"
  reason=$(real_lastcheck "$SVC" "$R1")
  check "the reason names the status 503 ('$reason')" grep -q '503' <<<"$reason"
else
  fail "real1 down within 8 s of answering 503"
fi
check "directorctl health counts status-mismatch for real1" has_failures "$SVC" "$R1" status-mismatch
out=$(for ((i = 0; i < 12; i++)); do CURL_TIMEOUT=3 vip_request || echo error; echo; done | grep -v '^$')
expect_eq "12 new connections answered, none by real1" "12 0" "$(grep -c '^real' <<<"$out") $(grep -c '^real1 ' <<<"$out")"
t0=$(now_s)
hs_set real1 80 status 200
if wait_health 8 "$SVC" "$R1" up; then
  echo "    MEASURED 200 again -> up: $(elapsed_since "$t0") s"; pass "real1 up again once it answers 200"
else
  fail "real1 up within 8 s of answering 200 again"
fi

echo "== real2's body changes: digest mismatch"
t0=$(now_s)
echo "    t0 $t0"
hs_set real2 80 body "real2 says something else
"
if wait_health 8 "$SVC" "$R2" down; then
  echo "    MEASURED wrong body -> down: $(elapsed_since "$t0") s"
  reason=$(real_lastcheck "$SVC" "$R2")
  check "the reason names the digest ('$reason')" grep -qi 'digest' <<<"$reason"
else
  fail "real2 down within 8 s of a body with another digest"
fi
check "directorctl health counts digest-mismatch for real2" has_failures "$SVC" "$R2" digest-mismatch
hs_set real2 80 body "real2 is healthy
"
check "real2 up again with its original body (within 8 s)" wait_health 8 "$SVC" "$R2" up
expect_eq "real3, never switched: health and failures" "up 0" "$(real_health "$SVC" "$R3") $(failures_total "$SVC" "$R3")"
check "the wrong.test SSL_GET is still down" test "$(real_health "TCP  192.0.2.112:80" "$R1")" = down
check "the verifying SSL_GET for real1.test is still up" test "$(real_health "TCP  192.0.2.111:80" "$R1")" = up
hl_show_health
check "directord still running" kill -0 "$DIRECTORD_PID"
check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
finish
