// Parameter rendering seen from Python.
#include "bindings.hpp"
#include "convert.hpp"

#include <nbexec/params/translate.hpp>

#include <string>

namespace py = pybind11;

namespace nbexec::python {

void bind_translators(py::module_& m) {
  m.def(
      "render_parameters",
      [](py::dict parameters, const std::string& kernel_name, const std::string& language,
         const std::string& comment) {
        auto values = to_ordered_json(parameters, "parameters");
        return params::render_parameters_source(values, kernel_name, language, comment);
      },
      py::arg("parameters"), py::arg("kernel_name"), py::arg("language"),
      py::arg("comment") = "Parameters",
      "The source of the injected-parameters cell, as papermill's translator for the kernel "
      "(then language) writes it.");
}

}  // namespace nbexec::python
