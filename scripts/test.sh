#!/usr/bin/env bash
# Every test, from a fresh clone: dependencies, the dev build (warnings as errors), the style gate
# on changed lines (scripts/check-style.sh), the unit tests under AddressSanitizer + UBSan, the
# unit and threaded service tests under ThreadSanitizer, then every unit and network-namespace
# test on the dev build.
# The netns tests need root; without it they report themselves skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
jobs=$(nproc)
# Three presets are built from scratch in a fresh clone. ccache keys objects on paths relative to
# the clone (any clone directory hits the same entries), so a rerun on the same machine mostly
# links; a machine with a cold cache builds as it would without it.
export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-20G}"

cmake --preset dev
echo "== dependency rules (cmake/layers.txt)"
bash scripts/check-deps.sh build/dev/deps-graph
cmake --build --preset dev -j "$jobs"
echo "== style: clang-format and clang-tidy on the lines changed since scripts/style-baseline"
bash scripts/check-style.sh -j "$jobs"
cmake --preset asan-ubsan
cmake --build --preset asan-ubsan -j "$jobs"

echo "== unit tests under ASan/UBSan"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan-ubsan -j "$jobs"
# TSan after ASan: the two runtimes cannot share a build (HA_SANITIZE=address|thread).
cmake --preset tsan
cmake --build --preset tsan -j "$jobs"
echo "== unit tests under ThreadSanitizer (the Services, gRPC, post_and_wait threads included)"
ctest --preset tsan -j "$jobs"
# The whole daemon under TSan: the director, VRRP, health and sync io_context threads with gRPC's,
# in a VRRP reload and a sync pair with its failover (netns; they skip, exit 77, without root).
# Not test_vrrp_failover: its 1 s takeover bound is a timing check TSan's slowdown can miss.
# The options are the tsan test preset's, plus a log directory: any report there fails the run.
echo "== directord under ThreadSanitizer: test_vrrp_reload, test_sync_pair"
tsan_logs=$(mktemp -d)
for t in test_vrrp_reload test_sync_pair; do
  HA_BUILD_DIR="$PWD/build/tsan" TSAN_OPTIONS="second_deadlock_stack=1 history_size=7 \
ignore_noninstrumented_modules=1 suppressions=$PWD/tests/tsan.supp log_path=$tsan_logs/$t" \
    bash "tests/netns/$t.sh" || [ $? -eq 77 ]
done
if compgen -G "$tsan_logs/*" >/dev/null; then
  cat "$tsan_logs"/*
  echo "ThreadSanitizer reported the races above"
  exit 1
fi
echo "== unit and netns tests (dev build)"
# Unit tests share nothing and run in parallel; the netns and install tests one at a time (their
# failover and timing bounds assume the machine's cores are theirs).
ctest --preset dev -L unit -j "$jobs"
ctest --preset dev -LE unit
