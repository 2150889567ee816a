#!/usr/bin/env bash
# scripts/check_deps.py must fail on a broken fixture (an upward link, an upward include, an
# undeclared target), pass on the same fixture without the fault, and pass on the real tree.
# usage: check_deps_test.sh fixture | tree SCRATCH_DIR
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
fixture="$root/tests/deps/fixture"
failures=0

# expect RC NEEDLE -- command...: the command exits RC and its output contains NEEDLE.
expect() {
  local rc="$1" needle="$2"
  shift 3
  local out got
  out="$("$@" 2>&1)"
  got=$?
  if [[ $got -ne $rc ]] || ! grep -qF -- "$needle" <<<"$out"; then
    echo "FAIL: $* -> exit $got (want $rc, output containing '$needle'):"
    echo "$out"
    failures=$((failures + 1))
  else
    echo "ok: exit $got, '$needle'"
  fi
}

check() { python3 "$root/scripts/check_deps.py" "$fixture/layers.txt" "$@"; }

case "${1:-}" in
  fixture)
    expect 0 "dependencies keep the rules" -- check "$fixture/targets.dot" "$fixture/ok"
    expect 1 "link low -> high is not allowed" -- \
      check "$fixture/targets_upward_link.dot" "$fixture/ok"
    expect 1 "low/low.h:4: includes high/high.h (low may not use high)" -- \
      check "$fixture/targets.dot" "$fixture/upward_include"
    expect 1 "target stray is not in cmake/layers.txt" -- \
      check "$fixture/targets_undeclared.dot" "$fixture/ok"
    ;;
  tree)
    expect 0 "dependencies keep the rules" -- bash "$root/scripts/check-deps.sh" "${2:?scratch dir}"
    ;;
  *)
    echo "usage: $0 fixture | tree SCRATCH_DIR" >&2
    exit 2
    ;;
esac
exit $((failures > 0))
