#!/usr/bin/env bash
# Builds once, runs clang-tidy over the library (scripts/tidy.sh), and runs every test: the C++
# suite (ctest: Catch2, the find_package consumer against the static and the shared library,
# the shared library's exported symbols, and the replay of every fuzz seed and kept crash),
# the Python suite (pytest: CLI and API on a real ipykernel, nbformat/papermill oracles), then
# the hardening runs (docs/security.md): the C++ tests and the end-to-end CLI tests again under
# ASan + UBSan (docs/sanitizers.md), and each libFuzzer target from its committed corpus
# (fuzz/README.md): from a fixed seed, for at most FUZZ_RUNS inputs (default 150000) or
# FUZZ_SECONDS (default 120), so that CI walks close to the sequence a developer ran before
# committing instead of exploring new ground where a finding can no longer be looked at.
# The fuzzers are those of the sanitizer build (FUZZ_BUILD=build/asan): its library carries
# the coverage instrumentation too, so the instrumented objects are compiled once.
# Exploration is `bash scripts/fuzz.sh` without a seed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/check-format.sh
bash scripts/build.sh --tests
bash scripts/tidy.sh
export PATH="$PWD/.venv/bin:$PATH"
bash scripts/ctest.sh build/python --output-on-failure -j2
.venv/bin/python -m pytest -q tests/python
bash scripts/sanitize.sh
FUZZ_SECONDS="${FUZZ_SECONDS:-120}" FUZZ_RUNS="${FUZZ_RUNS:-150000}" FUZZ_SEED="${FUZZ_SEED:-1}" \
  FUZZ_BUILD=build/asan bash scripts/fuzz.sh
