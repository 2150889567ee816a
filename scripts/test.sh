#!/usr/bin/env bash
# Every test, from a fresh clone: dependencies, the dev build (warnings as errors), the style gate
# on changed lines (scripts/check-style.sh), the unit tests under AddressSanitizer + UBSan, then
# every unit and network-namespace test on the dev build.
# The netns tests need root; without it they report themselves skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
jobs=$(nproc)

cmake --preset dev
cmake --build --preset dev -j "$jobs"
echo "== style: clang-format and clang-tidy on the lines changed since scripts/style-baseline"
bash scripts/check-style.sh -j "$jobs"
cmake --preset asan-ubsan
cmake --build --preset asan-ubsan -j "$jobs"

echo "== unit tests under ASan/UBSan"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan-ubsan -j "$jobs"
echo "== unit and netns tests (dev build)"
ctest --preset dev
