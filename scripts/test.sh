#!/usr/bin/env bash
# Every test, from a fresh clone: dependencies, the dev build (warnings as errors) with its unit
# and network-namespace tests, then the unit tests again under AddressSanitizer + UBSan.
# The netns tests need root; without it they report themselves skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
jobs=$(nproc)

cmake --preset dev
echo "== dependency rules (cmake/layers.txt)"
bash scripts/check-deps.sh build/dev/deps-graph
cmake --build --preset dev -j "$jobs"
cmake --preset asan-ubsan
cmake --build --preset asan-ubsan -j "$jobs"

echo "== unit tests under ASan/UBSan"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan-ubsan -j "$jobs"
echo "== unit and netns tests (dev build)"
ctest --preset dev
