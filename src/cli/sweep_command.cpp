#include "commands.hpp"
#include "console.hpp"
#include "event_log.hpp"
#include "parameter_options.hpp"
#include "progress_bar.hpp"
#include "run_options.hpp"
#include "signals.hpp"
#include "sweep_events.hpp"
#include "sweep_progress.hpp"
#include "sweep_report.hpp"
#include "sweep_summary.hpp"

#include <nbexec/error.hpp>
#include <nbexec/sweep.hpp>
#include <nbexec/version.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace nbexec::cli {

namespace {

struct SweepArgs {
  std::shared_ptr<RunArgs> run = std::make_shared<RunArgs>();  // input, output = the template
  std::string grid;
  std::size_t jobs = 0;  // 0: the number of CPUs
  std::string shard;
  bool fail_fast = false;
  std::vector<std::string> preload;
  bool no_fork = false;
  std::string summary;
  bool dry_run = false;
};

// The grid file's text; a missing or unreadable file is bad input (exit 2) naming it.
std::string read_grid_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw UsageError("grid file '" + path + "': is a directory");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw UsageError("grid file '" + path + "': cannot read it: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) throw UsageError("grid file '" + path + "': cannot read it");
  return text.str();
}

// --preload names modules the kernel's template imports, so only dotted Python names pass.
std::vector<std::string> preload_modules(const std::vector<std::string>& given) {
  std::vector<std::string> modules;
  for (const std::string& name : given) {
    if (name.empty()) continue;
    bool ok = true, start = true;
    for (char c : name) {
      const bool letter = std::isalpha(static_cast<unsigned char>(c)) || c == '_';
      const bool digit = std::isdigit(static_cast<unsigned char>(c));
      if (c == '.') {
        ok = ok && !start;
        start = true;
      } else {
        ok = ok && (letter || (digit && !start));
        start = false;
      }
    }
    if (!ok || start) throw UsageError("--preload: '" + name + "' is not a Python module name");
    if (std::find(modules.begin(), modules.end(), name) == modules.end()) modules.push_back(name);
  }
  return modules;
}

// -j: CLI11's own check would print the whole range of a double.
std::string check_jobs(std::string& text) {
  const bool digits =
      !text.empty() && text.size() <= 6 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits && std::stoul(text) >= 1) return {};
  return "--jobs takes a whole number of runs at once, 1 or more, not '" + text + "'";
}

std::size_t resolve_jobs(std::size_t jobs) {
  if (jobs > 0) return jobs;
  return std::max(1u, std::thread::hardware_concurrency());
}

// --dry-run: the plan as a table on standard output, nothing run or written.
int print_plan(const SweepPlan& plan, const std::vector<std::string>& names) {
  std::cout << plan.runs.size() << " of " << plan.total_runs << " runs";
  if (plan.shard.count > 1)
    std::cout << " (shard " << plan.shard.index << "/" << plan.shard.count << ")";
  std::cout << "\n";
  for (const SweepRun& run : plan.runs) {
    std::cout << run.index << "  " << run.output_path.string() << "  "
              << compact_values(run.parameters, names) << "\n";
  }
  return exit_code::success;
}

int sweep(const SweepArgs& args) {
  const RunArgs& run = *args.run;
  const bool json = run.log_format == "json";
  if (json) {
    json_error_mode().enabled = true;
    json_error_mode().sweep = true;
  }
  if (run.output == "-") {
    throw UsageError("a sweep writes one notebook per run: OUTPUT_TEMPLATE cannot be -");
  }
  std::optional<SummaryFormat> summary;
  if (!args.summary.empty()) summary = summary_format(args.summary);

  SweepPlanOptions plan_options;
  if (!args.shard.empty()) plan_options.shard = parse_sweep_shard(args.shard);
  plan_options.fixed = merge_parameter_args(run.parameters, run.input, run.output);
  plan_options.grid = parse_sweep_grid(read_grid_file(args.grid), args.grid);
  plan_options.output_template = run.output;
  const std::vector<std::string> names = grid_names(plan_options.grid);
  // Planned here too (it is pure and cheap) for --dry-run and the sweep_start counts; run_sweep
  // plans again and checks what only it can (the notebook, the parameters, the kernel).
  const SweepPlan plan = plan_sweep(plan_options);
  if (args.dry_run) return print_plan(plan, names);

  SweepOptions options;
  options.run = run_options(run, plan_options.fixed);
  options.grid = plan_options.grid;
  options.output_template = run.output;
  options.shard = plan_options.shard;
  options.jobs = resolve_jobs(args.jobs);
  options.fail_fast = args.fail_fast;
  options.fork = !args.no_fork;
  options.preload = preload_modules(args.preload);

  Console console;
  SweepReportOptions report_options;
  report_options.threshold = level_rank(run.log_level);
  report_options.names = names;
  report_options.bar = !json && run.progress_bar && stderr_is_terminal();
  report_options.table = !json && (stderr_is_terminal() || isatty(STDOUT_FILENO) == 1);
  SweepStartInfo start{run.input,  run.output,   plan.runs.size(), plan.total_runs,
                       plan.shard, options.jobs, options.preload,  options.fork};
  std::unique_ptr<SweepReport> report =
      json ? make_json_report(console, report_options, start)
           : make_text_report(console, report_options, plan.runs.size());
  report->attach(options);

  SignalGuard signals;
  options.cancel = &signals.cancelled();
  options.cancel_signal = [&signals] { return signals.signal_number(); };
  const SweepResult result = run_sweep(options);

  int code = result.exit_code();
  std::string summary_error;
  if (summary) {
    try {
      write_summary(args.summary, *summary, result.records);
    } catch (const Error& error) {
      summary_error = error.what();
      if (code == exit_code::success) code = exit_code::bad_input;
    }
  }
  report->finish(result, code, summary_error);
  return code;
}

}  // namespace

