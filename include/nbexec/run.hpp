#pragma once

#include <nbexec/execute/executor.hpp>
#include <nbexec/notebook/notebook.hpp>
#include <nbexec/params/parameters.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace nbexec {

enum class LogLevel { debug, info, warning, error };

// Everything one papermill-style run needs.
struct RunOptions {
  std::filesystem::path input_path;   // "-" reads standard input
  std::filesystem::path output_path;  // "-" writes standard output; empty writes nothing
  params::Parameters parameters = params::Parameters::object();
  std::string kernel_name;                   // empty: the notebook's metadata.kernelspec.name
  std::string language;                      // empty: the notebook's language, else the kernel's
  std::optional<std::filesystem::path> cwd;  // the kernel's working directory
  std::chrono::milliseconds start_timeout{60000};
  std::optional<std::chrono::milliseconds> execution_timeout;  // per cell
  bool allow_errors = false;
  bool report_mode = false;
  bool prepare_only = false;  // parameterize and write, do not execute
  bool log_output = false;    // pass cell outputs to `output`
  // Prefix of the Python environment the caller runs in (kernelspec search).
  std::optional<std::filesystem::path> env_prefix;
  // Set to stop the run between kernel messages (signal handlers, KeyboardInterrupt).
  const std::atomic<bool>* cancel = nullptr;

  // Progress and warnings, one line each.
  std::function<void(LogLevel, const std::string&)> log;
  // Cell outputs as they arrive, when log_output is set.
  std::function<void(std::size_t cell_index, const nlohmann::json& output)> output;
};

struct RunResult {
  notebook::Notebook notebook;
  std::optional<execute::CellFailure> failure;  // set when a cell raised
  bool cancelled = false;
};

// Loads, parameterizes, executes and saves a notebook. The output file is written before the
// kernel starts, after cells as they complete (throttled), and always at the end, including
// when a cell fails, a deadline passes or the kernel dies. Bad input throws before anything
// is written: NotebookError, ParameterError, KernelNotFoundError. TimeoutError and
// KernelDiedError are thrown after the output file has been saved.
RunResult run_notebook(const RunOptions& options);

}  // namespace nbexec
