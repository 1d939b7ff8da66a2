#include <nbexec/error.hpp>
#include <nbexec/kernel/kernel.hpp>
#include <nbexec/kernel/kernelspec.hpp>
#include <nbexec/kernel_pool.hpp>
#include <nbexec/run.hpp>
#include <nbexec/secrets.hpp>

#include "core/json_fields.hpp"
#include "run/papermill_metadata.hpp"
#include "run/prepare.hpp"
#include "run/progressive_saver.hpp"
#include "run/run_reporter.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <system_error>

namespace nbexec {

namespace {

using json = nlohmann::json;
using execute::CellOutcome;
using steady = std::chrono::steady_clock;

// Every exit path says how many kernel messages failed verification, and why.
void log_rejections(const run_detail::RunReporter& reporter, const kernel::Kernel& kernel) {
  std::string text = kernel::describe_rejections(kernel.connection_stats());
  if (!text.empty()) reporter.log(LogLevel::warning, text);
}

// Why a cell that stopped the run stopped, in the cell itself (metadata.nbexec.stop_reason), so
// that a reader of the saved notebook sees which cell was cut short and by what.
void mark_stopped_cell(json& cell, CellOutcome outcome) {
  const char* reason = outcome == CellOutcome::timed_out     ? "timeout"
                       : outcome == CellOutcome::deadline    ? "deadline"
                       : outcome == CellOutcome::kernel_died ? "kernel_died"
                                                             : "interrupted";
  json& metadata = cell["metadata"];
  if (!metadata["nbexec"].is_object()) metadata["nbexec"] = json::object();
  metadata["nbexec"]["stop_reason"] = reason;
}

std::string seconds_text(std::chrono::milliseconds ms) {
  std::ostringstream out;
  out << ms.count() / 1000.0;
  return out.str();
}

// One run, from the prepared notebook to the last save; the caller reports how it ended.
class Runner {
 public:
  Runner(const RunOptions& options, RunResult& result, run_detail::RunReporter& reporter)
      : options_(options), result_(result), reporter_(reporter) {
    if (options_.deadline) run_deadline_ = steady::now() + *options_.deadline;
  }

  // A pool's kernel always goes back to it, so its slot frees whatever ended the run.
  ~Runner() {
    if (kernel_ && options_.kernels) options_.kernels->give_back(std::move(kernel_));
  }
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  void run() {
    if (options_.deadline && options_.deadline->count() <= 0) {
      throw UsageError("the run's deadline must be a positive number of seconds, not " +
                       seconds_text(*options_.deadline));
    }
    notebook::Notebook& nb = result_.notebook;
    prepared_ = run_detail::prepare_notebook(options_, nb, reporter_);
    const run_detail::Prepared& prepared = prepared_;
    result_.input_path = prepared.input_path;
    result_.output_path = prepared.output_path;
    reporter_.run_start(prepared.input_path, prepared.output_path, prepared.kernel_name,
                        prepared.language, nb);

    run_detail::SavePolicy policy;
    policy.after_cells = options_.request_save_on_cell_execute;
    policy.autosave_every = options_.autosave_cell_every;
    saver_.emplace(prepared.output_path, policy, [this](std::size_t bytes, const char* reason) {
      reporter_.save(result_.output_path, bytes, reason);
    });
    if (options_.prepare_only) {
      saver_->save(nb, "end");
      result_.saves = saver_->saves();
      result_.bytes_written = saver_->bytes_written();
      return;
    }

    // Find the kernel before anything is written, so a typo in -k leaves no file behind.
    kernel::SearchOptions search;
    search.env_prefix = options_.env_prefix;
    const kernel::KernelSpec spec =
        kernel::find_kernelspec(prepared.kernel_name, kernel::kernelspec_search_path(search));
    // So is a --cwd the kernel could not start in (papermill's chdir fails first too).
    if (options_.cwd) {
      std::error_code error;
      if (!std::filesystem::is_directory(*options_.cwd, error)) {
        throw UsageError("working directory " + options_.cwd->string() + ": " +
                             (std::filesystem::exists(*options_.cwd, error) ? "not a directory"
                                                                            : "no such directory"),
                         Remedy::working_directory);
      }
    }
    kernel::LaunchOptions launch;
    launch.transport = options_.transport;
    launch.encryption = options_.encryption;
    // A kernel the encryption policy refuses is refused before anything is written.
    kernel::check_transport_options(spec, launch);
    started_ = run_detail::wall_clock::now();
    run_detail::papermill_notebook_start(nb, started_);
    saver_->save(nb, "start");
    start_saved_ = true;

    launch.cwd = options_.cwd;
    launch.start_timeout = options_.start_timeout;
    launch.cancel = options_.cancel;
    launch.log = [this](const std::string& line) { reporter_.log(LogLevel::debug, line); };
    launch.warn = [this](const std::string& line) { reporter_.log(LogLevel::warning, line); };
    start_kernel(spec, launch);
    // Secrets go only over a private wire: which one this is, the started kernel says.
    check_secret_wire(options_, kernel_->transport(), kernel_->wire_encrypted());
    reporter_.log(LogLevel::info,
                  "Kernel " + spec.name + " started (pid " + std::to_string(kernel_->pid()) + ")");
    reporter_.kernel_ready(spec.name, kernel_->pid(), kernel_->kernel_info());
    if (kernel_->kernel_info().contains("language_info")) {
      nb.metadata()["language_info"] = kernel_->kernel_info()["language_info"];
    }
    execute_cells();
  }

