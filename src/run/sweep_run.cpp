// run_sweep: the planned runs, `jobs` at a time on worker threads, each a run_notebook call on a
// kernel from one shared KernelPool, each ending as one SweepRecord.
#include <nbexec/error.hpp>
#include <nbexec/kernel_pool.hpp>
#include <nbexec/notebook/read.hpp>
#include <nbexec/sweep.hpp>

#include "run/memory_sampler.hpp"
#include "run/sweep_preflight.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

namespace nbexec {
namespace {

// A path that params::parameterize_path leaves as it is: Python's str.format reads "{{" and
// "}}" as one brace.
std::filesystem::path literal_path(const std::filesystem::path& path) {
  std::string text;
  for (const char c : path.string()) {
    text += c;
    if (c == '{' || c == '}') text += c;
  }
  return text;
}

using steady = std::chrono::steady_clock;

double seconds_since(steady::time_point start) {
  return std::chrono::duration<double>(steady::now() - start).count();
}

// The first line of an error's message: a record's error is one line (a kernel's death
// quotes its stderr on the lines after).
std::string first_line(const std::string& text) {
  return strip_ansi(text.substr(0, text.find('\n')));
}

std::string mebibytes(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

std::string name_list(const std::vector<std::string>& names) {
  std::string text = "[";
  for (std::size_t i = 0; i < names.size(); ++i) text += (i ? ", " : "") + names[i];
  return text + "]";
}

// The exit code of a run stopped by a signal, as run_notebook's run_end event gives it.
int interrupted_exit_code(int signal) {
  return signal > 0 ? 128 + signal : 130;
}

class SweepRunner {
 public:
  SweepRunner(const SweepOptions& options, run_detail::SweepPreflight preflight)
      : options_(options), preflight_(std::move(preflight)) {}

  SweepResult run() {
    const auto started = steady::now();
    const auto& runs = preflight_.plan.runs;
    SweepResult result;
    result.total_runs = preflight_.plan.total_runs;
    result.shard = preflight_.plan.shard;
    records_.resize(runs.size());

    std::size_t jobs = options_.jobs;
    if (jobs == 0) jobs = std::max(1u, std::thread::hardware_concurrency());
    jobs = std::max<std::size_t>(1, std::min(jobs, runs.size()));
    log(LogLevel::info, plan_line(jobs));

    // The whole tree is sampled: this process, the kernels it starts, the templates and their
    // forks (children of a template, which is a child of this process).
    run_detail::MemorySampler sampler(static_cast<int>(::getpid()));
    sampler.start();
    if (!runs.empty()) {
      KernelPoolOptions pool_options;
      pool_options.size = jobs;
      pool_options.fork = options_.fork;
      pool_options.preload = preflight_.preload;
      pool_options.transport = options_.run.transport;
      pool_options.encryption = options_.run.encryption;
      pool_options.start_timeout = options_.run.start_timeout;
      pool_options.env_prefix = options_.run.env_prefix;
      pool_options.log = [this](LogLevel level, const std::string& line) { log(level, line); };
      pool_ = std::make_shared<KernelPool>(pool_options);
      // No kernel is started ahead of need for a run that will never come.
      pool_->limit_ahead(runs.size());
      warm_up();
      std::vector<std::thread> workers;
      for (std::size_t i = 0; i < jobs; ++i) workers.emplace_back([this] { work(); });
      for (auto& worker : workers) worker.join();
      pool_->shutdown();
      result.kernels = pool_->stats();
    }
    sampler.stop();

    for (auto& record : records_) result.records.push_back(std::move(*record));
    result.cancelled = cancelled();
    if (result.cancelled && options_.cancel_signal) result.signal = options_.cancel_signal();
    const run_detail::MemoryTotals peaks = sampler.peaks();
    result.memory.peak_rss_bytes = peaks.rss_bytes;
    result.memory.peak_pss_bytes = peaks.pss_bytes;
    result.seconds = seconds_since(started);
    log(LogLevel::info, end_line(result));
    return result;
  }

 private:
  bool cancelled() const { return options_.cancel != nullptr && options_.cancel->load(); }

  // Sweep-level lines come from the workers and the pool's threads too: one at a time.
  void log(LogLevel level, const std::string& line) {
    if (!options_.log) return;
    std::lock_guard<std::mutex> lock(callbacks_);
    options_.log(level, line);
  }

  std::string plan_line(std::size_t jobs) const {
    const SweepPlan& plan = preflight_.plan;
    std::ostringstream line;
    line << "sweep: " << plan.runs.size() << " run(s)";
    if (plan.shard.count > 1 || plan.runs.size() != plan.total_runs) {
      line << " (of " << plan.total_runs << " in the grid, shard " << plan.shard.index << "/"
           << plan.shard.count << ")";
    }
    line << ", " << jobs << " at a time, kernels: ";
    if (options_.fork) {
      line << "forked from a template with preload " << name_list(preflight_.preload);
    } else {
      line << "plain starts";
    }
    return line.str();
  }

  static std::string end_line(const SweepResult& result) {
    std::size_t completed = 0;
    std::size_t skipped = 0;
    for (const auto& record : result.records) {
      if (record.status == "completed") ++completed;
      if (record.status == "skipped") ++skipped;
    }
    std::ostringstream line;
    line.setf(std::ios::fixed);
    line.precision(1);
    line << "sweep: done in " << result.seconds << " s: " << completed << " completed, "
         << result.records.size() - completed - skipped << " failed or stopped, " << skipped
         << " skipped; " << result.kernels.started << " kernel(s) started ("
         << result.kernels.forked << " forked); peak memory of nbexec and its kernels: RSS "
         << mebibytes(result.memory.peak_rss_bytes) << ", PSS "
         << (result.memory.peak_pss_bytes ? mebibytes(result.memory.peak_pss_bytes)
                                          : std::string("unknown"));
    return line.str();
  }

  // The first kernels start while the workers get going; a failure here is not the sweep's:
  // each run's take() starts its own kernel and reports what goes wrong as its record.
  void warm_up() {
    kernel::LaunchOptions launch = launch_options();
    try {
      pool_->warm_up(preflight_.spec, launch);
    } catch (const Error& error) {
      log(LogLevel::warning, std::string("sweep: kernels not started ahead: ") + error.what());
    }
  }

  // As run_notebook launches a run's kernel, so the warm kernels match what runs ask for.
  kernel::LaunchOptions launch_options() {
    kernel::LaunchOptions launch;
    launch.cwd = options_.run.cwd;
    launch.start_timeout = options_.run.start_timeout;
    launch.transport = options_.run.transport;
    launch.encryption = options_.run.encryption;
    launch.cancel = options_.cancel;
    launch.log = [this](const std::string& line) { log(LogLevel::debug, line); };
    launch.warn = [this](const std::string& line) { log(LogLevel::warning, line); };
    return launch;
  }

  // Takes the next run until none is left; a run not to be started still gets its record.
  void work() {
    for (;;) {
      std::size_t slot = 0;
      std::string skip;
      {
        std::lock_guard<std::mutex> lock(next_mutex_);
        if (next_ == preflight_.plan.runs.size()) return;
        slot = next_++;
        skip = skip_reason_locked();
      }
      const SweepRun& run = preflight_.plan.runs[slot];
      SweepRecord record = skip.empty() ? run_one(run) : skipped(run, skip);
      if (record.status != "completed" && record.status != "skipped" && options_.fail_fast) {
        std::lock_guard<std::mutex> lock(next_mutex_);
        if (!failed_run_) failed_run_ = run.index;
      }
      try {
        std::lock_guard<std::mutex> lock(callbacks_);
        if (options_.on_run_end) options_.on_run_end(record);
      } catch (const std::exception& error) {
        // A front's hook that throws must not take the worker down with the sweep's records.
        log(LogLevel::warning, "sweep: the end of run " + std::to_string(run.index) +
                                   " was not reported: " + error.what());
      }
      records_[slot] = std::move(record);
    }
  }

  // Why the next run is not started, or "" (next_mutex_ held). A signal stops the sweep;
  // --fail-fast only stops new runs, the running ones finish.
  std::string skip_reason_locked() const {
    if (cancelled()) {
      const int signal = options_.cancel_signal ? options_.cancel_signal() : 0;
      return "not started: stopped by signal " + std::to_string(signal);
    }
    if (failed_run_) {
      return "not started: run " + std::to_string(*failed_run_) +
             " failed and the sweep fails fast";
    }
    return "";
  }

  static SweepRecord base_record(const SweepRun& run) {
    SweepRecord record;
    record.index = run.index;
    record.parameters = run.parameters;
    record.output_path = run.output_path;
    return record;
  }

  static SweepRecord skipped(const SweepRun& run, const std::string& reason) {
    SweepRecord record = base_record(run);
    record.status = "skipped";
    record.exit_code = exit_code::success;  // it did not run, so it did not fail
    record.error = reason;
    return record;
  }

  SweepRecord run_one(const SweepRun& run) {
    SweepRecord record = base_record(run);
    RunOptions options = options_.run;
    // The path is final: run_notebook fills in a path's {names} again, so braces that came
    // from a parameter's value are doubled to stay literal.
    options.output_path = literal_path(run.output_path);
    options.parameters = run.parameters;
    options.kernels = pool_;
    // A signal reaches running runs directly; --fail-fast never cancels a run.
    options.cancel = options_.cancel;
    options.cancel_signal = options_.cancel_signal;
    options.output = nullptr;
    options.log = nullptr;
    options.on_event = nullptr;
    const std::size_t index = run.index;
    if (options_.run_log) {
      options.log = [this, index](LogLevel level, const std::string& line) {
        std::lock_guard<std::mutex> lock(callbacks_);
        options_.run_log(index, level, line);
      };
    }
    if (options_.on_run_event) {
      options.on_event = [this, index](const RunEvent& event) {
        std::lock_guard<std::mutex> lock(callbacks_);
        options_.on_run_event(index, event);
      };
    }
    const auto started = steady::now();
    // An output template usually names a folder of its own ("out/{alpha}.ipynb"); a sweep
    // makes it, when the run starts (after every check passed). If that fails, the run's first
    // save says why.
    std::error_code ignored;
    std::filesystem::create_directories(run.output_path.parent_path(), ignored);
    try {
      {
        std::lock_guard<std::mutex> lock(callbacks_);
        if (options_.on_run_start) options_.on_run_start(run);
      }
      const RunResult result = run_notebook(options);
      record.seconds = seconds_since(started);
      record.scraps = read_scraps(result.notebook);
      describe_result(result, record);
    } catch (const Error& error) {
      record.seconds = seconds_since(started);
      record.scraps = saved_scraps(run.output_path);
      // A run that a signal caught while it waited for its kernel ends with the pool's error;
      // it was stopped, as the runs stopped between messages were.
      if (cancelled()) {
        set_interrupted(record);
        return record;
      }
      record.status = dynamic_cast<const TimeoutError*>(&error)      ? "timeout"
                      : dynamic_cast<const KernelDiedError*>(&error) ? "kernel_died"
                                                                     : "error";
      record.exit_code = exit_code_for(error);
      record.error = first_line(error.what());
    } catch (const std::exception& error) {
      // A hook that threw, or memory ran out: this run's failure, not the sweep's.
      record.seconds = seconds_since(started);
      record.status = "error";
      record.exit_code = exit_code::internal;
      record.error = first_line(error.what());
      record.scraps = saved_scraps(run.output_path);
    }
    return record;
  }

  void set_interrupted(SweepRecord& record) const {
    const int signal = options_.cancel_signal ? options_.cancel_signal() : 0;
    record.status = "interrupted";
    record.exit_code = interrupted_exit_code(signal);
    record.error = "stopped by signal " + std::to_string(signal);
  }

  // The status and exit code `nbexec run` gives a run that returned (src/cli/run_command.cpp).
  void describe_result(const RunResult& result, SweepRecord& record) const {
    if (result.cancelled) {
      set_interrupted(record);
    } else if (result.failure) {
      record.status = "failed";
      record.exit_code = exit_code::cell_error;
      record.error = first_line("cell " + std::to_string(result.failure->cell_index) + " raised " +
                                result.failure->ename + ": " + result.failure->evalue);
    } else if (!result.timed_out_cells.empty()) {
      record.status = "timeout";
      record.exit_code = exit_code::timeout;
      record.error = std::to_string(result.timed_out_cells.size()) +
                     " cell(s) passed their execution timeout and were interrupted";
    } else {
      record.status = "completed";
      record.exit_code = exit_code::success;
    }
  }

  // What a run that threw had recorded, from the notebook it saved (nothing if it saved none).
  static nlohmann::json saved_scraps(const std::filesystem::path& path) {
    std::error_code error;
    if (path.empty() || !std::filesystem::is_regular_file(path, error)) {
      return nlohmann::json::object();
    }
    try {
      return read_scraps(notebook::load_notebook(path));
    } catch (const std::exception&) {
      return nlohmann::json::object();
    }
  }

  const SweepOptions& options_;
  const run_detail::SweepPreflight preflight_;
  // Every hook and log line, one at a time. Declared before the pool, whose threads log
  // through it until the pool is destroyed.
  std::mutex callbacks_;
  std::shared_ptr<KernelPool> pool_;
  std::vector<std::optional<SweepRecord>> records_;  // by slot; each written by one worker
  std::mutex next_mutex_;                            // next_ and failed_run_
  std::size_t next_ = 0;
  std::optional<std::size_t> failed_run_;  // the first run that failed, under --fail-fast
};

}  // namespace

int SweepResult::exit_code() const {
  if (cancelled) return interrupted_exit_code(signal);
  for (const auto& record : records) {
    if (record.status != "completed") return nbexec::exit_code::cell_error;
  }
  return nbexec::exit_code::success;
}

SweepResult run_sweep(const SweepOptions& options) {
  return SweepRunner(options, run_detail::preflight_sweep(options)).run();
}

}  // namespace nbexec
