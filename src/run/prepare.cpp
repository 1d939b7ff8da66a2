#include "run/prepare.hpp"

#include "core/json_fields.hpp"
#include "run/papermill_metadata.hpp"
#include "run/run_reporter.hpp"
#include "run/secret_injection.hpp"

#include <nbexec/error.hpp>
#include <nbexec/notebook/read.hpp>
#include <nbexec/notebook/validate.hpp>
#include <nbexec/params/check/check.hpp>
#include <nbexec/params/inject/inject.hpp>
#include <nbexec/params/inspect/inspect.hpp>
#include <nbexec/params/path/path_template.hpp>
#include <nbexec/secrets.hpp>

#include <algorithm>

namespace nbexec::run_detail {
namespace {

using json = nlohmann::json;

// papermill's own warning for a name the parameters cell does not define (its
// execute_notebook logs it, word for word, before injecting the value anyway).
std::string papermill_unknown_warning(const std::string& name) {
  return "Passed unknown parameter: " + name;
}

// Warning modes say what papermill says for an unknown name: the drop-in surfaces log the
// lines papermill users already grep for.
bool papermill_wording(ParameterCheck check) {
  return check == ParameterCheck::warn || check == ParameterCheck::off;
}

// papermill's loop over what was passed, in its order: every name the cell does not define,
// the --inject-paths names included, gets its line.
void log_papermill_unknown_names(const params::Parameters& supplied,
                                 const params::NotebookParameters& declared,
                                 const RunReporter& reporter) {
  for (auto it = supplied.begin(); it != supplied.end(); ++it) {
    const bool defined = std::any_of(declared.parameters.begin(), declared.parameters.end(),
                                     [&](const auto& info) { return info.name == it.key(); });
    if (!defined) reporter.log(LogLevel::warning, papermill_unknown_warning(it.key()));
  }
}

// A notebook nbformat calls invalid is refused before anything runs: its output could not be
// valid either. This is the document as nbformat.read hands it to papermill (line lists joined,
// missing or repeated cell ids of 4.5 replaced), so what papermill runs after logging "Notebook
// JSON is invalid" is exit 2 here, and nothing else is.
void check_schema(const notebook::Notebook& nb, const std::filesystem::path& input_path) {
  const auto problems = notebook::validate_notebook(nb.document());
  if (problems.empty()) return;
  const auto& first = problems.front();
  std::string message = input_path.string() + ": " + (first.path.empty() ? "" : first.path + ": ") +
                        first.message + " (not a valid nbformat 4 notebook";
  if (problems.size() > 1)
    message += "; " + std::to_string(problems.size() - 1) + " more problem(s)";
  throw NotebookError(message + ")");
}

// papermill's report mode hides the source of every code cell; other metadata.jupyter keys
// are kept (papermill replaces the whole mapping).
void hide_code_sources(notebook::Notebook& nb) {
  for (json& cell : nb.cells()) {
    if (!cell.is_object() || nbexec::detail::string_field(cell, "cell_type") != "code") continue;
    json& metadata = cell["metadata"];
    if (!metadata.is_object()) metadata = json::object();
    json& jupyter = metadata["jupyter"];
    if (!jupyter.is_object()) jupyter = json::object();
    jupyter["source_hidden"] = true;
  }
}

// papermill records where the notebook came from and went. What it was given is recorded by
// inject_parameters, and only when some were given (papermill's parameterize_notebook): a run
// without any keeps those an earlier run recorded.
void record_papermill_metadata(notebook::Notebook& nb, const Prepared& prepared) {
  json& papermill = nb.metadata()["papermill"];
  if (!papermill.is_object()) papermill = json::object();
  papermill["input_path"] = prepared.input_path.string();
  papermill["output_path"] =
      prepared.output_path.empty() ? json(nullptr) : json(prepared.output_path.string());
}

}  // namespace

std::string resolve_kernel_name(const RunOptions& options, const notebook::Notebook& nb,
                                const std::filesystem::path& input_path) {
  if (!options.kernel_name.empty()) return options.kernel_name;
  std::string name = nb.kernel_name();
  if (name.empty()) {
    throw UsageError(
        input_path.string() + ": the notebook names no kernel (metadata.kernelspec.name)",
        Remedy::kernel_name);
  }
  return name;
}

void check_supplied_parameters(const RunOptions& options, const notebook::Notebook& nb,
                               const Prepared& prepared, const RunReporter& reporter) {
  // Secrets are checked by name, with their placeholder: no message can quote a value.
  const params::Parameters supplied = parameters_with_placeholders(options);
  if (supplied.empty()) return;
  const ParameterCheck check = options.parameter_check;
  params::NotebookParameters declared;
  try {
    declared = params::inspect_notebook_parameters(nb, prepared.kernel_name, prepared.language);
  } catch (const ParameterError& error) {
    reporter.log(LogLevel::warning,
                 std::string("parameters not checked against the notebook: ") + error.what());
    // papermill finds no parameters there either, and calls each one unknown.
    if (papermill_wording(check)) log_papermill_unknown_names(supplied, {}, reporter);
    return;
  }
  if (papermill_wording(check)) log_papermill_unknown_names(supplied, declared, reporter);
  std::string errors;
  for (const auto& problem : params::check_parameters(supplied, declared)) {
    const bool unknown = problem.kind == params::ParameterProblem::Kind::unknown_name;
    if (unknown && papermill_wording(check)) continue;  // said above, in papermill's words
    if (check == ParameterCheck::off) continue;         // no type check
    // Lines the grammar could not read may hold the definition: an unknown name is then
    // only a warning.
    const bool as_warning =
        check == ParameterCheck::warn ||
        (unknown && (check == ParameterCheck::warn_unknown || !declared.warnings.empty()));
    if (as_warning) {
      reporter.log(LogLevel::warning, problem.message);
    } else {
      errors += (errors.empty() ? "" : "; ") + problem.message;
    }
  }
  if (!errors.empty()) {
    throw ParameterError(prepared.input_path.string() + ": " + errors,
                         Remedy::relax_parameter_check);
  }
}

notebook::Notebook load_input_notebook(const std::filesystem::path& input_path) {
  notebook::Notebook nb = notebook::load_notebook(input_path);
  check_schema(nb, input_path);
  // papermill's load_notebook_node: every notebook is brought to nbformat 4.5 and given the
  // papermill metadata keys before anything else happens.
  notebook::upgrade_to_current_minor(nb);
  add_papermill_defaults(nb);
  return nb;
}

Prepared prepare_notebook(const RunOptions& options, notebook::Notebook& nb,
                          const RunReporter& reporter) {
  check_secrets(options);  // before anything is read or written
  Prepared prepared;
  const params::BuiltinParameters builtins = params::make_builtin_parameters();
  prepared.input_path = params::parameterize_path(options.input_path.string(), options.parameters,
                                                  builtins, "input path");
  if (!options.output_path.empty()) {
    prepared.output_path = params::parameterize_path(options.output_path.string(),
                                                     options.parameters, builtins, "output path");
  }
  reporter.log(LogLevel::info, "Input Notebook:  " + prepared.input_path.string());
  reporter.log(LogLevel::info,
               "Output Notebook: " +
                   (prepared.output_path.empty() ? "(none)" : prepared.output_path.string()));

  nb = load_input_notebook(prepared.input_path);
  prepared.kernel_name = resolve_kernel_name(options, nb, prepared.input_path);
  prepared.language = options.language.empty() ? nb.language() : options.language;

  check_supplied_parameters(options, nb, prepared, reporter);
  const params::Parameters written = parameters_with_placeholders(options);
  if (!written.empty()) {
    auto injected = params::inject_parameters(nb, written, prepared.kernel_name, prepared.language,
                                              options.report_mode, injected_comment(options));
    prepare_secret_source(options, nb, injected.cell_index, prepared.kernel_name, prepared.language,
                          prepared);
    if (injected.placement == params::InjectPlacement::at_top_no_parameters) {
      // papermill's words, so logs read the same whichever tool ran the notebook.
      reporter.log(LogLevel::warning,
                   "Input notebook does not contain a cell with tag 'parameters'");
    }
  }
  if (options.report_mode) hide_code_sources(nb);
  record_papermill_metadata(nb, prepared);
  remove_error_markers(nb);
  return prepared;
}

}  // namespace nbexec::run_detail
