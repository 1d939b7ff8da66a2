#pragma once

#include "console.hpp"
#include "sweep_events.hpp"

#include <nbexec/sweep.hpp>

#include <memory>
#include <string>
#include <vector>

// How `nbexec sweep` shows what happens: text lines (a progress bar and a table on a terminal)
// or JSON events. One object hooks itself into the sweep's callbacks and says the end.
namespace nbexec::cli {

struct SweepReportOptions {
  int threshold = 1;               // level_rank of --log-level
  std::vector<std::string> names;  // the grid's parameter names, which tell runs apart
  bool bar = false;                // a progress bar over runs (text, stderr a terminal)
  bool table = false;              // the table of runs at the end (text, on a terminal)
};

class SweepReport {
 public:
  virtual ~SweepReport() = default;
  // Sets the sweep's log and per-run callbacks.
  virtual void attach(SweepOptions& options) = 0;
  // After run_sweep returned: every run not yet reported, then the end (table, total line or
  // sweep_end). `exit_code` is the process's; `summary_error` why --summary was not written.
  virtual void finish(const SweepResult& result, int exit_code,
                      const std::string& summary_error) = 0;
};

// Text: the sweep's lines at --log-level; of each run, its warnings and errors ("[run 3] ..."),
// all of its lines at DEBUG, and one line when it ends (failures always; completed and skipped
// runs at INFO, left out while the bar shows them).
std::unique_ptr<SweepReport> make_text_report(Console& console, const SweepReportOptions& options,
                                              std::size_t runs);

// JSON lines: sweep_start, every run's events with "run", sweep_run_end per run, sweep_end.
std::unique_ptr<SweepReport> make_json_report(Console& console, const SweepReportOptions& options,
                                              const SweepStartInfo& start);

}  // namespace nbexec::cli
