#!/usr/bin/env bash
# Checks the dependency rules in cmake/layers.txt against the tree: the target graph from a
# throwaway configure (cmake --graphviz, tests off) and every #include "...". Exit 1 names each
# broken rule. usage: scripts/check-deps.sh [SCRATCH_DIR]  (kept between runs when given: faster)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="${1:-}"
if [[ -z "$scratch" ]]; then
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
fi
mkdir -p "$scratch"
if ! cmake -S "$root" -B "$scratch" -G Ninja -DHA_BUILD_TESTS=OFF --graphviz="$scratch/targets.dot" \
    >"$scratch/configure.log" 2>&1; then
  cat "$scratch/configure.log" >&2
  echo "check-deps: configure failed" >&2
  exit 2
fi
exec python3 "$root/scripts/check_deps.py" "$root/cmake/layers.txt" "$scratch/targets.dot" "$root"
