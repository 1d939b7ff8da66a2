#include "commands.hpp"
#include "event_log.hpp"
#include "sweep_events.hpp"

#include <nbexec/error.hpp>

#include <iostream>
#include <system_error>

namespace nbexec::cli {

std::optional<std::filesystem::path> executable_env_prefix() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  auto bin = exe.parent_path();
  if (bin.filename() != "bin") return std::nullopt;
  return bin.parent_path();
}

namespace {

// The library says what would help (Remedy); the CLI says it with its own flags.
std::string flag_hint(Remedy remedy) {
  switch (remedy) {
    case Remedy::none:
      return "";
    case Remedy::kernel_name:
      return " (pass -k KERNEL)";
    case Remedy::start_timeout:
      return " (--start-timeout)";
    case Remedy::execution_timeout:
      return " (--execution-timeout)";
    case Remedy::relax_parameter_check:
      return " (--no-strict-parameters makes this a warning, as in papermill)";
    case Remedy::working_directory:
      return " (--cwd)";
    case Remedy::insecure_secrets:
      return " (use --transport ipc or auto, --encryption required with a kernelspec that "
             "declares curve, or --allow-insecure-secrets to accept the risk)";
    case Remedy::transport_encryption:
      return " (--encryption auto or off runs it without CurveZMQ)";
  }
  return "";
}

}  // namespace

int report_error(const std::exception& error) {
  const auto* known = dynamic_cast<const Error*>(&error);
  const int code = known ? exit_code_for(*known) : exit_code::internal;
  JsonErrorMode& json = json_error_mode();
  if (json.enabled) {
    // --log-format json: stderr carries only events; a run that ended has said it in run_end.
    if (!json.run_end_written) {
      const std::string message =
          known ? std::string(error.what()) : "internal error: " + std::string(error.what());
      std::cerr << event_line(json.sweep ? error_sweep_end(code, message)
                                         : error_run_end(json.output_path, code, message));
      json.run_end_written = true;
    }
    std::cerr.flush();
    return code;
  }
  if (known) {
    std::cerr << "nbexec: error: " << known->what() << flag_hint(known->remedy()) << "\n";
  } else {
    std::cerr << "nbexec: internal error: " << error.what() << "\n";
  }
  return code;
}

}  // namespace nbexec::cli
