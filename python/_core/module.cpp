// nbexec._core: the C++ core seen from Python. Kept thin: argument conversion, the GIL, and
// exception mapping; the Pythonic API is in python/nbexec/.
#include "bindings.hpp"
#include "convert.hpp"

#include <nbexec/error.hpp>
#include <nbexec/kernelspecs.hpp>
#include <nbexec/notebook_text.hpp>
#include <nbexec/version.hpp>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace {

using Findings = std::vector<std::pair<std::string, std::string>>;

Findings as_pairs(const std::vector<nbexec::NotebookFinding>& findings) {
  Findings out;
  for (const auto& f : findings) out.emplace_back(f.path, f.message);
  return out;
}

// The text is taken as a view of the Python str's UTF-8 (no copy), and the GIL is released
// while the C++ core works on it: the caller's str keeps the view alive.
std::string roundtrip_notebook_text(std::string_view text) {
  py::gil_scoped_release unlocked;
  return nbexec::write_notebook_text(nbexec::parse_notebook_text(text, "<string>"));
}

Findings validate_notebook_text(std::string_view text) {
  py::gil_scoped_release unlocked;
  return as_pairs(nbexec::validate_notebook_text(text));
}

// validate_notebook_text and roundtrip_notebook_text on one parse of the text.
std::pair<Findings, std::optional<std::string>> validate_roundtrip_notebook_text(
    std::string_view text) {
  py::gil_scoped_release unlocked;
  auto [findings, written] = nbexec::validate_and_write_notebook_text(text);
  if (!findings.empty()) return {as_pairs(findings), std::nullopt};
  return {Findings{}, std::move(written)};
}

py::list list_kernelspecs(std::optional<std::string> env_prefix) {
  std::optional<std::filesystem::path> prefix;
  if (env_prefix) prefix = *env_prefix;
  py::list out;
  for (const auto& spec : nbexec::list_kernelspecs(prefix).kernels) {
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

// The library names what would help (Remedy); Python users read it as a keyword.
std::string keyword_hint(nbexec::Remedy remedy) {
  switch (remedy) {
    case nbexec::Remedy::none:
      return "";
    case nbexec::Remedy::kernel_name:
      return " (pass kernel_name=...)";
    case nbexec::Remedy::start_timeout:
      return " (start_timeout=)";
    case nbexec::Remedy::execution_timeout:
      return " (execution_timeout=)";
    case nbexec::Remedy::relax_parameter_check:
      return " (strict_parameters=False makes this a warning, as in papermill)";
    case nbexec::Remedy::working_directory:
      return " (cwd=)";
    case nbexec::Remedy::insecure_secrets:
      return " (allow_insecure_secrets=True accepts the risk)";
    case nbexec::Remedy::transport_encryption:
      return " (encryption=\"auto\" or \"off\" runs it without CurveZMQ)";
  }
  return "";
}

void set_error(PyObject* type, const nbexec::Error& error) {
  PyErr_SetString(type, (std::string(error.what()) + keyword_hint(error.remedy())).c_str());
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
  // Also the builtin TimeoutError, so `except TimeoutError` catches it as Python code expects.
  static PyObject* timeout_bases = PyTuple_Pack(2, error, PyExc_TimeoutError);
  static PyObject* timeout =
      make("TimeoutError", timeout_bases,
           "The kernel did not start in time or a cell passed execution_timeout; the output "
           "notebook was saved first.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const nbexec::KernelNotFoundError& e) {
      set_error(not_found, e);
    } catch (const nbexec::KernelDiedError& e) {
      set_error(died, e);
    } catch (const nbexec::KernelError& e) {
      set_error(kernel, e);
    } catch (const nbexec::UsageError& e) {
      set_error(usage, e);
    } catch (const nbexec::NotebookError& e) {
      set_error(notebook, e);
    } catch (const nbexec::ParameterError& e) {
      set_error(parameter, e);
    } catch (const nbexec::ProtocolError& e) {
      set_error(protocol, e);
    } catch (const nbexec::TimeoutError& e) {
      set_error(timeout, e);
    } catch (const nbexec::Error& e) {
      set_error(error, e);
    }
  });

  // KernelPool before run: RunOptions.kernels holds one.
  nbexec::python::bind_pool(m);
  nbexec::python::bind_run(m);
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
  nbexec::python::bind_sweep(m);
  nbexec::python::bind_sweep_run(m);
  nbexec::python::bind_render(m);
  m.def("list_kernelspecs", &list_kernelspecs, py::arg("env_prefix") = py::none(),
        "Kernelspecs nbexec can start, in search order.");
}
