#pragma once

#include "console.hpp"

#include <nbexec/run.hpp>
#include <nbexec/run_events.hpp>

#include <string>
#include <vector>

namespace nbexec::cli {

// --log-format json: every event of a run as one compact JSON object per line on standard error,
// and nothing else there (docs/events.md). The stream always ends with run_end, also when the
// run fails before it starts: the CLI then writes a run_end of its own (status "error").
class JsonEventLog {
 public:
  // `threshold` filters "log" events as --log-level filters text lines (DEBUG shows all).
  JsonEventLog(Console& console, LogLevel threshold);

  // Writes `event`. Events that come before run_start (the library's "Input notebook" lines)
  // are held back and written right after it, so that run_start opens the stream whenever
  // there is one; nothing is written after run_end.
  void on_event(const RunEvent& event);

 private:
  void write(const RunEvent& event);

  Console& console_;
  LogLevel threshold_;
  std::vector<RunEvent> held_;
  bool started_ = false;
  bool ended_ = false;
};

// The run_end the CLI writes for an error outside a run (a usage error, a parameters file that
// cannot be read): status "error", nothing executed or saved.
RunEvent error_run_end(const std::string& output_path, int exit_code, const std::string& message);

// One event as its JSON line (compact, invalid UTF-8 replaced, newline-terminated).
std::string event_line(const RunEvent& event);

// Whether the arguments (after `run`) ask for --log-format json, read before CLI11 parses them
// so that a usage error can be reported as an event too.
bool json_log_requested(const std::vector<std::string>& args);

// The CLI's error printing in json mode: report_error (common.cpp) writes an error as a run_end
// event (a sweep_end for `nbexec sweep`) instead of text, unless the stream already ended.
struct JsonErrorMode {
  bool enabled = false;
  std::string output_path;       // OUTPUT as given, for the run_end the CLI writes
  bool run_end_written = false;  // set by JsonEventLog (and by the sweep, for sweep_end)
  bool sweep = false;            // `nbexec sweep`: the last event is sweep_end, not run_end
};
JsonErrorMode& json_error_mode();

}  // namespace nbexec::cli
