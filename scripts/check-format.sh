#!/usr/bin/env bash
# Fails when a C++ file differs from .clang-format's layout; `--fix` rewrites them instead.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'include/*.hpp' 'src/*.hpp' 'src/*.cpp' 'tests/*.cpp' \
  'tests/*.hpp' 'python/_core/*.cpp' 'python/_core/*.hpp')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
clang-format --dry-run --Werror "${files[@]}"
echo "check-format: ${#files[@]} files formatted as .clang-format says"
