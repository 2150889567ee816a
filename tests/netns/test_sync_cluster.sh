#!/usr/bin/env bash
# Connection-sync drill 3, three active directors: the router spreads the VIP 192.0.2.100 over
# dir1, dir2 and dir3 with a multipath route (L4 hash, fib_multipath_hash_policy 1); no director
# holds the VIP (nat prerouting DNATs before routing). Each director SNATs to its own local
# address (dir1 198.51.100.201, dir2 .202, dir3 .203), which is a VRRP address: three instances,
# each director MASTER of its own and BACKUP of the other two. Every director also declares all
# three local addresses (local_address_group PEERS) so it accepts its peers' flows. Same Maglev
# table everywhere (mh + mh-port, one lb_hash_seed). Full-mesh connection_sync.
# 1,000 long-lived flows spread over the three; then dir2 is killed (-9), its link cut and its
# nexthop removed (as BGP/BFD would): .202 moves to dir3 (VRRP), and 100% of the flows carry on
# with their real. New flows from 200 fixed source ports reach the same reals as before.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
source "$HERE/sync_lib.sh"
sync_drill_require
N=${SYNC_DRILL_FLOWS:-1000}
PROBE_PORTS=5000-5199  # below the client's ephemeral range (10000-65000): never a live flow's port
sync_add_dir3
lab_up
DIRS=(dir1 dir2 dir3)
sync_certs "${DIRS[@]}"
drill_servers_start

declare -A LADDR=([dir1]=198.51.100.201 [dir2]=198.51.100.202 [dir3]=198.51.100.203)
# Priority of instance VI_k (owning dirk's address) on each node: owner 150, next 100, last 50.
declare -A PRIO=(
  [dir1.VI_1]=150 [dir2.VI_1]=100 [dir3.VI_1]=50
  [dir2.VI_2]=150 [dir3.VI_2]=100 [dir1.VI_2]=50
  [dir3.VI_3]=150 [dir1.VI_3]=100 [dir2.VI_3]=50
)
write_conf() {  # NODE
  local node=$1 k peers=()
  for k in "${DIRS[@]}"; do [ "$k" != "$node" ] && peers+=("$k"); done
  {
    sync_global_defs "$node"
    sync_block "$node" "${peers[@]}"
    for k in 1 2 3; do
      sync_vrrp_instance "VI_$k" $((60 + k)) "${PRIO[$node.VI_$k]}" "" "${LADDR[dir$k]}/32"
    done
    sync_lag LAG "${LADDR[$node]}"
    sync_lag PEERS "${LADDR[dir1]}" "${LADDR[dir2]}" "${LADDR[dir3]}"
    sync_fnat_service LAG
  } >"$LAB_STATE_DIR/$node.conf"
}
# holds_only NODE: NODE holds its own local address and neither of the others
holds_only() {
  local a
  for a in "${LADDR[@]}"; do
    if [ "$a" = "${LADDR[$1]}" ]; then holds_address "$1" "$a" || return 1
    else ! holds_address "$1" "$a" || return 1; fi
  done
}
declare -A SOCK PID
for d in "${DIRS[@]}"; do write_conf "$d"; SOCK[$d]="$LAB_STATE_DIR/$d.sock"; done
sync_require_support dir1 "$LAB_STATE_DIR/dir1.conf"
for d in "${DIRS[@]}"; do
  sync_directord_start "$d" "$LAB_STATE_DIR/$d.conf" "${SOCK[$d]}" || { fail "directord starts in $d"; finish; }
  PID[$d]=$DIRECTORD_PID
done

on router sysctl -qw net.ipv4.fib_multipath_hash_policy=1
on router ip route replace 192.0.2.100/32 nexthop via 198.51.100.2 nexthop via 198.51.100.3 nexthop via 198.51.100.4

echo "== three active directors"
for k in 1 2 3; do
  check "dir$k MASTER of VI_$k within 3 s" wait_vrrp_state 3 "dir$k" "${SOCK[dir$k]}" MASTER "VI_$k"
done
for d in "${DIRS[@]}"; do
  check "$d holds only its own local address ${LADDR[$d]}" holds_only "$d"
  for p in "${DIRS[@]}"; do
    [ "$p" = "$d" ] && continue
    check "$d: sync streams with $p up (within 5 s)" lab_wait_for 5 sync_both_up "$d" "${SOCK[$d]}" "$p"
  done
