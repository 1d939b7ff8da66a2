#!/usr/bin/env bash
# Builds the C++ library, the native CLI, the Python extension and (with --tests) the Catch2
# tests in ONE CMake build (build/python), and installs the package into .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
tests=OFF
if [ "${1:-}" = "--tests" ]; then tests=ON; fi
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
.venv/bin/python -m pip install -q --no-build-isolation . \
  -Cbuild-dir=build/python \
  -Ccmake.define.NBEXEC_BUILD_TESTS=$tests \
  -Ccmake.define.NBEXEC_INSTALL=ON
echo "build: nbexec installed into .venv (CLI: .venv/bin/nbexec)"
