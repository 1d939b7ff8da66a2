#include <nbexec/params/translate.hpp>

#include "params/translator.hpp"

#include <nbexec/error.hpp>

namespace nbexec::params {

std::string render_python_value(const nlohmann::ordered_json& value) {
  return detail::python_translator().translate(value);
}

std::string render_parameters_source(const Parameters& parameters, std::string_view kernel_name,
                                     std::string_view language, std::string_view comment) {
  if (!parameters.is_null() && !parameters.is_object()) {
    throw ParameterError("parameters must be a mapping of names to values, not a JSON " +
                         std::string(parameters.type_name()));
  }
  return detail::find_translator(kernel_name, language).codify(parameters, comment);
}

}  // namespace nbexec::params
