// The plan of a sweep seen from Python: a launcher (or a KFP pipeline being built) can list a
// grid's runs, their parameters and output paths, and a shard's slice before anything runs.
#include "bindings.hpp"
#include "convert.hpp"

#include <nbexec/sweep_plan.hpp>

#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace py = pybind11;

namespace nbexec::python {
namespace {

py::list plan_sweep(std::string_view grid_text, const std::string& origin,
                    const std::string& output_template, py::object fixed_parameters,
                    std::optional<std::string> shard) {
  SweepPlanOptions options;
  options.fixed = parameters_from(fixed_parameters);
  options.output_template = output_template;
  SweepPlan plan;
  {
    // The view is the Python str's own UTF-8, kept alive by the caller during the call.
    py::gil_scoped_release unlocked;
    if (shard) options.shard = parse_sweep_shard(*shard);
    options.grid = parse_sweep_grid(grid_text, origin);
    plan = nbexec::plan_sweep(options);
  }
  py::list runs;
  for (const auto& run : plan.runs) {
    py::dict entry;
    entry["index"] = run.index;
    entry["parameters"] = to_python(run.parameters);
    entry["output_path"] = run.output_path.string();
    runs.append(std::move(entry));
  }
  return runs;
}

}  // namespace

void bind_sweep(py::module_& m) {
  m.def("plan_sweep", &plan_sweep, py::arg("grid_text"), py::arg("origin"),
        py::arg("output_template"), py::arg("fixed_parameters"), py::arg("shard") = py::none(),
        "The runs of a sweep grid (YAML or JSON text), or of the shard 'I/K' of it (0-based): "
        "a list of {'index', 'parameters', 'output_path'}, grid values over the fixed ones.");
}

}  // namespace nbexec::python
