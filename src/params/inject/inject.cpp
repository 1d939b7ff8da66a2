#include <nbexec/params/inject/inject.hpp>

#include <nbexec/error.hpp>
#include <nbexec/params/translate/render.hpp>

namespace nbexec::params {
namespace {

using notebook::json;

// nbformat's current v4 minor version, the one nbformat.v4.upgrade brings a notebook to.
constexpr int kCurrentMinor = 5;

// papermill's nb_kernel_name / nb_language (utils.py): the override, else the notebook's own
// (Notebook reads both the way papermill does).
std::string kernel_name_for(const notebook::Notebook& nb, std::string_view override_name) {
  if (!override_name.empty()) return std::string(override_name);
  std::string name = nb.kernel_name();
  if (name.empty()) {
    throw ParameterError(
        "no kernel name: the notebook has no metadata.kernelspec.name and none was given");
  }
  return name;
}

std::string language_for(const notebook::Notebook& nb, std::string_view override_language) {
  if (!override_language.empty()) return std::string(override_language);
  std::string language = nb.language();
  if (language.empty()) {
    throw ParameterError(
        "no language: the notebook has neither metadata.language_info.name nor "
        "metadata.kernelspec.language, and none was given");
  }
  return language;
}

}  // namespace

InjectResult inject_parameters(notebook::Notebook& nb, const Parameters& parameters,
                               std::string_view kernel_name, std::string_view language,
                               bool report_mode, std::string_view comment) {
  const std::string kernel = kernel_name_for(nb, kernel_name);
  const std::string lang = language_for(nb, language);
  // Rendered before anything changes, so a parameter that cannot be expressed leaves the
  // notebook untouched.
  const std::string source = render_parameters_source(parameters, kernel, lang, comment);

  const auto cells_it = nb.document().find("cells");
  if (cells_it == nb.document().end() || !cells_it->is_array()) {
    throw NotebookError("cannot inject parameters: the notebook's 'cells' is not a list");
  }
  notebook::upgrade_to_current_minor(nb);

  const auto minor = nb.document().find("nbformat_minor");
  json cell = notebook::new_code_cell(
      source, minor != nb.document().end() && minor->is_number_integer() ? minor->get<int>()
                                                                         : kCurrentMinor);
  cell["metadata"]["tags"] = json::array({"injected-parameters"});
  if (report_mode) cell["metadata"]["jupyter"]["source_hidden"] = true;

  json& cells = nb.cells();
  InjectResult result;
  const long injected = notebook::find_tagged_cell(nb, "injected-parameters");
  const long tagged = notebook::find_tagged_cell(nb, "parameters");
  if (injected >= 0) {
    result = {static_cast<std::size_t>(injected), InjectPlacement::replaced_injected};
    cells[result.cell_index] = std::move(cell);
  } else if (tagged >= 0) {
    result = {static_cast<std::size_t>(tagged) + 1, InjectPlacement::after_parameters};
    cells.insert(cells.begin() + static_cast<std::ptrdiff_t>(result.cell_index), std::move(cell));
  } else {
    result = {0, InjectPlacement::at_top_no_parameters};
    cells.insert(cells.begin(), std::move(cell));
  }

  json& metadata = nb.metadata();
  if (!metadata.contains("papermill") || !metadata["papermill"].is_object()) {
    metadata["papermill"] = json::object();
  }
  // The one place metadata.papermill.parameters is written.
  metadata["papermill"]["parameters"] =
      parameters.is_null() ? json::object() : notebook_value(parameters);
  return result;
}

}  // namespace nbexec::params
