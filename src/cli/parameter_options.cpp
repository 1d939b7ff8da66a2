#include "parameter_options.hpp"

namespace nbexec::cli {

void add_parameter_options(CLI::App* command, ParameterArgs& args, bool inject_options) {
  command
      ->add_option("-p,--parameters", args.inferred,
                   "Parameter NAME VALUE; VALUE is read as int, float, True/False/None, "
                   "else string (papermill's rules). Repeatable")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false)
      ->type_name("NAME VALUE");
  command
      ->add_option("-r,--parameters_raw", args.raw,
                   "Parameter NAME VALUE kept as a string. Repeatable")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false)
      ->type_name("NAME VALUE");
  command->add_option("-f,--parameters_file", args.files,
                      "YAML or JSON file of parameters. Repeatable");
  command->add_option("-y,--parameters_yaml", args.yaml, "Parameters as a YAML string. Repeatable");
  command->add_option("-b,--parameters_base64", args.base64_yaml,
                      "Parameters as base64-encoded YAML. Repeatable");
  if (!inject_options) return;
  command->add_flag("--inject-input-path", args.inject_input_path,
                    "Add the input path as parameter PAPERMILL_INPUT_PATH");
  command->add_flag("--inject-output-path", args.inject_output_path,
                    "Add the output path as parameter PAPERMILL_OUTPUT_PATH");
  command->add_flag("--inject-paths", args.inject_paths,
                    "Both --inject-input-path and --inject-output-path");
}

params::Parameters merge_parameter_args(const ParameterArgs& args, const std::string& input_path,
                                        const std::string& output_path) {
  params::Parameters merged = params::Parameters::object();
  // papermill puts these first, so -p and the others may still override them; the paths are
  // the ones given, before {parameters} in them are filled in.
  if (args.inject_input_path || args.inject_paths) merged["PAPERMILL_INPUT_PATH"] = input_path;
  if (args.inject_output_path || args.inject_paths) merged["PAPERMILL_OUTPUT_PATH"] = output_path;

  params::ParameterSources sources;
  for (const auto& file : args.files) sources.files.emplace_back(file);
  sources.yaml = args.yaml;
  sources.base64_yaml = args.base64_yaml;
  sources.inferred = args.inferred;
  sources.raw = args.raw;
  const params::Parameters given = params::merge_parameters(sources);
  for (auto it = given.begin(); it != given.end(); ++it) merged[it.key()] = it.value();
  return merged;
}

}  // namespace nbexec::cli
