#!/usr/bin/env bash
# NetlinkAddressOwner in a throwaway namespace: adds 192.0.2.1/32 and fd00:2::1/128 to a device,
# sees them with `ip addr`, removes them, and leaves an address it did not add alone.
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: ${0##*/} needs root (network namespaces)"
  exit 77
fi
command -v ip >/dev/null || { echo "SKIP: ${0##*/} needs ip"; exit 77; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${HA_BUILD_DIR:-$HERE/../../build/dev}
BIN=$BUILD_DIR/tests/netns_bin/address_netns_test
[ -x "$BIN" ] || { echo "FAIL: $BIN not built (cmake --build $BUILD_DIR --target address_netns_test)"; exit 1; }

NS=ha-addr-$$-$RANDOM
DEV=lan0
FOREIGN=192.0.2.9/32
cleanup() { ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

ip netns add "$NS" || { echo "FAIL: cannot create namespace $NS"; exit 1; }
# A dummy device where the kernel has the module; otherwise a veth pair (both ends in $NS).
if ! ip -n "$NS" link add "$DEV" type dummy 2>/dev/null; then
  if ! ip -n "$NS" link add "$DEV" type veth peer name "${DEV}p" 2>/dev/null; then
    echo "SKIP: ${0##*/} needs the dummy or veth interface type"
    exit 77
  fi
  ip -n "$NS" link set "${DEV}p" up
fi
ip -n "$NS" link set lo up
ip -n "$NS" link set "$DEV" up
# Someone else's address on the same device: directord must never remove it.
ip -n "$NS" addr add "$FOREIGN" dev "$DEV"

failed=0
check() {  # check DESCRIPTION COMMAND...
  if "${@:2}"; then echo "ok   - $1"; else echo "FAIL - $1"; failed=1; fi
}

echo "== NetlinkAddressOwner in namespace $NS"
HA_NETNS_DEV=$DEV HA_NETNS_FOREIGN=$FOREIGN ip netns exec "$NS" "$BIN" --gtest_brief=1
check "address_netns_test passes" test $? -eq 0

shown=$(ip -n "$NS" -o addr show dev "$DEV")
check "the foreign address $FOREIGN is still there" grep -q "inet $FOREIGN" <<<"$shown"
check "192.0.2.1 is gone" bash -c '! grep -q "192.0.2.1/" <<<"$1"' _ "$shown"
check "192.0.2.2 is gone" bash -c '! grep -q "192.0.2.2/" <<<"$1"' _ "$shown"
check "fd00:2::1 is gone" bash -c '! grep -q "fd00:2::1/" <<<"$1"' _ "$shown"

[ "$failed" -eq 0 ] && echo "PASS: ${0##*/}" || echo "FAIL: ${0##*/}"
exit "$failed"
