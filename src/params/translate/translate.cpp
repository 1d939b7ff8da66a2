#include <nbexec/params/sources/sources.hpp>
#include <nbexec/params/translate/render.hpp>
#include "params/translate/languages.hpp"

#include <nbexec/error.hpp>

namespace nbexec::params {

std::string render_python_value(const nlohmann::ordered_json& value) {
  // The built-in one: a translator registered as "python" does not change this function.
  static const auto python = detail::make_python_translator();
  return python->translate(value);
}

std::string render_parameters_source(const Parameters& parameters, std::string_view kernel_name,
                                     std::string_view language, std::string_view comment) {
  if (!parameters.is_null() && !parameters.is_object()) {
    throw ParameterError("parameters must be a mapping of names to values, not a JSON " +
                         std::string(parameters.type_name()));
  }
  if (parameters.is_object()) {
    for (const auto& [name, value] : parameters.items()) check_parameter_name(name, "parameters");
  }
  // Held for the whole rendering: a concurrent register_translator may replace it meanwhile.
  const auto translator = find_translator(kernel_name, language);
  return translator->codify(parameters, comment);
}

}  // namespace nbexec::params
