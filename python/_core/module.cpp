// nbexec._core: the C++ core seen from Python. Kept thin: argument conversion, the GIL, and
// exception mapping; the Pythonic API is in python/nbexec/.
#include "bindings.hpp"
#include "convert.hpp"

#include <nbexec/error.hpp>
#include <nbexec/kernel/kernelspec.hpp>
#include <nbexec/notebook/read.hpp>
#include <nbexec/notebook/validate.hpp>
#include <nbexec/notebook/write.hpp>
#include <nbexec/run.hpp>
#include <nbexec/version.hpp>

#include <pybind11/pybind11.h>
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
#include <string_view>
#include <thread>
#include <vector>

namespace py = pybind11;

namespace {

std::chrono::milliseconds seconds_to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

const char* level_name(nbexec::LogLevel level) {
  switch (level) {
    case nbexec::LogLevel::debug:
      return "DEBUG";
    case nbexec::LogLevel::info:
      return "INFO";
    case nbexec::LogLevel::warning:
      return "WARNING";
    case nbexec::LogLevel::error:
      return "ERROR";
  }
  return "INFO";
}

py::object failure_to_python(const nbexec::execute::CellFailure& failure) {
  py::dict out;
  out["cell_index"] = failure.cell_index;
  out["exec_count"] = failure.execution_count ? py::object(py::int_(*failure.execution_count))
                                              : py::object(py::none());
  out["source"] = failure.source;
  out["ename"] = failure.ename;
  out["evalue"] = failure.evalue;
  out["traceback"] = failure.traceback;
  return std::move(out);
}

py::dict run(const std::string& input_path, const std::string& output_path, py::object parameters,
             const std::string& kernel_name, const std::string& language,
             std::optional<std::string> cwd, double start_timeout,
             std::optional<double> execution_timeout, bool allow_errors, bool report_mode,
             bool prepare_only, bool log_output, std::optional<std::string> env_prefix,
             py::object log, py::object output, const std::string& parameter_check,
             bool request_save_on_cell_execute, double autosave_cell_every,
             bool interrupt_on_timeout, py::object event,
             const std::vector<std::string>& event_kinds) {
  nbexec::RunOptions options;
  options.input_path = input_path;
  options.output_path = output_path;
  if (!parameters.is_none()) {
    if (!py::isinstance<py::dict>(parameters)) throw py::type_error("parameters must be a dict");
    options.parameters = nbexec::python::to_ordered_json(parameters, "parameters");
  }
  options.kernel_name = kernel_name;
  options.language = language;
  if (cwd) options.cwd = *cwd;
  options.start_timeout = seconds_to_ms(start_timeout);
  if (execution_timeout && *execution_timeout > 0)
    options.execution_timeout = seconds_to_ms(*execution_timeout);
  options.allow_errors = allow_errors;
  options.interrupt_on_timeout = interrupt_on_timeout;
  options.request_save_on_cell_execute = request_save_on_cell_execute;
  if (autosave_cell_every < 0) throw py::value_error("autosave_cell_every must be >= 0");
  options.autosave_cell_every = seconds_to_ms(autosave_cell_every);
  options.report_mode = report_mode;
  options.prepare_only = prepare_only;
  (void)log_output;  // the output callback is passed only when log_output is set
  if (parameter_check == "strict") {
    options.parameter_check = nbexec::ParameterCheck::strict;
  } else if (parameter_check == "warn_unknown") {
    options.parameter_check = nbexec::ParameterCheck::warn_unknown;
  } else if (parameter_check == "off") {
    options.parameter_check = nbexec::ParameterCheck::off;
  } else {
    throw py::value_error("parameter_check must be 'strict', 'warn_unknown' or 'off'");
  }
  if (env_prefix) options.env_prefix = *env_prefix;

  // A KeyboardInterrupt (or any pending signal) seen while a callback holds the GIL stops the
  // run between kernel messages; the notebook is still saved.
  std::atomic<bool> cancel{false};
  options.cancel = &cancel;
  auto check_signals = [&cancel]() {
    if (PyErr_CheckSignals() != 0) {
      PyErr_Clear();
      cancel.store(true);
    }
  };
  // A callback that raises stops the run the same way (papermill lets an exception in its
  // output handling end the run); the first such exception is raised once the notebook is
  // saved. A KeyboardInterrupt raised inside a callback is a cancellation like any other.
  std::optional<py::error_already_set> callback_error;
  auto call_back = [&cancel, &check_signals, &callback_error](auto&& call) {
    py::gil_scoped_acquire gil;
    try {
      call();
    } catch (py::error_already_set& error) {
      if (!error.matches(PyExc_KeyboardInterrupt) && !callback_error) callback_error = error;
      cancel.store(true);
      return;
    }
    check_signals();
  };
  if (!log.is_none()) {
    options.log = [&log, &call_back](nbexec::LogLevel level, const std::string& line) {
      call_back([&] { log(level_name(level), line); });
    };
  }
  if (!output.is_none()) {
    options.output = [&output, &call_back](std::size_t index, const nlohmann::json& out) {
      const std::string text = out.dump();
      call_back([&] { output(index, text); });
    };
  }
  // Events (run_events.hpp) of the kinds asked for, as JSON text: the progress bar follows
  // cell_start/cell_end, remote outputs are uploaded on save.
  const std::set<std::string> kinds(event_kinds.begin(), event_kinds.end());
  if (!event.is_none() && !kinds.empty()) {
    options.on_event = [&event, &call_back, &kinds](const nbexec::RunEvent& e) {
      const auto kind = e.find("event");
      if (kind == e.end() || !kind->is_string() || !kinds.count(kind->get<std::string>())) return;
      const std::string text = e.dump();
      call_back([&] { event(text); });
    };
  }

  // The run goes on a worker thread so that this (usually the main) thread can look for
  // signals every 100 ms: Python runs its SIGINT handler only on the main thread, so a
  // KeyboardInterrupt during a silent long cell would otherwise wait for the cell to end.
  nbexec::RunResult result;
  std::exception_ptr failure;
  std::mutex mutex;
  std::condition_variable finished_cv;
  bool finished = false;
  {
    py::gil_scoped_release release;
    std::thread worker([&] {
      try {
        result = nbexec::run_notebook(options);
      } catch (...) {
        failure = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex);
      finished = true;
      finished_cv.notify_all();
    });
    std::unique_lock<std::mutex> lock(mutex);
    while (!finished) {
      finished_cv.wait_for(lock, std::chrono::milliseconds(100));
      if (finished) break;
      lock.unlock();
      {
        py::gil_scoped_acquire gil;
        check_signals();
      }
      lock.lock();
    }
    lock.unlock();
    worker.join();
  }
  if (callback_error) throw *callback_error;
  if (failure) std::rethrow_exception(failure);
  py::dict out;
  out["notebook"] = nbexec::notebook::serialize_notebook(result.notebook);
  out["failure"] = result.failure ? failure_to_python(*result.failure) : py::object(py::none());
  out["cancelled"] = result.cancelled || cancel.load();
  out["timed_out_cells"] = result.timed_out_cells;
  return out;
}

using Findings = std::vector<std::pair<std::string, std::string>>;

// The text is taken as a view of the Python str's UTF-8 (no copy), and the GIL is released
// while the C++ core works on it: the caller's str keeps the view alive.
std::string roundtrip_notebook_text(std::string_view text) {
  py::gil_scoped_release unlocked;
  return nbexec::notebook::serialize_notebook(
      nbexec::notebook::parse_notebook_text(text, "<string>"));
}

// Python's reading (NaN, Infinity), without parse_notebook's repair of cell ids, so the
// validator sees the document as written. Malformed JSON is one finding at "".
std::optional<nlohmann::json> read_and_validate(std::string_view text, Findings& findings) {
  nlohmann::json document;
  try {
    document = nbexec::notebook::read_json_text(text, "<string>");
  } catch (const nbexec::NotebookError& error) {
    findings.emplace_back("", error.what());
    return std::nullopt;
  }
  for (const auto& d : nbexec::notebook::validate_notebook(document)) {
    findings.emplace_back(d.path, d.message);
  }
  return document;
}

Findings validate_notebook_text(std::string_view text) {
  py::gil_scoped_release unlocked;
  Findings findings;
  read_and_validate(text, findings);
  return findings;
}

// validate_notebook_text and roundtrip_notebook_text on one parse of the text.
std::pair<Findings, std::optional<std::string>> validate_roundtrip_notebook_text(
    std::string_view text) {
  py::gil_scoped_release unlocked;
  Findings findings;
  auto document = read_and_validate(text, findings);
  if (!findings.empty()) return {std::move(findings), std::nullopt};
  return {std::move(findings),
          nbexec::notebook::serialize_notebook(
              nbexec::notebook::parse_notebook(std::move(*document), "<string>"))};
}

py::list list_kernelspecs(std::optional<std::string> env_prefix) {
  nbexec::kernel::SearchOptions search;
  if (env_prefix) search.env_prefix = *env_prefix;
  py::list out;
  for (const auto& spec :
       nbexec::kernel::list_kernelspecs(nbexec::kernel::kernelspec_search_path(search))) {
    py::dict item;
    item["name"] = spec.name;
    item["display_name"] = spec.display_name;
    item["language"] = spec.language;
    item["resource_dir"] = spec.resource_dir.string();
    item["argv"] = spec.argv;
    out.append(item);
  }
  return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "nbexec's C++ core (internal; use the nbexec package)";
  m.attr("__version__") = std::string(nbexec::version);

  // Exception types live as long as the interpreter: held as raw references on purpose, so no
  // static destructor touches Python after finalization.
  auto make = [&m](const char* name, PyObject* base, const char* doc) {
    PyObject* type = PyErr_NewExceptionWithDoc((std::string("nbexec._core.") + name).c_str(), doc,
                                               base, nullptr);
    if (!type) throw py::error_already_set();
    m.attr(name) = py::handle(type);
    return type;
  };
  static PyObject* error =
      make("Error", PyExc_RuntimeError, "Base class of every error nbexec raises.");
  static PyObject* usage =
      make("UsageError", error, "An impossible combination of arguments (e.g. no kernel name).");
  static PyObject* notebook =
      make("NotebookError", error,
           "The input is not a readable nbformat 4 notebook, or the output cannot be written.");
  static PyObject* parameter =
      make("ParameterError", error,
           "Parameters cannot be read or rendered, a path names a missing parameter, or a "
           "parameter is unknown to the notebook or of the wrong type.");
  static PyObject* protocol =
      make("ProtocolError", error, "The kernel broke the Jupyter messaging protocol.");
  static PyObject* kernel =
      make("KernelError", error, "The kernel could not be found, started or kept running.");
  static PyObject* not_found =
      make("KernelNotFoundError", kernel,
           "No kernelspec of that name (the message lists the folders searched and the "
           "kernels found).");
  static PyObject* died = make("KernelDiedError", kernel,
                               "The kernel process died; the output notebook was saved first.");
  static PyObject* timeout =
      make("TimeoutError", error,
           "The kernel did not start in time or a cell passed execution_timeout; the output "
           "notebook was saved first.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const nbexec::KernelNotFoundError& e) {
      PyErr_SetString(not_found, e.what());
    } catch (const nbexec::KernelDiedError& e) {
      PyErr_SetString(died, e.what());
    } catch (const nbexec::KernelError& e) {
      PyErr_SetString(kernel, e.what());
    } catch (const nbexec::UsageError& e) {
      PyErr_SetString(usage, e.what());
    } catch (const nbexec::NotebookError& e) {
      PyErr_SetString(notebook, e.what());
    } catch (const nbexec::ParameterError& e) {
      PyErr_SetString(parameter, e.what());
    } catch (const nbexec::ProtocolError& e) {
      PyErr_SetString(protocol, e.what());
    } catch (const nbexec::TimeoutError& e) {
      PyErr_SetString(timeout, e.what());
    } catch (const nbexec::Error& e) {
      PyErr_SetString(error, e.what());
    }
  });

  m.def("run", &run, py::arg("input_path"), py::arg("output_path"), py::arg("parameters"),
        py::arg("kernel_name"), py::arg("language"), py::arg("cwd"), py::arg("start_timeout"),
        py::arg("execution_timeout"), py::arg("allow_errors"), py::arg("report_mode"),
        py::arg("prepare_only"), py::arg("log_output"), py::arg("env_prefix"), py::arg("log"),
        py::arg("output"), py::arg("parameter_check") = "strict",
        py::arg("request_save_on_cell_execute") = true, py::arg("autosave_cell_every") = 30.0,
        py::arg("interrupt_on_timeout") = false, py::arg("event") = py::none(),
        py::arg("event_kinds") = std::vector<std::string>{},
        "Load, parameterize, execute and save a notebook; the GIL is released while the "
        "kernel runs. log(level, line), output(cell_index, output_json) and event(event_json) "
        "(only the kinds in event_kinds) are called as the run goes; an exception in one stops "
        "the run and is raised after the final save. Returns {'notebook': json text, "
        "'failure': dict|None, 'cancelled': bool, 'timed_out_cells': list[int]}.");
  m.def("roundtrip_notebook_text", &roundtrip_notebook_text, py::arg("text"),
        "Parse notebook JSON text and write it back in nbformat's layout.");
  m.def("validate_notebook_text", &validate_notebook_text, py::arg("text"),
        "Structural nbformat v4 validation: a list of (json_pointer, message).");
  m.def("validate_roundtrip_notebook_text", &validate_roundtrip_notebook_text, py::arg("text"),
        "validate_notebook_text and roundtrip_notebook_text with one parse: (findings, text "
        "written back in nbformat's layout, or None when there are findings).");
  nbexec::python::bind_translators(m);
  nbexec::python::bind_inspect(m);
  nbexec::python::bind_check(m);
  nbexec::python::bind_sources(m);
  m.def("list_kernelspecs", &list_kernelspecs, py::arg("env_prefix") = py::none(),
        "Kernelspecs nbexec can start, in search order.");
}