done

echo "== $N flows over the three directors"
flowdrill_start A "$N"
check "flowdrill opened its flows (within 30 s)" flowdrill_wait_ready A 30
expect_eq "all $N flows open" "$N" "$(fd_get A ready opened)"
echo "   per real $(fd_get A ready per_real) per laddr $(fd_get A ready per_laddr), open in $(fd_get A ready open_ms) ms"
n2=$(fd_get A ready "per_laddr/${LADDR[dir2]}")
for d in "${DIRS[@]}"; do
  n=$(fd_get A ready "per_laddr/${LADDR[$d]}")
  check "$d carries some flows ($n)" test "$n" -gt 0
done
for d in "${DIRS[@]}"; do
  check "$d's conntrack holds all $N drill flows, its own and its peers' (within 10 s)" ct_wait_ge 10 "$d" "$N"
done
for d in "${DIRS[@]}"; do echo "   $d: ct $(ct_count "$d")"; done
echo "   directorctl sync on dir3:"; sync_status dir3 "${SOCK[dir3]}" | sed 's/^/     /'
flowdrill_probe before "$PROBE_PORTS"
# The probes end with RST: their entries (CLOSE, 10 s) are synced to every director. A peer's copy
# lacks the RST the kernel saw, so a SYN reusing the tuple after the re-hash would reopen it with
# the old NAT binding (another director's local address) instead of starting a new flow. Let them
# expire first: the probe after the failover must meet only new flows.
probe_entries() {
  local out
  out=$(on "$1" conntrack -L -p tcp --dport "$DRILL_PORT" 2>/dev/null) || true
  awk -v lo="${PROBE_PORTS%-*}" -v hi="${PROBE_PORTS#*-}" '
    {for (i = 1; i <= NF; i++) if ($i ~ /^sport=/) {p = substr($i, 7) + 0; if (p >= lo && p <= hi) n++; break}}
    END {print n + 0}' <<<"$out"
}
no_probe_entries() { local d; for d in "${DIRS[@]}"; do [ "$(probe_entries "$d")" = 0 ] || return 1; done; }
echo "   probe entries: dir1 $(probe_entries dir1), dir2 $(probe_entries dir2), dir3 $(probe_entries dir3)"
t0=$(date +%s%N)
check "the probes' conntrack entries expire everywhere (within 15 s)" lab_wait_for 15 no_probe_entries
echo "   gone after $(( ($(date +%s%N) - t0) / 1000000 )) ms"

echo "== dir2 dies: kill -9, link cut, its nexthop withdrawn"
kill -9 "${PID[dir2]}"; link_cut dir2
on router ip route replace 192.0.2.100/32 nexthop via 198.51.100.2 nexthop via 198.51.100.4
t0=$(date +%s%N)
check "dir3 (100) takes VI_2 within 2 s" wait_vrrp_state 2 dir3 "${SOCK[dir3]}" MASTER VI_2
echo "   dir3 MASTER of VI_2 after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "dir3 holds dir2's local address" holds_address dir3 "${LADDR[dir2]}"
check "dir1 is still MASTER of VI_1 only" test "$(vrrp_state dir1 "${SOCK[dir1]}" VI_1)/$(vrrp_state dir1 "${SOCK[dir1]}" VI_2)" = MASTER/BACKUP
flowdrill_go A
check "flowdrill result within 15 s" flowdrill_wait_result A 15
drill_report A
expect_eq "client-first flows that survived" "$((N / 2))" "$(fd_get A result client_first_ok)"
expect_eq "server-first flows that survived" "$((N - N / 2))" "$(fd_get A result server_first_ok)"
expect_eq "dir2's flows that survived" "$n2" "$(fd_get A result "ok_by_laddr/${LADDR[dir2]}")"

echo "== new flows after the failover reach the same reals"
flowdrill_probe after "$PROBE_PORTS"
cmp=$(probe_compare before after)
echo "   $cmp"
check "all 200 probe ports reach the same real as before the failover" grep -q "^same 200 differ 0 errors 0" <<<"$cmp"
for d in dir1 dir3; do echo "   directorctl sync on $d:"; sync_status "$d" "${SOCK[$d]}" | sed 's/^/     /'; done
finish
