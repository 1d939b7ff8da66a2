// The facade's run job seen from Python: RunOptions and RunResult as classes, ParameterCheck as
// an enum, and run() releasing the GIL while the kernel works.
#include "bindings.hpp"
#include "convert.hpp"
#include "released_call.hpp"

#include <nbexec/error.hpp>
#include <nbexec/kernel_pool.hpp>
#include <nbexec/run.hpp>

#include <pybind11/functional.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace py = pybind11;

namespace nbexec::python {
namespace {

using std::chrono::milliseconds;

milliseconds seconds_to_ms(double seconds, const char* name) {
  if (!(seconds >= 0)) throw py::value_error(std::string(name) + " must be >= 0");
  return milliseconds(static_cast<long long>(seconds * 1000));
}

double ms_to_seconds(milliseconds ms) {
  return static_cast<double>(ms.count()) / 1000.0;
}

// The callbacks a run reports through, held as Python objects; each is called with the GIL.
struct Callbacks {
  py::object log;     // log(level_name, line)
  py::object output;  // output(cell_index, output_dict)
  py::object event;   // event(event_dict), only for the kinds in `kinds`
  std::set<std::string> kinds;
};

// Runs `options` on a worker thread so that this (usually the main) thread can look for
// signals every 100 ms: Python runs its SIGINT handler only on the main thread, so a
// KeyboardInterrupt during a silent long cell would otherwise wait for the cell to end.
RunResult run_with_callbacks(RunOptions options, const Callbacks& callbacks) {
  // A KeyboardInterrupt (or any pending signal) stops the run between kernel messages, and so
  // does a callback that raises (papermill lets an exception in its output handling end the
  // run); the notebook is still saved, and the callback's exception raised after.
  ReleasedCall call;
  options.cancel = &call.cancel();
  if (!callbacks.log.is_none()) {
    options.log = [&](LogLevel level, const std::string& line) {
      call.call_back([&] { callbacks.log(log_level_name(level), line); });
    };
  }
  if (!callbacks.output.is_none()) {
    options.output = [&](std::size_t index, const nlohmann::json& out) {
      call.call_back([&] { callbacks.output(index, to_python(out)); });
    };
  }
  if (!callbacks.event.is_none() && !callbacks.kinds.empty()) {
    options.on_event = [&](const RunEvent& e) {
      const auto kind = e.find("event");
      if (kind == e.end() || !kind->is_string() || !callbacks.kinds.count(kind->get<std::string>()))
        return;
      call.call_back([&] { callbacks.event(to_python(e)); });
    };
  }
  RunResult result;
  call.run([&] { result = run_notebook(options); });
  result.cancelled = result.cancelled || call.cancel().load();
  return result;
}

void bind_options(py::module_& m) {
  py::enum_<ParameterCheck>(m, "ParameterCheck",
                            "How supplied parameters are checked against the parameters cell.")
      .value("strict", ParameterCheck::strict, "unknown names and contradicting types raise")
      .value("warn", ParameterCheck::warn,
             "unknown names and contradicting types are warnings (papermill's surfaces)")
      .value("warn_unknown", ParameterCheck::warn_unknown,
             "unknown names are warnings; types are still checked")
      .value("off", ParameterCheck::off, "no type check; unknown names are warnings");

  py::class_<RunOptions>(m, "RunOptions", "Everything one papermill-style run needs.")
      .def(py::init<>())
      .def_readwrite("input_path", &RunOptions::input_path)
      .def_readwrite("output_path", &RunOptions::output_path)
      .def_property(
          "parameters", [](const RunOptions& o) { return to_python(o.parameters); },
          [](RunOptions& o, py::handle value) { o.parameters = parameters_from(value); })
      .def_readwrite("kernel_name", &RunOptions::kernel_name)
      .def_readwrite("language", &RunOptions::language)
      .def_readwrite("cwd", &RunOptions::cwd)
      .def_property(
          "start_timeout", [](const RunOptions& o) { return ms_to_seconds(o.start_timeout); },
          [](RunOptions& o, double s) { o.start_timeout = seconds_to_ms(s, "start_timeout"); },
          "seconds")
      .def_property(
          "execution_timeout",
          [](const RunOptions& o) -> std::optional<double> {
            if (!o.execution_timeout) return std::nullopt;
            return ms_to_seconds(*o.execution_timeout);
          },
          [](RunOptions& o, std::optional<double> s) {
            if (s && *s > 0) {
              o.execution_timeout = seconds_to_ms(*s, "execution_timeout");
            } else {
              o.execution_timeout.reset();
            }
          },
          "seconds per cell; None (or 0) for no limit")
      .def_readwrite("interrupt_on_timeout", &RunOptions::interrupt_on_timeout)
      .def_property(
          "deadline",
          [](const RunOptions& o) -> std::optional<double> {
            if (!o.deadline) return std::nullopt;
            return ms_to_seconds(*o.deadline);
          },
          [](RunOptions& o, std::optional<double> s) {
            if (!s) {
              o.deadline.reset();
              return;
            }
            // The whole run's limit: zero or less (or NaN) is a mistake, not "no limit".
            if (!(*s >= 0.001 && *s <= 1e9)) {
              throw py::value_error(
                  "deadline must be a number of seconds from 0.001 to 1e9, "
                  "or None");
            }
            o.deadline = seconds_to_ms(*s, "deadline");
          },
          "seconds for the whole run, kernel start included; None: no limit")
      .def_readwrite("request_save_on_cell_execute", &RunOptions::request_save_on_cell_execute)
      .def_property(
          "autosave_cell_every",
          [](const RunOptions& o) { return ms_to_seconds(o.autosave_cell_every); },
          [](RunOptions& o, double s) {
            o.autosave_cell_every = seconds_to_ms(s, "autosave_cell_every");
          },
          "seconds; 0 disables")
      // --- secrets (issue 20) ---
      .def_readwrite("secrets", &RunOptions::secrets,
                     "NAME -> value: parameters the kernel gets and nothing else sees")
      .def_readwrite("allow_insecure_secrets", &RunOptions::allow_insecure_secrets,
                     "send secrets over a wire that is not private (tcp without encryption)")
      // --- Transport and encryption ---
      .def_readwrite("transport", &RunOptions::transport,
                     "\"auto\" (ipc, else tcp), \"ipc\", \"tcp\"")
      .def_readwrite("encryption", &RunOptions::encryption,
                     "CurveZMQ: \"off\", \"auto\" (when the kernelspec declares it), "
                     "\"required\"")
      // --- end of transport and encryption ---
      .def_readwrite("allow_errors", &RunOptions::allow_errors)
      .def_readwrite("report_mode", &RunOptions::report_mode)
      .def_readwrite("parameter_check", &RunOptions::parameter_check)
      .def_readwrite("prepare_only", &RunOptions::prepare_only)
      .def_readwrite("env_prefix", &RunOptions::env_prefix)
      .def_readwrite("kernels", &RunOptions::kernels,
                     "a KernelPool the run draws a fresh kernel from; None starts its own");
}

void bind_result(py::module_& m) {
  // The cell error that ended a run, with papermill's PapermillExecutionError fields; nbexec's
  // Python ExecutionError is raised from it.
  py::class_<ExecutionError>(m, "CellFailure", "The cell error that stopped a run.")
      .def_readonly("cell_index", &ExecutionError::cell_index)
      .def_readonly("exec_count", &ExecutionError::exec_count)
      .def_readonly("source", &ExecutionError::source)
      .def_readonly("ename", &ExecutionError::ename)
      .def_readonly("evalue", &ExecutionError::evalue)
      .def_readonly("traceback", &ExecutionError::traceback);

  py::class_<RunResult>(m, "RunResult", "What a run produced.")
      .def_property_readonly(
          "notebook", [](const RunResult& r) { return to_python(r.notebook.document()); },
          "the executed notebook as a dict (line lists joined, as nbformat.read gives them)")
      .def_readonly("input_path", &RunResult::input_path)
      .def_readonly("output_path", &RunResult::output_path)
      .def_readonly("failure", &RunResult::failure)
      .def_readonly("cancelled", &RunResult::cancelled)
      .def_readonly("timed_out_cells", &RunResult::timed_out_cells)
      .def_readonly("cells_executed", &RunResult::cells_executed)
      .def_readonly("saves", &RunResult::saves)
      .def_readonly("bytes_written", &RunResult::bytes_written);
}

}  // namespace

void bind_run(py::module_& m) {
  bind_options(m);
  bind_result(m);
  m.def(
      "run",
      [](const RunOptions& options, py::object log, py::object output, py::object event,
         const std::vector<std::string>& event_kinds) {
        Callbacks callbacks{std::move(log), std::move(output), std::move(event),
                            std::set<std::string>(event_kinds.begin(), event_kinds.end())};
        return run_with_callbacks(options, callbacks);
      },
      py::arg("options"), py::arg("log") = py::none(), py::arg("output") = py::none(),
      py::arg("event") = py::none(), py::arg("event_kinds") = std::vector<std::string>{},
      "Load, parameterize, execute and save a notebook; the GIL is released while the kernel "
      "runs. log(level, line), output(cell_index, output) and event(event) (only the kinds in "
      "event_kinds) are called as the run goes; an exception in one stops the run and is "
      "raised after the final save.");
  m.def("resolve_strict_parameters", &resolve_strict_parameters, py::arg("choice"),
        py::arg("surface_default"),
        "The strictness switch: `choice` when not None, else NBEXEC_STRICT_PARAMETERS, else "
        "`surface_default`; a value of the variable that is not a yes or a no raises "
        "UsageError.");
  m.attr("STRICT_PARAMETERS_VARIABLE") = strict_parameters_variable;
}

}  // namespace nbexec::python
