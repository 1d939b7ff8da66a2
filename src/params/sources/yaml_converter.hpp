#pragma once

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace nbexec::params::detail {

// The parameters a YAML mapping node means, typed as PyYAML's SafeLoader types them without
// the timestamp resolver (papermill's NoDatesSafeLoader): merge keys applied, keys named by
// Python's str() of their value, only the standard tags. `text` is the document's source
// (yaml-cpp node positions point into it). The expansion of aliases is bounded before any
// value is built. Throws ParameterError naming the place in `origin`.
nlohmann::ordered_json convert_yaml_parameters(const YAML::Node& root, std::string_view text,
                                               const std::string& origin);

}  // namespace nbexec::params::detail
