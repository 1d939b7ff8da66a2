// parse_parameters_yaml: yaml-cpp does the YAML syntax; typing follows PyYAML's SafeLoader
// without the timestamp resolver (papermill's NoDatesSafeLoader), since that is what decides
// what a papermill parameter file means.
#include <nbexec/error.hpp>
#include <nbexec/params/sources/sources.hpp>

#include "params/sources/yaml_checks.hpp"
#include "params/sources/yaml_converter.hpp"
#include "params/sources/yaml_documents.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

namespace nbexec::params {

Parameters parse_parameters_yaml(std::string_view text, const std::string& origin) {
  detail::check_yaml_characters(text, origin);
  // PyYAML skips a leading byte-order mark; dropping it here keeps yaml-cpp's node positions
  // aligned with the text Converter looks at.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  detail::check_yaml_flow_depth(text, origin);
  detail::YamlDocuments documents;
  try {
    documents = detail::load_yaml_documents(std::string(text));
  } catch (const YAML::DeepRecursion& error) {
    // Its message is only "bad file"; block nesting (indentation) ends here.
    throw ParameterError(detail::yaml_place(origin, error.mark) + ": values are nested more than " +
                         std::to_string(detail::kMaxYamlDepth) + " levels deep");
  } catch (const YAML::Exception& error) {
    throw ParameterError(detail::yaml_place(origin, error.mark) + ": invalid YAML: " + error.msg);
  }
  if (documents.another) {
    throw ParameterError(detail::yaml_place(origin, *documents.another) +
                         ": expected a single YAML document, but found another");
  }
  if (!documents.first) return Parameters::object();
  const YAML::Node& root = *documents.first;
  if (root.IsNull()) return Parameters::object();
  if (!root.IsMap()) {
    throw ParameterError(detail::yaml_place(origin, root.Mark()) +
                         ": expected a mapping of parameter names to values, but found " +
                         detail::yaml_kind_name(root));
  }
  return detail::convert_yaml_parameters(root, text, origin);
}

}  // namespace nbexec::params
