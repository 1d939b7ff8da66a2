#pragma once

#include <nbexec/kernel_pool.hpp>
#include <nbexec/run.hpp>
#include <nbexec/sweep_plan.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

// Many runs of one notebook: a sweep over a grid of parameters, `jobs` at a time, each run on a
// fresh kernel drawn from a KernelPool (docs/sweeps.md). Every output notebook is the one
// `nbexec run` would write for the same parameters.
namespace nbexec {

// One row of the summary: how one run ended.
struct SweepRecord {
  std::size_t index = 0;                                         // in the whole grid
  params::Parameters parameters = params::Parameters::object();  // fixed, then grid values
  // completed | failed (a cell raised) | timeout | kernel_died | interrupted | error (bad input
  // found only at run time, or the kernel could not start) | skipped (never started:
  // --fail-fast or a signal)
  std::string status;
  // What `nbexec run` would have exited with for this run alone; 0 for a skipped run (it did
  // not fail; the sweep's exit code counts it as not completed).
  int exit_code = 0;
  double seconds = 0;  // wall time of the run, from its start to its final save
  std::filesystem::path output_path;
  // The scraps the executed notebook recorded (nbexec.record, scrapbook's glue, papermill's
  // record), name to value; an object, empty when there are none or nothing was saved.
  nlohmann::json scraps = nlohmann::json::object();
  // One line, empty when completed; a skipped run's says why ("not started: --fail-fast after
  // run 2 failed", "not started: stopped by signal 15").
  std::string error;
};

struct SweepOptions {
  // Everything a run shares: input_path, parameters (the fixed values, under every run),
  // kernel_name, language, cwd, timeouts, deadline (per run), parameter_check, transport,
  // allow_errors, report_mode, env_prefix. output_path is ignored (output_template fills it per
  // run); `kernels`, `cancel`, `log`, `output` and `on_event` are set per run by the sweep.
  RunOptions run;
  std::vector<SweepGridRun> grid;  // parse_sweep_grid's result
  std::string output_template;     // as SweepPlanOptions::output_template ({run} and names)
  std::optional<SweepShard> shard;
  std::size_t jobs = 0;    // runs at once and kernels alive at once; 0: the number of CPUs
  bool fail_fast = false;  // after a run fails, start no new run (running ones finish)
  // Forking of Python kernels from a warm template, and what it imports first: these modules
  // plus the notebook's metadata.nbexec.preload (a list of module names).
  bool fork = true;
  std::vector<std::string> preload;
  // Set (by a signal handler) to stop: no run starts, every running one stops between kernel
  // messages and saves its notebook with its cell marked, every kernel and template ends.
  const std::atomic<bool>* cancel = nullptr;
  std::function<int()> cancel_signal;  // the signal that set `cancel` (exit 128 + N)
  // Sweep-level lines (the plan, fallbacks, the memory report); runs' own lines go to run_log.
  std::function<void(LogLevel, const std::string&)> log;
  // Per-run hooks, called from worker threads one at a time (the sweep serialises them):
  std::function<void(const SweepRun&)> on_run_start;
  std::function<void(std::size_t run_index, LogLevel, const std::string&)> run_log;
  std::function<void(std::size_t run_index, const RunEvent&)> on_run_event;
  std::function<void(const SweepRecord&)> on_run_end;
};

struct SweepMemory {
  // Largest sum seen over nbexec, its kernels and templates (and their children), sampled
  // while the sweep ran: resident set size, and proportional set size where /proc gives it
  // (shared pages counted once), 0 when it does not.
  std::uint64_t peak_rss_bytes = 0;
  std::uint64_t peak_pss_bytes = 0;
};

struct SweepResult {
  std::vector<SweepRecord> records;  // one per run of this shard, by index (skipped included)
  std::size_t total_runs = 0;        // in the whole grid
  SweepShard shard;
  bool cancelled = false;  // a signal (or `cancel`) stopped the sweep
  int signal = 0;          // the signal number when cancelled, else 0
  KernelPoolStats kernels;
  SweepMemory memory;
  double seconds = 0;
  // 0 when every run completed, 1 when any did not (failed, timed out, died, skipped), 128+N
  // after signal N (130 when `cancel` was set with no signal). Bad input found before anything
  // starts is thrown instead (exit 2).
  int exit_code() const;
};

// Plans the sweep (plan_sweep), checks it before any kernel starts (the notebook reads, every
// run's parameters pass the parameter check, the kernel exists), then runs it. Throws for bad
// input with nothing started or written: NotebookError, ParameterError (naming the run),
// UsageError, KernelNotFoundError. A run that fails does not stop the others. The folder of a
// run's output path is made when the run starts.
SweepResult run_sweep(const SweepOptions& options);

// The scraps recorded in an executed notebook's outputs, name to value, as
// nbexec.read_scraps reads them (scrapbook's json and text encoders; papermill's record).
nlohmann::json read_scraps(const notebook::Notebook& notebook);

}  // namespace nbexec
