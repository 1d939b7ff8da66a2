// Parameter sources seen from Python: papermill's -b/-f/-y/-p/-r merge, for launchers that
// take the same inputs as the CLI.
#include "bindings.hpp"
#include "convert.hpp"

#include <nbexec/parameters.hpp>

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace nbexec::python {

void bind_sources(py::module_& m) {
  m.def(
      "merge_parameters",
      [](std::vector<std::string> base64_yaml, std::vector<std::filesystem::path> files,
         std::vector<std::string> yaml, std::vector<std::pair<std::string, std::string>> inferred,
         std::vector<std::pair<std::string, std::string>> raw) {
        params::ParameterSources sources;
        sources.base64_yaml = std::move(base64_yaml);
        sources.files = std::move(files);
        sources.yaml = std::move(yaml);
        sources.inferred = std::move(inferred);
        sources.raw = std::move(raw);
        return to_python(params::merge_parameters(sources));
      },
      py::arg("base64_yaml"), py::arg("files"), py::arg("yaml"), py::arg("inferred"),
      py::arg("raw"),
      "papermill's merge of -b, -f, -y, -p and -r, in that order; a later value wins.");
}

}  // namespace nbexec::python
