// Parameter checking and path templating seen from Python: pipeline-building code calls the
// same check `nbexec run` makes, in-process, before anything is submitted.
#include "bindings.hpp"
#include "convert.hpp"

#include <nbexec/error.hpp>
#include <nbexec/inspect.hpp>
#include <nbexec/parameters.hpp>

#include <string>

namespace py = pybind11;

namespace nbexec::python {
namespace {

py::list check_parameters_text(const std::string& text, py::object parameters,
                               const std::string& kernel_name, const std::string& language) {
  InspectOptions options;
  options.kernel_name = kernel_name;
  options.language = language;
  py::list problems;
  for (const auto& problem :
       check_notebook_parameters_text(text, parameters_from(parameters), options)) {
    py::dict entry;
    entry["kind"] =
        problem.kind == ParameterProblem::Kind::unknown_name ? "unknown_name" : "type_mismatch";
    entry["name"] = problem.name;
    entry["message"] = problem.message;
    problems.append(std::move(entry));
  }
  return problems;
}

std::string parameterize_path(const std::string& path, py::object parameters,
                              const std::string& what) {
  return params::parameterize_path(path, parameters_from(parameters),
                                   params::make_builtin_parameters(), what);
}

}  // namespace

void bind_check(py::module_& m) {
  m.def("check_parameters_text", &check_parameters_text, py::arg("text"), py::arg("parameters"),
        py::arg("kernel_name") = "", py::arg("language") = "",
        "Problems of `parameters` against the notebook's parameters cell: a list of "
        "{'kind': 'unknown_name'|'type_mismatch', 'name', 'message'}.");
  m.def("parameterize_path", &parameterize_path, py::arg("path"), py::arg("parameters"),
        py::arg("what") = "path",
        "papermill's parameterize_path: Python's str.format of the path with the parameters "
        "and the pm built-ins.");
}

}  // namespace nbexec::python
