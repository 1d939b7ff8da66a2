#include "commands.hpp"
#include "event_log.hpp"
#include "sweep_events.hpp"

#include <nbexec/error.hpp>
#include <nbexec/version.hpp>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

namespace {

bool is_subcommand(const std::string& word) {
  return word == "run" || word == "sweep" || word == "kernelspecs" || word == "inspect" ||
         word == "render";
}

// papermill is called as `papermill INPUT OUTPUT ...`, with its options anywhere; nbexec accepts
// that form too, as `run` with papermill's defaults, when the first argument is not a
// subcommand: either a path, or an option of run's when no subcommand word follows
// (`nbexec -p alpha 1 in.ipynb out.ipynb`).
std::vector<std::string> with_implicit_run(int argc, char** argv, bool& papermill_form) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // `nbexec help [SUBCOMMAND]` is `nbexec [SUBCOMMAND] --help`.
  if (!args.empty() && args[0] == "help") {
    if (args.size() > 1) return {args[1], "--help"};
    return {"--help"};
  }
  if (args.empty() || args[0].empty() || is_subcommand(args[0])) return args;
  if (args[0][0] == '-') {
    const bool top_level =
        args[0] == "-h" || args[0] == "--help" || args[0] == "-V" || args[0] == "--version";
    if (top_level || std::any_of(args.begin(), args.end(), is_subcommand)) return args;
  }
  args.insert(args.begin(), "run");
  papermill_form = true;
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "nbexec: run Jupyter notebooks as pipeline steps, papermill-compatible.\n\n"
      "  nbexec run INPUT.ipynb OUTPUT.ipynb -p alpha 0.5 -f params.yaml\n"
      "  nbexec INPUT.ipynb OUTPUT.ipynb ...      (papermill's form: run, with papermill's\n"
      "                                           lenient parameter check)\n"
      "  nbexec sweep INPUT.ipynb 'out/{alpha}.ipynb' --grid grid.yaml -j 4\n"
      "                                           (one run per set of parameters in the grid)\n"
      "  nbexec inspect INPUT.ipynb [--json]      (the notebook's parameters and their types)\n"
      "  nbexec render OUTPUT.ipynb [PAGE.html]   (the notebook as an HTML page to read)\n"
      "  nbexec kernelspecs                       (list the kernels nbexec can start)\n\n"
      "Exit codes: 0 success, 1 a cell raised, 2 usage or bad input, 3 timeout,\n"
      "4 kernel died or could not start, 70 internal error, 128+N stopped by signal N.\n"
      "`nbexec help [SUBCOMMAND]` is the same as `nbexec [SUBCOMMAND] --help`.",
      "nbexec"};
  app.set_version_flag("-V,--version", std::string("nbexec ") + std::string(nbexec::version),
                       "Print the version and exit");
  app.require_subcommand(0, 1);
  app.footer("Run `nbexec SUBCOMMAND --help` for the options of each subcommand.");

  bool papermill_form = false;
  nbexec::cli::Action run_action = nbexec::cli::add_run_command(app, papermill_form);
  nbexec::cli::Action sweep_action = nbexec::cli::add_sweep_command(app);
  nbexec::cli::Action kernelspecs_action = nbexec::cli::add_kernelspecs_command(app);
  nbexec::cli::Action inspect_action = nbexec::cli::add_inspect_command(app);
  nbexec::cli::Action render_action = nbexec::cli::add_render_command(app);

  std::vector<std::string> args = with_implicit_run(argc, argv, papermill_form);
  const bool json_log = nbexec::cli::json_log_requested(args);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments reversed
  try {
    app.parse(args);
  } catch (const CLI::ParseError& error) {
    // --help and --version end parsing with code 0 and print to stdout as usual.
    if (error.get_exit_code() != 0 && json_log) {
      // --log-format json: a usage error is a run_end (sweep_end) event like any other failure.
      const bool sweep = app.got_subcommand("sweep") || (!args.empty() && args.back() == "sweep");
      std::cerr << nbexec::cli::event_line(
          sweep ? nbexec::cli::error_sweep_end(nbexec::exit_code::bad_input, error.what())
                : nbexec::cli::error_run_end("", nbexec::exit_code::bad_input, error.what()));
      return nbexec::exit_code::bad_input;
    }
    int code = app.exit(error);
    return code == 0 ? 0 : nbexec::exit_code::bad_input;
  }
  try {
    if (app.got_subcommand("run")) return run_action();
    if (app.got_subcommand("sweep")) return sweep_action();
    if (app.got_subcommand("kernelspecs")) return kernelspecs_action();
    if (app.got_subcommand("inspect")) return inspect_action();
    if (app.got_subcommand("render")) return render_action();
  } catch (const std::exception& error) {
    return nbexec::cli::report_error(error);
  }
  std::cout << app.help();
  return nbexec::exit_code::bad_input;
}
