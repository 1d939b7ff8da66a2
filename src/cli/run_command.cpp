#include "cli/commands.hpp"
#include "cli/notebook_help.hpp"
#include "cli/parameter_options.hpp"
#include "cli/signals.hpp"

#include <nbexec/error.hpp>
#include <nbexec/notebook/read.hpp>
#include <nbexec/params/inspect.hpp>
#include <nbexec/params/path_template.hpp>
#include <nbexec/run.hpp>

#include <iostream>
#include <memory>
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
  double start_timeout = 60;
  double execution_timeout = 0;
  std::string transport = "tcp";
  bool log_output = false;
  bool allow_errors = false;
  bool report_mode = false;
  bool prepare_only = false;
  bool help_notebook = false;
  bool allow_unknown_parameters = false;
  bool no_parameter_check = false;
  std::string log_level = "INFO";
  bool progress_bar = false;
};

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

bool level_shown(const std::string& threshold, LogLevel level) {
  int wanted = threshold == "DEBUG" ? 0 : threshold == "INFO" ? 1 : threshold == "WARNING" ? 2 : 3;
  return static_cast<int>(level) >= wanted;
}

// papermill's --log-output writes stream text as it arrives and the text/plain of rich
// outputs; all of it goes to stderr so that stdout stays free for `-` output.
void print_output(const nlohmann::json& output) {
  const std::string type = output.value("output_type", std::string());
  if (type == "stream") {
    std::cerr << output.value("text", std::string());
  } else if (type == "error") {
    std::cerr << output.value("ename", std::string()) << ": "
              << output.value("evalue", std::string()) << "\n";
  } else if (output.contains("data") && output["data"].contains("text/plain")) {
    const auto& text = output["data"]["text/plain"];
    std::cerr << (text.is_string() ? text.get<std::string>() : text.dump()) << "\n";
  }
  std::cerr.flush();
}

void print_failure(const execute::CellFailure& failure) {
  std::cerr << "nbexec: error: cell " << failure.cell_index;
  if (failure.execution_count) std::cerr << " (In [" << *failure.execution_count << "])";
  std::cerr << " raised " << failure.ename << ": " << failure.evalue << "\n";
  for (const auto& line : failure.traceback) std::cerr << strip_ansi(line) << "\n";
}

// papermill's --help-notebook: the parameters of INPUT (its path filled in from the
// parameters), nothing executed.
int help_notebook(const RunArgs& args, const params::Parameters& parameters) {
  const std::string path = params::parameterize_path(
      args.input, parameters, params::make_builtin_parameters(), "input path");
  const notebook::Notebook nb = notebook::load_notebook(path);
  const auto found = params::inspect_notebook_parameters(nb, args.kernel, args.language);
  std::cout << "Usage: nbexec run [OPTIONS] INPUT [OUTPUT]\n";
  return print_notebook_help(args.input, found, std::cout);
}

int run(const RunArgs& args) {
  RunOptions options;
  options.input_path = args.input;
  options.output_path = args.output;
  options.parameters = merge_parameter_args(args.parameters, args.input, args.output);
  if (args.help_notebook) return help_notebook(args, options.parameters);
  options.parameter_check = args.no_parameter_check         ? ParameterCheck::off
                            : args.allow_unknown_parameters ? ParameterCheck::warn_unknown
                                                            : ParameterCheck::strict;
  options.kernel_name = args.kernel;
  options.language = args.language;
  if (!args.cwd.empty()) options.cwd = args.cwd;
  options.start_timeout = to_ms(args.start_timeout);
  if (args.execution_timeout > 0) options.execution_timeout = to_ms(args.execution_timeout);
  options.transport = args.transport;
  options.allow_errors = args.allow_errors;
  options.report_mode = args.report_mode;
  options.prepare_only = args.prepare_only;
  options.env_prefix = executable_env_prefix();
  const std::string level = args.log_level;
  options.log = [level](LogLevel l, const std::string& line) {
    if (level_shown(level, l)) std::cerr << "nbexec: " << line << "\n";
  };
  if (args.log_output) {
    options.output = [](std::size_t, const nlohmann::json& output) { print_output(output); };
  }

  SignalGuard signals;
  options.cancel = &signals.cancelled();
  options.cancel_signal = [&signals] { return signals.signal_number(); };
  RunResult result = run_notebook(options);
  if (result.cancelled || signals.signal_number() != 0) {
    std::cerr << "nbexec: stopped by signal " << signals.signal_number()
              << "; the notebook was saved\n";
    return 128 + signals.signal_number();
  }
  if (result.failure) {
    print_failure(*result.failure);
    return exit_code::cell_error;
  }
  if (!result.timed_out_cells.empty()) {
    std::cerr << "nbexec: error: " << result.timed_out_cells.size()
              << " cell(s) passed --execution-timeout and were interrupted\n";
    return exit_code::timeout;
  }
  return exit_code::success;
}

}  // namespace

