#include "sweep_report.hpp"

#include "event_log.hpp"
#include "progress_bar.hpp"
#include "sweep_progress.hpp"
#include "sweep_summary.hpp"

#include <cstdio>
#include <mutex>
#include <optional>
#include <set>

namespace nbexec::cli {

namespace {

bool is_warning(LogLevel level) {
  return level == LogLevel::warning || level == LogLevel::error;
}

class TextReport : public SweepReport {
 public:
  TextReport(Console& console, const SweepReportOptions& options, std::size_t runs)
      : console_(console), options_(options), runs_(runs) {}

  void attach(SweepOptions& options) override {
    options.log = [this](LogLevel level, const std::string& line) {
      if (static_cast<int>(level) < options_.threshold) return;
      // The library's own end line; the total line says the same with every status.
      if (options_.threshold > 0 && line.rfind("sweep: done", 0) == 0) return;
      console_.line("nbexec: " + line);
    };
    // A run's own lines (input paths, kernel starts, each cell) would drown the sweep's when
    // runs go several at a time: only warnings and errors, unless DEBUG asks for everything.
    const int run_threshold = options_.threshold == 0 ? 0 : std::max(options_.threshold, 2);
    options.run_log = [this, run_threshold](std::size_t run, LogLevel level,
                                            const std::string& line) {
      if (static_cast<int>(level) < run_threshold) return;
      console_.line("nbexec: [run " + std::to_string(run) + "] " + line);
    };
    options.on_run_start = [this](const SweepRun& run) {
      // Drawn from the first run on: a sweep refused before it starts leaves no bar behind.
      if (options_.bar && !bar_) bar_.emplace(console_, runs_);
      if (bar_) bar_->on_run_start();
      if (options_.threshold == 0) {
        console_.line("nbexec: run " + describe(run.index, run.parameters) + " started → " +
                      run.output_path.string());
      }
    };
    options.on_run_end = [this](const SweepRecord& record) { on_run_end(record); };
  }

  void finish(const SweepResult& result, int exit_code, const std::string& summary_error) override {
    for (const SweepRecord& record : result.records) {
      if (!reported(record.index)) on_run_end(record);
    }
    if (bar_) bar_->finish();
    if (options_.table && !result.records.empty()) {
      console_.err(summary_table(result, options_.names, terminal_width()));
    }
    if (!summary_error.empty()) console_.line("nbexec: error: " + summary_error);
    if (result.cancelled) {
      console_.line("nbexec: stopped by signal " + std::to_string(result.signal) +
                    "; the running notebooks were saved");
    }
    (void)exit_code;
    console_.line("nbexec: " + summary_total(result));
  }

 private:
  std::string describe(std::size_t index, const nlohmann::ordered_json& parameters) const {
    const std::string values = compact_values(parameters, options_.names);
    return std::to_string(index) + (values.empty() ? "" : " (" + values + ")");
  }

  bool reported(std::size_t index) {
    std::lock_guard<std::mutex> lock(mutex_);
    return !ended_.insert(index).second;
  }

  void on_run_end(const SweepRecord& record) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ended_.insert(record.index);
    }
    if (bar_) bar_->on_run_end(record.status);
    const bool completed = record.status == "completed";
    const bool skipped = record.status == "skipped";
    // Failures always (ERROR); the rest at INFO, and not while the bar counts them.
    const int level = completed || skipped ? 1 : 3;
    if (level < options_.threshold || ((completed || skipped) && bar_)) return;
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", record.seconds);
    std::string line =
        "nbexec: run " + describe(record.index, record.parameters) + " " + record.status;
    if (!skipped) line += std::string(" in ") + seconds + " s → " + record.output_path.string();
    if (!completed && !record.error.empty()) line += ": " + record.error;
    console_.line(line);
  }

  Console& console_;
  SweepReportOptions options_;
  std::size_t runs_;
  std::optional<SweepProgress> bar_;  // the hooks come one at a time, so no lock is needed
  std::mutex mutex_;
  std::set<std::size_t> ended_;
};

class JsonReport : public SweepReport {
 public:
  JsonReport(Console& console, const SweepReportOptions& options, const SweepStartInfo& start)
      : events_(console, options.threshold == 0   ? LogLevel::debug
                         : options.threshold == 1 ? LogLevel::info
                                                  : LogLevel::warning),
        start_(start) {}

  // Reached only when run_sweep threw (bad input): what it logged, then the CLI's sweep_end.
  ~JsonReport() override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const RunEvent& event : held_) events_.write(event);
  }

  void attach(SweepOptions& options) override {
    options.log = [this](LogLevel level, const std::string& line) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!started_) {
        // Sweep-level lines before the first run (the plan) follow sweep_start, as run's
        // "Input notebook" lines follow run_start.
        held_.push_back(level_event(level, line));
        return;
      }
      events_.write(level_event(level, line));
    };
    options.on_run_start = [this](const SweepRun&) {
      std::lock_guard<std::mutex> lock(mutex_);
      start_locked();
    };
    options.on_run_event = [this](std::size_t run, const RunEvent& event) {
      std::lock_guard<std::mutex> lock(mutex_);
      start_locked();
      events_.on_run_event(run, event);
    };
    options.on_run_end = [this](const SweepRecord& record) {
      std::lock_guard<std::mutex> lock(mutex_);
      start_locked();
      end_run_locked(record);
    };
  }

  void finish(const SweepResult& result, int exit_code, const std::string& summary_error) override {
    std::lock_guard<std::mutex> lock(mutex_);
    start_locked();
    for (const SweepRecord& record : result.records) {
      if (ended_.count(record.index) == 0) end_run_locked(record);
    }
    RunEvent end = sweep_end_event(result);
    end["exit_code"] = exit_code;
    if (!summary_error.empty()) end["error"] = summary_error;
    events_.write(end);
    json_error_mode().run_end_written = true;
  }

 private:
  static RunEvent level_event(LogLevel level, const std::string& message) {
    if (is_warning(level)) {
      return RunEvent{{"event", "warning"}, {"time", utc_now_iso()}, {"message", message}};
    }
    return RunEvent{{"event", "log"},
                    {"time", utc_now_iso()},
                    {"level", level == LogLevel::debug ? "debug" : "info"},
                    {"message", message}};
  }

  void start_locked() {
    if (started_) return;
    started_ = true;
    events_.write(sweep_start_event(start_));
    for (const RunEvent& event : held_) events_.write(event);
    held_.clear();
  }

  void end_run_locked(const SweepRecord& record) {
    if (!ended_.insert(record.index).second) return;
    events_.write(sweep_run_end_event(record));
  }

  SweepEventLog events_;
  SweepStartInfo start_;
  std::mutex mutex_;
  bool started_ = false;
  std::vector<RunEvent> held_;
  std::set<std::size_t> ended_;
};

}  // namespace

std::unique_ptr<SweepReport> make_text_report(Console& console, const SweepReportOptions& options,
                                              std::size_t runs) {
  return std::make_unique<TextReport>(console, options, runs);
}

std::unique_ptr<SweepReport> make_json_report(Console& console, const SweepReportOptions& options,
                                              const SweepStartInfo& start) {
  return std::make_unique<JsonReport>(console, options, start);
}

}  // namespace nbexec::cli
