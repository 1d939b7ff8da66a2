#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace nbexec::params::detail {

// Python's str() and repr() of a parameter value: None, True, 3, 0.1, 'text', [1, 'a'],
// {'key': 2}.
std::string python_str(const nlohmann::ordered_json& value);
std::string python_repr(const nlohmann::ordered_json& value);
// Python's ascii(): repr() with non-ASCII characters escaped.
std::string python_ascii(const nlohmann::ordered_json& value);

// Python's built-in format(value, spec) for parameter values: the format-spec mini-language
// ([[fill]align][sign][z][#][0][width][grouping][.precision][type]) for str, int, float and
// bool. Throws ParameterError with Python's message (ValueError / TypeError text) where
// format() raises.
std::string python_format(const nlohmann::ordered_json& value, std::string_view spec);

}  // namespace nbexec::params::detail
