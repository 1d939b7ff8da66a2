#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace nbexec::params::detail {

// What PyYAML's SafeLoader (minus the timestamp resolver, as papermill's NoDatesSafeLoader)
// resolves a plain scalar to.
enum class ScalarKind { null, boolean, integer, floating, merge, value, string };

ScalarKind resolve_plain_scalar(std::string_view text);

// SafeConstructor's construct_yaml_{bool,int,float} on the scalar text, for implicit and
// explicit (!!int ...) tags alike. Throw std::invalid_argument with a user-facing reason where
// PyYAML raises, and std::out_of_range for an integer beyond 64 bits.
bool construct_yaml_bool(std::string_view text);
nlohmann::ordered_json construct_yaml_int(std::string_view text);
double construct_yaml_float(std::string_view text);

}  // namespace nbexec::params::detail
