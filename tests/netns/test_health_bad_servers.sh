#!/usr/bin/env bash
# Misbehaving servers (tests/netns/health_server.py, one port and one real_server per
# misbehaviour, all on real1; HTTP_GET/SSL_GET with connect_timeout 1, delay_loop 1, retry 1):
#   9001 garbage          answers bytes that are not HTTP             -> bad-response
#   9002 silent           accepts, reads, never answers               -> timeout, 0 bytes received
#   9003 trickle          a valid response, one byte every 200 ms     -> timeout, some bytes received
#   9004 endless-headers  header lines forever                        -> too-large (header fields)
#   9005 endless-body     a body forever, digest configured           -> too-large (body)
#   9006 close-mid-head   closes inside the response head             -> closed-early
#   9008 close-mid        closes 10 bytes into a 100-byte body, digest -> closed-early
#   9009 close-mid        the same without a digest                   -> closed-early (issue 4's
#                         "closes mid-response: marked down with the reason")
#   9007 plain HTTP       probed by SSL_GET                           -> tls-handshake
# and a well-behaved control (real2:80, HTTP_GET with a digest) that stays up. Each misbehaving
# real is shown down with its own reason in `directorctl list` and counted under it by `directorctl
# health`; over a 20 s soak directord's RSS grows by less than 50 MB, every checker's probe count
# keeps rising (no stuck probe), and directord keeps running. First, checker blocks missing what
# they need are refused by `directord -t` with exit 2 and file:line for each.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
source "$HERE/health_lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
W=$LAB_STATE_DIR
CONF="$W/health-bad.conf"
HL_SOCK="$W/dir1.sock"
SVC="TCP  192.0.2.100:80"
SOAK=${HEALTH_SOAK_SECONDS:-20}

# port mode checker digest? reason-name detail-regex
CASES=(
  "9001 garbage HTTP_GET no bad-response not.an.HTTP.response"
  "9002 silent HTTP_GET no timeout [(]0.bytes.received"
  "9003 trickle HTTP_GET no timeout [(][1-9][0-9]*.bytes.received"
  "9004 endless-headers HTTP_GET no too-large header"
  "9005 endless-body HTTP_GET yes too-large body.larger"
  "9006 close-mid-head HTTP_GET no closed-early closed"
  "9008 close-mid HTTP_GET yes closed-early closed"
  "9009 close-mid HTTP_GET no closed-early closed"
  "9007 http SSL_GET no tls-handshake TLS.handshake"
)
NCASES=${#CASES[@]}
echo "== checker blocks missing what they need: refused with file:line"
BROKEN="$W/health-broken.conf"
cat >"$BROKEN" <<'EOF2'
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
        HTTP_GET {
            connect_timeout 1
        }
    }
    real_server 198.51.100.12 80 {
        MISC_CHECK {
            misc_timeout 3
        }
    }
    real_server 198.51.100.13 80 {
        SSL_GET {
            url {
                status_code 200
            }
        }
        UDP_CHECK {
            payload zz
        }
    }
}
EOF2
out=$("$DIRECTORD" -t -f "$BROKEN" 2>&1); rc=$?
sed 's/^/    /' <<<"$out"
expect_eq "directord -t on it exits 2" 2 "$rc"
for e in "6:HTTP_GET.*no url" "11:MISC_CHECK.*no misc_path" "17:url in SSL_GET.*no path" "22:invalid hex 'zz'"; do
  check "reported at ${BROKEN##*/}:${e%%:*}: ${e#*:}" grep -Eq "^$BROKEN:${e%%:*}: error: .*${e#*:}" <<<"$out"
done

specs=()
for c in "${CASES[@]}"; do read -r port mode _ <<<"$c"; specs+=("$port:$mode"); done
hs_start real1 real1 "${specs[@]}" || lab_die "real1: health_server did not start"
mkdir -p "$W/ctl-real2"
hs_set real2 80 body "real2 good
"
GOOD_DIGEST=$(md5sum "$W/ctl-real2/80.body" | awk '{print $1}')
hs_start real2 real2 80:http || lab_die "real2: health_server did not start"

