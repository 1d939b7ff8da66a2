#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <optional>

namespace nbexec::cli {

// Each subcommand registers its options on `app` and returns the action that runs it and
// yields the process exit code.
using Action = std::function<int()>;

// `papermill_form` is read when the action runs: true when nbexec was called as
// `nbexec INPUT OUTPUT ...` (papermill's command line, with papermill's defaults).
Action add_run_command(CLI::App& app, const bool& papermill_form);
Action add_sweep_command(CLI::App& app);
Action add_kernelspecs_command(CLI::App& app);
Action add_inspect_command(CLI::App& app);
Action add_render_command(CLI::App& app);

// Prefix of the environment this executable was installed into (<prefix>/bin/nbexec), used to
// find kernelspecs installed by pip next to it.
std::optional<std::filesystem::path> executable_env_prefix();

// Reports an nbexec error on stderr as one line and returns its exit code.
int report_error(const std::exception& error);

}  // namespace nbexec::cli
