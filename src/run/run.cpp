#include <nbexec/error.hpp>
#include <nbexec/kernel/kernel.hpp>
#include <nbexec/kernel/kernelspec.hpp>
#include <nbexec/run.hpp>

#include "run/prepare.hpp"
#include "run/progressive_saver.hpp"

namespace nbexec {

namespace {

using json = nlohmann::json;

void log_line(const RunOptions& options, LogLevel level, const std::string& text) {
  if (options.log) options.log(level, text);
}

// Every exit path says how many kernel messages failed verification, and why.
void log_rejections(const RunOptions& options, const kernel::Kernel& kernel) {
  std::string text = kernel::describe_rejections(kernel.connection_stats());
  if (!text.empty()) log_line(options, LogLevel::warning, text);
}

}  // namespace

RunResult run_notebook(const RunOptions& options) {
  RunResult result;
  notebook::Notebook& nb = result.notebook;
  const run_detail::Prepared prepared = run_detail::prepare_notebook(options, nb);
  result.input_path = prepared.input_path;
  result.output_path = prepared.output_path;
  const std::string& kernel_name = prepared.kernel_name;

  run_detail::ProgressiveSaver saver(prepared.output_path, std::chrono::seconds(2));
  if (options.prepare_only) {
    saver.save(nb);
    return result;
  }

  // Find the kernel before anything is written, so a typo in -k leaves no file behind.
  kernel::SearchOptions search;
  search.env_prefix = options.env_prefix;
  const kernel::KernelSpec spec =
      kernel::find_kernelspec(kernel_name, kernel::kernelspec_search_path(search));
  if (prepared.output_path != "-") saver.save(nb);

  kernel::LaunchOptions launch;
  launch.cwd = options.cwd;
  launch.start_timeout = options.start_timeout;
  launch.transport = options.transport;
  launch.cancel = options.cancel;
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
    const std::string reason = kernel->death_reason();
    kernel->shutdown(std::chrono::milliseconds(2000));
    log_rejections(options, *kernel);
    saver.save(nb);
    std::string tail = kernel->stderr_tail();
    if (tail.size() > 2000) tail = "..." + tail.substr(tail.size() - 2000);
    throw KernelDiedError(std::string(error.what()) + ": " + reason +
                          (tail.empty() ? "" : "; kernel stderr ends with:\n" + tail));
  } catch (const Error&) {
    kernel->shutdown(std::chrono::milliseconds(2000));
    log_rejections(options, *kernel);
    saver.save(nb);
    throw;
  }
  kernel->shutdown();
  log_rejections(options, *kernel);
  saver.save(nb);
  return result;
}

}  // namespace nbexec