{
  cat <<EOF
global_defs {
    router_id test-health-bad
    lb_hash_seed 0x1234abcd
}
$(hl_laddr_conf 192.0.2.100)
virtual_server 192.0.2.100 80 {
    delay_loop 1
    lb_algo rr
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG4
    real_server ${LAB_IP4[real2]} 80 {
        HTTP_GET {
            url {
                path /health
                digest $GOOD_DIGEST
            }
            connect_timeout 1
        }
    }
EOF
  for c in "${CASES[@]}"; do
    read -r port mode kind with_digest _ <<<"$c"
    digest=
    [ "$with_digest" = yes ] && digest="digest $GOOD_DIGEST"
    cat <<EOF
    real_server ${LAB_IP4[real1]} $port {
        $kind {
            url {
                path /health
                $digest
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
EOF
  done
  echo "}"
} >"$CONF"
check "directord -t accepts the config" hl_check_conf "$CONF"
directord_start dir1 "$CONF" "$HL_SOCK" || { fail "directord starts"; finish; }
pass "directord started in dir1 (pid $DIRECTORD_PID)"
rss0=$(rss_kb "$DIRECTORD_PID")

all_down() {
  local l c port
  l=$(hl_list)
  for c in "${CASES[@]}"; do
    read -r port _ <<<"$c"
    [ "$(real_health "$SVC" "${LAB_IP4[real1]}:$port" "$l")" = down ] || return 1
  done
}
t0=$(now_s)
if lab_wait_for 10 all_down; then
  pass "every misbehaving real shown down (within 10 s)"
  echo "    MEASURED all $NCASES down $(elapsed_since "$t0") s after directord's admin socket opened"
else
  l=$(hl_list)
  fail "every misbehaving real shown down within 10 s; not down: $(for c in "${CASES[@]}"; do
    read -r port mode _ <<<"$c"
    [ "$(real_health "$SVC" "${LAB_IP4[real1]}:$port" "$l")" = down ] || printf '%s ' "$mode:$port"
  done)"
fi
control_ok() { [[ $(real_lastcheck "$SVC" "${LAB_IP4[real2]}:80") == ok* ]]; }
check "the well-behaved control (real2:80, digest) is up with a passed probe" control_ok
list=$(hl_list)
health=$(hl_health)
echo "$list" | sed 's/^/    /'
texts=()
for c in "${CASES[@]}"; do
  read -r port mode kind with_digest reason regex <<<"$c"
  R="${LAB_IP4[real1]}:$port"
  what="$mode :$port ($kind, digest $with_digest)"
  text=$(real_lastcheck "$SVC" "$R" "$list")
  # The reason without the checker's name, the address and the age: what is left must differ.
  texts+=("$(sed -E "s/^[A-Z_]+ [0-9.]+:[0-9]+: //; s/${LAB_IP4[real1]//./\\.}:[0-9]+//g; s/ [0-9]+\.[0-9]s ago\$//" <<<"$text")")
  expect_eq "$what: health" down "$(real_health "$SVC" "$R" "$list")"
  check "$what: the reason says what went wrong (/$regex/ in '$text')" grep -Eqi "$regex" <<<"$text"
  check "$what: directorctl health counts it as $reason" has_failures "$SVC" "$R" "$reason"
done
printf '%s\n' "${texts[@]}" | sed 's/^/    reason: /'
# close-mid with and without a digest (:9008, :9009) fail the same way, by design: the body is
# read to its end either way. Every other misbehaviour has a reason of its own.
expect_eq "$((NCASES - 1)) distinct reasons in directorctl list" "$((NCASES - 1))" "$(printf '%s\n' "${texts[@]}" | sort -u | wc -l)"

echo "== ${SOAK} s soak: memory bounded, every checker keeps probing"
declare -A p1=()
health=$(hl_health)
for c in "${CASES[@]}"; do read -r port _ <<<"$c"; p1[$port]=$(checker_probes "$SVC" "${LAB_IP4[real1]}:$port" "$health"); done
rss1=$(rss_kb "$DIRECTORD_PID")
for ((s = 0; s < SOAK; s += 5)); do sleep 5; echo "    t+$((s + 5)) s: VmRSS $(rss_kb "$DIRECTORD_PID") kB"; done
rss2=$(rss_kb "$DIRECTORD_PID")
health=$(hl_health)
echo "$health" | sed 's/^/    /'
for c in "${CASES[@]}"; do
  read -r port mode _ <<<"$c"
  p2=$(checker_probes "$SVC" "${LAB_IP4[real1]}:$port" "$health")
  echo "    $mode :$port probes ${p1[$port]:-?} -> ${p2:-?}"
  check "$mode: at least $((SOAK / 4)) more probes in ${SOAK} s (no stuck probe)" \
    test "$((${p2:-0} - ${p1[$port]:-0}))" -ge $((SOAK / 4))
done
echo "    MEASURED directord VmRSS: ${rss0} kB at start, ${rss1} kB when all were down, ${rss2} kB after the soak"
check "RSS grew by less than 50 MB over the soak ($(((rss2 - rss1) / 1024)) MB; since start $(((rss2 - rss0) / 1024)) MB)" \
  test $((rss2 - rss0)) -lt $((50 * 1024))
inflight=$(sed -n 's/.* \([0-9]*\) in flight.*/\1/p' <<<"$health")
check "probes in flight (${inflight:-?}) no more than the checkers ($((NCASES + 1)))" test "${inflight:-99}" -le $((NCASES + 1))
check "the control is still up" test "$(real_health "$SVC" "${LAB_IP4[real2]}:80")" = up
check "directord still running" kill -0 "$DIRECTORD_PID"
check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
finish
