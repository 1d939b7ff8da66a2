#pragma once

#include <nbexec/params/parameters.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Where parameter values come from: command-line values (-p/-r), YAML text and files (-y/-f),
// base64 YAML (-b), and papermill's merge of them.
namespace nbexec::params {

// papermill's -p inference (_resolve_type): exactly "True"/"False"/"None", then Python's int()
// rules, then float() rules, else the string itself. Python would keep an integer of any size;
// nbexec's are 64-bit (int64, or uint64 above INT64_MAX), so a larger one throws ParameterError
// (pass it with -r to keep it as a string).
nlohmann::ordered_json infer_value(std::string_view text);

// YAML (or JSON) text as papermill reads it with PyYAML's safe loader minus timestamps: a
// mapping of names to values; an empty document is no parameters. Keys that are not strings are
// named by Python's str() of their value (1 -> "1", true -> "True"). Throws ParameterError
// naming origin and line for malformed YAML, a top-level non-mapping, tags other than the core
// ones (!!binary, !!timestamp, !!set, ...) and integers beyond 64 bits.
Parameters parse_parameters_yaml(std::string_view text, const std::string& origin);

// A YAML (or JSON) document of any shape, typed, bounded and refused as parse_parameters_yaml
// does: for files whose top level is not a mapping of parameters (a sweep's grid may be a
// list). An empty document is null.
nlohmann::ordered_json parse_yaml_value(std::string_view text, const std::string& origin);

// Reads a -f file. Throws ParameterError naming the file.
Parameters load_parameters_file(const std::filesystem::path& path);

// Throws ParameterError unless `name` is an identifier: an ASCII letter, '_' or a non-ASCII
// character first, then those or ASCII digits (non-ASCII characters are left to the kernel's
// language to judge, except Unicode spaces). `origin` names the source in the message.
void check_parameter_name(std::string_view name, std::string_view origin);

// Everything given on a command line, each kind in the order given.
struct ParameterSources {
  std::vector<std::filesystem::path> files;                   // -f
  std::vector<std::string> yaml;                              // -y
  std::vector<std::string> base64_yaml;                       // -b
  std::vector<std::pair<std::string, std::string>> inferred;  // -p NAME VALUE
  std::vector<std::pair<std::string, std::string>> raw;       // -r NAME VALUE
};

// papermill's merge order: all -b, then -f, then -y, then -p, then -r; a later value wins and
// keeps the position of the first. Every name must pass check_parameter_name.
Parameters merge_parameters(const ParameterSources& sources);

}  // namespace nbexec::params