Action add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto* command = app.add_subcommand(
      "run",
      "Parameterize and execute a notebook on a Jupyter kernel (papermill's command line).\n"
      "The output notebook is written before the kernel starts, during the run and at the end,\n"
      "also when a cell fails; a failing cell exits 1 with its traceback on stderr.");
  command->add_option("INPUT", args->input, "Notebook to execute; - reads standard input")
      ->required();
  command->add_option("OUTPUT", args->output,
                      "Where to write the executed notebook; - writes standard output; "
                      "omitted: nothing is written");
  add_parameter_options(command, args->parameters, true);
  command->add_option("-k,--kernel", args->kernel,
                      "Kernel name (see `nbexec kernelspecs`); default: the notebook's");
  command->add_option("-l,--language", args->language,
                      "Language for rendering parameters; default: the notebook's");
  command->add_option("--cwd", args->cwd, "Working directory of the kernel");
  command->add_option("--start-timeout,--start_timeout", args->start_timeout,
                      "Seconds to wait for the kernel to start (default 60)");
  command->add_option("--execution-timeout", args->execution_timeout,
                      "Seconds a cell may run before the run stops with exit 3 (default: none)");
  command
      ->add_option("--transport", args->transport,
                   "Kernel sockets: tcp (127.0.0.1, default) or ipc (Unix socket files in "
                   "the runtime directory)")
      ->check(CLI::IsMember({"tcp", "ipc"}));
  command->add_flag("--log-output,!--no-log-output", args->log_output,
                    "Write cell outputs to stderr as they arrive");
  command->add_flag("--allow-errors", args->allow_errors,
                    "Keep executing after a cell raises (exit 0)");
  command->add_flag("--report-mode,!--no-report-mode", args->report_mode,
                    "Hide the source of every code cell (metadata.jupyter.source_hidden)");
  command->add_flag("--help-notebook", args->help_notebook,
                    "Show the notebook's parameters (name, type, default, help) and exit");
  command->add_flag("--allow-unknown-parameters", args->allow_unknown_parameters,
                    "A parameter the notebook does not define is a warning, not an error");
  command->add_flag("--no-parameter-check", args->no_parameter_check,
                    "Do not check parameters against the notebook (papermill's behaviour)");
  command->add_flag("--prepare-only,!--prepare-execute", args->prepare_only,
                    "Inject parameters and write the output without executing");
  command->add_option("--log-level", args->log_level, "DEBUG, INFO, WARNING or ERROR")
      ->check(CLI::IsMember({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}));
  command->add_flag("--progress-bar,!--no-progress-bar", args->progress_bar,
                    "Accepted for papermill compatibility; nbexec logs lines instead");
  command->footer(
      "Examples:\n"
      "  nbexec run in.ipynb out.ipynb -p alpha 0.6 -p name 'Ada' -f params.yaml\n"
      "  nbexec run in.ipynb out.ipynb -k python3 --cwd data/ --log-output\n"
      "  nbexec run in.ipynb - --prepare-only > parameterized.ipynb\n\n"
      "Parameters merge in papermill's order (-b, -f, -y, -p, -r; later wins) and are checked\n"
      "against the notebook's parameters cell before the kernel starts: an unknown name or a\n"
      "value of the wrong type is exit 2. INPUT and OUTPUT may name parameters: "
      "out-{alpha}.ipynb.\n"
      "Exit codes: 0 success, 1 a cell raised, 2 usage or bad input, 3 timeout,\n"
      "4 kernel died, 128+N stopped by signal N. See docs/cli.md.");
  return [args]() { return run(*args); };
}

}  // namespace nbexec::cli
