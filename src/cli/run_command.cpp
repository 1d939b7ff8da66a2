#include "commands.hpp"
#include "console.hpp"
#include "event_log.hpp"
#include "notebook_help.hpp"
#include "output_stream.hpp"
#include "parameter_options.hpp"
#include "progress_bar.hpp"
#include "run_options.hpp"
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

int run(const RunArgs& args) {
  const bool json = args.log_format == "json";
  if (json) {
    json_error_mode().enabled = true;
    json_error_mode().output_path = args.output;
  }
  params::Parameters parameters = merge_parameter_args(args.parameters, args.input, args.output);
  if (args.help_notebook) return help_notebook(args, parameters);
  RunOptions options = run_options(args, std::move(parameters));

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
  add_run_options(command, args, RunFront::run);
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
