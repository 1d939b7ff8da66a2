#include "cli/commands.hpp"
#include "cli/notebook_help.hpp"
#include "cli/parameter_options.hpp"

#include <nbexec/notebook/read.hpp>
#include <nbexec/params/inspect/inspect.hpp>
#include <nbexec/params/path/path_template.hpp>

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
  const params::Parameters given = merge_parameter_args(args.parameters, args.notebook, "");
  const std::string path = params::parameterize_path(
      args.notebook, given, params::make_builtin_parameters(), "notebook path");
  const notebook::Notebook nb = notebook::load_notebook(path);
  const params::NotebookParameters found =
      params::inspect_notebook_parameters(nb, args.kernel, args.language);
  for (const auto& warning : found.warnings) {
    std::cerr << "nbexec: warning: " << path << ": " << warning << "\n";
  }
  if (args.json) {
    std::cout << params::parameters_json_schema(found, path).dump(2) << "\n";
  } else {
    print_parameter_table(found, std::cout);
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
