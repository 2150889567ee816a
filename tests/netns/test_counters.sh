#!/usr/bin/env bash
# Per-real counters from conntrack accounting (no per-packet rule): 60 requests through the
# FULLNAT lab (etc/lab-fullnat.conf, wrr 3:2:1) must show, per real, exactly the connections,
# packets and bytes each real's own nft counters saw (the truth on the wire); still so after the
# flows are destroyed (destroy events carry their final counters); `directorctl -Z -t` resets
# only the named service; `list --rate` starts the idle rate estimator (its first answer waits
# for the second sample) and shows its rates; bad zero input is refused.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
command -v conntrack >/dev/null || { echo "SKIP: ${0##*/} needs conntrack (scripts/install-deps.sh)"; exit 77; }
lab_up
start_reals
CONF="$LAB_SOURCE_DIR/etc/lab-fullnat.conf"
SOCK="$LAB_STATE_DIR/dir1.sock"
VIP=192.0.2.100
REALS=(real1 real2 real3)
declare -A REAL_IP=([real1]=198.51.100.11 [real2]=198.51.100.12 [real3]=198.51.100.13)

# The truth: each real counts what reaches and leaves its port 80 from the local addresses.
# (Re)loaded to start from zero: `nft reset counters` resets named counters, not rule counters.
truth_load() {
  on "$1" nft -f - <<'NFT'
table inet truth
delete table inet truth
table inet truth {
  chain input { type filter hook input priority 0; ip saddr 198.51.100.200-198.51.100.201 tcp dport 80 counter; }
  chain output { type filter hook output priority 0; ip daddr 198.51.100.200-198.51.100.201 tcp sport 80 counter; }
}
NFT
}
for r in "${REALS[@]}"; do truth_load "$r" || lab_die "$r: truth counters"; done
# truth REAL: "- inpkts outpkts inbytes outbytes" as the real saw them (the connections are
# what curl made, given to with_conns).
truth() {
  local out
  out=$(on "$1" nft list table inet truth) || return 1
  awk '/chain input/ {d = "in"} /chain output/ {d = "out"}
    /counter packets/ {for (i = 1; i <= NF; i++) {if ($i == "packets") p[d] = $(i + 1); if ($i == "bytes") b[d] = $(i + 1)}}
    END {print "-", p["in"] + 0, p["out"] + 0, b["in"] + 0, b["out"] + 0}' <<<"$out"
}
# stats REAL [SERVICE]: "conns inpkts outpkts inbytes outbytes" from `directorctl list --stats`.
stats() {
  on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" list --stats 2>/dev/null |
    awk -v real="${REAL_IP[$1]:-$1}:${2:-80}" -v svc="$VIP:${2:-80}" -v proto="${3:-TCP}" '
      $1 == proto {in_svc = ($2 == svc)} in_svc && $1 == "->" && $2 == real {print $3, $4, $5, $6, $7; exit}'
}
service_stats() {  # SERVICE-PORT PROTO: the service line's five numbers
  on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" list --stats 2>/dev/null |
    awk -v svc="$VIP:$1" -v proto="$2" '$1 == proto && $2 == svc {print $3, $4, $5, $6, $7; exit}'
}
with_conns() {  # "c p p b b" CONNS -> the same with conns replaced (the truth has no conn count)
  local a; read -r -a a <<<"$1"; echo "$2 ${a[1]} ${a[2]} ${a[3]} ${a[4]}"
}
stats_match_truth() {  # REAL CONNS
  [ "$(stats "$1")" = "$(with_conns "$(truth "$1")" "$2")" ]
}

directord_start dir1 "$CONF" "$SOCK" || { fail "directord starts with $CONF"; finish; }
pass "directord started in dir1 (pid $DIRECTORD_PID)"
check "dir1 holds the VIP (within 5 s)" lab_wait_for 5 on dir1 sh -c "ip -4 addr show dev lan0 | grep -q 'inet $VIP/'"
expect_eq "conntrack accounting on in dir1" 1 "$(on dir1 sysctl -n net.netfilter.nf_conntrack_acct)"
check "no per-packet stats rule in the forward path" \
  bash -c "! ip netns exec $(ns dir1) nft list table inet directord | grep -qE 'chain forward|@stats'"

