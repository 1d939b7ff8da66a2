#pragma once

#include "parameter_options.hpp"
#include "secret_options.hpp"

#include <CLI/CLI.hpp>
#include <nbexec/run.hpp>

#include <optional>
#include <string>

namespace nbexec::cli {

// The command a set of run options is registered on: `run` offers all of them; `sweep` leaves
// out what means one notebook on one terminal (--engine, --log-output, --stdout-file,
// --stderr-file, --help-notebook, --prepare-only) and words some help texts per run.
enum class RunFront { run, sweep };

// What `nbexec run` (and, per run, `nbexec sweep`) is told on the command line.
struct RunArgs {
  std::string input;
  std::string output;
  ParameterArgs parameters;
  std::string kernel;
  std::string language;
  std::string cwd;
  std::string engine;
  double start_timeout = 60;
  double execution_timeout = 0;
  bool interrupt_on_timeout = false;
  double deadline = 0;  // 0: none (the option's check rejects 0 and below when given)
  bool request_save_on_cell_execute = true;
  int autosave_cell_every = 30;
  // --- Transport and encryption (--transport, --encryption) ---
  std::string transport = "auto";
  std::string encryption = "auto";
  // --- end of transport and encryption ---
  bool log_output = false;
  std::string stdout_file;
  std::string stderr_file;
  bool allow_errors = false;
  bool report_mode = false;
  bool prepare_only = false;
  bool help_notebook = false;
  std::optional<bool> strict_parameters;  // --strict-parameters / --no-strict-parameters
  bool allow_unknown_parameters = false;
  bool no_parameter_check = false;
  bool papermill_form = false;  // called as `nbexec INPUT OUTPUT ...`, without `run`
  std::string log_level = "INFO";
  std::string log_format = "text";
  bool progress_bar = true;  // --no-progress-bar turns the (TTY-only) bar off
  // --- secrets (issue 20): --secret, -s, --allow-insecure-secrets ---
  SecretArgs secrets;
};

// Registers the options after the positionals and the parameter options, in the order
// `nbexec run --help` lists them: -k, -l, --cwd, timeouts, saving, transport, errors, the
// parameter check, logging. `args` must outlive the parse (the strictness flags capture it).
void add_run_options(CLI::App* command, const std::shared_ptr<RunArgs>& args, RunFront front);

// The library's options for one run. The parameter check is strict unless the flags or
// NBEXEC_STRICT_PARAMETERS say otherwise (papermill's form is lenient by default).
RunOptions run_options(const RunArgs& args, params::Parameters parameters);

// --log-level as a rank comparable with LogLevel: NOTSET and DEBUG show everything, CRITICAL
// hides every log line (nbexec logs nothing at that level).
int level_rank(const std::string& name);

}  // namespace nbexec::cli
