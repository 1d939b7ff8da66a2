#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

// Typed reads of one field of a JSON object that never throw. Notebooks and kernel messages
// come from outside: a field can hold any JSON type, and nlohmann's value() throws type_error
// when a present key holds another type than the default's (or when the value is not an
// object at all). Each reader here answers the fallback instead, so a hostile or future
// document is judged by the code that reads it, never by an escaping json exception.
namespace nbexec::detail {

// object[key] when object is an object and the key holds a string, else fallback.
inline std::string string_field(const nlohmann::json& object, std::string_view key,
                                std::string_view fallback = {}) {
  if (!object.is_object()) return std::string(fallback);
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::string(fallback);
  return it->get<std::string>();
}

// object[key] when it holds a boolean, else fallback.
inline bool bool_field(const nlohmann::json& object, std::string_view key, bool fallback) {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

// object[key] when object is an object and holds the key (any type), else fallback.
inline nlohmann::json any_field(const nlohmann::json& object, std::string_view key,
                                nlohmann::json fallback = nullptr) {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  return it == object.end() ? fallback : *it;
}

}  // namespace nbexec::detail
