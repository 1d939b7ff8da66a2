// Parameter rendering seen from Python, and translators written in Python.
#include "bindings.hpp"
#include "convert.hpp"

#include <nbexec/error.hpp>
#include <nbexec/parameters.hpp>

#include <memory>
#include <string>

namespace py = pybind11;

namespace nbexec::python {
namespace {

// A translator written in Python: an object with papermill's codify(parameters, comment) (a
// papermill-style class or instance), or a callable taking the same two arguments. It may be
// called from nbexec._core.run's worker thread, so every touch of Python holds the GIL.
class PythonCallbackTranslator final : public params::Translator {
 public:
  PythonCallbackTranslator(std::string name, py::object translator)
      : name_(std::move(name)), translator_(new py::object(std::move(translator))) {}

  PythonCallbackTranslator(const PythonCallbackTranslator&) = delete;
  PythonCallbackTranslator& operator=(const PythonCallbackTranslator&) = delete;

  ~PythonCallbackTranslator() override {
    // After interpreter shutdown the reference is leaked on purpose: no GIL to drop it with.
    if (Py_IsInitialized() == 0) return;
    py::gil_scoped_acquire gil;
    delete translator_;
  }

  std::string language_name() const override { return "'" + name_ + "' (a Python translator)"; }

  std::string codify(const params::Parameters& parameters,
                     std::string_view comment) const override {
    py::gil_scoped_acquire gil;
    try {
      py::object values = parameters.is_null() ? py::dict() : to_python(parameters);
      py::object text = py::hasattr(*translator_, "codify")
                            ? translator_->attr("codify")(values, py::str(std::string(comment)))
                            : (*translator_)(values, py::str(std::string(comment)));
      if (!py::isinstance<py::str>(text)) {
        throw ParameterError("the Python translator registered as '" + name_ + "' returned a " +
                             std::string(py::str(text.get_type().attr("__name__"))) +
                             ", not a str");
      }
      return text.cast<std::string>();
    } catch (const py::error_already_set& error) {
      // Turned into a C++ error here, while the GIL is held to release the Python exception.
      throw ParameterError("the Python translator registered as '" + name_ +
                           "' failed: " + error.what());
    }
  }

 private:
  std::string name_;
  py::object* translator_;  // a pointer so the destructor can choose to leak it
};

}  // namespace

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

  m.def(
      "register_translator",
      [](const std::string& name, py::object translator) {
        if (!py::hasattr(translator, "codify") && !PyCallable_Check(translator.ptr())) {
          throw py::type_error(
              "a translator needs a codify(parameters, comment) method or must be "
              "callable as translator(parameters, comment)");
        }
        params::register_translator(
            name, std::make_shared<PythonCallbackTranslator>(name, std::move(translator)));
      },
      py::arg("name"), py::arg("translator"),
      "Renders parameters for kernels (or languages) called `name` with a Python translator.");

  // The -p and -f/-y readers, for differential tests against papermill and for callers that
  // want the CLI's reading of a value.
  m.def(
      "infer_parameter",
      [](const std::string& text) { return to_python(params::infer_value(text)); }, py::arg("text"),
      "A -p value as papermill's _resolve_type reads it.");
  m.def(
      "parse_parameters_yaml",
      [](const std::string& text, const std::string& origin) {
        return to_python(params::parse_parameters_yaml(text, origin));
      },
      py::arg("text"), py::arg("origin") = "<yaml>",
      "YAML parameters as papermill reads them (PyYAML's safe loader without timestamps).");

  m.def(
      "translator_names",
      [] {
        py::list names;
        for (const auto& name : params::translator_names()) names.append(py::str(name));
        return names;
      },
      "Kernel names and languages that have a translator, in registration order.");
}

}  // namespace nbexec::python
