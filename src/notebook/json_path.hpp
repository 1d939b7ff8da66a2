#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace nbexec::notebook::detail {

// JSON pointer (RFC 6901) building: "/cells/3/outputs/0/data/text~1plain".
inline std::string child_path(const std::string& parent, std::string_view key) {
  std::string path = parent;
  path += '/';
  for (char c : key) {
    if (c == '~')
      path += "~0";
    else if (c == '/')
      path += "~1";
    else
      path += c;
  }
  return path;
}

inline std::string child_path(const std::string& parent, std::size_t index) {
  return parent + '/' + std::to_string(index);
}

// "a string", "an array", ... for messages that say what was found instead.
inline const char* describe_type(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "an integer";
    case nlohmann::json::value_t::number_float:
      return "a floating-point number";
    case nlohmann::json::value_t::null:
      return "null";
    default:
      return "an unsupported value";
  }
}

}  // namespace nbexec::notebook::detail
