// Parameter inspection seen from Python: the raw material of nbexec.inspect_notebook.
#include "bindings.hpp"
#include "convert.hpp"

#include <nbexec/inspect.hpp>

#include <string>

namespace py = pybind11;

namespace nbexec::python {
namespace {

py::dict parameter_to_python(const ParameterInfo& info) {
  py::dict out;
  out["name"] = info.name;
  out["inferred_type_name"] = info.inferred_type_name;
  out["default"] = info.default_text;
  out["help"] = info.help;
  out["kind"] = std::string(value_kind_name(info.kind()));
  out["declared_kind"] = std::string(value_kind_name(info.declared_kind));
  out["default_kind"] = std::string(value_kind_name(info.default_kind));
  out["nullable"] = info.nullable;
  if (info.default_value) out["default_value"] = to_python(*info.default_value);
  return out;
}

Inspection inspect_text(const std::string& text, const std::string& kernel_name,
                        const std::string& language, const std::string& title = {}) {
  InspectOptions options;
  options.kernel_name = kernel_name;
  options.language = language;
  return inspect_notebook_text(text, options, title);
}

}  // namespace

void bind_inspect(py::module_& m) {
  m.def(
      "inspect_notebook_text",
      [](const std::string& text, const std::string& kernel_name, const std::string& language) {
        const auto found = inspect_text(text, kernel_name, language).parameters;
        py::list parameters;
        for (const auto& info : found.parameters) parameters.append(parameter_to_python(info));
        py::dict out;
        out["has_parameters_cell"] = found.has_parameters_cell;
        out["language"] = found.language;
        py::list warnings;
        for (const auto& warning : found.warnings) warnings.append(warning);
        out["warnings"] = std::move(warnings);
        out["parameters"] = std::move(parameters);
        return out;
      },
      py::arg("text"), py::arg("kernel_name") = "", py::arg("language") = "",
      "The parameters of a notebook (JSON text): {'has_parameters_cell', 'language', "
      "'warnings', 'parameters': [{name, inferred_type_name, default, help, kind, "
      "declared_kind, default_kind, nullable, default_value (when known)}]}.");
  m.def(
      "parameters_json_schema",
      [](const std::string& text, const std::string& kernel_name, const std::string& language,
         const std::string& title) {
        return to_python(inspect_text(text, kernel_name, language, title).schema);
      },
      py::arg("text"), py::arg("kernel_name") = "", py::arg("language") = "", py::arg("title") = "",
      "A JSON Schema (draft 2020-12) of the notebook's parameters, as a dict.");
}

}  // namespace nbexec::python
