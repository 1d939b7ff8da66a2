#!/usr/bin/env bash
# Runs the ctest of the CMake that configured BUILD_DIR, by its absolute path:
#
#   bash scripts/ctest.sh BUILD_DIR [ctest options...]
#
# Why not plain `ctest`: on a machine where a cmake wheel is installed in a pyenv Python,
# `ctest` on PATH is pyenv's shim, which runs it with that Python's bin folder put first on
# PATH. The C++ kernel tests find ipykernel through the python3 on PATH (.venv's, put first
# by the caller), so under the shim they would find no kernel.
set -euo pipefail
build="$1"
shift
ctest_bin="$(sed -n 's/^CMAKE_CTEST_COMMAND:INTERNAL=//p' "$build/CMakeCache.txt" 2>/dev/null || true)"
if [ -z "$ctest_bin" ] || [ ! -x "$ctest_bin" ]; then ctest_bin=ctest; fi
exec "$ctest_bin" --test-dir "$build" "$@"
