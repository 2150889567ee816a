#!/usr/bin/env bash
# Conntrack table full: directord alone in dir1 (static VIP 192.0.2.100 and local address
# 198.51.100.200), FULLNAT mh to drill_server.py on the three reals (port 9000), each real with a
# TCP_CHECK (delay_loop 0.5, connect_timeout 0.5, retry 1, delay_before_retry 0.2, rise 2).
#
# nf_conntrack_max is not per namespace on this kernel (read-only in a child namespace; the count
# is per namespace, compared with the one global max), and lowering the global max would hit every
# other namespace on the machine. So the table is filled for real instead: ESTAB entries flows
# (flowdrill) are opened first, then dir1's table is filled with foreign ASSURED entries (which the
# kernel cannot early-drop) up to HEADROOM below nf_conntrack_max, then FLOOD new flows are opened
# and held, well past the limit, and the table is kept full for HOLD seconds. Then:
#   - new flows beyond the limit are dropped (not opened; fresh connections fail) and counted: the
#     kernel's `conntrack -S` drop counter, its "table full, dropping packet" log line, and
#     `directorctl conntrack` (table usage against the max, drops since directord started);
#   - the established flows keep working (every one, client-first and server-first, same real);
#   - the health checks (which need conntrack entries of their own) do not take the reals down,
#     so no established flow is deleted as a "failed real's" flow: `directorctl list` shows them
#     up, and `directorctl conntrack` counts the down verdicts it held;
#   - no crash: directord answers directorctl throughout, and once the table drains new flows
#     are served again.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
source "$HERE/sync_lib.sh"
source "$HERE/health_lib.sh"
lab_require_root
command -v conntrack >/dev/null || { echo "SKIP: ${0##*/} needs conntrack (conntrack-tools)"; exit 77; }
ha_find_binaries || exit 1
CT_TOOL=${CT_SYNC_TOOL:-${HA_BUILD_DIR:-$LAB_SOURCE_DIR/build/dev}/tests/netns_bin/ct_sync_tool}
[ -x "$CT_TOOL" ] || { echo "FAIL: $CT_TOOL not built (target ct_sync_tool)"; exit 1; }
ESTAB=${ESTAB:-200}
FLOOD=${FLOOD:-600}
HEADROOM=${HEADROOM:-150}
HOLD=${HOLD:-6}
lab_up
W=$LAB_STATE_DIR
CONF="$W/ct-full.conf"
HL_SOCK="$W/dir1.sock"
SVC="TCP  192.0.2.100:9000"
drill_servers_start

{
  cat <<EOF
global_defs {
    router_id test-ct-full
    lb_hash_seed 0x1234abcd
}
$(hl_laddr_conf 192.0.2.100)
virtual_server 192.0.2.100 9000 {
    delay_loop 0.5
    lb_algo mh
    mh-port
    lb_kind FNAT
    protocol TCP
    laddr_group_name LAG4
EOF
  for r in real1 real2 real3; do
    cat <<EOF
    real_server ${LAB_IP4[$r]} 9000 {
        weight 1
        TCP_CHECK {
            connect_timeout 0.5
            retry 1
            delay_before_retry 0.2
            rise 2
        }
    }
EOF
  done
  echo "}"
} >"$CONF"
check "directord -t accepts the config" hl_check_conf "$CONF"
directord_start dir1 "$CONF" "$HL_SOCK" || { fail "directord starts"; finish; }
PID=$DIRECTORD_PID

# ---- the kernel's view -----------------------------------------------------------------------
ct_max() { on dir1 cat /proc/sys/net/netfilter/nf_conntrack_max; }
ct_now() { on dir1 cat /proc/sys/net/netfilter/nf_conntrack_count; }
# ct_stat FIELD: the sum over CPUs of a `conntrack -S` counter in dir1
ct_stat() { on dir1 conntrack -S 2>/dev/null | tr ' \t' '\n\n' | awk -F= -v f="$1" '$1 == f {n += $2} END {print n + 0}'; }
ct_stats() { local f out=; for f in drop early_drop insert_failed error invalid; do out+="$f=$(ct_stat $f) "; done; echo "${out% }"; }
# The kernel's line names the namespace on this kernel: "table full in netns <inode>, dropping packet".
NETNS_INODE=$(on dir1 stat -L -c %i /proc/self/ns/net)
table_full_logs() { dmesg 2>/dev/null | grep -c "nf_conntrack: table full\( in netns $NETNS_INODE\)\?, dropping packet"; }
ctl() { on dir1 "$DIRECTORCTL" --admin-socket "$HL_SOCK" "$@"; }
# ctl_field KEY: a number "KEY N" from `directorctl conntrack`
ctl_field() { ctl conntrack 2>/dev/null | tr ',;()' '\n\n\n\n' | awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1) + 0; exit}}'; }
reals_up() { local l r; l=$(hl_list); for r in real1 real2 real3; do [ "$(real_health "$SVC" "${LAB_IP4[$r]}:9000" "$l")" = up ] || return 1; done; }
down_verdicts_since() { awk -v t0="$1" '$1 + 0 >= t0 && / of TCP 192\.0\.2\.100:9000 down/ {n++} END {print n + 0}' "$W/directord-dir1.log"; }

perns=no
on dir1 sh -c 'test -w /proc/sys/net/netfilter/nf_conntrack_max' && perns=yes
MAX=$(ct_max)
echo "   nf_conntrack_max $MAX (writable in a child namespace: $perns; the count is per namespace)"
check "all reals up (within 5 s)" lab_wait_for 5 reals_up

