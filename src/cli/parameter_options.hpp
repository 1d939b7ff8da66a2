#pragma once

#include <CLI/CLI.hpp>
#include <nbexec/parameters.hpp>

#include <string>
#include <utility>
#include <vector>

namespace nbexec::cli {

// papermill's parameter options, shared by `run` and `inspect`.
struct ParameterArgs {
  std::vector<std::pair<std::string, std::string>> inferred;  // -p NAME VALUE
  std::vector<std::pair<std::string, std::string>> raw;       // -r NAME VALUE
  std::vector<std::string> files;                             // -f
  std::vector<std::string> yaml;                              // -y
  std::vector<std::string> base64_yaml;                       // -b
  bool inject_input_path = false;
  bool inject_output_path = false;
  bool inject_paths = false;
};

// Adds -p/-r/-f/-y/-b; with `inject_options` also --inject-input-path, --inject-output-path
// and --inject-paths.
void add_parameter_options(CLI::App* command, ParameterArgs& args, bool inject_options);

// The merged parameters, in papermill's order: PAPERMILL_INPUT_PATH / PAPERMILL_OUTPUT_PATH
// first (when asked for), then every -b, -f, -y, -p, -r; a later value wins.
params::Parameters merge_parameter_args(const ParameterArgs& args, const std::string& input_path,
                                        const std::string& output_path);

}  // namespace nbexec::cli
