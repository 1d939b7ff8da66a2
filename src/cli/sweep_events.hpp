#pragma once

#include "console.hpp"

#include <nbexec/log_level.hpp>
#include <nbexec/run_events.hpp>
#include <nbexec/sweep.hpp>

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

// `nbexec sweep --log-format json`: the sweep's own events around the events of its runs, one
// JSON object per line on standard error (docs/events.md, "Sweep events").
namespace nbexec::cli {

struct SweepStartInfo {
  std::string input_path;
  std::string output_template;
  std::size_t runs = 0;        // in this shard
  std::size_t total_runs = 0;  // in the whole grid
  SweepShard shard;
  std::size_t jobs = 0;
  std::vector<std::string> preload;
  bool fork = true;
};

RunEvent sweep_start_event(const SweepStartInfo& info);
// The summary row of one run, as "run" (its index) and the fields of summary_row.
RunEvent sweep_run_end_event(const SweepRecord& record);
RunEvent sweep_end_event(const SweepResult& result);
// The sweep_end the CLI writes for an error before any run started (exit 2, or 70).
RunEvent error_sweep_end(int exit_code, const std::string& message);

// Writes events as they come (the caller serialises the calls). Run events get "run", the
// run's index; as with `nbexec run`, a run's events before its run_start (the library's "Input
// notebook" lines) are held back and written right after it. "log" events, the sweep's and
// the runs', are filtered by `threshold` as --log-level says.
class SweepEventLog {
 public:
  SweepEventLog(Console& console, LogLevel threshold);

  void write(const RunEvent& event);
  void on_run_event(std::size_t run_index, const RunEvent& event);

 private:
  bool shown(const RunEvent& event) const;

  Console& console_;
  LogLevel threshold_;
  std::map<std::size_t, std::vector<RunEvent>> held_;  // by run, until its run_start
  std::set<std::size_t> started_;
};

}  // namespace nbexec::cli