Action add_sweep_command(CLI::App& app) {
  auto args = std::make_shared<SweepArgs>();
  auto* command = app.add_subcommand(
      "sweep",
      "Run a notebook once per set of parameters in a grid file, several at a time, each run\n"
      "on a fresh kernel (docs/sweeps.md). Every output notebook is the one `nbexec run` would\n"
      "write; a failing run does not stop the others.");
  command->set_version_flag("--version", std::string("nbexec ") + std::string(nbexec::version),
                            "Print the version and exit");
  command->add_option("NOTEBOOK", args->run->input, "Notebook to execute")->required();
  command
      ->add_option("OUTPUT_TEMPLATE", args->run->output,
                   "Path of each run's notebook, with {names} of its parameters and {run}, its "
                   "index from 0: 'out/{alpha}-{seed}.ipynb', 'out/run-{run:03d}.ipynb'")
      ->required();
  command
      ->add_option("--grid", args->grid,
                   "YAML or JSON grid: a mapping of names to lists of values (every "
                   "combination) or a list of mappings (one run each)")
      ->type_name("FILE")
      ->required();
  command
      ->add_option("-j,--jobs", args->jobs,
                   "Runs at once, and kernels alive at once (default: the number of CPUs)")
      ->check(CLI::Validator(check_jobs, "N"));
  command
      ->add_option("--shard", args->shard,
                   "Run only slice I of K (0 <= I < K): the runs whose index is I modulo K")
      ->type_name("I/K");
  command->add_flag("--fail-fast", args->fail_fast,
                    "After a run fails, start no new run (running ones finish; the rest are "
                    "'skipped')");
  command
      ->add_option("--preload", args->preload,
                   "Modules the warm Python template imports before it forks kernels: "
                   "numpy,pandas. Repeatable")
      ->delimiter(',')
      ->type_name("MODULES");
  command->add_flag("--no-fork", args->no_fork,
                    "Start every kernel as its own process instead of forking Python kernels "
                    "from a warm template (kernels are still started ahead of need)");
  command
      ->add_option("--summary", args->summary,
                   "Write one row per run at the end (also after failures and signals): "
                   ".csv, or .jsonl/.json for JSON lines")
      ->type_name("FILE");
  command->add_flag("--dry-run", args->dry_run,
                    "Print the runs (index, output path, the grid's values) and run nothing");
  // Fixed values under every run, then run's options (per run).
  add_parameter_options(command, args->run->parameters, false);
  add_run_options(command, args->run, RunFront::sweep);
  command->footer(
      "Examples:\n"
      "  nbexec sweep train.ipynb 'out/{alpha}-{seed}.ipynb' --grid grid.yaml -j 4\n"
      "  nbexec sweep train.ipynb 'out/run-{run:03d}.ipynb' --grid runs.json -p epochs 10\n"
      "  nbexec sweep train.ipynb 'out/{run}.ipynb' --grid grid.yaml --summary results.csv\n"
      "  nbexec sweep train.ipynb 'out/{run}.ipynb' --grid grid.yaml --shard 0/4 --fail-fast\n"
      "  nbexec sweep train.ipynb 'out/{run}.ipynb' --grid grid.yaml --preload numpy,pandas\n"
      "  nbexec sweep train.ipynb 'out/{run}.ipynb' --grid grid.yaml --log-format json\n\n"
      "grid.yaml is either every combination:    or one run per entry:\n"
      "  alpha: [0.1, 0.5]                         - {alpha: 0.1, seed: 1}\n"
      "  seed: [1, 2, 3]                           - {alpha: 0.5, seed: 7}\n"
      "-p/-r/-f/-y/-b give values every run shares; a grid value of the same name wins.\n"
      "Parameters are checked strictly, as by `nbexec run`, for every run before any starts.\n"
      "On a terminal: a progress bar over runs, then a table of the runs; elsewhere one line\n"
      "per finished run. Both end with a total line.\n\n"
      "Exit codes:\n"
      "  0      every run completed\n"
      "  1      some run did not complete (a cell raised, a timeout, the kernel died) or was\n"
      "         skipped by --fail-fast; its notebook is saved as `nbexec run` saves it\n"
      "  2      bad input, nothing started: the grid, a duplicate output path, an unknown or\n"
      "         mistyped parameter in any run, the shard, the kernel name, --summary's type\n"
      "  70     internal error (a bug in nbexec; please report it)\n"
      "  128+N  stopped by signal N (SIGINT 130, SIGTERM 143); running notebooks were saved\n"
      "See docs/sweeps.md, docs/cli.md and docs/events.md.");
  return [args]() { return sweep(*args); };
}

}  // namespace nbexec::cli
