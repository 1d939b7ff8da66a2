#include <nbexec/error.hpp>
#include <nbexec/kernel/kernel.hpp>
#include <nbexec/kernel/kernelspec.hpp>
#include <nbexec/notebook/read.hpp>
#include <nbexec/params/inject.hpp>
#include <nbexec/run.hpp>

#include "run/progressive_saver.hpp"

namespace nbexec {

namespace {

using json = nlohmann::json;

void log_line(const RunOptions& options, LogLevel level, const std::string& text) {
  if (options.log) options.log(level, text);
}

std::string resolve_kernel_name(const RunOptions& options, const notebook::Notebook& nb) {
  if (!options.kernel_name.empty()) return options.kernel_name;
  std::string name = nb.kernel_name();
  if (name.empty()) {
    throw UsageError(options.input_path.string() +
                     ": the notebook names no kernel (metadata.kernelspec.name); pass -k KERNEL");
  }
  return name;
}

// papermill records where the notebook came from and went, and what it was given.
void record_papermill_metadata(notebook::Notebook& nb, const RunOptions& options) {
  json& papermill = nb.metadata()["papermill"];
  if (!papermill.is_object()) papermill = json::object();
  papermill["input_path"] = options.input_path.string();
  papermill["output_path"] = options.output_path.string();
  papermill["parameters"] = json::parse(options.parameters.dump());
}

}  // namespace

RunResult run_notebook(const RunOptions& options) {
  RunResult result;
  notebook::Notebook& nb = result.notebook;
  nb = notebook::load_notebook(options.input_path);

  const std::string kernel_name = resolve_kernel_name(options, nb);
  const std::string language = options.language.empty() ? nb.language() : options.language;

  if (!options.parameters.empty()) {
    auto injected = params::inject_parameters(nb, options.parameters, kernel_name, language,
                                              options.report_mode);
    if (injected.placement == params::InjectPlacement::at_top_no_parameters) {
      log_line(options, LogLevel::warning,
               options.input_path.string() +
                   ": no cell is tagged 'parameters'; parameters injected at the top");
    }
  }
  record_papermill_metadata(nb, options);

  run_detail::ProgressiveSaver saver(options.output_path, std::chrono::seconds(2));
  if (options.prepare_only) {
    saver.save(nb);
    return result;
  }

  // Find the kernel before anything is written, so a typo in -k leaves no file behind.
  kernel::SearchOptions search;
  search.env_prefix = options.env_prefix;
  const kernel::KernelSpec spec =
      kernel::find_kernelspec(kernel_name, kernel::kernelspec_search_path(search));
  if (options.output_path != "-") saver.save(nb);

  kernel::LaunchOptions launch;
  launch.cwd = options.cwd;
  launch.start_timeout = options.start_timeout;
  launch.log = [&](const std::string& line) { log_line(options, LogLevel::debug, line); };
  auto kernel = kernel::Kernel::start(spec, launch);
  log_line(options, LogLevel::info,
           "Kernel " + spec.name + " started (pid " + std::to_string(kernel->pid()) + ")");
  if (kernel->kernel_info().contains("language_info")) {
    nb.metadata()["language_info"] = kernel->kernel_info()["language_info"];
  }

  execute::ExecuteOptions exec;
  exec.allow_errors = options.allow_errors;
  exec.cell_timeout = options.execution_timeout;
  exec.cancel = options.cancel;
  exec.on_cell_start = [&](std::size_t index, const json&) {
    log_line(options, LogLevel::info, "Executing cell " + std::to_string(index));
  };
  if (options.log_output && options.output) exec.on_output = options.output;
  exec.on_cell_end = [&](std::size_t, const json&) { saver.maybe_save(nb); };

  try {
    auto executed = execute::execute_notebook(nb, kernel->connection(), exec);
    result.failure = executed.failure;
    result.cancelled = executed.cancelled;
    if (executed.cancelled) {
      // A pod being stopped has a grace period of its own: interrupt the running cell so the
      // kernel can honour shutdown_request at once, and keep the escalation short.
      kernel->interrupt();
      kernel->shutdown(std::chrono::milliseconds(1000));
    }
  } catch (const KernelDiedError& error) {
    // Nothing lost: whatever the cells produced before the kernel's death is on disk before
    // the error reaches the caller, and the kernel's last words are quoted.
    kernel->shutdown(std::chrono::milliseconds(2000));
    saver.save(nb);
    std::string tail = kernel->stderr_tail();
    if (tail.size() > 2000) tail = "..." + tail.substr(tail.size() - 2000);
    throw KernelDiedError(std::string(error.what()) +
                          (tail.empty() ? "" : "; kernel stderr ends with:\n" + tail));
  } catch (const Error&) {
    kernel->shutdown(std::chrono::milliseconds(2000));
    saver.save(nb);
    throw;
  }
  kernel->shutdown();
  const auto stats = kernel->connection_stats();
  if (stats.dropped_invalid + stats.dropped_replayed > 0) {
    log_line(options, LogLevel::warning,
             "dropped " + std::to_string(stats.dropped_invalid) + " invalid and " +
                 std::to_string(stats.dropped_replayed) +
                 " replayed kernel messages; last reason: " + stats.last_drop_reason);
  }
  saver.save(nb);
  return result;
}

}  // namespace nbexec
