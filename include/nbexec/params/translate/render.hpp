#pragma once

#include <nbexec/params/parameters.hpp>

#include <string>
#include <string_view>

namespace nbexec::params {

// A value as papermill's PythonTranslator renders it (without black): None, True, 3, 0.1,
// float('nan'), "escaped string", [..], {"key": ...}.
std::string render_python_value(const nlohmann::ordered_json& value);

// The source of the injected-parameters cell: "# Parameters\nname = value\n..." for the
// language chosen by kernel name, then language, as papermill chooses. Throws ParameterError
// for a language it cannot render or a value the language cannot express.
std::string render_parameters_source(const Parameters& parameters, std::string_view kernel_name,
                                     std::string_view language,
                                     std::string_view comment = "Parameters");

}  // namespace nbexec::params
