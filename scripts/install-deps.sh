#!/usr/bin/env bash
# Installs what nbexec needs on Debian 12: the C++ toolchain and libraries from apt (clang and
# its sanitizer/libFuzzer runtimes for scripts/sanitize.sh and scripts/fuzz.sh, clang-format and
# clang-tidy for scripts/check-format.sh and scripts/tidy.sh, md4c for the HTML page's markdown,
# headless chromium for its browser test, tcpdump for the loopback capture of
# test_transport_security.py), and a project
# virtual environment (.venv) with the Python build and test tools from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  g++ cmake ninja-build pkg-config git ca-certificates \
  python3 python3-dev python3-venv python3-pip \
  nlohmann-json3-dev libyaml-cpp-dev cppzmq-dev libzmq3-dev libssl-dev catch2 libcli11-dev \
  libmd4c-dev libmd4c-html0-dev \
  chromium \
  clang-format clang-tidy \
  clang libclang-rt-14-dev \
  tcpdump \
  >/dev/null

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# Build tools (the wheel is built without isolation so nothing is fetched twice), the real
# Jupyter parts the tests use as kernel and oracles, and what the optional features are tested
# with: kfp (nbexec.kfp), fsspec with s3fs and moto's local S3 server (remote paths), scrapbook
# (scraps), tqdm (the progress bar), dockerfile-parse (docker/Dockerfile's structure, checked
# without a Docker engine), pytest-xdist (the pytest plugin's -n) and nbmake (its benchmark peer),
# kfp-kubernetes (Kubernetes Secrets as a step's environment; pinned: it pins its kfp).
.venv/bin/python -m pip install -q \
  "scikit-build-core>=0.10" "pybind11>=2.10" \
  pytest ipykernel nbformat nbclient papermill PyYAML tqdm \
  "kfp>=2.15" "fsspec>=2023" s3fs "moto[server]" scrapbook "dockerfile-parse==2.0.1" \
  "pytest-xdist>=3" "nbmake>=1.5" "kfp-kubernetes==2.17.3"
echo "install-deps: done (.venv ready)"
