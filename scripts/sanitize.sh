#!/usr/bin/env bash
# ASan + UBSan run (docs/sanitizers.md): builds the library, the CLI, the Catch2 tests and the
# libFuzzer targets with clang under AddressSanitizer (with LeakSanitizer) and
# UndefinedBehaviorSanitizer in build/asan, runs ctest on them, then runs the end-to-end pytest
# files that drive the sanitized CLI (NBEXEC_CLI=build/asan/nbexec) on real ipykernels and on
# the pyzmq fake kernel. Any sanitizer report, from a test binary or from any CLI process a
# test started, fails the run: reports go to log files (log_path) that are printed at the end.
#
# The Python extension is not built: a sanitized extension needs libasan preloaded into
# Python. The tests that use the binding in-process (test_api*, test_kfp*, test_scraps, ...)
# cannot see sanitized code and are not run here; the C++ they reach is the same library the
# Catch2 tests and the CLI exercise.
#
# The pytest subset (CLI_TESTS below) is every test file that runs the CLI (the `cli` or
# `run_cli` fixture of tests/python/conftest.py), plus test_hostile_inputs.py when present,
# minus:
#   test_papermill_parity.py runs each of its cases under papermill as well, and papermill's
#                            side is most of its ~2 min; the CLI paths it reaches (error cells,
#                            papermill metadata, timeouts) are covered by test_cli_*. `--full`
#                            adds it.
#   test_package_wheel.py    builds and installs the wheel: the extension, not the CLI.
#   test_docker_image.py     the step image's Dockerfile and its install steps in a clean
#                            virtual environment: the wheel's CLI and extension, not a
#                            sanitized build.
# No single test is deselected (DESELECT is empty): the only bounds the sanitizers break are
# the hostile cases' address-space cap, peak RSS and wall time, which test_hostile_inputs.py
# drops itself under NBEXEC_SANITIZED=1 (set here); the other timing asserts (a run stopped
# within 3 to 30 s of a signal or timeout) hold with room to spare. ctest runs everything
# nbexec_tests holds (find_package_consumer needs NBEXEC_INSTALL: not built). The library is
# also instrumented for libFuzzer's coverage (preset `asan`: NBEXEC_BUILD_FUZZ=ON), so the
# fuzzers are built here and `FUZZ_BUILD=build/asan scripts/fuzz.sh` runs them without a
# second build; they replay every seed and kept crash before they mutate, so the corpus
# replays of the normal build's ctest are not repeated here. Figures and the reasoning:
# docs/sanitizers.md.
#
# Needs: clang (14 here), the .venv of scripts/install-deps.sh with nbexec installed into it
# (scripts/build.sh; the tests import nbexec for its version and parameter checks).
# NBEXEC_BUILD_LOCK=<file> wraps the configure and build steps in flock (shared machines).
set -euo pipefail
cd "$(dirname "$0")/.."

full=0
for arg in "$@"; do
  case "$arg" in
    --full) full=1 ;;
    *) echo "usage: scripts/sanitize.sh [--full]" >&2; exit 2 ;;
  esac
done

build=build/asan
command -v clang++ >/dev/null || { echo "sanitize: clang++ not found" >&2; exit 2; }
python=.venv/bin/python
jobs=$(nproc)
lock=()
if [ -n "${NBEXEC_BUILD_LOCK:-}" ]; then lock=(flock "$NBEXEC_BUILD_LOCK"); fi
"$python" -c "import nbexec" 2>/dev/null ||
  { echo "sanitize: nbexec is not installed in .venv (run scripts/build.sh)" >&2; exit 2; }

CLI_TESTS=(
  tests/python/test_cli_bad_input.py
  tests/python/test_cli_concurrency.py
  tests/python/test_cli_events.py
  tests/python/test_cli_faults.py
  tests/python/test_cli_log_output.py
  tests/python/test_cli_papermill_options.py
  tests/python/test_cli_parameter_check.py
  tests/python/test_cli_parameters.py
  tests/python/test_cli_run.py
  tests/python/test_exec_parity.py
  tests/python/test_kernel_faults.py
  tests/python/test_kernel_specs.py
  tests/python/test_run_saving.py
)
# The hostile-input corpus through the CLI (test_hostile_inputs.py reads NBEXEC_SANITIZED: no
# address-space cap, RSS or time bound under ASan) and the schema walk's CLI sample.
if [ -f tests/python/test_hostile_inputs.py ]; then
  CLI_TESTS+=(tests/python/test_hostile_inputs.py)
fi
if [ -f tests/python/test_hostile_schema.py ]; then
  CLI_TESTS+=(tests/python/test_hostile_schema.py::test_cli_refuses_exactly_what_nbformat_refuses)
fi
if [ "$full" = 1 ]; then
  CLI_TESTS+=(tests/python/test_papermill_parity.py)
fi
# Single tests left out: one pytest node id per line, its reason in a comment above it.
DESELECT=()

