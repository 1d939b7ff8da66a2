#include "cli/commands.hpp"
#include "cli/signals.hpp"

#include <nbexec/error.hpp>
#include <nbexec/params/parameters.hpp>
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
  std::vector<std::pair<std::string, std::string>> parameters;
  std::vector<std::pair<std::string, std::string>> parameters_raw;
  std::vector<std::string> parameters_file;
  std::vector<std::string> parameters_yaml;
  std::vector<std::string> parameters_base64;
  std::string kernel;
  std::string language;
  std::string cwd;
  double start_timeout = 60;
  double execution_timeout = 0;
  bool log_output = false;
  bool allow_errors = false;
  bool report_mode = false;
  bool prepare_only = false;
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

int run(const RunArgs& args) {
  RunOptions options;
  options.input_path = args.input;
  options.output_path = args.output;
  params::ParameterSources sources;
  for (const auto& file : args.parameters_file) sources.files.emplace_back(file);
  sources.yaml = args.parameters_yaml;
  sources.base64_yaml = args.parameters_base64;
  sources.inferred = args.parameters;
  sources.raw = args.parameters_raw;
  options.parameters = params::merge_parameters(sources);
  options.kernel_name = args.kernel;
  options.language = args.language;
  if (!args.cwd.empty()) options.cwd = args.cwd;
  options.start_timeout = to_ms(args.start_timeout);
  if (args.execution_timeout > 0) options.execution_timeout = to_ms(args.execution_timeout);
  options.allow_errors = args.allow_errors;
  options.report_mode = args.report_mode;
  options.prepare_only = args.prepare_only;
  options.log_output = args.log_output;
  options.env_prefix = executable_env_prefix();
  const std::string level = args.log_level;
  options.log = [level](LogLevel l, const std::string& line) {
    if (level_shown(level, l)) std::cerr << "nbexec: " << line << "\n";
  };
  options.output = [](std::size_t, const nlohmann::json& output) { print_output(output); };

  SignalGuard signals;
  options.cancel = &signals.cancelled();
  if (level_shown(level, LogLevel::info)) {
    std::cerr << "nbexec: Input notebook:  " << args.input << "\n"
              << "nbexec: Output notebook: " << (args.output.empty() ? "(none)" : args.output)
              << "\n";
  }
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
  command
      ->add_option("-p,--parameters", args->parameters,
                   "Parameter NAME VALUE; VALUE is read as int, float, True/False/None, "
                   "else string (papermill's rules). Repeatable")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false)
      ->type_name("NAME VALUE");
  command
      ->add_option("-r,--parameters_raw", args->parameters_raw,
                   "Parameter NAME VALUE kept as a string. Repeatable")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false)
      ->type_name("NAME VALUE");
  command->add_option("-f,--parameters_file", args->parameters_file,
                      "YAML or JSON file of parameters. Repeatable");
  command->add_option("-y,--parameters_yaml", args->parameters_yaml,
                      "Parameters as a YAML string. Repeatable");
  command->add_option("-b,--parameters_base64", args->parameters_base64,
                      "Parameters as base64-encoded YAML. Repeatable");
  command->add_option("-k,--kernel", args->kernel,
                      "Kernel name (see `nbexec kernelspecs`); default: the notebook's");
  command->add_option("-l,--language", args->language,
                      "Language for rendering parameters; default: the notebook's");
  command->add_option("--cwd", args->cwd, "Working directory of the kernel");
  command->add_option("--start-timeout,--start_timeout", args->start_timeout,
                      "Seconds to wait for the kernel to start (default 60)");
  command->add_option("--execution-timeout", args->execution_timeout,
                      "Seconds a cell may run before the run stops with exit 3 (default: none)");
  command->add_flag("--log-output,!--no-log-output", args->log_output,
                    "Write cell outputs to stderr as they arrive");
  command->add_flag("--allow-errors", args->allow_errors,
                    "Keep executing after a cell raises (exit 0)");
  command->add_flag("--report-mode,!--no-report-mode", args->report_mode,
                    "Hide the source of the injected-parameters cell");
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
      "Parameters merge in papermill's order (-b, -f, -y, -p, -r; later wins).\n"
      "Exit codes: 0 success, 1 a cell raised, 2 usage or bad input, 3 timeout,\n"
      "4 kernel died, 128+N stopped by signal N. See docs/cli.md.");
  return [args]() { return run(*args); };
}

}  // namespace nbexec::cli
