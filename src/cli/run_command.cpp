#include "commands.hpp"
#include "console.hpp"
#include "event_log.hpp"
#include "notebook_help.hpp"
#include "output_stream.hpp"
#include "parameter_options.hpp"
#include "progress_bar.hpp"
#include "signals.hpp"

#include <nbexec/error.hpp>
#include <nbexec/inspect.hpp>
#include <nbexec/run.hpp>
#include <nbexec/version.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nbexec::cli {

namespace {

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
  std::string transport = "tcp";
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
};

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

// --log-level as a rank comparable with LogLevel: NOTSET and DEBUG show everything, CRITICAL
// hides every log line (nbexec logs nothing at that level).
int level_rank(const std::string& name) {
  if (name == "NOTSET" || name == "DEBUG") return 0;
  if (name == "INFO") return 1;
  if (name == "WARNING") return 2;
  if (name == "ERROR") return 3;
  return 4;
}

// The library's text line for each cell; the progress bar and --log-output's separators say the
// same, so it is left out when either is shown.
bool is_cell_line(const std::string& line) {
  return line.rfind("Executing cell ", 0) == 0;
}

void print_failure(Console& console, const ExecutionError& failure) {
  std::string text = "nbexec: error: cell " + std::to_string(failure.cell_index);
  if (failure.exec_count) text += " (In [" + std::to_string(*failure.exec_count) + "])";
  text += " raised " + failure.ename + ": " + failure.evalue + "\n";
  for (const auto& line : failure.traceback) text += strip_ansi(line) + "\n";
  console.err(text);
}

