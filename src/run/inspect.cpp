#include <nbexec/inspect.hpp>

#include <nbexec/notebook/read.hpp>
#include <nbexec/params/path/path_template.hpp>

namespace nbexec {
namespace {

Inspection inspect_loaded(const notebook::Notebook& nb, std::string path,
                          const InspectOptions& options) {
  Inspection out;
  out.parameters = params::inspect_notebook_parameters(nb, options.kernel_name, options.language);
  out.schema = params::parameters_json_schema(out.parameters, path);
  out.path = std::move(path);
  return out;
}

}  // namespace

Inspection inspect_notebook(const std::filesystem::path& path, const InspectOptions& options) {
  // papermill's inspect_notebook fills in the path first, so a templated input path works.
  std::string filled = params::parameterize_path(
      path.string(), options.parameters, params::make_builtin_parameters(), "notebook path");
  const notebook::Notebook nb = notebook::load_notebook(filled);
  return inspect_loaded(nb, std::move(filled), options);
}

Inspection inspect_notebook_text(std::string_view text, const InspectOptions& options,
                                 std::string_view title) {
  const notebook::Notebook nb = notebook::parse_notebook_text(text, "<string>");
  Inspection out = inspect_loaded(nb, std::string(title), options);
  if (title.empty()) out.path = "<string>";
  return out;
}

std::vector<ParameterProblem> check_notebook_parameters_text(std::string_view text,
                                                             const params::Parameters& supplied,
                                                             const InspectOptions& options) {
  const notebook::Notebook nb = notebook::parse_notebook_text(text, "<notebook>");
  const auto declared =
      params::inspect_notebook_parameters(nb, options.kernel_name, options.language);
  return params::check_parameters(supplied, declared);
}

}  // namespace nbexec
