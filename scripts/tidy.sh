#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy's checks) over the library sources, src/ without the fronts in
# src/cli, and the project headers they include; fails on any finding (WarningsAsErrors).
#
#   bash scripts/tidy.sh [FILE...]       # default: every library source
#
# The compile commands come from a configure-only CMake tree in build/tidy
# (CMAKE_EXPORT_COMPILE_COMMANDS): nothing is compiled, so it runs before or without a build.
# TIDY_JOBS (default: the number of cores) clang-tidy processes run side by side.
set -euo pipefail
cd "$(dirname "$0")/.."

tidy="${CLANG_TIDY:-$(command -v clang-tidy || command -v clang-tidy-14 || true)}"
[ -n "$tidy" ] || { echo "tidy: clang-tidy not found (apt-get install clang-tidy)" >&2; exit 2; }
build=build/tidy
jobs="${TIDY_JOBS:-$(nproc)}"

cmake -S . -B "$build" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DNBEXEC_BUILD_TESTS=OFF \
  -DNBEXEC_BUILD_CLI=OFF -DNBEXEC_BUILD_PYTHON=OFF -DNBEXEC_INSTALL=OFF >/dev/null

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'src/*.cpp' | grep -v '^src/cli/')
fi

started=$SECONDS
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# xargs exits non-zero when any clang-tidy did (a finding is an error by WarningsAsErrors).
set +e
printf '%s\n' "${files[@]}" |
  xargs -P "$jobs" -n 1 "$tidy" -p "$build" --quiet --header-filter="^$PWD/(src|include)/" \
  >"$log" 2>&1
status=$?
set -e
# clang-tidy's tallies of what it suppressed (system headers, other checks) are noise.
grep -v -E '^[0-9]+ warnings?( and [0-9]+ errors?)? generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter=' \
  "$log" || true
if [ "$status" -ne 0 ]; then
  echo "tidy: FAILED: findings above (${#files[@]} files, $((SECONDS - started)) s)" >&2
  exit 1
fi
echo "tidy: ${#files[@]} files clean ($((SECONDS - started)) s, $jobs jobs)"
