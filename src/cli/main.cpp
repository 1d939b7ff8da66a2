#include "commands.hpp"
#include "event_log.hpp"

#include <nbexec/error.hpp>
#include <nbexec/version.hpp>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

namespace {

// papermill is called as `papermill INPUT OUTPUT ...`; nbexec accepts that form too by
// treating a first argument that is neither an option nor a subcommand as `run`.
std::vector<std::string> with_implicit_run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // `nbexec help [SUBCOMMAND]` is `nbexec [SUBCOMMAND] --help`.
  if (!args.empty() && args[0] == "help") {
    if (args.size() > 1) return {args[1], "--help"};
    return {"--help"};
  }
  if (!args.empty() && !args[0].empty() && args[0][0] != '-' && args[0] != "run" &&
      args[0] != "kernelspecs" && args[0] != "inspect") {
    args.insert(args.begin(), "run");
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "nbexec: run Jupyter notebooks as pipeline steps, papermill-compatible.\n\n"
      "  nbexec run INPUT.ipynb OUTPUT.ipynb -p alpha 0.5 -f params.yaml\n"
      "  nbexec INPUT.ipynb OUTPUT.ipynb ...      (papermill's form, same as run)\n"
      "  nbexec inspect INPUT.ipynb [--json]      (the notebook's parameters and their types)\n"
      "  nbexec kernelspecs                       (list the kernels nbexec can start)\n\n"
      "Exit codes: 0 success, 1 a cell raised, 2 usage or bad input, 3 timeout,\n"
      "4 kernel died or could not start, 70 internal error, 128+N stopped by signal N.\n"
      "`nbexec help [SUBCOMMAND]` is the same as `nbexec [SUBCOMMAND] --help`.",
      "nbexec"};
  app.set_version_flag("-V,--version", std::string("nbexec ") + std::string(nbexec::version),
                       "Print the version and exit");
  app.require_subcommand(0, 1);
  app.footer("Run `nbexec SUBCOMMAND --help` for the options of each subcommand.");

  nbexec::cli::Action run_action = nbexec::cli::add_run_command(app);
  nbexec::cli::Action kernelspecs_action = nbexec::cli::add_kernelspecs_command(app);
  nbexec::cli::Action inspect_action = nbexec::cli::add_inspect_command(app);

  std::vector<std::string> args = with_implicit_run(argc, argv);
  const bool json_log = nbexec::cli::json_log_requested(args);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments reversed
  try {
    app.parse(args);
  } catch (const CLI::ParseError& error) {
    // --help and --version end parsing with code 0 and print to stdout as usual.
    if (error.get_exit_code() != 0 && json_log) {
      // --log-format json: a usage error is a run_end event like any other failure.
      std::cerr << nbexec::cli::event_line(
          nbexec::cli::error_run_end("", nbexec::exit_code::bad_input, error.what()));
      return nbexec::exit_code::bad_input;
    }
    int code = app.exit(error);
    return code == 0 ? 0 : nbexec::exit_code::bad_input;
  }
  try {
    if (app.got_subcommand("run")) return run_action();
    if (app.got_subcommand("kernelspecs")) return kernelspecs_action();
    if (app.got_subcommand("inspect")) return inspect_action();
  } catch (const std::exception& error) {
    return nbexec::cli::report_error(error);
  }
  std::cout << app.help();
  return nbexec::exit_code::bad_input;
}
