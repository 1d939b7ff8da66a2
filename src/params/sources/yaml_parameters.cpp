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

#include <optional>
#include <string>

namespace nbexec::params {

namespace {

// The one document of `text`, read as PyYAML's reader and parser would (same limits and
// messages); nullopt for a text with no document. Drops a leading byte-order mark from `text`:
// PyYAML skips it, and yaml-cpp's node positions must stay aligned with the text Converter
// looks at.
std::optional<YAML::Node> load_document(std::string_view& text, const std::string& origin) {
  detail::check_yaml_characters(text, origin);
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
  return documents.first;
}

}  // namespace

Parameters parse_parameters_yaml(std::string_view text, const std::string& origin) {
  const std::optional<YAML::Node> root = load_document(text, origin);
  if (!root || root->IsNull()) return Parameters::object();
  if (!root->IsMap()) {
    throw ParameterError(detail::yaml_place(origin, root->Mark()) +
                         ": expected a mapping of parameter names to values, but found " +
                         detail::yaml_kind_name(*root));
  }
  return detail::convert_yaml_parameters(*root, text, origin);
}

nlohmann::ordered_json parse_yaml_value(std::string_view text, const std::string& origin) {
  const std::optional<YAML::Node> root = load_document(text, origin);
  if (!root) return nullptr;
  return detail::convert_yaml_parameters(*root, text, origin);
}

}  // namespace nbexec::params