echo "== $ESTAB established flows first"
flowdrill_start E "$ESTAB"
check "E: flows open (within 30 s)" flowdrill_wait_ready E 30
expect_eq "E: all open" "$ESTAB" "$(fd_get E ready opened)"

echo "== fill dir1's table to $HEADROOM below the max with foreign ASSURED entries"
count0=$(ct_now)
fill=$((MAX - count0 - HEADROOM))
stats0=$(ct_stats); drop0=$(ct_stat drop); logs0=$(table_full_logs)
rss0=$(rss_kb "$PID")
out=$(on dir1 "$CT_TOOL" fill "$fill" 2>&1); rc=$?
echo "   ct_sync_tool fill $fill: $(tr '\n' ' ' <<<"$out")"
check "the fill went in" test "$rc" -eq 0
echo "   table: $(ct_now)/$MAX entries; kernel: $stats0"
t_full=$(now_s)

echo "== flood: $FLOOD new flows, held open, with the table near full"
flowdrill_start F "$FLOOD" --connect-timeout 2 --concurrency 300
check "F: the flood finished opening (within 30 s)" flowdrill_wait_ready F 30
f_open=$(fd_get F ready opened)
echo "   MEASURED flood: $f_open/$FLOOD opened in $(fd_get F ready open_ms) ms, failures $(fd_get F ready failures); table $(ct_now)/$MAX"
check "new flows beyond the limit were not opened ($f_open of $FLOOD opened, headroom $HEADROOM)" test "$f_open" -lt "$FLOOD" -a "$f_open" -le $((HEADROOM + 50))
f_failed=$((FLOOD - f_open))
flowdrill_probe P 33000-33029 >/dev/null 2>&1
probe_ok=$("$(lab_python)" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for v in d.values() if not v.startswith("error")))' "$W/probe-P.json" 2>/dev/null || echo 0)
# Entries come free only as the kernel evicts what it may (closed health-probe flows): fresh
# connections race the probes for them. Reported, not asserted.
echo "   MEASURED fresh connections while full: $probe_ok/30 answered; table $(ct_now)/$MAX"
rest=$(awk -v a="$t_full" -v b="$(now_s)" -v h="$HOLD" 'BEGIN {r = a + h - b; printf "%.2f", (r > 0 ? r : 0)}')
sleep "$rest"
check "directord answers directorctl while the table is full" ctl list >/dev/null
drop1=$(ct_stat drop)
echo "   MEASURED after ${HOLD} s full: kernel $(ct_stats) (drop +$((drop1 - drop0))), 'table full' log lines +$(($(table_full_logs) - logs0))"
# Each flood flow that did not open sent at least two SYNs in its 2 s (at 0 and 1 s): all dropped.
check "the kernel counted the dropped packets: drop +$((drop1 - drop0)) >= 2 x $f_failed flows not opened" test $((drop1 - drop0)) -ge $((2 * f_failed))
if dmesg >/dev/null 2>&1; then
  check "the kernel logged 'table full' for dir1's namespace (+$(($(table_full_logs) - logs0)) lines)" test "$(table_full_logs)" -gt "$logs0"
fi
echo "   directorctl conntrack:"; ctl conntrack 2>&1 | sed 's/^/     /'
shown_entries=$(ctl_field entries) shown_max=$(ctl_field max)
check "directorctl conntrack shows the table at >= 99% ($shown_entries of $shown_max) and under pressure" \
  test "$((shown_entries * 100))" -ge "$((shown_max * 99))" -a "$shown_max" = "$MAX"
check "directorctl conntrack names the pressure" bash -c "ip netns exec $(ns dir1) $DIRECTORCTL --admin-socket $HL_SOCK conntrack | grep -q 'pressure: conntrack'"
check "directorctl conntrack counts the drops (drop $(ctl_field drop))" test "$(ctl_field drop)" -gt 0
downs=$(down_verdicts_since "$t_full")
echo "   down verdicts applied while full: $downs; health results held as inconclusive: $(ctl_field inconclusive)"
expect_eq "no real taken down by its checks failing for want of conntrack entries" 0 "$downs"
check "list shows the reals up" reals_up
check "directorctl conntrack counts the health results it held (inconclusive $(ctl_field inconclusive))" test "$(ctl_field inconclusive)" -gt 0
echo "   directorctl health (one real):"; hl_health | sed -n '2,4p' | sed 's/^/     /'

echo "== the established flows still work"
flowdrill_go E
check "E result within 15 s" flowdrill_wait_result E 15
drill_report E
e_ok=$(( $(fd_get E result client_first_ok) + $(fd_get E result server_first_ok) ))
expect_eq "E: established flows that still work" "$ESTAB" "$e_ok"

echo "== drain: the flood ends, the fill is removed"
flowdrill_go F
flowdrill_wait_result F 15 >/dev/null
out=$(on dir1 "$CT_TOOL" unfill "$fill" 2>&1)
echo "   ct_sync_tool unfill: $(tr '\n' ' ' <<<"$out"); table $(ct_now)/$MAX"
check "reals up after the drain (within 5 s)" lab_wait_for 5 reals_up
flowdrill_probe Q 33100-33129 >/dev/null 2>&1
probe_ok=$("$(lab_python)" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for v in d.values() if not v.startswith("error")))' "$W/probe-Q.json" 2>/dev/null || echo 0)
expect_eq "fresh connections after the drain" 30 "$probe_ok"
check "directorctl conntrack shows the table no longer full" test "$(ctl_field entries)" -lt $((MAX / 2))
rss1=$(rss_kb "$PID")
echo "   directord RSS ${rss0} -> ${rss1} kB"
check "directord still running" kill -0 "$PID"
check "directord exits within 5 s of SIGTERM" directord_stop "$PID"
finish