echo "== --rate: the estimator is idle until asked; the first ask waits for its second sample"
ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
t0=$EPOCHREALTIME
rates=$(on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" list --rate 2>&1)
first=$(ms_since "$t0")
check "list --rate has ipvsadm's title" grep -q "CPS    InPPS   OutPPS    InBPS   OutBPS" <<<"$rates"
check "the first --rate started the estimator and waited for its next sample (${first} ms >= 2000)" test "$first" -ge 2000
t0=$EPOCHREALTIME
on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" list --rate >/dev/null 2>&1
again=$(ms_since "$t0")
check "a running estimator answers at once (${again} ms < 1500)" test "$again" -lt 1500
echo "== 60 requests to $VIP:80 (wrr 3:2:1), 3 UDP datagrams to $VIP:53"
out=$(for ((i = 0; i < 60; i++)); do lab_get "http://$VIP/" --local-port $((20000 + i)) || echo error; done)
expect_eq "wrr 3:2:1 over 60 connections" "real1=30 real2=20 real3=10" "$(count_reals <<<"$out")"
for ((i = 0; i < 3; i++)); do on client "$(lab_python)" "$HERE/netclient.py" udp $VIP 53 >/dev/null || echo "udp $i failed"; done
declare -A CONNS=([real1]=30 [real2]=20 [real3]=10)
for r in "${REALS[@]}"; do
  if lab_wait_for 5 stats_match_truth "$r" "${CONNS[$r]}"; then
    pass "$r: directord's conns/packets/bytes equal what $r saw ($(stats "$r"))"
  else
    fail "$r: directord '$(stats "$r")' vs the real's truth '$(with_conns "$(truth "$r")" "${CONNS[$r]}")'"
  fi
done
svc=$(service_stats 80 TCP)
expect_eq "the service's conns are the sum over its reals" 60 "${svc%% *}"

echo "== the flows end (conntrack -D in dir1): their bytes stay counted"
before=$(for r in "${REALS[@]}"; do stats "$r"; done)
deleted=$(on dir1 conntrack -D -p tcp --orig-dst $VIP --dport 80 2>&1 | grep -c 'flow entries have been deleted' || true)
left=$(on dir1 conntrack -L -p tcp --orig-dst $VIP --dport 80 2>/dev/null | grep -c . || true)
expect_eq "no TCP flow of $VIP:80 left in dir1's conntrack" 0 "$left"
after=$(for r in "${REALS[@]}"; do stats "$r"; done)
expect_eq "per-real counters unchanged after the flows were destroyed" "$before" "$after"
for r in "${REALS[@]}"; do check "$r: still equal to the truth" stats_match_truth "$r" "${CONNS[$r]}"; done
: "$deleted"

echo "== --rate: the estimator saw the burst"
rate_seen() {
  on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" list --rate 2>/dev/null |
    awk -v svc="$VIP:80" '$1 == "TCP" && $2 == svc && $6 > 0 {found = 1} END {exit !found}'
}
check "list --rate shows InBPS > 0 for TCP $VIP:80 (within 6 s)" lab_wait_for 6 rate_seen

echo "== -Z -t $VIP:80 resets only that service"
udp_before=$(service_stats 53 UDP)
on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" -Z -t "$VIP:80"; rc=$?
expect_eq "-Z -t $VIP:80 exits 0" 0 "$rc"
expect_eq "TCP $VIP:80 shows zero" "0 0 0 0 0" "$(service_stats 80 TCP)"
for r in "${REALS[@]}"; do expect_eq "$r on TCP :80 shows zero" "0 0 0 0 0" "$(stats "$r")"; done
expect_eq "UDP $VIP:53 untouched" "$udp_before" "$(service_stats 53 UDP)"
check "UDP $VIP:53 had counted its 3 flows" test "${udp_before%% *}" -eq 3
rate_zero() {
  on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" list --rate 2>/dev/null |
    awk -v svc="$VIP:80" '$1 == "TCP" && $2 == svc {print $3 + $4 + $5 + $6 + $7; exit}'
}
expect_eq "its rates restart from zero" 0 "$(rate_zero)"

echo "== after the zero, 6 more requests count from zero"
for r in "${REALS[@]}"; do truth_load "$r" || fail "$r: truth counters reloaded"; done
out=$(for ((i = 0; i < 6; i++)); do lab_get "http://$VIP/" --local-port $((21000 + i)) || echo error; done)
expect_eq "wrr 3:2:1 over 6 connections" "real1=3 real2=2 real3=1" "$(count_reals <<<"$out")"
declare -A CONNS=([real1]=3 [real2]=2 [real3]=1)
for r in "${REALS[@]}"; do
  if lab_wait_for 5 stats_match_truth "$r" "${CONNS[$r]}"; then
    pass "$r: since the zero, equal to what $r saw ($(stats "$r"))"
  else
    fail "$r: since the zero, directord '$(stats "$r")' vs the truth '$(with_conns "$(truth "$r")" "${CONNS[$r]}")'"
  fi
done

echo "== bad zero input changes nothing"
snapshot=$(on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" list --stats 2>&1)
on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" -Z -t 192.0.2.9:80 2>"$LAB_STATE_DIR/zero.err"; rc=$?
expect_eq "-Z of an unknown service exits 3" 3 "$rc"
check "the error names the service" grep -q "TCP 192.0.2.9:80" "$LAB_STATE_DIR/zero.err"
on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" -Z -x "$VIP:80" 2>/dev/null; rc=$?
expect_eq "-Z -x exits 2 (usage)" 2 "$rc"
on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" -Z -t "$VIP" 2>/dev/null; rc=$?
expect_eq "-Z -t without a port exits 2 (usage)" 2 "$rc"
expect_eq "list --stats unchanged by the refused zeros" "$snapshot" "$(on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" list --stats 2>&1)"

echo "== zero of everything"
on dir1 "$DIRECTORCTL" --admin-socket "$SOCK" -Z; rc=$?
expect_eq "zero exits 0" 0 "$rc"
expect_eq "UDP $VIP:53 shows zero" "0 0 0 0 0" "$(service_stats 53 UDP)"
check "directord exits within 5 s of SIGTERM" directord_stop "$DIRECTORD_PID"
finish
