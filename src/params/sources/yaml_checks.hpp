#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace nbexec::params::detail {

// Bounds that keep a hostile document (deep nesting, alias bombs) from exhausting the stack or
// memory; real parameter files are nowhere near them.
inline constexpr int kMaxYamlDepth = 256;
inline constexpr std::size_t kMaxYamlValues = 1'000'000;

// "origin: line L, column C" for a yaml-cpp mark (just origin when the mark is null).
std::string yaml_place(const std::string& origin, const YAML::Mark& mark);

// "a list", "a mapping", "a scalar" or "null", as PyYAML's messages name a node.
const char* yaml_kind_name(const YAML::Node& node);

// PyYAML's reader refuses text that is not UTF-8 and characters outside its printable set
// before it parses anything. Throws ParameterError naming the line and column.
void check_yaml_characters(std::string_view text, const std::string& origin);

// Refuses more '[' or '{' open at once than any accepted nesting needs, before yaml-cpp's
// scanner queues them (see the .cpp). Throws ParameterError naming the line and column.
void check_yaml_flow_depth(std::string_view text, const std::string& origin);

}  // namespace nbexec::params::detail
