#!/usr/bin/env bash
# Two directors with the same config (etc/lab-dr.conf: mh + mh-port, fixed lb_hash_seed) send every
# flow to the same real: `directorctl lookup` in dir1 and dir2 agree on 100 flows.
# Both hold the VIP (DR takes its ingress device from static_ipaddress), a duplicate address on the
# LAN; harmless here because the test sends no traffic to it.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
lab_require_root
ha_find_binaries || exit 1
lab_up
CONF="$LAB_SOURCE_DIR/etc/lab-dr.conf"

declare -A PID
for d in dir1 dir2; do
  directord_start "$d" "$CONF" "$LAB_STATE_DIR/$d.sock" || { fail "directord starts in $d"; finish; }
  PID[$d]=$DIRECTORD_PID
  pass "directord started in $d (pid $DIRECTORD_PID)"
done

echo "== 100 flows: lookup in dir1 vs dir2"
same=0 answered=0 reals=""
for ((i = 0; i < 100; i++)); do
  src="203.0.113.$((10 + i % 50))" sport=$((1024 + 613 * i))
  a=$(on dir1 "$DIRECTORCTL" --admin-socket "$LAB_STATE_DIR/dir1.sock" lookup tcp "$src" "$sport" "$VIP_DR4" 80 2>&1 |
    grep -oE '198\.51\.100\.1[123]:80' | head -n 1)
  b=$(on dir2 "$DIRECTORCTL" --admin-socket "$LAB_STATE_DIR/dir2.sock" lookup tcp "$src" "$sport" "$VIP_DR4" 80 2>&1 |
    grep -oE '198\.51\.100\.1[123]:80' | head -n 1)
  [ -n "$a" ] && answered=$((answered + 1))
  if [ -n "$a" ] && [ "$a" = "$b" ]; then same=$((same + 1)); else echo "    $src:$sport -> dir1 ${a:-none}, dir2 ${b:-none}"; fi
  reals+="$a "
done
expect_eq "dir1 names a real for every flow" 100 "$answered"
expect_eq "dir1 and dir2 agree on every flow" 100 "$same"
dist=$(tr ' ' '\n' <<<"$reals" | grep . | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')
check "the flows spread over all three reals ($dist)" test "$(tr ' ' '\n' <<<"$reals" | grep . | sort -u | wc -l)" -eq 3

for d in dir1 dir2; do
  check "directord in $d exits within 5 s of SIGTERM" directord_stop "${PID[$d]}"
done
finish