  // The kernel's death with its cause and its last words (call before save_after_error).
  KernelDiedError describe_death(const KernelDiedError& error) const {
    if (!kernel_) return error;
    const std::string reason = kernel_->death_reason();
    // The kernel's last words may quote a secret it held: masked before they are cut, so a
    // cut can split only a mask. (Where the collector's 64 KiB ring cut them, this cut to
    // 2000 bytes drops the edge.)
    std::string tail = reporter_.mask().apply(kernel_->stderr_tail());
    if (tail.size() > 2000) tail = "..." + tail.substr(tail.size() - 2000);
    return KernelDiedError(reporter_.mask().apply(std::string(error.what()) + ": " + reason) +
                           (tail.empty() ? "" : "; kernel stderr ends with:\n" + tail));
  }

  // Saves what there is after a failure that ends the run (the kernel is stopped first).
  // Before the first save (bad input, unknown kernel) nothing is written.
  void save_after_error() {
    if (kernel_) {
      // The deadline ends the run at once: the cell still running is interrupted first, so the
      // kernel can honour shutdown_request without waiting for it.
      if (deadline_passed_) kernel_->interrupt();
      stop_kernel(std::chrono::milliseconds(2000));
    }
    if (!start_saved_) return;
    try {
      finish_notebook();
    } catch (const Error& save_error) {
      reporter_.log(LogLevel::error,
                    std::string("could not save the notebook: ") + save_error.what());
    }
  }

  // Passes on what the run's stream views still hold (secrets only): call once the cells are
  // done, however the run ended, before the run's end is reported.
  void release_stream_views() {
    for (auto& [name, text] : stream_views_.release()) {
      report_output(last_output_cell_, stream_output(name, std::move(text)));
    }
  }

 private:
  TimeoutError deadline_error(const std::string& when) const {
    return TimeoutError("the run did not finish within its deadline of " +
                        seconds_text(*options_.deadline) + " s; " + when);
  }

