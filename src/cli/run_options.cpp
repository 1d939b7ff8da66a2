#include "run_options.hpp"

#include "commands.hpp"

#include <nbexec/error.hpp>

#include <chrono>
#include <memory>
#include <utility>

namespace nbexec::cli {

namespace {

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

// --deadline: a positive number of seconds (CLI11 would say only "could not convert").
std::string check_deadline(std::string& text) {
  std::size_t used = 0;
  double seconds = 0;
  try {
    seconds = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !(seconds >= 0.001 && seconds <= 1e9)) {
    return "--deadline takes a number of seconds from 0.001 to 1e9, not '" + text + "'";
  }
  return {};
}

// --engine: papermill's engines that run a notebook on a Jupyter kernel (its default is
// nbclient, and nbexec's papermill plug-in is "nbexec"); nbexec is such an engine and knows no
// other.
std::string check_engine(std::string& name) {
  if (name == "nbclient" || name == "nbexec") return {};
  return "nbexec runs notebooks on a Jupyter kernel, as papermill's default engine 'nbclient' "
         "does; engine '" +
         name + "' is not available";
}

// `nbexec run` is nbexec's own command and fails early by default; papermill's command form
// behaves as papermill does, so existing command lines keep working (docs/cli.md).
ParameterCheck parameter_check(const RunArgs& args) {
  if (args.no_parameter_check) return ParameterCheck::off;
  if (!resolve_strict_parameters(args.strict_parameters, !args.papermill_form)) {
    return ParameterCheck::warn;
  }
  return args.allow_unknown_parameters ? ParameterCheck::warn_unknown : ParameterCheck::strict;
}

// Options only `run` has: they are about one notebook and one terminal.
void add_output_routing_options(CLI::App* command, RunArgs& args) {
  command->add_flag("--log-output,!--no-log-output", args.log_output,
                    "Stream cell outputs as they arrive: stdout text and text/plain to stdout, "
                    "stderr text and errors to stderr (all to stderr when OUTPUT is -), each "
                    "cell framed by 'Executing Cell N---' / 'Ending Cell N---' on stderr");
  command
      ->add_option("--stdout-file", args.stdout_file,
                   "Write the text the cells print to stdout to FILE as it arrives "
                   "(- : standard output)")
      ->type_name("FILE");
  command
      ->add_option("--stderr-file", args.stderr_file,
                   "Write the text the cells print to stderr to FILE as it arrives "
                   "(- : standard output, as papermill)")
      ->type_name("FILE");
}

void add_parameter_check_options(CLI::App* command, const std::shared_ptr<RunArgs>& args,
                                 RunFront front) {
  const bool run = front == RunFront::run;
  // Two callbacks rather than one optional flag: not giving either must leave the choice to
  // the environment and the form, and giving both is a contradiction.
  auto* strict = command->add_flag_callback(
      "--strict-parameters", [args] { args->strict_parameters = true; },
      run ? "An unknown name or a value of the wrong type is exit 2 before anything is written "
            "(default for `nbexec run`; papermill's form `nbexec IN OUT` warns and runs, unless "
            "NBEXEC_STRICT_PARAMETERS=1 is in the environment)"
          : "An unknown name or a value of the wrong type in any run is exit 2 before any run "
            "starts (default, unless NBEXEC_STRICT_PARAMETERS=0 is in the environment)");
  command
      ->add_flag_callback(
          "--no-strict-parameters", [args] { args->strict_parameters = false; },
          run ? "Unknown names and values of the wrong type are warnings and the run goes on, "
                "as in papermill (default for papermill's form, unless "
                "NBEXEC_STRICT_PARAMETERS=1)"
              : "Unknown names and values of the wrong type are warnings and the runs go on, "
                "as in papermill")
      ->excludes(strict);
  command->add_flag("--allow-unknown-parameters", args->allow_unknown_parameters,
                    "When strict: a parameter the notebook does not define is a warning, a "
                    "value of the wrong type still an error");
  command->add_flag("--no-parameter-check", args->no_parameter_check,
                    "Do not check types at all; unknown names are warnings (papermill's "
                    "behaviour)");
}

// --- Transport and encryption (docs/security.md, "Transport") ---
void add_transport_options(CLI::App* command, RunArgs& args) {
  command
      ->add_option("--transport", args.transport,
                   "Kernel sockets: auto (default: ipc, Unix sockets in a private 0700 folder; "
                   "tcp on 127.0.0.1, with a warning, for a kernel that cannot use ipc), ipc "
                   "(no fallback) or tcp (127.0.0.1)")
      ->check(CLI::IsMember({"auto", "ipc", "tcp"}));
  command
      ->add_option("--encryption", args.encryption,
                   "CurveZMQ on every kernel channel: auto (default: when the kernelspec "
                   "declares \"curve\" in metadata.supported_encryption), required (a kernel "
                   "that does not declare it is refused, exit 4) or off")
      ->check(CLI::IsMember({"off", "auto", "required"}));
}
// --- end of transport and encryption ---

}  // namespace

int level_rank(const std::string& name) {
  if (name == "NOTSET" || name == "DEBUG") return 0;
  if (name == "INFO") return 1;
  if (name == "WARNING") return 2;
  if (name == "ERROR") return 3;
  return 4;
}

void add_run_options(CLI::App* command, const std::shared_ptr<RunArgs>& args, RunFront front) {
  const bool run = front == RunFront::run;
  command->add_option("-k,--kernel", args->kernel,
                      "Kernel name (see `nbexec kernelspecs`); default: the notebook's");
  command->add_option("-l,--language", args->language,
                      "Language for rendering parameters; default: the notebook's");
  command->add_option("--cwd", args->cwd, "Working directory of the kernel");
  if (run) {
    command
        ->add_option("--engine", args->engine,
                     "Accepted for papermill compatibility: nbclient (papermill's default, run "
                     "on a Jupyter kernel) or nbexec; any other name is exit 2")
        ->check(CLI::Validator(check_engine, "NAME"));
  }
  command->add_option("--start-timeout,--start_timeout", args->start_timeout,
                      "Seconds to wait for the kernel to start (default 60)");
  command->add_option("--execution-timeout", args->execution_timeout,
                      "Seconds a cell may run; past it the run stops with exit 3 (default: no "
                      "limit)");
  command->add_flag("--interrupt-on-timeout", args->interrupt_on_timeout,
                    "With --execution-timeout: interrupt a cell past its deadline and go on "
                    "with the next; exit 3 at the end (nbexec only)");
  command
      ->add_option("--deadline", args->deadline,
                   run ? "Seconds the whole run may take, kernel start included; past it the "
                         "running cell is stopped, the notebook saved and the exit code is 3, "
                         "whatever --interrupt-on-timeout says (default: no limit; nbexec only)"
                       : "Seconds each run may take, kernel start included; past it the "
                         "running cell is stopped, the notebook saved and the run counts as "
                         "timed out (default: no limit)")
      ->check(CLI::Validator(check_deadline, "SECONDS"));
  command->add_flag(
      "--request-save-on-cell-execute,!--no-request-save-on-cell-execute",
      args->request_save_on_cell_execute,
      "Save the output notebook after cells complete, paced so the bytes written stay "
      "within ~2.5x the final size (default); "
      "--no-...: only at start, end and autosaves");
  command
      ->add_option("--autosave-cell-every", args->autosave_cell_every,
                   "Seconds between saves while a long cell runs and has news (default 30; "
                   "0 disables)")
      ->check(CLI::NonNegativeNumber);
  add_transport_options(command, *args);
  add_secret_options(command, args->secrets);
  if (run) add_output_routing_options(command, *args);
  command->add_flag("--allow-errors", args->allow_errors,
                    run ? "Keep executing after a cell raises (exit 0)"
                        : "Keep executing after a cell raises (the run counts as completed)");
  command->add_flag("--report-mode,!--no-report-mode", args->report_mode,
                    "Hide the source of every code cell (metadata.jupyter.source_hidden)");
  if (run) {
    command->add_flag("--help-notebook", args->help_notebook,
                      "Show the notebook's parameters (name, type, default, help) and exit");
  }
  add_parameter_check_options(command, args, front);
  if (run) {
    command->add_flag("--prepare-only,!--prepare-execute", args->prepare_only,
                      "Inject parameters and write the output without executing");
  }
  command
      ->add_option("--log-level", args->log_level,
                   run ? "Text lines (and json 'log' events) shown: NOTSET, DEBUG, INFO "
                         "(default), WARNING, ERROR, CRITICAL"
                       : "Text lines (and json 'log' events) shown: NOTSET, DEBUG, INFO "
                         "(default: the sweep's lines, one line per finished run, the runs' "
                         "warnings), WARNING, ERROR, CRITICAL; DEBUG adds the runs' own lines")
      ->check(CLI::IsMember({"NOTSET", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}));
  command
      ->add_option("--log-format", args->log_format,
                   run ? "text (default): lines and, on a terminal, a progress bar; json: one "
                         "JSON event per line on stderr and nothing else there "
                         "(docs/events.md)"
                       : "text (default): lines, a progress bar and a table on a terminal; "
                         "json: sweep events and every run's events (with its \"run\" index), "
                         "one per line on stderr and nothing else there (docs/events.md)")
      ->check(CLI::IsMember({"text", "json"}));
  command->add_flag("--progress-bar,!--no-progress-bar", args->progress_bar,
                    run ? "Progress bar on stderr when it is a terminal (default); never drawn "
                          "elsewhere, with --log-output or with --log-format json"
                        : "Progress bar over runs on stderr when it is a terminal (default); "
                          "never drawn elsewhere or with --log-format json");
}

RunOptions run_options(const RunArgs& args, params::Parameters parameters) {
  if (args.execution_timeout <= 0 && args.interrupt_on_timeout) {
    throw UsageError("--interrupt-on-timeout needs --execution-timeout SECONDS");
  }
  RunOptions options;
  options.input_path = args.input;
  options.output_path = args.output;
  options.parameters = std::move(parameters);
  options.parameter_check = parameter_check(args);
  options.kernel_name = args.kernel;
  options.language = args.language;
  if (!args.cwd.empty()) options.cwd = args.cwd;
  options.start_timeout = to_ms(args.start_timeout);
  if (args.execution_timeout > 0) options.execution_timeout = to_ms(args.execution_timeout);
  options.interrupt_on_timeout = args.interrupt_on_timeout;
  if (args.deadline > 0) options.deadline = to_ms(args.deadline);
  options.request_save_on_cell_execute = args.request_save_on_cell_execute;
  options.autosave_cell_every = std::chrono::seconds(args.autosave_cell_every);
  options.transport = args.transport;
  options.encryption = args.encryption;
  // --- secrets (issue 20) ---
  options.secrets = read_secrets(args.secrets);
  options.allow_insecure_secrets = args.secrets.allow_insecure;
  options.allow_errors = args.allow_errors;
  options.report_mode = args.report_mode;
  options.prepare_only = args.prepare_only;
  options.env_prefix = executable_env_prefix();
  return options;
}

}  // namespace nbexec::cli
