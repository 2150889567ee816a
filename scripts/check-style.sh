#!/usr/bin/env bash
# Style gate on the C++ lines changed since a base commit: clang-format (.clang-format) on every
# changed line, clang-tidy (.clang-tidy) on the changed lines of every changed file.
#
#   scripts/check-style.sh                 # base: the commit in scripts/style-baseline (CI)
#   scripts/check-style.sh --base main     # base: git merge-base main HEAD (a branch's own changes)
#   scripts/check-style.sh --fix           # rewrite the changed lines in place (format only)
#   scripts/check-style.sh --bump          # if clean, move scripts/style-baseline to HEAD
#   options: --build-dir DIR (compile_commands.json; default build/dev), --no-tidy, -j N
#
# Why a recorded baseline: CI builds a fresh clone of main, where "changed" has no meaning of its
# own. scripts/style-baseline names the commit the gate started from; every line changed after it
# must be clean (a ratchet), while lines nobody touched since are left alone — no whole-file churn
# of code that is not being worked on, no flag day. Uncommitted changes count as changed.
# clang-tidy costs ~5-10 s per changed file on 2 cores; to keep CI short, move the baseline up
# (--bump, committed) once main is clean at a newer commit, e.g. after a merge.
set -euo pipefail
cd "$(dirname "$0")/.."

base_ref=
build_dir=build/dev
tidy=1
fix=0
bump=0
jobs=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base_ref=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --no-tidy) tidy=0; shift ;;
    --fix) fix=1; tidy=0; shift ;;
    --bump) bump=1; shift ;;
    -j) jobs=$2; shift 2 ;;
    *) echo "check-style: unknown argument $1" >&2; exit 2 ;;
  esac
done

pick() {  # the versioned tool if present (Debian 12 ships -14), else the plain name
  local v
  for v in "$1-14" "$1"; do
    if command -v "$v" >/dev/null; then echo "$v"; return; fi
  done
  echo "check-style: $1 not found (scripts/install-deps.sh installs it)" >&2
  exit 2
}

if [ -n "$base_ref" ]; then
  base=$(git merge-base "$base_ref" HEAD)
else
  base=$(tr -d '[:space:]' < scripts/style-baseline)
  if ! git cat-file -e "$base^{commit}" 2>/dev/null; then
    echo "check-style: baseline $base is not in this clone (shallow?); fetch more history" >&2
    exit 2
  fi
fi

mapfile -t files < <(git diff --name-only --diff-filter=ACMR "$base" -- '*.cc' '*.h')
if [ ${#files[@]} -eq 0 ]; then
  echo "check-style: no C++ file changed since ${base:0:12}"
  [ "$bump" -eq 1 ] && git rev-parse HEAD > scripts/style-baseline
  exit 0
fi
echo "check-style: ${#files[@]} C++ file(s) changed since ${base:0:12}"

status=0
git_clang_format=$(pick git-clang-format)
clang_format=$(pick clang-format)
if [ "$fix" -eq 1 ]; then
  "$git_clang_format" --binary "$clang_format" --extensions cc,h "$base" -- "${files[@]}"
  exit 0
fi
format_out=$("$git_clang_format" --binary "$clang_format" --diff --extensions cc,h "$base" -- \
  "${files[@]}")
case "$format_out" in
  "no modified files to format" | "clang-format did not modify any files" | "") ;;
  *)
    echo "$format_out"
    echo "check-style: clang-format wants the changes above (scripts/check-style.sh --fix)"
    status=1
    ;;
esac

if [ "$tidy" -eq 1 ]; then
  if [ ! -f "$build_dir/compile_commands.json" ]; then
    echo "check-style: $build_dir/compile_commands.json missing (cmake --preset dev first)" >&2
    exit 2
  fi
  clang_tidy=$(pick clang-tidy)
  tidy_diff=$(command -v clang-tidy-diff-14.py || command -v clang-tidy-diff || true)
  [ -n "$tidy_diff" ] || { echo "check-style: clang-tidy-diff not found" >&2; exit 2; }
  # Only the changed lines are judged (-line-filter through clang-tidy-diff); headers are judged
  # with the flags of a source file next to them (clang's interpolating compilation database).
  # The eBPF programs' C (director/bpf/progs/) builds with clang -target bpf, not from
  # compile_commands.json: clang-format judges it, clang-tidy cannot.
  local_tidy=()
  for f in "${files[@]}"; do [[ $f == director/bpf/progs/* ]] || local_tidy+=("$f"); done
  tidy_out=$(git diff -U0 "$base" -- "${local_tidy[@]}" |
    python3 "$tidy_diff" -p1 -path "$build_dir" -clang-tidy-binary "$clang_tidy" -j "$jobs" \
      -quiet 2>&1 || true)
  if grep -qE ': (warning|error): ' <<<"$tidy_out"; then
    grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$' <<<"$tidy_out"
    echo "check-style: clang-tidy findings on changed lines (see .clang-tidy for the checks)"
    status=1
  fi
fi

if [ "$status" -eq 0 ]; then
  echo "check-style: clean"
  if [ "$bump" -eq 1 ]; then
    git rev-parse HEAD > scripts/style-baseline
    echo "check-style: baseline moved to $(git rev-parse --short HEAD); commit scripts/style-baseline"
  fi
fi
exit "$status"