  // The kernel's start shares the run's deadline: it gets the shorter of its own timeout and
  // what is left, and a start cut short by the deadline is reported as the deadline.
  void start_kernel(const kernel::KernelSpec& spec, kernel::LaunchOptions launch) {
    if (!run_deadline_) {
      kernel_ = launch_kernel(spec, launch);
      return;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(*run_deadline_ - steady::now());
    if (left <= std::chrono::milliseconds::zero()) {
      throw deadline_error("it passed before kernel '" + spec.name + "' was started");
    }
    const bool deadline_first = left < launch.start_timeout;
    if (deadline_first) launch.start_timeout = left;
    try {
      kernel_ = launch_kernel(spec, launch);
    } catch (const TimeoutError&) {
      if (!deadline_first) throw;
      throw deadline_error("it passed while kernel '" + spec.name + "' was starting");
    }
  }

  // A kernel of its own for this run, or a fresh one from the caller's pool.
  std::unique_ptr<kernel::Kernel> launch_kernel(const kernel::KernelSpec& spec,
                                                const kernel::LaunchOptions& launch) {
    if (options_.kernels) return options_.kernels->take(spec, launch);
    return kernel::Kernel::start(spec, launch);
  }

  // Ends the run's kernel: a pool's kernel goes back to the pool, which shuts it down in the
  // background while this run saves; a kernel of the run's own is shut down here.
  void stop_kernel(std::chrono::milliseconds grace) {
    log_rejections(reporter_, *kernel_);
    if (options_.kernels) {
      options_.kernels->give_back(std::move(kernel_), grace);
    } else {
      kernel_->shutdown(grace);
    }
  }

  void execute_cells() {
    notebook::Notebook& nb = result_.notebook;
    execute::ExecuteOptions exec;
    exec.allow_errors = options_.allow_errors;
    exec.cell_timeout = options_.execution_timeout;
    exec.interrupt_on_timeout = options_.interrupt_on_timeout;
    exec.run_deadline = run_deadline_;
    if (options_.deadline) exec.run_limit = *options_.deadline;
    exec.cancel = options_.cancel;
    exec.interrupt = [this] {
      reporter_.log(LogLevel::warning, "cell " + std::to_string(current_cell_) + " passed its " +
                                           seconds_text(*options_.execution_timeout) +
                                           " s deadline: interrupting it and going on");
      kernel_->interrupt();
    };
    exec.on_cell_start = [this, &nb](std::size_t index, const json&, bool runs) {
      current_cell_ = index;
      cell_started_ = run_detail::wall_clock::now();
      run_detail::papermill_cell_start(nb.cells()[index], cell_started_);
      if (runs) reporter_.cell_start(index, nb.cells()[index]);
    };
    exec.on_output = [this](std::size_t index, const json& output) {
      saver_->note_growth(run_detail::estimated_json_size(output));
      if (reporter_.mask().empty() ||
          nbexec::detail::string_field(output, "output_type") != "stream") {
        report_output(index, output);
        return;
      }
      const std::string name = nbexec::detail::string_field(output, "name", "stdout");
      std::string text = stream_views_.feed(name, nbexec::detail::string_field(output, "text"));
      last_output_cell_ = index;
      if (!text.empty()) report_output(index, stream_output(name, std::move(text)));
    };
    exec.on_cell_end = [this, &nb](std::size_t index, const json&, CellOutcome outcome) {
      on_cell_end(nb, index, outcome);
    };
    exec.on_tick = [this, &nb](std::size_t) { saver_->tick(nb); };
    add_secret_hooks(exec);

    auto executed = execute::execute_notebook(nb, kernel_->connection(), exec);
    result_.failure = executed.failure;
    result_.cancelled = executed.cancelled;
    result_.timed_out_cells = executed.timed_out_cells;
    if (executed.cancelled) {
      // A pod being stopped has a grace period of its own: interrupt the running cell so the
      // kernel can honour shutdown_request at once, and keep the escalation short.
      kernel_->interrupt();
      stop_kernel(std::chrono::milliseconds(1000));
    } else {
      stop_kernel(std::chrono::milliseconds(5000));
    }
    finish_notebook();
  }

  void on_cell_end(notebook::Notebook& nb, std::size_t index, CellOutcome outcome) {
    json& cell = nb.cells()[index];
    const bool stopped = outcome == CellOutcome::timed_out || outcome == CellOutcome::deadline ||
                         outcome == CellOutcome::kernel_died || outcome == CellOutcome::interrupted;
    if (outcome == CellOutcome::deadline) deadline_passed_ = true;
    if (outcome == CellOutcome::failed || stopped) run_detail::papermill_cell_exception(nb, cell);
    if (stopped) mark_stopped_cell(cell, outcome);
    const auto now = run_detail::wall_clock::now();
    run_detail::papermill_cell_complete(cell, cell_started_, now);
    if (execute::cell_runs(cell)) {
      ++result_.cells_executed;
      reporter_.cell_end(index, cell, outcome, run_detail::seconds_between(cell_started_, now));
    }
    // papermill's metadata adds a few hundred bytes per cell; the saver paces itself on it.
    saver_->note_growth(256);
    // A cell that ends the run is followed by the final save at once.
    if (outcome == CellOutcome::completed || outcome == CellOutcome::errored ||
        (outcome == CellOutcome::timed_out && options_.interrupt_on_timeout)) {
      saver_->after_cell(nb);
    }
  }

  // With secrets, the injected cell goes to the kernel with their values (the notebook keeps
  // the placeholders), and whatever the kernel sends back is masked before anyone reads it.
  void add_secret_hooks(execute::ExecuteOptions& exec) const {
    if (options_.secrets.empty()) return;
    exec.kernel_source = [this](std::size_t, const std::string& source) {
      return !prepared_.secret_cell_source.empty() && source == prepared_.secret_cell_source
                 ? prepared_.secret_kernel_source
                 : source;
    };
    exec.filter_content = [this](json& content) { reporter_.mask().apply(content); };
    exec.stream_filter = std::make_shared<run_detail::SecretStreamMask>(reporter_.mask());
  }

  // An output for the stream files, --log-output (options_.output) and the events.
  void report_output(std::size_t index, const json& output) const {
    if (options_.output) options_.output(index, output);
    reporter_.cell_output(index, output);
  }

  static json stream_output(const std::string& name, std::string text) {
    return json{{"output_type", "stream"}, {"name", name}, {"text", std::move(text)}};
  }

  // papermill's notebook_complete and raise_for_execution_errors, then the final save.
  void finish_notebook() {
    notebook::Notebook& nb = result_.notebook;
    run_detail::papermill_notebook_complete(nb, started_, run_detail::wall_clock::now());
    if (result_.failure) run_detail::insert_error_cells(nb, *result_.failure);
    saver_->save(nb, "end");
    result_.saves = saver_->saves();
    result_.bytes_written = saver_->bytes_written();
  }

  const RunOptions& options_;
  RunResult& result_;
  run_detail::RunReporter& reporter_;
  run_detail::Prepared prepared_;
  std::optional<run_detail::ProgressiveSaver> saver_;
  std::unique_ptr<kernel::Kernel> kernel_;
  run_detail::wall_clock::time_point started_{};
  run_detail::wall_clock::time_point cell_started_{};
  std::size_t current_cell_ = 0;
  // What the stream outputs become outside the notebook, masked across cells (secrets).
  run_detail::RunStreamMasks stream_views_{reporter_.mask()};
  std::size_t last_output_cell_ = 0;
  bool start_saved_ = false;  // the output path took its first write
  std::optional<steady::time_point> run_deadline_;
  bool deadline_passed_ = false;  // while a cell ran (the kernel is interrupted, then stopped)
};

const char* status_for(const Error& error) {
  if (dynamic_cast<const TimeoutError*>(&error)) return "timeout";
  if (dynamic_cast<const KernelDiedError*>(&error)) return "kernel_died";
  return "error";
}

}  // namespace

RunResult run_notebook(const RunOptions& options) {
  RunResult result;
  run_detail::RunReporter reporter(options);
  Runner runner(options, result, reporter);
  auto report_end = [&](const std::string& status, int code, const std::string& error) {
    reporter.run_end(status, code, result.output_path, result.cells_executed, result.saves,
                     result.bytes_written, error);
  };
  // Stream text a secret's mask held back is passed on before the run's end is reported.
  auto release_stream_views = [&runner] {
    try {
      runner.release_stream_views();
    } catch (...) {  // a failing stream file: the run's own outcome is the one to report
    }
  };
  try {
    runner.run();
    runner.release_stream_views();
  } catch (const KernelDiedError& error) {
    release_stream_views();
    // Nothing lost: whatever the cells produced before the kernel's death is on disk before
    // the error reaches the caller, and the kernel's last words are quoted.
    KernelDiedError detailed = runner.describe_death(error);
    runner.save_after_error();
    report_end("kernel_died", exit_code::kernel_died, detailed.what());
    throw detailed;
  } catch (const Error& error) {
    release_stream_views();
    runner.save_after_error();
    report_end(status_for(error), exit_code_for(error), error.what());
    throw;
  }
  if (result.cancelled) {
    const int signal = options.cancel_signal ? options.cancel_signal() : 0;
    report_end("interrupted", signal > 0 ? 128 + signal : 130, "stopped by a signal");
  } else if (result.failure) {
    report_end("failed", exit_code::cell_error,
               "cell " + std::to_string(result.failure->cell_index) + " raised " +
                   result.failure->ename + ": " + result.failure->evalue);
  } else if (!result.timed_out_cells.empty()) {
    report_end("timeout", exit_code::timeout, "a cell passed its execution timeout");
  } else {
    report_end("completed", exit_code::success, "");
  }
  return result;
}

}  // namespace nbexec