# The build's flags live in the `asan` configure preset of CMakePresets.json (one place:
# `cmake --preset asan` gives a newcomer this same build), and this is why they are what they
# are. The library and the CLI at -O1 as the sanitizers' manuals advise (cmake/sanitize.cmake);
# the Catch2 tests at -O0 (the fuzzers at -O1: their inline JSON/YAML code runs hot), which halves their build (figures in
# docs/sanitizers.md). Line tables are all a report needs and build faster than full -g.
# Debug keeps assert() on.
# float-divide-by-zero is UB in C++ but outside -fsanitize=undefined (IEEE gives inf); nbexec
# never means to divide by zero, so it is checked too. unsigned-integer-overflow is defined
# behaviour and hashing relies on it: not checked. _GLIBCXX_ASSERTIONS adds libstdc++'s bounds
# checks (operator[], front(), back() on an empty container) and _GLIBCXX_SANITIZE_VECTOR
# tells ASan about std::vector's spare capacity, so a read past size() within capacity is
# reported too (nothing outside this build fills nbexec's vectors, so no false positives).

# Reports: into files (so a report from a CLI a test started is never lost in captured
# stderr), with an exit code no nbexec path uses, leaks included, stack use after return
# and init-order bugs checked.
export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer || true)}"
asan_options="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
asan_options+=":check_initialization_order=1:strict_init_order=1:exitcode=86"
# The runaway guard of the hostile cases (an RLIMIT_AS cannot coexist with ASan's shadow).
asan_options+=":hard_rss_limit_mb=4096"
ubsan_options="print_stacktrace=1:halt_on_error=1:exitcode=86"

logs=$build/sanitizer-logs
timings=()
# Wall and CPU time (user + sys of every child) per phase: on a shared machine the wall time
# says little, and CPU / cores is what a dedicated CI runner would take for the build.
times_file=$(mktemp)
trap 'rm -f "$times_file"' EXIT
cpu_seconds() {  # sets cpu; `times` must run in this shell (a subshell starts from zero)
  times >"$times_file"
  cpu=$(awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); n += t[1] * 60 + t[2] }
                       printf "%d", n }' "$times_file")
}
phase() {  # phase NAME: closes the previous phase's timing
  local now=$SECONDS
  cpu_seconds
  if [ -n "${current:-}" ]; then
    timings+=("$(printf '%-10s %5d s wall %5d s CPU' "$current" $((now - phase_start)) \
      $((cpu - phase_cpu)))")
  fi
  current=$1
  phase_start=$now
  phase_cpu=$cpu
  [ -z "$1" ] || echo "== sanitize: $1"
}
report() {  # report DIR: prints every report file and fails if there is one
  shopt -s nullglob
  local files=("$1"/*)
  shopt -u nullglob
  if [ ${#files[@]} -gt 0 ]; then
    for f in "${files[@]}"; do echo "---- $f"; cat "$f"; done
    echo "sanitize: ${#files[@]} sanitizer report(s) above" >&2
    return 1
  fi
}
started=$SECONDS

phase configure
"${lock[@]}" cmake --preset asan >/dev/null

# `all` here is the library, the CLI, nbexec_tests and the fuzzers: no extension,
# no bench, no install.
phase build
"${lock[@]}" cmake --build "$build" -j"$jobs"
# A build that lost its flags would pass everything silently: prove the runtime is in.
asan_help=$(ASAN_OPTIONS=help=1 "$build/nbexec" --version 2>&1)
grep -q "Available flags for AddressSanitizer" <<<"$asan_help" ||
  { echo "sanitize: $build/nbexec is not built with AddressSanitizer" >&2; exit 2; }

phase ctest
rm -rf "$logs"
mkdir -p "$logs/ctest" "$logs/pytest"
export PATH="$PWD/.venv/bin:$PATH"  # the ipykernel the C++ kernel tests start
status=0
ASAN_OPTIONS="$asan_options:log_path=$PWD/$logs/ctest/asan" \
UBSAN_OPTIONS="$ubsan_options:log_path=$PWD/$logs/ctest/ubsan" \
  bash scripts/ctest.sh "$build" --output-on-failure -j"$jobs" || status=1
report "$logs/ctest" || status=1

phase pytest
deselect_args=()
for id in "${DESELECT[@]}"; do deselect_args+=(--deselect "$id"); done
NBEXEC_CLI="$PWD/$build/nbexec" NBEXEC_SANITIZED=1 \
ASAN_OPTIONS="$asan_options:log_path=$PWD/$logs/pytest/asan" \
UBSAN_OPTIONS="$ubsan_options:log_path=$PWD/$logs/pytest/ubsan" \
  "$python" -m pytest -q -p no:cacheprovider --durations=10 "${deselect_args[@]}" \
  "${CLI_TESTS[@]}" || status=1
report "$logs/pytest" || status=1

phase ""
echo "== sanitize: phase times"
printf '   %s\n' "${timings[@]}"
cpu_seconds
printf '   %-10s %5d s wall %5d s CPU\n' total $((SECONDS - started)) "$cpu"
if [ "$status" != 0 ]; then echo "sanitize: FAILED" >&2; fi
exit "$status"
