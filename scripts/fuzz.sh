#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang with ASan + UBSan) in build/fuzz and runs each for
# FUZZ_SECONDS (default 60) from a scratch copy of the committed seed corpus. Exits non-zero
# when any target crashes, leaks, times out, runs out of memory or breaks an invariant, and
# prints the input that did it (to keep as fuzz/regressions/<target>/, see fuzz/README.md).
#
#   FUZZ_SECONDS=60 bash scripts/fuzz.sh            # every target
#   FUZZ_TARGETS="wire inspect" bash scripts/fuzz.sh
# FUZZ_BUILD=build/asan uses the fuzzers of the sanitizer build (scripts/sanitize.sh, preset
# `asan`: the same clang, ASan + UBSan and coverage instrumentation, libstdc++ assertions on)
# instead of configuring build/fuzz: CI builds the instrumented library once for both.
# Other knobs: FUZZ_JOBS (build parallelism), FUZZ_WORK (scratch folder, default a new
# build/fuzz/run-*), NBEXEC_BUILD_LOCK (a file to flock around the build on a shared machine),
# FUZZ_SEED and FUZZ_RUNS (libFuzzer's -seed and -runs: with both set a run draws the same
# mutations on every machine, stopped after FUZZ_RUNS inputs or FUZZ_SECONDS, whichever
# comes first; scripts/test-all.sh sets them so that CI walks close to what was run here,
# while runs without them explore from a random seed; fuzz/README.md says why and how close).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
targets="${FUZZ_TARGETS:-notebook wire connection_file parameters inspect}"
build="${FUZZ_BUILD:-build/fuzz}"
jobs="${FUZZ_JOBS:-$(nproc)}"
lock=()
if [ -n "${NBEXEC_BUILD_LOCK:-}" ]; then lock=(flock "$NBEXEC_BUILD_LOCK"); fi

# Only the library and the fuzzers: no CLI, tests, bindings or install rules. -O1 with line
# tables only is libFuzzer's usual choice: it compiles about twice as fast as -O2 -g, keeps
# stack traces readable, and leaves assert() on (no NDEBUG).
if [ -n "${FUZZ_BUILD:-}" ]; then
  grep -q '^NBEXEC_BUILD_FUZZ:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null ||
    { echo "fuzz: $build is not a configured build with NBEXEC_BUILD_FUZZ=ON" >&2; exit 2; }
else
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Fuzz \
    -DCMAKE_CXX_FLAGS_FUZZ="-O1 -gline-tables-only" \
    -DNBEXEC_BUILD_FUZZ=ON -DNBEXEC_BUILD_TESTS=OFF -DNBEXEC_BUILD_CLI=OFF \
    -DNBEXEC_BUILD_PYTHON=OFF -DNBEXEC_BUILD_BENCH=OFF -DNBEXEC_INSTALL=OFF >/dev/null
fi
"${lock[@]}" cmake --build "$build" -j "$jobs" --target nbexec_fuzzers

work="${FUZZ_WORK:-$(mktemp -d "$PWD/$build/run-XXXXXX")}"
mkdir -p "$work"
failed=()
for target in $targets; do
  dir="$work/$target"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  # The committed corpus is copied, never handed to libFuzzer, which writes into its first
  # corpus folder.
  cp -R "fuzz/corpus/$target/." "$dir/corpus/"
  extra=()
  if [ -n "${FUZZ_SEED:-}" ]; then extra+=("-seed=$FUZZ_SEED"); fi
  if [ -n "${FUZZ_RUNS:-}" ]; then extra+=("-runs=$FUZZ_RUNS"); fi
  if [ -f "fuzz/dict/$target.dict" ]; then extra+=("-dict=fuzz/dict/$target.dict"); fi
  seeds=("$dir/corpus")
  if [ -d "fuzz/regressions/$target" ]; then seeds+=("fuzz/regressions/$target"); fi
  echo "fuzz: $target for ${seconds}s${FUZZ_RUNS:+ or $FUZZ_RUNS inputs}${FUZZ_SEED:+ from seed $FUZZ_SEED} (log: $dir/log)"
  set +e
  "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" "${extra[@]}" "${seeds[@]}" >"$dir/log" 2>&1
  status=$?
  set -e
  grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb' "$dir/log" | \
    sed "s/^/fuzz: $target: /" || true
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    echo "fuzz: $target FAILED (exit $status); last lines of $dir/log:"
    tail -n 40 "$dir/log"
    for artifact in "$dir"/artifacts/*; do
      [ -e "$artifact" ] && echo "fuzz: $target: input that failed: $artifact"
    done
  fi
done

if [ "${#failed[@]}" -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz: every target ran up to ${seconds}s${FUZZ_RUNS:+ or $FUZZ_RUNS inputs}${FUZZ_SEED:+ from seed $FUZZ_SEED} without a finding"
