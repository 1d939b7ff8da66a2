#!/usr/bin/env bash
# Builds once and runs every test: the C++ suite (ctest: Catch2, the find_package consumer and
# the replay of every fuzz seed and kept crash), the Python suite (pytest: CLI and API on a real
# ipykernel, nbformat/papermill oracles), then the hardening runs (docs/security.md): the C++
# tests and the end-to-end CLI tests again under ASan + UBSan (docs/sanitizers.md), and each
# libFuzzer target for FUZZ_SECONDS (default 60) from its committed corpus (fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/check-format.sh
bash scripts/build.sh --tests
export PATH="$PWD/.venv/bin:$PATH"
ctest --test-dir build/python --output-on-failure -j2
.venv/bin/python -m pytest -q tests/python
bash scripts/sanitize.sh
FUZZ_SECONDS="${FUZZ_SECONDS:-60}" bash scripts/fuzz.sh
