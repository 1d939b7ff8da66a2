#include "run/sweep_preflight.hpp"

#include "run/prepare.hpp"
#include "run/run_reporter.hpp"

#include <nbexec/error.hpp>
#include <nbexec/params/path/path_template.hpp>
#include <nbexec/secrets.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <system_error>

namespace nbexec::run_detail {
namespace {

using json = nlohmann::json;

// One input notebook, read once however many runs use it.
struct Input {
  notebook::Notebook nb;
  std::string kernel_name;
  std::string language;
};

void add_unique(std::vector<std::string>& names, const std::string& name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
}

}  // namespace

std::vector<std::string> notebook_preload(const notebook::Notebook& nb, const std::string& origin) {
  std::vector<std::string> names;
  const json& document = nb.document();
  const auto metadata = document.find("metadata");
  if (metadata == document.end() || !metadata->is_object()) return names;
  const auto ours = metadata->find("nbexec");
  if (ours == metadata->end() || !ours->is_object()) return names;
  const auto preload = ours->find("preload");
  if (preload == ours->end() || preload->is_null()) return names;
  if (!preload->is_array()) {
    throw NotebookError(origin + ": metadata.nbexec.preload must be a list of module names, not " +
                        std::string(preload->type_name()));
  }
  for (std::size_t i = 0; i < preload->size(); ++i) {
    const json& name = (*preload)[i];
    if (!name.is_string() || name.get_ref<const std::string&>().empty()) {
      throw NotebookError(origin + ": metadata.nbexec.preload/" + std::to_string(i) +
                          " must be a module name (a non-empty string), not " + name.dump());
    }
    names.push_back(name.get<std::string>());
  }
  return names;
}

SweepPreflight preflight_sweep(const SweepOptions& options) {
  if (options.run.input_path == "-") {
    // Every run reads the notebook again; standard input can be read only once.
    throw UsageError("a sweep cannot read its notebook from standard input: give a file");
  }
  SweepPreflight preflight;
  SweepPlanOptions plan_options;
  plan_options.grid = options.grid;
  plan_options.fixed = options.run.parameters;
  plan_options.output_template = options.output_template;
  plan_options.shard = options.shard;
  preflight.plan = plan_sweep(plan_options);

  // A working directory the kernels cannot start in would fail every run; say it once, now.
  if (options.run.cwd) {
    std::error_code error;
    if (!std::filesystem::is_directory(*options.run.cwd, error)) {
      throw UsageError("working directory " + options.run.cwd->string() + ": " +
                           (std::filesystem::exists(*options.run.cwd, error) ? "not a directory"
                                                                             : "no such directory"),
                       Remedy::working_directory);
    }
  }
  for (const std::string& name : options.preload) add_unique(preflight.preload, name);
  const params::BuiltinParameters builtins = params::make_builtin_parameters();
  // The check's warnings are said by each run when it runs; here they would be said twice.
  RunOptions quiet = options.run;
  quiet.log = nullptr;
  quiet.on_event = nullptr;
  quiet.output = nullptr;
  const RunReporter silent(quiet);

  // Input paths may name parameters (papermill allows it), so runs may read different files;
  // each is read, validated and inspected once.
  std::map<std::string, Input> inputs;
  std::map<std::string, kernel::KernelSpec> specs;
  kernel::SearchOptions search;
  search.env_prefix = options.run.env_prefix;
  std::optional<std::vector<std::filesystem::path>> search_path;
  for (const SweepRun& run : preflight.plan.runs) {
    RunOptions run_options = quiet;
    run_options.parameters = run.parameters;
    run_options.output_path = run.output_path;
    check_secrets(run_options);  // a grid name may be a secret's too
    Prepared prepared;
    prepared.output_path = run.output_path;
    try {
      prepared.input_path = params::parameterize_path(options.run.input_path.string(),
                                                      run.parameters, builtins, "input path");
      auto input = inputs.find(prepared.input_path.string());
      if (input == inputs.end()) {
        Input loaded;
        loaded.nb = load_input_notebook(prepared.input_path);
        loaded.kernel_name = resolve_kernel_name(options.run, loaded.nb, prepared.input_path);
        loaded.language =
            options.run.language.empty() ? loaded.nb.language() : options.run.language;
        for (const std::string& name : notebook_preload(loaded.nb, prepared.input_path.string()))
          add_unique(preflight.preload, name);
        input = inputs.emplace(prepared.input_path.string(), std::move(loaded)).first;
      }
      prepared.kernel_name = input->second.kernel_name;
      prepared.language = input->second.language;
      check_supplied_parameters(run_options, input->second.nb, prepared, silent);
    } catch (const ParameterError& error) {
      throw ParameterError("run " + std::to_string(run.index) + ": " + error.what(),
                           error.remedy());
    }
    // A kernel name nobody has is refused before anything starts, as run_notebook does.
    if (specs.find(prepared.kernel_name) == specs.end()) {
      if (!search_path) search_path = kernel::kernelspec_search_path(search);
      specs.emplace(prepared.kernel_name,
                    kernel::find_kernelspec(prepared.kernel_name, *search_path));
    }
    if (specs.size() == 1 && preflight.spec.name.empty()) {
      preflight.spec = specs.at(prepared.kernel_name);
    }
  }
  return preflight;
}

}  // namespace nbexec::run_detail