// papermill's --help-notebook: the parameters of INPUT (its path filled in from the
// parameters), nothing executed.
int help_notebook(const RunArgs& args, const params::Parameters& parameters) {
  InspectOptions options;
  options.parameters = parameters;
  options.kernel_name = args.kernel;
  options.language = args.language;
  const Inspection found = inspect_notebook(args.input, options);
  std::cout << "Usage: nbexec run [OPTIONS] INPUT [OUTPUT]\n";
  return print_notebook_help(args.input, found.parameters, std::cout);
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

RunOptions run_options(const RunArgs& args, params::Parameters parameters) {
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
  options.allow_errors = args.allow_errors;
  options.report_mode = args.report_mode;
  options.prepare_only = args.prepare_only;
  options.env_prefix = executable_env_prefix();
  return options;
}

int run(const RunArgs& args) {
  const bool json = args.log_format == "json";
  if (json) {
    json_error_mode().enabled = true;
    json_error_mode().output_path = args.output;
  }
  params::Parameters parameters = merge_parameter_args(args.parameters, args.input, args.output);
  if (args.help_notebook) return help_notebook(args, parameters);
  RunOptions options = run_options(args, std::move(parameters));
  if (args.execution_timeout <= 0 && args.interrupt_on_timeout) {
    throw UsageError("--interrupt-on-timeout needs --execution-timeout SECONDS");
  }

  // How the run is shown: JSON events, or text lines with an optional progress bar and the
  // cells' own text (docs/cli.md, "What you see").
  Console console;
  const int threshold = level_rank(args.log_level);
  std::optional<JsonEventLog> events;
  if (json) {
    // "log" events are debug or info; WARNING and above leave only the other kinds.
    events.emplace(console, threshold == 0   ? LogLevel::debug
                            : threshold == 1 ? LogLevel::info
                                             : LogLevel::warning);
  }
  OutputRouting routing;
  routing.log_output = args.log_output && !json;
  routing.notebook_on_stdout = args.output == "-";
  routing.stdout_file = args.stdout_file;
  routing.stderr_file = args.stderr_file;
  CellOutputStream outputs(console, routing);
  std::optional<ProgressBar> bar;
  if (!json && args.progress_bar && !args.log_output && !args.prepare_only &&
      stderr_is_terminal()) {
    bar.emplace(console);
  }

  if (!json) {
    const bool cells_shown = bar.has_value() || routing.log_output;
    options.log = [&console, threshold, cells_shown](LogLevel level, const std::string& line) {
      if (static_cast<int>(level) < threshold) return;
      if (cells_shown && is_cell_line(line)) return;
      console.line("nbexec: " + line);
    };
  }
  if (outputs.active()) {
    options.output = [&outputs](std::size_t cell, const nlohmann::json& output) {
      outputs.on_output(cell, output);
    };
  }
  // Only when something shows events: each one is a JSON object with a formatted time, two
  // or more per cell, which a plain run would build for nobody.
  if (events || bar || routing.log_output) {
    options.on_event = [&](const RunEvent& event) {
      if (events) events->on_event(event);
      if (bar) bar->on_event(event);
      outputs.on_event(event);
    };
  }

  SignalGuard signals;
  options.cancel = &signals.cancelled();
  options.cancel_signal = [&signals] { return signals.signal_number(); };
  RunResult result = run_notebook(options);
  bar.reset();  // finished at run_end; this only joins its timer
  if (result.cancelled || signals.signal_number() != 0) {
    if (!json) {
      console.line("nbexec: stopped by signal " + std::to_string(signals.signal_number()) +
                   "; the notebook was saved");
    }
    return 128 + signals.signal_number();
  }
  if (result.failure) {
    if (!json) print_failure(console, *result.failure);
    return exit_code::cell_error;
  }
  if (!result.timed_out_cells.empty()) {
    if (!json) {
      console.line("nbexec: error: " + std::to_string(result.timed_out_cells.size()) +
                   " cell(s) passed --execution-timeout and were interrupted");
    }
    return exit_code::timeout;
  }
  return exit_code::success;
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

}  // namespace

Action add_run_command(CLI::App& app, const bool& papermill_form) {
  auto args = std::make_shared<RunArgs>();
  auto* command = app.add_subcommand(
      "run",
      "Parameterize and execute a notebook on a Jupyter kernel (papermill's command line).\n"
      "The output notebook is written before the kernel starts, during the run and at the end,\n"
      "also when a cell fails; a failing cell exits 1 with its traceback on stderr.");
  command->set_version_flag("--version", std::string("nbexec ") + std::string(nbexec::version),
                            "Print the version and exit");
  command->add_option("INPUT", args->input, "Notebook to execute; - reads standard input")
      ->required();
  command->add_option("OUTPUT", args->output,
                      "Where to write the executed notebook; - writes standard output (then "
                      "nothing else goes there); omitted: nothing is written");
  add_parameter_options(command, args->parameters, true);
  command->add_option("-k,--kernel", args->kernel,
                      "Kernel name (see `nbexec kernelspecs`); default: the notebook's");
  command->add_option("-l,--language", args->language,
                      "Language for rendering parameters; default: the notebook's");
  command->add_option("--cwd", args->cwd, "Working directory of the kernel");
  command
      ->add_option("--engine", args->engine,
                   "Accepted for papermill compatibility: nbclient (papermill's default, run on "
                   "a Jupyter kernel) or nbexec; any other name is exit 2")
      ->check(CLI::Validator(check_engine, "NAME"));
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
                   "Seconds the whole run may take, kernel start included; past it the running "
                   "cell is stopped, the notebook saved and the exit code is 3, whatever "
                   "--interrupt-on-timeout says (default: no limit; nbexec only)")
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
  command
      ->add_option("--transport", args->transport,
                   "Kernel sockets: tcp (127.0.0.1, default) or ipc (Unix socket files in "
                   "the runtime directory)")
      ->check(CLI::IsMember({"tcp", "ipc"}));
  command->add_flag("--log-output,!--no-log-output", args->log_output,
                    "Stream cell outputs as they arrive: stdout text and text/plain to stdout, "
                    "stderr text and errors to stderr (all to stderr when OUTPUT is -), each "
                    "cell framed by 'Executing Cell N---' / 'Ending Cell N---' on stderr");
  command
      ->add_option("--stdout-file", args->stdout_file,
                   "Write the text the cells print to stdout to FILE as it arrives "
                   "(- : standard output)")
      ->type_name("FILE");
  command
      ->add_option("--stderr-file", args->stderr_file,
                   "Write the text the cells print to stderr to FILE as it arrives "
                   "(- : standard output, as papermill)")
      ->type_name("FILE");
  command->add_flag("--allow-errors", args->allow_errors,
                    "Keep executing after a cell raises (exit 0)");
  command->add_flag("--report-mode,!--no-report-mode", args->report_mode,
                    "Hide the source of every code cell (metadata.jupyter.source_hidden)");
  command->add_flag("--help-notebook", args->help_notebook,
                    "Show the notebook's parameters (name, type, default, help) and exit");
  // Two callbacks rather than one optional flag: not giving either must leave the choice to
  // the environment and the form, and giving both is a contradiction.
  auto* strict = command->add_flag_callback(
      "--strict-parameters", [args] { args->strict_parameters = true; },
      "An unknown name or a value of the wrong type is exit 2 before anything is written "
      "(default for `nbexec run`; papermill's form `nbexec IN OUT` warns and runs, unless "
      "NBEXEC_STRICT_PARAMETERS=1 is in the environment)");
  command
      ->add_flag_callback(
          "--no-strict-parameters", [args] { args->strict_parameters = false; },
          "Unknown names and values of the wrong type are warnings and the run goes on, as in "
          "papermill (default for papermill's form, unless NBEXEC_STRICT_PARAMETERS=1)")
      ->excludes(strict);
  command->add_flag("--allow-unknown-parameters", args->allow_unknown_parameters,
                    "When strict: a parameter the notebook does not define is a warning, a "
                    "value of the wrong type still an error");
  command->add_flag("--no-parameter-check", args->no_parameter_check,
                    "Do not check types at all; unknown names are warnings (papermill's "
                    "behaviour)");
  command->add_flag("--prepare-only,!--prepare-execute", args->prepare_only,
                    "Inject parameters and write the output without executing");
  command
      ->add_option("--log-level", args->log_level,
                   "Text lines (and json 'log' events) shown: NOTSET, DEBUG, INFO (default), "
                   "WARNING, ERROR, CRITICAL")
      ->check(CLI::IsMember({"NOTSET", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}));
  command
      ->add_option("--log-format", args->log_format,
                   "text (default): lines and, on a terminal, a progress bar; json: one JSON "
                   "event per line on stderr and nothing else there (docs/events.md)")
      ->check(CLI::IsMember({"text", "json"}));
  command->add_flag("--progress-bar,!--no-progress-bar", args->progress_bar,
                    "Progress bar on stderr when it is a terminal (default); never drawn "
                    "elsewhere, with --log-output or with --log-format json");
  command->footer(
      "Examples:\n"
      "  nbexec run in.ipynb out.ipynb -p alpha 0.6 -p name 'Ada' -f params.yaml\n"
      "  nbexec in.ipynb out.ipynb -f params.yaml --log-output     (papermill's form)\n"
      "  nbexec run in.ipynb out.ipynb --stdout-file cells.log --stderr-file cells.err\n"
      "  nbexec run in.ipynb out.ipynb --log-format json 2> events.jsonl\n"
      "  nbexec run in.ipynb out.ipynb --execution-timeout 600 --interrupt-on-timeout\n"
      "  nbexec run in.ipynb out.ipynb --deadline 3600 --execution-timeout 600\n"
      "  nbexec run in.ipynb - --prepare-only > parameterized.ipynb\n\n"
      "Parameters merge in papermill's order (-b, -f, -y, -p, -r; later wins) and are checked\n"
      "against the notebook's parameters cell before the kernel starts. `nbexec run` is strict:\n"
      "an unknown name or a value of the wrong type is exit 2. Papermill's form `nbexec IN OUT`\n"
      "logs them as warnings (\"Passed unknown parameter: NAME\") and runs, as papermill does;\n"
      "--strict-parameters or NBEXEC_STRICT_PARAMETERS=1 makes it strict too.\n"
      "INPUT and OUTPUT may name parameters: out-{alpha}.ipynb.\n"
      "Progress goes to stderr: a bar on a terminal, else one line per cell.\n\n"
      "Exit codes:\n"
      "  0      success\n"
      "  1      a cell raised (its traceback on stderr, the notebook saved with it)\n"
      "  2      usage error or bad input (notebook, parameters, kernel name, paths)\n"
      "  3      the kernel did not start in time, a cell passed --execution-timeout, or the\n"
      "         run passed --deadline (the notebook saved, the cell cut short marked)\n"
      "  4      the kernel died, or could not be started (its command failed)\n"
      "  70     internal error (a bug in nbexec; please report it)\n"
      "  128+N  stopped by signal N (SIGINT 130, SIGTERM 143); the notebook was saved\n"
      "See docs/cli.md and docs/events.md.");
  return [args, &papermill_form]() {
    args->papermill_form = papermill_form;
    return run(*args);
  };
}

}  // namespace nbexec::cli
