#include "commands.hpp"
#include "notebook_help.hpp"
#include "parameter_options.hpp"

#include <nbexec/inspect.hpp>

#include <iostream>
#include <memory>

namespace nbexec::cli {
namespace {

struct InspectArgs {
  std::string notebook;
  ParameterArgs parameters;
  std::string kernel;
  std::string language;
  bool json = false;
};

int inspect(const InspectArgs& args) {
  InspectOptions options;
  options.parameters = merge_parameter_args(args.parameters, args.notebook, "");
  options.kernel_name = args.kernel;
  options.language = args.language;
  const Inspection found = inspect_notebook(args.notebook, options);
  for (const auto& warning : found.parameters.warnings) {
    std::cerr << "nbexec: warning: " << found.path << ": " << warning << "\n";
  }
  if (args.json) {
    std::cout << found.schema.dump(2) << "\n";
  } else {
    print_parameter_table(found.parameters, std::cout);
  }
  return 0;
}

}  // namespace

Action add_inspect_command(CLI::App& app) {
  auto args = std::make_shared<InspectArgs>();
  auto* command = app.add_subcommand(
      "inspect",
      "Show the parameters a notebook declares in its cell tagged 'parameters': name, type,\n"
      "default and help, read without starting a kernel (Python, R and Julia cells).");
  command->add_option("NOTEBOOK", args->notebook, "Notebook to inspect; - reads standard input")
      ->required();
  command->add_flag("--json", args->json,
                    "Print a JSON Schema (draft 2020-12) of the parameters instead of a table");
  command->add_option("-k,--kernel", args->kernel, "Kernel name; default: the notebook's");
  command->add_option("-l,--language", args->language, "Language; default: the notebook's");
  add_parameter_options(command, args->parameters, false);
  command->footer(
      "Parameter options only fill in {names} in the notebook path, as with `run`.\n"
      "Examples:\n"
      "  nbexec inspect analysis.ipynb\n"
      "  nbexec inspect analysis.ipynb --json > params.schema.json");
  return [args]() { return inspect(*args); };
}

}  // namespace nbexec::cli
