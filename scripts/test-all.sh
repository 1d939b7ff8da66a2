#!/usr/bin/env bash
# Builds once and runs every test: the C++ suite (ctest: Catch2 + find_package consumer) and
# the Python suite (pytest: CLI and API on a real ipykernel, nbformat/papermill oracles).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/check-format.sh
bash scripts/build.sh --tests
export PATH="$PWD/.venv/bin:$PATH"
ctest --test-dir build/python --output-on-failure -j2
.venv/bin/python -m pytest -q tests/python
