#!/usr/bin/env bash
# NetlinkNftWriter against the kernel: runs tests/netns_bin/nft_writer_netns_test inside a
# throwaway network namespace (tables, rules, counters on lo, the 10k-service scale apply).
# Extra arguments go to the gtest binary (e.g. --gtest_filter=*Scale*).
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: ${0##*/} needs root (network namespaces, nf_tables)"
  exit 77
fi
command -v ip >/dev/null || { echo "SKIP: ${0##*/} needs ip"; exit 77; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${HA_BUILD_DIR:-$HERE/../../build/dev}
BIN=$BUILD_DIR/tests/netns_bin/nft_writer_netns_test
[ -x "$BIN" ] || { echo "FAIL: $BIN not built (cmake --build $BUILD_DIR --target nft_writer_netns_test)"; exit 1; }

NS=dwr-$$-$RANDOM
cleanup() { ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

ip netns add "$NS" || { echo "SKIP: cannot create network namespace $NS"; exit 77; }
ip -n "$NS" link set lo up
# The binary refuses to run in the namespace it was started from (the host's).
HA_HOST_NETNS_INODE=$(stat -L -c %i /proc/self/ns/net)
export HA_HOST_NETNS_INODE
if ! ip netns exec "$NS" "$BIN" --gtest_filter='-*' >/dev/null 2>&1; then
  echo "FAIL: $BIN does not start"
  exit 1
fi
ip netns exec "$NS" "$BIN" "$@"
