#pragma once

#include <nbexec/params/parameters.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace nbexec::params {

// papermill's built-in path parameters (add_builtin_parameters): pm[run_uuid],
// pm[current_datetime_local] and pm[current_datetime_utc].
struct BuiltinParameters {
  std::string run_uuid;  // a random UUID4
  std::chrono::system_clock::time_point now;
};

// A fresh run UUID and the current time.
BuiltinParameters make_builtin_parameters();

// papermill's parameterize_path: Python's str.format(**{"pm": builtins, **parameters}) applied
// to a path, so "out-{alpha}.ipynb" with alpha=0.5 is "out-0.5.ipynb". Supports the whole
// replacement-field grammar ({name}, {name[key]}, {name[0]}, {pm[run_uuid]},
// {pm[current_datetime_utc]:%Y-%m-%d}, !s/!r/!a, format specs, {{ and }}). Throws
// ParameterError naming `what` and the path for a missing parameter ("missing parameter
// 'alpha'") and wherever Python's str.format would raise.
std::string parameterize_path(std::string_view path, const Parameters& parameters,
                              const BuiltinParameters& builtins, std::string_view what = "path");

}  // namespace nbexec::params
