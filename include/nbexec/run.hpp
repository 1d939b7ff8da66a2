#pragma once

#include <nbexec/error.hpp>
#include <nbexec/log_level.hpp>
#include <nbexec/notebook/notebook.hpp>
#include <nbexec/params/parameters.hpp>
#include <nbexec/run_events.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nbexec {

class KernelPool;  // kernel_pool.hpp

// How supplied parameters are checked against the notebook's parameters cell before the
// kernel starts.
enum class ParameterCheck {
  strict,        // unknown names and contradicting types are errors (ParameterError, exit 2)
  warn,          // both are warnings and the run goes on (papermill's surfaces by default)
  warn_unknown,  // unknown names are warnings; contradicting types are still errors
  off,           // no type check; unknown names are warnings (papermill's own behaviour)
};

// The environment variable that sets the strictness of every surface whose caller did not
// choose: 1/true/yes/on for strict, 0/false/no/off for warnings (docs/parameters.md).
inline constexpr const char* strict_parameters_variable = "NBEXEC_STRICT_PARAMETERS";

// The one strictness switch: the caller's explicit choice, else NBEXEC_STRICT_PARAMETERS,
// else the surface's own default (strict for `nbexec run` and the C++ API, warnings for
// papermill's command form and execute_notebook). A value of the variable that is none of
// the above is a UsageError, so a typo in a pipeline image does not pass unnoticed.
bool resolve_strict_parameters(std::optional<bool> choice, bool surface_default);

// Everything one papermill-style run needs.
struct RunOptions {
  // Both paths may name parameters, as papermill allows: "out-{alpha}.ipynb", {pm[run_uuid]}.
  std::filesystem::path input_path;   // "-" reads standard input
  std::filesystem::path output_path;  // "-" writes standard output; empty writes nothing
  params::Parameters parameters = params::Parameters::object();
  std::string kernel_name;                   // empty: the notebook's metadata.kernelspec.name
  std::string language;                      // empty: the notebook's language, else the kernel's
  std::optional<std::filesystem::path> cwd;  // the kernel's working directory
  std::chrono::milliseconds start_timeout{60000};
  std::optional<std::chrono::milliseconds> execution_timeout;  // per cell
  // Past the deadline, interrupt the cell and go on with the next (exit 3 at the end).
  bool interrupt_on_timeout = false;
  // Limit for the whole run, kernel start included, from the call to run_notebook. Past it the
  // running cell is interrupted, the kernel shut down, the notebook saved (the cell marked
  // metadata.nbexec.stop_reason "deadline") and TimeoutError thrown; interrupt_on_timeout does
  // not apply. Must be positive.
  std::optional<std::chrono::milliseconds> deadline;
  // Save after cells complete (throttled); false saves only at start, end and autosaves.
  bool request_save_on_cell_execute = true;
  // Save at least this often while there is news, also during a long cell; zero disables.
  std::chrono::milliseconds autosave_cell_every{30000};
  bool allow_errors = false;
  bool report_mode = false;  // hide the source of every code cell (metadata.jupyter)
  ParameterCheck parameter_check = ParameterCheck::strict;
  bool prepare_only = false;  // parameterize and write, do not execute
  // --- Secrets (issue 20; secrets.hpp) ---------------------------------------------------
  // Parameters whose values reach the kernel and nothing else: the injected cell and
  // metadata.papermill.parameters show secret_placeholder, and every output, stream, log
  // line, event and error message has the value (and its repr, JSON and HTML forms) replaced
  // by secret_mask before anything reads it. Names must not repeat a parameter's.
  std::map<std::string, std::string> secrets;
  // Send secrets even when wire_is_private says the kernel's sockets are not private.
  bool allow_insecure_secrets = false;
  // --- end of secrets ----------------------------------------------------------------------
  // Prefix of the Python environment the caller runs in (kernelspec search).
  std::optional<std::filesystem::path> env_prefix;
  // --- Transport and encryption (docs/security.md, "Transport"; kernel::LaunchOptions) ---
  // Kernel sockets: "auto" (ipc, tcp on 127.0.0.1 for a kernel that cannot use ipc), "ipc",
  // or "tcp".
  std::string transport = "auto";
  // CurveZMQ on every channel: "off", "auto" (when the kernelspec declares "curve" in
  // metadata.supported_encryption), "required" (a kernel without it is refused: KernelError).
  std::string encryption = "auto";
  // --- end of transport and encryption ---
  // Where the kernel comes from: none starts one for this run (and stops it at the end); a
  // pool hands out a fresh kernel, perhaps started ahead of need, and takes it back for
  // shutdown in the background while the run saves (kernel_pool.hpp).
  std::shared_ptr<KernelPool> kernels;
  // Set to stop the run between kernel messages (signal handlers, KeyboardInterrupt).
  const std::atomic<bool>* cancel = nullptr;
  // The signal that set `cancel`, for the exit code in the run_end event (128 + N).
  std::function<int()> cancel_signal;

  // Progress and warnings, one line each.
  std::function<void(LogLevel, const std::string&)> log;
  // Every cell output, whole, as it arrives (--log-output, --stdout-file).
  std::function<void(std::size_t cell_index, const nlohmann::json& output)> output;
  // Structured events (run_events.hpp); log lines are also sent as log/warning events.
  std::function<void(const RunEvent& event)> on_event;
};

struct RunResult {
  notebook::Notebook notebook;
  std::filesystem::path input_path;       // as filled in from the parameters
  std::filesystem::path output_path;      // as filled in from the parameters
  std::optional<ExecutionError> failure;  // set when a cell raised (not thrown: the run ended)
  bool cancelled = false;
  std::vector<std::size_t> timed_out_cells;  // interrupted after their deadline
  std::size_t cells_executed = 0;
  std::size_t saves = 0;          // times the output notebook was written
  std::size_t bytes_written = 0;  // bytes written to it over the run
};

// Loads, parameterizes, executes and saves a notebook, recording papermill's metadata and,
// when a cell fails, papermill's error banner cells. The output file is written before the
// kernel starts, after cells as they complete (throttled), and always at the end, including
// when a cell fails, a deadline passes or the kernel dies. Bad input throws before anything
// is written: NotebookError, ParameterError, KernelNotFoundError. TimeoutError and
// KernelDiedError are thrown after the output file has been saved. Every path ends with a
// run_end event.
RunResult run_notebook(const RunOptions& options);

}  // namespace nbexec
